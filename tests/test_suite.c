/* test_suite.c - plays every case in cases/ and its subdirectories one
 * level down (cases/grid/), as `tcpclose run cases` loads them, through the
 * real binary, one parameterized test per file, over IPv4 and IPv6
 * (--family both), so that a failing case names itself and shows what
 * tcpclose printed. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "cli_helpers.h"

struct case_file {
  char *path; /* cr_malloc'd: parameters cross into the test's process */
};

static void free_params(struct criterion_test_params *ctp) {
  struct case_file *p = ctp->params;
  for (size_t i = 0; i < ctp->length; i++) cr_free(p[i].path);
  cr_free(p);
}

static int is_case(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 5 && strcmp(d->d_name + n - 5, ".case") == 0;
}

static int is_subdir(const struct dirent *d) {
  return d->d_name[0] != '.' && (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN);
}

/* Appends dir's case files to paths (malloc'd, grown here). */
static void add_cases(const char *dir, char ***paths, size_t *n) {
  struct dirent **names;
  int k = scandir(dir, &names, is_case, alphasort);
  for (int i = 0; i < k; i++) {
    *paths = realloc(*paths, sizeof **paths * (*n + 1));
    (*paths)[*n] = malloc(strlen(dir) + strlen(names[i]->d_name) + 2);
    sprintf((*paths)[(*n)++], "%s/%s", dir, names[i]->d_name);
    free(names[i]);
  }
  if (k > 0) free(names);
}

/* Parameters cross into each test's process: copied with cr_malloc. */
ParameterizedTestParameters(suite, case_passes_on_this_kernel) {
  char **paths = NULL;
  size_t n = 0;
  struct dirent **subs;
  add_cases(TCPCLOSE_CASES_DIR, &paths, &n);
  int k = scandir(TCPCLOSE_CASES_DIR, &subs, is_subdir, alphasort);
  for (int i = 0; i < k; i++) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", TCPCLOSE_CASES_DIR, subs[i]->d_name);
    add_cases(dir, &paths, &n);
    free(subs[i]);
  }
  if (k > 0) free(subs);
  struct case_file *p = cr_malloc(sizeof *p * (n ? n : 1));
  for (size_t i = 0; i < n; i++) {
    p[i].path = cr_malloc(strlen(paths[i]) + 1);
    strcpy(p[i].path, paths[i]);
    free(paths[i]);
  }
  free(paths);
  return cr_make_param_array(struct case_file, p, n, free_params);
}

ParameterizedTest(struct case_file *c, suite, case_passes_on_this_kernel) {
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", "--family", "both", c->path, NULL};
  int status = th_run(argv, &o);
  cr_assert_eq(status, 0, "%s: exit %d\n%s%s", c->path, status, o.out, o.err);
  cr_assert(strstr(o.out, "\n2 passed, 0 failed\n") != NULL, "%s: %s", c->path, o.out);
  th_out_free(&o);
}

/* The grid of issue 11: at least 24 of its cells inject a segment. */
Test(suite, has_the_grid) {
  struct dirent **names;
  int n = scandir(TCPCLOSE_CASES_DIR "/grid", &names, is_case, alphasort), injecting = 0;
  for (int i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/grid/%s", TCPCLOSE_CASES_DIR, names[i]->d_name);
    char *text = th_read_file(path);
    injecting += text != NULL && strstr(text, "\ninject ") != NULL;
    free(text);
    free(names[i]);
  }
  if (n > 0) free(names);
  cr_assert_geq(injecting, 24, "%d of cases/grid's %d files inject", injecting, n);
}

Test(suite, has_the_seed_cases) {
  static const char *const seeds[] = {
      "client-close-server-silent", "server-close-on-eof",     "server-close-delayed",
      "server-active-close",        "client-linger-reset",     "close-with-unread-data",
      "half-close-shut-wr",         "peer-exit-without-close", "peer-killed"};
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.case", TCPCLOSE_CASES_DIR, seeds[i]);
    cr_assert_eq(access(path, R_OK), 0, "missing seed case %s", path);
  }
}
