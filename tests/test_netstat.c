/* test_netstat.c - netstat lines of FreeBSD, macOS, Windows and Linux
 * (net-tools), as those systems printed them (tests/fixtures/netstat_*.txt:
 * each file says where its text comes from), and lines no netstat prints.
 *
 * Every accepted line must give every field: state, both ends with their
 * family, both queues, and no timer, retransmit or owner (netstat shows
 * none). Every other line of a fixture (titles, headers, UDP and UNIX
 * sockets, the files' own '#' comments) must be rejected. Last, the
 * observer itself on a real close over loopback, checked against procfs. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcpclose/observe_netstat_parse.h"
#include "tcpclose/observe.h"
#include "tcpclose/sock.h"
#include "tcpclose/tcpstate.h"
#include "fixture_lines.h"

/* The one line that contains needle; it must exist and be unique. */
static const char *line_with(const struct fixture *f, const char *needle) {
  const char *found = NULL;
  for (size_t i = 0; i < f->n; i++) {
    if (f->line[i][0] == '#' || strstr(f->line[i], needle) == NULL) continue;
    cr_assert_null(found, "'%s' is on more than one line", needle);
    found = f->line[i];
  }
  cr_assert_not_null(found, "no line with '%s'", needle);
  return found;
}

static struct tc_sock parse_ok(const struct fixture *f, const char *needle,
                               enum tc_netstat_layout layout) {
  struct tc_sock s;
  const char *line = line_with(f, needle);
  cr_assert_eq(tc_netstat_parse_line(line, layout, &s), 0, "rejected: %s", line);
  struct tc_sock any;
  cr_assert_eq(tc_netstat_parse_line(line, TC_NETSTAT_ANY, &any), 0, "ANY rejected: %s", line);
  cr_assert(memcmp(&s, &any, sizeof s) == 0, "ANY read it differently: %s", line);
  return s;
}

static void assert_addr(const struct tc_addr *a, int family, const char *text) {
  char buf[TC_ADDR_STRLEN];
  cr_assert_eq(a->family, family, "%s: expected family %d but got %d", text, family, a->family);
  cr_assert_str_eq(tc_addr_format(a, buf, sizeof buf), text);
}

/* Every field of a parsed socket. */
static void assert_sock(const struct tc_sock *s, int state, int family, const char *local,
                        const char *remote, uint32_t recvq, uint32_t sendq) {
  cr_assert_eq(s->state, state, "expected %s but got %s", tc_state_name(state),
               tc_state_name(s->state));
  assert_addr(&s->tuple.local, family, local);
  assert_addr(&s->tuple.remote, family, remote);
  cr_assert_eq(s->recvq, recvq, "expected recvq %u but got %u", recvq, s->recvq);
  cr_assert_eq(s->sendq, sendq, "expected sendq %u but got %u", sendq, s->sendq);
  cr_assert_eq(s->timer, TC_TIMER_NONE);
  cr_assert_eq(s->timer_ms, 0);
  cr_assert_eq(s->retransmits, 0);
  cr_assert_eq(s->inode, 0);
}

static size_t count_accepted(const struct fixture *f, enum tc_netstat_layout layout) {
  struct tc_sock s;
  size_t ok = 0;
  for (size_t i = 0; i < f->n; i++) ok += tc_netstat_parse_line(f->line[i], layout, &s) == 0;
  return ok;
}

/* Lines that must be rejected: comments, blank, and those holding needle. */
static void assert_rejected(const struct fixture *f, const char *needle,
                            enum tc_netstat_layout layout) {
  struct tc_sock s;
  for (size_t i = 0; i < f->n; i++) {
    const char *l = f->line[i];
    if (l[0] == '#' || l[strspn(l, " \r\n")] == '\0' || strstr(l, needle) != NULL)
      cr_assert_eq(tc_netstat_parse_line(l, layout, &s), -EINVAL, "accepted: %s", l);
  }
}

static struct fixture fb_milter, fb_elk, fb_poison, mac_kafka, mac_tw, mac_2008;
static struct fixture win_3000, win_9090, win_5432, lx_milter;

