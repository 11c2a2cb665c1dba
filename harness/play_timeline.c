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
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "netns.h"
#include "play_internal.h"
#include "tcpclose/tcpstate.h"

int64_t tc__now_us(void) { return (int64_t)(uv_hrtime() / 1000u); }

void tc__timeline_line(struct tc_play *play, int64_t t_us, const char *fmt, ...) {
  if (play->opts.on_line == NULL) return;
  char line[TC__LINE_MAX];
  int n = snprintf(line, sizeof line, "  %9.3f ms  ", (double)(t_us - play->t0_us) / 1000.0);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (play->batch != NULL && play->nbatch < TC__BATCH_MAX) {
    struct tc__line *l = &play->batch[play->nbatch++];
    l->t_us = t_us;
    memcpy(l->text, line, sizeof line);
    return;
  }
  play->opts.on_line(line, play->opts.line_arg);
}

static int by_time(const void *a, const void *b) {
  const struct tc__line *x = a, *y = b;
  return (x->t_us > y->t_us) - (x->t_us < y->t_us);
}

/* Prints a poll's lines (transitions, resets, segments) in time order. */
static void flush_batch(struct tc_play *play) {
  struct tc__line *batch = play->batch;
  play->batch = NULL;
  qsort(batch, play->nbatch, sizeof *batch, by_time);
  for (size_t i = 0; i < play->nbatch; i++) play->opts.on_line(batch[i].text, play->opts.line_arg);
  play->nbatch = 0;
}

void tc__timeline_init(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    for (int c = 0; c < TC__MAX_CONNS; c++) play->tl[r][c].state = TC_STATE_GONE;
  play->t0_us = tc__now_us();
}

static void emit(struct tc_play *play, int role, int conn, int64_t t_us, int from, int to,
                 const char *source) {
  struct tc_transition t = {.t_us = (long)(t_us - play->t0_us), .role = role, .conn = conn,
                            .from = from, .to = to, .source = source};
  tc_case_result_add_transition(play->res, &t);
  play->tl[role][conn - 1].state = to;
  tc__timeline_line(play, t_us, "%-7s %s -> %s%s", tc_role_name((enum tc_role)role),
                    tc_state_name(from), tc_state_name(to), conn > 1 ? "  (connection 2+)" : "");
}

/* Which role's connection a socket tuple is: the role, and its number in
 * *conn (1 = the first); -1 when none of the case's. */
static int owner_of(const struct tc_play *play, const struct tc_tuple *t, int *conn) {
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    const struct tc__link *l = &play->link[r];
    for (int c = 0; c < l->nconns; c++)
      if (tc_addr_equal(&l->conns[c].local, &t->local) && tc_addr_equal(&l->conns[c].remote, &t->remote)) {
        *conn = c + 1;
        return r;
      }
  }
  return -1;
}

static void apply_state(struct tc_play *play, int r, int c, const struct tc_trace_event *e) {
  struct tc__role_timeline *tl = &play->tl[r][c - 1];
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
  char *reason = play->reset_reason[r];
  switch (e->kind) {
  case TC_TRACE_STATE:
    apply_state(play, r, c, e);
    break;
  case TC_TRACE_SEND_RESET:
    snprintf(reason, sizeof play->reset_reason[r], "%s", e->reason[0] ? e->reason : "NOT_SPECIFIED");
    tc__timeline_line(play, e->t_us, "%-7s sends RST (%s)", tc_role_name((enum tc_role)r), reason);
    break;
  case TC_TRACE_RECV_RESET:
    tc__timeline_line(play, e->t_us, "%-7s receives RST", tc_role_name((enum tc_role)r));
    break;
  case TC_TRACE_DESTROY:
    break;
  }
}

/* An event of a connection the runner does not know yet (a handshake whose
 * connect answer is still on its way) holds the events after it until it
 * can be placed, for a while. Only then: any other event the filter let
 * through is another namespace's socket on the same port number (cases run
 * side by side, each namespace has its own ports) and is not the case's. */
#define TC__UNPLACED_WAIT_US 500000

static void drain_trace(struct tc_play *play) {
  size_t n;
  tc_err err;
  if (play->trace == NULL) return;
  int rc = tc_trace_poll(play->trace, &err);
  if (rc < 0 && rc != -ENOBUFS) return; /* ENOBUFS: some were lost; use what came */
  const struct tc_trace_event *ev = tc_trace_events(play->trace, &n);
  for (; play->trace_seen < n; play->trace_seen++) {
    const struct tc_trace_event *e = &ev[play->trace_seen];
    int c, r = owner_of(play, &e->tuple, &c);
    if (r >= 0) apply_event(play, r, c, e);
    else if (play->connects_pending > 0 && tc__now_us() - e->t_us < TC__UNPLACED_WAIT_US) return;
  }
}

