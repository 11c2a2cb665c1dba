/* play.c - a case's steps in order, and the play's lifecycle (see
 * tcpclose/play.h and play_internal.h). Steps that finish at once (expect,
 * background actions) run in a loop; the others (blocking actions, wait,
 * settle, network steps) record in struct tc__progress what they wait for
 * and return to the event loop, and the part that sees it happen reports
 * here. Only this file moves from one step to the next. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netns.h"
#include "play_internal.h"
#include "play_port.h"

int64_t tc__now_us(void) { return (int64_t)(uv_hrtime() / 1000u); }

static void run_steps(struct tc_play *play);

/* ---- ending: verdict, sysctls, then kill and reap, close, done ---- */

static void set_verdict(struct tc_play *play) {
  tc_case_result *r = play->res;
  if (r->verdict == TC_ERROR || r->verdict == TC_SKIP) return;
  for (size_t i = 0; i < r->nchecks; i++) {
    const struct tc_check *ck = &r->checks[i];
    if (!ck->pass && !ck->skipped && !ck->observation) {
      tc_case_result_set(r, TC_FAIL, "line %d: %s: got %s", ck->line, ck->expect, ck->observed);
      return;
    }
  }
  tc_case_result_set(r, TC_PASS, NULL);
}

void tc__play_hold(struct tc_play *play) { play->life.open_handles++; }

void tc__play_release(struct tc_play *play) {
  if (--play->life.open_handles > 0 || !play->life.closing) return;
  tc__observe_close(play->loop, &play->obs);
  play->life.done(play, play->life.arg);
}

static void handle_closed(uv_handle_t *h) { tc__play_release(h->data); }

/* Closes every handle once no process of the case is left to reap. */
static void close_all(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    if (play->link[r].proc.running || play->program[r].proc.running) return;
  if (play->holder.proc.running || play->life.closing) return;
  play->life.closing = 1;
  tc__play_hold(play); /* held while closing, so done waits for all */
  for (int r = 0; r < TC_ROLE_COUNT; r++) tc__link_close(&play->link[r]);
  for (int r = 0; r < TC_ROLE_COUNT; r++) tc__program_close(&play->program[r]);
  tc__holder_close(&play->holder);
  play->life.open_handles += tc__ltimer_close(&play->prog.timer, handle_closed);
  play->life.open_handles += tc__ltimer_close(&play->tl.tick, handle_closed);
  play->life.open_handles += tc__ltimer_close(&play->settle.poll, handle_closed);
  tc__play_release(play);
}

/* The sysctls are in: now the case's processes go, by pid; programs get
 * SIGTERM first, and 2 s before SIGKILL. */
static void teardown(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++) tc__link_kill(&play->link[r]);
  for (int r = 0; r < TC_ROLE_COUNT; r++) tc__program_end(&play->program[r]);
  tc__holder_stop(&play->holder);
  close_all(play);
}

static void finish(struct tc_play *play) {
  if (play->life.finished) return;
  play->life.finished = 1;
  play->res->duration_ms = (long)((tc__now_us() - play->t0_us) / 1000);
  tc__ltimer_stop(&play->prog.timer);
  tc__settle_stop(play);
  tc__timeline_stop(play); /* before the peers die: their end is not the case's */
  tc__lines_flush(&play->lines);
  set_verdict(play);
  tc__network_record_sysctls(play, teardown);
}

/* Ends the play now with a verdict other than the checks' (error, skip). */
static void end_with(struct tc_play *play, enum tc_verdict v, const char *fmt, va_list ap) {
  if (play->life.finished) return;
  char why[TC_ERR_MAX];
  vsnprintf(why, sizeof why, fmt, ap);
  tc_case_result_set(play->res, v, "%s", why);
  finish(play);
}

void tc__play_fail(struct tc_play *play, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  end_with(play, TC_ERROR, fmt, ap);
  va_end(ap);
}

