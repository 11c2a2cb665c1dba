/* report_junit.c - a run as JUnit XML (see report.h), the format Jenkins,
 * GitLab and most CI systems read: one <testsuite> for the run (named after
 * its host), one <testcase> per case, IPv6 copies under their NAME@ipv6
 * name. A failing case has one <failure> whose message is its first
 * failing checkpoint and whose text lists them all ("FILE:LINE: expected
 * X but got Y"); a case that could not run has an <error>; a skipped case a
 * <skipped> with the reason. Checkpoints skipped inside a case that ran are
 * no skip of the case: they go in its <system-out>. The layout follows the
 * schema in tests/fixtures/junit.xsd (see tests/fixtures/README.md). */
#include <string.h>

#include "report.h"

static void count(const tc_cmp_run *run, size_t k[4], long *ms) {
  static const char *const v[] = {"pass", "fail", "skip", "error"};
  *ms = 0;
  for (size_t i = 0; i < json_array_size(run->cases); i++) {
    const json_t *c = json_array_get(run->cases, i);
    for (int j = 0; j < 4; j++) k[j] += strcmp(tc__json_str(c, "verdict", ""), v[j]) == 0;
    *ms += tc__json_long(c, "duration_ms", 0);
  }
}

static void failing_line(FILE *out, const json_t *c, const json_t *ck) {
  fprintf(out, "%s:%ld: expected ", tc__json_str(c, "file", "?"), tc__json_long(ck, "line", 0));
  tc__xml_text(out, tc__check_what(tc__json_str(ck, "expect", "")));
  fputs(" but got ", out);
  tc__xml_text(out, tc__json_str(ck, "observed", ""));
}

static void failure(FILE *out, const json_t *c) {
  const json_t *checks = json_object_get(c, "checks");
  int first = 1;
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    if (tc__check_result(ck) != 0) continue;
    if (first) {
      fputs("      <failure type=\"checkpoint\" message=\"", out);
      failing_line(out, c, ck);
      fputs("\">", out);
    }
    if (!first) fputs("\n", out);
    failing_line(out, c, ck);
    first = 0;
  }
  if (first) { /* failed with no failing checkpoint left: the reason says why */
    fputs("      <failure type=\"case\" message=\"", out);
    tc__xml_text(out, tc__json_str(c, "reason", ""));
    fputs("\">", out);
  }
  fputs("</failure>\n", out);
}

static void skip_line(const char *why, size_t n, void *arg) {
  fprintf(arg, "%zu checkpoint%s skipped: ", n, n == 1 ? "" : "s");
  tc__xml_text(arg, why);
  fputs("\n", arg);
}

static void testcase(FILE *out, const json_t *c) {
  const char *v = tc__json_str(c, "verdict", "");
  fputs("    <testcase name=\"", out);
  tc__xml_text(out, tc__json_str(c, "name", ""));
  fputs("\" classname=\"", out);
  tc__xml_text(out, tc__json_str(c, "file", ""));
  fprintf(out, "\" time=\"%.3f\">\n", tc__json_long(c, "duration_ms", 0) / 1000.0);
  if (strcmp(v, "fail") == 0) failure(out, c);
  if (strcmp(v, "error") == 0 || strcmp(v, "skip") == 0) {
    fprintf(out, "      <%s message=\"", strcmp(v, "error") == 0 ? "error" : "skipped");
    tc__xml_text(out, tc__json_str(c, "reason", ""));
    fputs("\"/>\n", out);
  }
  fputs("      <system-out>isolation: ", out);
  tc__xml_text(out, tc__json_str(c, "isolation", "?"));
  fputs("\n", out);
  tc__each_skip_reason(c, skip_line, out);
  fputs("</system-out>\n    </testcase>\n", out);
}

int tc__report_junit(FILE *out, const tc_cmp_run *run) {
  size_t k[4] = {0}, n = json_array_size(run->cases);
  long ms;
  count(run, k, &ms);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
  fprintf(out,
          "<testsuites name=\"tcpclose\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
          "time=\"%.3f\">\n",
          n, k[1], k[3], ms / 1000.0);
  fputs("  <testsuite name=\"tcpclose ", out);
  tc__xml_text(out, run->label);
  fprintf(
      out,
      "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\" hostname=\"",
      n, k[1], k[3], k[2], ms / 1000.0);
  tc__xml_text(out, run->label);
  fputs("\">\n", out);
  for (size_t i = 0; i < n; i++) testcase(out, json_array_get(run->cases, i));
  fputs("  </testsuite>\n</testsuites>\n", out);
  return 0;
}
