/* play_check.c - checkpoints against the kernel (a snapshot of the socket
 * they are about) and the peers (what their replies said). No state of its
 * own: each check is added to the results. */
#include <stdio.h>
#include <string.h>

#include "play_internal.h"
#include "tcpclose/observe_tcpext.h"
#include "tcpclose/tcpstate.h"

/* The socket a state checkpoint is about: the listener for LISTEN, else the
 * role's connection `conn` (0: the latest). Returns 0 when there is none. */
int tc__check_query(const struct tc__link *l, int state, int conn, struct tc_query *q) {
  const struct tc_tuple *t = tc__link_conn(l, conn);
  memset(q, 0, sizeof *q);
  if (state == TC_STATE_LISTEN ? !l->has_listener : t == NULL) return 0;
  q->listener = state == TC_STATE_LISTEN;
  if (q->listener)
    q->tuple.local = l->listener;
  else
    q->tuple = *t;
  return 1;
}

static void describe(const struct tc_sock *s, char *buf, size_t len, int with_timer) {
  if (s->state == TC_STATE_GONE)
    snprintf(buf, len, "gone");
  else if (with_timer)
    snprintf(buf, len, "%s recvq=%u sendq=%u timer=%s left=%ldms", tc_state_name(s->state),
             s->recvq, s->sendq, tc_timer_name(s->timer), s->timer_ms);
  else
    snprintf(buf, len, "%s recvq=%u sendq=%u", tc_state_name(s->state), s->recvq, s->sendq);
}

static int queue_ok(long want, int more, uint32_t got) {
  return want == TC_QUEUE_ANY || (more ? (long)got > want : (long)got == want);
}

static void skip_check(struct tc_play *play, const struct tc_step *st, const char *why) {
  tc_case_result_add_check(play->res, st->line, st->text, why, 0, NULL);
  tc_case_result_skip_last(play->res);
}

/* since=DIR:FLAGS: milliseconds from the last such segment to now; -1 when
 * the wire showed none. */
static long since_ms(struct tc_play *play, const struct tc_wire_token *t) {
  const tc_case_result *r = play->res;
  tc__timeline_poll(play);
  for (size_t i = r->nsegments; i-- > 0;)
    if (r->segments[i].from == (int)t->from && strcmp(r->segments[i].flags, t->flags) == 0)
      return (long)((tc__now_us() - play->t0_us - r->segments[i].t_us) / 1000);
  return -1;
}

/* Whether the time left passes left> and left<: counted from now, or with
 * since=, from the segment, whose time is then added and said. */
static int left_ok(struct tc_play *play, const struct tc_expect_step *e, const struct tc_sock *s,
                   char *seen, size_t len) {
  long left = s->timer_ms;
  if (e->has_since && s->state != TC_STATE_GONE) {
    long ago = since_ms(play, &e->since);
    if (ago < 0) {
      snprintf(seen + strlen(seen), len - strlen(seen), " (no %s %s on the wire)",
               e->since.from == TC_CLIENT ? "c>s" : "s>c", e->since.flags);
      return 0;
    }
    left += ago;
    snprintf(seen + strlen(seen), len - strlen(seen), " +%ldms since %s %s = %ldms", ago,
             e->since.from == TC_CLIENT ? "c>s" : "s>c", e->since.flags, left);
  }
  return (e->left_min_ms < 0 || left > e->left_min_ms) &&
         (e->left_max_ms < 0 || left < e->left_max_ms);
}

static void check_state(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  char why[160];
  if ((e->left_min_ms >= 0 || e->left_max_ms >= 0) && !tc_observer_has_timers(play->obs.snap)) {
    snprintf(why, sizeof why, "skipped: observer %s shows no timers",
             tc_observer_name(play->obs.snap));
    skip_check(play, st, why);
    return;
  }
  if (e->has_since && play->res->wire_by.name == NULL) {
    snprintf(why, sizeof why, "skipped: since= needs the wire: %s",
             play->res->wire_by.why_not ? play->res->wire_by.why_not : "no capture");
    skip_check(play, st, why);
    return;
  }
  struct tc_query q;
  struct tc_sock s = {.state = TC_STATE_GONE};
  tc_err err;
  if (tc__check_query(&play->link[e->role], e->state, e->conn, &q) &&
      tc_observer_snapshot(play->obs.snap, &q, 1, &s, &err) < 0) {
    tc__play_fail(play, "line %d: %s", st->line, err.msg);
    return;
  }
  const struct tc__link *l = &play->link[e->role];
  if (!q.listener && l->nconns > 0)
    tc__timeline_observed(play, e->role, e->conn ? e->conn : l->nconns, &s);
  char seen[256];
  describe(&s, seen, sizeof seen, e->left_min_ms >= 0 || e->left_max_ms >= 0);
  int pass = s.state == e->state && queue_ok(e->recvq, e->recvq_more, s.recvq) &&
             queue_ok(e->sendq, e->sendq_more, s.sendq) && left_ok(play, e, &s, seen, sizeof seen);
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass,
                           s.state == TC_STATE_GONE ? NULL : &s);
  if (e->observe_only) tc_case_result_observation_last(play->res);
}

