/* netns_linux.c - entering and leaving a network namespace, on Linux (see
 * netns.h). Called by peers (before any socket), and by threadpool threads
 * of the runner that open observers inside a case's namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

int tc__netns_join(pid_t pid, int *old, tc_err *err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (old != NULL) *old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (old != NULL && *old < 0) || setns(fd, CLONE_NEWNET) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    if (old != NULL && *old >= 0) close(*old);
    if (old != NULL) *old = -1; /* nothing to return to: tc__netns_leave must not try */
    return tc_errf(err, -e, "cannot enter the case's network namespace (%s): %s", path,
                   strerror(e));
  }
  close(fd);
  return 0;
}

void tc__netns_leave(int old) {
  if (old < 0) return;
  /* Observing or acting in the wrong namespace would lie or touch the host:
   * stop, saying why, rather than go on. */
  if (setns(old, CLONE_NEWNET) < 0) {
    fprintf(stderr, "tcpclose: cannot return to the original network namespace: %s\n",
            strerror(errno));
    abort();
  }
  close(old);
}

int tc__netns_possible(tc_err *err) {
  if (geteuid() != 0)
    return tc_errf(err, -EPERM,
                   "not root: no network namespace of its own (cases run on the host's loopback)");
  return 0;
}
