/* test_report_markdown.c - the run's markdown summary (for
 * $GITHUB_STEP_SUMMARY) on the report fixture: the counts, a row per case
 * that did not pass with why, table cells escaped, skip reasons counted. */
#include "report_fixture.h"

Test(report_markdown, counts_and_what_did_not_pass) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *md = rf_write(tc__report_markdown, run);
  cr_assert(strstr(md, "### tcpclose on linux-6.18.44-fc-v1045-x86_64\n\n**7 cases: 4 passed, 1 "
                       "failed, 1 skipped, 1 errors**\n") != NULL);
  cr_assert_eq(rf_count(md, "\n| odd&lt;&amp;\"name | fail | line 26: expected client TIME_WAIT "
                            "but got gone &lt;&amp;\" seen |"),
               1);
  cr_assert_eq(rf_count(md, "\n| needs-netns | skip | "), 1);
  cr_assert_eq(rf_count(md, "\n| stuck-accept | error | "), 1);
  cr_assert_eq(rf_count(md, "\n| 2 | 1 | transitions: cannot create tracefs instance: Permission "
                            "denied (needs root) |"),
               1);
  free(md);
  tc_cmp_run_free(run);
}
