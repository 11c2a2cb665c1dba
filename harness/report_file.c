/* report_file.c - reports written into files atomically, and runs made of
 * an in-memory results tree (see report.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

static int write_format(FILE *out, enum tc__report_format fmt, tc_cmp_run *const *runs, size_t n) {
  switch (fmt) {
  case TC__REPORT_HTML: return tc__report_html(out, runs, n);
  case TC__REPORT_JUNIT: return tc__report_junit(out, runs[0]);
  case TC__REPORT_TAP: return tc__report_tap(out, runs[0]);
  case TC__REPORT_MARKDOWN: return tc__report_markdown(out, runs[0]);
  }
  return -EINVAL;
}

/* Opens PATH.XXXXXX beside path into *f. 0 or a negative errno with err. */
static int open_temp(const char *path, char **tmp, FILE **f, tc_err *err) {
  size_t n = strlen(path);
  if ((*tmp = malloc(n + 8)) == NULL) return tc_errf(err, -ENOMEM, "%s: out of memory", path);
  memcpy(*tmp, path, n);
  memcpy(*tmp + n, ".XXXXXX", 8);
  int fd = mkstemp(*tmp);
  *f = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
  if (*f != NULL) return 0;
  int rc = tc_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
  if (fd >= 0) {
    close(fd);
    unlink(*tmp);
  }
  free(*tmp);
  return rc;
}

struct writer {
  enum tc__report_format fmt;
  tc_cmp_run *const *runs;
  size_t n;
  const json_t *svg_case; /* set: one diagram instead of a format */
};

/* Writes into a temporary file, then renames it over path. */
static int write_atomic(const char *path, const struct writer *w, tc_err *err) {
  char *tmp;
  FILE *f;
  int rc = open_temp(path, &tmp, &f, err);
  if (rc < 0) return rc;
  rc = w->svg_case != NULL ? tc__report_svg(f, w->svg_case, NULL)
                           : write_format(f, w->fmt, w->runs, w->n);
  errno = 0;
  if (rc < 0)
    tc_errf(err, rc, "%s: out of memory", path);
  else if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
    rc = tc_errf(err, -EIO, "%s: cannot write: %s", path, strerror(errno ? errno : EIO));
  if (fclose(f) != 0 && rc == 0) rc = tc_errf(err, -errno, "%s: %s", path, strerror(errno));
  if (rc == 0 && rename(tmp, path) < 0) rc = tc_errf(err, -errno, "%s: %s", path, strerror(errno));
  if (rc < 0) unlink(tmp);
  free(tmp);
  return rc;
}

int tc__report_write(const char *path, enum tc__report_format fmt, tc_cmp_run *const *runs,
                     size_t n, tc_err *err) {
  struct writer w = {.fmt = fmt, .runs = runs, .n = n};
  return write_atomic(path, &w, err);
}

int tc__report_svg_dir(const char *dir, const tc_cmp_run *run, tc_err *err) {
  for (size_t i = 0; i < json_array_size(run->cases); i++) {
    struct writer w = {.svg_case = json_array_get(run->cases, i)};
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/", dir);
    /* A name from a results file must not leave dir: only [A-Za-z0-9@._-]. */
    for (const char *c = tc__json_str(w.svg_case, "name", "case"); *c && n < (int)sizeof path - 5;
         c++)
      path[n++] = strchr("@._-", *c) != NULL || (*c >= 'a' && *c <= 'z') ||
                          (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
                      ? *c
                      : '_';
    snprintf(path + n, sizeof path - (size_t)n, ".svg");
    int rc = write_atomic(path, &w, err);
    if (rc < 0) return rc;
  }
  return 0;
}

tc_cmp_run *tc__report_run_of(json_t *root, const char *path) {
  const json_t *h = json_object_get(root, "host");
  const char *os = tc__json_str(h, "os", "?"), *kernel = tc__json_str(h, "kernel", "?"),
             *machine = tc__json_str(h, "machine", "?");
  size_t len = strlen(os) + strlen(kernel) + strlen(machine) + 3;
  tc_cmp_run *run = calloc(1, sizeof *run);
  if (run != NULL) {
    run->label = malloc(len);
    run->path = strdup(path);
  }
  if (run == NULL || run->label == NULL || run->path == NULL) {
    if (run != NULL) free(run->label), free(run->path), free(run);
    json_decref(root);
    return NULL;
  }
  snprintf(run->label, len, "%s-%s-%s", os, kernel, machine);
  run->root = root;
  run->cases = json_object_get(root, "cases");
  return run;
}
