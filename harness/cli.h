/* cli.h - the tcpclose command line (internal).
 *
 * Contract: each command is a function called by main() with the command
 * line (run gets it from the command word on, so that getopt skips
 * argv[0]; the others the words after it) and returning the process exit
 * status: 0 all good, 1 a case failed (compare: the runs differ), 2 bad
 * usage or a bad case file, 130 interrupted. They run in the tcpclose
 * process, on its main thread (run's cases on one libuv loop there). Only
 * the cli_*.c files print; nothing below them does.
 */
#ifndef TCPCLOSE_CLI_H
#define TCPCLOSE_CLI_H

#include <stddef.h>

#include "tcpclose/case.h"

#define TC__EXIT_OK 0
#define TC__EXIT_FAIL 1
#define TC__EXIT_USAGE 2
#define TC__EXIT_INTERRUPTED 130

struct tc__case_set {
  tc_case *cases;
  size_t n, cap;
};

/* The running binary's path, and the peer executable the runner starts:
 * tcpclose-peer beside the binary (a build tree, a copied pair), else in
 * ../libexec/tcpclose/ beside it (an installed prefix, moved or not), else
 * where it was installed, else "" (peers then run as `tcpclose
 * __peer`, the same code with every library loaded). 0, or -1 when the
 * binary's own path is unknown. */
struct tc__cli_exes {
  char self[4096], peer[4096];
};
int tc__cli_exes(struct tc__cli_exes *e);

/* Finds the case files named by paths (a directory: its *.case files in
 * name order; none given: "cases") and parses them all, so that a bad file
 * is reported before anything runs. Prints each error as one line; returns
 * 0 or TC__EXIT_USAGE. */
int tc__cases_load(char **paths, int npaths, struct tc__case_set *set);
void tc__cases_free(struct tc__case_set *set);

/* The suite's directory when no case is named, the first that exists of:
 * ../cases beside the executable (a build in the source tree),
 * ../share/tcpclose/cases beside it (an installed, moved prefix), the
 * source tree and the install prefix it was built for, ./cases. Writes it
 * into dir ("cases" when it is ./cases) and says in *where which it was.
 * 0, or -1 when there is none. */
int tc__cases_default(char *dir, size_t len, const char **where);

int tc__cmd_run(int argc, char **argv);
int tc__cmd_check(int argc, char **argv);
int tc__cmd_list(int argc, char **argv);
int tc__cmd_compare(int argc, char **argv);

/* Loads results files for compare and report, printing a line for each bad
 * one; 0 or TC__EXIT_USAGE (bad ones are NULL in runs). */
struct tc_cmp_run;
int tc__cli_load_runs(char **files, int n, struct tc_cmp_run **runs);
int tc__cmd_grid(int argc, char **argv);
int tc__cmd_report(int argc, char **argv);
/* probe: exit 1 when a scenario leaks, 2 bad usage or a scenario not played */
int tc__cmd_probe(int argc, char **argv);

#endif