static void load_all(void) {
  load("netstat_freebsd_milter.txt", &fb_milter);
  load("netstat_freebsd_elk.txt", &fb_elk);
  load("netstat_freebsd_poison.txt", &fb_poison);
  load("netstat_macos_kafka.txt", &mac_kafka);
  load("netstat_macos_timewait.txt", &mac_tw);
  load("netstat_macos_2008.txt", &mac_2008);
  load("netstat_windows_3000.txt", &win_3000);
  load("netstat_windows_9090.txt", &win_9090);
  load("netstat_windows_5432.txt", &win_5432);
  load("netstat_linux_milter.txt", &lx_milter);
}

#define BSD TC_NETSTAT_BSD
#define WIN TC_NETSTAT_WINDOWS
#define LNX TC_NETSTAT_LINUX

/* ---- FreeBSD ---- */

TestSuite(netstat_freebsd, .init = load_all);

Test(netstat_freebsd, time_wait_on_loopback) {
  struct tc_sock s = parse_ok(&fb_milter, "127.0.0.1.59355", BSD);
  assert_sock(&s, TC_STATE_TIME_WAIT, AF_INET, "127.0.0.1:59355", "127.0.0.1:4949", 0, 0);
}

Test(netstat_freebsd, established_with_1154_bytes_unacknowledged) {
  struct tc_sock s = parse_ok(&fb_milter, "   1154 ", BSD);
  assert_sock(&s, TC_STATE_ESTABLISHED, AF_INET, "192.168.28.10:443", "192.168.67.236:53978", 0,
              1154);
}

Test(netstat_freebsd, last_ack_and_syn_rcvd) {
  struct tc_sock s = parse_ok(&fb_milter, "LAST_ACK", BSD);
  assert_sock(&s, TC_STATE_LAST_ACK, AF_INET, "192.168.28.10:22", "192.168.7.13:54099", 0, 0);
  s = parse_ok(&fb_milter, "SYN_RCVD", BSD);
  assert_sock(&s, TC_STATE_SYN_RECV, AF_INET, "192.168.28.10:22", "192.168.40.236:62353", 0, 0);
}

/* The two ends of one IPv6 connection: the active closer in FIN_WAIT_2,
 * the passive one in CLOSE_WAIT, each the mirror of the other. */
Test(netstat_freebsd, ipv6_fin_wait_2_and_its_close_wait_peer) {
  struct tc_sock fw = parse_ok(&fb_milter, "FIN_WAIT_2", BSD);
  struct tc_sock cw = parse_ok(&fb_milter, "CLOSE_WAIT", BSD);
  assert_sock(&fw, TC_STATE_FIN_WAIT2, AF_INET6, "[fe80::215:f2ff:fedb:e04c]:54765",
              "[fe80::215:f2ff:fedb:e04c]:62269", 0, 0);
  assert_sock(&cw, TC_STATE_CLOSE_WAIT, AF_INET6, "[fe80::215:f2ff:fedb:e04c]:62269",
              "[fe80::215:f2ff:fedb:e04c]:54765", 0, 0);
  struct tc_tuple m = tc_tuple_mirror(&cw.tuple);
  cr_assert(tc_addr_equal(&m.local, &fw.tuple.local) && tc_addr_equal(&m.remote, &fw.tuple.remote));
}

Test(netstat_freebsd, listeners_on_loopback_v4_and_v6) {
  struct tc_sock v4 = parse_ok(&fb_elk, "127.0.0.1.9200", BSD);
  struct tc_sock v6 = parse_ok(&fb_elk, "::1.9200", BSD);
  assert_sock(&v4, TC_STATE_LISTEN, AF_INET, "127.0.0.1:9200", "0.0.0.0:0", 0, 0);
  assert_sock(&v6, TC_STATE_LISTEN, AF_INET6, "[::1]:9200", "[::]:0", 0, 0);
}

