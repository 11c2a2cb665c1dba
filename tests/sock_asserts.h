/* sock_asserts.h - assertions on a struct tc_sock, shared by the tests of
 * every snapshot observer (procfs lines, sock_diag replies), so that all
 * of them check a socket the same way. Header-only: each test includes it. */
#ifndef TCPCLOSE_TEST_SOCK_ASSERTS_H
#define TCPCLOSE_TEST_SOCK_ASSERTS_H

#include <criterion/criterion.h>

#include "tcpclose/sock.h"

static inline void assert_addr(const struct tc_addr *a, const char *expect) {
  char buf[TC_ADDR_STRLEN];
  cr_assert_str_eq(tc_addr_format(a, buf, sizeof buf), expect);
}

static inline void assert_tuple(const struct tc_sock *s, const char *local, const char *remote) {
  assert_addr(&s->tuple.local, local);
  assert_addr(&s->tuple.remote, remote);
  cr_assert_eq(s->tuple.local.family, s->tuple.remote.family);
}

static inline void assert_queues(const struct tc_sock *s, uint32_t sendq, uint32_t recvq) {
  cr_assert_eq(s->sendq, sendq, "expected sendq %u but got %u", sendq, s->sendq);
  cr_assert_eq(s->recvq, recvq, "expected recvq %u but got %u", recvq, s->recvq);
}

static inline void assert_no_timer(const struct tc_sock *s) {
  cr_assert_eq(s->timer, TC_TIMER_NONE, "expected no timer but got %d", s->timer);
  cr_assert_eq(s->timer_ms, 0);
  cr_assert_eq(s->retransmits, 0);
}

/* A timewait mini-socket (TIME_WAIT or orphaned FIN_WAIT2) with ms left. */
static inline void assert_timewait_timer(const struct tc_sock *s, long ms) {
  cr_assert_eq(s->timer, TC_TIMER_TIMEWAIT, "expected timer 3 but got %d", s->timer);
  cr_assert_eq(s->timer_ms, ms, "expected %ld ms left but got %ld", ms, s->timer_ms);
  cr_assert_eq(s->inode, 0, "a mini-socket has no inode, got %lu", s->inode);
}

#endif
