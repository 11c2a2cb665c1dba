/* compare.c - results files side by side (see tcpclose/compare.h): one row
 * per item whose values differ. Loading and checking a file is
 * compare_load.c's. */
#include "tcpclose/compare.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "compare_load.h"
#include "grow.h"

/* ---- one run's value of an item ---- */

enum cell_state {
  CELL_SEEN,    /* observed */
  CELL_UNSEEN,  /* the run could not observe it */
  CELL_NO_CASE, /* the run lacks the case, skipped it, or stopped before
                    this item (error): its verdict row says so, this cell
                    compares nothing */
  CELL_NO_ITEM, /* the run has the case but not this item */
};

struct cell {
  char *text;
  enum cell_state st;
  long ms; /* duration cells */
};

static json_t *find_case(const tc_cmp_run *r, const char *name) {
  for (size_t i = 0; i < json_array_size(r->cases); i++) {
    json_t *c = json_array_get(r->cases, i);
    if (strcmp(tc__cmp_str(c, "name"), name) == 0) return c;
  }
  return NULL;
}

static int case_skipped(const json_t *c) {
  const char *v = tc__cmp_str(c, "verdict");
  return v != NULL && strcmp(v, "skip") == 0;
}

/* A case that stopped at a step (verdict error) lacks what came after. */
static int case_stopped(const json_t *c) {
  const char *v = tc__cmp_str(c, "verdict");
  return v != NULL && strcmp(v, "error") == 0;
}

/* Whether the case's transitions ("transitions") or wire ("wire") source
 * ran: the results name it, or give {"unavailable": why}. */
static int source_ran(const json_t *c, const char *which) {
  return json_is_string(json_object_get(json_object_get(c, "observers"), which));
}

static int set_text(struct cell *cell, const char *text, enum cell_state st) {
  cell->text = strdup(text);
  cell->st = st;
  return cell->text != NULL ? 0 : -ENOMEM;
}

/* The states a role went through from its first ESTABLISHED on, as
 * play_check_timeline.c shows them ("ESTABLISHED FIN_WAIT1 ..."). */
static int path_text(const json_t *c, const char *role, struct cell *cell) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (m == NULL) return -ENOMEM;
  const json_t *ts = json_object_get(c, "transitions");
  const char *last = NULL;
  for (size_t i = 0; i < json_array_size(ts); i++) {
    const json_t *t = json_array_get(ts, i);
    const char *to = tc__cmp_str(t, "to"), *who = tc__cmp_str(t, "role");
    if (to == NULL || who == NULL || strcmp(who, role) != 0) continue;
    if (last == NULL && strcmp(to, "ESTABLISHED") != 0) continue;
    if (last == NULL || strcmp(last, to) != 0) fprintf(m, "%s%s", last ? " " : "", to);
    last = to;
  }
  if (last == NULL) fputs("no transition seen", m);
  fclose(m);
  cell->text = buf;
  cell->st = CELL_SEEN;
  return buf != NULL ? 0 : -ENOMEM;
}

/* The segments from the first FIN or RST on ("c>s F. s>c ."). */
static int wire_text(const json_t *c, struct cell *cell) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (m == NULL) return -ENOMEM;
  const json_t *segs = json_object_get(c, "segments");
  int started = 0;
  for (size_t i = 0; i < json_array_size(segs); i++) {
    const json_t *s = json_array_get(segs, i);
    const char *dir = tc__cmp_str(s, "dir"), *flags = tc__cmp_str(s, "flags");
    if (dir == NULL || flags == NULL) continue;
    if (!started && strpbrk(flags, "FR") == NULL) continue;
    fprintf(m, "%s%s %s", started ? " " : "", dir, flags);
    started = 1;
  }
  if (!started) fputs("no FIN or RST seen", m);
  fclose(m);
  cell->text = buf;
  cell->st = CELL_SEEN;
  return buf != NULL ? 0 : -ENOMEM;
}

/* ---- rows ---- */

struct builder {
  struct tc_cmp_report *rep;
  const struct tc_cmp_opts *opts;
  tc_cmp_run *const *runs;
  json_t **cases; /* this case in each run, NULL where absent */
  const char *name;
};

static void free_cells(struct cell *cells, size_t n) {
  for (size_t i = 0; i < n; i++) free(cells[i].text);
}

/* A timer in an observed value ("left=59344ms"): its milliseconds. */
static int timer_ms(const char *tok, size_t len, long *ms) {
  if (len < 8 || strncmp(tok, "left=", 5) != 0 || strncmp(tok + len - 2, "ms", 2) != 0) return 0;
  char *end;
  *ms = strtol(tok + 5, &end, 10);
  return end == tok + len - 2;
}