/* "*.80" is the wildcard of the family the protocol column names. */
Test(netstat_freebsd, wildcard_listener_takes_its_family_from_the_protocol) {
  struct tc_sock s;
  cr_assert_eq(tc_netstat_parse_line(fb_poison.line[10], BSD, &s), 0, "%s", fb_poison.line[10]);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET, "0.0.0.0:80", "0.0.0.0:0", 0, 0);
  cr_assert_eq(tc_netstat_parse_line(fb_poison.line[11], BSD, &s), 0, "%s", fb_poison.line[11]);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET6, "[::]:80", "[::]:0", 0, 0);
  s = parse_ok(&fb_poison, "ESTABLISHED", BSD);
  assert_sock(&s, TC_STATE_ESTABLISHED, AF_INET, "10.10.10.84:22", "10.10.14.18:47570", 0, 0);
}

Test(netstat_freebsd, every_tcp_line_and_nothing_else) {
  cr_assert_eq(count_accepted(&fb_milter, BSD), 12);
  cr_assert_eq(count_accepted(&fb_elk, BSD), 6);
  cr_assert_eq(count_accepted(&fb_poison, BSD), 8);
  assert_rejected(&fb_milter, "Active", BSD);
  assert_rejected(&fb_milter, "Proto", BSD);
  assert_rejected(&fb_milter, "udp", BSD);
  assert_rejected(&fb_milter, "stream", BSD);
  assert_rejected(&fb_elk, "Proto Recv-Q", BSD);
}

/* ---- macOS ---- */

TestSuite(netstat_macos, .init = load_all);

/* The passive closer never read 21 bytes: they stay in its Recv-Q. */
Test(netstat_macos, close_wait_keeps_unread_bytes) {
  struct tc_sock s = parse_ok(&mac_kafka, "127.0.0.1.63067        CLOSE_WAIT", BSD);
  assert_sock(&s, TC_STATE_CLOSE_WAIT, AF_INET, "127.0.0.1:9092", "127.0.0.1:63067", 21, 0);
  s = parse_ok(&mac_kafka, "127.0.0.1.63067        127.0.0.1.9092", BSD);
  assert_sock(&s, TC_STATE_FIN_WAIT2, AF_INET, "127.0.0.1:63067", "127.0.0.1:9092", 0, 0);
}

Test(netstat_macos, ipv6_loopback_close_wait_and_fin_wait_2) {
  struct tc_sock cw = parse_ok(&mac_kafka, "::1.63034              CLOSE_WAIT", BSD);
  struct tc_sock fw = parse_ok(&mac_kafka, "::1.63034              ::1.2181", BSD);
  assert_sock(&cw, TC_STATE_CLOSE_WAIT, AF_INET6, "[::1]:2181", "[::1]:63034", 49, 0);
  assert_sock(&fw, TC_STATE_FIN_WAIT2, AF_INET6, "[::1]:63034", "[::1]:2181", 0, 0);
}

/* A tcp46 socket accepts both families: its "*" is the IPv6 wildcard. */
Test(netstat_macos, dual_stack_listener) {
  struct tc_sock s = parse_ok(&mac_kafka, "tcp46", BSD);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET6, "[::]:2181", "[::]:0", 0, 0);
  s = parse_ok(&mac_kafka, "127.0.0.1.9092         *.*", BSD);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET, "127.0.0.1:9092", "0.0.0.0:0", 0, 0);
}

Test(netstat_macos, time_wait_of_the_active_closer) {
  struct tc_sock s = parse_ok(&mac_tw, "127.0.0.1.52315", BSD);
  assert_sock(&s, TC_STATE_TIME_WAIT, AF_INET, "127.0.0.1:11123", "127.0.0.1:52315", 0, 0);
  s = parse_ok(&mac_tw, "127.0.0.1.55719", BSD);
  assert_sock(&s, TC_STATE_FIN_WAIT2, AF_INET, "127.0.0.1:11123", "127.0.0.1:55719", 0, 0);
  s = parse_ok(&mac_tw, "127.0.0.1.54114", BSD);
  assert_sock(&s, TC_STATE_CLOSE_WAIT, AF_INET, "127.0.0.1:54114", "127.0.0.1:11123", 0, 0);
}

