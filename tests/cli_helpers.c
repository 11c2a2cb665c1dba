/* cli_helpers.c - see cli_helpers.h. */
#include "cli_helpers.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

FILE *th_spawn_live(char *const argv[], pid_t *pid) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  *pid = fork();
  cr_assert_geq(*pid, 0);
  if (*pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  return fdopen(fds[0], "r");
}

int th_read_until(FILE *out, const char *text) {
  char line[512];
  while (fgets(line, sizeof line, out) != NULL)
    if (strstr(line, text) != NULL) return 1;
  return 0;
}

char *th_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 4096, len = 0, n;
  char *buf = malloc(cap);
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  fclose(f);
  return buf;
}

static int decode_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

static pid_t spawn_to(char *const argv[], const char *out, const char *err) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int in = open("/dev/null", O_RDONLY);
  dup2(in, 0);
  dup2(o, 1);
  dup2(e, 2);
  execv(argv[0], argv);
  _exit(127);
}

int th_run(char *const argv[], struct th_out *o) {
  char *dir = th_tmpdir(), out[PATH_MAX], err[PATH_MAX];
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(err, sizeof err, "%s/err", dir);
  o->status = th_wait(spawn_to(argv, out, err));
  o->out = th_read_file(out);
  o->err = th_read_file(err);
  unlink(out);
  unlink(err);
  rmdir(dir);
  free(dir);
  return o->status;
}

void th_out_free(struct th_out *o) {
  free(o->out);
  free(o->err);
}

pid_t th_spawn(char *const argv[]) { return spawn_to(argv, "/dev/null", "/dev/null"); }

int th_wait(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return decode_status(st);
}

char *th_tmpdir(void) {
  char *d = strdup("/tmp/tcpclose-test-XXXXXX");
  return mkdtemp(d) ? d : NULL;
}

void th_rmtree(char *dir) {
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0, "cannot remove %s", dir);
  free(dir);
}

char *th_write_file(const char *dir, const char *name, const char *text) {
  char *path = malloc(PATH_MAX);
  snprintf(path, PATH_MAX, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

static void copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) break;
  close(in);
  close(out);
}

char *th_private_binary(const char *dir) {
  char *path = malloc(PATH_MAX), peer[PATH_MAX];
  snprintf(path, PATH_MAX, "%s/tcpclose-private", dir);
  snprintf(peer, sizeof peer, "%s/tcpclose-peer", dir);
  copy_file(TCPCLOSE_BIN, path);
  copy_file(TCPCLOSE_PEER_BIN, peer);
  return path;
}

/* The tcpclose-peer beside exe. */
static void peer_of(const char *exe, char *peer, size_t len) {
  const char *slash = strrchr(exe, '/');
  int dir = slash ? (int)(slash - exe) : 0;
  snprintf(peer, len, "%.*s%stcpclose-peer", dir, exe, slash ? "/" : "");
}

/* A zombie has no exe link any more, so it is not counted. */
int th_count_exe(const char *exe) {
  char peer[PATH_MAX];
  peer_of(exe, peer, sizeof peer);
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  while (d != NULL && (e = readdir(d)) != NULL) {
    char link[PATH_MAX], target[PATH_MAX];
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    snprintf(link, sizeof link, "/proc/%s/exe", e->d_name);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len < 0) continue;
    target[len] = '\0';
    n += strcmp(target, exe) == 0 || strcmp(target, peer) == 0;
  }
  if (d) closedir(d);
  return n;
}

int th_wait_count(const char *exe, int want, int ms) {
  int n = th_count_exe(exe);
  for (int waited = 0; n != want && waited < ms; waited += 20) {
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
    n = th_count_exe(exe);
  }
  return n;
}