/* How two values differ: -1 not at all, TC_CMP_TIMING only in their
 * timers (beyond the tolerance; within it they are the same), or
 * TC_CMP_BEHAVIOUR. Values are compared word by word. */
static int value_diff(const char *a, const char *b, long tolerance) {
  int kind = -1;
  for (;;) {
    a += strspn(a, " ");
    b += strspn(b, " ");
    size_t la = strcspn(a, " "), lb = strcspn(b, " ");
    if (la == 0 || lb == 0) return la == lb ? kind : TC_CMP_BEHAVIOUR;
    long ma, mb;
    if (la != lb || strncmp(a, b, la) != 0) {
      if (!timer_ms(a, la, &ma) || !timer_ms(b, lb, &mb)) return TC_CMP_BEHAVIOUR;
      if (labs(ma - mb) > tolerance) kind = TC_CMP_TIMING;
    }
    a += la;
    b += lb;
  }
}

/* How the seen cells differ, -1 when they do not: durations beyond the
 * tolerance make a timing row, other values as value_diff() says. */
static int seen_kind(const struct cell *c, size_t n, int timing, long tolerance) {
  long lo = 0, hi = 0;
  int kind = -1, any = 0;
  for (size_t i = 0; i < n; i++) {
    if (c[i].st != CELL_SEEN) continue;
    if (!any) lo = hi = c[i].ms;
    any = 1;
    if (c[i].ms < lo) lo = c[i].ms;
    if (c[i].ms > hi) hi = c[i].ms;
    for (size_t j = 0; !timing && j < i; j++) {
      int d = c[j].st == CELL_SEEN ? value_diff(c[j].text, c[i].text, tolerance) : -1;
      if (d == TC_CMP_BEHAVIOUR) return d;
      if (d == TC_CMP_TIMING) kind = d;
    }
  }
  return timing && hi - lo > tolerance ? TC_CMP_TIMING : kind;
}

/* Which row the cells make: -1 none, or its kind. */
static int row_kind(const struct cell *c, size_t n, int timing, long tolerance) {
  int kind = seen_kind(c, n, timing, tolerance);
  if (kind >= 0 || timing) return kind;
  int lacking = 0, having = 0, unseen_differs = 0;
  for (size_t i = 0; i < n; i++) {
    if (c[i].st == CELL_NO_CASE) continue;
    lacking |= c[i].st == CELL_NO_ITEM;
    having |= c[i].st != CELL_NO_ITEM;
    for (size_t j = 0; c[i].st == CELL_UNSEEN && j < n; j++)
      unseen_differs |= c[j].st != CELL_NO_CASE && strcmp(c[i].text, c[j].text) != 0;
  }
  if (lacking && having) return TC_CMP_BEHAVIOUR;
  return unseen_differs ? TC_CMP_UNOBSERVED : -1;
}

/* Adds a row if the cells differ; takes the cells' texts either way. */
static int add_row(struct builder *b, const char *item, struct cell *cells, int timing) {
  struct tc_cmp_report *rep = b->rep;
  int kind = row_kind(cells, rep->nruns, timing, b->opts->tolerance_ms);
  if (kind < 0) {
    free_cells(cells, rep->nruns);
    return 0;
  }
  int grown = tc__grow(&rep->rows, &rep->rows_cap, rep->nrows + 1, 16, sizeof *rep->rows);
  char **texts = malloc(rep->nruns * sizeof *texts);
  if (grown < 0 || texts == NULL) {
    free(texts);
    free_cells(cells, rep->nruns);
    return -ENOMEM;
  }
  for (size_t i = 0; i < rep->nruns; i++) texts[i] = cells[i].text;
  struct tc_cmp_row *r = &rep->rows[rep->nrows++];
  *r = (struct tc_cmp_row){.case_name = strdup(b->name),
                           .item = strdup(item),
                           .cells = texts,
                           .kind = (enum tc_cmp_kind)kind,
                           .counts = kind == TC_CMP_BEHAVIOUR ||
                                     (kind == TC_CMP_TIMING && b->opts->timing)};
  rep->ncounted += (size_t)r->counts;
  return r->case_name != NULL && r->item != NULL ? 0 : -ENOMEM;
}

/* Fills the cells of runs that lack the case or skipped it; the others
 * are left empty (text NULL) for the caller. */
static void absent_cells(struct builder *b, struct cell *cells, int *rc) {
  for (size_t i = 0; i < b->rep->nruns; i++) {
    cells[i] = (struct cell){0};
    if (b->cases[i] == NULL)
      *rc |= set_text(&cells[i], "-", CELL_NO_CASE);
    else if (case_skipped(b->cases[i]))
      *rc |= set_text(&cells[i], "skip", CELL_NO_CASE);
    else if (case_stopped(b->cases[i]))
      *rc |= set_text(&cells[i], "error", CELL_NO_CASE);
  }
}

