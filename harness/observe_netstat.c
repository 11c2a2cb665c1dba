/* observe_netstat.c - snapshot observer that runs the system's `netstat`:
 * the one that works where there is no /proc/net/tcp and no sock_diag
 * (FreeBSD, macOS), and on Linux wherever net-tools is installed.
 *
 * Each snapshot runs netstat once (posix_spawnp, no shell, its output
 * through a pipe, reaped before returning) and matches every TCP line
 * against the queries; observe_netstat_parse.c reads whichever layout the system
 * prints. -W keeps netstat from cutting long IPv6 addresses. A process per
 * snapshot is slow next to procfs or sock_diag, but needs nothing the
 * system lacks. netstat shows no timers, retransmits or owner: they are 0.
 * On Linux the observer is opened inside the case's network namespace and
 * keeps it open: each snapshot then runs netstat there through util-linux's
 * nsenter (the runner itself has returned to its own namespace by then).
 * macOS's netstat has been reported not to list TIME_WAIT sockets
 * (rdar://22975100, OS X 10.10.5, which reads net.inet.tcp.pcblist_n);
 * where that holds, a TIME_WAIT reads as gone. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grow.h"
#include "observe_backend.h"
#include "tcpclose/observe_netstat_parse.h"
#include "tcpclose/tcpstate.h"

extern char **environ;

/* net-tools takes -t for TCP where the BSDs take -p tcp (-p is --programs
 * there). */
static char *const bsd_argv[] = {"netstat", "-anW", "-p", "tcp", NULL};
static char *const linux_argv[] = {"netstat", "-antW", NULL};
/* The namespace kept at open is the child's fd 3 (util-linux nsenter). */
static char *const linux_ns_argv[] = {"nsenter", "--net=/proc/self/fd/3", "netstat", "-antW", NULL};

struct netstat_state {
  char *const *argv; /* netstat in this thread's namespace */
  int nsfd;          /* Linux: the namespace the observer was opened in */
};

/* The command for now: through nsenter when this thread has left the
 * namespace the observer was opened in (the runner opens observers inside
 * the case's and takes snapshots from its own). */
static char *const *command_now(const struct netstat_state *st) {
  struct stat kept, now;
  if (st->nsfd < 0 || fstat(st->nsfd, &kept) < 0 || stat("/proc/thread-self/ns/net", &now) < 0 ||
      (kept.st_ino == now.st_ino && kept.st_dev == now.st_dev))
    return st->argv;
  return linux_ns_argv;
}

/* The command line, for messages. */
static const char *command_text(char *const *argv, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; argv[i] != NULL && off < len; i++) {
    int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
    if (n > 0) off += (size_t)n;
  }
  return buf;
}

struct output {
  char *buf;
  size_t len, cap;
};

/* Appends what the pipe holds until end of file. */
static int read_all(int fd, struct output *o) {
  for (;;) {
    if (tc__grow(&o->buf, &o->cap, o->len + 4096, 16384, 1) < 0) return -ENOMEM;
    ssize_t n = read(fd, o->buf + o->len, o->cap - o->len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    o->len += (size_t)n;
  }
  o->buf[o->len] = '\0';
  return 0;
}

/* Starts argv with its stdout on fd, and the kept namespace on fd 3 when
 * it goes through nsenter; nothing else is open to it. */
static int spawn_netstat(const struct netstat_state *st, char *const *argv, int fd, pid_t *pid) {
  posix_spawn_file_actions_t fa;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0) return -rc;
  if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
      (rc = posix_spawn_file_actions_adddup2(&fa, fd, 1)) == 0 &&
      (rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)) == 0 &&
      (argv != linux_ns_argv || (rc = posix_spawn_file_actions_adddup2(&fa, st->nsfd, 3)) == 0))
    rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  return -rc;
}

static int wait_exit(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs netstat to completion; out->buf holds its output (caller frees). */
static int run_netstat(const struct netstat_state *st, struct output *out, tc_err *err) {
  char *const *argv = command_now(st);
  char cmd[96];
  int fds[2];
  if (pipe(fds) < 0) return tc_errf(err, -errno, "observer netstat: pipe: %s", strerror(errno));
  fcntl(fds[0], F_SETFD, FD_CLOEXEC); /* only the dup2'd copy reaches netstat */
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  pid_t pid;
  int rc = spawn_netstat(st, argv, fds[1], &pid);
  close(fds[1]);
  if (rc < 0) {
    close(fds[0]);
    return tc_errf(err, rc, "observer netstat: cannot run '%s': %s",
                   command_text(argv, cmd, sizeof cmd), strerror(-rc));
  }
  *out = (struct output){0};
  int read_rc = read_all(fds[0], out);
  close(fds[0]);
  int status = wait_exit(pid);
  if (read_rc == 0 && status == 0) return 0;
  free(out->buf);
  out->buf = NULL;
  command_text(argv, cmd, sizeof cmd);
  if (read_rc < 0)
    return tc_errf(err, read_rc, "observer netstat: reading '%s': %s", cmd, strerror(-read_rc));
  return tc_errf(err, -EIO, "observer netstat: '%s' exited with status %d", cmd, status);
}

static void choose_command(struct netstat_state *st) {
  struct utsname u;
  int on_linux = uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0;
  st->argv = on_linux ? linux_argv : bsd_argv;
  st->nsfd = on_linux ? open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
}

static void netstat_close(void *state) {
  struct netstat_state *st = state;
  if (st->nsfd >= 0) close(st->nsfd);
  free(st);
}

static int netstat_open(void **state, tc_err *err) {
  struct netstat_state *st = calloc(1, sizeof *st);
  if (st == NULL) return tc_errf(err, -ENOMEM, "observer netstat: out of memory");
  choose_command(st);
  /* One run now, so that a missing netstat is reported when the observer is
   * chosen rather than at the first checkpoint. */
  struct output out;
  int rc = run_netstat(st, &out, err);
  if (rc < 0) {
    netstat_close(st);
    return rc;
  }
  free(out.buf);
  *state = st;
  return 0;
}

/* Matches each TCP line of the output against every query. */
static void match_lines(char *text, const struct tc_query *q, size_t n, struct tc_sock *out) {
  char *save = NULL;
  struct tc_sock s;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    if (tc_netstat_parse_line(line, TC_NETSTAT_ANY, &s) < 0) continue;
    for (size_t i = 0; i < n; i++)
      if (tc__query_matches(&q[i], &s)) out[i] = s;
  }
}

static int netstat_snapshot(void *state, const struct tc_query *q, size_t n, struct tc_sock *out,
                            tc_err *err) {
  struct output o;
  int rc = run_netstat(state, &o, err);
  if (rc < 0) return rc;
  match_lines(o.buf, q, n, out);
  free(o.buf);
  return 0;
}

/* Counts the role's sockets among every TCP line netstat printed. */
static int netstat_count(void *state, const struct tc_count_query *q, struct tc_counts *counts,
                         tc_err *err) {
  struct output o;
  char *save = NULL;
  struct tc_sock s;
  int rc = run_netstat(state, &o, err);
  if (rc < 0) return rc;
  for (char *l = strtok_r(o.buf, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
    if (tc_netstat_parse_line(l, TC_NETSTAT_ANY, &s) == 0 && s.state > 0 &&
        s.state < TC_STATE_COUNT && tc__count_matches(q, &s))
      tc__count_add(counts, &s);
  free(o.buf);
  return 0;
}

const struct tc__observer_backend tc__observer_netstat = {
    .count = netstat_count,
    .name = "netstat",
    .open = netstat_open,
    .snapshot = netstat_snapshot,
    .close = netstat_close,
};
