/* cli_run_sched.h - plays a list of cases, up to N at a time, on one loop.
 *
 * Contract: tc__sched_run() plays every case into results[i] (same index)
 * and calls on_result for each in case order, as soon as it and all before
 * it are done, so output is stable whatever finishes first. Cases tagged
 * `slow` start first, so that they overlap everything else. SIGINT, SIGTERM
 * and SIGHUP abort every running case (their peers are killed and reaped)
 * and start no more; *interrupted is then the signal number. It prints
 * nothing: on_progress (every 200 ms, and after each result) and on_result
 * are the CLI's to print. A probe timer measures the loop's lag all run
 * long; the worst of it and of every case's own timers is info->loop_lag_ms,
 * and the longest turn of the loop's own work info->loop_busy_ms.
 * Runs the default loop on the caller's thread until every case is done.
 * Internal to `tcpclose run`.
 */
#ifndef TCPCLOSE_CLI_RUN_SCHED_H
#define TCPCLOSE_CLI_RUN_SCHED_H

#include <stddef.h>

#include "tcpclose/case.h"
#include "tcpclose/play.h"
#include "tcpclose/result.h"

struct tc__sched_progress {
  size_t done, running, left;
  double elapsed_s;
};

struct tc__sched_opts {
  size_t jobs; /* cases at once, at least 1 */
  const struct tc_play_opts *play;
  void (*on_start)(const tc_case *c, void *arg);                      /* may be NULL */
  void (*on_progress)(const struct tc__sched_progress *p, void *arg); /* may be NULL */
  void (*on_result)(const tc_case_result *r, void *arg);
  void *arg;
};

/* 0, or -ENOMEM when the run could not start (nothing ran). *fds_left is
 * how many more descriptors are open once every case has ended than
 * before the first started (Linux; 0 elsewhere): each case must close all
 * it opened. */
int tc__sched_run(const tc_case *const *cases, size_t n, tc_case_result *results,
                  const struct tc__sched_opts *o, int *interrupted, struct tc_run_info *info,
                  int *fds_left);

#endif