Test(netstat_macos, ipv6_loopback_listener_of_2008) {
  struct tc_sock s = parse_ok(&mac_2008, "::1.631", BSD);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET6, "[::1]:631", "[::]:0", 0, 0);
}

/* Without -W, macOS cut "fe80::21e:52ff:fe.." to 16 characters; what is
 * left still spells an address, so the line is read, wrongly. */
Test(netstat_macos, truncated_ipv6_address_reads_as_what_it_spells) {
  struct tc_sock s = parse_ok(&mac_2008, ".50133", BSD);
  assert_sock(&s, TC_STATE_ESTABLISHED, AF_INET6, "[fe80::21e:52ff:f]:50133",
              "[fe80::21f:f3ff:f]:5009", 0, 0);
}

Test(netstat_macos, every_tcp_line_and_nothing_else) {
  cr_assert_eq(count_accepted(&mac_kafka, BSD), 24);
  cr_assert_eq(count_accepted(&mac_tw, BSD), 18);
  cr_assert_eq(count_accepted(&mac_2008, BSD), 13);
  assert_rejected(&mac_tw, ".\n", BSD); /* the "." elisions and blank lines */
  assert_rejected(&mac_2008, "udp", BSD);
  assert_rejected(&mac_2008, "icm6", BSD);
  assert_rejected(&mac_2008, "Proto", BSD);
  assert_rejected(&mac_2008, "stream", BSD);
}

/* ---- Windows ---- */

TestSuite(netstat_windows, .init = load_all);

Test(netstat_windows, listener_and_its_connection_pair) {
  struct tc_sock s = parse_ok(&win_3000, "LISTENING", WIN);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET, "127.0.0.1:3000", "0.0.0.0:0", 0, 0);
  s = parse_ok(&win_3000, "127.0.0.1:49707        127.0.0.1:3000", WIN);
  assert_sock(&s, TC_STATE_ESTABLISHED, AF_INET, "127.0.0.1:49707", "127.0.0.1:3000", 0, 0);
}

Test(netstat_windows, fin_wait_2_and_close_wait) {
  struct tc_sock fw = parse_ok(&win_3000, "FIN_WAIT_2", WIN);
  struct tc_sock cw = parse_ok(&win_3000, "CLOSE_WAIT", WIN);
  assert_sock(&fw, TC_STATE_FIN_WAIT2, AF_INET, "127.0.0.1:3000", "127.0.0.1:52302", 0, 0);
  assert_sock(&cw, TC_STATE_CLOSE_WAIT, AF_INET, "127.0.0.1:52302", "127.0.0.1:3000", 0, 0);
}

Test(netstat_windows, ipv6_fin_wait_2_and_close_wait) {
  struct tc_sock fw = parse_ok(&win_9090, "FIN_WAIT_2", WIN);
  struct tc_sock cw = parse_ok(&win_9090, "CLOSE_WAIT", WIN);
  assert_sock(&fw, TC_STATE_FIN_WAIT2, AF_INET6, "[::1]:9090", "[::1]:17044", 0, 0);
  assert_sock(&cw, TC_STATE_CLOSE_WAIT, AF_INET6, "[::1]:17044", "[::1]:9090", 0, 0);
}

Test(netstat_windows, time_wait_owned_by_no_process) {
  struct tc_sock s = parse_ok(&win_5432, "127.0.0.1:3461", WIN);
  assert_sock(&s, TC_STATE_TIME_WAIT, AF_INET, "127.0.0.1:3461", "127.0.0.1:5432", 0, 0);
  s = parse_ok(&win_5432, "[::1]:5432", WIN);
  assert_sock(&s, TC_STATE_LISTEN, AF_INET6, "[::1]:5432", "[::]:0", 0, 0);
}

Test(netstat_windows, every_tcp_line_and_nothing_else) {
  cr_assert_eq(count_accepted(&win_3000, WIN), 5);
  cr_assert_eq(count_accepted(&win_9090, WIN), 2);
  cr_assert_eq(count_accepted(&win_5432, WIN), 7);
  assert_rejected(&win_5432, "UDP", WIN);
}

