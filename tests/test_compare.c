/* test_compare.c - `tcpclose compare` on crafted pairs of results files
 * (tests/fixtures/compare_*.json, see tests/fixtures/README.md): the same
 * behaviour, one check, a missing case, a path, the wire, timing alone,
 * checks another file could not observe, and files that are not results.
 * Each asserts the whole output and the exit status. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_helpers.h"

#define HEAD "compared 2 cases and 16 checks in 2 results files\n"
#define HOST_A "linux-6.18.44-fc-v657-x86_64"
#define HOST_B "linux-6.1.0-uml-x86_64"

static char paths[6][1024];

static char *fixture(int slot, const char *name) {
  snprintf(paths[slot], sizeof paths[slot], "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  return paths[slot];
}

/* Runs `tcpclose compare ARGS...` (NULL-terminated); returns the status. */
static int compare(struct th_out *o, char *a1, char *a2, char *a3, char *a4, char *a5) {
  char *argv[] = {TCPCLOSE_BIN, "compare", a1, a2, a3, a4, a5, NULL};
  return th_run(argv, o);
}

static int compare_with_a(struct th_out *o, const char *other) {
  return compare(o, fixture(0, "compare_a.json"), fixture(1, other), NULL, NULL, NULL);
}

TestSuite(compare_same);

Test(compare_same, a_file_against_itself) {
  struct th_out o;
  cr_assert_eq(
      compare(&o, fixture(0, "compare_a.json"), fixture(1, "compare_a.json"), NULL, NULL, NULL), 0);
  cr_assert_str_eq(o.out, HEAD "no differences\n");
  cr_assert_str_eq(o.err, "");
  th_out_free(&o);
}

/* Other ephemeral ports and durations 50 ms longer: not behaviour. */
Test(compare_same, another_host_with_the_same_behaviour) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_same.json"), 0);
  cr_assert_str_eq(o.out, HEAD "no differences\n");
  th_out_free(&o);
}

TestSuite(compare_differs);

Test(compare_differs, one_check_and_the_verdict_it_failed) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_check.json"), 1);
  cr_assert_str_eq(
      o.out, HEAD
      "CASE                  ITEM                              " HOST_A "  " HOST_B "\n"
      "server-close-delayed  verdict                           pass                          fail\n"
      "server-close-delayed  line 26: expect client TIME_WAIT  TIME_WAIT recvq=0 sendq=0     gone\n"
      "2 differences\n");
  cr_assert_str_eq(o.err, "");
  th_out_free(&o);
}

/* A case one file lacks is one row, "-" in its column, and counts. */
Test(compare_differs, a_case_missing_in_one_file) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_missing.json"), 1);
  cr_assert_str_eq(o.out, HEAD "CASE                 ITEM     " HOST_A "  " HOST_B "\n"
                               "client-linger-reset  verdict  pass                          -\n"
                               "1 difference\n");
  th_out_free(&o);
}

Test(compare_differs, server_path_from_the_transitions) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_path.json"), 1);
  cr_assert_str_eq(o.out, HEAD "CASE                  ITEM         " HOST_A "          " HOST_B "\n"
                               "server-close-delayed  server path  ESTABLISHED CLOSE_WAIT LAST_ACK "
                               "gone  ESTABLISHED CLOSE_WAIT gone\n"
                               "1 difference\n");
  th_out_free(&o);
}

/* Four waves against three: the server's ACK rode on its FIN. */
Test(compare_differs, teardown_on_the_wire) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_wire.json"), 1);
  cr_assert_str_eq(o.out, HEAD
                   "CASE                  ITEM  " HOST_A "  " HOST_B "\n"
                   "server-close-delayed  wire  c>s F. s>c . s>c F. c>s .     c>s F. s>c F. c>s .\n"
                   "1 difference\n");
  th_out_free(&o);
}

