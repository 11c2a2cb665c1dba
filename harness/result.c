/* result.c - case results and the results file (see tcpclose/result.h). */
#include "tcpclose/result.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

const char *tc_verdict_name(enum tc_verdict v) {
  static const char *const names[] = {"pass", "fail", "skip", "error"};
  return (unsigned)v <= TC_ERROR ? names[v] : "?";
}

int tc_case_result_add_check(tc_case_result *r, int line, const char *expect,
                             const char *observed, int pass, const struct tc_sock *sock) {
  struct tc_check *c = realloc(r->checks, (r->nchecks + 1) * sizeof *c);
  if (c == NULL) return -ENOMEM;
  r->checks = c;
  c = &c[r->nchecks];
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

void tc_case_result_free(tc_case_result *r) {
  for (size_t i = 0; i < r->nchecks; i++) {
    free(r->checks[i].expect);
    free(r->checks[i].observed);
  }
  free(r->checks);
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
