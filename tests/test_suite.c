/* test_suite.c - plays every case in cases/ through the real binary, one
 * parameterized test per file, over IPv4 and IPv6 (--family both), so
 * that a failing case names itself and shows what tcpclose printed. */
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

ParameterizedTestParameters(suite, case_passes_on_this_kernel) {
  struct dirent **names;
  int n = scandir(TCPCLOSE_CASES_DIR, &names, is_case, alphasort);
  if (n <= 0) n = 0;
  struct case_file *p = cr_malloc(sizeof *p * (size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) {
    size_t len = strlen(TCPCLOSE_CASES_DIR) + strlen(names[i]->d_name) + 2;
    p[i].path = cr_malloc(len);
    snprintf(p[i].path, len, "%s/%s", TCPCLOSE_CASES_DIR, names[i]->d_name);
    free(names[i]);
  }
  if (n > 0) free(names);
  return cr_make_param_array(struct case_file, p, (size_t)n, free_params);
}

ParameterizedTest(struct case_file *c, suite, case_passes_on_this_kernel) {
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", "--family", "both", c->path, NULL};
  int status = th_run(argv, &o);
  cr_assert_eq(status, 0, "%s: exit %d\n%s%s", c->path, status, o.out, o.err);
  cr_assert(strstr(o.out, "\n2 passed, 0 failed\n") != NULL, "%s: %s", c->path, o.out);
  th_out_free(&o);
}

Test(suite, has_the_seed_cases) {
  static const char *const seeds[] = {
      "client-close-server-silent", "server-close-on-eof", "server-close-delayed",
      "server-active-close", "client-linger-reset", "close-with-unread-data",
      "half-close-shut-wr", "peer-exit-without-close", "peer-killed"};
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.case", TCPCLOSE_CASES_DIR, seeds[i]);
    cr_assert_eq(access(path, R_OK), 0, "missing seed case %s", path);
  }
}
