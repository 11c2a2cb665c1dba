/* case.c - reading case files and the small helpers of tcpclose/case.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpclose/case.h"

const char *tc_role_name(enum tc_role role) {
  return role == TC_CLIENT ? "client" : role == TC_SERVER ? "server" : "?";
}

int tc_duration_parse(const char *s, unsigned *ms) {
  char *end;
  if (*s < '0' || *s > '9') return -EINVAL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s) return -EINVAL;
  double scale;
  if (strcmp(end, "ms") == 0) scale = 1;
  else if (strcmp(end, "s") == 0) scale = 1000;
  else if (strcmp(end, "m") == 0) scale = 60000;
  else return -EINVAL;
  v *= scale;
  if (v > 24.0 * 3600 * 1000) return -EINVAL;
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
    return tc_errf(err, -EINVAL, "%s: %s", file, failed ? "read error" : "not a text file (NUL byte)");
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
    if (c->steps[i].kind == TC_STEP_ACTION) free(c->steps[i].u.act.text);
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
