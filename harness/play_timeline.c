/* play_timeline.c - the whole story of a case's close: every transition of
 * each role's connection and every segment on the wire, into the results
 * and onto the live timeline. Owns struct tc__timeline.
 *
 * Transitions come from tracepoints (trace.h), which tell everything a full
 * socket does but nothing of the timewait mini-socket that replaces it: the
 * kernel shows FIN_WAIT2 -> CLOSE while the connection lives on as a
 * TIME_WAIT (or orphaned FIN_WAIT2) mini-socket. So a trace "X -> CLOSE" is
 * held until a snapshot taken after it says what took over (a mini-socket's
 * state, or nothing: gone), and from then on snapshots alone follow the
 * mini-socket to its end. Segments come from the wire capture (wire.h).
 * Both are drained every 25 ms, at each checkpoint and at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "play_internal.h"
#include "tcpclose/tcpstate.h"

#define TC__TIMELINE_POLL_MS 25u
/* An event is in the trace's buffer a little after it happened (another
 * CPU may still be writing it while a poll reads): lines wait that much
 * longer than the poll's start before they print. */
#define TC__LINES_SLACK_US 2000

void tc__timeline_init(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    for (int c = 0; c < TC__MAX_CONNS; c++) play->tl.conn[r][c].state = TC_STATE_GONE;
}

static void emit(struct tc_play *play, int role, int conn, int64_t t_us, int from, int to,
                 const char *source) {
  struct tc_transition t = {.t_us = (long)(t_us - play->t0_us),
                            .role = role,
                            .conn = conn,
                            .from = from,
                            .to = to,
                            .source = source};
  tc_case_result_add_transition(play->res, &t);
  play->tl.conn[role][conn - 1].state = to;
  tc__lines_add(&play->lines, t_us, "%-7s %s -> %s%s", tc_role_name((enum tc_role)role),
                tc_state_name(from), tc_state_name(to), conn > 1 ? "  (connection 2+)" : "");
}

static void apply_state(struct tc_play *play, int r, int c, const struct tc_trace_event *e) {
  struct tc__role_timeline *tl = &play->tl.conn[r][c - 1];
  if (e->to == TC_STATE_ESTABLISHED) tl->established = 1;
  if (e->to == TC_STATE_CLOSE) { /* wait for what takes over */
    tl->closing = 1;
    tl->close_us = e->t_us;
    tl->state = e->from;
    return;
  }
  emit(play, r, c, e->t_us, e->from, e->to, "trace");
}

static void apply_event(struct tc_play *play, int r, int c, const struct tc_trace_event *e) {
  char *reason = play->tl.reset_reason[r];
  switch (e->kind) {
  case TC_TRACE_STATE: apply_state(play, r, c, e); break;
  case TC_TRACE_SEND_RESET:
    snprintf(reason, sizeof play->tl.reset_reason[r], "%s",
             e->reason[0] ? e->reason : "NOT_SPECIFIED");
    tc__lines_add(&play->lines, e->t_us, "%-7s sends RST (%s)", tc_role_name((enum tc_role)r),
                  reason);
    break;
  case TC_TRACE_RECV_RESET:
    tc__lines_add(&play->lines, e->t_us, "%-7s receives RST", tc_role_name((enum tc_role)r));
    break;
  case TC_TRACE_DESTROY: break;
  }
}

static int connects_pending(const struct tc_play *play) {
  return play->link[TC_CLIENT].connects_pending + play->link[TC_SERVER].connects_pending;
}

/* An event of a connection the runner does not know yet (a handshake whose
 * connect answer is still on its way) holds the events after it until it
 * can be placed, for a while. Only then: any other event the filter let
 * through is another namespace's socket on the same port number (cases run
 * side by side, each namespace has its own ports) and is not the case's. */
#define TC__UNPLACED_WAIT_US 500000

static void drain_trace(struct tc_play *play) {
  struct tc__timeline *tl = &play->tl;
  size_t n;
  tc_err err;
  if (tl->trace == NULL) return;
  int rc = tc_trace_poll(tl->trace, &err);
  if (rc < 0 && rc != -ENOBUFS) return; /* ENOBUFS: some were lost; use what came */
  const struct tc_trace_event *ev = tc_trace_events(tl->trace, &n);
  for (; tl->trace_seen < n; tl->trace_seen++) {
    const struct tc_trace_event *e = &ev[tl->trace_seen];
    int c, r = tc__links_owner(play->link, &e->tuple, &c);
    if (r >= 0)
      apply_event(play, r, c, e);
    else if (connects_pending(play) > 0 && tc__now_us() - e->t_us < TC__UNPLACED_WAIT_US)
      return;
  }
}

