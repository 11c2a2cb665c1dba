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
 * tc__proc_start_io() does the same with stdout and stderr on the given
 * descriptors (a program under test: pipes the runner reads); they become
 * the proc's at the call and are closed once the process started or could
 * not. With `group` set the process's whole group (its session: it is the
 * leader) is SIGKILLed the moment the leader is seen to end, before it is
 * reaped, while its pid still names the group: nothing it started outlives
 * it, and the signal can reach no stranger. tc__proc_kill_group() signals
 * the group (only while the leader is not reaped).
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
  pid_t pid;       /* 0 until started */
  int running;     /* not reaped yet */
  int kill_signal; /* asked before it started: sent once it has */
  int64_t exit_status;
  int term_signal;
  uv_poll_t watch; /* its pidfd (Linux) */
  int pidfd;
  int out_fd, err_fd; /* tc__proc_start_io: the child's stdout and stderr */
  int group;          /* kill the group when the leader ends */
  uv_process_t uvp;   /* uv_spawn's handle (elsewhere) */
  int handle_open;
};

int tc__proc_start(struct tc__proc *p, struct tc_play *play, char *const argv[],
                   tc__proc_started_cb started, tc__proc_exited_cb exited, void *data);
struct tc__proc_io {
  int out_fd, err_fd; /* the child's stdout and stderr */
  int group;          /* the group goes with its leader */
};

int tc__proc_start_io(struct tc__proc *p, struct tc_play *play, char *const argv[],
                      const struct tc__proc_io *io, tc__proc_started_cb started,
                      tc__proc_exited_cb exited, void *data);
void tc__proc_kill(struct tc__proc *p, int sig);
/* Called at the start of threadpool work: the calling thread goes after
 * the loop (which runs at real-time priority, cli_run.c), so that opening
 * a tracefs instance or starting a process never delays a timer. Linux
 * sets the thread's own policy (ordinary, nice 0); elsewhere it does
 * nothing. A process started from here inherits that ordinary policy. */
void tc__proc_background_thread(void);
/* Called at the end of threadpool work: the thread goes back to the loop's
 * own policy and priority before libuv hands the result to the loop.
 * libuv's uv_async_send() marks the handle busy, writes the eventfd, then
 * marks it done; the loop, woken by that write, spins until "done". A
 * worker below the loop was preempted in between, and the loop spun: up
 * to 4 ms at nice -20, and for tens of ms when the loop, at SCHED_FIFO,
 * was itself what kept the worker off its CPU. Both ask for
 * SCHED_RESET_ON_FORK, so no thread or process they create inherits a
 * real-time policy. */
void tc__proc_foreground_thread(void);
void tc__proc_kill_group(struct tc__proc *p, int sig);

/* `tcpclose __exec NETNS_PID DIR COMMAND` (play_program_exec.c): what a
 * program under test is started as; it becomes /bin/sh -c COMMAND in the
 * namespace of NETNS_PID, in DIR. Returns only on failure (127). */
int tc__program_exec_main(int argc, char **argv);
void tc__proc_close(struct tc__proc *p);

#endif
