/* peer_sock.c - the peer's socket operations (see peer.h).
 * Every socket is non-blocking; an operation first tries its syscall, and
 * only on EAGAIN waits for the poll callback, which simply tries again. A
 * failed syscall's errno is the operation's answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"
#include "tcpclose/sock.h"

int tc__peer_set_blocking(int fd, int blocking) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  fl = blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
  return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int tc__peer_sockaddr(const char *host, unsigned port, struct sockaddr_storage *ss,
                      socklen_t *len) {
  struct tc_addr a;
  if (tc_addr_parse(host, port, &a) < 0) return -EINVAL;
  memset(ss, 0, sizeof *ss);
  if (a.family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    memcpy(&s6->sin6_addr, a.bytes, 16);
    *len = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a.port);
    memcpy(&s4->sin_addr, a.bytes, 4);
    *len = sizeof *s4;
  }
  return 0;
}

/* "HOST PORT" of a socket address into buf. */
static void endpoint_text(const struct sockaddr_storage *ss, char *buf, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
    port = ntohs(s6->sin6_port);
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
    port = ntohs(s4->sin_port);
  }
  snprintf(buf, len, "%s %u", host, port);
}

static void reply_tuple(struct tc__peer *p, unsigned id, int fd,
                        const struct sockaddr_storage *remote) {
  struct sockaddr_storage local;
  socklen_t sl = sizeof local;
  char l[80], r[80];
  if (getsockname(fd, (struct sockaddr *)&local, &sl) < 0) {
    tc__peer_reply(p, id, errno, "");
    return;
  }
  endpoint_text(&local, l, sizeof l);
  endpoint_text(remote, r, sizeof r);
  tc__peer_reply(p, id, 0, "%s %s", l, r);
}

/* ---- watching fds ---- */

static void poll_closed(uv_handle_t *h) { free(h); }

static void unwatch(uv_poll_t **h) {
  if (*h != NULL) uv_close((uv_handle_t *)*h, poll_closed);
  *h = NULL;
}

static void try_ops(struct tc__peer *p);

static void poll_cb(uv_poll_t *h, int status, int events) {
  (void)status; /* on POLLERR libuv says EBADF: the syscall tells the truth */
  (void)events;
  try_ops(h->data);
}

/* 0, or -ENOMEM (also when libuv refuses the fd: the peer cannot go on
 * with it either way). */
static int watch(struct tc__peer *p, int fd, uv_poll_t **h) {
  *h = malloc(sizeof **h);
  if (*h == NULL || uv_poll_init(p->loop, *h, fd) < 0) {
    free(*h);
    *h = NULL;
    return -ENOMEM;
  }
  (*h)->data = p;
  return 0;
}

static void set_events(uv_poll_t *h, int events) {
  if (h == NULL) return;
  if (events)
    uv_poll_start(h, events, poll_cb);
  else
    uv_poll_stop(h);
}

void tc__peer_update_polls(struct tc__peer *p) {
  set_events(p->lpoll, p->accept_op.id || tc__peer_serving(p) ? UV_READABLE : 0);
  set_events(p->cpoll, (p->recv_op.id ? UV_READABLE : 0) |
                           (p->send_op.id || p->connect_op.id ? UV_WRITABLE : 0));
}

static void op_done(struct tc__peer_op *op) {
  free(op->data);
  memset(op, 0, sizeof *op);
}

/* ---- listen, connect, accept ---- */

