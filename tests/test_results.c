/* test_results.c - the results file: every field of schema 1 as written,
 * and the atomic write (a failed write leaves the old file and no
 * temporary file; a good one replaces it whole). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "tcpclose/result.h"
#include "tcpclose/tcpstate.h"

static char *dir;
static tc_case_result cases[2];
static const struct tc_host host = {"linux", "6.18.0-test", "x86_64"};

static void make_results(void) {
  struct tc_sock s = {.state = TC_STATE_CLOSE_WAIT,
                      .recvq = 22,
                      .sendq = 0,
                      .timer = 0,
                      .timer_ms = 0,
                      .retransmits = 0,
                      .inode = 7121};
  tc_addr_parse("127.0.0.1", 54849, &s.tuple.local);
  tc_addr_parse("127.0.0.1", 44200, &s.tuple.remote);
  cases[0].name = strdup("one");
  cases[0].file = strdup("cases/one.case");
  cases[0].observer = "procfs";
  cases[0].duration_ms = 160;
  tc_case_result_add_check(&cases[0], 20, "expect server CLOSE_WAIT recvq=22",
                           "CLOSE_WAIT recvq=22 sendq=0", 1, &s);
  tc_case_result_add_check(&cases[0], 21, "expect client eof", "eof", 1, NULL);
  tc_case_result_add_check(&cases[0], 22, "expect wire c>s F.", "skipped: wire capture: no", 0,
                           NULL);
  tc_case_result_skip_last(&cases[0]);
  cases[0].transitions_by.name = "tracefs";
  cases[0].wire_by.why_not = strdup("wire capture: no");
  struct tc_transition t = {
      .t_us = 1500, .role = 1, .from = TC_STATE_LAST_ACK, .to = TC_STATE_GONE, .source = "trace"};
  tc_case_result_add_transition(&cases[0], &t);
  struct tc_wire_seg w = {.t_us = 1400, .from = 0, .flags = "F.", .seq = 22, .ack = 1, .len = 0};
  tc_case_result_add_segment(&cases[0], &w);
  tc_case_result_set(&cases[0], TC_PASS, NULL);
  cases[1].name = strdup("two");
  cases[1].file = strdup("cases/two.case");
  tc_case_result_add_check(&cases[1], 9, "expect client TIME_WAIT", "gone", 0, NULL);
  tc_case_result_set(&cases[1], TC_FAIL, "line %d: %s", 9, "expect client TIME_WAIT: got gone");
}

static void setup(void) {
  dir = th_tmpdir();
  make_results();
}

static void teardown(void) {
  tc_case_result_free(&cases[0]);
  tc_case_result_free(&cases[1]);
  th_rmtree(dir);
}

TestSuite(results, .init = setup, .fini = teardown);

static json_t *write_and_load(const char *path) {
  tc_err err;
  cr_assert_eq(tc_results_write(path, &host, NULL, cases, 2, &err), 0, "%s", err.msg);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  cr_assert_not_null(root, "%s", je.text);
  return root;
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}
static json_int_t num(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

Test(results, file_has_tool_schema_and_host) {
  char path[600];
  snprintf(path, sizeof path, "%s/r.json", dir);
  json_t *root = write_and_load(path);
  cr_assert_str_eq(str(root, "tool"), "tcpclose");
  cr_assert_eq(num(root, "schema"), 1);
  json_t *h = json_object_get(root, "host");
  cr_assert_str_eq(str(h, "os"), "linux");
  cr_assert_str_eq(str(h, "kernel"), "6.18.0-test");
  cr_assert_str_eq(str(h, "machine"), "x86_64");
  cr_assert_eq(json_array_size(json_object_get(root, "cases")), 2);
  json_decref(root);
}

Test(results, cases_keep_verdict_reason_checks_and_socket) {
  char path[600];
  snprintf(path, sizeof path, "%s/r.json", dir);
  json_t *root = write_and_load(path), *cs = json_object_get(root, "cases");
  json_t *c0 = json_array_get(cs, 0), *c1 = json_array_get(cs, 1);
  cr_assert_str_eq(str(c0, "name"), "one");
  cr_assert_str_eq(str(c0, "file"), "cases/one.case");
  cr_assert_str_eq(str(c0, "verdict"), "pass");
  cr_assert(json_is_null(json_object_get(c0, "reason")));
  cr_assert_eq(num(c0, "duration_ms"), 160);
  json_t *obs = json_object_get(c0, "observers");
  cr_assert_str_eq(str(obs, "snapshot"), "procfs");
  cr_assert_str_eq(str(obs, "transitions"), "tracefs");
  cr_assert_str_eq(str(json_object_get(obs, "wire"), "unavailable"), "wire capture: no");
  json_t *k0 = json_array_get(json_object_get(c0, "checks"), 0);
  cr_assert_eq(num(k0, "line"), 20);
  cr_assert_str_eq(str(k0, "expect"), "expect server CLOSE_WAIT recvq=22");
  cr_assert_str_eq(str(k0, "observed"), "CLOSE_WAIT recvq=22 sendq=0");
  cr_assert(json_is_true(json_object_get(k0, "pass")));
  json_t *s = json_object_get(k0, "socket");
  cr_assert_str_eq(str(s, "state"), "CLOSE_WAIT");
  cr_assert_str_eq(str(s, "local"), "127.0.0.1:54849");
  cr_assert_str_eq(str(s, "remote"), "127.0.0.1:44200");
  cr_assert_eq(num(s, "recvq"), 22);
  cr_assert_str_eq(str(s, "timer"), "none");
  cr_assert_eq(num(s, "inode"), 7121);
  cr_assert_null(json_object_get(json_array_get(json_object_get(c0, "checks"), 1), "socket"));
  json_t *k2 = json_array_get(json_object_get(c0, "checks"), 2);
  cr_assert(json_is_null(json_object_get(k2, "pass")), "a skipped check has pass null");
  cr_assert(json_is_true(json_object_get(k2, "skipped")));
  cr_assert_str_eq(str(c1, "verdict"), "fail");
  cr_assert_str_eq(str(c1, "reason"), "line 9: expect client TIME_WAIT: got gone");
  cr_assert(
      json_is_false(json_object_get(json_array_get(json_object_get(c1, "checks"), 0), "pass")));
  json_decref(root);
}

static int entries(const char *d) {
  DIR *dd = opendir(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dd)) != NULL) n += e->d_name[0] != '.';
  closedir(dd);
  return n;
}

Test(results, write_replaces_whole_file_and_leaves_no_temporary) {
  char *path =
      th_write_file(dir, "r.json", "old content that is much longer than nothing at all\n");
  json_t *root = write_and_load(path);
  json_decref(root);
  cr_assert_eq(entries(dir), 1, "only r.json may remain in the directory");
  free(path);
}

Test(results, failed_write_reports_and_leaves_nothing) {
  char path[600];
  snprintf(path, sizeof path, "%s/missing/r.json", dir);
  tc_err err;
  cr_assert_eq(tc_results_write(path, &host, NULL, cases, 2, &err), -ENOENT);
  char want[700];
  snprintf(want, sizeof want, "%s: cannot create: No such file or directory", path);
  cr_assert_str_eq(err.msg, want);
  cr_assert_eq(entries(dir), 0);
}

Test(results, timeline_transitions_and_segments) {
  char path[600];
  snprintf(path, sizeof path, "%s/r.json", dir);
  json_t *root = write_and_load(path);
  json_t *c0 = json_array_get(json_object_get(root, "cases"), 0);
  json_t *t = json_array_get(json_object_get(c0, "transitions"), 0);
  cr_assert_eq(json_array_size(json_object_get(c0, "transitions")), 1);
  cr_assert_str_eq(str(t, "role"), "server");
  cr_assert_str_eq(str(t, "from"), "LAST_ACK");
  cr_assert_str_eq(str(t, "to"), "gone");
  cr_assert_eq(num(t, "t_us"), 1500);
  cr_assert_str_eq(str(t, "source"), "trace");
  json_t *s = json_array_get(json_object_get(c0, "segments"), 0);
  cr_assert_str_eq(str(s, "dir"), "c>s");
  cr_assert_str_eq(str(s, "flags"), "F.");
  cr_assert_eq(num(s, "seq"), 22);
  cr_assert_eq(num(s, "ack"), 1);
  cr_assert_eq(num(s, "t_us"), 1400);
  cr_assert_eq(json_array_size(
                   json_object_get(json_array_get(json_object_get(root, "cases"), 1), "segments")),
               0);
  json_decref(root);
}

Test(results, verdict_names) {
  cr_assert_str_eq(tc_verdict_name(TC_PASS), "pass");
  cr_assert_str_eq(tc_verdict_name(TC_FAIL), "fail");
  cr_assert_str_eq(tc_verdict_name(TC_SKIP), "skip");
  cr_assert_str_eq(tc_verdict_name(TC_ERROR), "error");
}
