/* report_markdown.c - a short summary of a run in GitHub markdown, for
 * $GITHUB_STEP_SUMMARY (see report.h): the host and the counts, a table of
 * the cases that did not pass with why, and the reasons checkpoints were
 * skipped. Passing cases are only counted: the HTML report has them all. */
#include <string.h>

#include "report.h"

/* Text for a table cell: | and newlines would end it, < & would be HTML. */
static void cell(FILE *out, const char *s) {
  for (; s != NULL && *s; s++) {
    if (*s == '|')
      fputs("\\|", out);
    else if (*s == '\n')
      fputc(' ', out);
    else if (*s == '<')
      fputs("&lt;", out);
    else if (*s == '&')
      fputs("&amp;", out);
    else
      fputc(*s, out);
  }
}

static void why_not(FILE *out, const json_t *c) {
  const json_t *checks = json_object_get(c, "checks");
  int any = 0;
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    if (tc__check_result(ck) != 0) continue;
    fprintf(out, "%sline %ld: expected ", any++ ? "<br>" : "", tc__json_long(ck, "line", 0));
    cell(out, tc__check_what(tc__json_str(ck, "expect", "")));
    fputs(" but got ", out);
    cell(out, tc__json_str(ck, "observed", ""));
  }
  if (!any) cell(out, tc__json_str(c, "reason", ""));
}

#define MAX_REASONS 32

/* The run's skip reasons, each with its count of checkpoints and cases. */
struct skips {
  const char *why[MAX_REASONS];
  size_t checks[MAX_REASONS], cases[MAX_REASONS];
  size_t n;
};

static void add_reason(const char *why, size_t n, void *arg) {
  struct skips *s = arg;
  size_t i = 0;
  while (i < s->n && strcmp(s->why[i], why) != 0) i++;
  if (i == MAX_REASONS) return;
  if (i == s->n) s->why[s->n++] = why;
  s->checks[i] += n;
  s->cases[i]++;
}

static void skipped(FILE *out, const tc_cmp_run *run) {
  struct skips s = {.n = 0};
  for (size_t i = 0; i < json_array_size(run->cases); i++)
    tc__each_skip_reason(json_array_get(run->cases, i), add_reason, &s);
  if (s.n > 0) fputs("\n| checkpoints skipped | in cases | why |\n| --- | --- | --- |\n", out);
  for (size_t i = 0; i < s.n; i++) {
    fprintf(out, "| %zu | %zu | ", s.checks[i], s.cases[i]);
    cell(out, s.why[i]);
    fputs(" |\n", out);
  }
}

int tc__report_markdown(FILE *out, const tc_cmp_run *run) {
  size_t k[4] = {0}, n = json_array_size(run->cases);
  static const char *const v[] = {"pass", "fail", "skip", "error"};
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < 4; j++)
      k[j] += strcmp(tc__json_str(json_array_get(run->cases, i), "verdict", ""), v[j]) == 0;
  fputs("### tcpclose on ", out);
  cell(out, run->label);
  fprintf(out, "\n\n**%zu cases: %zu passed, %zu failed, %zu skipped, %zu errors**\n\n", n, k[0],
          k[1], k[2], k[3]);
  if (k[1] + k[2] + k[3] > 0) fputs("| case | verdict | why |\n| --- | --- | --- |\n", out);
  for (size_t i = 0; i < n; i++) {
    const json_t *c = json_array_get(run->cases, i);
    if (strcmp(tc__json_str(c, "verdict", ""), "pass") == 0) continue;
    fputs("| ", out);
    cell(out, tc__json_str(c, "name", ""));
    fprintf(out, " | %s | ", tc__json_str(c, "verdict", "?"));
    why_not(out, c);
    fputs(" |\n", out);
  }
  skipped(out, run);
  return 0;
}
