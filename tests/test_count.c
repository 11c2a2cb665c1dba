/* test_count.c - socket counts by state for one role (tc_observer_count,
 * `expect ROLE count`): readings repeated until two in a row agree (a
 * scripted backend, since a dump that misses sockets cannot be made on
 * demand), the diag backend's kernel-filtered dump, its
 * request bytes, its answers decoded from bytes Linux 6.18 sent
 * (tests/fixtures/diag_vN_count_*.bin, described in diag_capture.txt), and,
 * live in a namespace of the test's own, every backend counting the same
 * sockets the same. */
#define _GNU_SOURCE /* unshare() */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "observe_backend.h"
#include "observe_diag_msg.h"
#include "tcpclose/case.h"
#include "tcpclose/observe.h"
#include "tcpclose/tcpstate.h"

/* ---- readings until two in a row agree ---- */

/* A backend whose readings are scripted: TIME_WAIT counts, one per call,
 * or a failure where the script says -1. */
struct script {
  const int *tw;
  size_t n, calls;
};

static int scripted(void *state, const struct tc_count_query *q, struct tc_counts *out,
                    tc_err *err) {
  struct script *s = state;
  (void)q;
  int tw = s->tw[s->calls < s->n ? s->calls : s->n - 1];
  s->calls++;
  if (tw < 0) return tc_errf(err, -EIO, "scripted failure");
  out->state[TC_STATE_TIME_WAIT] = (unsigned long)tw;
  return 0;
}

static struct tc_counts count_script(const int *tw, size_t n, int *rc, size_t *calls) {
  struct script s = {.tw = tw, .n = n};
  struct tc_count_query q = {.role = TC_SERVER};
  struct tc_counts c;
  tc_err err;
  memset(&c, 0, sizeof c);
  *rc = tc__count_until_stable(scripted, &s, &q, &c, &err);
  *calls = s.calls;
  return c;
}

Test(count_stable, a_reading_that_missed_sockets_is_read_again) {
  /* The soak's count: one dump missed 7 of 200 TIME_WAIT sockets. */
  static const int tw[] = {193, 200, 200};
  int rc;
  size_t calls;
  struct tc_counts c = count_script(tw, 3, &rc, &calls);
  cr_assert_eq(rc, 0);
  cr_assert_eq(c.state[TC_STATE_TIME_WAIT], 200, "judged on a reading that missed sockets: %lu",
               c.state[TC_STATE_TIME_WAIT]);
  cr_assert(c.stable);
  cr_assert_eq(c.readings, 3);
  cr_assert_eq(calls, 3);
}

Test(count_stable, sockets_that_hold_still_are_read_twice) {
  static const int tw[] = {200};
  int rc;
  size_t calls;
  struct tc_counts c = count_script(tw, 1, &rc, &calls);
  cr_assert_eq(rc, 0);
  cr_assert(c.stable);
  cr_assert_eq(calls, 2, "read %zu times", calls);
}

Test(count_stable, sockets_that_keep_changing_are_not_stable_and_reading_stops) {
  static const int tw[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  int rc;
  size_t calls;
  struct tc_counts c = count_script(tw, 12, &rc, &calls);
  cr_assert_eq(rc, 0);
  cr_assert_not(c.stable);
  cr_assert_eq(calls, TC_COUNT_READINGS);
  cr_assert_eq(c.readings, TC_COUNT_READINGS);
  cr_assert_eq(c.state[TC_STATE_TIME_WAIT], TC_COUNT_READINGS, "the last reading is kept");
}

Test(count_stable, a_failed_reading_fails_the_count) {
  static const int tw[] = {200, -1};
  int rc;
  size_t calls;
  count_script(tw, 2, &rc, &calls);
  cr_assert_eq(rc, -EIO);
  cr_assert_eq(calls, 2);
}

/* ---- the request ---- */

Test(count_request, dump_of_every_state_filtered_by_the_local_port) {
  uint8_t buf[256];
  int len = tc__diag_put_port_dump(buf, sizeof buf, AF_INET6, 5555, 0, 9);
  cr_assert_eq(len, 72 + 4 + 8);
  const struct nlmsghdr *nlh = (const void *)buf;
  cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  cr_assert_eq(nlh->nlmsg_seq, 9);
  const struct inet_diag_req_v2 *r = mnl_nlmsg_get_payload(nlh);
  cr_assert_eq(r->sdiag_family, AF_INET6);
  cr_assert_eq(r->idiag_ext, 0, "a count asks for no extension");
  cr_assert_eq(r->idiag_states, 0x1ffe, "every state and request mini-sockets");
  const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof *r);
  cr_assert_eq(mnl_attr_get_type(a), INET_DIAG_REQ_BYTECODE);
  const struct inet_diag_bc_op *op = mnl_attr_get_payload(a);
  cr_assert_eq(op[0].code, INET_DIAG_BC_S_EQ);
  cr_assert_eq(op[0].yes, 8, "a match runs off the end: accepted");
  cr_assert_eq(op[0].no, 12, "a mismatch lands 4 bytes past it: rejected");
  cr_assert_eq(op[1].no, 5555);
}

