/* compare.h - where results files differ (`tcpclose compare`).
 *
 * Contract: tc_cmp_load() reads one results file (schema 1, README.md
 * "Results file") and keeps it; it rejects anything else with one line
 * "FILE: not a tcpclose results file (why)". tc_cmp_build() lines the runs
 * up by case name and, within a case, by checkpoint (line and expect text),
 * and makes one row for each item whose values differ between runs:
 *   verdict            pass / fail / skip / error
 *   line N: EXPECT     the check's observed value (errors are checks too)
 *   ROLE path          the states of the role's connection from its first
 *                      ESTABLISHED on, from "transitions"
 *   wire               the segments from the first FIN or RST on, from
 *                      "segments"
 *   duration           when durations differ by more than the tolerance
 * Values are compared word by word, and the time left on a timer
 * ("left=59712ms") like a duration: within the tolerance it is the same,
 * beyond it the row is timing. A timing row counts only with opts.timing.
 * A run lacking a case shows "-" in that case's verdict row; a run lacking
 * a check of a case it has shows "-" in that row. Both count as behaviour
 * differences. A case a run skipped, or stopped by an error, is its verdict
 * row alone: what the run never reached is not compared. A value a run
 * could not observe (a skipped check, an observer it lacked) is shown but
 * never counts: nothing was seen there.
 * A run owns its parsed file until tc_cmp_run_free(); a report owns its
 * rows and their strings until tc_cmp_report_free(). Nothing here prints but
 * tc_cmp_print(), to the stream it is given. Runs in the calling thread (the
 * compare command's); no state outside the structs given.
 */
#ifndef TCPCLOSE_COMPARE_H
#define TCPCLOSE_COMPARE_H

#include <stdio.h>

#include "tcpclose/error.h"

typedef struct tc_cmp_run tc_cmp_run;

/* Reads a results file. 0, -ENOENT (cannot read), -EINVAL (not a results
 * file) or -ENOMEM, with err naming the file and why. */
int tc_cmp_load(const char *path, tc_cmp_run **out, tc_err *err);

void tc_cmp_run_free(tc_cmp_run *run);

struct tc_cmp_opts {
  long tolerance_ms; /* durations closer than this are the same */
  int timing;        /* timing rows count as differences */
};

enum tc_cmp_kind {
  TC_CMP_BEHAVIOUR,  /* values seen by the runs differ, or one lacks it */
  TC_CMP_UNOBSERVED, /* differs only where a run could not observe */
  TC_CMP_TIMING,     /* durations beyond the tolerance */
};

struct tc_cmp_row {
  char *case_name;
  char *item;
  char **cells; /* one per run */
  enum tc_cmp_kind kind;
  int counts; /* a difference for the exit status */
};

struct tc_cmp_report {
  size_t nruns;
  char **labels;          /* column headers, one per run */
  size_t ncases, nchecks; /* compared: the union over the runs */
  struct tc_cmp_row *rows;
  size_t nrows, rows_cap; /* rows_cap: allocated, for tc_cmp_build */
  size_t ncounted;        /* rows that count */
};

/* Compares n runs (n >= 1). 0 or -ENOMEM. */
int tc_cmp_build(tc_cmp_run *const *runs, size_t n, const struct tc_cmp_opts *opts,
                 struct tc_cmp_report *rep, tc_err *err);

void tc_cmp_report_free(struct tc_cmp_report *rep);

/* The report as an aligned text table, or a GitHub markdown table: a first
 * line with what was compared, then the rows that count (all rows with
 * `all`) and a closing count, or "no differences". */
void tc_cmp_print(const struct tc_cmp_report *rep, int markdown, int all, FILE *out);

#endif
