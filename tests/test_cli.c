/* test_cli.c - the tcpclose command line as a user meets it: exit codes,
 * one-line errors naming file and line, the results file written only by
 * a finished run, and no peer process left behind however a run ends. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

static const char good_case[] =
    "case good\nserver listen\nclient connect\nserver accept\nclient close\nsettle\n"
    "expect client FIN_WAIT2\nexpect server CLOSE_WAIT recvq=1\n";

static char *dir;

static void setup(void) { dir = th_tmpdir(); }
static void teardown(void) { th_rmtree(dir); }

TestSuite(cli, .init = setup, .fini = teardown);

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

Test(cli, malformed_case_is_one_line_exit_2_and_writes_nothing) {
  char *bad = th_write_file(dir, "bad.case", "case bad\nserver listen\nclient sned 4\n");
  char json[600];
  snprintf(json, sizeof json, "%s/r.json", dir);
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", "--json", json, bad, NULL};
  cr_assert_eq(th_run(argv, &o), 2);
  char want[700];
  snprintf(want, sizeof want,
           "%s:3: unknown action 'sned' for client (expected listen, connect, accept, send, recv, "
           "shutdown, close, exit, kill, exec, signal, serve or churn)\n",
           bad);
  cr_assert_str_eq(o.err, want);
  cr_assert_str_eq(o.out, "");
  cr_assert_null(th_read_file(json), "a bad case must not write results");
  th_out_free(&o);
  free(bad);
}

Test(cli, bad_case_keeps_previous_results_file) {
  char *json = th_write_file(dir, "r.json", "{\"previous\": true}\n");
  char *bad = th_write_file(dir, "bad.case", "expect client gone\n");
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", "--json", json, bad, NULL};
  cr_assert_eq(th_run(argv, &o), 2);
  cr_assert(strstr(o.err, "bad.case:1: the file must start with 'case NAME' (got 'expect')") !=
                NULL,
            "%s", o.err);
  char *now = th_read_file(json);
  cr_assert_str_eq(now, "{\"previous\": true}\n");
  free(now);
  free(json);
  free(bad);
  th_out_free(&o);
}

Test(cli, unknown_option_and_command_exit_2) {
  struct th_out o;
  char *a1[] = {TCPCLOSE_BIN, "run", "--bogus", NULL};
  cr_assert_eq(th_run(a1, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose run: unknown option '--bogus' (see tcpclose run --help)\n");
  th_out_free(&o);
  char *a2[] = {TCPCLOSE_BIN, "frobnicate", NULL};
  cr_assert_eq(th_run(a2, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose: unknown command 'frobnicate' (expected run, check, list, "
                          "compare, report, grid or probe; see --help)\n");
  th_out_free(&o);
  char *a3[] = {TCPCLOSE_BIN, "run", "--timeout", "5", NULL};
  cr_assert_eq(th_run(a3, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose run: --timeout '5' is not a duration (e.g. 500ms, 5s)\n");
  th_out_free(&o);
  char *a4[] = {TCPCLOSE_BIN, "run", "--json", NULL};
  cr_assert_eq(th_run(a4, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose run: option '--json' needs a value\n");
  th_out_free(&o);
}

Test(cli, missing_file_and_unwritable_results_exit_2) {
  struct th_out o;
  char *a1[] = {TCPCLOSE_BIN, "run", "/nonexistent/x.case", NULL};
  cr_assert_eq(th_run(a1, &o), 2);
  cr_assert_str_eq(o.err, "/nonexistent/x.case: No such file or directory\n");
  th_out_free(&o);
  char *good = th_write_file(dir, "good.case", good_case);
  char *a2[] = {TCPCLOSE_BIN, "run", "--json", "/nonexistent/r.json", good, NULL};
  cr_assert_eq(th_run(a2, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose run: --json /nonexistent/r.json: cannot write in "
                          "'/nonexistent': No such file or directory\n");
  cr_assert_str_eq(o.out, "", "nothing may run before the results file is known writable");
  th_out_free(&o);
  free(good);
}

Test(cli, passing_run_prints_summary_and_writes_results) {
  char *good = th_write_file(dir, "good.case", good_case);
  char json[600];
  snprintf(json, sizeof json, "%s/r.json", dir);
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", "--json", json, good, NULL};
  cr_assert_eq(th_run(argv, &o), 0, "%s%s", o.out, o.err);
  cr_assert(strncmp(o.out, "pass  good ", 11) == 0, "%s", o.out);
  cr_assert(strstr(o.out, "\n1 passed, 0 failed\n") != NULL, "%s", o.out);
  json_error_t e;
  json_t *root = json_load_file(json, 0, &e);
  cr_assert_not_null(root, "%s", e.text);
  json_t *c0 = json_array_get(json_object_get(root, "cases"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(c0, "verdict")), "pass");
  cr_assert_eq(json_array_size(json_object_get(c0, "checks")), 2);
  json_decref(root);
  th_out_free(&o);
  free(good);
}

Test(cli, failing_checkpoint_prints_expected_and_observed_exit_1) {
  char *bad =
      th_write_file(dir, "wrong.case",
                    "case wrong\nserver listen\nclient connect\nserver accept\nclient close\n"
                    "settle\nexpect client TIME_WAIT\n");
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", bad, NULL};
  cr_assert_eq(th_run(argv, &o), 1);
  char want[700];
  snprintf(want, sizeof want,
           "      %s:7: expected client TIME_WAIT but got FIN_WAIT2 recvq=0 sendq=0\n", bad);
  cr_assert(strstr(o.out, want) != NULL, "%s", o.out);
  cr_assert(strstr(o.out, "\n0 passed, 1 failed\n") != NULL, "%s", o.out);
  th_out_free(&o);
  free(bad);
}

Test(cli, filter_selects_cases_and_rejects_no_match) {
  free(th_write_file(dir, "a.case", good_case));
  struct th_out o;
  char *a1[] = {TCPCLOSE_BIN, "run", "--filter", "go*", dir, NULL};
  cr_assert_eq(th_run(a1, &o), 0, "%s%s", o.out, o.err);
  cr_assert(strstr(o.out, "1 passed, 0 failed") != NULL);
  th_out_free(&o);
  char *a2[] = {TCPCLOSE_BIN, "run", "--filter", "zz*", dir, NULL};
  cr_assert_eq(th_run(a2, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose run: no case matches --filter 'zz*'\n");
  th_out_free(&o);
}

Test(cli, check_and_list) {
  char *good =
      th_write_file(dir, "good.case",
                    "case good\nabout It shows a thing.\nserver listen\nexpect server LISTEN\n");
  struct th_out o;
  char *a1[] = {TCPCLOSE_BIN, "check", good, NULL};
  cr_assert_eq(th_run(a1, &o), 0);
  cr_assert_str_eq(o.out, "1 case file ok\n");
  th_out_free(&o);
  char *a2[] = {TCPCLOSE_BIN, "list", good, NULL};
  cr_assert_eq(th_run(a2, &o), 0);
  cr_assert_eq(count_lines(o.out), 1);
  cr_assert(strncmp(o.out, "good ", 5) == 0 && strstr(o.out, "It shows a thing.") != NULL, "%s",
            o.out);
  th_out_free(&o);
  free(good);
}

/* A directory's cases and those of its subdirectories one level down, as
 * cases/ holds cases/grid/; deeper ones and hidden ones are left out. */