static void drain_wire(struct tc_play *play) {
  size_t n;
  tc_err err;
  /* -EBADMSG: a frame could not be decoded; the others are kept */
  if (play->wire == NULL) return;
  int rc = tc_wire_poll(play->wire, &err);
  if (rc < 0 && rc != -EBADMSG) return;
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

/* A snapshot of a connection, taken at `now`. It settles a held
 * "X -> CLOSE" (the snapshot came after it) and follows mini-sockets. */
static void observed_at(struct tc_play *play, int r, int c, const struct tc_sock *s, int64_t now) {
  struct tc__role_timeline *tl = &play->tl[r][c - 1];
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
  if (play->trace != NULL) observed_at(play, role, conn, s, tc__now_us());
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
      const struct tc__role_timeline *tl = &play->tl[r][c - 1];
      if (!tl->closing && !tl->mini) continue;
      q[n] = (struct tc_query){.tuple = play->link[r].conns[c - 1]};
      role[n] = r;
      conn[n++] = c;
    }
  int64_t now = tc__now_us();
  if (n == 0 || play->obs == NULL || tc_observer_snapshot(play->obs, q, n, s, &err) < 0) return;
  for (size_t i = 0; i < n; i++) observed_at(play, role[i], conn[i], &s[i], now);
}

void tc__timeline_poll(struct tc_play *play) {
  struct tc__line batch[TC__BATCH_MAX];
  int collect = play->opts.on_line != NULL && play->batch == NULL;
  if (collect) play->batch = batch;
  drain_trace(play);
  drain_wire(play);
  poll_mini_sockets(play);
  if (collect) flush_batch(play);
}

static void tl_tick(struct tc__ltimer *t) { tc__timeline_poll(t->data); }

/* Starts both observers on the server's port, once it listens. A source
 * that cannot run here is recorded with why, and its checks are skipped. */
/* Opening a tracefs instance takes a good part of a second and closing it
 * tens of milliseconds, and every case of a run shares this loop: both are
 * done on libuv's threadpool, so that other cases' steps keep their timing.
 * A pending work holds the play (open_handles) until it is back. */
struct tl_work {
  uv_work_t req;
  struct tc_play *play;
  uint16_t port;
  pid_t netns_pid;   /* the holder, 0 for none */
  tc_trace *trace;
  tc_wire *wire;
  int trc, wrc;
  tc_err terr, werr;
};

/* Worker thread: the capture must see the loopback of the case's
 * namespace; setns() moves this thread only, and it is moved back. */
static void open_work(uv_work_t *req) {
  struct tl_work *w = req->data;
  int old = -1;
  w->trc = tc_trace_open(w->port, &w->trace, &w->terr);
  w->wrc = w->netns_pid ? tc__netns_join(w->netns_pid, &old, &w->werr) : 0;
  if (w->wrc == 0) w->wrc = tc_wire_open(w->port, &w->wire, &w->werr);
  if (old >= 0) tc__netns_leave(old);
}

static void close_work(uv_work_t *req) {
  struct tl_work *w = req->data;
  tc_trace_close(w->trace);
  tc_wire_close(w->wire);
}

static void close_done(uv_work_t *req, int status) {
  struct tl_work *w = req->data;
  (void)status;
  tc__play_release(w->play);
  free(w);
}

static void queue_close(struct tc_play *play, tc_trace *trace, tc_wire *wire) {
  struct tl_work *w = calloc(1, sizeof *w);
  if (w == NULL) { /* no memory for the work: close here, slowly */
    tc_trace_close(trace);
    tc_wire_close(wire);
    return;
  }
  *w = (struct tl_work){.req.data = w, .play = play, .trace = trace, .wire = wire};
  play->open_handles++;
  if (uv_queue_work(play->loop, &w->req, close_work, close_done) < 0) {
    close_work(&w->req);
    close_done(&w->req, 0);
  }
}

static void start_polling(struct tc_play *play) {
  if (tc__ltimer_init(play->loop, &play->tl_timer, &play->res->loop_lag_ms, play) < 0) return;
  tc__ltimer_start(&play->tl_timer, tl_tick, TC__TIMELINE_POLL_MS, TC__TIMELINE_POLL_MS);
}

/* Back on the loop: the listen step is complete once its observers are. */
static void open_done(uv_work_t *req, int status) {
  struct tl_work *w = req->data;
  struct tc_play *play = w->play;
  (void)status;
  play->opening = 0;
  if (w->trc == 0) play->res->transitions_by.name = "tracefs";
  else play->res->transitions_by.why_not = strdup(w->terr.msg);
  if (w->wrc == 0) play->res->wire_by.name = "pcap";
  else play->res->wire_by.why_not = strdup(w->werr.msg);
  if (play->finished) {
    queue_close(play, w->trace, w->wire);
  } else {
    play->trace = w->trace;
    play->wire = w->wire;
    if (play->trace || play->wire) start_polling(play);
    tc__play_next(play);
  }
  tc__play_release(play);
  free(w);
}

int tc__timeline_open(struct tc_play *play, uint16_t port) {
  if (play->res->transitions_by.name || play->res->transitions_by.why_not) return 0; /* a second listen */
  struct tl_work *w = calloc(1, sizeof *w);
  if (w == NULL) return 0;
  *w = (struct tl_work){.req.data = w, .play = play, .port = port,
                        .netns_pid = play->holder_running ? play->holder.pid : 0};
  play->open_handles++;
  if (uv_queue_work(play->loop, &w->req, open_work, open_done) < 0) {
    play->open_handles--;
    free(w);
    return 0;
  }
  play->opening = 1;
  return 1;
}

/* Last poll, so that the end of the close is in, then the observers go. */
void tc__timeline_close(struct tc_play *play) {
  tc__ltimer_stop(&play->tl_timer);
  tc__timeline_poll(play);
  if (play->trace || play->wire) queue_close(play, play->trace, play->wire);
  play->trace = NULL;
  play->wire = NULL;
}
