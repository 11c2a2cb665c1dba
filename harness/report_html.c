/* report_html.c - the HTML report (see report.h): one self-contained page,
 * CSS inline, diagrams as inline SVG, no script and nothing fetched, so it
 * reads offline and in a CI artifact viewer. A summary table links to a
 * section per case; with several runs each section shows the case's
 * diagrams side by side under the rows `compare` found different, which the
 * diagrams highlight too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#0f172a;"
    "background:#f8fafc}\n"
    "main{max-width:1880px;margin:0 auto;padding:20px 28px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px}\n"
    "table{border-collapse:collapse;background:#fff;margin:8px 0}\n"
    "th,td{border:1px solid #e2e8f0;padding:3px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#f1f5f9}code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,monospace;"
    "font-size:12.5px}\n"
    ".v-pass{color:#15803d;font-weight:bold}.v-fail,.v-error{color:#b91c1c;font-weight:bold}"
    ".v-skip{color:#64748b;font-weight:bold}.muted{color:#64748b}\n"
    "section.case{background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:22px 0;"
    "padding:14px 16px}\n"
    ".runs{display:flex;gap:18px;align-items:flex-start}"
    ".runs figure{margin:0;flex:1 1 0;min-width:0}\n"
    "figcaption{font-weight:600;margin:4px "
    "0}svg.sequence{max-width:100%;height:auto;display:block}\n"
    "tr.differs td{background:#fef9c3}ul.lines{margin:0;padding-left:18px}\n"
    ".summary td{white-space:nowrap}.summary td.why{white-space:normal}\n";

/* The case named name in run, NULL when the run lacks it. */
static const json_t *find_case(const tc_cmp_run *run, const char *name) {
  for (size_t i = 0; i < json_array_size(run->cases); i++) {
    const json_t *c = json_array_get(run->cases, i);
    if (strcmp(tc__json_str(c, "name", ""), name) == 0) return c;
  }
  return NULL;
}

/* Case names of all runs, each once, in the order they first appear. */
static const char **case_names(tc_cmp_run *const *runs, size_t n, size_t *count) {
  size_t cap = 1;
  for (size_t r = 0; r < n; r++) cap += json_array_size(runs[r]->cases);
  const char **names = calloc(cap, sizeof *names);
  *count = 0;
  for (size_t r = 0; names != NULL && r < n; r++)
    for (size_t i = 0; i < json_array_size(runs[r]->cases); i++) {
      const char *name = tc__json_str(json_array_get(runs[r]->cases, i), "name", "");
      int seen = 0;
      for (size_t k = 0; k < r && !seen; k++) seen = find_case(runs[k], name) != NULL;
      if (!seen) names[(*count)++] = name;
    }
  return names;
}

static void verdict_cell(FILE *out, const json_t *c) {
  const char *v = c ? tc__json_str(c, "verdict", "?") : "-";
  fprintf(out, "<td class=\"v-%s\">%s</td>", v, v);
  if (c)
    fprintf(out, "<td>%.2f s</td>", tc__json_long(c, "duration_ms", 0) / 1000.0);
  else
    fputs("<td></td>", out);
}

/* Failing checkpoints, or why the case stopped or was skipped. */
static void failures(FILE *out, const json_t *c, const char *label) {
  const json_t *checks = json_object_get(c, "checks");
  const char *v = tc__json_str(c, "verdict", "");
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    if (tc__check_result(ck) != 0) continue;
    fprintf(out, "<li>%s%sline %ld: expected <code>", label ? label : "", label ? ": " : "",
            tc__json_long(ck, "line", 0));
    tc__xml_text(out, tc__check_what(tc__json_str(ck, "expect", "")));
    fputs("</code> but got <code>", out);
    tc__xml_text(out, tc__json_str(ck, "observed", ""));
    fputs("</code></li>", out);
  }
  if (strcmp(v, "error") == 0 || strcmp(v, "skip") == 0) {
    fprintf(out, "<li>%s%s%s: ", label ? label : "", label ? ": " : "", v);
    tc__xml_text(out, tc__json_str(c, "reason", ""));
    fputs("</li>", out);
  }
}

static void skip_item(const char *why, size_t n, void *arg) {
  fprintf(arg, "<li>%zu checkpoint%s: ", n, n == 1 ? "" : "s");
  tc__xml_text(arg, why);
  fputs("</li>", arg);
}

static size_t case_diffs(const struct tc_cmp_report *rep, const char *name) {
  size_t n = 0;
  for (size_t i = 0; rep != NULL && i < rep->nrows; i++)
    n += rep->rows[i].counts && strcmp(rep->rows[i].case_name, name) == 0;
  return n;
}