void tc__play_skip(struct tc_play *play, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  end_with(play, TC_SKIP, fmt, ap);
  va_end(ap);
}

void tc_play_abort(tc_play *play, const char *why) { tc__play_fail(play, "%s", why); }

/* ---- moving on ---- */

static const struct tc_step *current(const struct tc_play *play) {
  return &play->c->steps[play->prog.step];
}

static void next_step(struct tc_play *play) {
  if (play->life.finished) return;
  play->prog.wait = TC__WAIT_NONE;
  tc__ltimer_stop(&play->prog.timer);
  play->prog.step++;
  run_steps(play);
}

/* A churn case needs no trace or capture unless a checkpoint reads the
 * timeline: they follow only the first few connections (TC__MAX_CONNS)
 * and would cost the churn a share of the CPU for every segment. */
static int wants_sources(const tc_case *c) {
  int churn = 0;
  for (size_t i = 0; i < c->nsteps; i++) {
    const struct tc_step *st = &c->steps[i];
    if (st->kind == TC_STEP_ACTION && st->u.act.action == TC_ACT_CHURN) churn = 1;
    if (st->kind == TC_STEP_EXPECT &&
        (st->u.exp.kind == TC_EXPECT_PATH || st->u.exp.kind == TC_EXPECT_WIRE ||
         st->u.exp.kind == TC_EXPECT_RESET))
      return 1;
  }
  return !churn;
}

/* Starts the trace and the capture on the server's port; 1 when they are
 * being opened (the step completes once they are). */
static int start_sources(struct tc_play *play, uint16_t port) {
  static const char why[] =
      "not opened: a churn case without path, wire or reset-reason checkpoints";
  if (play->obs.sources_asked) return 0;
  if (!wants_sources(play->c)) {
    if (play->res->transitions_by.why_not == NULL) play->res->transitions_by.why_not = strdup(why);
    if (play->res->wire_by.why_not == NULL) play->res->wire_by.why_not = strdup(why);
    return 0;
  }
  return tc__observe_open_sources(play, tc__holder_pid(&play->holder), port) == 0;
}

/* The trace and the capture start with the first listen: they watch the
 * server's port. A listen that is waited for completes once they are open. */
static int open_sources(struct tc_play *play, unsigned id) {
  const struct tc_step *st = &play->c->steps[id - 1];
  const struct tc__link *srv = &play->link[TC_SERVER];
  if (st->u.act.action != TC_ACT_LISTEN || !srv->has_listener) return 0;
  return start_sources(play, srv->listener.port);
}

void tc__play_replied(struct tc_play *play, unsigned id) {
  if (play->life.finished) return;
  int opening = open_sources(play, id);
  if (play->prog.wait != TC__WAIT_REPLY || play->prog.id != id) return;
  if (opening)
    play->prog.wait = TC__WAIT_OBSERVERS;
  else
    next_step(play);
}

void tc__play_exited(struct tc_play *play, enum tc_role role) {
  const struct tc__link *l = &play->link[role];
  if (play->life.finished) {
    close_all(play);
  } else if (play->prog.wait == TC__WAIT_EXIT && play->prog.role == (int)role) {
    next_step(play);
  } else if (!l->ending) {
    tc__play_fail(play, "line %d: the %s peer ended unexpectedly (%s %d)", current(play)->line,
                  tc_role_name(role), l->proc.term_signal ? "signal" : "exit status",
                  l->proc.term_signal ? l->proc.term_signal : (int)l->proc.exit_status);
  }
}

/* A holder that ends early fails the request it was answering, if any. */
void tc__play_holder_exited(struct tc_play *play) {
  if (play->life.finished) close_all(play);
}

void tc__play_network_done(struct tc_play *play) {
  if (play->prog.wait == TC__WAIT_HOLDER) next_step(play);
}

void tc__play_settled(struct tc_play *play) {
  if (play->prog.wait == TC__WAIT_SETTLE) next_step(play);
}

