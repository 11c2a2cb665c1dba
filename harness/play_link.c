/* play_link.c - the runner's end of each peer: spawning it, its control
 * pipe, what its replies teach about its sockets, and reaping it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "play_internal.h"

static void link_closed(uv_handle_t *h) {
  struct tc__link *l = h->data;
  tc__play_release(l->play);
}

static void peer_exited(uv_process_t *proc, int64_t status, int signal) {
  struct tc__link *l = proc->data;
  struct tc_play *play = l->play;
  l->running = 0;
  l->exit_status = status;
  l->term_signal = signal;
  if (play->finished) {
    tc__play_reaped(play);
  } else if (play->waiting_exit == (int)l->role) {
    play->waiting_exit = -1;
    tc__play_next(play);
  } else if (!l->ending) {
    const struct tc_step *st = &play->c->steps[play->step];
    tc__play_fail(play, "line %d: the %s peer ended unexpectedly (%s %d)", st->line,
                  tc_role_name(l->role), signal ? "signal" : "exit status",
                  signal ? signal : (int)status);
  }
}

/* "HOST PORT" into an address. */
static int parse_endpoint(const char **s, struct tc_addr *a) {
  char host[TC_ADDR_STRLEN];
  unsigned port;
  int used;
  if (sscanf(*s, "%63s %u%n", host, &port, &used) != 2) return -EINVAL;
  *s += used;
  return tc_addr_parse(host, port, a);
}

/* Records a connection of a role, once. */
static void add_conn(struct tc__link *l, const struct tc_tuple *t) {
  for (int i = 0; i < l->nconns; i++)
    if (tc_addr_equal(&l->conns[i].local, &t->local) && tc_addr_equal(&l->conns[i].remote, &t->remote))
      return;
  if (l->nconns < TC__MAX_CONNS) l->conns[l->nconns++] = *t;
}

/* Learns from a successful listen, connect or accept where the sockets are. */
static int learn_sockets(struct tc__link *l, enum tc_action act, const char *rest) {
  struct tc__link *srv = &l->play->link[TC_SERVER];
  if (act == TC_ACT_LISTEN) {
    l->has_listener = parse_endpoint(&rest, &l->listener) == 0;
    if (!l->has_listener) return -EINVAL;
    tc__timeline_open(l->play, l->listener.port); /* play->opening holds the step */
    return 0;
  }
  if (act != TC_ACT_CONNECT && act != TC_ACT_ACCEPT) return 0;
  struct tc_tuple t;
  if (parse_endpoint(&rest, &t.local) < 0 || parse_endpoint(&rest, &t.remote) < 0) return -EINVAL;
  /* The server's socket exists from the handshake on, accepted or not: it
   * is known from the client's connect, and its accept only confirms it. */
  if (act == TC_ACT_CONNECT) {
    add_conn(l, &t);
    struct tc_tuple m = tc_tuple_mirror(&t);
    add_conn(srv, &m);
  } else {
    add_conn(l, &t);
  }
  return 0;
}

static void apply_reply(struct tc__link *l, unsigned id, int err, const char *rest) {
  struct tc_play *play = l->play;
  if (id > play->c->nsteps || play->c->steps[id - 1].kind != TC_STEP_ACTION) {
    tc__play_fail(play, "%s peer: reply to unknown step %u", tc_role_name(l->role), id);
    return;
  }
  const struct tc_step *st = &play->c->steps[id - 1];
  if (err < 0) {
    tc__play_fail(play, "line %d: the %s peer could not run it: %s", st->line, tc_role_name(l->role), rest);
    return;
  }
  if (err > 0) l->last_err = err;
  play->connects_pending -= st->u.act.action == TC_ACT_CONNECT;
  if (err == 0 && learn_sockets(l, st->u.act.action, rest) < 0) {
    tc__play_fail(play, "line %d: malformed reply from the %s peer: %s", st->line, tc_role_name(l->role), rest);
    return;
  }
  if (st->u.act.action == TC_ACT_RECV) {
    size_t n;
    int eof = 0;
    if (sscanf(rest, "%zu %d", &n, &eof) >= 1) {
      l->eof = eof;
      l->received = n;
    }
  }
  if (play->waiting_id == id) {
    play->waiting_id = 0;
    if (!play->opening) tc__play_next(play);
  }
}