/* expect ROLE exit N|none: the program's status as a shell gives it. */
static void check_exit(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  int got = tc__program_status(&play->program[e->role]);
  const struct tc__proc *p = &play->program[e->role].proc;
  char seen[64];
  if (got == TC_EXIT_NONE)
    snprintf(seen, sizeof seen, "none (still running)");
  else if (p->term_signal)
    snprintf(seen, sizeof seen, "%d (SIG%s)", got, tc_signal_name(p->term_signal));
  else
    snprintf(seen, sizeof seen, "%d", got);
  tc_case_result_add_check(play->res, st->line, st->text, seen, got == e->exit_status, NULL);
}

static int count_names(const struct tc_expect_step *e, int state) {
  for (size_t i = 0; i < e->ncount; i++)
    if ((int)e->count[i].state == state) return 1;
  return 0;
}

/* A count that failed also says where the role's other sockets were: a
 * soak's TIME_WAIT=185 of 200 left no trace of the other 15 (they had
 * been ended by SYNs on the same 4-tuples, it turned out). */
static void count_others(const struct tc_expect_step *e, const struct tc_counts *c, char *seen,
                         size_t n, size_t cap) {
  int others = 0;
  for (int st = 0; st < TC_STATE_COUNT && n < cap; st++) {
    if (c->state[st] == 0 || count_names(e, st)) continue;
    n += (size_t)snprintf(seen + n, cap - n, "%s%s=%lu", others++ ? " " : " (also ",
                          tc_state_name(st), c->state[st]);
  }
  if (others && n < cap) snprintf(seen + n, cap - n, ")");
}

/* ... and what the kernel counted in the case's namespace (fresh, so its
 * counters are the case's): sockets that left early (aborted, TIME_WAIT
 * recycled or never made), and the TIME_WAIT minisockets it holds now, by
 * its own tally rather than a walk of its tables: fewer than were made and
 * none recycled, they were ended early; as many as the dump should have
 * seen, the dump missed them. Without a namespace of its own the host's
 * counters would say nothing. */
static void count_kernel(const struct tc_play *play, char *seen, size_t cap) {
  struct tc_tcpext t;
  unsigned long long tw;
  char said[200] = "";
  pid_t ns = tc__holder_pid(&play->holder);
  size_t n = strlen(seen), m = 0;
  if (ns <= 0) return;
  if (tc_tcpext_read(ns, &t) == 0) m = tc_tcpext_format(&t, said, sizeof said);
  if (tc_sockstat_tw_read(ns, &tw) == 0 && m < sizeof said)
    snprintf(said + m, sizeof said - m, "%s%llu TIME_WAIT held now", m ? ", " : "", tw);
  if (said[0] != '\0' && n < cap) snprintf(seen + n, cap - n, " (kernel: %s)", said);
}

/* Judges each term on the count, writing "STATE=N ..." into seen. A term
 * "=tuples" is judged against the last churn's distinct 4-tuples, which
 * seen then gives: the kernel holds one socket per 4-tuple, and a churn's
 * connects can take a 4-tuple again (see peer_churn.c). */
static int judge_terms(const struct tc_play *play, const struct tc_expect_step *e,
                       const struct tc_counts *c, char *seen, size_t cap) {
  const struct tc_churn_stats *ch = &play->res->churn;
  int pass = 1, tuples = 0;
  size_t n = 0;
  for (size_t i = 0; i < e->ncount && n < cap; i++) {
    struct tc_count_term t = e->count[i];
    if (t.tuples) t.n = ch->tuples, tuples = 1;
    pass &= tc_count_holds(&t, c->state[t.state]) && (!t.tuples || ch->line > 0);
    n += (size_t)snprintf(seen + n, cap - n, "%s%s=%lu", i ? " " : "", tc_state_name(t.state),
                          c->state[t.state]);
  }
  if (tuples && n < cap && ch->line > 0)
    snprintf(seen + n, cap - n, " (tuples=%lu)", ch->tuples);
  else if (tuples && n < cap)
    snprintf(seen + n, cap - n, " (no churn answered: no tuples)");
  return pass;
}

