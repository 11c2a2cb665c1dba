/* cli_compare.c - `tcpclose compare A.json B.json [...]`: where results
 * files of different kernels or systems differ (compare.h does the work).
 * Exit 0 when the behaviour is the same, 1 when it differs, 2 for bad
 * usage or a file that is not a tcpclose results file (every such file is
 * reported, one line each, before exiting). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tcpclose/compare.h"

static const char usage[] =
    "usage: tcpclose compare [--markdown] [--all] [--timing] [--tolerance-ms N] A.json B.json "
    "[C.json ...]\n"
    "  compares results files case by case and checkpoint by checkpoint: verdicts,\n"
    "  observed values, state paths, the teardown on the wire, and durations\n"
    "  --markdown         a GitHub markdown table instead of aligned text\n"
    "  --all              also the rows that do not count (timing, not observed everywhere)\n"
    "  --tolerance-ms N   durations within N ms are the same (default 200)\n"
    "  --timing           durations beyond the tolerance count as differences\n"
    "exit status: 0 same behaviour, 1 it differs, 2 bad usage or input\n";

struct compare_args {
  struct tc_cmp_opts opts;
  int markdown, all;
  char **files;
  int nfiles;
};

/* 0, TC__EXIT_OK for --help (printed), or TC__EXIT_USAGE (reported). */
static int parse_args(int argc, char **argv, struct compare_args *a) {
  *a = (struct compare_args){.opts = {.tolerance_ms = 200}, .files = argv, .nfiles = 0};
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
      fputs(usage, stdout);
      return TC__EXIT_OK;
    } else if (strcmp(s, "--markdown") == 0) {
      a->markdown = 1;
    } else if (strcmp(s, "--all") == 0) {
      a->all = 1;
    } else if (strcmp(s, "--timing") == 0) {
      a->opts.timing = 1;
    } else if (strcmp(s, "--tolerance-ms") == 0) {
      char *end = NULL;
      const char *v = i + 1 < argc ? argv[++i] : "";
      errno = 0;
      long ms = strtol(v, &end, 10);
      if (*v < '0' || *v > '9' || *end != '\0' || errno != 0) {
        fprintf(stderr, "tcpclose compare: --tolerance-ms '%s' is not a number of milliseconds\n",
                v);
        return TC__EXIT_USAGE;
      }
      a->opts.tolerance_ms = ms;
    } else if (s[0] == '-' && s[1] != '\0') {
      fprintf(stderr, "tcpclose compare: unknown option '%s' (see tcpclose compare --help)\n", s);
      return TC__EXIT_USAGE;
    } else {
      a->files[a->nfiles++] = argv[i]; /* in place: argv[i] is at or past nfiles */
    }
  }
  if (a->nfiles < 2) {
    fprintf(stderr,
            "tcpclose compare: name at least two results files (see tcpclose compare --help)\n");
    return TC__EXIT_USAGE;
  }
  return -1;
}

int tc__cli_load_runs(char **files, int n, tc_cmp_run **runs) {
  int bad = 0;
  for (int i = 0; i < n; i++) {
    tc_err err;
    if (tc_cmp_load(files[i], &runs[i], &err) < 0) {
      fprintf(stderr, "%s\n", err.msg);
      runs[i] = NULL;
      bad = 1;
    }
  }
  return bad ? TC__EXIT_USAGE : 0;
}

int tc__cmd_compare(int argc, char **argv) {
  struct compare_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  tc_cmp_run **runs = calloc((size_t)a.nfiles, sizeof *runs);
  if (runs == NULL) {
    fprintf(stderr, "tcpclose compare: out of memory\n");
    return TC__EXIT_USAGE;
  }
  rc = tc__cli_load_runs(a.files, a.nfiles, runs);
  if (rc == 0) {
    struct tc_cmp_report rep;
    tc_err err;
    if (tc_cmp_build(runs, (size_t)a.nfiles, &a.opts, &rep, &err) < 0) {
      fprintf(stderr, "tcpclose %s\n", err.msg);
      rc = TC__EXIT_USAGE;
    } else {
      tc_cmp_print(&rep, a.markdown, a.all, stdout);
      rc = rep.ncounted > 0 ? TC__EXIT_FAIL : TC__EXIT_OK;
    }
    tc_cmp_report_free(&rep);
  }
  for (int i = 0; i < a.nfiles; i++) tc_cmp_run_free(runs[i]);
  free(runs);
  return rc;
}
