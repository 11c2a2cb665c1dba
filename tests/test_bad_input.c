/* test_bad_input.c - input tcpclose must refuse at once: each is one line
 * on stderr naming the file (and the line where there is one) and why, exit
 * status 2, nothing on stdout and no results file written. Case files: one
 * over TC_CASE_MAX_BYTES, a line longer than the lexer takes, a NUL byte,
 * an empty directory, a file and a directory the user cannot read. Results
 * files for compare: one over 16 MiB, one with more than 4096 cases or a
 * case of more than 256 checks, one nested deeper than the JSON parser's
 * bound, one cut short, one the user cannot read. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "tcpclose/case.h"

static char *dir, json[600];

static void setup(void) {
  dir = th_tmpdir();
  snprintf(json, sizeof json, "%s/r.json", dir);
}
static void teardown(void) { th_rmtree(dir); }

/* argv = prefix (may be NULL) then tail, NULL-terminated; at most 16. */
static void join_argv(char **argv, const char *const *prefix, char *const *tail) {
  int n = 0;
  for (; prefix != NULL && prefix[n] != NULL; n++) argv[n] = (char *)prefix[n];
  for (int i = 0; n < 15 && tail[i] != NULL; i++) argv[n++] = tail[i];
  argv[n] = NULL;
}

TestSuite(bad_case_input, .init = setup, .fini = teardown);

/* `tcpclose run --json r.json PATH` (through prefix, e.g. setpriv, when
 * given, with a copy of the binary that user can run) must print exactly
 * `want` + newline on stderr and write nothing. */
static void assert_run_refused(const char *const *prefix, const char *path, const char *want) {
  char *bin = prefix != NULL ? th_private_binary(dir) : strdup(TCPCLOSE_BIN);
  char *argv[16], *tail[] = {bin, "run", "--json", json, (char *)path, NULL};
  join_argv(argv, prefix, tail);
  struct th_out o;
  int rc = th_run(argv, &o);
  char line[1200];
  snprintf(line, sizeof line, "%s\n", want);
  cr_assert_eq(rc, 2, "expected exit 2 but got %d: %s", rc, o.err);
  cr_assert_str_eq(o.err, line);
  cr_assert_str_eq(o.out, "");
  cr_assert_eq(access(json, F_OK), -1, "a refused run wrote %s", json);
  th_out_free(&o);
  free(bin);
}

static char *write_bytes(const char *name, const char *bytes, size_t len) {
  char *path = malloc(1024);
  snprintf(path, 1024, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(bytes, 1, len, f), len);
  fclose(f);
  return path;
}

#define HEAD "case big\nserver listen\nclient connect\nserver accept\n"

Test(bad_case_input, a_case_file_over_1_mib) {
  size_t len = TC_CASE_MAX_BYTES + 1;
  char *text = malloc(len);
  memset(text, '#', len); /* one long comment: the size alone is wrong */
  memcpy(text, HEAD, strlen(HEAD));
  char *path = write_bytes("big.case", text, len), want[1100];
  snprintf(want, sizeof want, "%s: larger than 1 MiB: not a case file", path);
  assert_run_refused(NULL, path, want);
  free(text);
  free(path);
}

Test(bad_case_input, a_line_longer_than_the_lexer_takes) {
  char text[8192];
  int n = snprintf(text, sizeof text, HEAD "about ");
  memset(text + n, 'x', 5000);
  strcpy(text + n + 5000, "\nexpect client ESTABLISHED\n");
  char *path = write_bytes("long.case", text, strlen(text)), want[1100];
  snprintf(want, sizeof want, "%s:5: line longer than 4095 bytes", path);
  assert_run_refused(NULL, path, want);
  free(path);
}

Test(bad_case_input, a_nul_byte) {
  static const char text[] = HEAD "client send \"a\0b\"\nexpect client ESTABLISHED\n";
  char *path = write_bytes("nul.case", text, sizeof text - 1), want[1100];
  snprintf(want, sizeof want, "%s:5: NUL byte: not a text file", path);
  assert_run_refused(NULL, path, want);
  free(path);
}

Test(bad_case_input, an_empty_directory) {
  char empty[700], want[800];
  snprintf(empty, sizeof empty, "%s/none", dir);
  cr_assert_eq(mkdir(empty, 0755), 0);
  free(th_write_file(empty, "notes.txt", "not a case\n"));
  snprintf(want, sizeof want, "%s: no *.case files", empty);
  assert_run_refused(NULL, empty, want);
}

/* Root reads anything: become nobody to meet a file it cannot read. */
static const char *const as_nobody[] = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                        "--clear-groups", NULL};

static const char *const *unprivileged(void) {
  cr_assert_eq(chmod(dir, 0777), 0); /* nobody may write r.json: it must not */
  return geteuid() == 0 ? as_nobody : NULL;
}

Test(bad_case_input, a_file_the_user_cannot_read) {
  const char *const *prefix = unprivileged();
  char *path = th_write_file(dir, "secret.case", HEAD "expect client ESTABLISHED\n"), want[1100];
  cr_assert_eq(chmod(path, 0), 0);
  snprintf(want, sizeof want, "%s: cannot read: Permission denied", path);
  assert_run_refused(prefix, path, want);
  free(path);
}

Test(bad_case_input, a_directory_the_user_cannot_read) {
  const char *const *prefix = unprivileged();
  char sub[700], want[800];
  snprintf(sub, sizeof sub, "%s/closed", dir);
  cr_assert_eq(mkdir(sub, 0), 0);
  snprintf(want, sizeof want, "%s: cannot read directory: Permission denied", sub);
  assert_run_refused(prefix, sub, want);
}

/* ---- results files for compare ---- */

