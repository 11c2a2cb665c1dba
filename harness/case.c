/* case.c - reading case files and the small helpers of tcpclose/case.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case_parse.h"
#include "grow.h"
#include "tcpclose/case.h"

const char *tc_role_name(enum tc_role role) {
  return role == TC_CLIENT ? "client" : role == TC_SERVER ? "server" : "?";
}

/* Length of a plain decimal at s (digits, optionally '.' and digits), 0 if
 * none: no sign, exponent or hex, which strtod alone would take. */
size_t tc__decimal_len(const char *s) {
  size_t n = strspn(s, "0123456789");
  if (n > 0 && s[n] == '.' && s[n + 1] >= '0' && s[n + 1] <= '9')
    n += 1 + strspn(s + n + 1, "0123456789");
  return n;
}

int tc_duration_parse(const char *s, unsigned *ms) {
  size_t n = tc__decimal_len(s);
  if (n == 0) return -EINVAL;
  double scale;
  if (strcmp(s + n, "ms") == 0)
    scale = 1;
  else if (strcmp(s + n, "s") == 0)
    scale = 1000;
  else
    return -EINVAL;
  double v = strtod(s, NULL) * scale;
  if (v > TC_DURATION_MAX_MS) return -ERANGE;
  *ms = (unsigned)(v + 0.5);
  return 0;
}

/* Reads at most TC_CASE_MAX_BYTES + 1 bytes of f into *out, NUL-terminated;
 * 0, -EFBIG beyond the bound, -ENOMEM, or -errno of the read. A regular
 * file whose size says it is too large is not read at all. */
static int read_bounded(FILE *f, char **out, size_t *len) {
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > TC_CASE_MAX_BYTES)
    return -EFBIG;
  size_t cap = 0, n;
  char *buf = NULL;
  int nomem = 0;
  *len = 0;
  while (!(nomem = tc__grow(&buf, &cap, *len + 2, 4096, 1) < 0) && *len <= TC_CASE_MAX_BYTES &&
         (n = fread(buf + *len, 1, cap - *len - 1, f)) > 0)
    *len += n;
  int rc = nomem ? -ENOMEM : *len > TC_CASE_MAX_BYTES ? -EFBIG : ferror(f) ? -errno : 0;
  if (rc < 0) free(buf);
  if (rc == 0) buf[*len] = '\0';
  *out = rc == 0 ? buf : NULL;
  return rc;
}

/* Reads a whole case file; rejects NUL bytes, which no case file has and
 * which would silently cut its text. */
static int read_all(const char *file, char **out, tc_err *err) {
  FILE *f = fopen(file, "rb");
  if (f == NULL) return tc_errf(err, -errno, "%s: cannot read: %s", file, strerror(errno));
  size_t len;
  char *buf;
  int rc = read_bounded(f, &buf, &len);
  fclose(f);
  if (rc == -EFBIG)
    return tc_errf(err, rc, "%s: larger than " TC_CASE_MAX_TEXT ": not a case file", file);
  if (rc == -ENOMEM) return tc_errf(err, rc, "%s: out of memory", file);
  if (rc < 0) return tc_errf(err, rc, "%s: cannot read: %s", file, strerror(-rc));
  size_t text = strlen(buf);
  if (text != len) {
    int line = 1;
    for (size_t i = 0; i < text; i++) line += buf[i] == '\n';
    free(buf);
    return tc_errf(err, -EINVAL, "%s:%d: NUL byte: not a text file", file, line);
  }
  *out = buf;
  return 0;
}

int tc_case_parse_file(const char *file, tc_case *out, tc_err *err) {
  char *text = NULL;
  int rc = read_all(file, &text, err);
  if (rc < 0) return rc;
  rc = tc_case_parse_text(file, text, out, err);
  free(text);
  return rc;
}

void tc_case_free(tc_case *c) {
  for (size_t i = 0; i < c->nsteps; i++) {
    free(c->steps[i].text);
    if (c->steps[i].kind != TC_STEP_ACTION) continue;
    free(c->steps[i].u.act.text);
    free(c->steps[i].u.act.command);
    tc__conn_script_free(&c->steps[i].u.act.conn);
  }
  for (size_t i = 0; i < c->ntags; i++) free(c->tags[i]);
  free(c->steps);
  free(c->file);
  free(c->name);
  free(c->about);
  free(c->source);
  memset(c, 0, sizeof *c);
}

int tc_case_has_tag(const tc_case *c, const char *tag) {
  for (size_t i = 0; i < c->ntags; i++)
    if (strcmp(c->tags[i], tag) == 0) return 1;
  return 0;
}

int tc_scope_includes(const char *scope, const char *os) {
  if (scope == NULL || *scope == '\0') return 1;
  size_t n = strlen(os);
  for (const char *s = scope; (s = strstr(s, os)) != NULL; s += n)
    if ((s == scope || s[-1] == ',') && (s[n] == ',' || s[n] == '\0')) return 1;
  return 0;
}
