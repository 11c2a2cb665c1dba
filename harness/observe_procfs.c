/* observe_procfs.c - snapshot observer reading /proc/net/tcp{,6} (Linux).
 * The fallback when sock_diag is not there: every snapshot reads the whole
 * table, so it gets slow with many sockets, but it needs no privilege and
 * shows orphans and TIME_WAIT mini-sockets like any other line.
 * The files are opened once, at open(): /proc/net/tcp shows the network
 * namespace of the thread that opens it, so an observer opened inside a
 * case's namespace keeps seeing that namespace; each snapshot re-reads
 * the same descriptors from the start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "grow.h"
#include "observe_backend.h"
#include "tcpclose/observe_procfs_parse.h"

struct procfs {
  int fd[2]; /* tcp, tcp6 (-1 without IPv6) */
  char *buf;
  size_t cap;
};

static int procfs_open(void **state, tc_err *err) {
  static const char *const paths[2] = {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"};
  struct procfs *p = calloc(1, sizeof *p);
  if (p == NULL) return tc_errf(err, -ENOMEM, "observer procfs: out of memory");
  for (int i = 0; i < 2; i++) p->fd[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
  if (p->fd[0] < 0) {
    int e = errno;
    if (p->fd[1] >= 0) close(p->fd[1]);
    free(p);
    return tc_errf(err, -e, "observer procfs: %s: %s", paths[0], strerror(e));
  }
  *state = p;
  return 0;
}

/* Reads a whole table from its start into p->buf. */
static int read_table(struct procfs *p, int fd, tc_err *err) {
  size_t len = 0;
  if (lseek(fd, 0, SEEK_SET) < 0)
    return tc_errf(err, -errno, "observer procfs: %s", strerror(errno));
  for (;;) {
    if (tc__grow(&p->buf, &p->cap, len + 4096, 65536, 1) < 0)
      return tc_errf(err, -ENOMEM, "observer procfs: out of memory");
    ssize_t n = read(fd, p->buf + len, p->cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tc_errf(err, -errno, "observer procfs: %s", strerror(errno));
    if (n == 0) break;
    len += (size_t)n;
  }
  p->buf[len] = '\0';
  return 0;
}

/* Matches every line of one table against the queries of that family. */
static int scan_table(struct procfs *p, int family, const struct tc_query *q, size_t n,
                      struct tc_sock *out, tc_err *err) {
  int fd = p->fd[family == AF_INET6];
  if (fd < 0) return 0; /* no IPv6 here: nothing of that family exists */
  int rc = read_table(p, fd, err);
  struct tc_sock s;
  for (char *line = p->buf, *nl; rc == 0 && line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (tc_procfs_parse_line(line, family, &s) < 0) continue; /* header */
    for (size_t i = 0; i < n; i++)
      if (q[i].tuple.local.family == family && tc__query_matches(&q[i], &s)) out[i] = s;
  }
  return rc;
}

static int procfs_snapshot(void *state, const struct tc_query *q, size_t n, struct tc_sock *out,
                           tc_err *err) {
  int need[2] = {0, 0};
  for (size_t i = 0; i < n; i++) need[q[i].tuple.local.family == AF_INET6] = 1;
  int rc = 0;
  if (need[0]) rc = scan_table(state, AF_INET, q, n, out, err);
  if (rc == 0 && need[1]) rc = scan_table(state, AF_INET6, q, n, out, err);
  return rc;
}

static void procfs_close(void *state) {
  struct procfs *p = state;
  if (p == NULL) return;
  for (int i = 0; i < 2; i++)
    if (p->fd[i] >= 0) close(p->fd[i]);
  free(p->buf);
  free(p);
}

/* Counts the role's sockets in the table of the server's family. */
static int procfs_count(void *state, const struct tc_count_query *q, struct tc_counts *counts,
                        tc_err *err) {
  struct procfs *p = state;
  int fd = p->fd[q->server.family == AF_INET6];
  if (fd < 0) return 0;
  int rc = read_table(p, fd, err);
  struct tc_sock s;
  for (char *line = p->buf, *nl; rc == 0 && line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (tc_procfs_parse_line(line, q->server.family, &s) == 0 && tc__count_matches(q, &s))
      tc__count_add(counts, &s);
  }
  return rc;
}

const struct tc__observer_backend tc__observer_procfs = {
    .count = procfs_count,
    .name = "procfs",
    .timers = 1,
    .open = procfs_open,
    .snapshot = procfs_snapshot,
    .close = procfs_close,
};