static void ctl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  struct tc__link *l = h->data;
  (void)hint;
  *buf = uv_buf_init(l->in + l->inlen, (unsigned)(sizeof l->in - l->inlen - 1));
}

/* One reply line; stops the reading once the play has ended. */
static int on_reply(char *line, void *arg) {
  struct tc__link *l = arg;
  unsigned id;
  int err;
  char *rest;
  if (tc__proto_reply(line, &id, &err, &rest) < 0)
    tc__play_fail(l->play, "malformed reply from the %s peer: %s", tc_role_name(l->role), line);
  else
    apply_reply(l, id, err, rest);
  return l->play->finished;
}

static void ctl_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct tc__link *l = s->data;
  (void)buf;
  if (nread < 0) { /* the peer is gone; peer_exited says how */
    uv_read_stop(s);
    return;
  }
  l->inlen = tc__proto_lines(l->in, l->inlen + (size_t)nread, on_reply, l);
}

int tc__link_spawn(struct tc__link *l, tc_err *err) {
  struct tc_play *play = l->play;
  char pid[16] = "0"; /* the namespace to join: the holder's, 0 for none */
  if (play->holder_running) snprintf(pid, sizeof pid, "%d", play->holder.pid);
  char *args[] = {(char *)play->opts.self_exe, "__peer", (char *)tc_role_name(l->role), pid, NULL};
  uv_stdio_container_t stdio[4] = {
      {.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_INHERIT_FD, .data.fd = 2},
      {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&l->ctl}};
  /* Detached: a Ctrl-C at the terminal reaches the runner only, which then
   * ends its peers itself, in order. */
  uv_process_options_t o = {.file = play->opts.self_exe, .args = args, .exit_cb = peer_exited,
                            .flags = UV_PROCESS_DETACHED, .stdio_count = 4, .stdio = stdio};
  int rc = uv_pipe_init(play->loop, &l->ctl, 0);
  if (rc < 0) return tc_errf(err, rc, "%s peer: pipe: %s", tc_role_name(l->role), uv_strerror(rc));
  l->ctl_open = 1;
  l->ctl.data = l;
  l->proc.data = l;
  l->proc_open = 1; /* uv_spawn initializes the handle even when it fails */
  rc = uv_spawn(play->loop, &l->proc, &o);
  if (rc < 0)
    return tc_errf(err, rc, "cannot start the %s peer (%s): %s", tc_role_name(l->role), play->opts.self_exe, uv_strerror(rc));
  l->running = 1;
  rc = uv_read_start((uv_stream_t *)&l->ctl, ctl_alloc, ctl_read);
  return rc < 0 ? tc_errf(err, rc, "%s peer: read: %s", tc_role_name(l->role), uv_strerror(rc)) : 0;
}

struct cmd_write {
  uv_write_t req;
  char buf[];
};

static void cmd_written(uv_write_t *req, int status) {
  (void)status; /* a dead peer is reported by peer_exited */
  free(req->data);
}

int tc__link_send(struct tc__link *l, const char *line) {
  size_t n = strlen(line);
  struct cmd_write *w = malloc(sizeof *w + n);
  if (w == NULL) return -ENOMEM;
  memcpy(w->buf, line, n);
  w->req.data = w;
  uv_buf_t b = uv_buf_init(w->buf, (unsigned)n);
  int rc = uv_write(&w->req, (uv_stream_t *)&l->ctl, &b, 1, cmd_written);
  if (rc < 0) free(w);
  return rc;
}

/* SIGKILL to the peer's pid; only ever a process this play started. */
void tc__link_kill(struct tc__link *l) {
  if (l->running) uv_process_kill(&l->proc, SIGKILL);
}

void tc__link_close(struct tc__link *l) {
  if (l->ctl_open) {
    l->ctl_open = 0;
    l->play->open_handles++;
    uv_close((uv_handle_t *)&l->ctl, link_closed);
  }
  if (l->proc_open) {
    l->proc_open = 0;
    l->play->open_handles++;
    uv_close((uv_handle_t *)&l->proc, link_closed);
  }
}
