/* play_program.c - a role played by the user's program (`ROLE exec`). It
 * owns struct tc__program: the process group started through play_proc.h
 * as `tcpclose __exec` (play_program_exec.c: the case's namespace, the
 * case file's folder, /bin/sh -c), the tails of its stdout and stderr read
 * on the loop, the server's {port} and the wait for its listener (a
 * kernel-filtered count every few milliseconds, never a sleep), and its end:
 * SIGTERM to the group when the case is over, SIGKILL 2 s later. It reports
 * to play.c that the program is ready or has ended, and records in the
 * results how it ran. */
#define _GNU_SOURCE /* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "play_internal.h"
#include "play_port.h"
#include "tcpclose/tcpstate.h"

#define LISTEN_POLL_MS 5u
#define END_GRACE_MS 2000u

/* ---- output: the last TC_TAIL_MAX bytes of each stream ---- */

static void out_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  struct tc__program_out *o = h->data;
  (void)hint;
  *buf = uv_buf_init(o->chunk, sizeof o->chunk);
}

static void keep(struct tc__program_out *o, const char *p, size_t n) {
  if (n >= TC_TAIL_MAX) {
    memcpy(o->tail, p + n - TC_TAIL_MAX, TC_TAIL_MAX);
    o->len = TC_TAIL_MAX;
    return;
  }
  if (o->len + n > TC_TAIL_MAX) {
    size_t drop = o->len + n - TC_TAIL_MAX;
    memmove(o->tail, o->tail + drop, o->len - drop);
    o->len -= drop;
  }
  memcpy(o->tail + o->len, p, n);
  o->len += n;
}

static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct tc__program_out *o = s->data;
  if (n > 0) keep(o, buf->base, (size_t)n);
  if (n < 0) {
    uv_read_stop(s);
    o->reading = 0;
  }
}

/* A pipe whose read end the loop watches; returns the write end for the
 * child, or a negative errno. */
static int out_open(struct tc__program *g, struct tc__program_out *o) {
  int fds[2];
  o->g = g;
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
  int rc = uv_pipe_init(g->play->loop, &o->pipe, 0);
  if (rc == 0) {
    o->open = 1;
    o->pipe.data = o;
    rc = uv_pipe_open(&o->pipe, fds[0]);
  }
  if (rc == 0) rc = uv_read_start((uv_stream_t *)&o->pipe, out_alloc, out_read);
  if (rc < 0) {
    if (!o->open) close(fds[0]);
    close(fds[1]);
    return rc;
  }
  o->reading = 1;
  return fds[1];
}

static void out_closed(uv_handle_t *h) {
  struct tc__program_out *o = h->data;
  tc__play_release(o->g->play);
}

/* ---- how it ran ---- */

int tc__program_status(const struct tc__program *g) {
  if (g->proc.running || g->proc.pid == 0) return TC_EXIT_NONE;
  return g->proc.term_signal ? 128 + g->proc.term_signal : (int)g->proc.exit_status;
}

/* The last line of its stderr, for a one-line message. */
static void last_line(const struct tc__program_out *o, char *buf, size_t len) {
  size_t end = o->len;
  while (end > 0 && (o->tail[end - 1] == '\n' || o->tail[end - 1] == '\r')) end--;
  size_t start = end;
  while (start > 0 && o->tail[start - 1] != '\n') start--;
  snprintf(buf, len, "%.*s", (int)(end - start), o->tail + start);
}

void tc__program_describe(const struct tc__program *g, char *buf, size_t len) {
  char line[256];
  int n;
  if (g->proc.running || g->proc.pid == 0)
    n = snprintf(buf, len, "still running");
  else if (g->proc.term_signal)
    n = snprintf(buf, len, "killed by SIG%s", tc_signal_name(g->proc.term_signal));
  else
    n = snprintf(buf, len, "exit status %d", (int)g->proc.exit_status);
  last_line(&g->out[1], line, sizeof line);
  if (n >= 0 && (size_t)n < len)
    snprintf(buf + n, len - (size_t)n, "; stderr: %s", line[0] ? line : "(empty)");
}

