/* fixture_lines.h - a text fixture from tests/fixtures, line by line, for
 * the parser tests (/proc/net/tcp, netstat). Header-only: each test
 * includes it. A missing fixture fails the test that loads it. */
#ifndef TCPCLOSE_TEST_FIXTURE_LINES_H
#define TCPCLOSE_TEST_FIXTURE_LINES_H

#include <criterion/criterion.h>
#include <stdio.h>

#define MAX_LINES 64

struct fixture {
  char line[MAX_LINES][512];
  size_t n;
};

static inline void load(const char *name, struct fixture *f) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  FILE *fp = fopen(path, "r");
  cr_assert_not_null(fp, "cannot open %s", path);
  f->n = 0;
  while (f->n < MAX_LINES && fgets(f->line[f->n], sizeof f->line[0], fp) != NULL) f->n++;
  fclose(fp);
}

#endif
