/* cli_grid.c - `tcpclose grid RESULTS.json`: the teardown grid, state x
 * injected event, as a markdown table made from a results file, so that the
 * README's grid is never written by hand.
 *
 * A grid case is named grid-STATE-EVENT[-VARIANT] (file
 * cases/grid/STATE-EVENT[-VARIANT].case): STATE and EVENT are the slugs of
 * the tables below, VARIANT any further words (a sysctl that changes the
 * answer: grid-time-wait-rst-nxt-rfc1337), shown as a row of its own. Each
 * cell is what that case observed, read from its results only:
 *   - the answer: the segments the receiver of the injected segment sent
 *     after it (tcpdump flags), until the other side sent again; "none";
 *   - the receiver's state: "-> STATE" for each transition after the
 *     injection, or "stays STATE"; the other role's, when it changed;
 *   - errors and RST reasons the case's `expect ROLE error` and
 *     `expect ROLE reset-reason` checks observed, other than none.
 * The injected segment is the first one the results mark "injected": true.
 * A case that did not pass shows its verdict first. Exit 0, 1 when the file
 * has no grid case, 2 for bad usage or a file that is not a results file.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare_load.h"

static const char usage[] =
    "usage: tcpclose grid [--family ipv4|ipv6] RESULTS.json\n"
    "  the grid of the file's grid-STATE-EVENT cases, state x injected event, as markdown\n"
    "exit status: 0 printed, 1 no grid case in the file, 2 bad usage or input\n";

struct axis {
  const char *slug, *title;
};

/* Longer slugs first where one starts another (fin-wait2-orphan). */
static const struct axis states[] = {
    {"fin-wait1", "FIN_WAIT1"},        {"fin-wait2-orphan", "FIN_WAIT2 (orphaned)"},
    {"fin-wait2", "FIN_WAIT2 (open)"}, {"closing", "CLOSING"},
    {"time-wait", "TIME_WAIT"},        {"close-wait", "CLOSE_WAIT"},
    {"last-ack", "LAST_ACK"},
};
static const struct axis events[] = {
    {"rst-nxt", "RST at nxt"},
    {"rst-in-window", "RST in window, not nxt"},
    {"rst-out-of-window", "RST outside window"},
    {"syn-in-window", "SYN in window"},
    {"syn-above-nxt", "SYN above nxt"},
    {"fin-again", "FIN again"},
    {"data", "data"},
    {"old-ack", "old ACK"},
};
#define NSTATES (sizeof states / sizeof states[0])
#define NEVENTS (sizeof events / sizeof events[0])

#define CELL_MAX 512
#define MAX_ROWS 64

struct row {
  size_t state;
  char variant[64];
  char cell[NEVENTS][CELL_MAX];
};

struct grid {
  struct row rows[MAX_ROWS];
  size_t nrows, ncases;
};

/* ---- the name: grid-STATE-EVENT[-VARIANT] ---- */

static size_t match(const struct axis *ax, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(ax[i].slug);
    if (strncmp(s, ax[i].slug, len) == 0 && (s[len] == '\0' || s[len] == '-')) return i;
  }
  return n;
}

/* 0 and the parts, or -EINVAL when the name is not a grid cell. */
static int parse_name(const char *name, size_t *state, size_t *event, const char **variant) {
  if (strncmp(name, "grid-", 5) != 0) return -EINVAL;
  const char *s = name + 5;
  if ((*state = match(states, NSTATES, s)) == NSTATES) return -EINVAL;
  s += strlen(states[*state].slug);
  if (*s++ != '-' || (*event = match(events, NEVENTS, s)) == NEVENTS) return -EINVAL;
  s += strlen(events[*event].slug);
  *variant = *s == '-' ? s + 1 : s;
  return 0;
}

/* ---- a cell from one case's results ---- */

static void cat(char *cell, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cat(char *cell, const char *fmt, ...) {
  size_t n = strlen(cell);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cell + n, CELL_MAX - n, fmt, ap);
  va_end(ap);
}

static const json_t *injected(const json_t *segs, size_t *at) {
  for (*at = 0; *at < json_array_size(segs); (*at)++)
    if (json_is_true(json_object_get(json_array_get(segs, *at), "injected")))
      return json_array_get(segs, *at);
  return NULL;
}