/* A server program listens: its listener is the server's from now on, and
 * the trace and capture start on its port as they would at a listen. */
void tc__play_program_ready(struct tc_play *play, enum tc_role role) {
  const struct tc__program *g = &play->program[role];
  if (play->life.finished || play->prog.wait != TC__WAIT_PROGRAM || play->prog.role != (int)role)
    return;
  if (role == TC_SERVER) tc__link_set_listener(&play->link[TC_SERVER], &g->addr);
  if (role == TC_SERVER && start_sources(play, g->addr.port)) {
    play->prog.wait = TC__WAIT_OBSERVERS;
    return;
  }
  next_step(play);
}

/* A program's end is an error only while the case waits for it to run;
 * elsewhere it is a fact for `expect ROLE exit` and the results. */
void tc__play_program_exited(struct tc_play *play, enum tc_role role) {
  const struct tc__program *g = &play->program[role];
  char how[TC_ERR_MAX - 128];
  if (play->life.finished) {
    close_all(play);
    return;
  }
  if (play->prog.role != (int)role) return;
  if (play->prog.wait == TC__WAIT_PROGRAM) {
    tc__program_describe(g, how, sizeof how);
    tc__play_fail(play, "line %d: the %s program ended before it %s (%s)", current(play)->line,
                  tc_role_name(role), role == TC_SERVER ? "listened" : "ran", how);
  } else if (play->prog.wait == TC__WAIT_PROGRAM_END) {
    if (current(play)->kind == TC_STEP_EXPECT) tc__check_expect(play, current(play));
    next_step(play);
  }
}

void tc__play_injected(struct tc_play *play) {
  if (play->prog.wait == TC__WAIT_INJECT) next_step(play);
}

/* ---- steps ---- */

static void step_timed_out(struct tc__ltimer *t) {
  struct tc_play *play = t->data;
  const struct tc_step *st = current(play);
  char how[TC_ERR_MAX - 160];
  if (play->prog.wait == TC__WAIT_PROGRAM_END && st->kind == TC_STEP_EXPECT) {
    tc__check_expect(play, st); /* still running: the check says so */
    next_step(play);
    return;
  }
  if (play->prog.wait == TC__WAIT_PROGRAM) {
    tc__program_describe(&play->program[play->prog.role], how, sizeof how);
    tc__play_fail(play, "line %d: the %s program did not %s within %.1f s (%s)", st->line,
                  tc_role_name((enum tc_role)play->prog.role),
                  play->prog.role == TC_SERVER ? "listen" : "start", play->prog.timeout_ms / 1000.0,
                  how);
    return;
  }
  tc__play_fail(play, "line %d: '%s' did not finish within %.1f s", st->line, st->text,
                play->prog.timeout_ms / 1000.0);
}

static void wait_done(struct tc__ltimer *t) { next_step(t->data); }

/* A record or frame of what happened before a checkpoint may still be
 * being written on another CPU when it starts (the kernel writes them with
 * preemption off, in microseconds): checkpoints on the story wait this
 * long, then drain the sources, so that nothing before them is missed. */
#define TC__DRAIN_MS 2

static void drained(struct tc__ltimer *t) {
  struct tc_play *play = t->data;
  tc__check_expect(play, current(play));
  next_step(play);
}

static int on_story(const struct tc_play *play, const struct tc_step *st) {
  enum tc_expect_kind k = st->u.exp.kind;
  return (play->tl.trace != NULL || play->tl.wire != NULL) &&
         (k == TC_EXPECT_PATH || k == TC_EXPECT_WIRE || k == TC_EXPECT_RESET);
}

