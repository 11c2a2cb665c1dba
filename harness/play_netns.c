/* play_netns.c - the case's network namespace, from the runner's side: it
 * starts the holder (netns.h), asks it for sysctls and drop rules, opens
 * observers inside the namespace, and ends it with the case.
 * Requests are blocking: the holder answers at once (a sysctl write, an
 * nft command), and a case's steps are in order anyway. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "play_internal.h"

#define HOLDER_ANSWER_MS 10000 /* it answers at once; allow for a loaded machine */

/* The settings that change what a close does, recorded as the case saw them. */
static const char *const close_sysctls[] = {
    "net.ipv4.tcp_fin_timeout",   "net.ipv4.tcp_tw_reuse",   "net.ipv4.tcp_tw_reuse_delay",
    "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_rfc1337",
    "net.ipv4.tcp_max_orphans",   "net.ipv4.tcp_retries2",   "net.ipv4.tcp_abort_on_overflow",
};

static void holder_exited(uv_process_t *proc, int64_t status, int signal) {
  struct tc_play *play = proc->data;
  (void)status;
  (void)signal;
  play->holder_running = 0;
  if (play->finished) tc__play_reaped(play);
}

/* Reads one answer line; blocking, bounded. Signals (libuv's SIGCHLD when
 * another case's peer ends) interrupt the wait: it goes on for what is left. */