Test(count_request, remote_port_for_the_client_and_room_and_family_checked) {
  uint8_t buf[256];
  int len = tc__diag_put_port_dump(buf, sizeof buf, AF_INET, 80, 1, 1);
  const struct inet_diag_bc_op *op = mnl_attr_get_payload(
      mnl_nlmsg_get_payload_offset((const void *)buf, sizeof(struct inet_diag_req_v2)));
  cr_assert_eq(op[0].code, INET_DIAG_BC_D_EQ);
  cr_assert_eq(tc__diag_put_port_dump(buf, (size_t)len - 1, AF_INET, 80, 1, 1), -ENOSPC);
  cr_assert_eq(tc__diag_put_port_dump(buf, sizeof buf, AF_UNIX, 80, 1, 1), -EINVAL);
}

/* ---- captured answers ---- */

struct bin {
  uint8_t bytes[4096];
  size_t len;
};

static struct bin load_bin(const char *name) {
  struct bin b;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  b.len = fread(b.bytes, 1, sizeof b.bytes, f);
  fclose(f);
  return b;
}

/* Decodes every message of a captured dump into per-state counts; the
 * datagrams are back to back, each a whole number of messages. */
static void count_fixture(const char *name, unsigned long *counts, unsigned *local_port) {
  struct bin b = load_bin(name);
  int left = (int)b.len, done = 0;
  memset(counts, 0, TC_STATE_COUNT * sizeof *counts);
  for (const struct nlmsghdr *nlh = (const void *)b.bytes; mnl_nlmsg_ok(nlh, left);
       nlh = mnl_nlmsg_next(nlh, &left)) {
    struct tc_sock s;
    if (nlh->nlmsg_type == NLMSG_DONE) done = 1;
    if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
    cr_assert_eq(tc__diag_decode_brief(nlh, nlh->nlmsg_len, &s), 0);
    counts[s.state]++;
    if (local_port) *local_port = s.tuple.local.port;
  }
  cr_assert(done, "%s ends with NLMSG_DONE", name);
}

#define FIXTURES_UNREADABLE (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
TestSuite(count_fixture, .disabled = FIXTURES_UNREADABLE);

Test(count_fixture, server_dump_holds_listener_established_close_wait) {
  static const char *const files[] = {"diag_v4_count_server.bin", "diag_v6_count_server.bin"};
  static const unsigned ports[] = {42969, 41861};
  for (int f = 0; f < 2; f++) {
    unsigned long c[TC_STATE_COUNT];
    unsigned port = 0;
    count_fixture(files[f], c, &port);
    cr_assert_eq(port, ports[f], "%s: only the server's port", files[f]);
    cr_assert_eq(c[TC_STATE_LISTEN], 1, "%s", files[f]);
    cr_assert_eq(c[TC_STATE_ESTABLISHED], 1, "%s", files[f]);
    cr_assert_eq(c[TC_STATE_CLOSE_WAIT], 1, "%s: the other listener's is not in it", files[f]);
    cr_assert_eq(c[TC_STATE_TIME_WAIT] + c[TC_STATE_FIN_WAIT2] + c[TC_STATE_LAST_ACK], 0);
  }
}

