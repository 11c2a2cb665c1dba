/* fuzz_tcpext.c - libFuzzer target: a namespace's /proc/net/netstat, as
 * tc_tcpext_parse() reads it, and the counters it keeps printed back.
 * Seeds: tests/fixtures/proc_net_netstat.txt. */
#include <stdint.h>

#include "tcpclose/observe_tcpext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct tc_tcpext t;
  char out[64];
  if (tc_tcpext_parse((const char *)data, size, &t) == 0) tc_tcpext_format(&t, out, sizeof out);
  return 0;
}
