/* play_check.c - checkpoints against the kernel and the peers, and
 * `settle` (poll the observer until the case's sockets stop changing). */
#include <stdio.h>
#include <string.h>

#include "play_internal.h"
#include "tcpclose/tcpstate.h"

static uint64_t now_ms(void) { return uv_hrtime() / 1000000u; }

/* The socket a state checkpoint is about: the listener for LISTEN, else the
 * role's connection `conn` (0: the latest). Returns 0 when there is none. */
static int query_for(const struct tc__link *l, int state, int conn, struct tc_query *q) {
  const struct tc_tuple *t = tc__link_conn(l, conn);
  memset(q, 0, sizeof *q);
  if (state == TC_STATE_LISTEN ? !l->has_listener : t == NULL) return 0;
  q->listener = state == TC_STATE_LISTEN;
  if (q->listener) q->tuple.local = l->listener;
  else q->tuple = *t;
  return 1;
}

static void describe(const struct tc_sock *s, char *buf, size_t len, int with_timer) {
  if (s->state == TC_STATE_GONE) snprintf(buf, len, "gone");
  else if (with_timer)
    snprintf(buf, len, "%s recvq=%u sendq=%u timer=%s left=%ldms", tc_state_name(s->state), s->recvq,
             s->sendq, tc_timer_name(s->timer), s->timer_ms);
  else snprintf(buf, len, "%s recvq=%u sendq=%u", tc_state_name(s->state), s->recvq, s->sendq);
}

static int queue_ok(long want, int more, uint32_t got) {
  return want == TC_QUEUE_ANY || (more ? (long)got > want : (long)got == want);
}

static void check_state(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  if ((e->left_min_ms >= 0 || e->left_max_ms >= 0) && !tc_observer_has_timers(play->obs)) {
    char why[128];
    snprintf(why, sizeof why, "skipped: observer %s shows no timers", tc_observer_name(play->obs));
    tc_case_result_add_check(play->res, st->line, st->text, why, 0, NULL);
    tc_case_result_skip_last(play->res);
    return;
  }
  struct tc_query q;
  struct tc_sock s = {.state = TC_STATE_GONE};
  tc_err err;
  if (query_for(&play->link[e->role], e->state, e->conn, &q) &&
      tc_observer_snapshot(play->obs, &q, 1, &s, &err) < 0) {
    tc__play_fail(play, "line %d: %s", st->line, err.msg);
    return;
  }
  const struct tc__link *l = &play->link[e->role];
  if (!q.listener && l->nconns > 0) tc__timeline_observed(play, e->role, e->conn ? e->conn : l->nconns, &s);
  char seen[128];
  describe(&s, seen, sizeof seen, e->left_min_ms >= 0 || e->left_max_ms >= 0);
  int pass = s.state == e->state && queue_ok(e->recvq, e->recvq_more, s.recvq) &&
             queue_ok(e->sendq, e->sendq_more, s.sendq) &&
             (e->left_min_ms < 0 || s.timer_ms > e->left_min_ms) &&
             (e->left_max_ms < 0 || s.timer_ms < e->left_max_ms);
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass,
                           s.state == TC_STATE_GONE ? NULL : &s);
  if (e->observe_only) tc_case_result_observation_last(play->res);
}

/* This system's name as expect[...] scopes write it: uname -s, lower case. */
static const char *this_os(void) {
  static struct tc_host host;
  if (host.os[0] == '\0') tc_host_detect(&host);
  return host.os;
}

void tc__check_expect(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  const struct tc__link *l = &play->link[e->role];
  char seen[64];
  if (!tc_scope_includes(e->os, this_os())) return; /* a checkpoint for other systems */
  switch (e->kind) {
  case TC_EXPECT_STATE:
    check_state(play, st);
    return;
  case TC_EXPECT_PATH:
  case TC_EXPECT_RESET:
  case TC_EXPECT_WIRE:
    tc__check_timeline(play, st);
    return;
  case TC_EXPECT_ERROR: {
    const char *name = l->last_err ? tc_errno_name(l->last_err) : "none";
    if (name) snprintf(seen, sizeof seen, "%s", name);
    else snprintf(seen, sizeof seen, "errno %d", l->last_err);
    tc_case_result_add_check(play->res, st->line, st->text, seen, l->last_err == e->err, NULL);
    return;
  }
  case TC_EXPECT_RECEIVED:
    snprintf(seen, sizeof seen, "%zu", l->received);
    tc_case_result_add_check(play->res, st->line, st->text, seen, (long)l->received == e->recvq, NULL);
    return;
  case TC_EXPECT_EOF:
    tc_case_result_add_check(play->res, st->line, st->text, l->eof ? "eof" : "no eof", l->eof, NULL);
    return;
  }
}

/* ---- settle ---- */

/* Every socket of the case; role[i] and conn[i] name a connection's role
 * and number, role -1 for a listener. */
static size_t case_queries(const struct tc_play *play, struct tc_query *q, int *role, int *conn) {
  size_t n = 0;
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    const struct tc__link *l = &play->link[r];
    if (query_for(l, TC_STATE_LISTEN, 0, &q[n])) role[n++] = -1;
    for (int c = 1; c <= l->nconns && n < TC__MAX_QUERIES; c++)
      if (query_for(l, TC_STATE_ESTABLISHED, c, &q[n])) {
        role[n] = r;
        conn[n++] = c;
      }
  }
  return n;
}

static int same_sockets(const struct tc_sock *a, const struct tc_sock *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i].state != b[i].state || a[i].recvq != b[i].recvq || a[i].sendq != b[i].sendq)
      return 0;
  return 1;
}

static void settle_poll(struct tc__ltimer *t) {
  struct tc_play *play = t->data;
  const struct tc_step *st = &play->c->steps[play->step];
  struct tc_query q[TC__MAX_QUERIES];
  struct tc_sock s[TC__MAX_QUERIES];
  int role[TC__MAX_QUERIES], conn[TC__MAX_QUERIES];
  tc_err err;
  size_t n = case_queries(play, q, role, conn);
  if (tc_observer_snapshot(play->obs, q, n, s, &err) < 0) {
    tc__play_fail(play, "line %d: %s", st->line, err.msg);
    return;
  }
  for (size_t i = 0; i < n; i++)
    if (role[i] >= 0) tc__timeline_observed(play, role[i], conn[i], &s[i]);
  uint64_t now = now_ms();
  if (n != play->nprev || !same_sockets(s, play->prev, n)) play->quiet_since = now;
  memcpy(play->prev, s, n * sizeof *s);
  play->nprev = n;
  if (now - play->quiet_since >= TC_SETTLE_QUIET_MS || now - play->settle_start >= st->ms)
    tc__play_next(play);
}

void tc__settle_start(struct tc_play *play, const struct tc_step *st) {
  (void)st;
  play->settle_start = play->quiet_since = now_ms();
  play->nprev = (size_t)-1; /* the first poll always counts as a change */
  tc__ltimer_start(&play->timer, settle_poll, 0, TC__SETTLE_POLL_MS);
}
