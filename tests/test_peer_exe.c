/* test_peer_exe.c - the runner starts its peers as tcpclose-peer, the
 * executable beside it that links libuv alone (harness/peer_main.c), and
 * without it beside the binary (and not installed) as `tcpclose __peer`. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_helpers.h"

struct peer_seen {
  int n;                 /* the runner's children started as `... __peer ROLE` */
  char exe[PATH_MAX];    /* the last one's executable */
  int maps_observer_lib; /* one of them mapped libpcap or libnftables */
};

static int maps_has(int pid, const char *lib) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *f = fopen(path, "r");
  int found = 0;
  while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
    found = strstr(line, lib) != NULL;
  if (f) fclose(f);
  return found;
}

/* Whether pid's parent is run and its first argument is __peer. */
static int is_peer_of(int pid, pid_t run) {
  char path[64], line[1024], cmd[256] = "";
  int ppid = 0;
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  const char *p = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
  if (f) fclose(f);
  if (p == NULL || sscanf(p, ") %*c %d", &ppid) != 1 || ppid != run) return 0;
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  f = fopen(path, "r");
  size_t n = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
  if (f) fclose(f);
  return n > strlen(cmd) + 1 && strcmp(cmd + strlen(cmd) + 1, "__peer") == 0;
}

static struct peer_seen peers_of(pid_t run) {
  struct peer_seen s = {0};
  DIR *d = opendir("/proc");
  cr_assert_not_null(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || !is_peer_of(pid, run)) continue;
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", pid);
    ssize_t len = readlink(link, s.exe, sizeof s.exe - 1);
    s.exe[len > 0 ? len : 0] = '\0';
    s.maps_observer_lib |= maps_has(pid, "libpcap") || maps_has(pid, "libnftables");
    s.n++;
  }
  closedir(d);
  return s;
}

/* Plays a case that waits 3 s with both peers up, and looks at them. */
static struct peer_seen play_and_look(const char *bin, const char *dir) {
  char *path = th_write_file(dir, "idle.case",
                             "case idle\nabout a\nsource t\n"
                             "server listen\nclient connect\nserver accept\n"
                             "wait 3s\n" /* 7 */
                             "expect server ESTABLISHED\n");
  pid_t run;
  FILE *out = th_spawn_live((char *[]){(char *)bin, "run", "-v", path, NULL}, &run);
  cr_assert(th_read_until(out, "line 7: wait"), "the case never reached its wait");
  struct peer_seen s = peers_of(run);
  while (th_read_until(out, "\n")) {}
  fclose(out);
  int status;
  cr_assert_eq(waitpid(run, &status, 0), run);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the case failed");
  free(path);
  return s;
}

Test(peer_exe, peers_run_the_lean_executable_beside_the_binary, .timeout = 60) {
  char *dir = th_tmpdir();
  char *bin = th_private_binary(dir), peer[PATH_MAX];
  snprintf(peer, sizeof peer, "%s/tcpclose-peer", dir);
  struct peer_seen s = play_and_look(bin, dir);
  cr_assert_eq(s.n, 2, "expected 2 peers, saw %d", s.n);
  cr_assert_str_eq(s.exe, peer);
  cr_assert_not(s.maps_observer_lib, "a peer loaded libpcap or libnftables");
  free(bin);
  th_rmtree(dir);
}

Test(peer_exe, without_it_peers_run_as_tcpclose_peer_command, .timeout = 60) {
  char *dir = th_tmpdir();
  char *bin = th_private_binary(dir), peer[PATH_MAX];
  snprintf(peer, sizeof peer, "%s/tcpclose-peer", dir);
  cr_assert_eq(unlink(peer), 0);
  struct peer_seen s = play_and_look(bin, dir);
  cr_assert_eq(s.n, 2, "expected 2 peers, saw %d", s.n);
  /* An installed tcpclose-peer would be used, if this build's prefix had one. */
  if (strstr(s.exe, "/libexec/") == NULL) cr_assert_str_eq(s.exe, bin);
  free(bin);
  th_rmtree(dir);
}