static int compare_verdict(struct builder *b, struct cell *cells) {
  int rc = 0;
  for (size_t i = 0; i < b->rep->nruns; i++) {
    const char *v = b->cases[i] ? tc__cmp_str(b->cases[i], "verdict") : NULL;
    if (b->cases[i] == NULL)
      rc |= set_text(&cells[i], "-", CELL_NO_ITEM);
    else
      rc |= set_text(&cells[i], v ? v : "?", case_skipped(b->cases[i]) ? CELL_UNSEEN : CELL_SEEN);
  }
  return rc < 0 ? (free_cells(cells, b->rep->nruns), -ENOMEM) : add_row(b, "verdict", cells, 0);
}

static int compare_durations(struct builder *b, struct cell *cells) {
  int rc = 0;
  absent_cells(b, cells, &rc);
  for (size_t i = 0; i < b->rep->nruns; i++) {
    if (cells[i].text != NULL) continue;
    char text[32];
    cells[i].ms = (long)json_integer_value(json_object_get(b->cases[i], "duration_ms"));
    snprintf(text, sizeof text, "%ld ms", cells[i].ms);
    rc |= set_text(&cells[i], text, CELL_SEEN);
  }
  return rc < 0 ? (free_cells(cells, b->rep->nruns), -ENOMEM) : add_row(b, "duration", cells, 1);
}

/* A role's path, or the wire when role is NULL. */
static int compare_story(struct builder *b, struct cell *cells, const char *role) {
  int rc = 0;
  const char *source = role ? "transitions" : "wire";
  absent_cells(b, cells, &rc);
  for (size_t i = 0; i < b->rep->nruns; i++) {
    if (cells[i].text != NULL) continue;
    if (!source_ran(b->cases[i], source))
      rc |= set_text(&cells[i], "unavailable", CELL_UNSEEN);
    else
      rc |= role ? path_text(b->cases[i], role, &cells[i]) : wire_text(b->cases[i], &cells[i]);
  }
  if (rc < 0) {
    free_cells(cells, b->rep->nruns);
    return -ENOMEM;
  }
  char item[32];
  snprintf(item, sizeof item, "%s", role ? role : "wire");
  if (role) strcat(item, " path");
  return add_row(b, item, cells, 0);
}

/* ---- checks ---- */

static json_t *find_check(const json_t *c, json_int_t line, const char *expect) {
  const json_t *checks = json_object_get(c, "checks");
  for (size_t i = 0; i < json_array_size(checks); i++) {
    json_t *k = json_array_get(checks, i);
    const char *e = tc__cmp_str(k, "expect");
    if (json_integer_value(json_object_get(k, "line")) == line && e && strcmp(e, expect) == 0)
      return k;
  }
  return NULL;
}

static int check_unseen(const json_t *k) {
  return json_is_true(json_object_get(k, "skipped")) || json_is_null(json_object_get(k, "pass"));
}

static int compare_check(struct builder *b, struct cell *cells, json_int_t line,
                         const char *expect) {
  int rc = 0;
  for (size_t i = 0; i < b->rep->nruns; i++) {
    cells[i] = (struct cell){0};
    const json_t *k = b->cases[i] ? find_check(b->cases[i], line, expect) : NULL;
    const char *seen = tc__cmp_str(k, "observed");
    if (b->cases[i] == NULL)
      rc |= set_text(&cells[i], "-", CELL_NO_CASE);
    else if (case_skipped(b->cases[i]))
      rc |= set_text(&cells[i], "skip", CELL_NO_CASE);
    else if (k == NULL)
      rc |= set_text(&cells[i], "-", case_stopped(b->cases[i]) ? CELL_NO_CASE : CELL_NO_ITEM);
    else
      rc |= set_text(&cells[i], seen ? seen : "?", check_unseen(k) ? CELL_UNSEEN : CELL_SEEN);
  }
  if (rc < 0) {
    free_cells(cells, b->rep->nruns);
    return -ENOMEM;
  }
  char item[600];
  snprintf(item, sizeof item, "line %lld: %s", (long long)line, expect);
  return add_row(b, item, cells, 0);
}

/* Whether an earlier run (or an earlier check of run r) has this key. */
static int key_seen_before(struct builder *b, size_t r, size_t k, json_int_t line,
                           const char *expect) {
  for (size_t i = 0; i <= r; i++) {
    const json_t *checks = json_object_get(b->cases[i], "checks");
    size_t end = i == r ? k : json_array_size(checks);
    for (size_t j = 0; j < end; j++) {
      const json_t *o = json_array_get(checks, j);
      const char *e = tc__cmp_str(o, "expect");
      if (json_integer_value(json_object_get(o, "line")) == line && e && strcmp(e, expect) == 0)
        return 1;
    }
  }
  return 0;
}

