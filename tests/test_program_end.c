/* test_program_end.c - how a program under test ends with its case: a
 * program that ignores SIGTERM (and a child of it that does too) is
 * SIGKILLed 2 s later and nothing of its process group is left once
 * `tcpclose run` returns; a program that honours SIGTERM ends by it. The
 * program writes its process group id ($$: the leader is the group) into
 * the case's folder. Root (a namespace per case) and python3. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "case_helpers.h"
#include "cli_helpers.h"

TestSuite(program_end, .init = th_case_setup, .fini = th_case_teardown, .timeout = 60);

#define STUBBORN_SERVER                                                                            \
  "python3 -c 'import signal, socket, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "  \
  "s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(); time.sleep(60)' "     \
  "{addr} {port}"

/* Whether the group is gone: a process SIGKILLed a moment ago may still be
 * finishing its exit (or waiting for init to reap it), so up to a guard. */
static int group_gone(pid_t g) {
  for (int i = 0; i < 500; i++) {
    if (kill(-g, 0) < 0 && errno == ESRCH) return 1;
    usleep(10000);
  }
  return 0;
}

static pid_t group_of(void) {
  char path[600];
  snprintf(path, sizeof path, "%s/pgid", th_dir);
  char *text = th_read_file(path);
  cr_assert_not_null(text, "the program wrote its group id");
  pid_t g = (pid_t)atoi(text);
  free(text);
  cr_assert_gt(g, 1);
  return g;
}

Test(program_end, ignoring_sigterm_is_killed_and_leaves_nothing) {
  int status;
  json_t *k =
      th_play(th_dir, "stubborn",
              "case stubborn\nabout a\nsource t\n"
              "server exec \"echo $$ > pgid; trap '' TERM; sleep 60 & " STUBBORN_SERVER "\"\n"
              "client connect\n"
              "expect server ESTABLISHED\n",
              NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  json_t *p = json_array_get(json_object_get(k, "programs"), 0);
  cr_assert(json_is_true(json_object_get(p, "killed")), "SIGKILL after the grace");
  cr_assert_eq(json_integer_value(json_object_get(p, "signal")), 9);
  pid_t g = group_of();
  cr_assert(group_gone(g), "a process of group %d outlived the case", (int)g);
}

Test(program_end, honouring_sigterm_ends_by_it) {
  int status;
  json_t *k = th_play(th_dir, "polite",
                      "case polite\nabout a\nsource t\n"
                      "server exec \"echo $$ > pgid; exec python3 " TCPCLOSE_CASES_DIR
                      "/../examples/close_on_eof_server.py {addr} {port}\"\n"
                      "client connect\n"
                      "server signal TERM\n"
                      "expect server exit 143\n", /* 7 */
                      NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_str_eq(th_observed(k, 7), "143 (SIGTERM)");
  json_t *p = json_array_get(json_object_get(k, "programs"), 0);
  cr_assert(json_is_false(json_object_get(p, "killed")));
  pid_t g = group_of();
  cr_assert(group_gone(g), "a process of group %d outlived the case", (int)g);
}

Test(program_end, kill_ends_the_whole_group_at_once) {
  int status;
  json_t *k =
      th_play(th_dir, "killed",
              "case killed\nabout a\nsource t\n"
              "server exec \"echo $$ > pgid; trap '' TERM; sleep 60 & " STUBBORN_SERVER "\"\n"
              "server kill\n"
              "expect server exit 137\n", /* 6 */
              NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_str_eq(th_observed(k, 6), "137 (SIGKILL)");
  json_t *p = json_array_get(json_object_get(k, "programs"), 0);
  cr_assert(json_is_false(json_object_get(p, "killed")), "ended by the step, not at the end");
  cr_assert(group_gone(group_of()), "the sleep of its group outlived the kill");
}