static void record_exit(struct tc__program *g) {
  struct tc_program_run *r = &g->play->res->program[g->role];
  r->ended = 1;
  r->exit_status = (int)g->proc.exit_status;
  r->term_signal = g->proc.term_signal;
}

static char *tail_copy(const struct tc__program_out *o) {
  char *s = malloc(o->len + 1);
  if (s == NULL) return NULL;
  memcpy(s, o->tail, o->len);
  s[o->len] = '\0';
  return s;
}

/* Polled every few ms: asks for listeners alone (dumps of the kernel's
 * listening hash filtered by address and port), never the whole socket
 * table, which other cases' churns fill with thousands of TIME_WAIT
 * sockets. A program may listen on {addr}, on its family's wildcard, or
 * (IPv4) on the IPv6 wildcard of a dual-stack socket. */
static int listening(struct tc__program *g, tc_err *err) {
  struct tc_query q[3] = {{.listener = 1}, {.listener = 1}, {.listener = 1}};
  struct tc_sock s[3];
  const char *any = g->addr.family == AF_INET6 ? "::" : "0.0.0.0";
  q[0].tuple.local = g->addr;
  if (tc_addr_parse(any, g->addr.port, &q[1].tuple.local) < 0 ||
      tc_addr_parse("::", g->addr.port, &q[2].tuple.local) < 0)
    return tc_errf(err, -EINVAL, "program: cannot make the wildcard address");
  int rc = tc_observer_snapshot(g->play->obs.snap, q, 3, s, err);
  if (rc < 0) return rc;
  for (int i = 0; i < 3; i++)
    if (s[i].state == TC_STATE_LISTEN) return 1;
  return 0;
}

static void listen_poll(struct tc__ltimer *t) {
  struct tc__program *g = t->data;
  tc_err err;
  int rc = listening(g, &err);
  if (rc < 0) {
    tc__ltimer_stop(t);
    tc__play_fail(g->play, "line %d: %s", g->step->line, err.msg);
  } else if (rc == 1) {
    char where[TC_ADDR_STRLEN + 8];
    tc__ltimer_stop(t);
    tc__lines_add(&g->play->lines, tc__now_us(), "%-7s program listens on %s",
                  tc_role_name(g->role), tc_addr_format(&g->addr, where, sizeof where));
    g->ready = 1;
    tc__play_program_ready(g->play, g->role);
  }
}

/* ---- start and end ---- */

static void program_exited(struct tc__proc *p) {
  struct tc__program *g = p->data;
  char how[TC_ERR_MAX];
  tc__ltimer_stop(&g->timer);
  record_exit(g);
  tc__program_describe(g, how, sizeof how);
  tc__lines_add(&g->play->lines, tc__now_us(), "%-7s program ended: %s", tc_role_name(g->role),
                how);
  tc__play_program_exited(g->play, g->role);
}

static void program_started(struct tc__proc *p, int rc, int fd, const tc_err *why) {
  struct tc__program *g = p->data;
  if (fd >= 0) close(fd); /* the control channel: a program has none */
  if (rc < 0) {
    tc__play_fail(g->play, "line %d: %s program: %s", g->step->line, tc_role_name(g->role),
                  why->msg);
    return;
  }
  if (g->play->life.finished) {
    tc__proc_kill_group(p, SIGKILL);
    return;
  }
  if (g->role == TC_SERVER) {
    tc__ltimer_start(&g->timer, listen_poll, 0, LISTEN_POLL_MS);
    return;
  }
  tc__lines_add(&g->play->lines, tc__now_us(), "%-7s program started (pid %d): %s",
                tc_role_name(g->role), (int)p->pid, g->command);
  g->ready = 1;
  tc__play_program_ready(g->play, g->role);
}

/* {addr} and {port}: the case family's loopback; the server's port. */
static int where(struct tc__program *g, const struct tc_action_step *a, tc_err *why) {
  struct tc_play *play = g->play;
  const char *host = play->c->family == AF_INET6 ? "::1" : "127.0.0.1";
  if (g->role == TC_CLIENT) {
    const struct tc__link *srv = &play->link[TC_SERVER];
    if (!srv->has_listener)
      return tc_errf(why, -EINVAL,
                     "line %d: the server has no listening socket for the client program",
                     g->step->line);
    g->addr = srv->listener;
    return 0;
  }
  tc_addr_parse(host, a->port, &g->addr);
  if (a->port != 0 && tc__holder_pid(&play->holder) == 0)
    return tc_errf(why, 1,
                   "line %d: exec port=%u needs a network namespace of its own: the port may be in "
                   "use on the host",
                   g->step->line, a->port);
  return a->port != 0 ? 0 : tc__play_free_port(play, &g->addr, why);
}

