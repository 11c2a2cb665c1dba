/* case.c - reading case files and the small helpers of tcpclose/case.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_parse.h"
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

/* Reads a whole file into a NUL-terminated buffer; rejects NUL bytes, which
 * no case file has and which would silently cut its text. */
static int read_all(const char *file, char **out, tc_err *err) {
  FILE *f = fopen(file, "rb");
  if (f == NULL) return tc_errf(err, -errno, "%s: cannot read: %s", file, strerror(errno));
  size_t cap = 4096, len = 0, n;
  char *buf = malloc(cap);
  while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      char *b = realloc(buf, cap *= 2);
      if (b == NULL) free(buf);
      buf = b;
    }
  }
  int failed = ferror(f);
  fclose(f);
  if (buf == NULL) return tc_errf(err, -ENOMEM, "%s: out of memory", file);
  buf[len] = '\0';
  if (failed || strlen(buf) != len) {
    free(buf);
    return tc_errf(err, -EINVAL, "%s: %s", file,
                   failed ? "read error" : "not a text file (NUL byte)");
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
