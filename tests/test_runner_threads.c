/* test_runner_threads.c - the runner's loop thread runs at real-time
 * priority (SCHED_FIFO 1, cli_run.c), its threadpool threads hand their
 * work back at that same priority (harness/play_proc.h), and nothing the
 * runner starts inherits it. Between jobs, no thread of the runner is left
 * below its loop's thread: a worker left at ordinary priority was
 * preempted inside libuv's uv_async_send(), and the loop, woken by it,
 * spun until it ran again. Root (the runner then runs at nice -20, and a
 * namespace per case). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_helpers.h"

struct prio {
  int policy, rtprio, nice;
};

/* The scheduling policy (without SCHED_RESET_ON_FORK), real-time priority
 * and nice value of one thread or process. */
static struct prio prio_of(pid_t tid) {
  struct prio p = {.policy = sched_getscheduler(tid)};
  struct sched_param param;
  cr_assert_geq(p.policy, 0, "thread %d: %s", (int)tid, strerror(errno));
  cr_assert_eq(sched_getparam(tid, &param), 0);
  p.policy &= ~SCHED_RESET_ON_FORK;
  p.rtprio = param.sched_priority;
  errno = 0; /* -1 is a valid nice value: errno tells */
  p.nice = getpriority(PRIO_PROCESS, (id_t)tid);
  cr_assert_eq(errno, 0);
  return p;
}

static int prio_same(struct prio a, struct prio b) {
  return a.policy == b.policy && a.rtprio == b.rtprio && a.nice == b.nice;
}

/* How many threads of the runner are below its main thread (which runs
 * the loop); *threads gets how many there are. */
static int threads_below(pid_t run, int *threads) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/task", (int)run);
  struct prio loop = prio_of(run);
  cr_assert_eq(loop.policy, SCHED_FIFO, "the loop thread runs at SCHED_FIFO as root");
  cr_assert_eq(loop.nice, -20, "the runner runs at nice -20 as root");
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  *threads = 0;
  int below = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    ++*threads;
    if (!prio_same(prio_of(atoi(e->d_name)), loop)) below++;
  }
  closedir(d);
  return below;
}

/* Whether process `pid` was started with NAME=VALUE in its environment. */
static int env_has(pid_t pid, const char *name, const char *value) {
  static char buf[1 << 17]; /* an environment is rarely over 128 KiB */
  char path[64], want[128];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  snprintf(want, sizeof want, "%s=%s", name, value);
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  for (size_t off = 0; off < n; off += strlen(buf + off) + 1)
    if (strcmp(buf + off, want) == 0) return 1;
  return 0;
}

/* The runner's children: up to `max` pids. */
static int children_of(pid_t run, pid_t *pids, int max) {
  DIR *d = opendir("/proc");
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
    char path[300], line[1024];
    int ppid = 0;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = atoi(e->d_name) > 0 ? fopen(path, "r") : NULL;
    if (f == NULL) continue;
    const char *p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    if (p != NULL && sscanf(p, ") %*c %d", &ppid) == 1 && ppid == run) pids[n++] = atoi(e->d_name);
  }
  closedir(d);
  return n;
}

/* How many processes whose parent is the runner run at a real-time
 * policy; *children gets how many there are. */
static int children_real_time(pid_t run, int *children) {
  pid_t pids[64];
  int rt = 0;
  *children = children_of(run, pids, 64);
  for (int i = 0; i < *children; i++) {
    int policy = sched_getscheduler(pids[i]) & ~SCHED_RESET_ON_FORK;
    if (policy == SCHED_FIFO || policy == SCHED_RR) rt++;
  }
  return rt;
}

Test(runner_threads, workers_hand_back_at_the_loops_priority_children_do_not, .timeout = 60) {
  char *dir = th_tmpdir();
  char *path = th_write_file(dir, "idle.case",
                             "case idle\nabout a\nsource t\n"
                             "server listen\n"
                             "client connect\n"
                             "server accept\n"
                             "wait 5s\n" /* 7: the peers, holder and observers have started */
                             "expect server ESTABLISHED\n");
  pid_t run;
  FILE *out = th_spawn_live((char *[]){TCPCLOSE_BIN, "run", "-v", path, NULL}, &run);
  cr_assert(th_read_until(out, "line 7: wait"), "the case never reached its wait");
  /* A job may still be under way: wait for its hand-back, up to 4 s of the
   * case's 5 s wait. A thread that never comes back stays below. */
  int threads = 0, below = 0;
  for (int tries = 0; tries < 40 && (below = threads_below(run, &threads)) > 0; tries++)
    usleep(100 * 1000);
  int children = 0, rt = children_real_time(run, &children);
  while (th_read_until(out, "\n")) {}
  fclose(out);
  int status;
  cr_assert_eq(waitpid(run, &status, 0), run);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  cr_assert_gt(threads, 1, "no threadpool thread: the case started nothing on it");
  cr_assert_eq(below, 0, "%d of %d threads stayed below the loop's priority", below, threads);
  cr_assert_geq(children, 3, "the holder and both peers are the runner's children");
  cr_assert_eq(rt, 0, "%d of %d processes the runner started run at real-time priority", rt,
               children);
  free(path);
  th_rmtree(dir);
}

/* The runner's threadpool leaves a CPU to the loop: one thread fewer than
 * the CPUs it may use, at least one (cli_run.c: a job's system call keeps
 * its CPU on a kernel without preemption). The size is the runner's own:
 * a UV_THREADPOOL_SIZE of the user changes it not, and reaches the
 * processes the runner starts as it was. */
Test(runner_threads, pool_leaves_a_cpu_to_the_loop_and_the_users_size_to_children, .timeout = 60) {
  char *dir = th_tmpdir();
  char *path = th_write_file(dir, "idle.case",
                             "case idle\nabout a\nsource t\n"
                             "server listen\n"
                             "client connect\n"
                             "server accept\n"
                             "wait 3s\n" /* 7 */
                             "expect server ESTABLISHED\n");
  setenv("UV_THREADPOOL_SIZE", "7", 1);
  pid_t run;
  FILE *out = th_spawn_live((char *[]){TCPCLOSE_BIN, "run", "-v", path, NULL}, &run);
  unsetenv("UV_THREADPOOL_SIZE");
  cr_assert(th_read_until(out, "line 7: wait"), "the case never reached its wait");
  char dirname[64];
  snprintf(dirname, sizeof dirname, "/proc/%d/task", (int)run);
  DIR *d = opendir(dirname);
  cr_assert_not_null(d);
  int threads = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) threads += e->d_name[0] != '.';
  closedir(d);
  pid_t kids[16];
  int n = children_of(run, kids, 16), with_users_size = 0;
  for (int i = 0; i < n; i++) with_users_size += env_has(kids[i], "UV_THREADPOOL_SIZE", "7");
  while (th_read_until(out, "\n")) {}
  fclose(out);
  int status;
  cr_assert_eq(waitpid(run, &status, 0), run);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  cpu_set_t set;
  cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
  int cpus = CPU_COUNT(&set), workers = cpus > 1 ? cpus - 1 : 1;
  cr_assert_eq(threads, 1 + workers, "%d CPUs: the loop and %d pool threads, not %d threads", cpus,
               workers, threads);
  cr_assert_geq(n, 3, "the holder and both peers are the runner's children");
  cr_assert_eq(with_users_size, n, "%d of %d children saw the user's UV_THREADPOOL_SIZE",
               with_users_size, n);
  free(path);
  th_rmtree(dir);
}
