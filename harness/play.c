/* play.c - a case's steps in order, and the play's lifecycle (see
 * tcpclose/play.h). Steps that finish at once (expect, background actions)
 * run in a loop; the others (blocking actions, wait, settle) return to the
 * event loop and call tc__play_next() when done. */
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

static uint64_t now_ms(void) { return uv_hrtime() / 1000000u; }

/* ---- ending: verdict, then kill and reap, then close, then done ---- */

static void set_verdict(struct tc_play *play) {
  tc_case_result *r = play->res;
  r->duration_ms = (long)(now_ms() - play->t0_ms);
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

void tc__play_release(struct tc_play *play) {
  if (--play->open_handles > 0 || !play->closing) return;
  tc_observer_close(play->obs);
  play->obs = NULL;
  play->done(play, play->arg);
}

/* Closes every handle once no peer is left to reap. */
static void timer_closed(uv_handle_t *h) { tc__play_release(h->data); }

static void close_all(struct tc_play *play) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    if (play->link[r].running) return;
  if (play->holder_running) return;
  if (play->closing) return;
  play->closing = 1;
  play->open_handles++; /* held while closing, so done waits for all */
  for (int r = 0; r < TC_ROLE_COUNT; r++) tc__link_close(&play->link[r]);
  tc__play_netns_close(play);
  if (play->timer_open) {
    play->timer_open = 0;
    play->open_handles++;
    uv_close((uv_handle_t *)&play->timer, timer_closed);
  }
  if (play->tl_timer_open) {
    play->tl_timer_open = 0;
    play->open_handles++;
    uv_close((uv_handle_t *)&play->tl_timer, timer_closed);
  }
  tc__play_release(play);
}

static void finish(struct tc_play *play) {
  if (play->finished) return;
  play->finished = 1;
  tc__timeline_close(play); /* before the peers die: their end is not the case's */
  tc__play_netns_record_sysctls(play);
  set_verdict(play);
  if (play->timer_open) uv_timer_stop(&play->timer);
  for (int r = 0; r < TC_ROLE_COUNT; r++) tc__link_kill(&play->link[r]);
  tc__play_netns_stop(play);
  close_all(play);
}

/* Called by play_link.c each time a peer is reaped. */
void tc__play_reaped(struct tc_play *play) {
  if (play->finished) close_all(play);
}

