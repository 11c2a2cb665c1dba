/* peer_driver.c - see peer_driver.h. */
#include "peer_driver.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer_proto.h"

int pd_start(struct pd *d, const char *bin, const char *role) {
  int sv[2];
  memset(d, 0, sizeof *d);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return -errno;
  d->pid = fork();
  if (d->pid < 0) return -errno;
  if (d->pid == 0) {
    if (dup2(sv[1], TC__PROTO_FD) < 0) _exit(127); /* dup2 clears FD_CLOEXEC */
    execl(bin, bin, "__peer", role, "0", (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  d->fd = sv[0];
  return 0;
}

int pd_send(struct pd *d, const char *fmt, ...) {
  char line[TC__PROTO_LINE_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line - 1) return -ENOSPC;
  line[n++] = '\n';
  for (int off = 0; off < n;) {
    ssize_t w = write(d->fd, line + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -errno;
    off += (int)w;
  }
  return 0;
}

struct want {
  unsigned id;
  int found, err;
  char *rest;
  size_t len;
};

static int take(char *line, void *arg) {
  struct want *w = arg;
  unsigned id;
  int err;
  char *rest;
  if (w->found || tc__proto_reply(line, &id, &err, &rest) < 0 || id != w->id) return 0;
  snprintf(w->rest, w->len, "%s", rest);
  w->err = err;
  w->found = 1;
  return 0; /* the lines after it are read, and dropped */
}

int pd_reply(struct pd *d, unsigned id, char *rest, size_t len, int timeout_ms) {
  struct want w = {.id = id, .rest = rest, .len = len};
  d->len = tc__proto_lines(d->buf, d->len, take, &w);
  while (!w.found) {
    struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return -ETIMEDOUT;
    ssize_t n = read(d->fd, d->buf + d->len, sizeof d->buf - d->len - 1);
    if (n <= 0) return -EPIPE;
    d->len = tc__proto_lines(d->buf, d->len + (size_t)n, take, &w);
  }
  return w.err;
}

void pd_stop(struct pd *d) {
  if (d->fd > 0) close(d->fd);
  d->fd = -1;
  if (d->pid > 0) waitpid(d->pid, NULL, 0);
  d->pid = 0;
}
