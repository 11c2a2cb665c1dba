/* observe_procfs_parse.c - /proc/net/tcp{,6} line parser (see tcpclose/observe_procfs_parse.h).
 * Line layout from the kernel's get_tcp4_sock()/get_timewait4_sock()
 * (net/ipv4/tcp_ipv4.c) and get_tcp6_sock() (net/ipv6/tcp_ipv6.c):
 *   sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode */
#include "tcpclose/observe_procfs_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpclose/tcpstate.h"

/* Decodes "0100007F:1F90" (or 32 hex digits for IPv6) into a. The kernel
 * printed each 32-bit word of the network-order address as a native
 * integer, so copying the parsed word back into memory restores the bytes. */
static int parse_endpoint(const char *s, int family, struct tc_addr *a) {
  size_t words = family == AF_INET6 ? 4 : 1;
  const char *colon = strchr(s, ':');
  if (colon == NULL || (size_t)(colon - s) != words * 8) return -EINVAL;
  memset(a, 0, sizeof *a);
  a->family = family;
  for (size_t i = 0; i < words; i++) {
    char hex[9];
    memcpy(hex, s + i * 8, 8);
    hex[8] = '\0';
    char *end;
    uint32_t w = (uint32_t)strtoul(hex, &end, 16);
    if (*end != '\0') return -EINVAL;
    memcpy(a->bytes + i * 4, &w, 4);
  }
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 16);
  if (*end != '\0' || port > 65535 || end == colon + 1) return -EINVAL;
  a->port = (uint16_t)port;
  return 0;
}

int tc_procfs_parse_line(const char *line, int family, struct tc_sock *out) {
  char local[64], remote[64];
  unsigned sl, st, tr, uid, timeout;
  unsigned long tx, rx, when, retr, inode;
  int n = sscanf(line, " %u: %63[0-9A-Fa-f:] %63[0-9A-Fa-f:] %x %lx:%lx %x:%lx %lx %u %u %lu", &sl,
                 local, remote, &st, &tx, &rx, &tr, &when, &retr, &uid, &timeout, &inode);
  if (n != 12 || st == 0 || st >= TC_STATE_COUNT) return -EINVAL;
  memset(out, 0, sizeof *out);
  if (parse_endpoint(local, family, &out->tuple.local) < 0 ||
      parse_endpoint(remote, family, &out->tuple.remote) < 0)
    return -EINVAL;
  out->state = (int)st;
  out->sendq = (uint32_t)tx;
  out->recvq = (uint32_t)rx;
  out->timer = (int)tr;
  /* An expired timer prints as a negative clock_t in %08lX. A count of
   * ticks no kernel prints (beyond LONG_MAX ms) is the longest time left,
   * not a signed overflow (UBSan, via tests/fuzz/fuzz_procfs.c). */
  long ticks = (long)when;
  out->timer_ms = out->timer == TC_TIMER_NONE || ticks < 0 ? 0
                  : ticks > LONG_MAX / 10                  ? LONG_MAX
                                                           : ticks * 10;
  out->retransmits = (unsigned)retr;
  out->inode = inode;
  return 0;
}
