/* fuzz_netstat.c - libFuzzer target: netstat lines (tc_netstat_parse_line),
 * every line in each layout (BSD, Windows, Linux) and as ANY, which tries
 * them all. Seeds: tests/fixtures/netstat_*.txt. */
#include <stdint.h>

#include "fuzz_lines.h"
#include "tcpclose/observe_netstat_parse.h"

static void parse(const char *line) {
  static const enum tc_netstat_layout layouts[] = {TC_NETSTAT_BSD, TC_NETSTAT_WINDOWS,
                                                   TC_NETSTAT_LINUX, TC_NETSTAT_ANY};
  struct tc_sock s;
  for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
    tc_netstat_parse_line(line, layouts[i], &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_each_line(data, size, parse);
  return 0;
}
