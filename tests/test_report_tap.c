/* test_report_tap.c - TAP version 13 on the report fixture: the plan matches the test lines, a skip is "ok ... # SKIP why",
 * a failure "not ok" with a YAML block giving expected and got, skipped
 * checkpoints as diagnostics. */
#include "report_fixture.h"

TestSuite(report_tap);

Test(report_tap, version_plan_and_one_line_per_case) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *tap = rf_write(tc__report_tap, run);
  cr_assert_eq(strncmp(tap, "TAP version 13\n1..7\n", 20), 0);
  cr_assert_eq(rf_count(tap, "\nok "), 5);
  cr_assert_eq(rf_count(tap, "\nnot ok "), 2);
  cr_assert(strstr(tap, "\nok 4 - client-linger-reset@ipv6\n") != NULL);
  cr_assert(strstr(tap, "\nok 6 - needs-netns # SKIP needs a network namespace of its own (sysctl, "
                        "drop, hold): --no-netns\n") != NULL);
  free(tap);
  tc_cmp_run_free(run);
}

Test(report_tap, failure_in_a_yaml_block) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *tap = rf_write(tc__report_tap, run);
  cr_assert(strstr(tap, "\nnot ok 5 - odd<&\"name\n  ---\n  verdict: fail\n") != NULL);
  cr_assert(strstr(tap, "  failures:\n    - line: 26\n      expected: \"client TIME_WAIT\"\n"
                        "      got: \"gone <&\\\" seen\"\n  ...\n") != NULL);
  cr_assert(strstr(tap, "# 2 checkpoints skipped: transitions: cannot create tracefs instance") !=
            NULL);
  cr_assert(strstr(tap, "\nnot ok 7 - stuck-accept\n  ---\n  verdict: error\n") != NULL);
  free(tap);
  tc_cmp_run_free(run);
}
