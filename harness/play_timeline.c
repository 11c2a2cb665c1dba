/* play_timeline.c - the whole story of a case's close: every transition of
 * each role's connection and every segment on the wire.
 *
 * Transitions come from tracepoints (trace.h), which tell everything a full
 * socket does but nothing of the timewait mini-socket that replaces it: the
 * kernel shows FIN_WAIT2 -> CLOSE while the connection lives on as a
 * TIME_WAIT (or orphaned FIN_WAIT2) mini-socket. So a trace "X -> CLOSE" is
 * held until a snapshot taken after it says what took over (a mini-socket's
 * state, or nothing: gone), and from then on snapshots alone follow the
 * mini-socket to its end. Segments come from the wire capture (wire.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "play_internal.h"
#include "tcpclose/tcpstate.h"

int64_t tc__now_us(void) { return (int64_t)(uv_hrtime() / 1000u); }

void tc__timeline_line(struct tc_play *play, int64_t t_us, const char *fmt, ...) {
  if (play->opts.on_line == NULL) return;
  char line[512];
  int n = snprintf(line, sizeof line, "  %9.3f ms  ", (double)(t_us - play->t0_us) / 1000.0);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  play->opts.on_line(line, play->opts.line_arg);
}

void tc__timeline_init(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++) play->tl[r].state = TC_STATE_GONE;
  play->t0_us = tc__now_us();
}

static void emit(struct tc_play *play, int role, int64_t t_us, int from, int to, const char *source) {
  struct tc_transition t = {.t_us = (long)(t_us - play->t0_us), .role = role, .from = from, .to = to,
                            .source = source};
  tc_case_result_add_transition(play->res, &t);
  play->tl[role].state = to;
  tc__timeline_line(play, t_us, "%-7s %s -> %s", tc_role_name((enum tc_role)role),
                    tc_state_name(from), tc_state_name(to));
}

/* Which role's connection a socket tuple is; -1 when neither's. */
static int role_of(const struct tc_play *play, const struct tc_tuple *t) {
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    const struct tc__link *l = &play->link[r];
    if (l->has_conn && tc_addr_equal(&l->conn.local, &t->local) &&
        tc_addr_equal(&l->conn.remote, &t->remote))
      return r;
  }
  return -1;
}

static void apply_state(struct tc_play *play, int r, const struct tc_trace_event *e) {
  struct tc__role_timeline *tl = &play->tl[r];
  if (e->to == TC_STATE_ESTABLISHED) tl->established = 1;
  if (e->to == TC_STATE_CLOSE) { /* wait for what takes over */
    tl->closing = 1;
    tl->close_us = e->t_us;
    tl->state = e->from;
    return;
  }
  emit(play, r, e->t_us, e->from, e->to, "trace");
}

static void apply_event(struct tc_play *play, int r, const struct tc_trace_event *e) {
  switch (e->kind) {
  case TC_TRACE_STATE:
    apply_state(play, r, e);
    break;
  case TC_TRACE_SEND_RESET:
    snprintf(play->tl[r].reset_reason, sizeof play->tl[r].reset_reason, "%s",
             e->reason[0] ? e->reason : "NOT_SPECIFIED");
    tc__timeline_line(play, e->t_us, "%-7s sends RST (%s)", tc_role_name((enum tc_role)r),
                      play->tl[r].reset_reason);
    break;
  case TC_TRACE_RECV_RESET:
    tc__timeline_line(play, e->t_us, "%-7s receives RST", tc_role_name((enum tc_role)r));
    break;
  case TC_TRACE_DESTROY:
    break;
  }
}

/* Events of a connection the runner does not know yet (the client's
 * handshake before its connect answer arrives) wait for the next poll. */
static void drain_trace(struct tc_play *play) {
  size_t n;
  tc_err err;
  if (play->trace == NULL || tc_trace_poll(play->trace, &err) < 0) return;
  const struct tc_trace_event *ev = tc_trace_events(play->trace, &n);
  for (; play->trace_seen < n; play->trace_seen++) {
    const struct tc_trace_event *e = &ev[play->trace_seen];
    int r = role_of(play, &e->tuple);
    if (r < 0 && !play->link[TC_CLIENT].has_conn) return;
    if (r >= 0) apply_event(play, r, e);
  }
}