/* ---- Linux net-tools ---- */

TestSuite(netstat_linux, .init = load_all);

/* Linux counts the peer's FIN in Recv-Q until it is read (README). */
Test(netstat_linux, close_wait_counts_the_fin) {
  struct tc_sock s = parse_ok(&lx_milter, "34927", LNX);
  assert_sock(&s, TC_STATE_CLOSE_WAIT, AF_INET, "192.168.3.2:34927", "192.168.1.215:80", 1, 0);
}

Test(netstat_linux, ipv6_loopback_pair) {
  struct tc_sock s = parse_ok(&lx_milter, "::1:80                  ::1:55496", LNX);
  assert_sock(&s, TC_STATE_ESTABLISHED, AF_INET6, "[::1]:80", "[::1]:55496", 0, 0);
}

Test(netstat_linux, every_tcp_line_and_nothing_else) {
  cr_assert_eq(count_accepted(&lx_milter, LNX), 8);
  assert_rejected(&lx_milter, "udp6", LNX);
  assert_rejected(&lx_milter, "unix", LNX);
  assert_rejected(&lx_milter, "Proto", LNX);
}

/* ---- layouts apart ---- */

TestSuite(netstat_layouts, .init = load_all);

/* A line of one system is never read as another's. */
Test(netstat_layouts, no_layout_accepts_another_layouts_lines) {
  const struct fixture *bsd[] = {&fb_milter, &fb_elk, &fb_poison, &mac_kafka, &mac_tw, &mac_2008};
  for (size_t i = 0; i < sizeof bsd / sizeof bsd[0]; i++) {
    cr_assert_eq(count_accepted(bsd[i], WIN), 0);
    cr_assert_eq(count_accepted(bsd[i], LNX), 0);
  }
  const struct fixture *win[] = {&win_3000, &win_9090, &win_5432};
  for (size_t i = 0; i < sizeof win / sizeof win[0]; i++) {
    cr_assert_eq(count_accepted(win[i], BSD), 0);
    cr_assert_eq(count_accepted(win[i], LNX), 0);
  }
  cr_assert_eq(count_accepted(&lx_milter, BSD), 0);
  cr_assert_eq(count_accepted(&lx_milter, WIN), 0);
  cr_assert_eq(count_accepted(&mac_kafka, TC_NETSTAT_ANY), 24);
  cr_assert_eq(count_accepted(&win_5432, TC_NETSTAT_ANY), 7);
  cr_assert_eq(count_accepted(&lx_milter, TC_NETSTAT_ANY), 8);
}

Test(netstat_layouts, headers_and_garbage_are_rejected) {
  const char *bad[] = {
      "",
      "\r\n",
      "Active Connections",
      "  Proto  Local Address          Foreign Address        State           PID",
      "tcp4",
      "tcp4       0      0  127.0.0.1.5000         127.0.0.1.51000        FIN_WAIT2",
      "tcp4       x      0  127.0.0.1.5000         127.0.0.1.51000        TIME_WAIT",
      "tcp4       0      0  127.0.0.1.70000        127.0.0.1.51000        TIME_WAIT",
      "tcp4       0      0  ::1.5000               ::1.51000              TIME_WAIT",
      "tcp6       0      0  127.0.0.1.5000         127.0.0.1.51000        TIME_WAIT",
      "tcp4       0      0  localhost.ipp          *.*                    LISTEN",
      "tcp4       0      0  127.0.0.1.5000         127.0.0.1.51000        TIME_WAIT extra",
      "tcp4      -1      0  127.0.0.1.5000         127.0.0.1.51000        TIME_WAIT",
      "  TCP    127.0.0.1:5000         127.0.0.1:51000        BOUND           0",
      "  TCP    127.0.0.1:5000         127.0.0.1:51000        TIME_WAIT       pid",
      "  TCP    [::1:5000              [::1]:51000            TIME_WAIT       0",
      "  tcp    127.0.0.1:5000         127.0.0.1:51000        TIME_WAIT       0",
      "tcp        0      0 127.0.0.1:5000          127.0.0.1:51000         TIME_WAIT_2",
      "tcp        0      0 ::1:5000                ::1:51000               TIME_WAIT",
  };
  struct tc_sock s;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(tc_netstat_parse_line(bad[i], TC_NETSTAT_ANY, &s), -EINVAL, "accepted: '%s'",
                 bad[i]);
}

