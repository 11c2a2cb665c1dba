/* cli_check.c - `tcpclose check` (validate case files) and `tcpclose list`
 * (their names and what they show). Both parse every file named, so both
 * report every bad file, one line each, and exit 2 if there was one. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int wants_help(int argc, char **argv, const char *usage) {
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return 1;
    }
    if (argv[i][0] == '-') {
      fprintf(stderr, "tcpclose: unknown option '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }
  return 0;
}

int tc__cmd_check(int argc, char **argv) {
  struct tc__case_set set;
  int h = wants_help(
      argc, argv,
      "usage: tcpclose check FILE|DIR...\n  validates case files without running them\n");
  if (h) return h == 1 ? TC__EXIT_OK : TC__EXIT_USAGE;
  if (argc == 0) {
    fprintf(stderr, "tcpclose check: name at least one case file or directory\n");
    return TC__EXIT_USAGE;
  }
  int rc = tc__cases_load(argv, argc, &set);
  if (rc != 0) return rc;
  printf("%zu case file%s ok\n", set.n, set.n == 1 ? "" : "s");
  tc__cases_free(&set);
  return TC__EXIT_OK;
}

int tc__cmd_list(int argc, char **argv) {
  struct tc__case_set set;
  int h = wants_help(
      argc, argv,
      "usage: tcpclose list [FILE|DIR...]\n  lists cases (default: cases/) with what they show\n");
  if (h) return h == 1 ? TC__EXIT_OK : TC__EXIT_USAGE;
  int rc = tc__cases_load(argv, argc, &set);
  if (rc != 0) return rc;
  int width = 0;
  for (size_t i = 0; i < set.n; i++)
    if ((int)strlen(set.cases[i].name) > width) width = (int)strlen(set.cases[i].name);
  for (size_t i = 0; i < set.n; i++)
    printf("%-*s  %s\n", width, set.cases[i].name, set.cases[i].about ? set.cases[i].about : "");
  tc__cases_free(&set);
  return TC__EXIT_OK;
}
