/* test_cleanup.c - however a run ends (a step times out, Ctrl-C, the
 * runner itself SIGKILLed), no peer process outlives it. Each test runs its
 * own copy of the binary so that it counts its own processes only. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

#ifdef TCPCLOSE_HAS_NETNS
#define HAS_NETNS 1
#else
#define HAS_NETNS 0 /* a build without the Linux components: no holder */
#endif

static char *dir, *bin;

static void setup(void) {
  dir = th_tmpdir();
  bin = th_private_binary(dir);
}

static void teardown(void) {
  free(bin);
  th_rmtree(dir);
}

TestSuite(cleanup, .init = setup, .fini = teardown);

static const char long_case[] = "case long\nserver listen\nclient connect\nserver accept\nwait "
                                "30s\nexpect server ESTABLISHED\n";

Test(cleanup, step_timeout_is_an_error_naming_the_step_and_leaves_no_peer) {
  char *c = th_write_file(dir, "hang.case",
                          "case hang\nserver listen\nserver accept\nexpect server ESTABLISHED\n");
  struct th_out o;
  /* Long enough for 'server listen' (a peer to start) on a loaded machine
   * under the sanitizers, which took more than 300 ms there. */
  char *argv[] = {bin, "run", "--timeout", "3s", c, NULL};
  cr_assert_eq(th_run(argv, &o), 1, "%s%s", o.out, o.err);
  cr_assert(strncmp(o.out, "ERROR hang ", 11) == 0, "%s", o.out);
  char want[600];
  snprintf(want, sizeof want, "      %s: line 3: 'server accept' did not finish within 3.0 s\n", c);
  cr_assert(strstr(o.out, want) != NULL, "%s", o.out);
  cr_assert_eq(th_count_exe(bin), 0, "a peer outlived the run");
  th_out_free(&o);
  free(c);
}

/* Starts the long case and waits until the runner, both peers and, as
 * root, the holder of the case's network namespace run. */
static pid_t start_long_run(const char *json) {
  char *c = th_write_file(dir, "long.case", long_case);
  char *argv[] = {bin, "run", "--json", (char *)json, c, NULL};
  int want = 3 + (geteuid() == 0 && HAS_NETNS);
  pid_t pid = th_spawn(argv);
  cr_assert_eq(th_wait_count(bin, want, 10000), want,
               "runner, two peers (and the namespace holder) should run");
  free(c);
  return pid;
}

Test(cleanup, interrupt_exits_130_writes_nothing_and_leaves_no_peer) {
  char json[600];
  snprintf(json, sizeof json, "%s/r.json", dir);
  pid_t pid = start_long_run(json);
  usleep(200 * 1000); /* well inside the 30 s wait */
  kill(pid, SIGINT);
  cr_assert_eq(th_wait(pid), 130);
  cr_assert_eq(th_count_exe(bin), 0, "a peer outlived the interrupted run");
  cr_assert_eq(access(json, F_OK), -1, "an interrupted run must not write results");
}

Test(cleanup, killed_runner_leaves_no_peer) {
  char json[600];
  snprintf(json, sizeof json, "%s/r.json", dir);
  pid_t pid = start_long_run(json);
  kill(pid, SIGKILL);
  cr_assert_eq(th_wait(pid), 128 + SIGKILL);
  /* The peers see their control pipe close and end on their own. */
  cr_assert_eq(th_wait_count(bin, 0, 10000), 0, "a peer outlived its killed runner");
}

/* ---- namespaces, nft tables and tracing instances ---- */

/* A case whose namespace holds an nft table for as long as it runs. */
static const char fault_case[] =
    "case fault\nserver listen\nclient connect\nserver accept\ndrop s>c F. all\nwait 30s\n"
    "expect server ESTABLISHED\n";

/* Pid of the process running bin with `word` as its first argument. */
static pid_t pid_running(const char *word) {
  char cmd[700], line[64] = "";
  snprintf(cmd, sizeof cmd,
           "for p in /proc/[0-9]*; do [ \"$(readlink $p/exe)\" = '%s' ] && "
           "tr '\\0' ' ' < $p/cmdline | grep -q ' %s' && basename $p; done 2>/dev/null | head -n1",
           bin, word);
  FILE *f = popen(cmd, "r");
  if (fgets(line, sizeof line, f) == NULL) line[0] = '\0';
  pclose(f);
  return (pid_t)atoi(line);
}

