/* test_cleanup.c - however a run ends (a step times out, Ctrl-C, the
 * runner itself SIGKILLed), no peer process outlives it. Each test runs its
 * own copy of the binary so that it counts its own processes only. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

static char *dir, *bin;

static void setup(void) {
  dir = th_tmpdir();
  bin = th_private_binary(dir);
}

static void teardown(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  free(bin);
  free(dir);
}

TestSuite(cleanup, .init = setup, .fini = teardown);

static const char long_case[] =
    "case long\nserver listen\nclient connect\nserver accept\nwait 30s\nexpect server ESTABLISHED\n";

Test(cleanup, step_timeout_is_an_error_naming_the_step_and_leaves_no_peer) {
  char *c = th_write_file(dir, "hang.case", "case hang\nserver listen\nserver accept\nexpect server ESTABLISHED\n");
  struct th_out o;
  char *argv[] = {bin, "run", "--timeout", "300ms", c, NULL};
  cr_assert_eq(th_run(argv, &o), 1, "%s%s", o.out, o.err);
  cr_assert(strncmp(o.out, "ERROR hang ", 11) == 0, "%s", o.out);
  char want[600];
  snprintf(want, sizeof want, "      %s: line 3: 'server accept' did not finish within 0.3 s\n", c);
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
  int want = geteuid() == 0 ? 4 : 3;
  pid_t pid = th_spawn(argv);
  cr_assert_eq(th_wait_count(bin, want, 3000), want, "runner, two peers (and the namespace holder) should run");
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
  cr_assert_eq(th_wait_count(bin, 0, 2000), 0, "a peer outlived its killed runner");
}
