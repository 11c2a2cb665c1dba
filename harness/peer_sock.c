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

static int set_blocking(int fd, int blocking) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -1;
  fl = blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
  return fcntl(fd, F_SETFL, fl);
}

static int sockaddr_from(const char *host, unsigned port,
                         struct sockaddr_storage *ss, socklen_t *len) {
  struct tc_addr a;
  if (tc_addr_parse(host, port, &a) < 0) return -1;
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

static int watch(struct tc__peer *p, int fd, uv_poll_t **h) {
  *h = malloc(sizeof **h);
  if (*h == NULL || uv_poll_init(p->loop, *h, fd) < 0) {
    free(*h);
    *h = NULL;
    return -1;
  }
  (*h)->data = p;
  return 0;
}

static void set_events(uv_poll_t *h, int events) {
  if (h == NULL) return;
  if (events) uv_poll_start(h, events, poll_cb);
  else uv_poll_stop(h);
}

static void update_polls(struct tc__peer *p) {
  set_events(p->lpoll, p->accept_op.id ? UV_READABLE : 0);
  set_events(p->cpoll, (p->recv_op.id ? UV_READABLE : 0) |
                           (p->send_op.id || p->connect_op.id ? UV_WRITABLE : 0));
}

static void op_done(struct tc__peer_op *op) {
  free(op->data);
  memset(op, 0, sizeof *op);
}

/* ---- listen, connect, accept ---- */

void tc__peer_listen(struct tc__peer *p, unsigned id, const char *host, unsigned port, int backlog,
                     int reuse) {
  struct sockaddr_storage ss;
  socklen_t sl;
  int one = 1, fd = -1;
  if (sockaddr_from(host, port, &ss, &sl) < 0) errno = EINVAL;
  else if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0) ;
  else if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ;
  else if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, backlog) < 0) ;
  else if (set_blocking(fd, 0) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) ;
  else if (watch(p, fd, &p->lpoll) < 0) errno = ENOMEM;
  else {
    char ep[80];
    p->lfd = fd;
    endpoint_text(&ss, ep, sizeof ep);
    tc__peer_reply(p, id, 0, "%s", ep);
    return;
  }
  int err = errno;
  if (fd >= 0) close(fd);
  tc__peer_reply(p, id, err, "");
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
 * one in TIME_WAIT when the kernel allows it. */
static int bind_from(int fd, const struct sockaddr_storage *to, unsigned from_port, int reuse) {
  struct sockaddr_storage ss;
  socklen_t sl;
  char host[INET6_ADDRSTRLEN];
  int one = 1;
  const void *addr = to->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)to)->sin6_addr
                                              : (const void *)&((const struct sockaddr_in *)to)->sin_addr;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return -1;
  if (from_port == 0) return 0;
  inet_ntop(to->ss_family, addr, host, sizeof host);
  if (sockaddr_from(host, from_port, &ss, &sl) < 0) return errno = EINVAL, -1;
  return bind(fd, (struct sockaddr *)&ss, sl);
}

void tc__peer_connect(struct tc__peer *p, unsigned id, const char *host, unsigned port,
                      unsigned from_port, int reuse) {
  struct sockaddr_storage *ss = &p->connect_to;
  socklen_t sl;
  if (sockaddr_from(host, port, ss, &sl) < 0) {
    tc__peer_reply(p, id, EINVAL, "");
    return;
  }
  errno = 0;
  p->cfd = socket(ss->ss_family, SOCK_STREAM, 0);
  if (p->cfd < 0 || bind_from(p->cfd, ss, from_port, reuse) < 0 || set_blocking(p->cfd, 0) < 0 ||
      watch(p, p->cfd, &p->cpoll) < 0) {
    int err = errno ? errno : ENOMEM;
    drop_conn(p);
    tc__peer_reply(p, id, err, "");
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
  update_polls(p);
}

static void try_accept(struct tc__peer *p) {
  struct sockaddr_storage remote;
  socklen_t rl = sizeof remote;
  int fd = accept(p->lfd, (struct sockaddr *)&remote, &rl);
  if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  unsigned id = p->accept_op.id;
  op_done(&p->accept_op);
  if (fd < 0 || set_blocking(fd, 0) < 0 || watch(p, fd, &p->cpoll) < 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    tc__peer_reply(p, id, err, "");
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
  update_polls(p);
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
  update_polls(p);
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
    int cerr = close_socket(p, then, 0);
    if (err == 0) err = cerr;
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
  update_polls(p);
}

static void try_ops(struct tc__peer *p) {
  if (p->accept_op.id) try_accept(p);
  if (p->connect_op.id) finish_connect(p);
  if (p->send_op.id) try_send(p);
  if (p->recv_op.id) try_recv(p);
  update_polls(p);
}

/* ---- shutdown, close ---- */

void tc__peer_shutdown(struct tc__peer *p, unsigned id, const char *how) {
  int h = strcmp(how, "rd") == 0 ? SHUT_RD : strcmp(how, "wr") == 0 ? SHUT_WR : SHUT_RDWR;
  int rc = p->cfd < 0 ? (errno = ENOTCONN, -1) : shutdown(p->cfd, h);
  tc__peer_reply(p, id, rc < 0 ? errno : 0, "");
}

/* Closes the connection, or the listener when there is no connection.
 * Operations still pending on it end unanswered: they were background
 * actions the script chose to cut short. */
/* Closes the connection (or the listener); returns the errno, 0 if none. */
static int close_socket(struct tc__peer *p, int linger, int listener) {
  int is_conn = p->cfd >= 0 && !listener;
  int fd = is_conn ? p->cfd : p->lfd;
  if (fd < 0) return EBADF;
  struct linger lg = {.l_onoff = 1, .l_linger = linger};
  int err = 0;
  if (linger >= 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) err = errno;
  /* linger=N means the classic blocking close that waits for the peer's
   * ACK; on a non-blocking socket BSDs return EWOULDBLOCK instead. */
  if (linger > 0) set_blocking(fd, 1);
  if (is_conn) {
    op_done(&p->send_op);
    op_done(&p->recv_op);
    op_done(&p->connect_op);
    unwatch(&p->cpoll);
    p->cfd = -1;
  } else {
    op_done(&p->accept_op);
    unwatch(&p->lpoll);
    p->lfd = -1;
  }
  if (close(fd) < 0 && err == 0) err = errno;
  update_polls(p);
  return err;
}

void tc__peer_close(struct tc__peer *p, unsigned id, int linger, int listener) {
  tc__peer_reply(p, id, close_socket(p, linger, listener), "");
}