static unsigned timeout_for(const struct tc_play *play, const struct tc_action_step *a) {
  unsigned base = play->opts.step_timeout_ms;
  /* close linger=N may rightly block for N seconds first */
  if (a->action == TC_ACT_CLOSE && a->linger > 0) return base + (unsigned)a->linger * 1000u;
  /* a hang guard, not a measure: 10 ms per connection is 100 conn/s */
  if (a->action == TC_ACT_CHURN)
    return base + (unsigned)(a->churn > 1000000 ? 10000000 : a->churn * 10);
  return base;
}

/* Where a listen or connect goes: the case family's loopback, the port the
 * server listened on before (port=same), the client's previous local port. */
static void where_for(const struct tc_play *play, const struct tc_action_step *a,
                      struct tc__proto_where *w, char *host, size_t len) {
  const struct tc__link *srv = &play->link[TC_SERVER];
  const struct tc_tuple *prev = tc__link_conn(&play->link[TC_CLIENT], 0);
  snprintf(host, len, "%s", play->c->family == AF_INET6 ? "::1" : "127.0.0.1");
  w->host = host;
  w->port = a->same_port && srv->has_listener ? srv->listener.port : 0;
  w->from_port = 0;
  if (a->action != TC_ACT_CONNECT && a->action != TC_ACT_CHURN) return;
  inet_ntop(srv->listener.family, srv->listener.bytes, host, len);
  w->port = srv->listener.port;
  if (a->same_port && prev != NULL) w->from_port = prev->local.port;
}

/* A listen without a namespace of the case's own takes a port the runner
 * picked (play_port.c: the host's sockets must not count as the case's);
 * in its own namespace the kernel's pick is as good. 0 or -1 (failed). */
static int listen_port(struct tc_play *play, const struct tc_step *st, struct tc__proto_where *w) {
  struct tc_addr addr;
  tc_err why;
  if (st->u.act.action != TC_ACT_LISTEN || w->port != 0 || tc__holder_pid(&play->holder) != 0)
    return 0;
  if (tc_addr_parse(w->host, 0, &addr) < 0)
    return tc__play_fail(play, "line %d: bad listen address %s", st->line, w->host), -1;
  if (tc__play_free_port(play, &addr, &why) < 0)
    return tc__play_fail(play, "line %d: %s", st->line, why.msg), -1;
  w->port = addr.port;
  return 0;
}

/* Waits for a program (role): to run or listen, or to end. */
static int wait_program(struct tc_play *play, enum tc__wait what, int role) {
  play->prog.wait = what;
  play->prog.role = role;
  play->prog.timeout_ms =
      what == TC__WAIT_PROGRAM ? play->opts.program_start_ms : play->opts.step_timeout_ms;
  tc__ltimer_start(&play->prog.timer, step_timed_out, play->prog.timeout_ms, 0);
  return 1;
}

/* exec, signal and kill on a role played by a program. Returns 1 when the
 * play must wait. */
static int program_action(struct tc_play *play, const struct tc_step *st) {
  const struct tc_action_step *a = &st->u.act;
  struct tc__program *g = &play->program[a->role];
  tc_err why;
  if (a->action == TC_ACT_EXEC) {
    int rc = tc__program_start(play, st, &why);
    if (rc > 0)
      tc__play_skip(play, "%s", why.msg);
    else if (rc < 0)
      tc__play_fail(play, "%s", why.msg);
    return rc != 0 ? 1 : wait_program(play, TC__WAIT_PROGRAM, (int)a->role);
  }
  if (!g->proc.running) return 0; /* already over: `expect ROLE exit` tells */
  tc__program_signal(g, a->action == TC_ACT_KILL ? SIGKILL : a->signo);
  return a->action == TC_ACT_KILL ? wait_program(play, TC__WAIT_PROGRAM_END, (int)a->role) : 0;
}

