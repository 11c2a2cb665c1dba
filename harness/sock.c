/* sock.c - address helpers (see tcpclose/sock.h). */
#include "tcpclose/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

char *tc_addr_format(const struct tc_addr *a, char *buf, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  inet_ntop(a->family, a->bytes, host, sizeof host);
  if (a->family == AF_INET6)
    snprintf(buf, len, "[%s]:%u", host, (unsigned)a->port);
  else
    snprintf(buf, len, "%s:%u", host, (unsigned)a->port);
  return buf;
}

int tc_addr_parse(const char *host, unsigned port, struct tc_addr *a) {
  memset(a, 0, sizeof *a);
  if (port > 65535) return -EINVAL;
  a->port = (uint16_t)port;
  if (inet_pton(AF_INET, host, a->bytes) == 1) {
    a->family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, host, a->bytes) == 1) {
    a->family = AF_INET6;
    return 0;
  }
  return -EINVAL;
}

struct tc_tuple tc_tuple_mirror(const struct tc_tuple *t) {
  struct tc_tuple m = {.local = t->remote, .remote = t->local};
  return m;
}

int tc_addr_equal(const struct tc_addr *a, const struct tc_addr *b) {
  size_t n = a->family == AF_INET6 ? 16 : 4;
  return a->family == b->family && a->port == b->port && memcmp(a->bytes, b->bytes, n) == 0;
}

const char *tc_timer_name(int timer) {
  static const char *const names[] = {"none", "retransmit", "keepalive", "timewait", "probe"};
  if (timer < 0 || timer > TC_TIMER_PROBE) return "?";
  return names[timer];
}

socklen_t tc_addr_to_sockaddr(const struct tc_addr *a, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (a->family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->bytes, sizeof s6->sin6_addr);
    return sizeof *s6;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a->port);
  memcpy(&s4->sin_addr, a->bytes, sizeof s4->sin_addr);
  return sizeof *s4;
}
