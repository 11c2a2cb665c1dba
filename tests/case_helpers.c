/* case_helpers.c - see case_helpers.h. */
#include "case_helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_helpers.h"

json_t *th_play(const char *dir, const char *name, const char *text, const char *timeout,
                int *status, json_t **root) {
  char file[512], json[512];
  snprintf(file, sizeof file, "%s.case", name);
  snprintf(json, sizeof json, "%s/%s.json", dir, name);
  char *path = th_write_file(dir, file, text);
  /* Without a timeout of the test's own, tcpclose's defaults: 5 s a
   * step, 30 s for a program to start. */
  char *argv[8] = {TCPCLOSE_BIN, "run", "--json", json};
  int n = 4;
  if (timeout != NULL) {
    argv[n++] = "--timeout";
    argv[n++] = (char *)timeout;
  }
  argv[n++] = path;
  argv[n] = NULL;
  struct th_out o;
  *status = th_run(argv, &o);
  free(path);
  json_error_t je;
  *root = json_load_file(json, 0, &je);
  cr_assert_not_null(*root, "no results (%s): %s %s", je.text, o.out, o.err);
  th_out_free(&o);
  json_t *kase = json_array_get(json_object_get(*root, "cases"), 0);
  cr_assert_not_null(kase);
  return kase;
}

static json_t *check_at(json_t *kase, int line) {
  json_t *checks = json_object_get(kase, "checks"), *c;
  size_t i;
  json_array_foreach(checks, i, c) {
    if (json_integer_value(json_object_get(c, "line")) == line) return c;
  }
  return NULL;
}

const char *th_observed(json_t *kase, int line) {
  json_t *c = check_at(kase, line);
  return c ? json_string_value(json_object_get(c, "observed")) : NULL;
}

int th_passed(json_t *kase, int line) {
  json_t *c = check_at(kase, line);
  return c ? json_is_true(json_object_get(c, "pass")) : -1;
}

const char *th_str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

char *th_dir;
json_t *th_root;

void th_case_setup(void) { th_dir = th_tmpdir(); }

void th_case_teardown(void) {
  json_decref(th_root);
  th_root = NULL;
  th_rmtree(th_dir);
  th_dir = NULL;
}
