/* case_parse.c - the case language, one statement per line (see
 * tcpclose/case.h; grammar in README.md). Each statement kind has its own
 * function; every rejection names the file, the line and the reason. */
#include <errno.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "case_parse.h"
#include "tcpclose/case.h"
#include "tcpclose/tcpstate.h"

int tc__perr(struct tc__parser *p, const char *fmt, ...) {
  char why[TC_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return tc_errf(p->err, -EINVAL, "%s:%d: %s", p->file, p->line, why);
}

static int is_name(const char *s) {
  if (*s == '\0') return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return 0;
  return 1;
}

/* Parses a non-negative decimal that must fill the whole string. */
int tc__parse_count(const char *s, long max, long *out) {
  char *end;
  if (*s < '0' || *s > '9') return -EINVAL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v > max) return -EINVAL;
  *out = v;
  return 0;
}

int tc__parse_role(struct tc__parser *p, const char *s, enum tc_role *out) {
  if (strcmp(s, "client") == 0)
    *out = TC_CLIENT;
  else if (strcmp(s, "server") == 0)
    *out = TC_SERVER;
  else
    return tc__perr(p, "unknown role '%s' (expected client or server)", s);
  return 0;
}

struct tc_step *tc__new_step(struct tc__parser *p, enum tc_step_kind kind) {
  if (tc__grow(&p->c->steps, &p->cap, p->c->nsteps + 1, 16, sizeof *p->c->steps) < 0) return NULL;
  struct tc_step *st = &p->c->steps[p->c->nsteps];
  memset(st, 0, sizeof *st);
  st->text = strdup(p->lx.stmt);
  if (st->text == NULL) return NULL;
  p->c->nsteps++;
  st->line = p->line;
  st->kind = kind;
  return st;
}

int tc__no_more(struct tc__parser *p, size_t from, const char *what) {
  if (p->lx.ntok > from) return tc__perr(p, "unexpected '%s' after %s", p->lx.tok[from].s, what);
  return 0;
}

/* ---- header statements: case, about, source, tags ---- */

static int parse_case(struct tc__parser *p) {
  if (p->case_line) return tc__perr(p, "'case' given twice (first at line %d)", p->case_line);
  if (p->lx.ntok < 2) return tc__perr(p, "'case' needs a name");
  const char *name = p->lx.tok[1].s;
  if (!is_name(name))
    return tc__perr(p, "case name '%s' must be lower-case letters, digits and '-'", name);
  int rc = tc__no_more(p, 2, "the case name");
  if (rc < 0) return rc;
  p->case_line = p->line;
  p->c->name = strdup(name);
  return p->c->name ? 0 : -ENOMEM;
}

/* about/source: the lexer gives the rest of the line as one token. */
static int parse_text(struct tc__parser *p, char **field, const char *kw) {
  if (p->lx.ntok < 2) return tc__perr(p, "'%s' needs text", kw);
  if (*field != NULL) return tc__perr(p, "'%s' given twice", kw);
  *field = strdup(p->lx.tok[1].s);
  return *field ? 0 : -ENOMEM;
}

static int parse_tags(struct tc__parser *p) {
  if (p->lx.ntok < 2) return tc__perr(p, "'tags' needs at least one tag");
  for (size_t i = 1; i < p->lx.ntok; i++) {
    const char *t = p->lx.tok[i].s;
    if (!is_name(t)) return tc__perr(p, "tag '%s' must be lower-case letters, digits and '-'", t);
    if (p->c->ntags == TC_MAX_TAGS) return tc__perr(p, "more than %d tags", TC_MAX_TAGS);
    if ((p->c->tags[p->c->ntags++] = strdup(t)) == NULL) return -ENOMEM;
  }
  return 0;
}

/* ---- wait, settle ---- */

int tc__parse_duration(struct tc__parser *p, const char *s, unsigned *ms) {
  int rc = tc_duration_parse(s, ms);
  if (rc == 0) return 0;
  if (rc == -ERANGE) return tc__perr(p, "duration '%s' is longer than 24 h", s);
  size_t n = tc__decimal_len(s);
  if (n > 0 && s[n] == '\0')
    return tc__perr(p, "duration '%s' has no unit (write %sms or %ss)", s, s, s);
  return tc__perr(p, "bad duration '%s' (expected e.g. 200ms or 1s)", s);
}

