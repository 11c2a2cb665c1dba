/* case_expect.c - "expect ..." checkpoints of the case language:
 *   expect ROLE STATE [recvq=N] [sendq=N]
 *   expect ROLE error ERRNO|none
 *   expect ROLE eof
 *   expect ROLE path STATE... [gone]
 *   expect ROLE reset-reason REASON|none
 *   expect wire DIR FLAGS [DIR FLAGS ...]
 * (exit, count and churn: case_expect_many.c)                           */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "case_parse.h"
#include "tcpclose/tcpstate.h"

/* left>DURATION / left<DURATION: time left on the socket's timer. */
static int parse_left(struct tc__parser *p, const char *tok, struct tc_expect_step *e) {
  unsigned ms;
  char op = tok[4];
  if (tc_duration_parse(tok + 5, &ms) < 0)
    return tc__perr(p, "%s: '%s' is not a duration (e.g. left>59s)", tok, tok + 5);
  if (op == '>')
    e->left_min_ms = ms;
  else
    e->left_max_ms = ms;
  return 0;
}

/* since=DIR:FLAGS ("since=s>c:F."): the time left on the timer is judged
 * with the time since the last such segment added, so that it says how
 * long the timer was set for when that segment came, whatever the time
 * between that segment and the checkpoint (a loaded machine). */
static int parse_since(struct tc__parser *p, const char *v, struct tc_expect_step *e) {
  const char *colon = strchr(v, ':');
  struct tc_wire_token *t = &e->since;
  if (e->has_since) return tc__perr(p, "since given twice");
  if (colon == NULL || colon - v != 3 || (strncmp(v, "c>s", 3) != 0 && strncmp(v, "s>c", 3) != 0))
    return tc__perr(p, "since=%s: expected since=DIR:FLAGS (e.g. since=s>c:F.)", v);
  t->from = v[0] == 'c' ? TC_CLIENT : TC_SERVER;
  const char *fl = colon + 1;
  if (*fl == '\0' || strlen(fl) >= sizeof t->flags || strspn(fl, "FSRPUEW.") != strlen(fl))
    return tc__perr(p, "since=%s: bad flags '%s' (tcpdump notation: F. S. R R. P. . FP.)", v, fl);
  snprintf(t->flags, sizeof t->flags, "%s", fl);
  e->has_since = 1;
  return 0;
}

/* conn=N: the role's Nth connection (1 = its first) rather than its latest. */
static int parse_conn(struct tc__parser *p, const char *v, struct tc_expect_step *e) {
  long n;
  int have = p->role[e->role].nconns;
  if (e->conn) return tc__perr(p, "conn given twice");
  if (tc__parse_count(v, 1000, &n) < 0 || n < 1 || n > have)
    return tc__perr(p, "conn=%s: the %s has %d connection%s so far", v, tc_role_name(e->role), have,
                    have == 1 ? "" : "s");
  e->conn = (int)n;
  return 0;
}

static int parse_queue(struct tc__parser *p, const char *tok, struct tc_expect_step *e) {
  const char *eq = strchr(tok, '=');
  long n;
  long *field = NULL;
  if (strncmp(tok, "conn=", 5) == 0) return parse_conn(p, tok + 5, e);
  if (strncmp(tok, "since=", 6) == 0) return parse_since(p, tok + 6, e);
  if (strncmp(tok, "left>", 5) == 0 || strncmp(tok, "left<", 5) == 0) return parse_left(p, tok, e);
  if (eq == NULL) eq = strchr(tok, '>'); /* recvq>N, sendq>N: more than N */
  if (eq != NULL && strncmp(tok, "recvq", (size_t)(eq - tok)) == 0 && eq - tok == 5)
    field = &e->recvq;
  else if (eq != NULL && strncmp(tok, "sendq", (size_t)(eq - tok)) == 0 && eq - tok == 5)
    field = &e->sendq;
  if (field == NULL)
    return tc__perr(p,
                    "unknown option '%s' for a state checkpoint (expected recvq=N, sendq=N, "
                    "recvq>N, sendq>N, left>DUR, left<DUR, since=DIR:FLAGS or conn=N)",
                    tok);
  if (*field != TC_QUEUE_ANY) return tc__perr(p, "%.*s given twice", (int)(eq - tok), tok);
  if (tc__parse_count(eq + 1, 1L << 30, &n) < 0)
    return tc__perr(p, "%.*s must be a byte count, not '%s'", (int)(eq - tok), tok, eq + 1);
  *field = n;
  if (*eq == '>') *(field == &e->recvq ? &e->recvq_more : &e->sendq_more) = 1;
  return 0;
}

