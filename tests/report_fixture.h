/* report_fixture.h - the report writers' fixture (tests/fixtures/report_run.json,
 * see tests/fixtures/README.md) and their output captured as a string.
 *
 * Contract: rf_load() reads a fixture with tc_cmp_load() and fails the test
 * when it cannot; rf_write() runs one writer into memory and returns its
 * text (caller frees); rf_count() counts a string's occurrences. */
#ifndef TCPCLOSE_TEST_REPORT_FIXTURE_H
#define TCPCLOSE_TEST_REPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* GCC 12 takes the text open_memstream() returns for a pointer into the
 * local that received it, and warns wherever the text is searched. */
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wdangling-pointer"

/* What the fixture holds, counted from its JSON by hand. */
#define RF_CASES 7
#define RF_SEGMENTS 39 /* of 40: one is dropped, and not drawn */
#define RF_TRANSITIONS 42

static inline tc_cmp_run *rf_load(const char *name) {
  char path[1024];
  tc_err err;
  tc_cmp_run *run = NULL;
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  cr_assert_eq(tc_cmp_load(path, &run, &err), 0, "%s", err.msg);
  return run;
}

static inline char *rf_write(int (*writer)(FILE *, const tc_cmp_run *), const tc_cmp_run *run) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  cr_assert_not_null(m);
  cr_assert_eq(writer(m, run), 0);
  fclose(m);
  return buf;
}

static inline size_t rf_count(const char *s, const char *what) {
  size_t n = 0;
  for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what)) n++;
  return n;
}

#endif