/* Sends an action to its peer. Returns 1 when the play must wait for it. */
static int start_action(struct tc_play *play, const struct tc_step *st) {
  const struct tc_action_step *a = &st->u.act;
  struct tc__link *l = &play->link[a->role];
  if (a->action == TC_ACT_EXEC || play->c->program_line[a->role]) return program_action(play, st);
  if (!l->proc.running)
    return tc__play_fail(play, "line %d: the %s peer is not running", st->line,
                         tc_role_name(a->role)),
           1;
  if ((a->action == TC_ACT_CONNECT || a->action == TC_ACT_CHURN) &&
      !play->link[TC_SERVER].has_listener)
    return tc__play_fail(play, "line %d: the server has no listening socket to connect to",
                         st->line),
           1;
  play->prog.timeout_ms = timeout_for(play, a);
  tc__ltimer_start(&play->prog.timer, step_timed_out, play->prog.timeout_ms, 0);
  if (a->action == TC_ACT_KILL || a->action == TC_ACT_EXIT) {
    play->prog.wait = TC__WAIT_EXIT;
    play->prog.role = (int)a->role;
  }
  char host[TC_ADDR_STRLEN];
  struct tc__proto_where w;
  where_for(play, a, &w, host, sizeof host);
  if (listen_port(play, st, &w) < 0) return 1;
  unsigned id = (unsigned)play->prog.step + 1;
  if (tc__link_command(l, a, id, &w) < 0)
    return tc__play_fail(play, "line %d: cannot send the command to the %s peer", st->line,
                         tc_role_name(a->role)),
           1;
  if (play->prog.wait == TC__WAIT_EXIT) return 1;
  if (a->background) {
    tc__ltimer_stop(&play->prog.timer);
    return 0;
  }
  play->prog.wait = TC__WAIT_REPLY;
  play->prog.id = id;
  return 1;
}

/* Starts one step. Returns 1 when the play must wait for it. */
static int start_step(struct tc_play *play, const struct tc_step *st) {
  switch (st->kind) {
  case TC_STEP_EXPECT:
    /* expect ROLE exit N waits, up to the step timeout, for the program's end */
    if (st->u.exp.kind == TC_EXPECT_EXIT && st->u.exp.exit_status != TC_EXIT_NONE &&
        play->program[st->u.exp.role].proc.running)
      return wait_program(play, TC__WAIT_PROGRAM_END, (int)st->u.exp.role);
    if (!on_story(play, st)) return tc__check_expect(play, st), 0;
    play->prog.wait = TC__WAIT_DRAIN;
    tc__ltimer_start(&play->prog.timer, drained, TC__DRAIN_MS, 0);
    return 1;
  case TC_STEP_WAIT:
    play->prog.wait = TC__WAIT_TIMER;
    tc__ltimer_start(&play->prog.timer, wait_done, st->ms, 0);
    return 1;
  case TC_STEP_SETTLE:
    play->prog.wait = TC__WAIT_SETTLE;
    tc__settle_start(play, st->line, st->ms);
    return 1;
  case TC_STEP_ACTION: return start_action(play, st);
  case TC_STEP_INJECT:
    play->prog.wait = TC__WAIT_INJECT;
    tc__inject_step(play, st);
    return 1;
  case TC_STEP_SYSCTL:
  case TC_STEP_DROP:
  case TC_STEP_HOLD:
  case TC_STEP_RELEASE:
    play->prog.wait = TC__WAIT_HOLDER;
    tc__network_step(play, st);
    return 1;
  }
  return 0;
}

static void run_steps(struct tc_play *play) {
  while (!play->life.finished && play->prog.step < play->c->nsteps) {
    const struct tc_step *st = current(play);
    int64_t now_us = tc__now_us();
    tc__lines_add(&play->lines, now_us, "step    line %d: %s", st->line, st->text);
    tc_case_result_add_step(play->res, (long)(now_us - play->t0_us), st);
    if (start_step(play, st)) return;
    play->prog.step++;
  }
  finish(play);
}

/* ---- start: namespace, observer, peers, then the steps ---- */