static int unknown_state(struct tc__parser *p, const char *s) {
  char up[64];
  size_t i;
  for (i = 0; s[i] && i + 1 < sizeof up; i++) up[i] = (char)toupper((unsigned char)s[i]);
  up[i] = '\0';
  int st = tc_state_from_name(up);
  if (st == TC_STATE_CLOSE)
    return tc__perr(p, "state '%s' is never seen: a closed socket is 'gone'", s);
  if (st > 0) return tc__perr(p, "unknown state '%s' (states are written in capitals: %s)", s, up);
  return tc__perr(p,
                  "unknown state '%s' (expected ESTABLISHED, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, "
                  "CLOSE_WAIT, LAST_ACK, CLOSING, LISTEN, gone, or error/eof/path/reset-reason)",
                  s);
}

static int parse_state(struct tc__parser *p, struct tc_expect_step *e) {
  const char *s = p->lx.tok[2].s;
  int st = tc_state_from_name(s);
  if (st < 0 || st == TC_STATE_CLOSE) return unknown_state(p, s);
  e->kind = TC_EXPECT_STATE;
  e->state = st;
  for (size_t i = 3; i < p->lx.ntok; i++) {
    int rc = parse_queue(p, p->lx.tok[i].s, e);
    if (rc < 0) return rc;
  }
  if (st == TC_STATE_GONE && (e->recvq != TC_QUEUE_ANY || e->sendq != TC_QUEUE_ANY ||
                              e->left_min_ms >= 0 || e->left_max_ms >= 0))
    return tc__perr(p, "a socket that is gone has no queues or timer to check");
  if (e->has_since && e->left_min_ms < 0 && e->left_max_ms < 0)
    return tc__perr(p, "since= says where left> or left< count from: give one of them");
  return 0;
}

static int parse_error(struct tc__parser *p, struct tc_expect_step *e) {
  e->kind = TC_EXPECT_ERROR;
  if (p->lx.ntok < 4) return tc__perr(p, "'error' needs an errno name (e.g. ECONNRESET) or none");
  const char *name = p->lx.tok[3].s;
  if (strcmp(name, "none") != 0 && (e->err = tc_errno_from_name(name)) == 0)
    return tc__perr(p, "unknown errno '%s' (e.g. ECONNRESET, EPIPE, or none)", name);
  return tc__no_more(p, 4, "the errno name");
}

/* path: the states the role's connection went through, ESTABLISHED on. */
static int parse_path(struct tc__parser *p, struct tc_expect_step *e) {
  e->kind = TC_EXPECT_PATH;
  if (p->lx.ntok < 4)
    return tc__perr(p, "'path' needs states (e.g. path ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT)");
  if (p->lx.ntok - 3 > TC_MAX_PATH)
    return tc__perr(p, "a path of more than %d states", TC_MAX_PATH);
  for (size_t i = 3; i < p->lx.ntok; i++) {
    const char *s = p->lx.tok[i].s;
    int st = tc_state_from_name(s);
    if (st < 0 || st == TC_STATE_CLOSE) return unknown_state(p, s);
    if (st == TC_STATE_GONE && i + 1 < p->lx.ntok) return tc__perr(p, "'gone' can only end a path");
    e->path[e->npath++] = st;
  }
  return 0;
}

static int parse_reset(struct tc__parser *p, struct tc_expect_step *e) {
  e->kind = TC_EXPECT_RESET;
  if (p->lx.ntok < 4)
    return tc__perr(p,
                    "'reset-reason' needs the kernel's reason (e.g. TCP_ABORT_ON_CLOSE) or none");
  const char *r = p->lx.tok[3].s;
  if (strlen(r) >= sizeof e->reason) return tc__perr(p, "reset reason '%s' is too long", r);
  snprintf(e->reason, sizeof e->reason, "%s", r);
  return tc__no_more(p, 4, "the reset reason");
}

/* wire: DIR FLAGS pairs, e.g. "c>s F. s>c F. c>s .", or none: no FIN or
 * RST was sent at all. */
static int parse_wire(struct tc__parser *p, struct tc_expect_step *e) {
  e->kind = TC_EXPECT_WIRE;
  e->role = TC_CLIENT;
  if (p->lx.ntok == 3 && strcmp(p->lx.tok[2].s, "none") == 0) return 0;
  size_t n = p->lx.ntok - 2;
  if (n == 0 || n % 2 != 0)
    return tc__perr(p, "'expect wire' needs direction and flags pairs (e.g. c>s F. s>c F. c>s .)");
  if (n / 2 > TC_MAX_WIRE) return tc__perr(p, "more than %d segments", TC_MAX_WIRE);
  for (size_t i = 2; i < p->lx.ntok; i += 2) {
    const char *dir = p->lx.tok[i].s, *fl = p->lx.tok[i + 1].s;
    struct tc_wire_token *t = &e->wire[e->nwire++];
    if (strcmp(dir, "c>s") == 0)
      t->from = TC_CLIENT;
    else if (strcmp(dir, "s>c") == 0)
      t->from = TC_SERVER;
    else
      return tc__perr(p, "unknown direction '%s' (expected c>s or s>c)", dir);
    if (strlen(fl) >= sizeof t->flags || strspn(fl, "FSRPUEW.") != strlen(fl))
      return tc__perr(p, "bad flags '%s' (tcpdump notation: F. S. R R. P. . FP.)", fl);
    snprintf(t->flags, sizeof t->flags, "%s", fl);
  }
  e->role = TC_CLIENT;
  return 0;
}