Test(cli, directory_loads_subdirectories_one_level) {
  char sub[1024], deeper[1024], hidden[1024];
  snprintf(sub, sizeof sub, "%s/grid", dir);
  snprintf(deeper, sizeof deeper, "%s/grid/deeper", dir);
  snprintf(hidden, sizeof hidden, "%s/.hidden", dir);
  cr_assert_eq(mkdir(sub, 0755), 0);
  cr_assert_eq(mkdir(deeper, 0755), 0);
  cr_assert_eq(mkdir(hidden, 0755), 0);
  static const char text[] = "server listen\nexpect server LISTEN\n";
  char buf[128];
  snprintf(buf, sizeof buf, "case top\n%s", text);
  free(th_write_file(dir, "top.case", buf));
  snprintf(buf, sizeof buf, "case one-down\n%s", text);
  free(th_write_file(sub, "one-down.case", buf));
  snprintf(buf, sizeof buf, "case two-down\n%s", text);
  free(th_write_file(deeper, "two-down.case", buf));
  snprintf(buf, sizeof buf, "case hidden\n%s", text);
  free(th_write_file(hidden, "hidden.case", buf));
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "list", dir, NULL};
  cr_assert_eq(th_run(argv, &o), 0, "%s", o.err);
  cr_assert_eq(count_lines(o.out), 2, "%s", o.out);
  cr_assert(strncmp(o.out, "top ", 4) == 0, "%s", o.out);
  cr_assert(strstr(o.out, "\none-down ") != NULL, "%s", o.out);
  th_out_free(&o);
}

/* Only subdirectories, no case file anywhere: the same error as before. */
Test(cli, directory_without_cases_is_an_error) {
  char sub[1024];
  snprintf(sub, sizeof sub, "%s/empty", dir);
  cr_assert_eq(mkdir(sub, 0755), 0);
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "list", dir, NULL};
  cr_assert_eq(th_run(argv, &o), 2);
  cr_assert(strstr(o.err, ": no *.case files\n") != NULL, "%s", o.err);
  th_out_free(&o);
}
