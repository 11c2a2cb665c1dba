/* test_settle_peers.c - settle waits for a peer that has not read its
 * command yet: a background `send` sent to a peer process the machine keeps
 * off the CPU (here: stopped with SIGSTOP) has not started, and
 * the kernel is quiet meanwhile; a settle that ended on that quiet would
 * judge the case before its send. The test follows the run's live
 * timeline (-v) to stop and release the peer at the right steps. Root (a
 * namespace per case). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_helpers.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The pid of the process running exe with ARG1 ARG2 as its first
 * arguments, or 0. */
static pid_t find(const char *exe, const char *arg1, const char *arg2) {
  DIR *d = opendir("/proc");
  pid_t found = 0;
  for (struct dirent *e; d != NULL && found == 0 && (e = readdir(d)) != NULL;) {
    char path[PATH_MAX], target[PATH_MAX], cmd[256] = "";
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len < 0) continue;
    target[len] = '\0';
    snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
    if (f) fclose(f);
    const char *a1 = cmd + strlen(cmd) + 1, *a2 = a1 + strlen(a1) + 1;
    if (strcmp(target, exe) == 0 && n > 0 && a2 < cmd + n && strcmp(a1, arg1) == 0 &&
        strcmp(a2, arg2) == 0)
      found = (pid_t)atol(e->d_name);
  }
  if (d) closedir(d);
  return found;
}

/* The peer is stopped once its connection is up (the case's `wait` has
 * started) and let go 500 ms after the settle began, whatever the
 * machine's speed: the settle cannot have ended before. */
Test(settle_peers, settle_waits_for_a_peer_that_has_not_read_its_command, .timeout = 60) {
  char *dir = th_tmpdir(), json[600];
  char *bin = th_private_binary(dir);
  char *path = th_write_file(dir, "late.case",
                             "case late\nabout a\nsource t\n"
                             "server listen\n"
                             "client connect\n"
                             "server accept\n"
                             "wait 1s\n" /* 7 */
                             "client send 1000 &\n"
                             "settle 5s\n" /* 9 */
                             "expect server ESTABLISHED recvq=1000\n");
  snprintf(json, sizeof json, "%s/r.json", dir);
  pid_t run;
  FILE *out = th_spawn_live((char *[]){bin, "run", "-v", "--json", json, path, NULL}, &run);
  cr_assert(th_read_until(out, "line 7: wait"), "the case never reached its wait");
  char peer[PATH_MAX];
  snprintf(peer, sizeof peer, "%s/tcpclose-peer", dir);
  pid_t client = find(peer, "__peer", "client");
  cr_assert_neq(client, 0, "no client peer");
  cr_assert_eq(kill(client, SIGSTOP), 0);
  int settling = th_read_until(out, "line 9: settle");
  sleep_ms(500);
  kill(client, SIGCONT);
  cr_assert(settling, "the case never reached its settle");
  while (th_read_until(out, "\n")) {}
  fclose(out);
  int status;
  cr_assert_eq(waitpid(run, &status, 0), run);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "the case failed: the settle did not wait for the send");
  json_t *root = json_load_file(json, 0, NULL);
  cr_assert_not_null(root);
  json_t *kase = json_array_get(json_object_get(root, "cases"), 0);
  json_t *s = json_array_get(json_object_get(kase, "settles"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(s, "ended")), "quiet");
  cr_assert_geq(json_integer_value(json_object_get(s, "ms")), 500);
  json_decref(root);
  free(path);
  free(bin);
  th_rmtree(dir);
}
