/* play_link.c - the runner's end of each peer: spawning it, its control
 * pipe, what its replies teach about its sockets, and reaping it. It owns
 * struct tc__link and reports replies and exits to play.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include "play_internal.h"

#include <stddef.h>

/* The pipe's data is its reader's: the link is found by its place. */
static void ctl_closed(uv_handle_t *h) {
  struct tc__link *l = (struct tc__link *)((char *)h - offsetof(struct tc__link, ctl));
  tc__play_release(l->play);
}

static void peer_exited(struct tc__proc *p) {
  struct tc__link *l = p->data;
  tc__play_exited(l->play, l->role);
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
    if (tc_addr_equal(&l->conns[i].local, &t->local) &&
        tc_addr_equal(&l->conns[i].remote, &t->remote))
      return;
  if (l->nconns < TC__MAX_CONNS) l->conns[l->nconns++] = *t;
}

/* Learns from a successful listen, connect or accept where the sockets are.
 * The server's socket exists from the handshake on, accepted or not: it is
 * known from the client's connect, and its accept only confirms it. */
static int learn_sockets(struct tc__link *l, enum tc_action act, const char *rest) {
  struct tc__link *srv = &l->play->link[TC_SERVER];
  if (act == TC_ACT_LISTEN) {
    l->has_listener = parse_endpoint(&rest, &l->listener) == 0;
    return l->has_listener ? 0 : -EINVAL;
  }
  if (act != TC_ACT_CONNECT && act != TC_ACT_ACCEPT) return 0;
  struct tc_tuple t;
  if (parse_endpoint(&rest, &t.local) < 0 || parse_endpoint(&rest, &t.remote) < 0) return -EINVAL;
  add_conn(l, &t);
  struct tc_tuple m = tc_tuple_mirror(&t);
  if (act == TC_ACT_CONNECT) add_conn(srv, &m);
  /* a client program's end is known only from the accept */
  if (act == TC_ACT_ACCEPT && l->play->c->program_line[TC_CLIENT])
    add_conn(&l->play->link[TC_CLIENT], &m);
  return 0;
}

void tc__link_set_listener(struct tc__link *l, const struct tc_addr *a) {
  l->listener = *a;
  l->has_listener = 1;
}

/* A churn's figures: kept for its checkpoints and in the results. */
static int learn_churn(struct tc__link *l, const struct tc_step *st, const char *rest) {
  struct tc_churn_stats *r = &l->play->res->churn;
  if (tc__proto_churn_parse(rest, &l->churn) < 0) return -EINVAL;
  l->churned = 1;
  *r = (struct tc_churn_stats){.line = st->line,
                               .ok = l->churn.ok,
                               .failed = l->churn.failed,
                               .tuples = l->churn.tuples,
                               .us = l->churn.us,
                               .rate = l->churn.rate};
  for (size_t i = 0; i < l->churn.nerrs && i < TC_CHURN_MAX_ERRNOS; i++) {
    const char *name = tc_errno_name(l->churn.errs[i].err);
    if (name)
      snprintf(r->errs[i].name, sizeof r->errs[i].name, "%s", name);
    else
      snprintf(r->errs[i].name, sizeof r->errs[i].name, "%d", l->churn.errs[i].err);
    r->errs[i].n = l->churn.errs[i].n;
    r->nerrs = i + 1;
  }
  return 0;
}

static void learn_recv(struct tc__link *l, const char *rest) {
  size_t n;
  int eof = 0;
  if (sscanf(rest, "%zu %d", &n, &eof) >= 1) {
    l->eof = eof;
    l->received = n;
  }
}

static void apply_reply(struct tc__link *l, unsigned id, int err, const char *rest) {
  struct tc_play *play = l->play;
  if (id > play->c->nsteps || play->c->steps[id - 1].kind != TC_STEP_ACTION) {
    tc__play_fail(play, "%s peer: reply to unknown step %u", tc_role_name(l->role), id);
    return;
  }
  const struct tc_step *st = &play->c->steps[id - 1];
  if (err < 0) {
    tc__play_fail(play, "line %d: the %s peer could not run it: %s", st->line,
                  tc_role_name(l->role), rest);
    return;
  }
  if (err > 0) l->last_err = err;
  l->churned = 0;
  l->connects_pending -= st->u.act.action == TC_ACT_CONNECT;
  l->recvs_pending -= st->u.act.action == TC_ACT_RECV;
  int bad = err == 0 && st->u.act.action == TC_ACT_CHURN ? learn_churn(l, st, rest)
            : err == 0                                   ? learn_sockets(l, st->u.act.action, rest)
                                                         : 0;
  if (bad < 0) {
    tc__play_fail(play, "line %d: malformed reply from the %s peer: %s", st->line,
                  tc_role_name(l->role), rest);
    return;
  }
  if (st->u.act.action == TC_ACT_RECV) learn_recv(l, rest);
  tc__play_replied(play, id);
}

