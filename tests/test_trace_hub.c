/* test_trace_hub.c - the traces of one process share one tracefs instance:
 * it exists while a trace is open and is gone after the last close, and
 * each trace keeps only its own port's sockets, even when another trace's
 * poll read them from the kernel. Needs root and tracefs; each test runs in
 * a namespace of its own (Criterion forks one process per test). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcpclose/tcpstate.h"
#include "tcpclose/trace.h"

static void lo_up(void) {
  struct ifreq ifr = {0};
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  cr_assert_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
  ifr.ifr_flags |= IFF_UP;
  cr_assert_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
  close(fd);
}

static void own_namespace(void) {
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "needs root: %s", strerror(errno));
  lo_up();
}

/* tcpclose-<our pid>-* instances in tracefs. */
static int our_instances(void) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "tcpclose-%ld-", (long)getpid());
  DIR *d = opendir("/sys/kernel/tracing/instances");
  cr_assert_not_null(d, "tracefs is not mounted at /sys/kernel/tracing");
  int n = 0;
  for (struct dirent *de; (de = readdir(d)) != NULL;)
    n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
  closedir(d);
  return n;
}

/* A listener on 127.0.0.1, on a port the kernel picks. */
static int listener(uint16_t *port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
  cr_assert_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return l;
}

/* A connection to the listener, closed from both sides. */
static void one_connection(int l, uint16_t port) {
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port)};
  int c = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
  int s = accept(l, NULL, NULL);
  cr_assert_geq(s, 0);
  close(c);
  close(s);
}

static tc_trace *open_trace(uint16_t port) {
  tc_trace *t = NULL;
  tc_err err = {""};
  int rc = tc_trace_open(port, &t, &err);
  cr_assert_eq(rc, 0, "tc_trace_open: %s", err.msg);
  return t;
}

/* How many connects t saw (CLOSE -> SYN_SENT); every event it kept must
 * have `port` on one side. */
static int connects_seen(tc_trace *t, uint16_t port) {
  size_t n;
  int connects = 0;
  const struct tc_trace_event *ev = tc_trace_events(t, &n);
  for (size_t i = 0; i < n; i++) {
    cr_assert(ev[i].tuple.local.port == port || ev[i].tuple.remote.port == port,
              "event %zu of port %u's trace is of %u -> %u", i, port, ev[i].tuple.local.port,
              ev[i].tuple.remote.port);
    connects += ev[i].kind == TC_TRACE_STATE && ev[i].to == TC_STATE_SYN_SENT;
  }
  return connects;
}

Test(trace_hub, one_instance_while_traces_are_open_and_none_after) {
  own_namespace();
  cr_assert_eq(our_instances(), 0);
  tc_trace *a = open_trace(1001), *b = open_trace(1002);
  cr_assert_eq(our_instances(), 1, "two traces, %d instances", our_instances());
  tc_trace_close(a);
  cr_assert_eq(our_instances(), 1, "the other trace still needs it");
  tc_trace_close(b);
  cr_assert_eq(our_instances(), 0, "left after the last close");
}

/* A process that holds one of the instance's files (as a child being
 * started does, until its exec) makes the kernel refuse to remove it for
 * that while: the last close still removes it. */
Test(trace_hub, removed_after_the_last_close_even_while_a_child_holds_a_file) {
  own_namespace();
  tc_trace *a = open_trace(1003);
  char path[128];
  snprintf(path, sizeof path, "/sys/kernel/tracing/instances/tcpclose-%ld-1/trace", (long)getpid());
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t child = fork();
  cr_assert_geq(child, 0);
  if (child == 0) {
    int fd = open(path, O_RDONLY);
    if (write(go[1], "x", 1) != 1 || fd < 0) _exit(1);
    usleep(200 * 1000); /* the close below comes meanwhile */
    _exit(0);
  }
  char x;
  cr_assert_eq(read(go[0], &x, 1), 1, "the child could not open %s", path);
  tc_trace_close(a);
  int status;
  cr_assert_eq(waitpid(child, &status, 0), child);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child could not open %s", path);
  cr_assert_eq(our_instances(), 0, "left after the last close while a child held a file");
}

/* Only b polls while both connections are made: a's events, read from the
 * kernel by b's polls, wait for a. A connection the instance recorded
 * before a opened is not a's. */
Test(trace_hub, each_trace_gets_its_own_port_whoever_polls) {
  own_namespace();
  uint16_t p1, p2;
  int l1 = listener(&p1), l2 = listener(&p2);
  tc_trace *b = open_trace(p2);
  one_connection(l1, p1); /* in the instance, but before a opened */
  tc_trace *a = open_trace(p1);
  one_connection(l1, p1);
  one_connection(l2, p2);
  tc_err err = {""};
  for (int i = 0; i < 20 && connects_seen(b, p2) == 0; i++) {
    cr_assert_eq(tc_trace_poll(b, &err), 0, "%s", err.msg);
    usleep(10000);
  }
  cr_assert_eq(connects_seen(b, p2), 1);
  cr_assert_eq(connects_seen(a, p1), 0, "a got events without polling");
  cr_assert_eq(tc_trace_poll(a, &err), 0, "%s", err.msg);
  cr_assert_eq(connects_seen(a, p1), 1, "a's connect, read by b's polls, was not handed to a");
  tc_trace_close(a);
  tc_trace_close(b);
  close(l1);
  close(l2);
}