/* Ends the play now with a verdict other than the checks' (error, skip). */
static void end_with(struct tc_play *play, enum tc_verdict v, const char *fmt, va_list ap) {
  if (play->finished) return;
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

/* ---- steps ---- */

static void step_timed_out(uv_timer_t *t) {
  struct tc_play *play = t->data;
  const struct tc_step *st = &play->c->steps[play->step];
  tc__play_fail(play, "line %d: '%s' did not finish within %.1f s", st->line, st->text,
                play->timeout_ms / 1000.0);
}

static unsigned timeout_for(const struct tc_play *play, const struct tc_action_step *a) {
  unsigned base = play->opts.step_timeout_ms;
  /* close linger=N may rightly block for N seconds first */
  if (a->action == TC_ACT_CLOSE && a->linger > 0) return base + (unsigned)a->linger * 1000u;
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
  if (a->action != TC_ACT_CONNECT) return;
  inet_ntop(srv->listener.family, srv->listener.bytes, host, len);
  w->port = srv->listener.port;
  if (a->same_port && prev != NULL) w->from_port = prev->local.port;
}

/* Sends an action to its peer. Returns 1 when the play must wait for it. */
static int start_action(struct tc_play *play, const struct tc_step *st) {
  const struct tc_action_step *a = &st->u.act;
  struct tc__link *l = &play->link[a->role], *srv = &play->link[TC_SERVER];
  if (!l->running)
    return tc__play_fail(play, "line %d: the %s peer is not running", st->line, tc_role_name(a->role)), 1;
  play->timeout_ms = timeout_for(play, a);
  uv_timer_start(&play->timer, step_timed_out, play->timeout_ms, 0);
  if (a->action == TC_ACT_KILL || a->action == TC_ACT_EXIT) {
    l->ending = 1;
    play->waiting_exit = (int)a->role;
    if (a->action == TC_ACT_KILL) tc__link_kill(l);
  }
  if (a->action == TC_ACT_KILL) return 1;
  if (a->action == TC_ACT_CONNECT && !srv->has_listener)
    return tc__play_fail(play, "line %d: the server has no listening socket to connect to", st->line), 1;
  char host[TC_ADDR_STRLEN], cmd[TC__PROTO_LINE_MAX];
  struct tc__proto_where w;
  where_for(play, a, &w, host, sizeof host);
  unsigned id = (unsigned)play->step + 1;
  play->connects_pending += a->action == TC_ACT_CONNECT;
  if (tc__proto_command(a, id, &w, cmd, sizeof cmd) < 0 || tc__link_send(l, cmd) < 0)
    return tc__play_fail(play, "line %d: cannot send the command to the %s peer", st->line, tc_role_name(a->role)), 1;
  if (a->action == TC_ACT_EXIT) return 1;
  if (a->background) {
    uv_timer_stop(&play->timer);
    return 0;
  }
  play->waiting_id = id;
  return 1;
}

static void wait_done(uv_timer_t *t) { tc__play_next(t->data); }

static void run_steps(struct tc_play *play) {
  while (!play->finished && play->step < play->c->nsteps) {
    const struct tc_step *st = &play->c->steps[play->step];
    int64_t now_us = tc__now_us();
    tc__timeline_line(play, now_us, "step    line %d: %s", st->line, st->text);
    tc_case_result_add_step(play->res, (long)(now_us - play->t0_us), st);
    switch (st->kind) {
    case TC_STEP_EXPECT:
      tc__check_expect(play, st);
      break;
    case TC_STEP_WAIT:
      uv_timer_start(&play->timer, wait_done, st->ms, 0);
      return;
    case TC_STEP_SETTLE:
      tc__settle_start(play, st);
      return;
    case TC_STEP_ACTION:
      if (start_action(play, st)) return;
      break;
    case TC_STEP_SYSCTL:
    case TC_STEP_DROP:
    case TC_STEP_HOLD:
    case TC_STEP_RELEASE:
      tc__play_netns_step(play, st);
      break;
    }
    play->step++;
  }
  finish(play);
}

void tc__play_next(struct tc_play *play) {
  if (play->finished) return;
  uv_timer_stop(&play->timer);
  play->step++;
  run_steps(play);
}

/* ---- start ---- */

static int open_observer(struct tc_play *play, tc_err *err) {
  return tc_observer_open(play->opts.observer, &play->obs, err);
}

/* A namespace of the case's own when the system allows it; else the host's
 * loopback, said in the results, and a case that changes the network (sysctl,
 * drop) is skipped rather than allowed to touch the host. Returns 1 when
 * the case was skipped. */
static int isolate(struct tc_play *play) {
  tc_err why;
  char text[TC_ERR_MAX + 32];
  if (!play->opts.no_netns && tc__netns_possible(&why) == 0 && tc__play_netns_start(play, &why) == 0) {
    play->res->isolation = strdup("netns");
    return 0;
  }
  if (play->opts.no_netns) snprintf(why.msg, sizeof why.msg, "--no-netns");
  tc__play_netns_stop(play);
  snprintf(text, sizeof text, "host loopback: %s", why.msg);
  play->res->isolation = strdup(text);
  if (!play->c->needs_netns) return 0;
  tc_case_result_set(play->res, TC_SKIP, "needs a network namespace of its own (sysctl, drop, hold): %s", why.msg);
  finish(play);
  return 1;
}

static int setup(struct tc_play *play, tc_err *err) {
  if (isolate(play)) return 0;
  int rc = tc__play_in_netns(play, open_observer, err);
  if (rc < 0) return rc;
  play->res->observer = tc_observer_name(play->obs);
  for (int r = 0; r < TC_ROLE_COUNT && rc == 0; r++) rc = tc__link_spawn(&play->link[r], err);
  return rc;
}

int tc_play_start(uv_loop_t *loop, const tc_case *c, const struct tc_play_opts *opts,
                  tc_case_result *res, tc_play_done_cb done, void *arg, tc_play **out) {
  struct tc_play *play = calloc(1, sizeof *play);
  if (play == NULL) return -ENOMEM;
  *play = (struct tc_play){.loop = loop, .c = c, .res = res, .opts = *opts, .done = done,
                           .arg = arg, .waiting_exit = -1, .timer_open = 1, .t0_ms = now_ms(),
                           .holder_fd = -1};
  memset(res, 0, sizeof *res);
  res->name = strdup(c->name);
  res->file = strdup(c->file);
  if (res->name == NULL || res->file == NULL || uv_timer_init(loop, &play->timer) < 0) {
    tc_case_result_free(res);
    free(play);
    return -ENOMEM;
  }
  play->timer.data = play;
  tc__timeline_init(play);
  if (play->opts.step_timeout_ms == 0) play->opts.step_timeout_ms = TC_STEP_TIMEOUT_MS;
  for (int r = 0; r < TC_ROLE_COUNT; r++) {
    play->link[r].play = play;
    play->link[r].role = (enum tc_role)r;
  }
  tc_err err;
  if (setup(play, &err) < 0) tc__play_fail(play, "%s", err.msg);
  else if (!play->finished) run_steps(play);
  *out = play;
  return 0;
}

void tc_play_free(tc_play *play) { free(play); }