/* One reply line; stops the reading once the play has ended. NULL: the
 * peer is gone (peer_exited says how) or broke the protocol. */
static int on_reply(char *line, void *arg) {
  struct tc__link *l = arg;
  unsigned id;
  int err;
  char *rest;
  if (line == NULL) return 1;
  if (tc__proto_reply(line, &id, &err, &rest) < 0)
    tc__play_fail(l->play, "malformed reply from the %s peer: %s", tc_role_name(l->role), line);
  else
    apply_reply(l, id, err, rest);
  return l->play->life.finished;
}

/* Running: its end of the control socketpair becomes the link's pipe. A
 * peer that started after the play ended is killed at once. */
static void peer_started(struct tc__proc *p, int rc, int fd, const tc_err *why) {
  struct tc__link *l = p->data;
  struct tc_play *play = l->play;
  if (rc < 0) {
    tc__play_fail(play, "%s peer: %s", tc_role_name(l->role), why->msg);
    return;
  }
  rc = tc__proto_pipe_open(play->loop, &l->ctl, fd, &l->ctl_open);
  if (rc == 0) rc = tc__proto_read_start(&l->reader, (uv_stream_t *)&l->ctl, on_reply, l);
  if (rc < 0 || play->life.finished) {
    tc__proc_kill(&l->proc, SIGKILL);
    if (rc < 0)
      tc__play_fail(play, "%s peer: control pipe: %s", tc_role_name(l->role), uv_strerror(rc));
    return;
  }
  l->ready = 1;
  tc__play_link_ready(play);
}

int tc__link_spawn(struct tc__link *l, pid_t netns_pid, tc_err *err) {
  struct tc_play *play = l->play;
  char pid[16]; /* the namespace to join: the holder's, 0 for none */
  snprintf(pid, sizeof pid, "%d", (int)netns_pid);
  const char *exe = play->opts.peer_exe ? play->opts.peer_exe : play->opts.self_exe;
  char *args[] = {(char *)exe, "__peer", (char *)tc_role_name(l->role), pid, NULL};
  int rc = tc__proc_start(&l->proc, play, args, peer_started, peer_exited, l);
  if (rc < 0)
    return tc_errf(err, rc, "cannot start the %s peer: %s", tc_role_name(l->role), uv_strerror(rc));
  return 0;
}

int tc__link_command(struct tc__link *l, const struct tc_action_step *a, unsigned id,
                     const struct tc__proto_where *w) {
  char cmd[TC__PROTO_LINE_MAX];
  if (a->action == TC_ACT_KILL || a->action == TC_ACT_EXIT) l->ending = 1;
  if (a->action == TC_ACT_KILL) { /* the runner's own doing: no command */
    tc__link_kill(l);
    return 0;
  }
  int rc = tc__proto_command(a, id, w, cmd, sizeof cmd);
  if (rc >= 0) rc = tc__proto_send((uv_stream_t *)&l->ctl, cmd);
  if (rc >= 0) l->connects_pending += a->action == TC_ACT_CONNECT;
  if (rc >= 0) l->recvs_pending += a->action == TC_ACT_RECV;
  return rc < 0 ? rc : 0;
}

int tc__link_behind(const struct tc__link *l) {
  uv_os_fd_t fd;
  int unread = 0;
  if (!l->ctl_open) return 0;
  if (uv_stream_get_write_queue_size((const uv_stream_t *)&l->ctl) > 0) return 1;
#ifdef SIOCOUTQ /* AF_UNIX: the bytes sent that the receiver has not read yet */
  if (uv_fileno((const uv_handle_t *)&l->ctl, &fd) == 0 && ioctl(fd, SIOCOUTQ, &unread) == 0)
    return unread > 0;
#endif
  (void)fd;
  (void)unread;
  return 0;
}

/* SIGKILL to the peer's pid; only ever a process this play started. */
void tc__link_kill(struct tc__link *l) { tc__proc_kill(&l->proc, SIGKILL); }

void tc__link_close(struct tc__link *l) {
  if (l->ctl_open) {
    l->ctl_open = 0;
    tc__play_hold(l->play);
    uv_close((uv_handle_t *)&l->ctl, ctl_closed);
  }
  if (l->proc.play != NULL) tc__proc_close(&l->proc);
}

int tc__links_owner(const struct tc__link *links, const struct tc_tuple *t, int *conn) {
  for (int r = 0; r < TC_ROLE_COUNT; r++)
    for (int c = 0; c < links[r].nconns; c++)
      if (tc_addr_equal(&links[r].conns[c].local, &t->local) &&
          tc_addr_equal(&links[r].conns[c].remote, &t->remote)) {
        *conn = c + 1;
        return r;
      }
  return -1;
}
