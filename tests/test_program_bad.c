/* test_program_bad.c - a server program that never listens and one that
 * exits at once: both make the case an ERROR whose reason gives the
 * program's state (still running / exit status) and the last line of its
 * stderr, which the results keep whole. Root (a namespace per case). */
#include <criterion/criterion.h>
#include <string.h>

#include "case_helpers.h"
#include "cli_helpers.h"

TestSuite(program_bad, .init = th_case_setup, .fini = th_case_teardown, .timeout = 60);

Test(program_bad, never_listens_is_an_error_with_its_stderr) {
  int status;
  json_t *k = th_play(th_dir, "never",
                      "case never\nabout a\nsource t\n"
                      "server exec \"echo starting; echo 'no socket here' >&2; sleep 30\"\n"
                      "expect server exit none\n",
                      "1s", &status, &th_root);
  cr_assert_eq(status, 1);
  cr_assert_str_eq(th_str(k, "verdict"), "error");
  cr_assert_str_eq(
      th_str(k, "reason"),
      "line 4: the server program did not listen within 1.0 s (still running; stderr: no "
      "socket here)");
  json_t *p = json_array_get(json_object_get(k, "programs"), 0);
  cr_assert_str_eq(th_str(p, "stdout"), "starting\n");
  cr_assert_str_eq(th_str(p, "stderr"), "no socket here\n");
  cr_assert_eq(json_integer_value(json_object_get(p, "signal")), 15,
               "ended by the runner's SIGTERM");
}

Test(program_bad, exits_at_once_is_an_error_with_its_status) {
  int status;
  json_t *k = th_play(
      th_dir, "atonce",
      "case atonce\nabout a\nsource t\n"
      "server exec \"echo 'usage: server PORT' >&2; echo 'unknown flag --nope' >&2; exit 3\"\n"
      "expect server exit none\n",
      NULL, &status, &th_root);
  cr_assert_eq(status, 1);
  cr_assert_str_eq(th_str(k, "verdict"), "error");
  cr_assert_str_eq(th_str(k, "reason"),
                   "line 4: the server program ended before it listened (exit status 3; stderr: "
                   "unknown flag --nope)");
  json_t *p = json_array_get(json_object_get(k, "programs"), 0);
  cr_assert_eq(json_integer_value(json_object_get(p, "exit_status")), 3);
  cr_assert_str_eq(th_str(p, "stderr"), "usage: server PORT\nunknown flag --nope\n");
}