/* A non-blocking listener on host:port, watched; its fd or -errno. */
static int open_listener(struct tc__peer *p, const char *host, unsigned port, int backlog,
                         int reuse, struct sockaddr_storage *ss) {
  socklen_t sl;
  int one = 1, rc = tc__peer_sockaddr(host, port, ss, &sl);
  if (rc < 0) return rc;
  int fd = socket(ss->ss_family, SOCK_STREAM, 0);
  if (fd < 0) return -errno;
  if ((reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
      bind(fd, (struct sockaddr *)ss, sl) < 0 || listen(fd, backlog) < 0 ||
      getsockname(fd, (struct sockaddr *)ss, &sl) < 0)
    rc = -errno;
  if (rc == 0) rc = tc__peer_set_blocking(fd, 0);
  if (rc == 0) rc = watch(p, fd, &p->lpoll);
  if (rc < 0) close(fd);
  return rc < 0 ? rc : fd;
}

void tc__peer_listen(struct tc__peer *p, unsigned id, const char *host, unsigned port, int backlog,
                     int reuse) {
  struct sockaddr_storage ss;
  char ep[80];
  int fd = open_listener(p, host, port, backlog, reuse, &ss);
  if (fd < 0) {
    tc__peer_reply(p, id, -fd, "");
    return;
  }
  p->lfd = fd;
  endpoint_text(&ss, ep, sizeof ep);
  tc__peer_reply(p, id, 0, "%s", ep);
}

static void drop_conn(struct tc__peer *p) {
  unwatch(&p->cpoll);
  if (p->cfd >= 0) close(p->cfd);
  p->cfd = -1;
}

static void finish_connect(struct tc__peer *p) {
  struct tc__peer_op *op = &p->connect_op;
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(p->cfd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) err = errno;
  unsigned id = op->id;
  op_done(op);
  if (err != 0) {
    drop_conn(p);
    tc__peer_reply(p, id, err, "");
    return;
  }
  reply_tuple(p, id, p->cfd, &p->connect_to);
}

/* Binds a connecting socket to `from_port` first (port=same), after
 * SO_REUSEADDR when asked, so that a new connection can take the 4-tuple of
 * one in TIME_WAIT when the kernel allows it. 0 or -errno. */
static int bind_from(int fd, const struct sockaddr_storage *to, unsigned from_port, int reuse) {
  struct sockaddr_storage ss;
  socklen_t sl;
  char host[INET6_ADDRSTRLEN];
  int one = 1;
  const void *addr = to->ss_family == AF_INET6
                         ? (const void *)&((const struct sockaddr_in6 *)to)->sin6_addr
                         : (const void *)&((const struct sockaddr_in *)to)->sin_addr;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return -errno;
  if (from_port == 0) return 0;
  inet_ntop(to->ss_family, addr, host, sizeof host);
  int rc = tc__peer_sockaddr(host, from_port, &ss, &sl);
  if (rc < 0) return rc;
  return bind(fd, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
}

/* The connection's socket, bound as asked, non-blocking and watched. */
static int open_conn(struct tc__peer *p, const struct sockaddr_storage *to, unsigned from_port,
                     int reuse) {
  p->cfd = socket(to->ss_family, SOCK_STREAM, 0);
  if (p->cfd < 0) return -errno;
  int rc = bind_from(p->cfd, to, from_port, reuse);
  if (rc == 0) rc = tc__peer_set_blocking(p->cfd, 0);
  if (rc == 0) rc = watch(p, p->cfd, &p->cpoll);
  return rc;
}

void tc__peer_connect(struct tc__peer *p, unsigned id, const char *host, unsigned port,
                      unsigned from_port, int reuse) {
  struct sockaddr_storage *ss = &p->connect_to;
  socklen_t sl;
  int rc = tc__peer_sockaddr(host, port, ss, &sl);
  if (rc == 0) rc = open_conn(p, ss, from_port, reuse);
  if (rc < 0) {
    drop_conn(p);
    tc__peer_reply(p, id, -rc, "");
    return;
  }
  p->connect_op.id = id;
  if (connect(p->cfd, (struct sockaddr *)ss, sl) == 0) {
    finish_connect(p);
  } else if (errno != EINPROGRESS) {
    int err = errno; /* a synchronous failure is not in SO_ERROR */
    op_done(&p->connect_op);
    drop_conn(p);
    tc__peer_reply(p, id, err, "");
  }
  tc__peer_update_polls(p);
}

static void try_accept(struct tc__peer *p) {
  struct sockaddr_storage remote;
  socklen_t rl = sizeof remote;
  int fd = accept(p->lfd, (struct sockaddr *)&remote, &rl);
  if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  unsigned id = p->accept_op.id;
  op_done(&p->accept_op);
  int rc = fd < 0 ? -errno : tc__peer_set_blocking(fd, 0);
  if (rc == 0) rc = watch(p, fd, &p->cpoll);
  if (rc < 0) {
    if (fd >= 0) close(fd);
    tc__peer_reply(p, id, -rc, "");
    return;
  }
  p->cfd = fd;
  reply_tuple(p, id, fd, &remote);
}

void tc__peer_accept(struct tc__peer *p, unsigned id) {
  if (p->lfd < 0) {
    tc__peer_reply(p, id, EINVAL, "");
    return;
  }
  p->accept_op.id = id;
  try_accept(p);
  tc__peer_update_polls(p);
}

/* ---- send, recv ---- */

/* Payload for `send N`: content does not matter, only the byte count. */
static const char filler[65536];

static void try_send(struct tc__peer *p) {
  struct tc__peer_op *op = &p->send_op;
  while (op->done < op->want) {
    size_t left = op->want - op->done;
    const char *buf = op->data ? op->data + op->done : filler;
    if (!op->data && left > sizeof filler) left = sizeof filler;
    ssize_t n = write(p->cfd, buf, left);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n < 0) {
      unsigned id = op->id;
      size_t done = op->done;
      int err = errno;
      op_done(op);
      tc__peer_reply(p, id, err, "%zu", done);
      return;
    }
    op->done += (size_t)n;
  }
  unsigned id = op->id;
  size_t done = op->done;
  op_done(op);
  tc__peer_reply(p, id, 0, "%zu", done);
}

static int unhex(const char *hex, size_t n, char **out) {
  if (strlen(hex) != 2 * n || (*out = malloc(n)) == NULL) return -1;
  for (size_t i = 0; i < n; i++) {
    char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
    (*out)[i] = (char)strtoul(byte, NULL, 16);
  }
  return 0;
}

void tc__peer_send(struct tc__peer *p, unsigned id, size_t n, const char *hex) {
  if (p->cfd < 0 || p->send_op.id) {
    tc__peer_reply(p, id, p->cfd < 0 ? ENOTCONN : EALREADY, "0");
    return;
  }
  struct tc__peer_op *op = &p->send_op;
  if (*hex != '\0' && unhex(hex, n, &op->data) < 0) {
    tc__peer_reply(p, id, EINVAL, "0");
    return;
  }
  op->id = id;
  op->want = n;
  try_send(p);
  tc__peer_update_polls(p);
}

static int close_socket(struct tc__peer *p, int linger, int listener);

/* Answers the recv; with "then close", closes first, at once. */
static void finish_recv(struct tc__peer *p, int err) {
  struct tc__peer_op *op = &p->recv_op;
  unsigned id = op->id;
  size_t done = op->done;
  int eof = op->eof, then = op->then_linger;
  op_done(op);
  if (then != -2) {
    int rc = close_socket(p, then, 0);
    if (err == 0) err = -rc;
  }
  tc__peer_reply(p, id, err, "%zu %d", done, eof);
}

static void try_recv(struct tc__peer *p) {
  struct tc__peer_op *op = &p->recv_op;
  char buf[65536];
  for (;;) {
    size_t cap = sizeof buf;
    if (op->mode == 'b' && op->want - op->done < cap) cap = op->want - op->done;
    ssize_t n = read(p->cfd, buf, cap);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (op->mode == 'a' && op->done > 0) finish_recv(p, 0);
      return;
    }
    if (n < 0) return finish_recv(p, errno);
    if (n == 0) op->eof = 1;
    op->done += (size_t)n;
    if (n == 0 || (op->mode == 'b' && op->done == op->want)) return finish_recv(p, 0);
  }
}

