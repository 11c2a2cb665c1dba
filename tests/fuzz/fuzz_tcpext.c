/* fuzz_tcpext.c - libFuzzer target: a namespace's /proc/net/netstat, as
 * tc_tcpext_parse() reads it, and the counters it keeps printed back; the
 * same bytes as a /proc/net/sockstat for tc_sockstat_tw_parse().
 * Seeds: tests/fixtures/proc_net_netstat.txt, proc_net_sockstat.txt. */
#include <stdint.h>

#include "tcpclose/observe_tcpext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct tc_tcpext t;
  char out[64];
  unsigned long long tw;
  if (tc_tcpext_parse((const char *)data, size, &t) == 0) tc_tcpext_format(&t, out, sizeof out);
  (void)tc_sockstat_tw_parse((const char *)data, size, &tw);
  return 0;
}
