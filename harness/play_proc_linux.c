/* play_proc_linux.c - processes of the case started on libuv's threadpool
 * with posix_spawn, their end seen through a pidfd (see play_proc.h).
 * glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK: no page tables are
 * copied and the worker waits only for the exec. The child's signal
 * dispositions go back to their defaults and its mask is emptied, as
 * uv_spawn does (the runner ignores SIGPIPE; its children must not). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "play_internal.h"

extern char **environ;

struct job {
  uv_work_t req;
  struct tc__proc *p;
  char **argv;        /* a copy: the caller's may be gone before the work runs */
  int out_fd, err_fd; /* -1: /dev/null, inherited */
  pid_t pid;
  int pidfd, fd, rc;
  tc_err why;
};

/* argv and its strings in one block. */
static char **copy_argv(char *const argv[]) {
  size_t n = 0, bytes = 0;
  for (; argv[n] != NULL; n++) bytes += strlen(argv[n]) + 1;
  char **v = malloc((n + 1) * sizeof *v + bytes), *s = (char *)(v + n + 1);
  for (size_t i = 0; v != NULL && i < n; i++) {
    v[i] = strcpy(s, argv[i]);
    s += strlen(argv[i]) + 1;
  }
  if (v != NULL) v[n] = NULL;
  return v;
}

static void free_job(struct job *j) {
  if (j->out_fd >= 0) close(j->out_fd);
  if (j->err_fd >= 0) close(j->err_fd);
  free(j->argv);
  free(j);
}

static int spawn_attrs(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int child,
                       const struct job *j) {
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  if (posix_spawn_file_actions_init(fa) != 0) return -ENOMEM;
  if (posix_spawnattr_init(at) != 0) return posix_spawn_file_actions_destroy(fa), -ENOMEM;
  posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
  if (j->out_fd >= 0)
    posix_spawn_file_actions_adddup2(fa, j->out_fd, 1);
  else
    posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
  if (j->err_fd >= 0) posix_spawn_file_actions_adddup2(fa, j->err_fd, 2);
  posix_spawn_file_actions_adddup2(fa, child, 3);
  /* Nothing else of the runner: libraries open descriptors without
   * close-on-exec (libmnl's netlink sockets, libtracefs's files while
   * another case configures its trace), and a child holding another case's
   * trace readers would keep that case's instance from being removed. */
  posix_spawn_file_actions_addclosefrom_np(fa, 4);
  posix_spawnattr_setsigdefault(at, &all);
  posix_spawnattr_setsigmask(at, &none);
  posix_spawnattr_setflags(at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  return 0;
}

/* The child's end must not be fd 3 itself: dup2(3, 3) would keep its
 * close-on-exec flag, and the child would start without its channel. */
static int child_end(int fd) {
  if (fd != 3) return fd;
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 4);
  close(fd);
  return d;
}

static void spawn_job(struct job *j) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int sv[2];
  j->pidfd = j->fd = -1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    j->rc = tc_errf(&j->why, -errno, "%s: socketpair: %s", j->argv[0], strerror(errno));
    return;
  }
  sv[1] = child_end(sv[1]);
  int rc = sv[1] < 0 ? errno : spawn_attrs(&fa, &at, sv[1], j) < 0 ? ENOMEM : 0;
  if (rc == 0) {
    rc = posix_spawn(&j->pid, j->argv[0], &fa, &at, j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
  }
  if (sv[1] >= 0) close(sv[1]);
  if (rc == 0 && (j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0)) < 0) rc = errno;
  if (rc != 0) {
    close(sv[0]);
    j->rc = tc_errf(&j->why, -rc, "cannot start %s: %s", j->argv[0], strerror(rc));
    return;
  }
  j->fd = sv[0];
}

static void spawn_work(uv_work_t *req) {
  tc__proc_background_thread();
  spawn_job(req->data);
  tc__proc_foreground_thread();
}

static void reap(uv_poll_t *h, int status, int events) {
  struct tc__proc *p = h->data;
  int st;
  (void)status;
  (void)events;
  if (p->group) kill(-p->pid, SIGKILL); /* a zombie leader still names its group */
  if (waitpid(p->pid, &st, WNOHANG) <= 0) return;
  p->running = 0;
  p->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
  p->term_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  uv_poll_stop(h);
  p->exited(p);
}

/* A process that started but cannot be watched is killed and reaped here:
 * nothing of the case may run unseen. */