static int parse_check(struct tc__parser *p, struct tc_expect_step *e) {
  if (strcmp(p->lx.tok[1].s, "wire") == 0) return parse_wire(p, e);
  int rc = tc__parse_role(p, p->lx.tok[1].s, &e->role);
  if (rc < 0) return rc;
  const char *what = p->lx.tok[2].s;
  if (strcmp(what, "path") == 0) return parse_path(p, e);
  if (strcmp(what, "reset-reason") == 0) return parse_reset(p, e);
  if (strcmp(what, "error") == 0) return parse_error(p, e);
  if (strcmp(what, "received") == 0) {
    e->kind = TC_EXPECT_RECEIVED;
    if (p->lx.ntok < 4 || tc__parse_count(p->lx.tok[3].s, 1L << 30, &e->recvq) < 0)
      return tc__perr(p, "'received' needs a byte count (what the role's last recv read)");
    return tc__no_more(p, 4, "the byte count");
  }
  if (strcmp(what, "exit") == 0) return tc__parse_expect_exit(p, e);
  if (strcmp(what, "count") == 0) return tc__parse_expect_count(p, e);
  if (strcmp(what, "churn") == 0) return tc__parse_expect_churn(p, e);
  if (strcmp(what, "eof") == 0) {
    e->kind = TC_EXPECT_EOF;
    return tc__no_more(p, 3, "eof");
  }
  return parse_state(p, e);
}

/* expect[linux,freebsd]: the systems a checkpoint applies to, as uname -s
 * names them in lower case. Known names only, so a typo is not silently
 * a checkpoint that never runs. */
static int parse_scope(struct tc__parser *p, const char *kw, struct tc_expect_step *e) {
  static const char *const known[] = {"linux",  "freebsd",   "darwin", "openbsd",
                                      "netbsd", "dragonfly", "windows"};
  size_t n = strlen(kw);
  if (n < 9 || kw[6] != '[' || kw[n - 1] != ']' || n - 8 >= sizeof e->os)
    return tc__perr(p, "bad scope '%s' (expected e.g. expect[linux] or expect[freebsd,darwin])",
                    kw);
  snprintf(e->os, sizeof e->os, "%.*s", (int)(n - 8), kw + 7);
  char copy[sizeof e->os], *save = NULL;
  snprintf(copy, sizeof copy, "%s", e->os);
  for (char *os = strtok_r(copy, ",", &save); os; os = strtok_r(NULL, ",", &save)) {
    size_t k = 0;
    while (k < sizeof known / sizeof known[0] && strcmp(known[k], os) != 0) k++;
    if (k == sizeof known / sizeof known[0])
      return tc__perr(p,
                      "unknown system '%s' in %s (expected linux, freebsd, darwin, openbsd, "
                      "netbsd, dragonfly or windows)",
                      os, kw);
  }
  return 0;
}

/* observe ROLE [conn=N]: the role's socket is recorded, not judged. */
int tc__parse_observe(struct tc__parser *p) {
  struct tc_expect_step e = {.recvq = TC_QUEUE_ANY,
                             .sendq = TC_QUEUE_ANY,
                             .left_min_ms = -1,
                             .left_max_ms = -1,
                             .observe_only = 1};
  if (p->lx.ntok < 2) return tc__perr(p, "'observe' needs a role (client or server)");
  int rc = tc__parse_role(p, p->lx.tok[1].s, &e.role);
  for (size_t i = 2; rc == 0 && i < p->lx.ntok; i++)
    rc = strncmp(p->lx.tok[i].s, "conn=", 5) == 0
             ? parse_conn(p, p->lx.tok[i].s + 5, &e)
             : tc__perr(p, "unknown option '%s' for observe (expected conn=N)", p->lx.tok[i].s);
  if (rc < 0) return rc;
  struct tc_step *st = tc__new_step(p, TC_STEP_EXPECT);
  if (st == NULL) return -ENOMEM;
  st->u.exp = e;
  return 0;
}

int tc__parse_expect(struct tc__parser *p) {
  struct tc_expect_step e = {
      .recvq = TC_QUEUE_ANY, .sendq = TC_QUEUE_ANY, .left_min_ms = -1, .left_max_ms = -1};
  const char *kw = p->lx.tok[0].s;
  if (strcmp(kw, "expect") != 0) {
    int rc = parse_scope(p, kw, &e);
    if (rc < 0) return rc;
  }
  if (p->lx.ntok < 3)
    return tc__perr(p, "'expect' needs a role and what to check (a state, path, error, eof, "
                       "reset-reason) or 'wire' and segments");
  int rc = parse_check(p, &e);
  if (rc < 0) return rc;
  struct tc_step *st = tc__new_step(p, TC_STEP_EXPECT);
  if (st == NULL) return -ENOMEM;
  st->u.exp = e;
  return 0;
}
