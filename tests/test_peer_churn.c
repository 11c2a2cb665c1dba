/* test_peer_churn.c - the peer's serve and churn (harness/peer_serve.c,
 * peer_churn.c, peer_conn.c), driven over its control socketpair as the
 * runner drives it, in a network namespace of the test's own: how many
 * connections complete, which errno the others fail with, and what the
 * kernel holds afterwards (tc_observer_count). Needs root (namespaces). */
#define _GNU_SOURCE /* unshare() */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer_driver.h"
#include "peer_proto.h"
#include "tcpclose/case.h"
#include "tcpclose/observe.h"
#include "tcpclose/tcpstate.h"

#define GUARD_MS 30000 /* a hang guard, never a measure */

static struct pd srv, cli;

static void stop_peers(void) {
  pd_stop(&cli);
  pd_stop(&srv);
}

TestSuite(peer_churn, .fini = stop_peers, .timeout = 120);

static void write_sysctl(const char *name, const char *value) {
  char path[256];
  snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
  int fd = open(path, O_WRONLY);
  cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
  cr_assert_eq(write(fd, value, strlen(value)), (ssize_t)strlen(value), "%s: %s", path,
               strerror(errno));
  close(fd);
}

/* A fresh network namespace with lo up (its sysctls are its own), then a
 * server and a client peer in it. */
static void start(void) {
  if (geteuid() != 0) cr_skip_test("needs root (a network namespace of its own)");
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
  cr_assert_eq(system("ip link set lo up"), 0);
  cr_assert_eq(pd_start(&srv, TCPCLOSE_PEER_BIN, "server"), 0);
  cr_assert_eq(pd_start(&cli, TCPCLOSE_PEER_BIN, "client"), 0);
}

static const char *loopback(int family) { return family == AF_INET6 ? "::1" : "127.0.0.1"; }

/* listen on the family's loopback; returns the port. */
static unsigned listen_on(int family) {
  char rest[256], host[64];
  unsigned port = 0;
  cr_assert_eq(pd_send(&srv, "1 listen %s 0 4096 0", loopback(family)), 0);
  cr_assert_eq(pd_reply(&srv, 1, rest, sizeof rest, GUARD_MS), 0, "listen: %s", rest);
  cr_assert_eq(sscanf(rest, "%63s %u", host, &port), 2, "listen answered '%s'", rest);
  return port;
}

static void serve(const char *words) {
  char rest[256];
  cr_assert_eq(pd_send(&srv, "2 serve %s", words), 0);
  cr_assert_eq(pd_reply(&srv, 2, rest, sizeof rest, GUARD_MS), 0, "serve: %s", rest);
}

static struct tc__churn_result churn(int family, unsigned port, unsigned long n, unsigned c,
                                     const char *words) {
  char rest[512];
  struct tc__churn_result r;
  cr_assert_eq(pd_send(&cli, "3 churn %s %u %lu %u %s", loopback(family), port, n, c, words), 0);
  cr_assert_eq(pd_reply(&cli, 3, rest, sizeof rest, GUARD_MS), 0, "churn: %s", rest);
  cr_assert_eq(tc__proto_churn_parse(rest, &r), 0, "churn answered '%s'", rest);
  cr_assert_eq(r.ok + r.failed, n, "churn answered '%s'", rest);
  return r;
}

static unsigned long errno_count(const struct tc__churn_result *r, int err) {
  for (size_t i = 0; i < r->nerrs; i++)
    if (r->errs[i].err == err) return r->errs[i].n;
  return 0;
}

/* The role's sockets in `state` once the count reaches `want` (closes
 * finish in the kernel a moment after the peer's answer), or the last
 * count after the guard. */
static unsigned long count_when(int family, unsigned port, int role, int state,
                                unsigned long want) {
  tc_observer *obs = NULL;
  tc_err err = {{0}};
  cr_assert_eq(tc_observer_open("diag", &obs, &err), 0, "%s", err.msg);
  struct tc_count_query q = {.role = role};
  cr_assert_eq(tc_addr_parse(loopback(family), port, &q.server), 0);
  struct tc_counts counts;
  for (int waited = 0; waited < GUARD_MS; waited += 10) {
    cr_assert_eq(tc_observer_count(obs, &q, &counts, &err), 0, "%s", err.msg);
    if (counts.state[state] == want) break;
    nanosleep(&(struct timespec){0, 10000000L}, NULL);
  }
  tc_observer_close(obs);
  return counts.state[state];
}