/* expect ROLE count STATE=N ...: one kernel-filtered count of the role's
 * sockets by the server's port, each term judged on it. */
static void check_count(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  const struct tc__link *srv = &play->link[TC_SERVER];
  struct tc_counts counts;
  char seen[512] = "";
  tc_err err;
  if (!srv->has_listener) {
    tc__play_fail(play, "line %d: count needs the server's port: the server never listened",
                  st->line);
    return;
  }
  struct tc_count_query q = {.server = srv->listener, .role = (int)e->role};
  if (tc_observer_count(play->obs.snap, &q, &counts, &err) < 0) {
    tc__play_fail(play, "line %d: %s", st->line, err.msg);
    return;
  }
  int pass = judge_terms(play, e, &counts, seen, sizeof seen);
  size_t n = strlen(seen);
  /* Sockets that never read the same twice were moving: no count of them
   * is the kernel's answer, whatever it says. */
  if (!counts.stable && n < sizeof seen)
    n += (size_t)snprintf(seen + n, sizeof seen - n,
                          " (still changing: %u readings, no two in a row alike)", counts.readings);
  pass &= counts.stable;
  if (!pass) count_others(e, &counts, seen, strlen(seen), sizeof seen);
  if (!pass) count_kernel(play, seen, sizeof seen);
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass, NULL);
}

/* expect ROLE churn ok=N [failed=N]: the role's last churn. */
static void check_churn(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  const struct tc__link *l = &play->link[e->role];
  char seen[96];
  if (play->res->churn.line == 0) {
    tc_case_result_add_check(play->res, st->line, st->text, "no churn", 0, NULL);
    return;
  }
  snprintf(seen, sizeof seen, "ok=%lu failed=%lu", l->churn.ok, l->churn.failed);
  int pass = l->churn.ok == e->churn_ok &&
             (e->churn_failed < 0 || l->churn.failed == (unsigned long)e->churn_failed);
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass, NULL);
}

/* expect ROLE error ERRNO after a churn: one of its failures had it
 * (none: it had no failure). Seen: each errno with its count. */
static void check_churn_error(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  const struct tc_churn_stats *c = &play->res->churn;
  char seen[256] = "none";
  int pass = e->err == 0 && c->nerrs == 0;
  size_t n = 0;
  for (size_t i = 0; i < c->nerrs && n < sizeof seen; i++) {
    n += (size_t)snprintf(seen + n, sizeof seen - n, "%s%s=%lu", i ? " " : "", c->errs[i].name,
                          c->errs[i].n);
    if (e->err != 0 && tc_errno_name(e->err) && strcmp(tc_errno_name(e->err), c->errs[i].name) == 0)
      pass = 1;
  }
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass, NULL);
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
  case TC_EXPECT_STATE: check_state(play, st); return;
  case TC_EXPECT_EXIT: check_exit(play, st); return;
  case TC_EXPECT_COUNT: check_count(play, st); return;
  case TC_EXPECT_CHURN: check_churn(play, st); return;
  case TC_EXPECT_PATH:
  case TC_EXPECT_RESET:
  case TC_EXPECT_WIRE: tc__check_timeline(play, st); return;
  case TC_EXPECT_ERROR: {
    if (l->churned) {
      check_churn_error(play, st);
      return;
    }
    const char *name = l->last_err ? tc_errno_name(l->last_err) : "none";
    if (name)
      snprintf(seen, sizeof seen, "%s", name);
    else
      snprintf(seen, sizeof seen, "errno %d", l->last_err);
    tc_case_result_add_check(play->res, st->line, st->text, seen, l->last_err == e->err, NULL);
    return;
  }
  case TC_EXPECT_RECEIVED:
    snprintf(seen, sizeof seen, "%zu", l->received);
    tc_case_result_add_check(play->res, st->line, st->text, seen, (long)l->received == e->recvq,
                             NULL);
    return;
  case TC_EXPECT_EOF:
    tc_case_result_add_check(play->res, st->line, st->text, l->eof ? "eof" : "no eof", l->eof,
                             NULL);
    return;
  }
}
