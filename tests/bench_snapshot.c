/* bench_snapshot.c - how long one snapshot of a case's sockets takes, by
 * the diag observer, the procfs observer and `ss -tan` with a port filter,
 * first alone, then among 20,000 unrelated TCP sockets.
 *
 * Contract: a benchmark, not a test (ctest does not run it). Run it through
 * scripts/bench-observers, which gives it a fresh network namespace with lo
 * up; it refuses a namespace that already has TCP sockets, like the host's
 * (it would crowd its tables), unless --anywhere. It makes the case's
 * sockets (a listener on 127.0.0.1:PORT and one connection to it), times
 * each method, makes PAIRS background connections on the ports after
 * PORT, and times them again. The background is held by child processes,
 * each under the descriptor limit (raised to its hard maximum; raising
 * that needs CAP_SYS_RESOURCE, which a root shell may lack). `ss` runs as a
 * user would run it: a new process each time, its output read to the end,
 * started by a helper forked before any socket exists, so that starting it
 * does not pay for copying thousands of descriptors. Children die with the
 * benchmark (PR_SET_PDEATHSIG) and are reaped before it exits.
 * Prints a table of medians and the ratios ss/diag and procfs/diag with
 * the background. Exit status: 0 goals met (ss/diag >= 4, procfs/diag >=
 * 10), 1 a goal missed, 2 could not run. */
#define _GNU_SOURCE /* pipe2, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcpclose/observe.h"
#include "tcpclose/tcpstate.h"

#define GOAL_SS 4.0
#define GOAL_PROCFS 10.0
#define MAX_REPS 10000
#define WARMUP 3
#define MAX_HOLDERS 64

struct opts {
  int pairs;
  int diag_reps, procfs_reps, ss_reps;
  unsigned port; /* the case's listener; the background listens on the next ports */
  int anywhere;
};

/* Timings of one way of taking the snapshot, in microseconds. */
struct timing {
  const char *name;
  double us[MAX_REPS];
  int reps;
  double median, p90;
};

extern char **environ;