void tc__peer_recv(struct tc__peer *p, unsigned id, int mode, size_t n, int then_linger) {
  if (p->cfd < 0 || p->recv_op.id) {
    tc__peer_reply(p, id, p->cfd < 0 ? ENOTCONN : EALREADY, "0 0");
    return;
  }
  p->recv_op.id = id;
  p->recv_op.mode = mode;
  p->recv_op.want = n;
  p->recv_op.then_linger = then_linger;
  try_recv(p);
  tc__peer_update_polls(p);
}

static void try_ops(struct tc__peer *p) {
  if (p->accept_op.id) try_accept(p);
  if (tc__peer_serving(p) && !p->accept_op.id) tc__peer_serve_accept(p);
  if (p->connect_op.id) finish_connect(p);
  if (p->send_op.id) try_send(p);
  if (p->recv_op.id) try_recv(p);
  tc__peer_update_polls(p);
}

/* ---- shutdown, close ---- */

void tc__peer_shutdown(struct tc__peer *p, unsigned id, const char *how) {
  int h = strcmp(how, "rd") == 0 ? SHUT_RD : strcmp(how, "wr") == 0 ? SHUT_WR : SHUT_RDWR;
  int err = p->cfd < 0 ? ENOTCONN : shutdown(p->cfd, h) < 0 ? errno : 0;
  tc__peer_reply(p, id, err, "");
}

/* Closes the connection, or the listener when there is no connection (or
 * `listener`); returns 0 or -errno. Operations still pending on it end
 * unanswered: they were background actions the script chose to cut short. */
static int close_socket(struct tc__peer *p, int linger, int listener) {
  int is_conn = p->cfd >= 0 && !listener;
  int fd = is_conn ? p->cfd : p->lfd;
  if (fd < 0) return -EBADF;
  struct linger lg = {.l_onoff = 1, .l_linger = linger};
  int rc = 0;
  if (linger >= 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) rc = -errno;
  /* linger=N means the classic blocking close that waits for the peer's
   * ACK; on a non-blocking socket BSDs return EWOULDBLOCK instead. */
  if (linger > 0) tc__peer_set_blocking(fd, 1);
  if (is_conn) {
    op_done(&p->send_op);
    op_done(&p->recv_op);
    op_done(&p->connect_op);
    unwatch(&p->cpoll);
    p->cfd = -1;
  } else {
    op_done(&p->accept_op);
    tc__peer_serve_stop(p);
    unwatch(&p->lpoll);
    p->lfd = -1;
  }
  if (close(fd) < 0 && rc == 0) rc = -errno;
  tc__peer_update_polls(p);
  return rc;
}

void tc__peer_close(struct tc__peer *p, unsigned id, int linger, int listener) {
  tc__peer_reply(p, id, -close_socket(p, linger, listener), "");
}
