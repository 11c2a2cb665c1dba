/* test_runner_threads.c - the runner's threadpool threads hand their work
 * back at the loop's priority (harness/play_proc.h): between jobs, no
 * thread of the runner is left below its loop's thread. A worker left at
 * ordinary priority was preempted inside libuv's uv_async_send(), and the
 * loop, woken by it, spun until it ran again. Root (the runner then runs
 * at nice -20, and a namespace per case). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_helpers.h"

/* The nice value of one thread, from field 19 of its stat line. */
static int thread_nice(pid_t pid, const char *tid) {
  char path[128], line[1024];
  snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, tid);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "%s", path);
  cr_assert_not_null(fgets(line, sizeof line, f));
  fclose(f);
  const char *p = strrchr(line, ')'); /* the name may hold spaces */
  int field = 2, nice = 0;
  for (; p != NULL && *p != '\0' && field < 19; p++)
    if (*p == ' ') field++;
  cr_assert_eq(sscanf(p, "%d", &nice), 1, "%s: %s", path, line);
  return nice;
}

/* How many threads of the runner are below its main thread (which runs
 * the loop); *threads gets how many there are. */
static int threads_below(pid_t run, int *threads) {
  char dir[64], main_tid[32];
  snprintf(dir, sizeof dir, "/proc/%d/task", (int)run);
  snprintf(main_tid, sizeof main_tid, "%d", (int)run);
  int loop_nice = thread_nice(run, main_tid), below = 0;
  cr_assert_eq(loop_nice, -20, "the runner runs at nice -20 as root");
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  *threads = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    ++*threads;
    if (thread_nice(run, e->d_name) != loop_nice) below++;
  }
  closedir(d);
  return below;
}

Test(runner_threads, workers_hand_back_at_the_loops_priority, .timeout = 60) {
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
  while (th_read_until(out, "\n")) {}
  fclose(out);
  int status;
  cr_assert_eq(waitpid(run, &status, 0), run);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  cr_assert_gt(threads, 1, "no threadpool thread: the case started nothing on it");
  cr_assert_eq(below, 0, "%d of %d threads stayed below the loop's priority", below, threads);
  free(path);
  th_rmtree(dir);
}