static int families[] = {AF_INET, AF_INET6};

ParameterizedTestParameters(peer_churn, client_first_churn_leaves_time_wait_on_the_client) {
  return cr_make_param_array(int, families, 2);
}

ParameterizedTest(int *family, peer_churn, client_first_churn_leaves_time_wait_on_the_client) {
  start();
  unsigned port = listen_on(*family);
  serve("recv:eof close:-1");
  struct tc__churn_result r = churn(*family, port, 300, 4, "send:10 close:-1");
  cr_assert_eq(r.ok, 300);
  cr_assert_eq(r.failed, 0);
  cr_assert_eq(r.nerrs, 0);
  cr_assert_gt(r.us, 0);
  /* connect() passes over a port whose 4-tuple this side holds in
   * TIME_WAIT (not reusable before 1 s): every connection its own */
  cr_assert_eq(r.tuples, 300);
  cr_assert_eq(count_when(*family, port, TC_CLIENT, TC_STATE_TIME_WAIT, 300), 300);
  cr_assert_eq(count_when(*family, port, TC_SERVER, TC_STATE_CLOSE_WAIT, 0), 0);
  cr_assert_eq(count_when(*family, port, TC_SERVER, TC_STATE_TIME_WAIT, 0), 0);
  cr_assert_eq(count_when(*family, port, TC_SERVER, TC_STATE_LISTEN, 1), 1);
}

/* One TIME_WAIT per 4-tuple: a connect may take a port again whose 4-tuple
 * the server holds (the client cannot know), and its SYN ends that
 * TIME_WAIT; the churn's answer says how many 4-tuples it took. */
Test(peer_churn, server_first_serve_leaves_time_wait_on_the_server) {
  start();
  unsigned port = listen_on(AF_INET);
  serve("send:3:6f6b0a close:-1");
  struct tc__churn_result r = churn(AF_INET, port, 100, 8, "recv:eof close:-1");
  cr_assert_eq(r.ok, 100);
  cr_assert(r.tuples > 0 && r.tuples <= 100, "tuples %lu", r.tuples);
  cr_assert_eq(count_when(AF_INET, port, TC_SERVER, TC_STATE_TIME_WAIT, r.tuples), r.tuples);
  cr_assert_eq(count_when(AF_INET, port, TC_CLIENT, TC_STATE_TIME_WAIT, 0), 0);
}

Test(peer_churn, bare_serve_holds_every_connection_in_close_wait) {
  start();
  unsigned port = listen_on(AF_INET);
  serve("");
  struct tc__churn_result r = churn(AF_INET, port, 50, 50, "close:-1");
  cr_assert_eq(r.ok, 50);
  cr_assert_eq(count_when(AF_INET, port, TC_SERVER, TC_STATE_CLOSE_WAIT, 50), 50);
  cr_assert_eq(count_when(AF_INET, port, TC_CLIENT, TC_STATE_FIN_WAIT2, 50), 50);
}

Test(peer_churn, linger_zero_churn_leaves_no_time_wait) {
  start();
  unsigned port = listen_on(AF_INET);
  serve("recv:eof close:-1");
  struct tc__churn_result r = churn(AF_INET, port, 100, 1, "close:0");
  cr_assert_eq(r.ok, 100);
  cr_assert_eq(count_when(AF_INET, port, TC_CLIENT, TC_STATE_TIME_WAIT, 0), 0);
  cr_assert_eq(count_when(AF_INET, port, TC_SERVER, TC_STATE_TIME_WAIT, 0), 0);
}

Test(peer_churn, waits_and_shutdowns_play_in_order) {
  start();
  unsigned port = listen_on(AF_INET);
  serve("recv:bytes:4 wait:20 send:5 shutdown:wr recv:eof close:-1");
  struct tc__churn_result r = churn(AF_INET, port, 20, 10, "send:4 recv:bytes:5 recv:eof close:-1");
  cr_assert_eq(r.ok, 20, "ok %lu failed %lu", r.ok, r.failed);
  cr_assert_eq(count_when(AF_INET, port, TC_SERVER, TC_STATE_TIME_WAIT, r.tuples), r.tuples);
}