static int watch(struct tc__proc *p, struct job *j) {
  int rc = uv_poll_init(p->play->loop, &p->watch, j->pidfd);
  if (rc == 0) {
    p->handle_open = 1;
    p->watch.data = p;
    rc = uv_poll_start(&p->watch, UV_READABLE, reap);
  }
  if (rc == 0) return 0;
  kill(j->pid, SIGKILL);
  waitpid(j->pid, NULL, 0);
  p->running = 0;
  return tc_errf(&j->why, rc, "cannot watch %s: %s", j->argv[0], uv_strerror(rc));
}

static void spawn_done(uv_work_t *req, int status) {
  struct job *j = req->data;
  struct tc__proc *p = j->p;
  (void)status;
  p->pidfd = j->pidfd;
  if (j->rc == 0) {
    p->pid = j->pid;
    j->rc = watch(p, j);
  }
  if (j->rc < 0) {
    p->running = 0;
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
  } else if (p->kill_signal) {
    kill(p->group ? -p->pid : p->pid, p->kill_signal);
  }
  p->started(p, j->rc, j->fd, &j->why);
  tc__play_release(p->play);
  free_job(j);
}

int tc__proc_start_io(struct tc__proc *p, struct tc_play *play, char *const argv[],
                      const struct tc__proc_io *io, tc__proc_started_cb started,
                      tc__proc_exited_cb exited, void *data) {
  struct tc__proc_io none = {.out_fd = -1, .err_fd = -1};
  if (io == NULL) io = &none;
  struct job *j = calloc(1, sizeof *j);
  if (j == NULL) {
    if (io->out_fd >= 0) close(io->out_fd);
    if (io->err_fd >= 0) close(io->err_fd);
    return -ENOMEM;
  }
  *p = (struct tc__proc){.play = play,
                         .data = data,
                         .started = started,
                         .exited = exited,
                         .running = 1,
                         .pidfd = -1,
                         .out_fd = -1,
                         .err_fd = -1,
                         .group = io->group};
  *j = (struct job){
      .req.data = j, .p = p, .argv = copy_argv(argv), .out_fd = io->out_fd, .err_fd = io->err_fd};
  if (j->argv == NULL) {
    free_job(j);
    return -ENOMEM;
  }
  tc__play_hold(play);
  int rc = uv_queue_work(play->loop, &j->req, spawn_work, spawn_done);
  if (rc < 0) {
    tc__play_release(play);
    free_job(j);
    p->running = 0;
  }
  return rc;
}

int tc__proc_start(struct tc__proc *p, struct tc_play *play, char *const argv[],
                   tc__proc_started_cb started, tc__proc_exited_cb exited, void *data) {
  return tc__proc_start_io(p, play, argv, NULL, started, exited, data);
}

void tc__proc_background_thread(void) {
  struct sched_param ordinary = {0};
  sched_setscheduler(gettid(), SCHED_OTHER | SCHED_RESET_ON_FORK, &ordinary);
  setpriority(PRIO_PROCESS, (id_t)gettid(), 0);
}

void tc__proc_foreground_thread(void) {
  pid_t loop = getpid(); /* the main thread runs the loop */
  struct sched_param param;
  int policy = sched_getscheduler(loop);
  if (policy >= 0 && sched_getparam(loop, &param) == 0)
    sched_setscheduler(gettid(), policy | SCHED_RESET_ON_FORK, &param);
  errno = 0; /* -1 is a valid nice value: errno tells */
  int loop_nice = getpriority(PRIO_PROCESS, (id_t)loop);
  if (errno == 0) setpriority(PRIO_PROCESS, (id_t)gettid(), loop_nice);
}

void tc__proc_kill(struct tc__proc *p, int sig) {
  if (!p->running) return;
  if (p->pid > 0)
    kill(p->pid, sig);
  else
    p->kill_signal = sig;
}

/* Only while the leader is not reaped: its pid names the group till then. */
void tc__proc_kill_group(struct tc__proc *p, int sig) {
  if (!p->running) return;
  if (p->pid > 0)
    kill(-p->pid, sig);
  else
    p->kill_signal = sig;
}

static void watch_closed(uv_handle_t *h) {
  struct tc__proc *p = h->data;
  close(p->pidfd);
  p->pidfd = -1;
  tc__play_release(p->play);
}

void tc__proc_close(struct tc__proc *p) {
  if (!p->handle_open) {
    if (p->pidfd >= 0) close(p->pidfd);
    p->pidfd = -1;
    return;
  }
  p->handle_open = 0;
  tc__play_hold(p->play);
  uv_close((uv_handle_t *)&p->watch, watch_closed);
}
