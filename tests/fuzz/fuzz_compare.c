/* fuzz_compare.c - libFuzzer target: results files as `tcpclose compare`
 * reads them: loaded and checked (tc__cmp_load_text, as tc_cmp_load() does
 * after reading the file), then compared with themselves and with the
 * first seed's file (tc_cmp_build) and printed (tc_cmp_print, into
 * /dev/null), both as text and markdown. Seeds: tests/fixtures/compare_*.json. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compare_load.h"
#include "tcpclose/compare.h"

static FILE *sink;
static tc_cmp_run *other;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  sink = fopen("/dev/null", "w");
  tc_err err;
  if (sink == NULL || tc_cmp_load(TCPCLOSE_FIXTURES_DIR "/compare_a.json", &other, &err) < 0)
    abort();
  return 0;
}

static void compare(tc_cmp_run *a, tc_cmp_run *b) {
  tc_cmp_run *runs[2] = {a, b};
  struct tc_cmp_opts opts = {.tolerance_ms = 200};
  struct tc_cmp_report rep;
  tc_err err;
  if (tc_cmp_build(runs, 2, &opts, &rep, &err) == 0) {
    tc_cmp_print(&rep, 0, 1, sink);
    tc_cmp_print(&rep, 1, 0, sink);
  }
  tc_cmp_report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tc_cmp_run *run;
  tc_err err;
  if (tc__cmp_load_text("fuzz.json", (const char *)data, size, &run, &err) < 0) return 0;
  compare(run, run);
  compare(other, run);
  tc_cmp_run_free(run);
  return 0;
}
