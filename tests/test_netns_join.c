/* test_netns_join.c - joining a case's namespace whose holder is gone: an
 * error, and nothing to return to. Found by the sanitized build: a step
 * timeout killed the holder while a threadpool thread was still opening
 * the observers; its join failed, closed the saved namespace fd but left
 * its number in *old, and the leave then called setns() on a closed (or
 * reused) descriptor and aborted. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"

/* A pid that has just been reaped: nothing has it now. */
static pid_t gone_pid(void) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) _exit(0);
  cr_assert_eq(waitpid(pid, NULL, 0), pid);
  return pid;
}

/* The lowest free descriptor: a leak or a double close moves it. */
static int lowest_free_fd(void) {
  int fd = open("/dev/null", O_RDONLY);
  cr_assert_geq(fd, 0);
  close(fd);
  return fd;
}

Test(netns_join, a_gone_holder_is_an_error_and_leaves_no_fd_to_return_to) {
  int before = lowest_free_fd(), old = 12345;
  tc_err err = {""};
  int rc = tc__netns_join(gone_pid(), &old, &err);
  cr_assert_eq(rc, -ENOENT, "expected -ENOENT but got %d: %s", rc, err.msg);
  cr_assert_eq(old, -1, "expected *old -1 but got %d", old);
  cr_assert(strstr(err.msg, "cannot enter the case's network namespace") != NULL, "%s", err.msg);
  cr_assert_eq(lowest_free_fd(), before, "a descriptor leaked");
  tc__netns_leave(old); /* a no-op for -1, as callers do after a failed join */
}