static void summary_row(FILE *out, tc_cmp_run *const *runs, size_t n, const char *name,
                        const struct tc_cmp_report *rep) {
  fputs("<tr><td><a href=\"#case-", out);
  tc__xml_text(out, name);
  fputs("\">", out);
  tc__xml_text(out, name);
  fputs("</a></td>", out);
  for (size_t r = 0; r < n; r++) verdict_cell(out, find_case(runs[r], name));
  fputs("<td class=\"why\"><ul class=\"lines\">", out);
  for (size_t r = 0; r < n; r++)
    if (find_case(runs[r], name))
      failures(out, find_case(runs[r], name), n > 1 ? runs[r]->label : NULL);
  fputs("</ul></td><td class=\"why\"><ul class=\"lines\">", out);
  for (size_t r = 0; r < n; r++)
    if (find_case(runs[r], name)) tc__each_skip_reason(find_case(runs[r], name), skip_item, out);
  fputs("</ul></td>", out);
  if (n > 1) fprintf(out, "<td>%zu</td>", case_diffs(rep, name));
  fputs("</tr>\n", out);
}

static void summary(FILE *out, tc_cmp_run *const *runs, size_t n, const char **names, size_t nnames,
                    const struct tc_cmp_report *rep) {
  fputs("<table class=\"summary\"><thead><tr><th>case</th>", out);
  for (size_t r = 0; r < n; r++) {
    fputs("<th>verdict", out);
    if (n > 1) fputs("<br><small>", out), tc__xml_text(out, runs[r]->label), fputs("</small>", out);
    fputs("</th><th>time</th>", out);
  }
  fprintf(out, "<th>failing checkpoints</th><th>skipped checkpoints</th>%s</tr></thead><tbody>\n",
          n > 1 ? "<th>differences</th>" : "");
  for (size_t i = 0; i < nnames; i++) summary_row(out, runs, n, names[i], rep);
  fputs("</tbody></table>\n", out);
}

static void run_counts(FILE *out, const tc_cmp_run *run) {
  size_t k[4] = {0};
  static const char *const v[] = {"pass", "fail", "skip", "error"};
  for (size_t i = 0; i < json_array_size(run->cases); i++)
    for (int j = 0; j < 4; j++)
      k[j] += strcmp(tc__json_str(json_array_get(run->cases, i), "verdict", ""), v[j]) == 0;
  fputs("<p><b>", out);
  tc__xml_text(out, run->label);
  fputs("</b> <span class=\"muted\">(", out);
  tc__xml_text(out, run->path);
  fprintf(out, ")</span>: %zu cases, %zu passed, %zu failed, %zu skipped, %zu errors</p>\n",
          json_array_size(run->cases), k[0], k[1], k[2], k[3]);
}

/* The rows compare found for this case: item, then a cell per run. */
static void diff_table(FILE *out, const struct tc_cmp_report *rep, const char *name) {
  int any = 0;
  for (size_t i = 0; i < rep->nrows; i++) {
    const struct tc_cmp_row *row = &rep->rows[i];
    if (strcmp(row->case_name, name) != 0) continue;
    if (!any++) {
      fputs("<table class=\"diff\"><thead><tr><th>differs</th>", out);
      for (size_t r = 0; r < rep->nruns; r++)
        fputs("<th>", out), tc__xml_text(out, rep->labels[r]), fputs("</th>", out);
      fputs("</tr></thead><tbody>\n", out);
    }
    fprintf(out, "<tr%s><td class=\"mono\">",
            row->counts ? " class=\"differs\"" : " class=\"muted\"");
    tc__xml_text(out, row->item);
    fputs("</td>", out);
    for (size_t r = 0; r < rep->nruns; r++)
      fputs("<td class=\"mono\">", out), tc__xml_text(out, row->cells[r]), fputs("</td>", out);
    fputs("</tr>\n", out);
  }
  if (any) fputs("</tbody></table>\n", out);
}

static void checks_table(FILE *out, const json_t *c) {
  static const char *const said[] = {"observed", "skipped", "FAIL", "pass"};
  const json_t *checks = json_object_get(c, "checks");
  int failed = strcmp(tc__json_str(c, "verdict", ""), "pass") != 0;
  fprintf(out,
          "<details%s><summary>%zu checkpoints</summary><table><tr><th>line</th><th>checkpoint</th>"
          "<th>observed</th><th></th></tr>\n",
          failed ? " open" : "", json_array_size(checks));
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    int res = tc__check_result(ck);
    fprintf(out, "<tr><td>%ld</td><td class=\"mono\">", tc__json_long(ck, "line", 0));
    tc__xml_text(out, tc__json_str(ck, "expect", ""));
    fputs("</td><td class=\"mono\">", out);
    tc__xml_text(out, tc__json_str(ck, "observed", ""));
    fprintf(out, "</td><td class=\"v-%s\">%s</td></tr>\n",
            res == 1   ? "pass"
            : res == 0 ? "fail"
                       : "skip",
            said[res + 2]);
  }
  fputs("</table></details>\n", out);
}

