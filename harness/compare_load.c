/* compare_load.c - reading and checking a results file (see
 * compare_load.h). */
#include "compare_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grow.h"

static int reject(tc_err *err, const char *path, const char *why) {
  return tc_errf(err, -EINVAL, "%s: not a tcpclose results file (%s)", path, why);
}

const char *tc__cmp_str(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

/* Every case named, and no more cases or checks than compare takes. */
static int check_cases(const json_t *cases, const char *path, tc_err *err) {
  char why[128];
  if (json_array_size(cases) > TC__CMP_MAX_CASES) {
    snprintf(why, sizeof why, "more than %d cases", TC__CMP_MAX_CASES);
    return reject(err, path, why);
  }
  for (size_t i = 0; i < json_array_size(cases); i++) {
    const json_t *c = json_array_get(cases, i);
    if (tc__cmp_str(c, "name") == NULL)
      snprintf(why, sizeof why, "case %zu has no name", i + 1);
    else if (json_array_size(json_object_get(c, "checks")) > TC__CMP_MAX_CHECKS)
      snprintf(why, sizeof why, "case %zu has more than %d checks", i + 1, TC__CMP_MAX_CHECKS);
    else
      continue;
    return reject(err, path, why);
  }
  return 0;
}

/* tool, schema, host and a list of named cases: what every file has. */
static int check_file(const json_t *root, const char *path, tc_err *err) {
  char why[128];
  if (!json_is_object(root)) return reject(err, path, "not a JSON object");
  const char *tool = tc__cmp_str(root, "tool");
  if (tool == NULL || strcmp(tool, "tcpclose") != 0)
    return reject(err, path, "no \"tool\": \"tcpclose\"");
  json_t *schema = json_object_get(root, "schema");
  if (!json_is_integer(schema)) return reject(err, path, "no schema number");
  if (json_integer_value(schema) != 1) {
    snprintf(why, sizeof why, "schema %lld, this tcpclose reads schema 1",
             (long long)json_integer_value(schema));
    return reject(err, path, why);
  }
  const json_t *host = json_object_get(root, "host");
  if (tc__cmp_str(host, "os") == NULL || tc__cmp_str(host, "kernel") == NULL ||
      tc__cmp_str(host, "machine") == NULL)
    return reject(err, path, "no host os, kernel and machine");
  const json_t *cases = json_object_get(root, "cases");
  if (!json_is_array(cases)) return reject(err, path, "no list of cases");
  return check_cases(cases, path, err);
}

static char *make_label(const json_t *root) {
  const json_t *h = json_object_get(root, "host");
  const char *os = tc__cmp_str(h, "os"), *kernel = tc__cmp_str(h, "kernel"),
             *machine = tc__cmp_str(h, "machine");
  size_t len = strlen(os) + strlen(kernel) + strlen(machine) + 3;
  char *label = malloc(len);
  if (label != NULL) snprintf(label, len, "%s-%s-%s", os, kernel, machine);
  return label;
}

/* The whole file, at most TC__CMP_MAX_BYTES; a regular file whose size
 * says it is larger is refused before reading (a pipe is read up to the
 * bound). */
static int read_bounded(const char *path, char **out, size_t *len, tc_err *err) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return tc_errf(err, -ENOENT, "%s: cannot read: %s", path, strerror(errno));
  struct stat st;
  int rc = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > TC__CMP_MAX_BYTES
               ? -EFBIG
               : 0;
  size_t cap = 0, n = 0;
  char *buf = NULL;
  while (rc == 0) {
    if (tc__grow(&buf, &cap, n + 1, 65536, 1) < 0) {
      rc = -ENOMEM;
      break;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n > TC__CMP_MAX_BYTES)
      rc = -EFBIG;
    else if (got == 0)
      rc = ferror(f) ? -EIO : 1;
  }
  fclose(f);
  if (rc < 0) free(buf);
  if (rc == -EFBIG) return reject(err, path, "larger than " TC__CMP_MAX_TEXT);
  if (rc == -ENOMEM) return tc_errf(err, rc, "%s: out of memory", path);
  if (rc < 0) return tc_errf(err, rc, "%s: cannot read: %s", path, strerror(-rc));
  *out = buf;
  *len = n;
  return 0;
}

int tc__cmp_load_text(const char *path, const char *text, size_t len, tc_cmp_run **out,
                      tc_err *err) {
  json_error_t jerr;
  json_t *root = json_loadb(text, len, 0, &jerr);
  if (root == NULL) {
    char why[TC_ERR_MAX / 2];
    snprintf(why, sizeof why, "not JSON: line %d: %s", jerr.line, jerr.text);
    return reject(err, path, why);
  }
  int rc = check_file(root, path, err);
  tc_cmp_run *run = rc == 0 ? calloc(1, sizeof *run) : NULL;
  if (rc == 0 && (run == NULL || (run->label = make_label(root)) == NULL ||
                  (run->path = strdup(path)) == NULL)) {
    tc_cmp_run_free(run);
    run = NULL;
    rc = tc_errf(err, -ENOMEM, "%s: out of memory", path);
  }
  if (rc < 0) {
    json_decref(root);
    return rc;
  }
  run->root = root;
  run->cases = json_object_get(root, "cases");
  *out = run;
  return 0;
}

int tc_cmp_load(const char *path, tc_cmp_run **out, tc_err *err) {
  char *text = NULL;
  size_t len = 0;
  int rc = read_bounded(path, &text, &len, err);
  if (rc < 0) return rc;
  rc = tc__cmp_load_text(path, text, len, out, err);
  free(text);
  return rc;
}

void tc_cmp_run_free(tc_cmp_run *run) {
  if (run == NULL) return;
  json_decref(run->root);
  free(run->label);
  free(run->path);
  free(run);
}