static void drain_wire(struct tc_play *play) {
  struct tc__timeline *tl = &play->tl;
  size_t n;
  tc_err err;
  /* -EBADMSG: a frame could not be decoded; the others are kept */
  if (tl->wire == NULL) return;
  int rc = tc_wire_poll(tl->wire, &err);
  if (rc < 0 && rc != -EBADMSG) return;
  const struct tc_segment *seg = tc_wire_segments(tl->wire, &n);
  uint16_t server_port = play->link[TC_SERVER].listener.port;
  for (; tl->wire_seen < n; tl->wire_seen++) {
    const struct tc_segment *s = &seg[tl->wire_seen];
    struct tc_wire_seg w = {.t_us = (long)(s->t_us - play->t0_us),
                            .from = s->src.port == server_port ? TC_SERVER : TC_CLIENT,
                            .sport = s->src.port,
                            .dport = s->dst.port,
                            .seq = s->seq,
                            .ack = s->ack,
                            .len = s->len,
                            .injected = s->ttl == TC_INJECT_TTL};
    snprintf(w.flags, sizeof w.flags, "%s", s->flags);
    tc_case_result_add_segment(play->res, &w);
    tc__lines_add(&play->lines, s->t_us, "wire    %s %-4s seq %u ack %u len %u%s",
                  w.from == TC_CLIENT ? "c>s" : "s>c", w.flags, s->seq, s->ack, s->len,
                  w.injected ? " (injected)" : "");
  }
}

/* A snapshot of a connection, taken at `now`. It settles a held
 * "X -> CLOSE" (the snapshot came after it) and follows mini-sockets. */
static void observed_at(struct tc_play *play, int r, int c, const struct tc_sock *s, int64_t now) {
  struct tc__role_timeline *tl = &play->tl.conn[r][c - 1];
  const char *src = play->res->observer ? play->res->observer : "snapshot";
  if (tl->closing && now > tl->close_us) {
    tl->closing = 0;
    tl->mini = s->state != TC_STATE_GONE;
    if (s->state != tl->state) emit(play, r, c, tl->close_us, tl->state, s->state, "trace");
  } else if (tl->mini && s->state != tl->state) {
    tl->mini = s->state != TC_STATE_GONE;
    emit(play, r, c, now, tl->state, s->state, src);
  }
}

void tc__timeline_observed(struct tc_play *play, int role, int conn, const struct tc_sock *s) {
  if (play->tl.trace != NULL) observed_at(play, role, conn, s, tc__now_us());
}

/* Snapshots, in one call, the connections whose fate only polling can
 * tell (a held "X -> CLOSE", or a mini-socket being followed). */
static void poll_mini_sockets(struct tc_play *play) {
  struct tc_query q[TC__MAX_QUERIES];
  struct tc_sock s[TC__MAX_QUERIES];
  int role[TC__MAX_QUERIES], conn[TC__MAX_QUERIES];
  size_t n = 0;
  tc_err err;
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    for (int c = 1; c <= play->link[r].nconns; c++) {
      const struct tc__role_timeline *tl = &play->tl.conn[r][c - 1];
      if (!tl->closing && !tl->mini) continue;
      q[n] = (struct tc_query){.tuple = play->link[r].conns[c - 1]};
      role[n] = r;
      conn[n++] = c;
    }
  int64_t now = tc__now_us();
  if (n == 0 || play->obs.snap == NULL || tc_observer_snapshot(play->obs.snap, q, n, s, &err) < 0)
    return;
  for (size_t i = 0; i < n; i++) observed_at(play, role[i], conn[i], &s[i], now);
}

/* How far the live timeline may print: up to where the sources were read,
 * but not past a held "X -> CLOSE", whose line comes only when resolved. */
static int64_t read_up_to(const struct tc_play *play, int64_t poll_start) {
  int64_t upto = poll_start - TC__LINES_SLACK_US;
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    for (int c = 0; c < play->link[r].nconns && c < TC__MAX_CONNS; c++)
      if (play->tl.conn[r][c].closing && play->tl.conn[r][c].close_us <= upto)
        upto = play->tl.conn[r][c].close_us - 1;
  return upto;
}

void tc__timeline_poll(struct tc_play *play) {
  int64_t start = tc__now_us();
  struct tc_source_counts *c = &play->res->sources;
  drain_trace(play);
  drain_wire(play);
  poll_mini_sockets(play);
  if (play->tl.trace) tc_trace_counts(play->tl.trace, &c->trace_read, &c->trace_lost);
  if (play->tl.wire) tc_wire_counts(play->tl.wire, &c->wire_read, &c->wire_lost);
  tc__lines_release(&play->lines, read_up_to(play, start));
}

static void tick(struct tc__ltimer *t) { tc__timeline_poll(t->data); }

void tc__timeline_start(struct tc_play *play, tc_trace *trace, tc_wire *wire) {
  play->tl.trace = trace;
  play->tl.wire = wire;
  if (trace == NULL && wire == NULL) return;
  play->lines.ordered = 1;
  if (tc__ltimer_init(play->loop, &play->tl.tick, &play->res->loop_lag_ms, play) == 0)
    tc__ltimer_start(&play->tl.tick, tick, TC__TIMELINE_POLL_MS, TC__TIMELINE_POLL_MS);
}

/* Last poll, so that the end of the close is in, then the sources go. */
void tc__timeline_stop(struct tc_play *play) {
  tc__ltimer_stop(&play->tl.tick);
  tc__timeline_poll(play);
  tc__observe_close_sources(play, play->tl.trace, play->tl.wire);
  play->tl.trace = NULL;
  play->tl.wire = NULL;
}