/* What the receiver (dir "s>c" when the injection was "c>s") sent after
 * the injected segment, until the other side sent again. */
static void add_answer(char *cell, const json_t *segs, size_t at, const char *answer_dir) {
  size_t n = 0;
  for (size_t i = at + 1; i < json_array_size(segs); i++) {
    const json_t *s = json_array_get(segs, i);
    const char *dir = tc__cmp_str(s, "dir"), *flags = tc__cmp_str(s, "flags");
    if (dir == NULL || flags == NULL || strcmp(dir, answer_dir) != 0) break;
    cat(cell, "%s`%s`", n++ ? " " : "", flags);
  }
  if (n == 0) cat(cell, "no answer");
}

/* "-> A -> B" for the role's transitions after t_us, or "stays X" (the
 * last state before); nothing for a role that never changed when `quiet`. */
static void add_states(char *cell, const json_t *trans, const char *role, long long t_us,
                       int quiet) {
  const char *before = NULL;
  char after[CELL_MAX] = "";
  for (size_t i = 0; i < json_array_size(trans); i++) {
    const json_t *t = json_array_get(trans, i);
    const char *r = tc__cmp_str(t, "role"), *to = tc__cmp_str(t, "to");
    if (r == NULL || to == NULL || strcmp(r, role) != 0) continue;
    if (json_integer_value(json_object_get(t, "t_us")) <= t_us)
      before = to;
    else
      cat(after, " -> %s", to);
  }
  if (*after)
    cat(cell, "; %s%s", role, after);
  else if (!quiet && before)
    cat(cell, "; %s stays %s", role, before);
}

/* Observed errors and RST reasons other than none. */
static void add_checks(char *cell, const json_t *checks) {
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *c = json_array_get(checks, i);
    const char *e = tc__cmp_str(c, "expect"), *o = tc__cmp_str(c, "observed");
    /* a skipped check's "observed" is why it was skipped: nothing seen */
    if (e == NULL || o == NULL || strcmp(o, "none") == 0 ||
        !json_is_boolean(json_object_get(c, "pass")))
      continue;
    char role[16], what[16];
    if (sscanf(e, "expect%*[^ ] %15s %15s", role, what) != 2 &&
        sscanf(e, "expect %15s %15s", role, what) != 2)
      continue;
    if (strcmp(what, "error") == 0)
      cat(cell, "; %s %s", role, o);
    else if (strcmp(what, "reset-reason") == 0)
      cat(cell, "; %s RST reason %s", role, o);
  }
}

static void make_cell(char *cell, const json_t *kase) {
  const char *verdict = tc__cmp_str(kase, "verdict");
  cell[0] = '\0';
  if (verdict != NULL && strcmp(verdict, "pass") != 0) cat(cell, "**%s**: ", verdict);
  const json_t *segs = json_object_get(kase, "segments"), *inj;
  size_t at;
  if ((inj = injected(segs, &at)) == NULL) {
    cat(cell, "no injected segment in the results");
    return;
  }
  const char *dir = tc__cmp_str(inj, "dir");
  int from_client = dir != NULL && strcmp(dir, "c>s") == 0;
  long long t = json_integer_value(json_object_get(inj, "t_us"));
  const json_t *trans = json_object_get(kase, "transitions");
  add_answer(cell, segs, at, from_client ? "s>c" : "c>s");
  add_states(cell, trans, from_client ? "server" : "client", t, 0);
  add_states(cell, trans, from_client ? "client" : "server", t, 1);
  add_checks(cell, json_object_get(kase, "checks"));
}

/* ---- the table ---- */

static struct row *row_for(struct grid *g, size_t state, const char *variant) {
  for (size_t i = 0; i < g->nrows; i++)
    if (g->rows[i].state == state && strcmp(g->rows[i].variant, variant) == 0) return &g->rows[i];
  if (g->nrows == MAX_ROWS) return NULL;
  struct row *r = &g->rows[g->nrows++];
  memset(r, 0, sizeof *r);
  r->state = state;
  snprintf(r->variant, sizeof r->variant, "%s", variant);
  return r;
}

static int row_order(const void *a, const void *b) {
  const struct row *x = a, *y = b;
  if (x->state != y->state) return x->state < y->state ? -1 : 1;
  return strcmp(x->variant, y->variant);
}