Test(netstat_layouts, state_names_of_each_system) {
  cr_assert_eq(tc_netstat_state("FIN_WAIT_1", BSD), TC_STATE_FIN_WAIT1);
  cr_assert_eq(tc_netstat_state("FIN_WAIT_2", BSD), TC_STATE_FIN_WAIT2);
  cr_assert_eq(tc_netstat_state("SYN_RCVD", BSD), TC_STATE_SYN_RECV);
  cr_assert_eq(tc_netstat_state("CLOSING", BSD), TC_STATE_CLOSING);
  cr_assert_eq(tc_netstat_state("CLOSED", BSD), TC_STATE_CLOSE);
  cr_assert_eq(tc_netstat_state("ESTABLISHED*", BSD), TC_STATE_ESTABLISHED);
  cr_assert_eq(tc_netstat_state("FIN_WAIT2", BSD), -1);
  cr_assert_eq(tc_netstat_state("LISTENING", WIN), TC_STATE_LISTEN);
  cr_assert_eq(tc_netstat_state("SYN_RECEIVED", WIN), TC_STATE_SYN_RECV);
  cr_assert_eq(tc_netstat_state("LAST_ACK", WIN), TC_STATE_LAST_ACK);
  cr_assert_eq(tc_netstat_state("LISTEN", WIN), -1);
  cr_assert_eq(tc_netstat_state("FIN_WAIT2", LNX), TC_STATE_FIN_WAIT2);
  cr_assert_eq(tc_netstat_state("SYN_RECV", LNX), TC_STATE_SYN_RECV);
  cr_assert_eq(tc_netstat_state("gone", LNX), -1);
  cr_assert_eq(tc_netstat_state("FIN_WAIT_2", LNX), -1);
}

/* tc_addr has no scope: "%lo0" and "%4" are read and dropped. */
Test(netstat_layouts, scoped_ipv6_addresses) {
  struct tc_addr a;
  char buf[TC_ADDR_STRLEN];
  cr_assert_eq(tc_netstat_parse_endpoint("fe80::1%lo0.123", BSD, AF_INET6, &a), 0);
  cr_assert_str_eq(tc_addr_format(&a, buf, sizeof buf), "[fe80::1]:123");
  cr_assert_eq(tc_netstat_parse_endpoint("[fe80::1%4]:123", WIN, AF_INET, &a), 0);
  cr_assert_str_eq(tc_addr_format(&a, buf, sizeof buf), "[fe80::1]:123");
  cr_assert_eq(tc_netstat_parse_endpoint(":::5000", LNX, AF_INET6, &a), 0);
  cr_assert_str_eq(tc_addr_format(&a, buf, sizeof buf), "[::]:5000");
  cr_assert_eq(tc_netstat_parse_endpoint("0.0.0.0:*", LNX, AF_INET, &a), 0);
  cr_assert_str_eq(tc_addr_format(&a, buf, sizeof buf), "0.0.0.0:0");
  cr_assert_eq(tc_netstat_parse_endpoint("127.0.0.1:5000", BSD, AF_INET, &a), -EINVAL);
  cr_assert_eq(tc_netstat_parse_endpoint("127.0.0.1.5000", LNX, AF_INET, &a), -EINVAL);
}

/* ---- the observer, live: a real close on loopback, through netstat ---- */

struct pair {
  int listener, client, server;
  struct tc_query q[3]; /* listener, client's connection, server's */
};

