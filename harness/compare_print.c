/* compare_print.c - a compare report as an aligned text table or a GitHub
 * markdown table (see tcpclose/compare.h). Rows that do not count say why
 * in their item, so a reader never mistakes them for behaviour. */
#include <stdlib.h>
#include <string.h>

#include "tcpclose/compare.h"

static const char *const kind_note[] = {
    [TC_CMP_BEHAVIOUR] = "",
    [TC_CMP_UNOBSERVED] = " (not observed in every file)",
    [TC_CMP_TIMING] = " (timing)",
};

static void item_text(const struct tc_cmp_row *r, char *buf, size_t len) {
  snprintf(buf, len, "%s%s", r->item, kind_note[r->kind]);
}

static void print_header_line(const struct tc_cmp_report *rep, FILE *out) {
  fprintf(out, "compared %zu case%s and %zu check%s in %zu results files\n", rep->ncases,
          rep->ncases == 1 ? "" : "s", rep->nchecks, rep->nchecks == 1 ? "" : "s", rep->nruns);
}

static void print_summary(const struct tc_cmp_report *rep, FILE *out) {
  size_t other = rep->nrows - rep->ncounted;
  if (rep->nrows == 0) {
    fputs("no differences\n", out);
    return;
  }
  if (rep->ncounted > 0)
    fprintf(out, "%zu difference%s", rep->ncounted, rep->ncounted == 1 ? "" : "s");
  else
    fputs("same behaviour", out);
  if (other > 0)
    fprintf(out, "; %zu not counted (timing only, or not observed in every file)", other);
  fputc('\n', out);
}

/* Width of each column: case, item, then one per run. */
static size_t *column_widths(const struct tc_cmp_report *rep, int all) {
  size_t ncol = rep->nruns + 2, *w = calloc(ncol, sizeof *w);
  char item[700];
  if (w == NULL) return NULL;
  w[0] = strlen("CASE");
  w[1] = strlen("ITEM");
  for (size_t j = 0; j < rep->nruns; j++) w[j + 2] = strlen(rep->labels[j]);
  for (size_t i = 0; i < rep->nrows; i++) {
    const struct tc_cmp_row *r = &rep->rows[i];
    if (!all && !r->counts) continue;
    item_text(r, item, sizeof item);
    if (strlen(r->case_name) > w[0]) w[0] = strlen(r->case_name);
    if (strlen(item) > w[1]) w[1] = strlen(item);
    for (size_t j = 0; j < rep->nruns; j++)
      if (strlen(r->cells[j]) > w[j + 2]) w[j + 2] = strlen(r->cells[j]);
  }
  return w;
}

/* One text row; the last column is not padded. */
static void text_row(FILE *out, const size_t *w, size_t ncol, const char *const *cols) {
  for (size_t j = 0; j < ncol; j++) {
    if (j + 1 < ncol)
      fprintf(out, "%-*s  ", (int)w[j], cols[j]);
    else
      fprintf(out, "%s\n", cols[j]);
  }
}

static void print_text(const struct tc_cmp_report *rep, int all, FILE *out) {
  size_t ncol = rep->nruns + 2, *w = column_widths(rep, all);
  const char **cols = calloc(ncol, sizeof *cols);
  char item[700];
  if (w != NULL && cols != NULL) {
    cols[0] = "CASE";
    cols[1] = "ITEM";
    for (size_t j = 0; j < rep->nruns; j++) cols[j + 2] = rep->labels[j];
    text_row(out, w, ncol, cols);
    for (size_t i = 0; i < rep->nrows; i++) {
      if (!all && !rep->rows[i].counts) continue;
      item_text(&rep->rows[i], item, sizeof item);
      cols[0] = rep->rows[i].case_name;
      cols[1] = item;
      for (size_t j = 0; j < rep->nruns; j++) cols[j + 2] = rep->rows[i].cells[j];
      text_row(out, w, ncol, cols);
    }
  }
  free(w);
  free(cols);
}

/* A markdown cell: '|' would end it, so it is escaped. */
static void md_cell(FILE *out, const char *s) {
  fputs("| ", out);
  for (; *s; s++) {
    if (*s == '|') fputc('\\', out);
    fputc(*s, out);
  }
  fputc(' ', out);
}

static void print_markdown(const struct tc_cmp_report *rep, int all, FILE *out) {
  char item[700];
  fputs("\n| case | item ", out);
  for (size_t j = 0; j < rep->nruns; j++) md_cell(out, rep->labels[j]);
  fputs("|\n| --- | ---", out);
  for (size_t j = 0; j < rep->nruns; j++) fputs(" | ---", out);
  fputs(" |\n", out);
  for (size_t i = 0; i < rep->nrows; i++) {
    if (!all && !rep->rows[i].counts) continue;
    item_text(&rep->rows[i], item, sizeof item);
    md_cell(out, rep->rows[i].case_name);
    md_cell(out, item);
    for (size_t j = 0; j < rep->nruns; j++) md_cell(out, rep->rows[i].cells[j]);
    fputs("|\n", out);
  }
  fputc('\n', out);
}

/* Rows that do not count (timing, what one run could not observe) are
 * shown only with `all`: the table is for differences in behaviour. */
void tc_cmp_print(const struct tc_cmp_report *rep, int markdown, int all, FILE *out) {
  print_header_line(rep, out);
  if (rep->ncounted > 0 || (all && rep->nrows > 0)) {
    if (markdown)
      print_markdown(rep, all, out);
    else
      print_text(rep, all, out);
  }
  print_summary(rep, out);
}