static int parse_wait(struct tc__parser *p) {
  if (p->lx.ntok < 2) return tc__perr(p, "'wait' needs a duration (e.g. 1s)");
  unsigned ms;
  int rc = tc__parse_duration(p, p->lx.tok[1].s, &ms);
  if (rc < 0 || (rc = tc__no_more(p, 2, "the duration")) < 0) return rc;
  struct tc_step *st = tc__new_step(p, TC_STEP_WAIT);
  if (st == NULL) return -ENOMEM;
  st->ms = ms;
  return 0;
}

static int parse_settle(struct tc__parser *p) {
  unsigned ms = TC_SETTLE_MAX_MS;
  int rc = 0;
  if (p->lx.ntok >= 2) rc = tc__parse_duration(p, p->lx.tok[1].s, &ms);
  if (rc < 0 || (rc = tc__no_more(p, 2, "the duration")) < 0) return rc;
  struct tc_step *st = tc__new_step(p, TC_STEP_SETTLE);
  if (st == NULL) return -ENOMEM;
  st->ms = ms;
  return 0;
}

/* ---- the file ---- */

static int parse_statement(struct tc__parser *p) {
  const char *kw = p->lx.tok[0].s;
  if (p->lx.tok[0].quoted) return tc__perr(p, "a statement cannot start with text");
  if (strcmp(kw, "case") == 0) return parse_case(p);
  if (!p->case_line) return tc__perr(p, "the file must start with 'case NAME' (got '%s')", kw);
  if (strcmp(kw, "about") == 0) return parse_text(p, &p->c->about, "about");
  if (strcmp(kw, "source") == 0) return parse_text(p, &p->c->source, "source");
  if (strcmp(kw, "tags") == 0) return parse_tags(p);
  if (strcmp(kw, "client") == 0 || strcmp(kw, "server") == 0) return tc__parse_action(p);
  if (strcmp(kw, "wait") == 0) return parse_wait(p);
  if (strcmp(kw, "settle") == 0) return parse_settle(p);
  if (strcmp(kw, "expect") == 0 || strncmp(kw, "expect[", 7) == 0) return tc__parse_expect(p);
  if (strcmp(kw, "observe") == 0) return tc__parse_observe(p);
  if (strcmp(kw, "family") == 0 || strcmp(kw, "sysctl") == 0 || strcmp(kw, "drop") == 0 ||
      strcmp(kw, "hold") == 0 || strcmp(kw, "release") == 0 || strcmp(kw, "inject") == 0)
    return tc__parse_network(p);
  return tc__perr(p,
                  "unknown statement '%s' (expected case, about, source, tags, family, client, "
                  "server, wait, settle, sysctl, drop, hold, release, inject, expect or observe)",
                  kw);
}

static int parse_lines(struct tc__parser *p, const char *text) {
  const char *line = text;
  for (p->line = 1; *line != '\0'; p->line++) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    char why[256];
    int rc = tc__lex(line, len, &p->lx, why, sizeof why);
    if (rc < 0) return tc__perr(p, "%s", why);
    if (p->lx.ntok > 0 && (rc = parse_statement(p)) < 0) return rc;
    if (nl == NULL) break;
    line = nl + 1;
  }
  return 0;
}

static int check_complete(struct tc__parser *p) {
  int has_expect = 0;
  for (size_t i = 0; i < p->c->nsteps; i++) has_expect |= p->c->steps[i].kind == TC_STEP_EXPECT;
  if (!p->case_line) {
    p->line = 1;
    return tc__perr(p, "no 'case NAME' statement: not a case file");
  }
  p->line = p->case_line;
  if (!has_expect)
    return tc__perr(p, "case '%s' has no 'expect': it would check nothing", p->c->name);
  return 0;
}

int tc_case_parse_text(const char *file, const char *text, tc_case *out, tc_err *err) {
  struct tc__parser *p = calloc(1, sizeof *p);
  if (p == NULL) return tc_errf(err, -ENOMEM, "%s: out of memory", file);
  memset(out, 0, sizeof *out);
  p->file = file;
  p->c = out;
  p->err = err;
  out->family = AF_INET;
  int rc = (out->file = strdup(file)) ? 0 : -ENOMEM;
  if (rc == 0) rc = parse_lines(p, text);
  if (rc == 0) rc = check_complete(p);
  if (rc == -ENOMEM) tc_errf(err, rc, "%s: out of memory", file);
  free(p);
  if (rc < 0) tc_case_free(out);
  return rc;
}
