/* test_timeline_order.c - `run -v` prints the timeline in time order:
 * steps, transitions, resets and segments, sorted by their times, however
 * late the trace and the capture were drained (issue 8). Played as root
 * on the four-wave and the RST seed cases, whose lines come from all
 * sources. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

/* Counts the timeline lines ("  12.345 ms  KIND ...") and checks their
 * times never go back; returns how many there were of the given kind. */
static int check_order(const char *out, const char *kind, int *lines) {
  double last = -1;
  int n = 0;
  *lines = 0;
  for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    double t;
    char word[16];
    if (sscanf(l, " %lf ms %15s", &t, word) != 2) continue;
    cr_assert_geq(t, last, "timeline line out of order: %.3f ms after %.3f ms:\n%.120s", t, last,
                  l);
    last = t;
    (*lines)++;
    n += strcmp(word, kind) == 0;
  }
  return n;
}

static void play_verbose(const char *name, struct th_out *o) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.case", TCPCLOSE_CASES_DIR, name);
  char *argv[] = {TCPCLOSE_BIN, "run", "-v", path, NULL};
  cr_assert_eq(th_run(argv, o), 0, "%s%s", o->out, o->err);
}

Test(timeline, four_waves_in_time_order) {
  struct th_out o;
  int lines;
  if (geteuid() != 0) cr_skip_test("needs root: transitions and the capture");
  play_verbose("server-close-delayed", &o);
  cr_assert_geq(check_order(o.out, "step", &lines), 10);
  cr_assert_geq(check_order(o.out, "wire", &lines), 7, "%s", o.out);
  cr_assert_geq(check_order(o.out, "client", &lines), 4, "%s", o.out);
  th_out_free(&o);
}

Test(timeline, reset_lines_in_time_order) {
  struct th_out o;
  int lines;
  if (geteuid() != 0) cr_skip_test("needs root: transitions and the capture");
  play_verbose("client-linger-reset", &o);
  cr_assert_geq(check_order(o.out, "server", &lines), 2, "%s", o.out);
  cr_assert_geq(lines, 15, "%s", o.out);
  th_out_free(&o);
}

/* The loop's lag and its own work: in the results (per case and for the
 * run) and after `run -v`. A run always does some work on its loop, so the
 * longest turn's CPU time is above zero. */
Test(timeline, loop_lag_and_own_work_are_reported) {
  char *dir = th_tmpdir(), json[600], path[512];
  snprintf(json, sizeof json, "%s/r.json", dir);
  snprintf(path, sizeof path, "%s/server-close-on-eof.case", TCPCLOSE_CASES_DIR);
  char *argv[] = {TCPCLOSE_BIN, "run", "-v", "--json", json, path, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "%s%s", o.out, o.err);
  cr_assert(strstr(o.out, "loop lag: worst ") != NULL, "%s", o.out);
  cr_assert(strstr(o.out, "(the loop's own work: at most ") != NULL, "%s", o.out);
  json_t *root = json_load_file(json, 0, NULL);
  cr_assert_not_null(root);
  json_t *run = json_object_get(root, "run");
  cr_assert(json_is_number(json_object_get(run, "loop_lag_ms")));
  cr_assert_gt(json_number_value(json_object_get(run, "loop_busy_ms")), 0);
  json_t *kase = json_array_get(json_object_get(root, "cases"), 0);
  cr_assert(json_is_number(json_object_get(kase, "loop_lag_ms")));
  json_decref(root);
  th_out_free(&o);
  th_rmtree(dir);
}
