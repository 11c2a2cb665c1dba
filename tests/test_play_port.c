/* test_play_port.c - the server port the runner picks where the case has no
 * namespace of its own (play_port.h): never a port some socket already
 * talks to or holds. Live, in a namespace of the test's own that stands for
 * the host: a client socket of an earlier run left in TIME_WAIT towards a
 * port (the --no-netns flake: its TIME_WAIT was counted as the case's), a
 * listener on a port, and nothing at all. */
#define _GNU_SOURCE /* unshare() */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "play_port.h"
#include "tcpclose/case.h"
#include "tcpclose/tcpstate.h"

#define SEED 4242u

/* The n-th port (1-based) tc__port_pick draws from SEED. */
static uint16_t draw(int n) {
  unsigned seed = SEED, r = 0;
  for (int i = 0; i < n; i++) r = (unsigned)rand_r(&seed);
  return (uint16_t)(TC__PORT_MIN + r % TC__PORT_SPAN);
}

static void own_namespace(void) {
  if (geteuid() != 0) cr_skip_test("needs root (a network namespace of its own)");
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
  cr_assert_eq(system("ip link set lo up"), 0);
}

static struct tc_addr loopback(int family, uint16_t port) {
  struct tc_addr a;
  cr_assert_eq(tc_addr_parse(family == AF_INET6 ? "::1" : "127.0.0.1", port, &a), 0);
  return a;
}

/* The family's loopback and port as a sockaddr; its length. */
static socklen_t sockaddr_of(int family, uint16_t port, struct sockaddr_storage *ss) {
  struct tc_addr a = loopback(family, port);
  return tc_addr_to_sockaddr(&a, ss);
}

static int listener_on(int family, uint16_t port) {
  struct sockaddr_storage ss;
  socklen_t len = sockaddr_of(family, port, &ss);
  int fd = socket(family, SOCK_STREAM, 0), one = 1;
  cr_assert_geq(fd, 0);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0, "bind %u: %s", port, strerror(errno));
  cr_assert_eq(listen(fd, 4), 0);
  return fd;
}

static unsigned long count(tc_observer *obs, int family, uint16_t port, int role, int state) {
  struct tc_count_query q = {.server = loopback(family, port), .role = role};
  struct tc_counts c;
  tc_err err = {{0}};
  cr_assert_eq(tc_observer_count(obs, &q, &c, &err), 0, "%s", err.msg);
  return c.state[state];
}

/* A connection to port that the client closed first and the server then:
 * the client's socket waits in TIME_WAIT, the server's is gone once the
 * client's last ACK is in (RFC 9293 3.6), and so is the listener. */
static void leave_time_wait_towards(tc_observer *obs, int family, uint16_t port) {
  struct sockaddr_storage ss;
  socklen_t len = sockaddr_of(family, port, &ss);
  int l = listener_on(family, port), c = socket(family, SOCK_STREAM, 0);
  cr_assert_eq(connect(c, (struct sockaddr *)&ss, len), 0, "connect: %s", strerror(errno));
  int s = accept(l, NULL, NULL);
  cr_assert_geq(s, 0);
  close(c);
  close(s);
  close(l);
  /* loopback delivers in the sender's call; the bound is for a machine
   * that is very busy, not a measure */
  for (int i = 0; i < 5000 && count(obs, family, port, TC_SERVER, TC_STATE_LAST_ACK) > 0; i++)
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  cr_assert_eq(count(obs, family, port, TC_CLIENT, TC_STATE_TIME_WAIT), 1);
  for (int st = 0; st < TC_STATE_COUNT; st++)
    cr_assert_eq(count(obs, family, port, TC_SERVER, st), 0, "a server socket in %s",
                 tc_state_name(st));
}

static void skips_time_wait_towards(int family, const char *backend) {
  own_namespace();
  tc_observer *obs;
  tc_err err = {{0}};
  cr_assert_eq(tc_observer_open(backend, &obs, &err), 0, "%s: %s", backend, err.msg);
  cr_assert_neq(draw(1), draw(2));
  leave_time_wait_towards(obs, family, draw(1));
  struct tc_addr a = loopback(family, 0);
  cr_assert_eq(tc__port_pick(obs, &a, SEED, &err), 0, "%s", err.msg);
  cr_assert_eq(a.port, draw(2), "%s picked %u: a socket in TIME_WAIT talks to %u", backend, a.port,
               draw(1));
  tc_observer_close(obs);
}

Test(play_port, ipv4_skips_a_port_a_time_wait_socket_talks_to_diag) {
  skips_time_wait_towards(AF_INET, "diag");
}
Test(play_port, ipv6_skips_a_port_a_time_wait_socket_talks_to_diag) {
  skips_time_wait_towards(AF_INET6, "diag");
}
Test(play_port, ipv4_skips_a_port_a_time_wait_socket_talks_to_procfs) {
  skips_time_wait_towards(AF_INET, "procfs");
}

Test(play_port, skips_a_port_a_listener_holds) {
  own_namespace();
  tc_observer *obs;
  tc_err err = {{0}};
  cr_assert_eq(tc_observer_open("diag", &obs, &err), 0, "%s", err.msg);
  int l = listener_on(AF_INET, draw(1));
  struct tc_addr a = loopback(AF_INET, 0);
  cr_assert_eq(tc__port_pick(obs, &a, SEED, &err), 0, "%s", err.msg);
  cr_assert_eq(a.port, draw(2));
  close(l);
  tc_observer_close(obs);
}

Test(play_port, takes_the_first_port_drawn_when_nothing_uses_it) {
  own_namespace();
  tc_observer *obs;
  tc_err err = {{0}};
  cr_assert_eq(tc_observer_open("diag", &obs, &err), 0, "%s", err.msg);
  struct tc_addr a = loopback(AF_INET6, 0);
  cr_assert_eq(tc__port_pick(obs, &a, SEED, &err), 0, "%s", err.msg);
  cr_assert_eq(a.port, draw(1));
  cr_assert_eq(a.family, AF_INET6);
  tc_observer_close(obs);
}
