/* play_check_timeline.c - checkpoints on the whole story rather than on
 * the present: a role's path through the states, the teardown's segments,
 * the reason the kernel gave for a RST. Each first brings the timeline up
 * to date; each is skipped, saying why, where its source cannot run. */
#include <stdio.h>
#include <string.h>

#include "play_internal.h"
#include "tcpclose/tcpstate.h"

/* Appends a then b to buf at *off without overflowing. */
static void put(char *buf, size_t len, size_t *off, const char *a, const char *b) {
  if (*off >= len) return;
  int n = snprintf(buf + *off, len - *off, "%s%s", a, b);
  if (n > 0) *off += (size_t)n;
}

/* The states a role's connection went through, from ESTABLISHED on. */
static size_t role_path(const tc_case_result *r, int role, int conn, int *path, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < r->ntransitions && n < max; i++) {
    const struct tc_transition *t = &r->transitions[i];
    if (t->role != role || t->conn != conn) continue;
    if (n == 0 && t->to != TC_STATE_ESTABLISHED) continue;
    if (n == 0 || path[n - 1] != t->to) path[n++] = t->to;
  }
  return n;
}

static void check_path(struct tc_play *play, const struct tc_step *st, char *seen, size_t len) {
  const struct tc_expect_step *e = &st->u.exp;
  int path[TC_MAX_PATH * 2];
  int conn = e->conn ? e->conn : play->link[e->role].nconns;
  size_t n = role_path(play->res, e->role, conn, path, sizeof path / sizeof path[0]), off = 0;
  int pass = n == e->npath;
  for (size_t i = 0; i < n; i++) {
    put(seen, len, &off, i ? " " : "", tc_state_name(path[i]));
    pass = pass && path[i] == e->path[i];
  }
  if (n == 0) snprintf(seen, len, "no transition seen");
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass, NULL);
}

/* The teardown: from the first FIN or RST on. */
static void check_wire(struct tc_play *play, const struct tc_step *st, char *seen, size_t len) {
  const struct tc_expect_step *e = &st->u.exp;
  const tc_case_result *r = play->res;
  size_t first = r->nsegments, off = 0, k = 0;
  for (size_t i = 0; i < r->nsegments && first == r->nsegments; i++)
    if (strpbrk(r->segments[i].flags, "FR") != NULL) first = i;
  int pass = r->nsegments - first == e->nwire;
  for (size_t i = first; i < r->nsegments; i++, k++) {
    const struct tc_wire_seg *s = &r->segments[i];
    put(seen, len, &off, k ? " " : "", s->from == TC_CLIENT ? "c>s" : "s>c");
    put(seen, len, &off, " ", s->flags);
    pass = pass && k < e->nwire && (int)e->wire[k].from == s->from &&
           strcmp(e->wire[k].flags, s->flags) == 0;
  }
  if (first == r->nsegments) snprintf(seen, len, "none");
  tc_case_result_add_check(play->res, st->line, st->text, seen, pass, NULL);
}

static void check_reset(struct tc_play *play, const struct tc_step *st, char *seen, size_t len) {
  const struct tc_expect_step *e = &st->u.exp;
  const char *got = play->tl.reset_reason[e->role][0] ? play->tl.reset_reason[e->role] : "none";
  snprintf(seen, len, "%s", got);
  tc_case_result_add_check(play->res, st->line, st->text, seen, strcmp(got, e->reason) == 0, NULL);
}

/* A story with holes is no story: a check on it is not made, and the case
 * ends as an error that says so, never as a failure of the kernel. Holes
 * are what the sources say they dropped, and a connection the peers made
 * (so established after the trace started, at the first listen) whose
 * ESTABLISHED the trace never showed. */
static int incomplete(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  const struct tc_source_counts *c = &play->res->sources;
  int is_wire = e->kind == TC_EXPECT_WIRE;
  unsigned long lost = is_wire ? c->wire_lost : c->trace_lost;
  int conn = e->conn ? e->conn : play->link[e->role].nconns;
  if (lost > 0) {
    tc__play_fail(play, "line %d: %s incomplete: %lu %s lost", st->line,
                  is_wire ? "wire" : "transitions", lost, is_wire ? "frames" : "events");
    return 1;
  }
  if (e->kind != TC_EXPECT_PATH || conn < 1 || conn > TC__MAX_CONNS) return 0;
  if (play->tl.conn[e->role][conn - 1].established) return 0;
  tc__play_fail(play,
                "line %d: transitions incomplete: the trace never showed the %s's "
                "connection %d established (events lost)",
                st->line, tc_role_name(e->role), conn);
  return 1;
}

void tc__check_timeline(struct tc_play *play, const struct tc_step *st) {
  const struct tc_expect_step *e = &st->u.exp;
  int is_wire = e->kind == TC_EXPECT_WIRE;
  const struct tc_observer_use *by = is_wire ? &play->res->wire_by : &play->res->transitions_by;
  char seen[512];
  if (by->name == NULL) {
    snprintf(seen, sizeof seen, "skipped: %s",
             by->why_not ? by->why_not : "the server never listened");
    tc_case_result_add_check(play->res, st->line, st->text, seen, 0, NULL);
    tc_case_result_skip_last(play->res);
    return;
  }
  tc__timeline_poll(play);
  if (incomplete(play, st)) return;
  if (is_wire)
    check_wire(play, st, seen, sizeof seen);
  else if (e->kind == TC_EXPECT_PATH)
    check_path(play, st, seen, sizeof seen);
  else
    check_reset(play, st, seen, sizeof seen);
}
