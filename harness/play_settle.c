/* play_settle.c - `settle`: polls the case's sockets until none of them
 * changed (state, queues; in a case that serves or churns, also how many
 * of each role's sockets are in each state) for TC_SETTLE_QUIET_MS while
 * none had a retransmission pending, or the step's maximum has passed; records which
 * in the results, then reports tc__play_settled(). Owns struct tc__settle.
 *
 * Pending means the retransmit timer is armed: data or a FIN not yet
 * acknowledged, which the kernel will send again (RTO, loss probe). Quiet
 * sockets with such a timer are about to change, and a checkpoint after a
 * settle must see what that retransmission does. The other timers do not
 * hold settle: a zero-window probe (persist) can go on for ever, keepalive
 * and the FIN_WAIT2 and TIME_WAIT timers are the states being checked.
 * Nor is a case settled while its peers have work the kernel already made
 * possible: a command a peer has not read yet (a background `send` not
 * started), a serve or churn that closes after the end of stream with
 * sockets in CLOSE_WAIT, or a recv in the background on a connection with
 * something to read. A busy machine can keep a peer process off the CPU
 * for longer than the quiet time, and the kernel is quiet meanwhile. */
#include <string.h>

#include "play_internal.h"
#include "tcpclose/tcpstate.h"

#define TC__SETTLE_POLL_MS 10u

static uint64_t now_ms(void) { return (uint64_t)tc__now_us() / 1000u; }

/* Every socket of the case; role[i] and conn[i] name a connection's role
 * and number, role -1 for a listener. */
static size_t case_queries(const struct tc_play *play, struct tc_query *q, int *role, int *conn) {
  size_t n = 0;
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    const struct tc__link *l = &play->link[r];
    if (tc__check_query(l, TC_STATE_LISTEN, 0, &q[n])) role[n++] = -1;
    for (int c = 1; c <= l->nconns && n < TC__MAX_QUERIES; c++)
      if (tc__check_query(l, TC_STATE_ESTABLISHED, c, &q[n])) {
        role[n] = r;
        conn[n++] = c;
      }
  }
  return n;
}

static int retransmission_pending(const struct tc_sock *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i].timer == TC_TIMER_RETRANSMIT) return 1;
  return 0;
}

/* A recv still running in the background (`server recv eof then close &`)
 * on a connection with data or the end of stream to read returns as soon
 * as its peer process gets the CPU, and what it does next (a close) is
 * the case's: the case is not settled until it has. */
static int recv_about_to_return(const struct tc_play *play, const struct tc_sock *s,
                                const int *role, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (role[i] >= 0 && play->link[role[i]].recvs_pending > 0 &&
        (s[i].state == TC_STATE_CLOSE_WAIT || s[i].recvq > 0))
      return 1;
  return 0;
}

static int peers_behind(const struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    if (tc__link_behind(&play->link[r])) return 1;
  return 0;
}

static int same_sockets(const struct tc_sock *a, const struct tc_sock *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i].state != b[i].state || a[i].recvq != b[i].recvq || a[i].sendq != b[i].sendq) return 0;
  return 1;
}

/* A case that serves or churns has more connections than the runner
 * follows one by one: its sockets are also counted by state, each role's
 * in one dump, every TC__SETTLE_COUNT_EVERY polls (a dump walks the whole
 * table: not at every poll), with how many have a retransmission pending,
 * which holds settle as it does for the followed sockets. Returns 1 when
 * the counts changed. */
#define TC__SETTLE_COUNT_EVERY 5

static int many(const tc_case *c) {
  for (size_t i = 0; i < c->nsteps; i++)
    if (c->steps[i].kind == TC_STEP_ACTION &&
        (c->steps[i].u.act.action == TC_ACT_SERVE || c->steps[i].u.act.action == TC_ACT_CHURN))
      return 1;
  return 0;
}

/* Whether role r serves or churns connections that close once they have
 * read the end of stream: then its sockets in CLOSE_WAIT wait for its peer
 * process, not for the kernel, and a busy machine can keep that process
 * off the CPU for longer than the quiet time (a soak saw a settle end with
 * only 138 of 200 churned connections through to TIME_WAIT). */
