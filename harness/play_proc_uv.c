/* play_proc_uv.c - processes of the case started with uv_spawn, on the
 * loop, where there is no pidfd (see play_proc.h). `started` is called
 * before tc__proc_start() returns. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "play_internal.h"

/* uv reaps before it calls back: the group is signalled by its id, which
 * stays its own while any member lives. */
static void uv_exited(uv_process_t *proc, int64_t status, int signal) {
  struct tc__proc *p = proc->data;
  if (p->group) kill(-p->pid, SIGKILL);
  p->running = 0;
  p->exit_status = status;
  p->term_signal = signal;
  p->exited(p);
}

/* FD_CLOEXEC by fcntl: SOCK_CLOEXEC is not on every system (macOS). */
static int pair(int sv[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return -errno;
  if (fcntl(sv[0], F_SETFD, FD_CLOEXEC) == 0 && fcntl(sv[1], F_SETFD, FD_CLOEXEC) == 0) return 0;
  int e = errno;
  close(sv[0]);
  close(sv[1]);
  return -e;
}

static void close_io(const struct tc__proc_io *io) {
  if (io->out_fd >= 0) close(io->out_fd);
  if (io->err_fd >= 0) close(io->err_fd);
}

int tc__proc_start_io(struct tc__proc *p, struct tc_play *play, char *const argv[],
                      const struct tc__proc_io *io, tc__proc_started_cb started,
                      tc__proc_exited_cb exited, void *data) {
  struct tc__proc_io none = {.out_fd = -1, .err_fd = -1};
  int sv[2];
  tc_err why;
  if (io == NULL) io = &none;
  *p = (struct tc__proc){.play = play,
                         .data = data,
                         .started = started,
                         .exited = exited,
                         .pidfd = -1,
                         .out_fd = -1,
                         .err_fd = -1,
                         .group = io->group};
  int rc = pair(sv);
  if (rc < 0) return close_io(io), rc;
  uv_stdio_container_t stdio[4] = {
      {.flags = UV_IGNORE},
      {.flags = io->out_fd >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = io->out_fd},
      {.flags = UV_INHERIT_FD, .data.fd = io->err_fd >= 0 ? io->err_fd : 2},
      {.flags = UV_INHERIT_FD, .data.fd = sv[1]}};
  uv_process_options_t o = {.file = argv[0],
                            .args = (char **)argv,
                            .exit_cb = uv_exited,
                            .flags = UV_PROCESS_DETACHED,
                            .stdio_count = 4,
                            .stdio = stdio};
  p->uvp.data = p;
  p->handle_open = 1; /* uv_spawn initializes the handle even when it fails */
  rc = uv_spawn(play->loop, &p->uvp, &o);
  close(sv[1]);
  close_io(io);
  if (rc < 0) {
    close(sv[0]);
    tc_errf(&why, rc, "cannot start %s: %s", argv[0], uv_strerror(rc));
    started(p, rc, -1, &why);
    return 0;
  }
  p->running = 1;
  p->pid = p->uvp.pid;
  started(p, 0, sv[0], NULL);
  return 0;
}

int tc__proc_start(struct tc__proc *p, struct tc_play *play, char *const argv[],
                   tc__proc_started_cb started, tc__proc_exited_cb exited, void *data) {
  return tc__proc_start_io(p, play, argv, NULL, started, exited, data);
}

void tc__proc_background_thread(void) {}

void tc__proc_foreground_thread(void) {}

void tc__proc_kill(struct tc__proc *p, int sig) {
  if (p->running) uv_process_kill(&p->uvp, sig);
}

void tc__proc_kill_group(struct tc__proc *p, int sig) {
  if (p->running) kill(-p->pid, sig);
}

static void closed(uv_handle_t *h) {
  struct tc__proc *p = h->data;
  tc__play_release(p->play);
}

void tc__proc_close(struct tc__proc *p) {
  if (!p->handle_open) return;
  p->handle_open = 0;
  tc__play_hold(p->play);
  uv_close((uv_handle_t *)&p->uvp, closed);
}