static int spawn(struct tc__program *g, tc_err *why) {
  struct tc_play *play = g->play;
  char dirbuf[4096], pid[16];
  snprintf(dirbuf, sizeof dirbuf, "%s", play->c->file);
  const char *dir = play->opts.program_dir ? play->opts.program_dir : dirname(dirbuf);
  snprintf(pid, sizeof pid, "%d", (int)tc__holder_pid(&play->holder));
  char *args[] = {(char *)play->opts.self_exe, "__exec", pid, (char *)dir, g->command, NULL};
  struct tc__proc_io io = {.out_fd = out_open(g, &g->out[0]), .err_fd = -1, .group = 1};
  if (io.out_fd >= 0) io.err_fd = out_open(g, &g->out[1]);
  if (io.out_fd < 0 || io.err_fd < 0) {
    if (io.out_fd >= 0) close(io.out_fd);
    return tc_errf(why, -EMFILE, "line %d: cannot make the program's output pipes", g->step->line);
  }
  int rc = tc__proc_start_io(&g->proc, play, args, &io, program_started, program_exited, g);
  if (rc < 0)
    return tc_errf(why, rc, "line %d: cannot start the program: %s", g->step->line, strerror(-rc));
  return 0;
}

int tc__program_start(struct tc_play *play, const struct tc_step *st, tc_err *why) {
  const struct tc_action_step *a = &st->u.act;
  struct tc__program *g = &play->program[a->role];
  char host[TC_ADDR_STRLEN];
  g->play = play;
  g->role = a->role;
  g->step = st;
  if (tc__ltimer_init(play->loop, &g->timer, &play->res->loop_lag_ms, g) < 0)
    return tc_errf(why, -ENOMEM, "line %d: out of memory", st->line);
  int rc = where(g, a, why);
  if (rc != 0) return rc;
  inet_ntop(g->addr.family, g->addr.bytes, host, sizeof host);
  if (tc_exec_expand(a->command, host, g->addr.port, g->command, sizeof g->command) < 0)
    return tc_errf(why, -ENOSPC, "line %d: the command is too long", st->line);
  free(play->res->program[a->role].command);
  play->res->program[a->role].command = strdup(g->command);
  return spawn(g, why);
}

void tc__program_signal(struct tc__program *g, int sig) { tc__proc_kill_group(&g->proc, sig); }

static void grace_over(struct tc__ltimer *t) {
  struct tc__program *g = t->data;
  g->play->res->program[g->role].killed = 1;
  tc__proc_kill_group(&g->proc, SIGKILL);
}

void tc__program_end(struct tc__program *g) {
  if (g->step == NULL || !g->proc.running || g->ending) return;
  g->ending = 1;
  tc__ltimer_stop(&g->timer);
  tc__proc_kill_group(&g->proc, SIGTERM);
  tc__ltimer_start(&g->timer, grace_over, END_GRACE_MS, 0);
}

static void timer_closed(uv_handle_t *h) {
  tc__play_release(((struct tc__program *)h->data)->play);
}

void tc__program_close(struct tc__program *g) {
  if (g->step == NULL) return;
  struct tc_program_run *r = &g->play->res->program[g->role];
  for (int i = 0; i < 2; i++) {
    struct tc__program_out *o = &g->out[i];
    char **dst = i == 0 ? &r->out : &r->err;
    if (*dst == NULL) *dst = tail_copy(o);
    if (!o->open) continue;
    o->open = 0;
    tc__play_hold(g->play);
    uv_close((uv_handle_t *)&o->pipe, out_closed);
  }
  g->play->life.open_handles += tc__ltimer_close(&g->timer, timer_closed);
  if (g->proc.play != NULL) tc__proc_close(&g->proc);
}
