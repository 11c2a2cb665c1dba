/* peer_conn.c - one connection playing its script (see peer_conn.h). */
#include "peer_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"

struct conn {
  uv_loop_t *loop;
  int fd;
  int connecting;
  const struct tc_conn_script *script;
  size_t step;
  size_t done; /* bytes of the current send or recv */
  uv_poll_t poll;
  uv_timer_t timer;
  int has_poll, has_timer;
  int closing; /* handles whose close callback is still due */
  int finished;
  tc__conn_done_cb cb;
  void *data;
};

#define AGAIN(e) ((e) == EAGAIN || (e) == EWOULDBLOCK || (e) == EINTR)
#define TIMER_STARTED 1 /* a step's answer: the timer will resume the script */

static void play(struct conn *c);

static void handle_closed(uv_handle_t *h) {
  struct conn *c = h->data;
  if (--c->closing == 0 && c->finished) free(c);
}

/* Closes the handles (and the socket unless it is held); frees c once
 * libuv is done with them. */
static void release(struct conn *c, int close_fd) {
  if (c->has_poll) c->closing++, uv_close((uv_handle_t *)&c->poll, handle_closed);
  if (c->has_timer) c->closing++, uv_close((uv_handle_t *)&c->timer, handle_closed);
  c->has_poll = c->has_timer = 0;
  if (close_fd && c->fd >= 0) close(c->fd);
  c->fd = -1;
}

static void finish(struct conn *c, int err) {
  release(c, err < 0);
  c->finished = 1;
  c->cb(c->data, err);
  if (c->closing == 0) free(c);
}

static void poll_cb(uv_poll_t *h, int status, int events) {
  (void)status; /* on POLLERR libuv says EBADF: the syscall tells the truth */
  (void)events;
  play(h->data);
}

/* Waits for the socket to become readable or writable, then plays on. */
static int wait_fd(struct conn *c, int events) {
  if (!c->has_poll) {
    if (uv_poll_init(c->loop, &c->poll, c->fd) < 0) return -ENOMEM;
    c->poll.data = c;
    c->has_poll = 1;
  }
  return uv_poll_start(&c->poll, events, poll_cb) < 0 ? -ENOMEM : -EAGAIN;
}

static void timer_cb(uv_timer_t *t) {
  struct conn *c = t->data;
  c->step++;
  play(c);
}

static int start_timer(struct conn *c, unsigned ms) {
  if (c->has_poll) uv_poll_stop(&c->poll);
  if (!c->has_timer) {
    if (uv_timer_init(c->loop, &c->timer) < 0) return -ENOMEM;
    c->timer.data = c;
    c->has_timer = 1;
  }
  return uv_timer_start(&c->timer, timer_cb, ms, 0) < 0 ? -ENOMEM : TIMER_STARTED;
}

/* Payload for `send N`: content does not matter, only the byte count. */
static const char filler[65536];

static int do_send(struct conn *c, const struct tc_conn_action *a) {
  while (c->done < a->bytes) {
    size_t left = a->bytes - c->done;
    const char *buf = a->text ? a->text + c->done : filler;
    if (!a->text && left > sizeof filler) left = sizeof filler;
    ssize_t n = send(c->fd, buf, left, MSG_NOSIGNAL);
    if (n < 0) return AGAIN(errno) ? wait_fd(c, UV_WRITABLE) : -errno;
    c->done += (size_t)n;
  }
  return 0;
}

static int do_recv(struct conn *c, const struct tc_conn_action *a) {
  char buf[16384];
  for (;;) {
    size_t cap = sizeof buf;
    if (a->recv == TC_RECV_BYTES && a->bytes - c->done < cap) cap = a->bytes - c->done;
    ssize_t n = read(c->fd, buf, cap);
    if (n < 0 && AGAIN(errno))
      return a->recv == TC_RECV_ALL && c->done > 0 ? 0 : wait_fd(c, UV_READABLE);
    if (n < 0) return -errno;
    c->done += (size_t)n;
    if (n == 0 || (a->recv == TC_RECV_BYTES && c->done == a->bytes)) return 0;
  }
}

static int do_close(struct conn *c, const struct tc_conn_action *a) {
  struct linger lg = {.l_onoff = 1, .l_linger = a->linger};
  int fd = c->fd, rc = 0;
  if (a->linger >= 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) rc = -errno;
  if (a->linger > 0) tc__peer_set_blocking(fd, 1); /* the close that waits for the ACK */
  release(c, 0);
  if (close(fd) < 0 && rc == 0) rc = -errno;
  return rc;
}

static int do_step(struct conn *c, const struct tc_conn_action *a) {
  static const int how[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  switch (a->op) {
  case TC_CONN_RECV: return do_recv(c, a);
  case TC_CONN_SEND: return do_send(c, a);
  case TC_CONN_SHUTDOWN: return shutdown(c->fd, how[a->how]) < 0 ? -errno : 0;
  case TC_CONN_CLOSE: return do_close(c, a);
  case TC_CONN_WAIT: return start_timer(c, a->ms);
  }
  return -EINVAL;
}

/* A connect that returned EINPROGRESS: its outcome is in SO_ERROR once
 * the socket is writable. */
static int connected(struct conn *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  if (err == 0) {
    c->connecting = 0;
    return 0;
  }
  return err == EINPROGRESS || err == EALREADY ? wait_fd(c, UV_WRITABLE) : -err;
}

static void play(struct conn *c) {
  int rc = c->connecting ? connected(c) : 0;
  while (rc == 0 && c->step < c->script->n) {
    rc = do_step(c, &c->script->act[c->step]);
    if (rc == 0) c->step++, c->done = 0;
  }
  if (rc == -EAGAIN || rc == TIMER_STARTED) return;
  finish(c, rc);
}

int tc__conn_start(uv_loop_t *loop, int fd, int connecting, const struct tc_conn_script *script,
                   tc__conn_done_cb done, void *data) {
  struct conn *c = malloc(sizeof *c);
  if (c == NULL) return -ENOMEM;
  memset(c, 0, sizeof *c);
  c->loop = loop;
  c->fd = fd;
  c->script = script;
  c->cb = done;
  c->data = data;
  c->connecting = connecting;
  /* On loopback the handshake is usually over by the time connect()
   * returns EINPROGRESS: one poll() that does not wait saves a uv_poll_t,
   * its epoll registration and a loop turn per connection. */
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  if (connecting && poll(&pfd, 1, 0) == 1) connecting = 0, c->connecting = 1;
  if (connecting) {
    int rc = wait_fd(c, UV_WRITABLE);
    if (rc == -EAGAIN) return 0;
    c->finished = 1;
    c->fd = -1; /* the caller's still */
    release(c, 0);
    if (c->closing == 0) free(c);
    return rc;
  }
  play(c);
  return 0;
}

void tc__conn_raise_nofile(void) {
  static int done;
  struct rlimit rl;
  if (done || getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
  done = 1;
  rl.rlim_cur = rl.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: EMFILE is then an answer */
}
