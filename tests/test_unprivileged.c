/* test_unprivileged.c - without root the suite still runs: checkpoints
 * that need tracepoints or a capture are skipped, each saying why, the rest
 * pass, and the results say the case ran on the host's loopback; the
 * grid's cases (cases/grid/), which inject segments, are skipped with the
 * reason. Runs the suite as user nobody (setpriv), from a copy nobody can
 * read. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

static char *dir, *bin;

static void setup(void) {
  dir = th_tmpdir();
  bin = th_private_binary(dir);
}

static void teardown(void) {
  free(bin);
  th_rmtree(dir);
}

TestSuite(unprivileged, .init = setup, .fini = teardown, .timeout = 60);

/* Counts checks by kind of expectation and whether they were skipped. */
static void tally(json_t *root, int *skipped, int *judged, int *failed) {
  size_t i, k;
  json_t *c, *ck;
  json_array_foreach(json_object_get(root, "cases"), i, c) {
    json_array_foreach(json_object_get(c, "checks"), k, ck) {
      const char *e = json_string_value(json_object_get(ck, "expect"));
      int timeline = strstr(e, " path ") || strstr(e, "expect wire") || strstr(e, "reset-reason");
      if (json_is_true(json_object_get(ck, "skipped"))) {
        (*skipped)++;
        cr_assert(timeline, "only timeline checks may be skipped: %s", e);
        cr_assert(strstr(json_string_value(json_object_get(ck, "observed")), "skipped: ") != NULL);
      } else {
        (*judged)++;
        cr_assert(!timeline, "%s needs root and was judged anyway", e);
        *failed += !json_is_true(json_object_get(ck, "pass"));
      }
    }
  }
}

/* The grid's cases in the results: each skipped, saying it needs a
 * namespace (inject among what needs one) and why there is none. */
static int inject_skips(json_t *root) {
  static const char why[] = "needs a network namespace of its own (sysctl, drop, hold, inject): "
                            "not root";
  json_t *c;
  size_t i;
  int n = 0;
  json_array_foreach(json_object_get(root, "cases"), i, c) {
    if (strncmp(json_string_value(json_object_get(c, "name")), "grid-", 5) != 0) continue;
    cr_assert_str_eq(json_string_value(json_object_get(c, "verdict")), "skip");
    const char *reason = json_string_value(json_object_get(c, "reason"));
    cr_assert(strncmp(reason, why, sizeof why - 1) == 0, "%s", reason);
    n++;
  }
  return n;
}

Test(unprivileged, suite_passes_with_timeline_checks_skipped) {
  if (geteuid() != 0) cr_skip_test("needs root to become nobody");
  char cmd[2048], json[600];
  snprintf(json, sizeof json, "%s/r.json", dir);
  snprintf(cmd, sizeof cmd,
           "cp -r '%s' '%s/cases' && chmod -R a+rwX '%s' && cd '%s' && "
           "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all '%s' run --quick "
           "--json r.json cases >out.txt 2>&1",
           TCPCLOSE_CASES_DIR, dir, dir, dir, bin);
  int rc = system(cmd);
  snprintf(cmd, sizeof cmd, "%s/out.txt", dir);
  char *out = th_read_file(cmd);
  cr_assert_eq(rc, 0, "the suite failed without root:\n%s", out);
  cr_assert(strstr(out, "checkpoints skipped: transitions:") != NULL, "%s", out);
  cr_assert(strstr(out, "skipped: wire capture:") != NULL, "%s", out);
  json_t *root = json_load_file(json, 0, NULL);
  cr_assert_not_null(root);
  int skipped = 0, judged = 0, failed = 0;
  tally(root, &skipped, &judged, &failed);
  cr_assert_gt(skipped, 10);
  cr_assert_gt(judged, 20);
  cr_assert_eq(failed, 0);
  cr_assert_geq(inject_skips(root), 24);
  json_t *c0 = json_array_get(json_object_get(root, "cases"), 0);
  const char *iso = json_string_value(json_object_get(c0, "isolation"));
  cr_assert(strncmp(iso, "host loopback: not root", 23) == 0, "isolation: %s", iso);
  json_decref(root);
  free(out);
}
