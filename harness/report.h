/* report.h - a run shown to people and to CI systems (internal): an HTML
 * page with a sequence diagram per case, JUnit XML, TAP, a markdown
 * summary.
 *
 * Contract: every writer reads results trees as tc_cmp_load() keeps them
 * (compare_load.h: schema 1, README.md "Results file"), looks members up
 * with jansson and draws or lists what is there, so an older file without
 * "steps" still reads. Writers print to the stream they are given and
 * return 0 or -ENOMEM; nothing here reads case files or the kernel.
 * tc__report_write() puts one format into a file atomically: written to
 * PATH.XXXXXX beside it, flushed and renamed over PATH, so a failure never
 * leaves a truncated report and never destroys the previous one. All of it
 * runs in the CLI process, after the run's loop has ended.
 */
#ifndef TCPCLOSE_REPORT_H
#define TCPCLOSE_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "compare_load.h"
#include "tcpclose/error.h"

enum tc__report_format {
  TC__REPORT_HTML,     /* report_html.c: summary, diagrams, differences */
  TC__REPORT_JUNIT,    /* report_junit.c: one testcase per case */
  TC__REPORT_TAP,      /* report_tap.c: TAP version 13 */
  TC__REPORT_MARKDOWN, /* report_markdown.c: for $GITHUB_STEP_SUMMARY */
};

/* What `compare` found different in one case, to highlight in its diagram. */
struct tc__svg_diff {
  int wire;         /* the teardown on the wire differs */
  int path[2];      /* the client's / the server's path differs */
  const int *lines; /* checkpoints (by line) whose values differ */
  size_t nlines;
};

/* The page for n runs (n >= 1; side by side when n > 1). JUnit, TAP and
 * markdown describe runs[0] alone. */
int tc__report_html(FILE *out, tc_cmp_run *const *runs, size_t n);
int tc__report_junit(FILE *out, const tc_cmp_run *run);
int tc__report_tap(FILE *out, const tc_cmp_run *run);
int tc__report_markdown(FILE *out, const tc_cmp_run *run);

/* One case's sequence diagram, an <svg class="sequence"> that stands alone
 * (its own xmlns, no style sheet): client and server lifelines, a row per
 * step, state transition, checkpoint and segment. diff may be NULL. */
int tc__report_svg(FILE *out, const json_t *c, const struct tc__svg_diff *diff);

/* Writes one format for the runs into path, atomically. 0 or a negative
 * errno with err: "PATH: why". */
int tc__report_write(const char *path, enum tc__report_format fmt, tc_cmp_run *const *runs,
                     size_t n, tc_err *err);

/* Writes every case's diagram of run into dir as NAME.svg, each atomically. */
int tc__report_svg_dir(const char *dir, const tc_cmp_run *run, tc_err *err);

/* A run made of an in-memory results tree (it takes root), labelled
 * "os-kernel-machine" as tc_cmp_load() labels a file. NULL: out of memory. */
tc_cmp_run *tc__report_run_of(json_t *root, const char *path);

/* ---- shared by the writers (report_text.c) ---- */

/* s with & < > " ' as XML entities, and control characters other than tab
 * and newline left out (XML 1.0 cannot hold them). */
void tc__xml_text(FILE *out, const char *s);

/* What a checkpoint checks: its text after "expect" / "expect[os]". */
const char *tc__check_what(const char *expect);

/* The check's state: 1 passed, 0 failed, -1 skipped, -2 observation. */
int tc__check_result(const json_t *check);

/* Why the check was skipped, without the "skipped: " prefix. */
const char *tc__check_skip_why(const json_t *check);

/* Calls one(reason, count, arg) once per distinct reason checkpoints of case
 * c were skipped, in first-seen order. */
void tc__each_skip_reason(const json_t *c, void (*one)(const char *why, size_t n, void *arg),
                          void *arg);

/* Member key of obj as an integer / a string, with a default. */
long tc__json_long(const json_t *obj, const char *key, long dflt);
const char *tc__json_str(const json_t *obj, const char *key, const char *dflt);

#endif
