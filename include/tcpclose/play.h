/* play.h - plays one case on a libuv loop.
 *
 * Contract: tc_play_start() spawns the case's two peer processes (the
 * tcpclose binary as `__peer`), drives them step by step, checks every
 * `expect` against the kernel through a snapshot observer, and fills the
 * caller's tc_case_result. It runs on the caller's loop and thread, and
 * never blocks it: what must block (starting a process, opening a tracefs
 * instance, entering the case's namespace) runs on libuv's threadpool, and
 * its result comes back on the loop. Several plays may share one loop. `done` is called exactly once, after
 * every peer has been reaped and every handle closed, so that nothing of the
 * case outlives it; then the caller frees the play with tc_play_free().
 * tc_play_abort() ends a play early (interrupt, timeout), killing its peers
 * by pid; done still follows.
 */
#ifndef TCPCLOSE_PLAY_H
#define TCPCLOSE_PLAY_H

#include <uv.h>

#include "tcpclose/case.h"
#include "tcpclose/result.h"

/* Receives the timeline as it happens, one formatted line at a time (steps,
 * transitions, segments, resets, with the time since the case started). */
typedef void (*tc_play_line_cb)(const char *line, void *arg);

struct tc_play_opts {
  const char *self_exe;     /* the tcpclose binary: the holder, programs' wrapper */
  const char *peer_exe;     /* tcpclose-peer; NULL: self_exe as `__peer` */
  const char *observer;     /* snapshot observer name; NULL: best here */
  unsigned step_timeout_ms; /* blocking actions; 0: TC_STEP_TIMEOUT_MS */
  /* How long a program under test may take to run or to listen; 0:
   * step_timeout_ms when that was given, else TC_PROGRAM_START_MS. */
  unsigned program_start_ms;
  int no_netns;            /* play on the host's loopback even as root */
  tc_play_line_cb on_line; /* NULL: no live timeline */
  void *line_arg;
  const char *program_dir; /* where `exec` programs run; NULL: the case file's folder */
};

#define TC_STEP_TIMEOUT_MS 5000u
/* A program's start is not the kernel's doing and not what a case judges:
 * an interpreter or a JVM, or 8 started at once by `probe` on 2 loaded
 * cores, takes seconds. The deadline only catches one that never starts. */
#define TC_PROGRAM_START_MS 30000u

typedef struct tc_play tc_play;
typedef void (*tc_play_done_cb)(tc_play *play, void *arg);

/* Starts playing c (which must outlive the play) into res. Returns 0, or a
 * negative errno when not even the start was possible; setup failures
 * after that (spawn, observer) end the case as an error through done. */
int tc_play_start(uv_loop_t *loop, const tc_case *c, const struct tc_play_opts *opts,
                  tc_case_result *res, tc_play_done_cb done, void *arg, tc_play **out);

/* Ends the play now as an error with the given reason. Idempotent. */
void tc_play_abort(tc_play *play, const char *why);

void tc_play_free(tc_play *play);

#endif
