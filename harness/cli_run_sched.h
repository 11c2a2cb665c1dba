/* cli_run_sched.h - plays a list of cases, up to N at a time, on one loop.
 *
 * Contract: tc__sched_run() plays every case into results[i] (same index)
 * and calls on_result for each in case order, as soon as it and all before
 * it are done, so output is stable whatever finishes first. With progress
 * set (a terminal), a status line (done/running/left, elapsed) is kept at
 * the bottom and cleared before each result is printed. Cases tagged
 * `slow` start first, so that they overlap everything else. SIGINT, SIGTERM
 * and SIGHUP abort every running case (their peers are killed and reaped)
 * and start no more; *interrupted is then the signal number. Internal.
 */
#ifndef TCPCLOSE_CLI_RUN_SCHED_H
#define TCPCLOSE_CLI_RUN_SCHED_H

#include <stddef.h>

#include "tcpclose/case.h"
#include "tcpclose/play.h"
#include "tcpclose/result.h"

struct tc__sched_opts {
  size_t jobs;                    /* cases at once, at least 1 */
  int progress;                   /* keep a status line (stdout is a terminal) */
  const struct tc_play_opts *play;
  void (*on_start)(const tc_case *c, void *arg);              /* may be NULL */
  void (*on_result)(const tc_case_result *r, void *arg);
  void *arg;
};

int tc__sched_run(const tc_case *const *cases, size_t n, tc_case_result *results,
                  const struct tc__sched_opts *o, int *interrupted);

#endif
