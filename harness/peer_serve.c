/* peer_serve.c - `serve`: the peer's listener accepts every connection
 * and each plays the same script (see peer.h). Accepting happens when the
 * listener's poll says readable (peer_sock.c's try_ops), as many as the
 * kernel has queued; a bare serve (no actions) only holds each socket. */
#define _GNU_SOURCE /* accept4() */
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"
#include "peer_conn.h"
#include "peer_proto.h"

struct tc__peer_serve {
  struct tc_conn_script script; /* lives as long as the process: connections
                                   outlive a closed listener */
  int accepting;
  unsigned long accepted, ok, failed;
};

/* A non-blocking accepted socket, or -errno. */
static int accept_nb(int lfd) {
#ifdef SOCK_NONBLOCK
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return fd < 0 ? -errno : fd;
#else
  int fd = accept(lfd, NULL, NULL), rc = fd < 0 ? -errno : tc__peer_set_blocking(fd, 0);
  if (rc < 0 && fd >= 0) close(fd);
  return rc < 0 ? rc : fd;
#endif
}

static void conn_done(void *data, int err) {
  struct tc__peer_serve *s = data;
  if (err < 0)
    s->failed++;
  else
    s->ok++;
}

void tc__peer_serve_accept(struct tc__peer *p) {
  struct tc__peer_serve *s = p->serve;
  while (s != NULL && s->accepting && p->lfd >= 0) {
    int fd = accept_nb(p->lfd);
    if (fd == -EAGAIN || fd == -EWOULDBLOCK) return;
    if (fd == -EINTR || fd == -ECONNABORTED) continue;
    if (fd < 0) { /* EMFILE and the like: the next readable event retries */
      s->failed++;
      return;
    }
    s->accepted++;
    if (s->script.n == 0) continue; /* held */
    if (tc__conn_start(p->loop, fd, 0, &s->script, conn_done, s) < 0) {
      close(fd);
      s->failed++;
    }
  }
}

void tc__peer_serve(struct tc__peer *p, unsigned id, const char *words) {
  /* Many connections at full speed: what matters is their count, not how
   * soon one reacts, and a peer that goes first (peer.c) would take the
   * CPU from the runner's timers for as long as it churns. */
  setpriority(PRIO_PROCESS, 0, 0);
  if (p->lfd < 0 || (p->serve && p->serve->accepting)) {
    tc__peer_reply(p, id, p->lfd < 0 ? EINVAL : EALREADY, "");
    return;
  }
  struct tc__peer_serve *s = calloc(1, sizeof *s);
  if (s == NULL || tc__proto_conn_script_parse(words, &s->script) < 0) {
    tc__peer_reply(p, id, s == NULL ? ENOMEM : EINVAL, "");
    free(s);
    return;
  }
  tc__conn_raise_nofile();
  s->accepting = 1;
  p->serve = s; /* an earlier, stopped serve stays: its connections may play on */
  tc__peer_reply(p, id, 0, "");
  tc__peer_serve_accept(p);
  tc__peer_update_polls(p);
}

void tc__peer_serve_stop(struct tc__peer *p) {
  if (p->serve != NULL) p->serve->accepting = 0;
}

int tc__peer_serving(const struct tc__peer *p) { return p->serve != NULL && p->serve->accepting; }