static int closes_after_eof(const tc_case *c, int r) {
  for (size_t i = 0; i < c->nsteps; i++) {
    const struct tc_action_step *a = &c->steps[i].u.act;
    if (c->steps[i].kind != TC_STEP_ACTION || (int)a->role != r ||
        (a->action != TC_ACT_SERVE && a->action != TC_ACT_CHURN))
      continue;
    int eof = 0;
    for (size_t k = 0; k < a->conn.n; k++) {
      if (a->conn.act[k].op == TC_CONN_RECV && a->conn.act[k].recv == TC_RECV_EOF) eof = 1;
      if (a->conn.act[k].op == TC_CONN_CLOSE && eof) return 1;
    }
  }
  return 0;
}

static int counts_changed(struct tc_play *play, tc_err *err) {
  struct tc__settle *st = &play->settle;
  const struct tc__link *srv = &play->link[TC_SERVER];
  unsigned long now[TC_ROLE_COUNT][TC_STATE_COUNT];
  if (!srv->has_listener || !many(play->c) || st->polls % TC__SETTLE_COUNT_EVERY != 0) return 0;
  st->counted_pending = 0;
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    struct tc_count_query q = {.server = srv->listener, .role = r};
    struct tc_counts c;
    int rc = tc_observer_count(play->obs.snap, &q, &c, err);
    if (rc < 0) return rc;
    memcpy(now[r], c.state, sizeof c.state);
    if (!c.stable || c.retransmitting > 0 ||
        (c.state[TC_STATE_CLOSE_WAIT] > 0 && closes_after_eof(play->c, r)))
      st->counted_pending = 1;
  }
  int changed = memcmp(now, st->counts, sizeof now) != 0;
  memcpy(st->counts, now, sizeof now);
  return changed;
}

/* What quiet sockets do not show: the kernel or a peer has work pending
 * (see the top of this file). counted_pending is as of the last count. */
static int about_to_change(const struct tc_play *play, const struct tc_sock *s, const int *role,
                           size_t n) {
  return play->settle.counted_pending || retransmission_pending(s, n) ||
         recv_about_to_return(play, s, role, n) || peers_behind(play);
}

static void settle_poll(struct tc__ltimer *t) {
  struct tc_play *play = t->data;
  struct tc__settle *st = &play->settle;
  struct tc_query q[TC__MAX_QUERIES];
  struct tc_sock s[TC__MAX_QUERIES];
  int role[TC__MAX_QUERIES], conn[TC__MAX_QUERIES];
  tc_err err;
  size_t n = case_queries(play, q, role, conn);
  if (tc_observer_snapshot(play->obs.snap, q, n, s, &err) < 0) {
    tc__settle_stop(play);
    tc__play_fail(play, "settle: %s", err.msg);
    return;
  }
  for (size_t i = 0; i < n; i++)
    if (role[i] >= 0) tc__timeline_observed(play, role[i], conn[i], &s[i]);
  uint64_t now = now_ms();
  int changed = counts_changed(play, &err);
  if (changed < 0) {
    tc__settle_stop(play);
    tc__play_fail(play, "settle: %s", err.msg);
    return;
  }
  st->polls++;
  if (changed || n != st->nprev || !same_sockets(s, st->prev, n) ||
      about_to_change(play, s, role, n))
    st->quiet_since_ms = now;
  memcpy(st->prev, s, n * sizeof *s);
  st->nprev = n;
  int at_max = now - st->start_ms >= st->max_ms;
  if (now - st->quiet_since_ms < TC_SETTLE_QUIET_MS && !at_max) return;
  struct tc_settle_end end = {.line = st->line,
                              .at_max = now - st->quiet_since_ms < TC_SETTLE_QUIET_MS,
                              .ms = (long)(now - st->start_ms)};
  tc_case_result_add_settle(play->res, &end);
  tc__settle_stop(play);
  tc__play_settled(play);
}

void tc__settle_start(struct tc_play *play, int line, unsigned max_ms) {
  struct tc__settle *st = &play->settle;
  if (!st->poll.open && tc__ltimer_init(play->loop, &st->poll, &play->res->loop_lag_ms, play) < 0) {
    tc__play_fail(play, "settle: cannot start its timer");
    return;
  }
  st->start_ms = st->quiet_since_ms = now_ms();
  st->max_ms = max_ms;
  st->line = line;
  st->nprev = (size_t)-1; /* the first poll always counts as a change */
  st->polls = 0;
  memset(st->counts, 0, sizeof st->counts);
  st->counted_pending = 0;
  tc__ltimer_start(&st->poll, settle_poll, 0, TC__SETTLE_POLL_MS);
}

void tc__settle_stop(struct tc_play *play) { tc__ltimer_stop(&play->settle.poll); }
