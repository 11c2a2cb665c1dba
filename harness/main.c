/* main.c - tcpclose's entry point: picks the command. The hidden commands
 * are how the runner starts its processes: `__netns` the namespace holder,
 * `__exec` a program under test, `__peer` a peer when tcpclose-peer is
 * not there (peer.h, peer_main.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "netns.h"
#include "peer.h"
#include "play_proc.h"

#define TCPCLOSE_VERSION "0.1.0"

static const char usage[] =
    "usage: tcpclose COMMAND [ARGS]\n"
    "  run [-v] [--json FILE] [--html FILE] [...] [FILE|DIR ...]  play cases (default: the suite)\n"
    "  check FILE|DIR ...                                validate case files\n"
    "  list [FILE|DIR ...]                               list cases with what they show\n"
    "  compare [--markdown] A.json B.json [...]          where results files differ\n"
    "  grid [--family ipv4|ipv6] RESULTS.json            the teardown grid of a results file, as "
    "markdown\n"
    "  report RESULTS.json [...] -o FILE.html            sequence diagrams and summary as HTML\n"
    "  probe [--port N] [--send TEXT] [--churn N] [--grace DUR] [--family F] [--json FILE] -- "
    "COMMAND [ARGS...]\n"
    "                                                    a teardown checkup of a server program\n"
    "  --version, --help\n"
    "exit status: 0 all passed, 1 a case failed, 2 bad usage or case file, 130 interrupted\n";

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "__peer") == 0) return tc__peer_main(argc > 3 ? atoi(argv[3]) : 0);
  if (strcmp(cmd, "__netns") == 0) return tc__netns_main();
  if (strcmp(cmd, "__exec") == 0) return tc__program_exec_main(argc, argv);
  if (strcmp(cmd, "run") == 0) return tc__cmd_run(argc - 1, argv + 1);
  if (strcmp(cmd, "check") == 0) return tc__cmd_check(argc - 2, argv + 2);
  if (strcmp(cmd, "list") == 0) return tc__cmd_list(argc - 2, argv + 2);
  if (strcmp(cmd, "compare") == 0) return tc__cmd_compare(argc - 2, argv + 2);
  if (strcmp(cmd, "grid") == 0) return tc__cmd_grid(argc - 2, argv + 2);
  if (strcmp(cmd, "report") == 0) return tc__cmd_report(argc - 2, argv + 2);
  if (strcmp(cmd, "probe") == 0) return tc__cmd_probe(argc - 2, argv + 2);
  if (strcmp(cmd, "--version") == 0) {
    printf("tcpclose %s\n", TCPCLOSE_VERSION);
    return TC__EXIT_OK;
  }
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return TC__EXIT_OK;
  }
  if (*cmd == '\0')
    fputs(usage, stderr);
  else
    fprintf(stderr,
            "tcpclose: unknown command '%s' (expected run, check, list, compare, report, grid or "
            "probe; "
            "see --help)\n",
            cmd);
  return TC__EXIT_USAGE;
}
