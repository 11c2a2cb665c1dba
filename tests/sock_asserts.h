/* sock_asserts.h - assertions on a struct tc_sock, shared by the tests of
 * every snapshot observer (procfs lines, sock_diag replies), so that all
 * of them check a socket the same way. Header-only: each test includes it. */
#ifndef TCPCLOSE_TEST_SOCK_ASSERTS_H
#define TCPCLOSE_TEST_SOCK_ASSERTS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tcpclose/sock.h"
#include "tcpclose/tcpstate.h"

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

/* What a captured socket must decode to: one row of a fixture table. A
 * timewait mini-socket (timewait_ms > 0) has that timer, no inode and no
 * retransmits; any other socket has no timer, no retransmits and the inode
 * given. Arrays, not pointers: Criterion copies a parameter into the test's
 * own process, where the parent's pointers mean nothing. */
struct expected_sock {
  char what[96]; /* the fixture and which socket of it, for messages */
  int family;
  int state;
  char local[TC_ADDR_STRLEN], remote[TC_ADDR_STRLEN]; /* as tc_addr_format() writes them */
  uint32_t sendq, recvq;
  long timewait_ms;
  unsigned long inode;
};

static inline void assert_sock(const struct tc_sock *s, const struct expected_sock *e) {
  char buf[TC_ADDR_STRLEN];
  cr_assert_eq(s->state, e->state, "%s: expected %s but got %s", e->what, tc_state_name(e->state),
               tc_state_name(s->state));
  cr_assert_eq(s->tuple.local.family, e->family, "%s: local family %d", e->what,
               s->tuple.local.family);
  cr_assert_eq(s->tuple.remote.family, e->family, "%s: remote family %d", e->what,
               s->tuple.remote.family);
  cr_assert_str_eq(tc_addr_format(&s->tuple.local, buf, sizeof buf), e->local, "%s: local %s",
                   e->what, buf);
  cr_assert_str_eq(tc_addr_format(&s->tuple.remote, buf, sizeof buf), e->remote, "%s: remote %s",
                   e->what, buf);
  cr_assert_eq(s->tuple.local.port, strtoul(strrchr(e->local, ':') + 1, NULL, 10),
               "%s: local port %u", e->what, s->tuple.local.port);
  cr_assert_eq(s->sendq, e->sendq, "%s: expected sendq %u but got %u", e->what, e->sendq, s->sendq);
  cr_assert_eq(s->recvq, e->recvq, "%s: expected recvq %u but got %u", e->what, e->recvq, s->recvq);
  cr_assert_eq(s->retransmits, 0, "%s: %u retransmits", e->what, s->retransmits);
  if (e->timewait_ms > 0) {
    cr_assert_eq(s->timer, TC_TIMER_TIMEWAIT, "%s: expected timer 3 but got %d", e->what, s->timer);
    cr_assert_eq(s->timer_ms, e->timewait_ms, "%s: expected %ld ms left but got %ld", e->what,
                 e->timewait_ms, s->timer_ms);
    cr_assert_eq(s->inode, 0, "%s: a mini-socket has no inode, got %lu", e->what, s->inode);
  } else {
    cr_assert_eq(s->timer, TC_TIMER_NONE, "%s: expected no timer but got %d", e->what, s->timer);
    cr_assert_eq(s->timer_ms, 0, "%s: %ld ms left on no timer", e->what, s->timer_ms);
    cr_assert_eq(s->inode, e->inode, "%s: expected inode %lu but got %lu", e->what, e->inode,
                 s->inode);
  }
}

#endif
