/* report_tap.c - a run as TAP version 13 (see report.h): the plan line
 * first, one test line per case ("ok N - NAME", "not ok N - NAME", a
 * skipped case "ok N - NAME # SKIP reason"), then a YAML block for a case
 * that failed or could not run, and a "#" line per reason checkpoints were
 * skipped. */
#include <string.h>

#include "report.h"

/* A YAML double-quoted scalar. */
static void yaml_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; s != NULL && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(out, "\\%c", ch);
    else if (ch == '\n')
      fputs("\\n", out);
    else if (ch < 0x20)
      fprintf(out, "\\x%02x", ch);
    else
      fputc(ch, out);
  }
  fputc('"', out);
}

/* Text on one line: a directive or diagnostic ends at a newline. */
static void one_line(FILE *out, const char *s) {
  for (; s != NULL && *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

static void yaml_block(FILE *out, const json_t *c) {
  const json_t *checks = json_object_get(c, "checks");
  fputs("  ---\n  verdict: ", out);
  fputs(tc__json_str(c, "verdict", "?"), out);
  fputs("\n  file: ", out);
  yaml_string(out, tc__json_str(c, "file", ""));
  fputs("\n  message: ", out);
  yaml_string(out, tc__json_str(c, "reason", ""));
  fputs("\n", out);
  int first = 1;
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    if (tc__check_result(ck) != 0) continue;
    if (first) fputs("  failures:\n", out);
    first = 0;
    fprintf(out, "    - line: %ld\n      expected: ", tc__json_long(ck, "line", 0));
    yaml_string(out, tc__check_what(tc__json_str(ck, "expect", "")));
    fputs("\n      got: ", out);
    yaml_string(out, tc__json_str(ck, "observed", ""));
    fputs("\n", out);
  }
  fputs("  ...\n", out);
}

static void skip_line(const char *why, size_t n, void *arg) {
  fprintf(arg, "# %zu checkpoint%s skipped: ", n, n == 1 ? "" : "s");
  one_line(arg, why);
  fputs("\n", arg);
}

int tc__report_tap(FILE *out, const tc_cmp_run *run) {
  size_t n = json_array_size(run->cases);
  fprintf(out, "TAP version 13\n1..%zu\n", n);
  for (size_t i = 0; i < n; i++) {
    const json_t *c = json_array_get(run->cases, i);
    const char *v = tc__json_str(c, "verdict", "");
    int ok = strcmp(v, "pass") == 0 || strcmp(v, "skip") == 0;
    fprintf(out, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
    one_line(out, tc__json_str(c, "name", ""));
    if (strcmp(v, "skip") == 0)
      fputs(" # SKIP ", out), one_line(out, tc__json_str(c, "reason", ""));
    fputs("\n", out);
    if (!ok) yaml_block(out, c);
    tc__each_skip_reason(c, skip_line, out);
  }
  return 0;
}
