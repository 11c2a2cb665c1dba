/* fuzz_procfs.c - libFuzzer target: /proc/net/tcp and /proc/net/tcp6 lines
 * (tc_procfs_parse_line), every line read as both families, as a kernel
 * with either file could print it. Seeds: tests/fixtures/proc_net_tcp*.txt. */
#include <stdint.h>
#include <sys/socket.h>

#include "fuzz_lines.h"
#include "tcpclose/observe_procfs_parse.h"

static void parse(const char *line) {
  struct tc_sock s;
  tc_procfs_parse_line(line, AF_INET, &s);
  tc_procfs_parse_line(line, AF_INET6, &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_each_line(data, size, parse);
  return 0;
}
