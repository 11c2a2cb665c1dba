/* play_proc.h - a process of the case (a peer, the namespace holder),
 * started without blocking the loop.
 *
 * Contract: tc__proc_start() starts argv[0] (a path) with stdin and stdout
 * on /dev/null, stderr inherited, and fd 3 one end of a new socketpair, in
 * a session of its own (a Ctrl-C at the terminal reaches the runner only,
 * which ends its processes itself, in order). Starting a process means a
 * fork and an exec, milliseconds under load, so where the system allows it
 * (play_proc_linux.c: posix_spawn on libuv's threadpool, the exit watched
 * through a pidfd) that happens off the loop; elsewhere (play_proc_uv.c)
 * uv_spawn does it on the loop. Either way `started` comes later, on the
 * loop, with rc 0 and the runner's end of the socketpair (the caller's to
 * own), or rc < 0 and why. `exited` comes once the process is reaped, with
 * exit_status and term_signal set. tc__proc_kill() signals it by pid, only
 * while it has not been reaped (so never a stranger that took its pid),
 * or as soon as it has started. `running` is 1 from tc__proc_start() until
 * it is reaped (or failed to start). tc__proc_close() closes the handles;
 * the play is held (tc__play_hold) for each until its close callback.
 * Loop thread only, apart from the threadpool job's own work.
 */
#ifndef TCPCLOSE_PLAY_PROC_H
#define TCPCLOSE_PLAY_PROC_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "tcpclose/error.h"

struct tc_play;
struct tc__proc;

typedef void (*tc__proc_started_cb)(struct tc__proc *p, int rc, int fd, const tc_err *why);
typedef void (*tc__proc_exited_cb)(struct tc__proc *p);

struct tc__proc {
  struct tc_play *play;
  void *data; /* the owner's */
  tc__proc_started_cb started;
  tc__proc_exited_cb exited;
  pid_t pid;          /* 0 until started */
  int running;        /* not reaped yet */
  int kill_signal;    /* asked before it started: sent once it has */
  int64_t exit_status;
  int term_signal;
  uv_poll_t watch;    /* its pidfd (Linux) */
  int pidfd;
  uv_process_t uvp;   /* uv_spawn's handle (elsewhere) */
  int handle_open;
};

int tc__proc_start(struct tc__proc *p, struct tc_play *play, char *const argv[],
                   tc__proc_started_cb started, tc__proc_exited_cb exited, void *data);
void tc__proc_kill(struct tc__proc *p, int sig);
void tc__proc_close(struct tc__proc *p);

#endif
