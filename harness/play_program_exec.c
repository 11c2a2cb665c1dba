/* play_program_exec.c - the child's side of a program under test:
 *   tcpclose __exec NETNS_PID DIR COMMAND
 * Runs in the process play_program.c starts (a session of its own, so the
 * program and all it starts are one process group). It joins the network
 * namespace of process NETNS_PID (0: stays on the host), moves to DIR (the
 * case file's folder), lets go of the runner's control channel (fd 3: the
 * program has no business with it) and becomes `/bin/sh -c COMMAND`.
 * Returns only when it cannot: 127 and one line on stderr, which the
 * runner keeps as the program's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "netns.h"
#include "peer_proto.h"
#include "play_proc.h"

int tc__program_exec_main(int argc, char **argv) {
  tc_err err;
  if (argc != 5) {
    fprintf(stderr, "usage: tcpclose __exec NETNS_PID DIR COMMAND\n");
    return 127;
  }
  pid_t netns = (pid_t)atoi(argv[2]);
  if (netns > 0 && tc__netns_join(netns, NULL, &err) < 0) {
    fprintf(stderr, "tcpclose: cannot enter the case's namespace: %s\n", err.msg);
    return 127;
  }
  if (chdir(argv[3]) < 0) {
    fprintf(stderr, "tcpclose: cannot go to %s: %s\n", argv[3], strerror(errno));
    return 127;
  }
  close(TC__PROTO_FD);
  /* The runner goes before ordinary work (cli_run.c) and its children
   * inherit that: the program under test runs as any program does. */
  setpriority(PRIO_PROCESS, 0, 0);
  execl("/bin/sh", "sh", "-c", argv[4], (char *)NULL);
  fprintf(stderr, "tcpclose: cannot run /bin/sh: %s\n", strerror(errno));
  return 127;
}
