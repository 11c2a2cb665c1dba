/* result.c - case results and the results file (see tcpclose/result.h). */
#include "tcpclose/result.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "grow.h"

const char *tc_verdict_name(enum tc_verdict v) {
  static const char *const names[] = {"pass", "fail", "skip", "error"};
  return (unsigned)v <= TC_ERROR ? names[v] : "?";
}

int tc_case_result_add_check(tc_case_result *r, int line, const char *expect, const char *observed,
                             int pass, const struct tc_sock *sock) {
  if (tc__grow(&r->checks, &r->checks_cap, r->nchecks + 1, 8, sizeof *r->checks) < 0)
    return -ENOMEM;
  struct tc_check *c = &r->checks[r->nchecks];
  memset(c, 0, sizeof *c);
  c->line = line;
  c->pass = pass;
  c->expect = strdup(expect);
  c->observed = strdup(observed);
  if (sock != NULL) {
    c->has_sock = 1;
    c->sock = *sock;
  }
  if (c->expect == NULL || c->observed == NULL) {
    free(c->expect);
    free(c->observed);
    return -ENOMEM;
  }
  r->nchecks++;
  return 0;
}

void tc_case_result_set(tc_case_result *r, enum tc_verdict v, const char *fmt, ...) {
  free(r->reason);
  r->reason = NULL;
  r->verdict = v;
  if (fmt == NULL) return;
  char buf[TC_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  r->reason = strdup(buf);
}

void tc_case_result_skip_last(tc_case_result *r) {
  if (r->nchecks > 0) r->checks[r->nchecks - 1].skipped = 1;
}

void tc_case_result_observation_last(tc_case_result *r) {
  if (r->nchecks > 0) r->checks[r->nchecks - 1].observation = 1;
}

/* Appends one element to a growable array (a T ** as arrayp) of elements
 * of size `size`. */
static int append(void *arrayp, size_t *n, size_t *cap, const void *elem, size_t size) {
  if (tc__grow(arrayp, cap, *n + 1, 8, size) < 0) return -ENOMEM;
  char *a;
  memcpy(&a, arrayp, sizeof a);
  memcpy(a + *n * size, elem, size);
  (*n)++;
  return 0;
}

int tc_case_result_add_transition(tc_case_result *r, const struct tc_transition *t) {
  return append(&r->transitions, &r->ntransitions, &r->transitions_cap, t, sizeof *t);
}

int tc_case_result_add_segment(tc_case_result *r, const struct tc_wire_seg *s) {
  return append(&r->segments, &r->nsegments, &r->segments_cap, s, sizeof *s);
}

int tc_case_result_add_settle(tc_case_result *r, const struct tc_settle_end *s) {
  return append(&r->settles, &r->nsettles, &r->settles_cap, s, sizeof *s);
}

static int step_role(const struct tc_step *st) {
  if (st->kind == TC_STEP_ACTION) return (int)st->u.act.role;
  if (st->kind == TC_STEP_EXPECT && st->u.exp.kind != TC_EXPECT_WIRE) return (int)st->u.exp.role;
  return -1;
}

int tc_case_result_add_step(tc_case_result *r, long t_us, const struct tc_step *st) {
  struct tc_step_done s = {
      .t_us = t_us, .role = step_role(st), .line = st->line, .text = strdup(st->text)};
  if (s.text == NULL) return -ENOMEM;
  int rc = append(&r->steps, &r->nsteps, &r->steps_cap, &s, sizeof s);
  if (rc < 0) free(s.text);
  return rc;
}

int tc_case_result_add_sysctl(tc_case_result *r, const char *name, const char *value) {
  struct tc_sysctl s;
  snprintf(s.name, sizeof s.name, "%s", name);
  snprintf(s.value, sizeof s.value, "%s", value);
  return append(&r->sysctls, &r->nsysctls, &r->sysctls_cap, &s, sizeof s);
}

void tc_case_result_free(tc_case_result *r) {
  free(r->sysctls);
  free(r->isolation);
  free(r->transitions);
  free(r->segments);
  free(r->settles);
  for (size_t i = 0; i < r->nsteps; i++) free(r->steps[i].text);
  free(r->steps);
  free(r->transitions_by.why_not);
  free(r->wire_by.why_not);
  for (size_t i = 0; i < r->nchecks; i++) {
    free(r->checks[i].expect);
    free(r->checks[i].observed);
  }
  free(r->checks);
  for (int i = 0; i < 2; i++) {
    free(r->program[i].command);
    free(r->program[i].out);
    free(r->program[i].err);
  }
  free(r->name);
  free(r->file);
  free(r->reason);
  memset(r, 0, sizeof *r);
}

void tc_host_detect(struct tc_host *h) {
  struct utsname u;
  memset(h, 0, sizeof *h);
  if (uname(&u) < 0) {
    snprintf(h->os, sizeof h->os, "unknown");
    return;
  }
  snprintf(h->os, sizeof h->os, "%s", u.sysname);
  for (char *p = h->os; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  snprintf(h->kernel, sizeof h->kernel, "%s", u.release);
  snprintf(h->machine, sizeof h->machine, "%s", u.machine);
}