TestSuite(bad_results_input, .init = setup, .fini = teardown);

static void assert_compare_refused(const char *path, const char *why) {
  char good[1024], want[2048];
  snprintf(good, sizeof good, "%s/compare_a.json", TCPCLOSE_FIXTURES_DIR);
  char *argv[] = {TCPCLOSE_BIN, "compare", good, (char *)path, NULL};
  struct th_out o;
  int rc = th_run(argv, &o);
  snprintf(want, sizeof want, "%s: not a tcpclose results file (%s)\n", path, why);
  cr_assert_eq(rc, 2, "expected exit 2 but got %d: %s", rc, o.err);
  cr_assert_str_eq(o.err, want);
  cr_assert_str_eq(o.out, "");
  th_out_free(&o);
}

Test(bad_results_input, a_results_file_the_user_cannot_read) {
  const char *const *prefix = unprivileged();
  char *bin = prefix != NULL ? th_private_binary(dir) : strdup(TCPCLOSE_BIN);
  char *path = th_write_file(dir, "secret.json", "{}\n"), good[1024], want[2048];
  cr_assert_eq(chmod(path, 0), 0);
  snprintf(good, sizeof good, "%s/compare_a.json", TCPCLOSE_FIXTURES_DIR);
  char *argv[16], *tail[] = {bin, "compare", good, path, NULL};
  join_argv(argv, prefix, tail);
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 2, "%s", o.err);
  snprintf(want, sizeof want, "%s: cannot read: Permission denied\n", path);
  cr_assert_str_eq(o.err, want);
  cr_assert_str_eq(o.out, "");
  th_out_free(&o);
  free(path);
  free(bin);
}

/* A sparse file: refused by its size, never read. */
Test(bad_results_input, a_results_file_over_16_mib) {
  char path[700];
  snprintf(path, sizeof path, "%s/huge.json", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("{\"tool\": \"tcpclose\", \"schema\": 1, \"cases\": [", f);
  fclose(f);
  cr_assert_eq(truncate(path, (16L << 20) + 1), 0);
  assert_compare_refused(path, "larger than 16 MiB");
}

/* A results file with n cases, the first of them with `checks` checks. */
static char *write_results(const char *name, int ncases, int checks) {
  size_t cap = 256 + (size_t)ncases * 48 + (size_t)checks * 4;
  char *text = malloc(cap);
  int n = snprintf(text, cap,
                   "{\"tool\": \"tcpclose\", \"schema\": 1, \"host\": {\"os\": "
                   "\"linux\", \"kernel\": \"6\", \"machine\": \"x\"}, \"cases\": [");
  for (int i = 0; i < ncases; i++) {
    n += snprintf(text + n, cap - (size_t)n, "%s{\"name\": \"c%d\", \"checks\": [", i ? ", " : "",
                  i);
    for (int k = 0; i == 0 && k < checks; k++)
      n += snprintf(text + n, cap - (size_t)n, "%s{}", k ? "," : "");
    n += snprintf(text + n, cap - (size_t)n, "]}");
  }
  n += snprintf(text + n, cap - (size_t)n, "]}\n");
  char *path = write_bytes(name, text, (size_t)n);
  free(text);
  return path;
}

Test(bad_results_input, more_than_4096_cases) {
  char *ok = write_results("ok.json", 4096, 0), *path = write_results("many.json", 4097, 0);
  char *argv[] = {TCPCLOSE_BIN, "compare", ok, ok, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "4096 cases are taken: %s", o.err);
  th_out_free(&o);
  assert_compare_refused(path, "more than 4096 cases");
  free(ok);
  free(path);
}

Test(bad_results_input, a_case_of_more_than_256_checks) {
  char *ok = write_results("ok.json", 2, 256), *path = write_results("checks.json", 2, 257);
  char *argv[] = {TCPCLOSE_BIN, "compare", ok, ok, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "256 checks are taken: %s", o.err);
  th_out_free(&o);
  assert_compare_refused(path, "case 1 has more than 256 checks");
  free(ok);
  free(path);
}

/* jansson stops at JSON_PARSER_MAX_DEPTH (2048) levels: 100000 would
 * otherwise recurse through the parser, the comparison and json_decref. */
Test(bad_results_input, a_results_file_nested_100000_deep) {
  size_t depth = 100000;
  char *text = malloc(2 * depth);
  memset(text, '[', depth);
  memset(text + depth, ']', depth);
  char *path = write_bytes("deep.json", text, 2 * depth);
  assert_compare_refused(path, "not JSON: line 1: maximum parsing depth reached near '['");
  free(text);
  free(path);
}

Test(bad_results_input, a_results_file_cut_short) {
  char src[1024];
  snprintf(src, sizeof src, "%s/compare_a.json", TCPCLOSE_FIXTURES_DIR);
  char *whole = th_read_file(src);
  cr_assert_not_null(whole);
  size_t half = strlen(whole) / 2;
  char *path = write_bytes("cut.json", whole, half);
  int lines = 1;
  for (size_t i = 0; i < half; i++) lines += whole[i] == '\n';
  char why[200];
  snprintf(why, sizeof why, "not JSON: line %d: ", lines);
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "compare", src, path, NULL};
  cr_assert_eq(th_run(argv, &o), 2);
  char want[1500];
  snprintf(want, sizeof want, "%s: not a tcpclose results file (%s", path, why);
  cr_assert(strncmp(o.err, want, strlen(want)) == 0, "expected '%s...' but got '%s'", want, o.err);
  cr_assert_eq(strchr(o.err, '\n'), o.err + strlen(o.err) - 1, "one line: %s", o.err);
  cr_assert_str_eq(o.out, "");
  th_out_free(&o);
  free(whole);
  free(path);
}