static struct tc_addr local_of(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[INET6_ADDRSTRLEN];
  struct tc_addr a;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
  int v6 = ss.ss_family == AF_INET6;
  const void *ip = v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                      : (void *)&((struct sockaddr_in *)&ss)->sin_addr;
  unsigned port =
      ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
  inet_ntop(ss.ss_family, ip, host, sizeof host);
  cr_assert_eq(tc_addr_parse(host, port, &a), 0);
  return a;
}

/* A loopback pair whose client sent 5 bytes and closed: the client is an
 * orphaned FIN_WAIT2, the server a CLOSE_WAIT holding the bytes (and, on
 * Linux, the FIN) unread. */
static void make_pair(int family, struct pair *p) {
  struct sockaddr_storage ss = {0};
  socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  ss.ss_family = (sa_family_t)family;
  if (family == AF_INET6)
    ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
  else
    ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  p->listener = socket(family, SOCK_STREAM, 0);
  cr_assert_eq(bind(p->listener, (struct sockaddr *)&ss, len), 0);
  cr_assert_eq(listen(p->listener, 4), 0);
  len = sizeof ss;
  getsockname(p->listener, (struct sockaddr *)&ss, &len);
  p->client = socket(family, SOCK_STREAM, 0);
  cr_assert_eq(connect(p->client, (struct sockaddr *)&ss, len), 0);
  p->server = accept(p->listener, NULL, NULL);
  cr_assert_geq(p->server, 0);
  struct tc_addr l = local_of(p->listener), c = local_of(p->client), s = local_of(p->server);
  p->q[0] = (struct tc_query){.tuple = {.local = l}, .listener = 1};
  p->q[1] = (struct tc_query){.tuple = {.local = c, .remote = s}};
  p->q[2] = (struct tc_query){.tuple = {.local = s, .remote = c}};
  cr_assert_eq(write(p->client, "hello", 5), 5);
  close(p->client);
  struct timespec ts = {0, 100 * 1000000L}; /* the FIN and its ACK */
  nanosleep(&ts, NULL);
}

static void snapshot_with(const char *name, const struct pair *p, struct tc_sock *out) {
  tc_observer *obs;
  tc_err err = {{0}};
  /* Without netstat (or /proc to check it against) there is nothing to
   * compare on this machine. */
  if (tc_observer_open(name, &obs, &err) < 0) cr_skip_test("%s", err.msg);
  cr_assert_eq(tc_observer_snapshot(obs, p->q, 3, out, &err), 0, "%s", err.msg);
  tc_observer_close(obs);
}

/* netstat and /proc/net/tcp agree on what netstat can show. */
static void observe_pair(int family) {
  struct pair p;
  struct tc_sock ns[3], pf[3];
  make_pair(family, &p);
  snapshot_with("netstat", &p, ns);
  snapshot_with("procfs", &p, pf);
  int want[3] = {TC_STATE_LISTEN, TC_STATE_FIN_WAIT2, TC_STATE_CLOSE_WAIT};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(ns[i].state, want[i], "query %d: expected %s but got %s", i,
                 tc_state_name(want[i]), tc_state_name(ns[i].state));
    cr_assert_eq(ns[i].state, pf[i].state);
    cr_assert_eq(ns[i].recvq, pf[i].recvq, "query %d: netstat recvq %u, procfs %u", i, ns[i].recvq,
                 pf[i].recvq);
    cr_assert_eq(ns[i].sendq, pf[i].sendq);
    cr_assert(tc_addr_equal(&ns[i].tuple.local, &pf[i].tuple.local));
    cr_assert(tc_addr_equal(&ns[i].tuple.remote, &pf[i].tuple.remote));
    cr_assert_eq(ns[i].timer, TC_TIMER_NONE);
  }
  cr_assert_eq(ns[2].recvq, 6, "5 bytes and the FIN unread, got %u", ns[2].recvq);
  close(p.server);
  close(p.listener);
}

TestSuite(netstat_observer);

Test(netstat_observer, agrees_with_procfs_on_an_ipv4_close) { observe_pair(AF_INET); }

Test(netstat_observer, agrees_with_procfs_on_an_ipv6_close) { observe_pair(AF_INET6); }
