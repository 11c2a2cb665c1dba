/* netns_none.c - builds without the Linux components have no namespaces:
 * cases run on the host's loopback, and those that need a namespace of
 * their own (sysctl, drop) are skipped, saying why (see netns.h). */
#include <errno.h>

#include "netns.h"

int tc__netns_main(void) { return 2; }

int tc__netns_join(pid_t pid, int *old, tc_err *err) {
  (void)pid;
  (void)old;
  return tc_errf(err, -ENOTSUP, "network namespaces: not in this build");
}

void tc__netns_leave(int old) { (void)old; }

int tc__netns_possible(tc_err *err) {
  return tc_errf(err, -ENOTSUP,
                 "network namespaces: not in this build (TCPCLOSE_LINUX_OBSERVERS=OFF)");
}