/* The case name for the family: "NAME" for ipv4, "NAME@ipv6" for ipv6. */
static int family_name(const char *name, int ipv6, char *out, size_t len) {
  const char *at = strchr(name, '@');
  if ((at != NULL) != ipv6 || (at != NULL && strcmp(at, "@ipv6") != 0)) return -EINVAL;
  snprintf(out, len, "%.*s", (int)(at ? (size_t)(at - name) : strlen(name)), name);
  return 0;
}

static void collect(struct grid *g, const json_t *cases, int ipv6) {
  for (size_t i = 0; i < json_array_size(cases); i++) {
    const json_t *k = json_array_get(cases, i);
    char name[256];
    size_t s, e;
    const char *variant;
    if (family_name(tc__cmp_str(k, "name"), ipv6, name, sizeof name) < 0) continue;
    if (strncmp(name, "grid-", 5) != 0) continue;
    struct row *r = parse_name(name, &s, &e, &variant) == 0 ? row_for(g, s, variant) : NULL;
    if (r == NULL) {
      fprintf(stderr, "tcpclose grid: %s is not grid-STATE-EVENT (see tcpclose grid --help)\n",
              name);
      continue;
    }
    make_cell(r->cell[e], k);
    g->ncases++;
  }
  qsort(g->rows, g->nrows, sizeof g->rows[0], row_order);
}

static void print_grid(const struct grid *g, const char *label) {
  printf("Grid of %zu case%s observed on %s (`tcpclose grid`).\n\n| state |", g->ncases,
         g->ncases == 1 ? "" : "s", label);
  for (size_t e = 0; e < NEVENTS; e++) printf(" %s |", events[e].title);
  printf("\n| --- |");
  for (size_t e = 0; e < NEVENTS; e++) printf(" --- |");
  printf("\n");
  for (size_t i = 0; i < g->nrows; i++) {
    const struct row *r = &g->rows[i];
    printf("| %s%s%s |", states[r->state].title, *r->variant ? ", " : "", r->variant);
    for (size_t e = 0; e < NEVENTS; e++) printf(" %s |", *r->cell[e] ? r->cell[e] : "-");
    printf("\n");
  }
}

/* 0 and the file and family, TC__EXIT_OK after --help, or TC__EXIT_USAGE. */
static int parse_args(int argc, char **argv, const char **file, int *ipv6) {
  *file = NULL;
  *ipv6 = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return TC__EXIT_OK;
    } else if (strcmp(argv[i], "--family") == 0) {
      const char *f = i + 1 < argc ? argv[++i] : "";
      if (strcmp(f, "ipv4") != 0 && strcmp(f, "ipv6") != 0) {
        fprintf(stderr, "tcpclose grid: --family must be ipv4 or ipv6, not '%s'\n", f);
        return TC__EXIT_USAGE;
      }
      *ipv6 = strcmp(f, "ipv6") == 0;
    } else if (argv[i][0] == '-' || *file != NULL) {
      fprintf(stderr, "tcpclose grid: unexpected '%s' (see tcpclose grid --help)\n", argv[i]);
      return TC__EXIT_USAGE;
    } else {
      *file = argv[i];
    }
  }
  if (*file != NULL) return -1;
  fprintf(stderr, "tcpclose grid: name one results file (see tcpclose grid --help)\n");
  return TC__EXIT_USAGE;
}

int tc__cmd_grid(int argc, char **argv) {
  const char *file;
  int ipv6, rc = parse_args(argc, argv, &file, &ipv6);
  if (rc >= 0) return rc;
  tc_cmp_run *run;
  tc_err err;
  if (tc_cmp_load(file, &run, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return TC__EXIT_USAGE;
  }
  struct grid *g = calloc(1, sizeof *g);
  if (g == NULL) {
    tc_cmp_run_free(run);
    fprintf(stderr, "tcpclose grid: out of memory\n");
    return TC__EXIT_USAGE;
  }
  collect(g, run->cases, ipv6);
  if (g->ncases == 0)
    fprintf(stderr, "tcpclose grid: %s has no grid-STATE-EVENT case\n", file);
  else
    print_grid(g, run->label);
  rc = g->ncases == 0 ? TC__EXIT_FAIL : TC__EXIT_OK;
  free(g);
  tc_cmp_run_free(run);
  return rc;
}
