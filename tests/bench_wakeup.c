/* bench_wakeup.c - the machine's own wake-up latency, for scripts/bench-suite:
 * a process that does nothing but sleep 10 ms at a time, at the runner's
 * loop's priority (SCHED_FIFO 1 and nice -20 when allowed, cli_run.c), and
 * reports how late it woke. Run
 * beside `tcpclose run`, it is the floor under the runner's loop lag: what
 * any timer of that priority would see on that machine under that load,
 * with no work of its own to do.
 * Usage: bench_wakeup SECONDS; prints "worst W ms, p99 P ms, N wake-ups". */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0;
  if (seconds <= 0) {
    fprintf(stderr, "usage: bench_wakeup SECONDS\n");
    return 2;
  }
  setpriority(PRIO_PROCESS, 0, -20);
  struct sched_param first = {.sched_priority = 1};
  sched_setscheduler(0, SCHED_FIFO, &first);
  size_t cap = (size_t)(seconds * 100) + 1, n = 0;
  double *late = malloc(cap * sizeof *late), end = now_ms() + seconds * 1e3;
  if (late == NULL) return 1;
  while (n < cap && now_ms() < end) {
    double before = now_ms();
    struct timespec ten = {0, 10 * 1000 * 1000};
    nanosleep(&ten, NULL);
    late[n++] = now_ms() - before - 10;
  }
  qsort(late, n, sizeof *late, by_value);
  printf("worst %.1f ms, p99 %.1f ms, %zu wake-ups\n", n ? late[n - 1] : 0,
         n ? late[n * 99 / 100] : 0, n);
  free(late);
  return 0;
}
