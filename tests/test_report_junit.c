/* test_report_junit.c - JUnit XML on the report fixture: valid against the
 * schema Jenkins and GitLab read (tests/fixtures/junit.xsd, with xmllint),
 * a testcase per case under its own name (NAME@ipv6 too), failures with the
 * checkpoint's expected and observed, skips and errors with their reason,
 * and text escaped. */
#include <unistd.h>

#include "cli_helpers.h"
#include "report_fixture.h"

TestSuite(report_junit);

Test(report_junit, valid_against_the_junit_schema) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *xml = rf_write(tc__report_junit, run), *dir = th_tmpdir(), xsd[1024];
  char *path = th_write_file(dir, "junit.xml", xml);
  snprintf(xsd, sizeof xsd, "%s/junit.xsd", TCPCLOSE_FIXTURES_DIR);
  char *argv[] = {TCPCLOSE_XMLLINT, "--noout", "--schema", xsd, path, NULL};
  struct th_out o;
  cr_assert_eq(access(TCPCLOSE_XMLLINT, X_OK), 0,
               "xmllint is not installed (scripts/setup installs libxml2-utils)");
  cr_assert_eq(th_run(argv, &o), 0, "xmllint: %s", o.err);
  cr_assert(strstr(o.err, "validates") != NULL);
  th_out_free(&o);
  free(path);
  th_rmtree(dir);
  free(xml);
  tc_cmp_run_free(run);
}

Test(report_junit, one_testcase_per_case_with_counts) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *xml = rf_write(tc__report_junit, run);
  cr_assert_eq(rf_count(xml, "<testcase "), RF_CASES);
  cr_assert(strstr(xml, "<testcase name=\"client-linger-reset@ipv6\" "
                        "classname=\"cases/client-linger-reset.case\"") != NULL);
  cr_assert(strstr(xml, " tests=\"7\" failures=\"1\" errors=\"1\" skipped=\"1\" ") != NULL);
  free(xml);
  tc_cmp_run_free(run);
}

Test(report_junit, failure_carries_expected_and_observed_escaped) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *xml = rf_write(tc__report_junit, run);
  cr_assert_eq(rf_count(xml, "<failure "), 1);
  cr_assert(strstr(xml, "<testcase name=\"odd&lt;&amp;&quot;name\"") != NULL);
  cr_assert(
      strstr(xml,
             "<failure type=\"checkpoint\" message=\"cases/server-close-delayed.case:26: expected "
             "client TIME_WAIT but got gone &lt;&amp;&quot; seen\">") != NULL);
  cr_assert(
      strstr(
          xml,
          "2 checkpoints skipped: transitions: cannot create tracefs instance: Permission denied "
          "(needs root)\n") != NULL);
  free(xml);
  tc_cmp_run_free(run);
}

Test(report_junit, skip_and_error_with_their_reasons) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *xml = rf_write(tc__report_junit, run);
  cr_assert_eq(rf_count(xml, "<skipped "), 1);
  cr_assert_eq(rf_count(xml, "<error "), 1);
  cr_assert(strstr(xml, "<skipped message=\"needs a network namespace of its own (sysctl, drop, "
                        "hold): --no-netns\"/>") != NULL);
  cr_assert(
      strstr(xml,
             "<error message=\"line 16: &#39;server accept&#39; did not finish within 5.0 s\"/>") !=
      NULL);
  free(xml);
  tc_cmp_run_free(run);
}