Test(compare_differs, three_files_in_markdown) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--markdown", fixture(0, "compare_a.json"),
                       fixture(1, "compare_check.json"), fixture(2, "compare_missing.json"), NULL),
               1);
  cr_assert_str_eq(o.out, "compared 2 cases and 16 checks in 3 results files\n"
                          "\n"
                          "| case | item | " HOST_A " | " HOST_B " (compare_check.json) | " HOST_B
                          " (compare_missing.json) |\n"
                          "| --- | --- | --- | --- | --- |\n"
                          "| client-linger-reset | verdict | pass | pass | - |\n"
                          "| server-close-delayed | verdict | pass | fail | pass |\n"
                          "| server-close-delayed | line 26: expect client TIME_WAIT | TIME_WAIT "
                          "recvq=0 sendq=0 | gone | TIME_WAIT recvq=0 sendq=0 |\n"
                          "\n"
                          "3 differences\n");
  th_out_free(&o);
}

/* A case that stopped at a step lacks what came after: only its verdict
 * differs, not the checks, the wire or the duration it never reached. */
Test(compare_differs, a_case_stopped_by_an_error_is_its_verdict_only) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_error.json"), 1);
  cr_assert_str_eq(o.out,
                   HEAD "CASE                  ITEM     " HOST_A "  " HOST_B "\n"
                        "server-close-delayed  verdict  pass                          error\n"
                        "1 difference\n");
  th_out_free(&o);
}

TestSuite(compare_not_counted);

/* Time left on a timer (59712 ms against 59850 ms) is timing: the same
 * within the tolerance, a timing row beyond it. */
Test(compare_not_counted, timers_within_the_tolerance_are_the_same) {
  struct th_out o;
  cr_assert_eq(compare(&o, fixture(0, "compare_timer_a.json"), fixture(1, "compare_timer_b.json"),
                       NULL, NULL, NULL),
               0);
  cr_assert_str_eq(o.out, HEAD "no differences\n");
  th_out_free(&o);
}

Test(compare_not_counted, timers_beyond_the_tolerance_are_timing) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--all", "--tolerance-ms", "100", fixture(0, "compare_timer_a.json"),
                       fixture(1, "compare_timer_b.json")),
               0);
  cr_assert_str_eq(o.out, HEAD
                   "CASE                  ITEM                                       " HOST_A
                   "                           " HOST_B "\n"
                   "server-close-delayed  line 22: expect client FIN_WAIT2 (timing)  "
                   "FIN_WAIT2 recvq=0 sendq=0 timer=timewait left=59712ms  FIN_WAIT2 recvq=0 "
                   "sendq=0 timer=timewait left=59850ms\n"
                   "same behaviour; 1 not counted (timing only, or not observed in every file)\n");
  th_out_free(&o);
  cr_assert_eq(compare(&o, "--timing", "--tolerance-ms", "100", fixture(0, "compare_timer_a.json"),
                       fixture(1, "compare_timer_b.json")),
               1);
  th_out_free(&o);
}

#define TIMING_TABLE                                                                               \
  "CASE                  ITEM               " HOST_A "  " HOST_B "\n"                              \
  "server-close-delayed  duration (timing)  1701 ms                       2501 ms\n"

Test(compare_not_counted, timing_alone_is_reported_but_same_behaviour) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--all", fixture(0, "compare_a.json"), fixture(1, "compare_timing.json"),
                       NULL, NULL),
               0);
  cr_assert_str_eq(o.out, HEAD TIMING_TABLE
                   "same behaviour; 1 not counted (timing only, or not observed in every file)\n");
  th_out_free(&o);
}

/* Without --all only what counts is in the table: here nothing. */
Test(compare_not_counted, rows_that_do_not_count_are_hidden_by_default) {
  struct th_out o;
  cr_assert_eq(compare_with_a(&o, "compare_timing.json"), 0);
  cr_assert_str_eq(o.out, HEAD
                   "same behaviour; 1 not counted (timing only, or not observed in every file)\n");
  th_out_free(&o);
}

Test(compare_not_counted, timing_counts_with_the_timing_option) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--timing", fixture(0, "compare_a.json"),
                       fixture(1, "compare_timing.json"), NULL, NULL),
               1);
  cr_assert_str_eq(o.out, HEAD TIMING_TABLE "1 difference\n");
  th_out_free(&o);
}

