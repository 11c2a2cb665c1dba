/* cli_cases.c - finding and loading the case files a command names: a
 * file, or a directory's *.case files and those of its subdirectories one
 * level down (cases/ and cases/grid/), each directory in name order. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "grow.h"

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

static int case_file_filter(const struct dirent *d) { return has_suffix(d->d_name, ".case"); }

static int add_case(struct tc__case_set *set, const char *file) {
  if (tc__grow(&set->cases, &set->cap, set->n + 1, 32, sizeof *set->cases) < 0) return -ENOMEM;
  tc_err err;
  if (tc_case_parse_file(file, &set->cases[set->n], &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return -EINVAL;
  }
  set->n++;
  return 0;
}

static int subdir_filter(const struct dirent *d) {
  return d->d_name[0] != '.' && (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN);
}

/* The *.case files of one directory; how many in *found. */
static int add_files(struct tc__case_set *set, const char *dir, int *found) {
  struct dirent **names;
  int n = scandir(dir, &names, case_file_filter, alphasort), bad = 0;
  if (n < 0) {
    fprintf(stderr, "%s: cannot read directory: %s\n", dir, strerror(errno));
    return -errno;
  }
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    if (add_case(set, path) < 0) bad = 1;
    free(names[i]);
  }
  free(names);
  *found += n;
  return bad ? -EINVAL : 0;
}

/* A directory's cases, then its subdirectories' (one level only: deeper
 * trees are for a user to name). */
static int add_dir(struct tc__case_set *set, const char *dir) {
  struct dirent **names;
  int found = 0, bad = add_files(set, dir, &found) < 0;
  int n = scandir(dir, &names, subdir_filter, alphasort);
  for (int i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && add_files(set, path, &found) < 0) bad = 1;
    free(names[i]);
  }
  if (n > 0) free(names);
  if (found == 0 && !bad) fprintf(stderr, "%s: no *.case files\n", dir);
  return bad || found == 0 ? -EINVAL : 0;
}

int tc__cases_load(char **paths, int npaths, struct tc__case_set *set) {
  static char *dflt[] = {"cases"};
  int bad = 0;
  memset(set, 0, sizeof *set);
  if (npaths == 0) {
    paths = dflt;
    npaths = 1;
  }
  for (int i = 0; i < npaths; i++) {
    struct stat st;
    if (stat(paths[i], &st) < 0) {
      fprintf(stderr, "%s: %s\n", paths[i], strerror(errno));
      bad = 1;
    } else if (S_ISDIR(st.st_mode) ? add_dir(set, paths[i]) < 0 : add_case(set, paths[i]) < 0) {
      bad = 1;
    }
  }
  if (!bad) return 0;
  tc__cases_free(set);
  return TC__EXIT_USAGE;
}

void tc__cases_free(struct tc__case_set *set) {
  for (size_t i = 0; i < set->n; i++) tc_case_free(&set->cases[i]);
  free(set->cases);
  memset(set, 0, sizeof *set);
}