Test(count_fixture, client_dump_holds_established_fin_wait2_time_wait) {
  static const char *const files[] = {"diag_v4_count_client.bin", "diag_v6_count_client.bin"};
  for (int f = 0; f < 2; f++) {
    unsigned long c[TC_STATE_COUNT];
    count_fixture(files[f], c, NULL);
    cr_assert_eq(c[TC_STATE_ESTABLISHED], 1, "%s", files[f]);
    cr_assert_eq(c[TC_STATE_FIN_WAIT2], 1, "%s: the other listener's is not in it", files[f]);
    cr_assert_eq(c[TC_STATE_TIME_WAIT], 1, "%s", files[f]);
    cr_assert_eq(c[TC_STATE_LISTEN] + c[TC_STATE_CLOSE_WAIT], 0, "%s", files[f]);
  }
}

Test(count_fixture, brief_decode_refuses_what_is_no_socket) {
  struct bin b = load_bin("diag_v4_count_client.bin");
  struct tc_sock s;
  cr_assert_eq(tc__diag_decode_brief(b.bytes, 8, &s), -EINVAL);
  ((struct nlmsghdr *)b.bytes)->nlmsg_type = NLMSG_DONE;
  cr_assert_eq(tc__diag_decode_brief(b.bytes, b.len, &s), -EINVAL);
}

/* ---- live: every backend counts the same sockets ---- */

#define PAIRS 40

struct scene {
  int family;
  struct tc_addr server, other;
  int fds[6 * PAIRS + 2];
  size_t n;
};

static const char *loopback(int family) { return family == AF_INET6 ? "::1" : "127.0.0.1"; }

static int keep(struct scene *sc, int fd) {
  cr_assert_geq(fd, 0, "%s", strerror(errno));
  sc->fds[sc->n++] = fd;
  return fd;
}

