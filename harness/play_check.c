/* play_check.c - checkpoints against the kernel and the peers, and
 * `settle` (poll the observer until the case's sockets stop changing). */
#include <stdio.h>
#include <string.h>

#include "play_internal.h"
#include "tcpclose/tcpstate.h"

static uint64_t now_ms(void) { return uv_hrtime() / 1000000u; }

/* The socket a state checkpoint is about: the listener for LISTEN, else the
 * role's connection. Returns 0 when the role never had one. */
static int query_for(const struct tc__link *l, int state, struct tc_query *q) {
  memset(q, 0, sizeof *q);
  if (state == TC_STATE_LISTEN ? !l->has_listener : !l->has_conn) return 0;
  q->listener = state == TC_STATE_LISTEN;
  if (q->listener) q->tuple.local = l->listener;
  else q->tuple = l->conn;
  return 1;
}

static void describe(const struct tc_sock *s, char *buf, size_t len) {
  if (s->state == TC_STATE_GONE) snprintf(buf, len, "gone");
  else snprintf(buf, len, "%s recvq=%u sendq=%u", tc_state_name(s->state), s->recvq, s->sendq);
}

static void check_state(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  struct tc_query q;
  struct tc_sock s = {.state = TC_STATE_GONE};
  tc_err err;
  if (query_for(&play->link[e->role], e->state, &q) &&
      tc_observer_snapshot(play->obs, &q, 1, &s, &err) < 0) {
    tc__play_fail(play, "line %d: %s", st->line, err.msg);
    return;
  }
  if (!q.listener && play->link[e->role].has_conn) tc__timeline_observed(play, e->role, &s);
  int pass = s.state == e->state && (e->recvq == TC_QUEUE_ANY || (long)s.recvq == e->recvq) &&
             (e->sendq == TC_QUEUE_ANY || (long)s.sendq == e->sendq);
  char seen[128];
  describe(&s, seen, sizeof seen);
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass,
                           s.state == TC_STATE_GONE ? NULL : &s);
}

void tc__check_expect(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  const struct tc__link *l = &play->link[e->role];
  char seen[64];
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
  case TC_EXPECT_EOF:
    tc_case_result_add_check(play->res, st->line, st->text, l->eof ? "eof" : "no eof", l->eof, NULL);
    return;
  }
}

/* ---- settle ---- */

/* Every socket of the case; role[i] names the connection's role, -1 for a
 * listener. */
static size_t case_queries(const struct tc_play *play, struct tc_query *q, int *role) {
  size_t n = 0;
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    if (query_for(&play->link[r], TC_STATE_LISTEN, &q[n])) role[n++] = -1;
    if (query_for(&play->link[r], TC_STATE_ESTABLISHED, &q[n])) role[n++] = r;
  }
  return n;
}

static int same_sockets(const struct tc_sock *a, const struct tc_sock *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i].state != b[i].state || a[i].recvq != b[i].recvq || a[i].sendq != b[i].sendq)
      return 0;
  return 1;
}

static void settle_poll(uv_timer_t *t) {
  struct tc_play *play = t->data;
  const struct tc_step *st = &play->c->steps[play->step];
  struct tc_query q[TC__MAX_QUERIES];
  struct tc_sock s[TC__MAX_QUERIES];
  int role[TC__MAX_QUERIES];
  tc_err err;
  size_t n = case_queries(play, q, role);
  if (tc_observer_snapshot(play->obs, q, n, s, &err) < 0) {
    tc__play_fail(play, "line %d: %s", st->line, err.msg);
    return;
  }
  for (size_t i = 0; i < n; i++)
    if (role[i] >= 0) tc__timeline_observed(play, role[i], &s[i]);
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
  uv_timer_start(&play->timer, settle_poll, 0, TC__SETTLE_POLL_MS);
}