static int read_answer(struct tc_play *play, char *buf, size_t len, tc_err *err) {
  size_t n = 0;
  uint64_t deadline = uv_hrtime() / 1000000u + HOLDER_ANSWER_MS;
  while (n + 1 < len) {
    struct pollfd pfd = {.fd = play->holder_fd, .events = POLLIN};
    int64_t left = (int64_t)(deadline - uv_hrtime() / 1000000u);
    int rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return tc_errf(err, -ETIMEDOUT, "network namespace holder: no answer in %d ms", HOLDER_ANSWER_MS);
    ssize_t r = read(play->holder_fd, buf + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return tc_errf(err, -EPIPE, "network namespace holder: ended");
    if (buf[n] == '\n') break;
    n++;
  }
  buf[n] = '\0';
  return 0;
}

static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

int tc__play_netns_request(struct tc_play *play, const char *cmd, char *answer, size_t len, tc_err *err) {
  char line[512];
  size_t n = strlen(cmd);
  if (write_all(play->holder_fd, cmd, n) < 0 || write_all(play->holder_fd, "\n", 1) < 0)
    return tc_errf(err, -EPIPE, "network namespace holder: %s", strerror(errno));
  int rc = read_answer(play, line, sizeof line, err);
  if (rc < 0) return rc;
  if (strncmp(line, "ok", 2) != 0) return tc_errf(err, -EINVAL, "%s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
  snprintf(answer, len, "%s", line[2] == ' ' ? line + 3 : "");
  return 0;
}

static int spawn_holder(struct tc_play *play, int child_fd, tc_err *err) {
  char *args[] = {(char *)play->opts.self_exe, "__netns", NULL};
  uv_stdio_container_t stdio[4] = {{.flags = UV_IGNORE}, {.flags = UV_IGNORE},
                                   {.flags = UV_INHERIT_FD, .data.fd = 2},
                                   {.flags = UV_INHERIT_FD, .data.fd = child_fd}};
  uv_process_options_t o = {.file = play->opts.self_exe, .args = args, .exit_cb = holder_exited,
                            .flags = UV_PROCESS_DETACHED, .stdio_count = 4, .stdio = stdio};
  play->holder.data = play;
  play->holder_open = 1;
  int rc = uv_spawn(play->loop, &play->holder, &o);
  if (rc < 0) return tc_errf(err, rc, "cannot start the namespace holder: %s", uv_strerror(rc));
  play->holder_running = 1;
  return 0;
}

int tc__play_netns_start(struct tc_play *play, tc_err *err) {
  int sv[2];
  char line[300];
  /* FD_CLOEXEC by fcntl: SOCK_CLOEXEC is not on every system (macOS) */
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || fcntl(sv[0], F_SETFD, FD_CLOEXEC) < 0 ||
      fcntl(sv[1], F_SETFD, FD_CLOEXEC) < 0)
    return tc_errf(err, -errno, "socketpair: %s", strerror(errno));
  play->holder_fd = sv[0];
  int rc = spawn_holder(play, sv[1], err);
  close(sv[1]);
  if (rc == 0) rc = read_answer(play, line, sizeof line, err);
  if (rc == 0 && strcmp(line, "ready") != 0)
    rc = tc_errf(err, -EPERM, "%s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
  return rc;
}

int tc__play_in_netns(struct tc_play *play, int (*fn)(struct tc_play *, tc_err *), tc_err *err) {
  int old = -1, rc;
  if (play->holder_running && (rc = tc__netns_join(play->holder.pid, &old, err)) < 0) return rc;
  rc = fn(play, err);
  if (old >= 0) tc__netns_leave(old);
  return rc;
}

static int read_host_sysctl(const char *name, char *value, size_t len) {
  char path[256];
  snprintf(path, sizeof path, "/proc/sys/%s", name);
  for (char *c = path + strlen("/proc/sys/"); *c; c++)
    if (*c == '.') *c = '/';
  FILE *f = fopen(path, "r");
  if (f == NULL) return -errno;
  int ok = fgets(value, (int)len, f) != NULL;
  fclose(f);
  value[strcspn(value, "\n")] = '\0';
  return ok ? 0 : -EIO;
}

/* Reads the close-related sysctls: through the holder in a namespace, else
 * the host's (read only: the host is never changed). */
void tc__play_netns_record_sysctls(struct tc_play *play) {
  for (size_t i = 0; i < sizeof close_sysctls / sizeof close_sysctls[0]; i++) {
    char cmd[160], value[128] = "";
    tc_err err;
    snprintf(cmd, sizeof cmd, "get %s", close_sysctls[i]);
    if (play->holder_running ? tc__play_netns_request(play, cmd, value, sizeof value, &err) < 0
                             : read_host_sysctl(close_sysctls[i], value, sizeof value) < 0)
      continue; /* not on this kernel */
    tc_case_result_add_sysctl(play->res, close_sysctls[i], value);
  }
}

/* Closing our end makes the holder exit; SIGKILL in case it is stuck. */
void tc__play_netns_stop(struct tc_play *play) {
  if (play->holder_fd >= 0) close(play->holder_fd);
  play->holder_fd = -1;
  if (play->holder_running) uv_process_kill(&play->holder, SIGKILL);
}

static void holder_closed(uv_handle_t *h) { tc__play_release(h->data); }

void tc__play_netns_close(struct tc_play *play) {
  if (!play->holder_open) return;
  play->holder_open = 0;
  play->open_handles++;
  uv_close((uv_handle_t *)&play->holder, holder_closed);
}

/* tcpdump notation to the TCP flags byte, for the nft rule. */
static unsigned flags_byte(const char *f) {
  unsigned b = 0;
  for (; *f; f++) b |= *f == 'F' ? 0x01 : *f == 'S' ? 0x02 : *f == 'R' ? 0x04 : *f == 'P' ? 0x08
                      : *f == '.' ? 0x10 : *f == 'U' ? 0x20 : 0;
  return b;
}

void tc__play_netns_step(struct tc_play *play, const struct tc_step *st) {
  char cmd[256], old[128];
  tc_err err;
  /* Every segment of the case has the server's port on one side. */
  const struct tc_drop_step *d = &st->u.drop;
  const char *which = d->from == TC_SERVER ? "sport" : "dport";
  unsigned port = play->link[TC_SERVER].listener.port;
  if (st->kind == TC_STEP_SYSCTL)
    snprintf(cmd, sizeof cmd, "set %s %s", st->u.sysctl.name, st->u.sysctl.value);
  else if (st->kind == TC_STEP_DROP)
    snprintf(cmd, sizeof cmd, "drop line-%d %s %u %u %u", st->line, which, port, flags_byte(d->flags), d->count);
  else if (st->kind == TC_STEP_HOLD)
    snprintf(cmd, sizeof cmd, "hold line-%d %s %u %u", st->line, which, port, flags_byte(d->flags));
  else
    snprintf(cmd, sizeof cmd, "release");
  /* The rules and names are ours and checked: a refusal means this kernel
   * cannot do it (no nftables, a sysctl it does not have), which is a skip
   * with the reason, not a broken case. A holder that is gone is an error. */
  int rc = tc__play_netns_request(play, cmd, old, sizeof old, &err);
  if (rc == -EINVAL)
    tc__play_skip(play, "line %d: %s: this kernel cannot: %s", st->line, st->text, err.msg);
  else if (rc < 0)
    tc__play_fail(play, "line %d: %s: %s", st->line, st->text, err.msg);
}