/* Every checkpoint of the case in any run, in the order first met. */
static int compare_checks(struct builder *b, struct cell *cells) {
  for (size_t r = 0; r < b->rep->nruns; r++) {
    const json_t *checks = json_object_get(b->cases[r], "checks");
    for (size_t k = 0; k < json_array_size(checks); k++) {
      const json_t *o = json_array_get(checks, k);
      json_int_t line = json_integer_value(json_object_get(o, "line"));
      const char *expect = tc__cmp_str(o, "expect");
      if (expect == NULL || key_seen_before(b, r, k, line, expect)) continue;
      b->rep->nchecks++;
      int rc = compare_check(b, cells, line, expect);
      if (rc < 0) return rc;
    }
  }
  return 0;
}

/* ---- the whole report ---- */

static int compare_case(struct builder *b) {
  struct cell *cells = calloc(b->rep->nruns, sizeof *cells);
  if (cells == NULL) return -ENOMEM;
  int rc = compare_verdict(b, cells);
  if (rc == 0) rc = compare_checks(b, cells);
  if (rc == 0) rc = compare_story(b, cells, "client");
  if (rc == 0) rc = compare_story(b, cells, "server");
  if (rc == 0) rc = compare_story(b, cells, NULL);
  if (rc == 0) rc = compare_durations(b, cells);
  free(cells);
  return rc;
}

/* Whether case name already appeared in a run before r or earlier in r. */
static int name_seen_before(tc_cmp_run *const *runs, size_t r, size_t k, const char *name) {
  for (size_t i = 0; i <= r; i++) {
    size_t end = i == r ? k : json_array_size(runs[i]->cases);
    for (size_t j = 0; j < end; j++)
      if (strcmp(tc__cmp_str(json_array_get(runs[i]->cases, j), "name"), name) == 0) return 1;
  }
  return 0;
}

/* The run's label, or "label (file)" when another run has the same one
 * (two runs on one machine). */
static char *column_label(tc_cmp_run *const *runs, size_t n, size_t i) {
  int shared = 0;
  for (size_t j = 0; j < n; j++) shared |= j != i && strcmp(runs[j]->label, runs[i]->label) == 0;
  if (!shared || runs[i]->path == NULL) return strdup(runs[i]->label);
  const char *base = strrchr(runs[i]->path, '/');
  base = base ? base + 1 : runs[i]->path;
  size_t len = strlen(runs[i]->label) + strlen(base) + 4;
  char *label = malloc(len);
  if (label != NULL) snprintf(label, len, "%s (%s)", runs[i]->label, base);
  return label;
}

static int report_init(struct tc_cmp_report *rep, tc_cmp_run *const *runs, size_t n) {
  rep->labels = calloc(n, sizeof *rep->labels);
  if (rep->labels == NULL) return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    if ((rep->labels[i] = column_label(runs, n, i)) == NULL) return -ENOMEM;
  return 0;
}

int tc_cmp_build(tc_cmp_run *const *runs, size_t n, const struct tc_cmp_opts *opts,
                 struct tc_cmp_report *rep, tc_err *err) {
  *rep = (struct tc_cmp_report){.nruns = n}; /* safe to free whatever happens */
  struct builder b = {.rep = rep, .opts = opts, .runs = runs, .cases = calloc(n, sizeof(json_t *))};
  int rc = b.cases == NULL ? -ENOMEM : report_init(rep, runs, n);
  for (size_t r = 0; rc == 0 && r < n; r++)
    for (size_t k = 0; rc == 0 && k < json_array_size(runs[r]->cases); k++) {
      b.name = tc__cmp_str(json_array_get(runs[r]->cases, k), "name");
      if (name_seen_before(runs, r, k, b.name)) continue;
      rep->ncases++;
      for (size_t i = 0; i < n; i++) b.cases[i] = find_case(runs[i], b.name);
      rc = compare_case(&b);
    }
  free(b.cases);
  if (rc < 0) return tc_errf(err, rc, "compare: out of memory");
  return 0;
}

void tc_cmp_report_free(struct tc_cmp_report *rep) {
  for (size_t i = 0; i < rep->nrows; i++) {
    for (size_t j = 0; j < rep->nruns; j++) free(rep->rows[i].cells[j]);
    free(rep->rows[i].cells);
    free(rep->rows[i].case_name);
    free(rep->rows[i].item);
  }
  free(rep->rows);
  for (size_t i = 0; rep->labels != NULL && i < rep->nruns; i++) free(rep->labels[i]);
  free(rep->labels);
  *rep = (struct tc_cmp_report){0};
}