Test(peer_churn, churn_to_a_closed_port_fails_with_econnrefused) {
  start();
  unsigned port = listen_on(AF_INET);
  char rest[64];
  cr_assert_eq(pd_send(&srv, "4 close -1 listener"), 0);
  cr_assert_eq(pd_reply(&srv, 4, rest, sizeof rest, GUARD_MS), 0);
  struct tc__churn_result r = churn(AF_INET, port, 20, 2, "close:-1");
  cr_assert_eq(r.ok, 0);
  cr_assert_eq(r.failed, 20);
  cr_assert_eq(r.nerrs, 1);
  cr_assert_eq(errno_count(&r, ECONNREFUSED), 20);
}

/* 10 ephemeral ports, each left in TIME_WAIT by a client-first close, and
 * no reuse of TIME_WAIT: connections 11 on find no port. The range is set
 * after the listener took its port (port 0 is ephemeral too). */
Test(peer_churn, churn_past_the_port_range_fails_with_eaddrnotavail) {
  start();
  unsigned port = listen_on(AF_INET);
  write_sysctl("ip_local_port_range", "40000 40009");
  write_sysctl("tcp_tw_reuse", "0");
  serve("recv:eof close:-1");
  struct tc__churn_result r = churn(AF_INET, port, 30, 1, "send:1 close:-1");
  cr_assert_eq(r.ok, 10, "ok %lu failed %lu (%d errnos, first %d x%lu)", r.ok, r.failed,
               (int)r.nerrs, r.nerrs ? r.errs[0].err : 0, r.nerrs ? r.errs[0].n : 0);
  cr_assert_eq(r.failed, 20);
  cr_assert_eq(errno_count(&r, EADDRNOTAVAIL), 20);
  cr_assert_eq(r.tuples, 10);
  cr_assert_eq(count_when(AF_INET, port, TC_CLIENT, TC_STATE_TIME_WAIT, 10), 10);
}

/* The server closes first, so the client's ports are free again at once:
 * 40 connections over 10 ports (even ones first: 5) reuse 4-tuples the
 * server holds in TIME_WAIT, each SYN ending one (RFC 6191), and the
 * server holds one TIME_WAIT per 4-tuple the churn says it took. */
Test(peer_churn, ports_taken_again_are_counted_once) {
  start();
  unsigned port = listen_on(AF_INET);
  write_sysctl("ip_local_port_range", "40000 40009");
  serve("send:3:6f6b0a close:-1");
  struct tc__churn_result r = churn(AF_INET, port, 40, 1, "recv:eof close:-1");
  cr_assert_eq(r.ok, 40, "ok %lu failed %lu", r.ok, r.failed);
  cr_assert(r.tuples >= 1 && r.tuples <= 5, "tuples %lu", r.tuples);
  cr_assert_eq(count_when(AF_INET, port, TC_SERVER, TC_STATE_TIME_WAIT, r.tuples), r.tuples);
}

Test(peer_churn, a_second_churn_while_one_runs_is_refused) {
  start();
  unsigned port = listen_on(AF_INET);
  serve(""); /* never closes: the first churn's recv eof waits */
  char rest[256];
  cr_assert_eq(pd_send(&cli, "3 churn 127.0.0.1 %u 2 1 recv:eof close:-1", port), 0);
  cr_assert_eq(pd_send(&cli, "5 churn 127.0.0.1 %u 2 1 close:-1", port), 0);
  cr_assert_eq(pd_reply(&cli, 5, rest, sizeof rest, GUARD_MS), EALREADY);
}

Test(peer_churn, serve_needs_a_listener_and_words_it_knows) {
  start();
  char rest[256];
  cr_assert_eq(pd_send(&srv, "2 serve"), 0);
  cr_assert_eq(pd_reply(&srv, 2, rest, sizeof rest, GUARD_MS), EINVAL);
  listen_on(AF_INET);
  cr_assert_eq(pd_send(&srv, "3 serve dance:5"), 0);
  cr_assert_eq(pd_reply(&srv, 3, rest, sizeof rest, GUARD_MS), EINVAL);
  cr_assert_eq(pd_send(&cli, "4 churn 127.0.0.1 1 0 1"), 0);
  cr_assert_eq(pd_reply(&cli, 4, rest, sizeof rest, GUARD_MS), EINVAL);
}
