/* test_probe.c - `tcpclose probe`'s exit status and lines: 0 against a
 * server that closes when its client does (examples/close_on_eof_server.py),
 * 1 naming the leak against one that never closes (leaky_server.py), 2 for
 * bad usage; one line per scenario template and a summary. Root (a
 * namespace per scenario) and python3. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli_helpers.h"

#define EXAMPLES TCPCLOSE_CASES_DIR "/../examples"
#define REQUEST "GET / HTTP/1.0\\r\\n\\r\\n"

TestSuite(probe, .timeout = 120);

static int lines_starting(const char *text, const char *prefix) {
  int n = 0;
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    n += strncmp(p, prefix, strlen(prefix)) == 0;
  return n;
}

/* The churn's 4-tuples as the results file says its peer counted them. */
static unsigned long results_tuples(const char *json) {
  json_error_t e;
  json_t *root = json_load_file(json, 0, &e), *cases = json_object_get(root, "cases");
  cr_assert_not_null(root, "%s: %s", json, e.text);
  unsigned long n = 0;
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *churn = json_object_get(json_array_get(cases, i), "churn");
    if (churn != NULL) n = (unsigned long)json_integer_value(json_object_get(churn, "tuples"));
  }
  json_decref(root);
  return n;
}

Test(probe, correct_server_exits_0) {
  char *dir = th_tmpdir(), json[600];
  snprintf(json, sizeof json, "%s/probe.json", dir);
  char *argv[] = {TCPCLOSE_BIN,
                  "probe",
                  "--json",
                  json,
                  "--send",
                  REQUEST,
                  "--churn",
                  "100",
                  "--grace",
                  "1s",
                  "--",
                  "python3",
                  EXAMPLES "/close_on_eof_server.py",
                  "{addr}",
                  "{port}",
                  NULL};
  struct th_out o;
  int status = th_run(argv, &o);
  cr_assert_eq(status, 0, "%s%s", o.out, o.err);
  cr_assert(strstr(o.out, "summary: 8 scenarios:") != NULL, "%s", o.out);
  cr_assert(strstr(o.out, "0 leak, 0 error") != NULL, "%s", o.out);
  cr_assert_eq(lines_starting(o.out, "8 churn"), 1, "%s", o.out);
  /* the peer's count (100 unless a connect took a 4-tuple again, after
   * Linux's 10 s port shuffle) */
  const char *ok = strstr(o.out, "100 ok, 0 failed, ");
  unsigned long tuples = 0;
  cr_assert(ok != NULL && sscanf(ok, "100 ok, 0 failed, %lu 4-tuples |", &tuples) == 1, "%s",
            o.out);
  cr_assert(tuples >= 1 && tuples <= 100, "%lu 4-tuples for 100 connections", tuples);
  cr_assert_eq(tuples, results_tuples(json), "the line says %lu, the results %lu", tuples,
               results_tuples(json));
  th_out_free(&o);
  th_rmtree(dir);
}

Test(probe, leaking_server_exits_1_naming_the_leak) {
  char *argv[] = {TCPCLOSE_BIN,
                  "probe",
                  "--send",
                  REQUEST,
                  "--churn",
                  "100",
                  "--grace",
                  "1s",
                  "--",
                  "python3",
                  EXAMPLES "/leaky_server.py",
                  "{addr}",
                  "{port}",
                  NULL};
  struct th_out o;
  int status = th_run(argv, &o);
  cr_assert_eq(status, 1, "%s%s", o.out, o.err);
  cr_assert(strstr(o.out, "LEAK: the server left sockets in CLOSE_WAIT") != NULL, "%s", o.out);
  cr_assert(strstr(o.out, "server holds CLOSE_WAIT=100") != NULL, "%s", o.out);
  cr_assert(strstr(o.out, "| leak\n") != NULL, "%s", o.out);
  th_out_free(&o);
}

Test(probe, bad_usage_exits_2) {
  char *no_command[] = {TCPCLOSE_BIN, "probe", "--churn", "10", NULL};
  char *bad_churn[] = {TCPCLOSE_BIN, "probe", "--churn", "many", "--", "true", NULL};
  char *bad_option[] = {TCPCLOSE_BIN, "probe", "--speed", "1", "--", "true", NULL};
  char *const *all[] = {no_command, bad_churn, bad_option};
  for (size_t i = 0; i < 3; i++) {
    struct th_out o;
    cr_assert_eq(th_run(all[i], &o), 2, "case %zu", i);
    cr_assert(strstr(o.err, "usage: tcpclose probe") != NULL);
    cr_assert_str_eq(o.out, "");
    th_out_free(&o);
  }
}

Test(probe, help_exits_0_with_the_options) {
  char *help[] = {TCPCLOSE_BIN, "probe", "--help", NULL};
  struct th_out o;
  cr_assert_eq(th_run(help, &o), 0, "%s", o.err);
  cr_assert(strstr(o.out, "usage: tcpclose probe") != NULL, "%s", o.out);
  cr_assert(strstr(o.out, "--grace DUR") != NULL, "%s", o.out);
  cr_assert_str_eq(o.err, "");
  th_out_free(&o);
}