__attribute__((format(printf, 1, 2))) static int shell_ok(const char *fmt, ...) {
  char cmd[800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  return system(cmd) == 0;
}

/* Starts the fault case; returns the runner, fills the namespace's id. */
static pid_t start_fault_run(char *netns, size_t len) {
  char *c = th_write_file(dir, "fault.case", fault_case);
  char *argv[] = {bin, "run", c, NULL};
  pid_t pid = th_spawn(argv);
  cr_assert_eq(th_wait_count(bin, 4, 10000), 4,
               "runner, two peers and the namespace holder should run");
  pid_t holder = pid_running("__netns");
  cr_assert_gt(holder, 0);
  char link[64];
  snprintf(link, sizeof link, "/proc/%d/ns/net", (int)holder);
  ssize_t n = readlink(link, netns, len - 1);
  cr_assert_gt(n, 0);
  netns[n] = '\0';
  /* the drop step has made its table inside the namespace, not outside */
  for (int i = 0; i < 50 && !shell_ok("nsenter --net=%s nft list tables | grep -q tcpclose", link);
       i++)
    usleep(20000);
  cr_assert(shell_ok("nsenter --net=%s nft list tables | grep -q tcpclose", link),
            "no nft table in the case's namespace");
  cr_assert(!shell_ok("nft list tables 2>/dev/null | grep -q tcpclose"),
            "an nft table leaked to the host");
  free(c);
  return pid;
}

static void assert_nothing_left(const char *netns) {
  cr_assert_eq(th_wait_count(bin, 0, 10000), 0, "a process of the run is left");
  char cmd[300];
  snprintf(cmd, sizeof cmd,
           "for p in /proc/[0-9]*; do readlink $p/ns/net; done 2>/dev/null | grep -qx '%s'", netns);
  cr_assert_neq(system(cmd), 0, "the case's namespace %s is still held", netns);
  cr_assert(!shell_ok("nft list tables 2>/dev/null | grep -q tcpclose"),
            "an nft table is left on the host");
}

static int instances_of(pid_t pid) {
  char cmd[200];
  snprintf(cmd, sizeof cmd,
           "ls /sys/kernel/tracing/instances 2>/dev/null | grep -c '^tcpclose-%d-' >/dev/null",
           (int)pid);
  return system(cmd) == 0;
}

Test(cleanup, interrupted_run_leaves_no_namespace_table_or_instance) {
  if (geteuid() != 0 || !HAS_NETNS)
    cr_skip_test("needs root and a build with namespaces (nftables)");
  char netns[64];
  pid_t pid = start_fault_run(netns, sizeof netns);
  kill(pid, SIGINT);
  cr_assert_eq(th_wait(pid), 130);
  assert_nothing_left(netns);
  cr_assert(!instances_of(pid), "the interrupted run left its tracing instance");
}

/* A SIGKILLed runner cannot remove its tracing instance: the next run does. */
Test(cleanup, killed_run_leaves_no_namespace_and_the_next_run_reaps_its_instance) {
  if (geteuid() != 0 || !HAS_NETNS)
    cr_skip_test("needs root and a build with namespaces (nftables)");
  char netns[64];
  pid_t pid = start_fault_run(netns, sizeof netns);
  kill(pid, SIGKILL);
  cr_assert_eq(th_wait(pid), 128 + SIGKILL);
  assert_nothing_left(netns);
  char *c = th_write_file(dir, "quick.case", "case quick\nserver listen\nexpect server LISTEN\n");
  struct th_out o;
  char *argv[] = {bin, "run", c, NULL};
  cr_assert_eq(th_run(argv, &o), 0, "%s", o.out);
  cr_assert(!instances_of(pid), "the next run did not reap the killed run's tracing instance");
  th_out_free(&o);
  free(c);
}
