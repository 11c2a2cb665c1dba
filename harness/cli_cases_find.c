/* cli_cases_find.c - where `tcpclose run` finds the suite when no case is
 * named (see cli.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "cli.h"

#ifndef TCPCLOSE_SOURCE_CASES
#define TCPCLOSE_SOURCE_CASES ""
#endif
#ifndef TCPCLOSE_INSTALL_CASES
#define TCPCLOSE_INSTALL_CASES ""
#endif

static int is_dir(const char *path) {
  struct stat st;
  return path[0] != '\0' && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the running executable, "" when unknown. */
static void exe_dir(char *buf, size_t len) {
  size_t n = len;
  if (uv_exepath(buf, &n) < 0) n = 0;
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash != NULL)
    *slash = '\0';
  else
    buf[0] = '\0';
}

/* dir as the results name it: "cases" when it is the working directory's
 * cases/, so that results files keep their relative paths. */
static void name_it(const char *found, char *dir, size_t len) {
  char a[PATH_MAX], b[PATH_MAX];
  if (realpath(found, a) != NULL && realpath("cases", b) != NULL && strcmp(a, b) == 0)
    snprintf(dir, len, "cases");
  else
    snprintf(dir, len, "%s", realpath(found, a) != NULL ? a : found);
}

int tc__cases_default(char *dir, size_t len, const char **where) {
  char exe[PATH_MAX - 32], cand[5][PATH_MAX];
  static const char *const said[] = {"beside the binary", "installed beside the binary",
                                     "the source tree", "installed", "the working directory"};
  exe_dir(exe, sizeof exe);
  snprintf(cand[0], sizeof cand[0], "%s/../cases", exe);
  snprintf(cand[1], sizeof cand[1], "%s/../share/tcpclose/cases", exe);
  snprintf(cand[2], sizeof cand[2], "%s", TCPCLOSE_SOURCE_CASES);
  snprintf(cand[3], sizeof cand[3], "%s", TCPCLOSE_INSTALL_CASES);
  snprintf(cand[4], sizeof cand[4], "cases");
  for (int i = 0; i < 5; i++) {
    if (!is_dir(cand[i]) || (i < 2 && exe[0] == '\0')) continue;
    name_it(cand[i], dir, len);
    *where = said[i];
    return 0;
  }
  return -1;
}
