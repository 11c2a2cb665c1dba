/* test_examples.c - the example servers (examples/, in Python) do what their
 * comments say, seen through the kernel: after clients send a request,
 * read the answer and close, close_on_eof_server.py leaves no CLOSE_WAIT
 * (its clients hold TIME_WAIT) and leaky_server.py leaves one CLOSE_WAIT per
 * connection. The clients are the peer's churn; the counts are
 * tc_observer_count's. Also: the example case files parse. Needs root (a
 * namespace of its own) and python3. */
#define _GNU_SOURCE /* unshare() */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "peer_driver.h"
#include "peer_proto.h"
#include "tcpclose/case.h"
#include "tcpclose/observe.h"
#include "tcpclose/tcpstate.h"

#define EXAMPLES_DIR TCPCLOSE_CASES_DIR "/../examples"
#define PORT 8080      /* the namespace is the test's own: nothing else listens */
#define GUARD_MS 30000 /* a hang guard, never a measure */
#define CONNS 60
/* "GET / HTTP/1.0\r\n\r\n" in hex, and the examples' 41-byte answer */
#define REQUEST "send:18:474554202f20485454502f312e300d0a0d0a recv:bytes:41 close:-1"

static struct pd cli;
static pid_t server = -1;

static void stop(void) {
  pd_stop(&cli);
  if (server > 0) kill(-server, SIGKILL), waitpid(server, NULL, 0);
  server = -1;
}

TestSuite(examples, .fini = stop, .timeout = 120);

static unsigned long count(int role, int state) {
  tc_observer *obs = NULL;
  tc_err err = {{0}};
  struct tc_counts c;
  struct tc_count_query q = {.role = role};
  cr_assert_eq(tc_observer_open("diag", &obs, &err), 0, "%s", err.msg);
  cr_assert_eq(tc_addr_parse("127.0.0.1", PORT, &q.server), 0);
  cr_assert_eq(tc_observer_count(obs, &q, &c, &err), 0, "%s", err.msg);
  tc_observer_close(obs);
  return c.state[state];
}

/* Polls a count until it is `want` (closes finish a moment after the
 * churn's answer) or the guard passes; returns the last count. */
static unsigned long count_when(int role, int state, unsigned long want) {
  unsigned long n = 0;
  for (int waited = 0; waited < GUARD_MS; waited += 10) {
    if ((n = count(role, state)) == want) break;
    nanosleep(&(struct timespec){0, 10000000L}, NULL);
  }
  return n;
}

/* Runs an example server in a namespace of the test's own, in a process
 * group of its own, and waits until it listens. */
static void start_server(const char *script) {
  if (geteuid() != 0) cr_skip_test("needs root (a network namespace of its own)");
  if (system("command -v python3 >/dev/null") != 0) cr_skip_test("needs python3");
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
  cr_assert_eq(system("ip link set lo up"), 0);
  server = fork();
  cr_assert_geq(server, 0);
  if (server == 0) {
    setpgid(0, 0);
    if (chdir(EXAMPLES_DIR) < 0) _exit(127);
    execlp("python3", "python3", script, "127.0.0.1", "8080", (char *)NULL);
    _exit(127);
  }
  setpgid(server, server);
  cr_assert_eq(count_when(TC_SERVER, TC_STATE_LISTEN, 1), 1, "%s never listened", script);
  cr_assert_eq(pd_start(&cli, TCPCLOSE_PEER_BIN, "client"), 0);
}

static struct tc__churn_result churn(void) {
  char rest[256];
  struct tc__churn_result r;
  cr_assert_eq(pd_send(&cli, "1 churn 127.0.0.1 %d %d 10 %s", PORT, CONNS, REQUEST), 0);
  cr_assert_eq(pd_reply(&cli, 1, rest, sizeof rest, GUARD_MS), 0, "churn: %s", rest);
  cr_assert_eq(tc__proto_churn_parse(rest, &r), 0, "churn answered '%s'", rest);
  return r;
}

Test(examples, close_on_eof_server_leaves_time_wait_to_its_clients) {
  start_server("close_on_eof_server.py");
  struct tc__churn_result r = churn();
  cr_assert_eq(r.ok, CONNS, "ok %lu failed %lu", r.ok, r.failed);
  cr_assert_eq(count_when(TC_CLIENT, TC_STATE_TIME_WAIT, CONNS), CONNS);
  cr_assert_eq(count(TC_SERVER, TC_STATE_CLOSE_WAIT), 0);
  cr_assert_eq(count(TC_SERVER, TC_STATE_TIME_WAIT), 0);
}

Test(examples, leaky_server_keeps_every_closed_connection_in_close_wait) {
  start_server("leaky_server.py");
  struct tc__churn_result r = churn();
  cr_assert_eq(r.ok, CONNS, "ok %lu failed %lu", r.ok, r.failed);
  cr_assert_eq(count_when(TC_SERVER, TC_STATE_CLOSE_WAIT, CONNS), CONNS);
  cr_assert_eq(count_when(TC_CLIENT, TC_STATE_FIN_WAIT2, CONNS), CONNS);
  cr_assert_eq(count(TC_CLIENT, TC_STATE_TIME_WAIT), 0);
}

Test(examples, example_cases_parse) {
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "check", EXAMPLES_DIR, NULL};
  cr_assert_eq(th_run(argv, &o), 0, "%s%s", o.out, o.err);
  cr_assert_str_eq(o.out, "2 case files ok\n");
  th_out_free(&o);
}
