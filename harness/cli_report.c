/* cli_report.c - `tcpclose report RESULTS.json [MORE.json ...] -o FILE.html`:
 * the HTML report of one run, or of several side by side (report.h does
 * the work); --svg-dir also writes each case's diagram of the first run as
 * DIR/NAME.svg. Exit 0 written, 1 could not write, 2 bad usage or a file
 * that is not a results file (each one reported, nothing written). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static const char usage[] =
    "usage: tcpclose report RESULTS.json [MORE.json ...] -o FILE.html [--svg-dir DIR]\n"
    "  writes one self-contained HTML page: a summary table and, per case, a\n"
    "  sequence diagram of its steps, states, checkpoints and segments; with\n"
    "  several results files (e.g. two kernels) the same case side by side, with\n"
    "  the differences `tcpclose compare` finds highlighted\n"
    "  -o, --output FILE  the HTML file (written atomically)\n"
    "  --svg-dir DIR      also each case's diagram of the first file as DIR/NAME.svg\n";

struct report_args {
  const char *output, *svg_dir;
  char **files;
  int nfiles;
};

/* -1 to go on, else an exit status (reported). */
static int parse_args(int argc, char **argv, struct report_args *a) {
  *a = (struct report_args){.files = argv};
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) return fputs(usage, stdout), TC__EXIT_OK;
    if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0 || strcmp(s, "--svg-dir") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "tcpclose report: option '%s' needs a value\n", s);
        return TC__EXIT_USAGE;
      }
      *(strcmp(s, "--svg-dir") == 0 ? &a->svg_dir : &a->output) = argv[++i];
    } else if (s[0] == '-' && s[1] != '\0') {
      fprintf(stderr, "tcpclose report: unknown option '%s' (see tcpclose report --help)\n", s);
      return TC__EXIT_USAGE;
    } else {
      a->files[a->nfiles++] = argv[i]; /* in place: argv[i] is at or past nfiles */
    }
  }
  if (a->nfiles == 0 || (a->output == NULL && a->svg_dir == NULL)) {
    fprintf(stderr,
            "tcpclose report: name a results file and -o FILE.html (see tcpclose report --help)\n");
    return TC__EXIT_USAGE;
  }
  return -1;
}

static int write_all(const struct report_args *a, tc_cmp_run **runs) {
  tc_err err;
  if (a->output != NULL &&
      tc__report_write(a->output, TC__REPORT_HTML, runs, (size_t)a->nfiles, &err) < 0) {
    fprintf(stderr, "tcpclose report: %s\n", err.msg);
    return TC__EXIT_FAIL;
  }
  if (a->svg_dir != NULL && tc__report_svg_dir(a->svg_dir, runs[0], &err) < 0) {
    fprintf(stderr, "tcpclose report: %s\n", err.msg);
    return TC__EXIT_FAIL;
  }
  if (a->output != NULL)
    printf("report of %d run%s in %s\n", a->nfiles, a->nfiles == 1 ? "" : "s", a->output);
  if (a->svg_dir != NULL)
    printf("%zu diagrams in %s\n", json_array_size(runs[0]->cases), a->svg_dir);
  return TC__EXIT_OK;
}

int tc__cmd_report(int argc, char **argv) {
  struct report_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  tc_cmp_run **runs = calloc((size_t)a.nfiles, sizeof *runs);
  if (runs == NULL) {
    fprintf(stderr, "tcpclose report: out of memory\n");
    return TC__EXIT_FAIL;
  }
  rc = tc__cli_load_runs(a.files, a.nfiles, runs);
  if (rc == 0) rc = write_all(&a, runs);
  for (int i = 0; i < a.nfiles; i++) tc_cmp_run_free(runs[i]);
  free(runs);
  return rc;
}