/* The highlights of one case from compare's rows. lines is the caller's. */
static void case_diff(const struct tc_cmp_report *rep, const char *name, struct tc__svg_diff *d,
                      int *lines, size_t max) {
  *d = (struct tc__svg_diff){.lines = lines};
  for (size_t i = 0; rep != NULL && i < rep->nrows; i++) {
    const struct tc_cmp_row *row = &rep->rows[i];
    if (!row->counts || strcmp(row->case_name, name) != 0) continue;
    if (strcmp(row->item, "wire") == 0)
      d->wire = 1;
    else if (strcmp(row->item, "client path") == 0)
      d->path[0] = 1;
    else if (strcmp(row->item, "server path") == 0)
      d->path[1] = 1;
    else if (strncmp(row->item, "line ", 5) == 0 && d->nlines < max)
      lines[d->nlines++] = atoi(row->item + 5);
  }
}

static int figure(FILE *out, const tc_cmp_run *run, const json_t *c,
                  const struct tc__svg_diff *diff, int many) {
  fputs("<figure><figcaption>", out);
  if (many) tc__xml_text(out, run->label), fputs(": ", out);
  if (c == NULL) return fputs("not in this run</figcaption></figure>\n", out), 0;
  fprintf(out, "<span class=\"v-%s\">%s</span>, %.2f s, ", tc__json_str(c, "verdict", "?"),
          tc__json_str(c, "verdict", "?"), tc__json_long(c, "duration_ms", 0) / 1000.0);
  tc__xml_text(out, tc__json_str(c, "isolation", ""));
  fputs("</figcaption>\n", out);
  int rc = tc__report_svg(out, c, diff);
  checks_table(out, c);
  fputs("</figure>\n", out);
  return rc;
}

static int case_section(FILE *out, tc_cmp_run *const *runs, size_t n, const char *name,
                        const struct tc_cmp_report *rep) {
  int lines[64], rc = 0;
  struct tc__svg_diff diff;
  case_diff(rep, name, &diff, lines, sizeof lines / sizeof *lines);
  fputs("<section class=\"case\" id=\"case-", out);
  tc__xml_text(out, name);
  fputs("\"><h2>", out);
  tc__xml_text(out, name);
  fputs("</h2><p class=\"muted mono\">", out);
  for (size_t r = 0; r < n; r++)
    if (find_case(runs[r], name)) {
      tc__xml_text(out, tc__json_str(find_case(runs[r], name), "file", ""));
      break;
    }
  fputs("</p>\n", out);
  if (rep != NULL) diff_table(out, rep, name);
  fputs("<div class=\"runs\">\n", out);
  for (size_t r = 0; r < n && rc == 0; r++)
    rc = figure(out, runs[r], find_case(runs[r], name), rep ? &diff : NULL, n > 1);
  fputs("</div></section>\n", out);
  return rc;
}

static int page(FILE *out, tc_cmp_run *const *runs, size_t n, const struct tc_cmp_report *rep) {
  size_t nnames;
  const char **names = case_names(runs, n, &nnames);
  if (names == NULL) return -ENOMEM;
  fprintf(out,
          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>tcpclose report</title>\n<style>\n%s</style></head>\n<body><main>\n"
          "<h1>tcpclose report</h1>\n",
          style);
  for (size_t r = 0; r < n; r++) run_counts(out, runs[r]);
  if (rep != NULL)
    fprintf(out,
            "<p>%zu difference%s in behaviour between the runs, as <code>tcpclose compare</code> "
            "finds them.</p>\n",
            rep->ncounted, rep->ncounted == 1 ? "" : "s");
  summary(out, runs, n, names, nnames, rep);
  int rc = 0;
  for (size_t i = 0; i < nnames && rc == 0; i++) rc = case_section(out, runs, n, names[i], rep);
  fputs("</main></body></html>\n", out);
  free(names);
  return rc;
}

int tc__report_html(FILE *out, tc_cmp_run *const *runs, size_t n) {
  if (n < 2) return page(out, runs, n, NULL);
  struct tc_cmp_report rep;
  struct tc_cmp_opts opts = {.tolerance_ms = 200};
  tc_err err;
  if (tc_cmp_build(runs, n, &opts, &rep, &err) < 0) return -ENOMEM;
  int rc = page(out, runs, n, &rep);
  tc_cmp_report_free(&rep);
  return rc;
}
