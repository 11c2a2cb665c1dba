/* peer_main.c - tcpclose-peer, the executable the runner starts for each
 * peer: `tcpclose-peer __peer ROLE NETNS_PID` (peer.h). The same command
 * as `tcpclose __peer`, in a binary that links libuv alone.
 *
 * Why a binary of its own: a run starts two peers per case (360 in the
 * quick suite over both families), and the dynamic loader's work for
 * tcpclose's 23 libraries (libpcap brings dbus and systemd, libnftables
 * gmp and xtables) cost each start 21 ms of CPU against 9 ms for this
 * one, on a loaded 2-core machine: a quarter of the suite's CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

int main(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[1], "__peer") != 0) {
    fprintf(stderr, "tcpclose-peer: started by `tcpclose run`, not by hand\n");
    return 2;
  }
  return tc__peer_main(argc > 3 ? atoi(argv[3]) : 0);
}