static void start_peers(struct tc_play *play) {
  tc_err err;
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    if (tc__link_spawn(&play->link[r], tc__holder_pid(&play->holder), &err) < 0) {
      tc__play_fail(play, "%s", err.msg);
      return;
    }
}

/* The steps start once both peers run. */
void tc__play_link_ready(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    if (!play->link[r].ready) return;
  if (!play->life.finished) run_steps(play);
}

void tc__play_observed(struct tc_play *play, int what, int rc, const tc_err *why) {
  if (play->life.finished) return;
  if (what == 0 && rc < 0)
    tc__play_fail(play, "%s", why->msg);
  else if (what == 0)
    start_peers(play);
  else if (play->prog.wait == TC__WAIT_OBSERVERS)
    next_step(play);
}

static void open_snapshot(struct tc_play *play) {
  play->res->isolation = strdup("netns");
  if (tc__observe_open_snapshot(play, tc__holder_pid(&play->holder)) < 0)
    tc__play_fail(play, "observer: out of memory");
}

/* No namespace of the case's own: the host's loopback, said in the
 * results, and a case that changes the network (sysctl, drop, hold) is
 * skipped rather than allowed to touch the host. */
static void on_host(struct tc_play *play, const char *why) {
  char text[TC_ERR_MAX + 32];
  tc__holder_stop(&play->holder);
  snprintf(text, sizeof text, "host loopback: %s", why);
  play->res->isolation = strdup(text);
  if (play->c->needs_netns) {
    tc__play_skip(play, "needs a network namespace of its own (sysctl, drop, hold, inject): %s",
                  why);
    return;
  }
  if (tc__observe_open_snapshot(play, 0) < 0) tc__play_fail(play, "observer: out of memory");
}

static void holder_ready(struct tc_play *play, int rc, const char *answer, void *arg) {
  (void)arg;
  if (play->life.finished) return;
  if (rc == 0)
    open_snapshot(play);
  else
    on_host(play, answer);
}

static void isolate(struct tc_play *play) {
  tc_err why;
  if (play->opts.no_netns)
    snprintf(why.msg, sizeof why.msg, "--no-netns");
  else if (tc__netns_possible(&why) == 0 &&
           tc__holder_start(&play->holder, play, holder_ready, &why) == 0)
    return;
  on_host(play, why.msg);
}

static int play_init(struct tc_play *play) {
  tc_case_result *res = play->res;
  memset(res, 0, sizeof *res);
  res->name = strdup(play->c->name);
  res->file = strdup(play->c->file);
  if (res->name == NULL || res->file == NULL ||
      tc__ltimer_init(play->loop, &play->prog.timer, &res->loop_lag_ms, play) < 0)
    return -ENOMEM;
  play->t0_us = tc__now_us();
  tc__lines_init(&play->lines, &play->opts, play->t0_us);
  tc__timeline_init(play);
  if (play->opts.program_start_ms == 0)
    play->opts.program_start_ms =
        play->opts.step_timeout_ms ? play->opts.step_timeout_ms : TC_PROGRAM_START_MS;
  if (play->opts.step_timeout_ms == 0) play->opts.step_timeout_ms = TC_STEP_TIMEOUT_MS;
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    play->link[r].play = play;
    play->link[r].role = (enum tc_role)r;
  }
  return 0;
}

int tc_play_start(uv_loop_t *loop, const tc_case *c, const struct tc_play_opts *opts,
                  tc_case_result *res, tc_play_done_cb done, void *arg, tc_play **out) {
  struct tc_play *play = calloc(1, sizeof *play);
  if (play == NULL) return -ENOMEM;
  *play = (struct tc_play){
      .loop = loop, .c = c, .res = res, .opts = *opts, .life = {.done = done, .arg = arg}};
  if (play_init(play) < 0) {
    tc_case_result_free(res);
    free(play);
    return -ENOMEM;
  }
  isolate(play);
  *out = play;
  return 0;
}

void tc_play_free(tc_play *play) { free(play); }