static int listener(struct scene *sc, struct tc_addr *where) {
  struct sockaddr_storage ss;
  cr_assert_eq(tc_addr_parse(loopback(sc->family), 0, where), 0);
  socklen_t len = tc_addr_to_sockaddr(where, &ss);
  int fd = keep(sc, socket(sc->family, SOCK_STREAM, 0));
  cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
  cr_assert_eq(listen(fd, 128), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
  where->port = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* same offset in sockaddr_in6 */
  return fd;
}

static void pair(struct scene *sc, int lfd, const struct tc_addr *to, int *c, int *s) {
  struct sockaddr_storage ss;
  socklen_t len = tc_addr_to_sockaddr(to, &ss);
  *c = socket(sc->family, SOCK_STREAM, 0);
  cr_assert_eq(connect(*c, (struct sockaddr *)&ss, len), 0, "%s", strerror(errno));
  *s = accept(lfd, NULL, NULL);
  cr_assert_geq(*s, 0);
}

/* On the server's port: PAIRS established, PAIRS the client closed
 * (FIN_WAIT2 / CLOSE_WAIT), PAIRS closed client first (client TIME_WAIT);
 * on another listener's port, the same again, which no count includes. */
static void build(struct scene *sc, int family) {
  memset(sc, 0, sizeof *sc);
  sc->family = family;
  int l1 = listener(sc, &sc->server), l2 = listener(sc, &sc->other);
  for (int i = 0; i < PAIRS; i++) {
    int c, s;
    char byte;
    for (int k = 0; k < 2; k++) {
      pair(sc, k ? l2 : l1, k ? &sc->other : &sc->server, &c, &s);
      keep(sc, c), keep(sc, s);
      pair(sc, k ? l2 : l1, k ? &sc->other : &sc->server, &c, &s);
      close(c), keep(sc, s);
      pair(sc, k ? l2 : l1, k ? &sc->other : &sc->server, &c, &s);
      close(c);
      cr_assert_eq(read(s, &byte, 1), 0);
      close(s);
    }
  }
}

static void count(tc_observer *obs, const struct scene *sc, int role, unsigned long *c) {
  struct tc_count_query q = {.server = sc->server, .role = role};
  tc_err err = {{0}};
  struct tc_counts got;
  cr_assert_eq(tc_observer_count(obs, &q, &got, &err), 0, "%s: %s", tc_observer_name(obs), err.msg);
  memcpy(c, got.state, sizeof got.state);
}

/* The closes finish in the kernel a moment later: count until the client
 * shows every TIME_WAIT (at most 5 s, a hang guard). */
static void settle(tc_observer *obs, const struct scene *sc) {
  unsigned long c[TC_STATE_COUNT];
  for (int i = 0; i < 500; i++) {
    count(obs, sc, TC_CLIENT, c);
    if (c[TC_STATE_TIME_WAIT] == PAIRS && c[TC_STATE_FIN_WAIT2] == PAIRS) return;
    nanosleep(&(struct timespec){0, 10000000L}, NULL);
  }
}

static void assert_counts(tc_observer *obs, const struct scene *sc) {
  unsigned long s[TC_STATE_COUNT], c[TC_STATE_COUNT];
  const char *name = tc_observer_name(obs);
  count(obs, sc, TC_SERVER, s);
  count(obs, sc, TC_CLIENT, c);
  cr_assert_eq(s[TC_STATE_LISTEN], 1, "%s: server LISTEN %lu", name, s[TC_STATE_LISTEN]);
  cr_assert_eq(s[TC_STATE_ESTABLISHED], PAIRS, "%s: server ESTABLISHED %lu", name,
               s[TC_STATE_ESTABLISHED]);
  cr_assert_eq(s[TC_STATE_CLOSE_WAIT], PAIRS, "%s: server CLOSE_WAIT %lu", name,
               s[TC_STATE_CLOSE_WAIT]);
  cr_assert_eq(s[TC_STATE_TIME_WAIT], 0, "%s: server TIME_WAIT %lu", name, s[TC_STATE_TIME_WAIT]);
  cr_assert_eq(s[TC_STATE_GONE], 0);
  cr_assert_eq(c[TC_STATE_LISTEN], 0, "%s: the client has no listener", name);
  cr_assert_eq(c[TC_STATE_ESTABLISHED], PAIRS, "%s: client ESTABLISHED %lu", name,
               c[TC_STATE_ESTABLISHED]);
  cr_assert_eq(c[TC_STATE_FIN_WAIT2], PAIRS, "%s: client FIN_WAIT2 %lu", name,
               c[TC_STATE_FIN_WAIT2]);
  cr_assert_eq(c[TC_STATE_TIME_WAIT], PAIRS, "%s: client TIME_WAIT %lu", name,
               c[TC_STATE_TIME_WAIT]);
  cr_assert_eq(c[TC_STATE_CLOSE_WAIT], 0, "%s: client CLOSE_WAIT %lu", name,
               c[TC_STATE_CLOSE_WAIT]);
}

static void live(int family) {
  if (geteuid() != 0) cr_skip_test("needs root (a network namespace of its own)");
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
  cr_assert_eq(system("ip link set lo up"), 0);
  struct scene sc;
  build(&sc, family);
  static const char *const backends[] = {"diag", "procfs", "netstat"};
  tc_observer *obs[3] = {NULL};
  tc_err err = {{0}};
  for (int i = 0; i < 3; i++) {
    int rc = tc_observer_open(backends[i], &obs[i], &err);
    cr_assert(rc == 0 || i == 2, "%s: %s", backends[i], err.msg); /* netstat: where installed */
  }
  settle(obs[0], &sc);
  for (int i = 0; i < 3; i++)
    if (obs[i] != NULL) assert_counts(obs[i], &sc), tc_observer_close(obs[i]);
  for (size_t i = 0; i < sc.n; i++) close(sc.fds[i]);
}

Test(count_live, ipv4_every_backend_counts_each_role_by_state) { live(AF_INET); }
Test(count_live, ipv6_every_backend_counts_each_role_by_state) { live(AF_INET6); }
