/* test_report_cli.c - `tcpclose report` and the report options of `run`
 * as a user calls them: files written whole (no temporary left), bad input
 * refused with one line and exit status 2 with nothing written, and a real
 * run writing its results with steps and every report beside them. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

static size_t count(const char *s, const char *what) {
  size_t n = 0;
  for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what)) n++;
  return n;
}

static size_t entries(const char *dir) {
  size_t n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

TestSuite(report_cli);

Test(report_cli, writes_the_page_and_nothing_else) {
  char *dir = th_tmpdir(), out[1024], fixture[1024];
  snprintf(out, sizeof out, "%s/r.html", dir);
  snprintf(fixture, sizeof fixture, "%s/report_run.json", TCPCLOSE_FIXTURES_DIR);
  char *argv[] = {TCPCLOSE_BIN, "report", fixture, "-o", out, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "%s", o.err);
  char *html = th_read_file(out);
  cr_assert_not_null(html);
  cr_assert_eq(count(html, "<svg class=\"sequence\""), 7);
  cr_assert_eq(entries(dir), 1);
  free(html);
  th_out_free(&o);
  th_rmtree(dir);
}

/* One standalone SVG per case; a name's odd characters cannot leave dir. */
Test(report_cli, svg_dir_writes_one_diagram_per_case) {
  char *dir = th_tmpdir(), fixture[1024], odd[1024];
  snprintf(fixture, sizeof fixture, "%s/report_run.json", TCPCLOSE_FIXTURES_DIR);
  char *argv[] = {TCPCLOSE_BIN, "report", fixture, "--svg-dir", dir, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "%s", o.err);
  cr_assert_eq(strncmp(o.out, "7 diagrams in ", 14), 0, "%s", o.out);
  cr_assert_eq(entries(dir), 7);
  snprintf(odd, sizeof odd, "%s/odd___name.svg", dir);
  char *svg = th_read_file(odd);
  cr_assert_not_null(svg);
  static const char head[] = "<svg class=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\"";
  cr_assert_eq(strncmp(svg, head, sizeof head - 1), 0, "%.80s", svg);
  free(svg);
  th_out_free(&o);
  th_rmtree(dir);
}

Test(report_cli, a_file_that_is_not_results_is_refused) {
  char *dir = th_tmpdir(), out[1024], bad[1024];
  snprintf(out, sizeof out, "%s/r.html", dir);
  snprintf(bad, sizeof bad, "%s/compare_not_json.txt", TCPCLOSE_FIXTURES_DIR);
  char *argv[] = {TCPCLOSE_BIN, "report", bad, "-o", out, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 2);
  cr_assert(strstr(o.err, "compare_not_json.txt: not a tcpclose results file (not JSON: line 1") !=
            NULL);
  cr_assert_eq(count(o.err, "\n"), 1);
  cr_assert_eq(entries(dir), 0);
  th_out_free(&o);
  th_rmtree(dir);
}

Test(report_cli, usage_errors) {
  struct th_out o;
  char *a1[] = {TCPCLOSE_BIN, "report", "x.json", NULL};
  cr_assert_eq(th_run(a1, &o), 2);
  cr_assert_str_eq(
      o.err,
      "tcpclose report: name a results file and -o FILE.html (see tcpclose report --help)\n");
  th_out_free(&o);
  char *a2[] = {TCPCLOSE_BIN, "report", "x.json", "-o", NULL};
  cr_assert_eq(th_run(a2, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose report: option '-o' needs a value\n");
  th_out_free(&o);
  char *a3[] = {TCPCLOSE_BIN, "run", "--html", "/nonexistent/r.html", "x.case", NULL};
  cr_assert_eq(th_run(a3, &o), 2);
  cr_assert_str_eq(o.err, "tcpclose run: --html /nonexistent/r.html: cannot write in "
                          "'/nonexistent': No such file or directory\n");
  th_out_free(&o);
}

/* A real case: its results keep the steps, and every report is written. */
Test(report_cli, run_writes_every_report, .timeout = 60) {
  char *dir = th_tmpdir(), p[5][1024], c[1024];
  static const char *const names[] = {"r.json", "r.html", "r.xml", "r.tap", "r.md"};
  for (int i = 0; i < 5; i++) snprintf(p[i], sizeof p[i], "%s/%s", dir, names[i]);
  snprintf(c, sizeof c, "%s/server-close-on-eof.case", TCPCLOSE_CASES_DIR);
  char *argv[] = {
      TCPCLOSE_BIN,         "run", "--json", p[0], "--html", p[1], "--junit", p[2], "--tap", p[3],
      "--summary-markdown", p[4],  c,        NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "%s%s", o.out, o.err);
  char *json = th_read_file(p[0]), *html = th_read_file(p[1]), *xml = th_read_file(p[2]);
  char *tap = th_read_file(p[3]), *md = th_read_file(p[4]);
  cr_assert(json && html && xml && tap && md);
  cr_assert(strstr(json, "\"text\": \"client close\"") != NULL);
  cr_assert(strstr(json, "\"role\": \"client\",\n          \"line\": ") != NULL);
  cr_assert_eq(count(html, "<svg class=\"sequence\""), 1);
  cr_assert_eq(count(xml, "<testcase "), 1);
  cr_assert_eq(strncmp(tap, "TAP version 13\n1..1\nok 1 - server-close-on-eof\n", 46), 0);
  cr_assert(strstr(md, "**1 cases: 1 passed, 0 failed, 0 skipped, 0 errors**") != NULL);
  cr_assert_eq(entries(dir), 5);
  free(json), free(html), free(xml), free(tap), free(md);
  th_out_free(&o);
  th_rmtree(dir);
}
