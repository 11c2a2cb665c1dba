/* test_settle_peers.c - settle waits for a peer that has not read its
 * command yet: a background `send` sent to a peer process the machine keeps
 * off the CPU (here: stopped with SIGSTOP for 800 ms) has not started, and
 * the kernel is quiet meanwhile; a settle that ended on that quiet would
 * judge the case before its send. Root (a namespace per case). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

Test(settle_peers, settle_waits_for_a_peer_that_has_not_read_its_command, .timeout = 60) {
  char *dir = th_tmpdir(), json[600];
  char *bin = th_private_binary(dir);
  char *path = th_write_file(dir, "late.case",
                             "case late\nabout a\nsource t\n"
                             "server listen\n"
                             "client connect\n"
                             "server accept\n"
                             "wait 1s\n"
                             "client send 1000 &\n"
                             "settle 5s\n"
                             "expect server ESTABLISHED recvq=1000\n");
  snprintf(json, sizeof json, "%s/r.json", dir);
  char *argv[] = {bin, "run", "--json", json, path, NULL};
  pid_t run = th_spawn(argv);
  pid_t client = 0;
  for (int waited = 0; client == 0 && waited < 5000; waited += 10, sleep_ms(10))
    client = find(bin, "__peer", "client");
  cr_assert_neq(client, 0, "the client peer never started");
  sleep_ms(300); /* its connect is done; the case waits 1 s */
  cr_assert_eq(kill(client, SIGSTOP), 0);
  sleep_ms(1500); /* the send was sent to it at about 1 s */
  kill(client, SIGCONT);
  cr_assert_eq(th_wait(run), 0, "the case failed: the settle did not wait for the send");
  json_t *root = json_load_file(json, 0, NULL);
  cr_assert_not_null(root);
  json_t *kase = json_array_get(json_object_get(root, "cases"), 0);
  json_t *s = json_array_get(json_object_get(kase, "settles"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(s, "ended")), "quiet");
  cr_assert_geq(json_integer_value(json_object_get(s, "ms")), 300);
  json_decref(root);
  free(path);
  free(bin);
  th_rmtree(dir);
}
