/* sock.h - what tcpclose knows of one kernel socket.
 *
 * Contract: plain values, no ownership, no allocation; the functions are
 * pure (any thread). Addresses are kept in network byte order as the kernel
 * has them; ports in host order. An observer fills a tc_sock; state
 * TC_STATE_GONE means the kernel has no such socket.
 */
#ifndef TCPCLOSE_SOCK_H
#define TCPCLOSE_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct tc_addr {
  int family;        /* AF_INET or AF_INET6 */
  uint8_t bytes[16]; /* 4 used for AF_INET */
  uint16_t port;
};

struct tc_tuple {
  struct tc_addr local;
  struct tc_addr remote;
};

enum tc_timer {
  TC_TIMER_NONE = 0,
  TC_TIMER_RETRANSMIT = 1,
  TC_TIMER_KEEPALIVE = 2, /* also the orphaned FIN_WAIT2 timer */
  TC_TIMER_TIMEWAIT = 3,
  TC_TIMER_PROBE = 4, /* zero-window probe */
};

struct tc_sock {
  int state; /* enum tc_state */
  struct tc_tuple tuple;
  uint32_t sendq; /* bytes not yet acknowledged (LISTEN: backlog) */
  uint32_t recvq; /* bytes not yet read (LISTEN: accept queue) */
  int timer;      /* enum tc_timer */
  long timer_ms;  /* time left on it */
  unsigned retransmits;
  unsigned long inode; /* 0 once no process holds the socket */
};

#define TC_ADDR_STRLEN 64

/* "127.0.0.1:5555" or "[::1]:5555" into buf; returns buf. */
char *tc_addr_format(const struct tc_addr *a, char *buf, size_t len);

/* Parses a numeric host ("127.0.0.1", "::1") and port into a. 0 or -EINVAL. */
int tc_addr_parse(const char *host, unsigned port, struct tc_addr *a);

/* a as a sockaddr for bind() and connect(), into *ss; returns its length. */
socklen_t tc_addr_to_sockaddr(const struct tc_addr *a, struct sockaddr_storage *ss);

/* The same connection seen from the other end. */
struct tc_tuple tc_tuple_mirror(const struct tc_tuple *t);

int tc_addr_equal(const struct tc_addr *a, const struct tc_addr *b);

/* The name of a timer kind ("timewait"), for results. */
const char *tc_timer_name(int timer);

#endif