static void drain_wire(struct tc_play *play) {
  size_t n;
  tc_err err;
  if (play->wire == NULL || tc_wire_poll(play->wire, &err) < 0) return;
  const struct tc_segment *seg = tc_wire_segments(play->wire, &n);
  uint16_t server_port = play->link[TC_SERVER].listener.port;
  for (; play->wire_seen < n; play->wire_seen++) {
    const struct tc_segment *s = &seg[play->wire_seen];
    struct tc_wire_seg w = {.t_us = (long)(s->t_us - play->t0_us),
                            .from = s->src.port == server_port ? TC_SERVER : TC_CLIENT,
                            .sport = s->src.port, .dport = s->dst.port,
                            .seq = s->seq, .ack = s->ack, .len = s->len};
    snprintf(w.flags, sizeof w.flags, "%s", s->flags);
    tc_case_result_add_segment(play->res, &w);
    tc__timeline_line(play, s->t_us, "wire    %s %-4s seq %u ack %u len %u",
                      w.from == TC_CLIENT ? "c>s" : "s>c", w.flags, s->seq, s->ack, s->len);
  }
}

/* A snapshot of a role's connection, taken at `now`. It settles a held
 * "X -> CLOSE" (the snapshot came after it) and follows mini-sockets. */
static void observed_at(struct tc_play *play, int r, const struct tc_sock *s, int64_t now) {
  struct tc__role_timeline *tl = &play->tl[r];
  const char *src = play->res->observer ? play->res->observer : "snapshot";
  if (tl->closing && now > tl->close_us) {
    tl->closing = 0;
    tl->mini = s->state != TC_STATE_GONE;
    if (s->state != tl->state) emit(play, r, tl->close_us, tl->state, s->state, "trace");
  } else if (tl->mini && s->state != tl->state) {
    tl->mini = s->state != TC_STATE_GONE;
    emit(play, r, now, tl->state, s->state, src);
  }
}

void tc__timeline_observed(struct tc_play *play, int role, const struct tc_sock *s) {
  if (play->trace != NULL) observed_at(play, role, s, tc__now_us());
}

/* Snapshots the connections whose fate only polling can tell. */
static void poll_mini_sockets(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    const struct tc__link *l = &play->link[r];
    if (!l->has_conn || (!play->tl[r].closing && !play->tl[r].mini) || play->obs == NULL) continue;
    struct tc_query q = {.tuple = l->conn};
    struct tc_sock s;
    tc_err err;
    int64_t now = tc__now_us();
    if (tc_observer_snapshot(play->obs, &q, 1, &s, &err) == 0) observed_at(play, r, &s, now);
  }
}

void tc__timeline_poll(struct tc_play *play) {
  drain_trace(play);
  drain_wire(play);
  poll_mini_sockets(play);
}

static void tl_tick(uv_timer_t *t) { tc__timeline_poll(t->data); }

/* Starts both observers on the server's port, once it listens. A source
 * that cannot run here is recorded with why, and its checks are skipped. */
static int open_wire(struct tc_play *play, tc_err *err) {
  return tc_wire_open(play->link[TC_SERVER].listener.port, &play->wire, err);
}

void tc__timeline_open(struct tc_play *play, uint16_t port) {
  tc_err err;
  if (play->trace != NULL || play->wire != NULL) return; /* a second listen */
  if (tc_trace_open(port, &play->trace, &err) == 0) play->res->transitions_by.name = "tracefs";
  else play->res->transitions_by.why_not = strdup(err.msg);
  /* the capture must see the loopback of the case's namespace */
  if (tc__in_netns(play, open_wire, &err) == 0) play->res->wire_by.name = "pcap";
  else play->res->wire_by.why_not = strdup(err.msg);
  if ((play->trace || play->wire) && uv_timer_init(play->loop, &play->tl_timer) == 0) {
    play->tl_timer_open = 1;
    play->tl_timer.data = play;
    uv_timer_start(&play->tl_timer, tl_tick, TC__TIMELINE_POLL_MS, TC__TIMELINE_POLL_MS);
  }
}

/* Last poll, so that the end of the close is in, then the observers go. */
void tc__timeline_close(struct tc_play *play) {
  if (play->tl_timer_open) uv_timer_stop(&play->tl_timer);
  tc__timeline_poll(play);
  tc_trace_close(play->trace);
  tc_wire_close(play->wire);
  play->trace = NULL;
  play->wire = NULL;
}