static void die(const char *what) {
  fprintf(stderr, "bench_snapshot: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void fail(const char *msg) {
  fprintf(stderr, "bench_snapshot: %s\n", msg);
  exit(2);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void summarize(struct timing *t) {
  qsort(t->us, (size_t)t->reps, sizeof t->us[0], cmp_double);
  t->median = (t->us[(t->reps - 1) / 2] + t->us[t->reps / 2]) / 2;
  t->p90 = t->us[t->reps * 9 / 10];
}

/* ---- ss, run from a helper process that holds no sockets ---- */

struct spawner {
  pid_t pid;
  int to, from; /* requests in, results out */
};

/* One `ss -tan` run with the case's port filter, its output read to the
 * end; returns its duration in microseconds and the lines it printed. */
static double run_ss(unsigned port, int *lines) {
  char filter[64];
  snprintf(filter, sizeof filter, "sport = :%u or dport = :%u", port, port);
  char *argv[] = {"ss", "-tan", filter, NULL};
  int out[2];
  posix_spawn_file_actions_t fa;
  double t0 = now_us();
  if (pipe2(out, O_CLOEXEC) < 0) return -1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  pid_t pid;
  int rc = posix_spawnp(&pid, "ss", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  char buf[4096];
  ssize_t n;
  *lines = 0;
  while ((n = read(out[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++) *lines += buf[i] == '\n';
  close(out[0]);
  int status = 0;
  if (rc != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return now_us() - t0;
}

/* The helper: for each request (port, reps), runs ss reps times and sends
 * back each duration, then the line count of the last run. Ends when the
 * benchmark closes its pipe, or dies. */
static void spawner_loop(int in, int out) {
  unsigned req[2];
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  while (read(in, req, sizeof req) == (ssize_t)sizeof req) {
    int lines = 0;
    for (unsigned i = 0; i < req[1]; i++) {
      double us = run_ss(req[0], &lines);
      if (write(out, &us, sizeof us) != (ssize_t)sizeof us) _exit(1);
    }
    if (write(out, &lines, sizeof lines) != (ssize_t)sizeof lines) _exit(1);
  }
  _exit(0);
}

static struct spawner spawner_start(void) {
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0) die("pipe");
  struct spawner sp = {.pid = fork(), .to = to[1], .from = from[0]};
  if (sp.pid < 0) die("fork");
  if (sp.pid == 0) {
    close(to[1]);
    close(from[0]);
    spawner_loop(to[0], from[1]);
  }
  close(to[0]);
  close(from[1]);
  return sp;
}

/* Fills t with reps runs of ss; returns the line count of the last. */
static int time_ss(struct spawner *sp, unsigned port, int reps, struct timing *t) {
  unsigned req[2] = {port, (unsigned)(reps + WARMUP)};
  int lines = -1;
  if (write(sp->to, req, sizeof req) != (ssize_t)sizeof req) die("spawner");
  t->reps = 0;
  for (int i = 0; i < reps + WARMUP; i++) {
    double us;
    if (read(sp->from, &us, sizeof us) != (ssize_t)sizeof us) die("spawner");
    if (us < 0) {
      fprintf(stderr, "bench_snapshot: ss failed (is iproute2 installed?)\n");
      exit(2);
    }
    if (i >= WARMUP) t->us[t->reps++] = us;
  }
  if (read(sp->from, &lines, sizeof lines) != (ssize_t)sizeof lines) die("spawner");
  summarize(t);
  return lines;
}

static void spawner_stop(struct spawner *sp) {
  close(sp->to);
  close(sp->from);
  while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR) continue;
}

/* ---- sockets ---- */

static struct sockaddr_in loopback(unsigned port) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

static int listen_at(unsigned port, int backlog) {
  struct sockaddr_in sa = loopback(port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (fd < 0) die("socket");
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, backlog) < 0) die("listen");
  return fd;
}

/* One connection to the listener on port: fills the client's and the
 * accepted server's descriptors. */
static void connect_pair(int lfd, unsigned port, int *cli, int *srv) {
  struct sockaddr_in sa = loopback(port);
  *cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*cli < 0) die("socket (raise RLIMIT_NOFILE?)");
  if (connect(*cli, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
  *srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (*srv < 0) die("accept");
}

/* Raises the soft descriptor limit as far as the hard one allows (raising
 * the hard one needs CAP_SYS_RESOURCE); returns how many pairs fit. */
static int pairs_per_process(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) die("getrlimit");
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit RLIMIT_NOFILE");
  rlim_t fit = rl.rlim_cur == RLIM_INFINITY ? 1000000 : (rl.rlim_cur - 64) / 2;
  return fit > 30000 ? 30000 : (int)fit;
}

/* The background is held by child processes, as many as the descriptor
 * limit needs: each holds its pairs until the benchmark closes ctl. */
struct holders {
  pid_t pid[MAX_HOLDERS];
  int n;
  int ctl; /* write end; holders read EOF when it closes */
};

/* In a holder: its own listener on port, pairs connections to it, one byte
 * on ready, then wait for EOF on ctl (or the benchmark's death). */
static void holder_loop(unsigned port, int pairs, int ready, int ctl) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int lfd = listen_at(port, 4096);
  for (int i = 0; i < pairs; i++) {
    int cli, srv;
    connect_pair(lfd, port, &cli, &srv);
  }
  char c = 1;
  if (write(ready, &c, 1) != 1) _exit(1);
  close(ready); /* so that the benchmark reads EOF if another holder dies */
  while (read(ctl, &c, 1) > 0) continue;
  _exit(0);
}

static void make_background(unsigned port, int pairs, struct holders *h) {
  int per = pairs_per_process(), ctl[2], ready[2];
  if (pipe2(ctl, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) die("pipe");
  h->n = 0;
  h->ctl = ctl[1];
  for (int left = pairs; left > 0; left -= per) {
    if (h->n == MAX_HOLDERS)
      fail("RLIMIT_NOFILE too low: more than 64 processes would hold the background");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      close(ctl[1]);
      holder_loop(port + (unsigned)h->n, left < per ? left : per, ready[1], ctl[0]);
    }
    h->pid[h->n++] = pid;
  }
  close(ctl[0]);
  close(ready[1]);
  char c;
  for (int i = 0; i < h->n; i++)
    if (read(ready[0], &c, 1) != 1) fail("a process holding background sockets failed");
  close(ready[0]);
}

static void stop_holders(struct holders *h) {
  close(h->ctl);
  for (int i = 0; i < h->n; i++)
    while (waitpid(h->pid[i], NULL, 0) < 0 && errno == EINTR) continue;
}

/* Lines after the header of a /proc/net table: its sockets. */
static int table_rows(const char *path) {
  FILE *f = fopen(path, "r");
  int c, lines = 0;
  if (f == NULL) return 0;
  while ((c = getc(f)) != EOF) lines += c == '\n';
  fclose(f);
  return lines > 0 ? lines - 1 : 0;
}

/* A namespace made for the benchmark holds no TCP socket yet; a host's
 * practically always does (and the benchmark would crowd it). */
static int fresh_netns(void) {
  return table_rows("/proc/net/tcp") == 0 && table_rows("/proc/net/tcp6") == 0;
}

/* ---- observers ---- */

/* Opens the observer once, as the runner does per case, then times reps
 * snapshots of the n queries; every answer must be the wanted state. */
static void time_observer(const char *name, const struct tc_query *q, const int *want, size_t n,
                          int reps, struct timing *t) {
  tc_observer *obs;
  tc_err err;
  struct tc_sock s[8];
  if (tc_observer_open(name, &obs, &err) < 0) {
    fprintf(stderr, "bench_snapshot: %s\n", err.msg);
    exit(2);
  }
  t->reps = 0;
  for (int i = 0; i < reps + WARMUP; i++) {
    double t0 = now_us();
    int rc = tc_observer_snapshot(obs, q, n, s, &err);
    double us = now_us() - t0;
    for (size_t j = 0; rc == 0 && j < n; j++)
      if (s[j].state != want[j])
        rc = tc_errf(&err, -EPROTO, "query %zu: expected %s but got %s", j, tc_state_name(want[j]),
                     tc_state_name(s[j].state));
    if (rc < 0) {
      fprintf(stderr, "bench_snapshot: %s: %s\n", name, err.msg);
      exit(2);
    }
    if (i >= WARMUP) t->us[t->reps++] = us;
  }
  tc_observer_close(obs);
  summarize(t);
}

/* ---- the run ---- */

#define NQ 3

/* The case: a listener on 127.0.0.1:port and one connection to it; the
 * queries a checkpoint of that case makes. */
static void make_case(unsigned port, struct tc_query *q, int *want) {
  int lfd = listen_at(port, 16), cli, srv;
  connect_pair(lfd, port, &cli, &srv);
  int fds[NQ] = {lfd, cli, srv};
  for (int i = 0; i < NQ; i++) {
    struct sockaddr_in l, r;
    socklen_t len = sizeof l;
    memset(&q[i], 0, sizeof q[i]);
    q[i].listener = i == 0;
    want[i] = i == 0 ? TC_STATE_LISTEN : TC_STATE_ESTABLISHED;
    if (getsockname(fds[i], (struct sockaddr *)&l, &len) < 0) die("getsockname");
    len = sizeof r;
    if (i > 0 && getpeername(fds[i], (struct sockaddr *)&r, &len) < 0) die("getpeername");
    q[i].tuple.local = (struct tc_addr){.family = AF_INET, .port = ntohs(l.sin_port)};
    memcpy(q[i].tuple.local.bytes, &l.sin_addr, 4);
    if (i == 0) continue;
    q[i].tuple.remote = (struct tc_addr){.family = AF_INET, .port = ntohs(r.sin_port)};
    memcpy(q[i].tuple.remote.bytes, &r.sin_addr, 4);
  }
}

/* diag, procfs and ss, one after the other, on the same sockets. */
static void measure(const struct opts *o, struct spawner *sp, const struct tc_query *q,
                    const int *want, struct timing t[3]) {
  t[0].name = "diag (sock_diag)";
  time_observer("diag", q, want, NQ, o->diag_reps, &t[0]);
  t[1].name = "procfs (/proc/net/tcp)";
  time_observer("procfs", q, want, NQ, o->procfs_reps, &t[1]);
  t[2].name = "ss -tan (a process)";
  int lines = time_ss(sp, o->port, o->ss_reps, &t[2]);
  if (lines != NQ + 1) {
    fprintf(stderr,
            "bench_snapshot: expected ss to print a header and %d sockets but got %d lines\n", NQ,
            lines);
    exit(2);
  }
}

static const char *fmt_us(double us, char *buf, size_t len) {
  if (us < 1000)
    snprintf(buf, len, "%.1f us", us);
  else
    snprintf(buf, len, "%.2f ms", us / 1000);
  return buf;
}

static void print_table(const struct opts *o, struct timing alone[3], struct timing crowd[3]) {
  char a[32], b[32], c[32];
  printf("snapshot of %d sockets: listener 127.0.0.1:%u and both ends of one connection\n", NQ,
         o->port);
  printf("crowd: + %d background connections (%d sockets) in the same network namespace\n\n",
         o->pairs, 2 * o->pairs);
  printf("%-24s %5s  %12s  %12s  %10s  %12s\n", "method", "reps", "alone median", "crowd median",
         "crowd p90", "crowd / diag");
  for (int i = 0; i < 3; i++)
    printf("%-24s %5d  %12s  %12s  %10s  %11.1fx\n", crowd[i].name, crowd[i].reps,
           fmt_us(alone[i].median, a, sizeof a), fmt_us(crowd[i].median, b, sizeof b),
           fmt_us(crowd[i].p90, c, sizeof c), crowd[i].median / crowd[0].median);
}

static int goals(const struct timing crowd[3]) {
  double ss = crowd[2].median / crowd[0].median, procfs = crowd[1].median / crowd[0].median;
  int ok = ss >= GOAL_SS && procfs >= GOAL_PROCFS;
  printf("\nwith the crowd: ss/diag %.1fx (goal >= %.0fx), procfs/diag %.1fx (goal >= %.0fx): %s\n",
         ss, GOAL_SS, procfs, GOAL_PROCFS, ok ? "goals met" : "GOAL MISSED");
  return ok ? 0 : 1;
}

static void usage(void) {
  fprintf(
      stderr,
      "usage: bench_snapshot [--pairs N] [--diag-reps N] [--procfs-reps N] [--ss-reps N]\n"
      "                      [--port P] [--anywhere]   (run it through scripts/bench-observers)\n");
  exit(2);
}

static int reps_arg(const char *v, int lo, int hi) {
  char *end;
  long n = v ? strtol(v, &end, 10) : 0;
  if (v == NULL || *end != '\0' || n < lo || n > hi) usage();
  return (int)n;
}

static struct opts parse_args(int argc, char **argv) {
  struct opts o = {
      .pairs = 10000, .diag_reps = 200, .procfs_reps = 20, .ss_reps = 20, .port = 7000};
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--anywhere") == 0) {
      o.anywhere = 1;
      continue;
    }
    if (strcmp(argv[i], "--pairs") == 0)
      o.pairs = reps_arg(v, 0, 30000);
    else if (strcmp(argv[i], "--diag-reps") == 0)
      o.diag_reps = reps_arg(v, 10, MAX_REPS);
    else if (strcmp(argv[i], "--procfs-reps") == 0)
      o.procfs_reps = reps_arg(v, 10, MAX_REPS);
    else if (strcmp(argv[i], "--ss-reps") == 0)
      o.ss_reps = reps_arg(v, 10, MAX_REPS);
    else if (strcmp(argv[i], "--port") == 0)
      o.port = (unsigned)reps_arg(v, 1, 30000);
    else
      usage();
    i++;
  }
  return o;
}

int main(int argc, char **argv) {
  struct opts o = parse_args(argc, argv);
  if (!o.anywhere && !fresh_netns()) {
    fprintf(stderr, "bench_snapshot: this network namespace already has TCP sockets: run "
                    "scripts/bench-observers,\n"
                    "  which makes a fresh one (or pass --anywhere)\n");
    return 2;
  }
  struct spawner sp = spawner_start(); /* before any socket, see the header */
  static struct timing alone[3], crowd[3];
  struct tc_query q[NQ];
  int want[NQ];
  struct holders h;
  make_case(o.port, q, want);
  measure(&o, &sp, q, want, alone);
  make_background(o.port + 1, o.pairs, &h);
  measure(&o, &sp, q, want, crowd);
  stop_holders(&h);
  spawner_stop(&sp);
  print_table(&o, alone, crowd);
  return goals(crowd);
}