Test(compare_not_counted, within_the_tolerance_there_is_no_timing_row) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--timing", "--tolerance-ms", "800", fixture(0, "compare_a.json"),
                       fixture(1, "compare_timing.json")),
               0);
  cr_assert_str_eq(o.out, HEAD "no differences\n");
  th_out_free(&o);
  cr_assert_eq(compare(&o, "--timing", "--tolerance-ms", "799", fixture(0, "compare_a.json"),
                       fixture(1, "compare_timing.json")),
               1);
  th_out_free(&o);
}

static int count_lines_with(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) n++;
  return n;
}

/* Without tracefs the other file saw no path and no reset reason: shown,
 * never counted. */
Test(compare_not_counted, what_one_file_could_not_observe) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--all", fixture(0, "compare_a.json"),
                       fixture(1, "compare_unobserved.json"), NULL, NULL),
               0);
  cr_assert_eq(count_lines_with(o.out, "(not observed in every file)"), 9, "%s", o.out);
  cr_assert(strstr(o.out, "server-close-delayed  server path (not observed in every file)") != NULL,
            "%s", o.out);
  cr_assert(
      strstr(o.out,
             "\nsame behaviour; 9 not counted (timing only, or not observed in every file)\n") !=
          NULL,
      "%s", o.out);
  cr_assert_eq(strncmp(o.out, HEAD, strlen(HEAD)), 0);
  th_out_free(&o);
}

TestSuite(compare_bad_input);

static void assert_rejected(const char *name, const char *why) {
  struct th_out o;
  char want[2048];
  cr_assert_eq(compare_with_a(&o, name), 2, "%s", o.err);
  snprintf(want, sizeof want, "%s: not a tcpclose results file (%s)\n", paths[1], why);
  cr_assert_str_eq(o.err, want);
  cr_assert_str_eq(o.out, "");
  th_out_free(&o);
}

Test(compare_bad_input, another_tool) {
  assert_rejected("compare_other_tool.json", "no \"tool\": \"tcpclose\"");
}

Test(compare_bad_input, another_schema) {
  assert_rejected("compare_schema2.json", "schema 2, this tcpclose reads schema 1");
}

Test(compare_bad_input, not_json) {
  assert_rejected("compare_not_json.txt", "not JSON: line 1: '[' or '{' expected near 'pass'");
}

Test(compare_bad_input, every_bad_file_is_named_and_no_table_printed) {
  struct th_out o;
  char want[3000];
  cr_assert_eq(compare(&o, fixture(0, "compare_schema2.json"), fixture(1, "compare_a.json"),
                       fixture(2, "no-such-file.json"), NULL, NULL),
               2);
  snprintf(want, sizeof want,
           "%s: not a tcpclose results file (schema 2, this tcpclose reads schema 1)\n"
           "%s: cannot read: No such file or directory\n",
           paths[0], paths[2]);
  cr_assert_str_eq(o.err, want);
  cr_assert_str_eq(o.out, "");
  th_out_free(&o);
}

Test(compare_bad_input, bad_usage_exits_2) {
  struct th_out o;
  cr_assert_eq(compare(&o, "--bogus", fixture(0, "compare_a.json"), fixture(1, "compare_a.json"),
                       NULL, NULL),
               2);
  cr_assert_str_eq(o.err,
                   "tcpclose compare: unknown option '--bogus' (see tcpclose compare --help)\n");
  th_out_free(&o);
  cr_assert_eq(compare(&o, "--tolerance-ms", "soon", fixture(0, "compare_a.json"),
                       fixture(1, "compare_a.json"), NULL),
               2);
  cr_assert_str_eq(o.err,
                   "tcpclose compare: --tolerance-ms 'soon' is not a number of milliseconds\n");
  th_out_free(&o);
  cr_assert_eq(compare(&o, fixture(0, "compare_a.json"), NULL, NULL, NULL, NULL), 2);
  cr_assert_str_eq(
      o.err, "tcpclose compare: name at least two results files (see tcpclose compare --help)\n");
  th_out_free(&o);
  cr_assert_eq(compare(&o, "--help", NULL, NULL, NULL, NULL), 0);
  cr_assert(strncmp(o.out, "usage: tcpclose compare", 23) == 0, "%s", o.out);
  th_out_free(&o);
}
