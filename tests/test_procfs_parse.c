/* test_procfs_parse.c - /proc/net/tcp{,6} lines as Linux 6.18 printed them
 * (tests/fixtures, captured verbatim on x86-64), and lines no kernel prints.
 *
 * The captures hold, per family: a listener (IPv4 port 43053, IPv6 55079),
 * one ESTABLISHED pair whose server side has 5 unread bytes, a CLOSE_WAIT
 * socket whose unread FIN counts as 1 byte, and two timewait mini-sockets
 * (inode 0, timer 3): an orphaned FIN_WAIT2 and a TIME_WAIT. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpclose/observe_procfs_parse.h"
#include "tcpclose/sock.h"
#include "tcpclose/tcpstate.h"

#include "sock_asserts.h"
#include "fixture_lines.h"

static struct fixture tcp4, tcp6;

/* The kernel printed address words in host order: the fixtures decode to
 * the right addresses on little-endian hosts only. */
#define FIXTURES_UNREADABLE (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)

static void load_both(void) {
  load("proc_net_tcp.txt", &tcp4);
  load("proc_net_tcp6.txt", &tcp6);
}

/* Parses the fixture line whose "sl" column is sl; it must be accepted. */
static struct tc_sock parse_sl(const struct fixture *f, int family, unsigned sl) {
  struct tc_sock s;
  for (size_t i = 1; i < f->n; i++) {
    unsigned n;
    if (sscanf(f->line[i], " %u:", &n) != 1 || n != sl) continue;
    int rc = tc_procfs_parse_line(f->line[i], family, &s);
    cr_assert_eq(rc, 0, "line sl=%u rejected: %s", sl, f->line[i]);
    return s;
  }
  cr_assert_fail("no line with sl=%u in the fixture", sl);
  return s;
}

static size_t count_socket_lines(const struct fixture *f, int family) {
  size_t ok = 0;
  struct tc_sock s;
  for (size_t i = 1; i < f->n; i++) ok += tc_procfs_parse_line(f->line[i], family, &s) == 0;
  return ok;
}

/* ---- the files as a whole ---- */

TestSuite(procnet_file, .init = load_both);

Test(procnet_file, header_line_is_not_a_socket) {
  struct tc_sock s;
  cr_assert_eq(tc_procfs_parse_line(tcp4.line[0], AF_INET, &s), -EINVAL);
  cr_assert_eq(tc_procfs_parse_line(tcp6.line[0], AF_INET6, &s), -EINVAL);
}

static const struct fixture *fixture_of(int family) { return family == AF_INET6 ? &tcp6 : &tcp4; }

ParameterizedTestParameters(procnet_file, every_line_after_the_header_is_a_socket) {
  static int families[] = {AF_INET, AF_INET6};
  return cr_make_param_array(int, families, sizeof families / sizeof families[0]);
}

ParameterizedTest(int *family, procnet_file, every_line_after_the_header_is_a_socket) {
  const struct fixture *f = fixture_of(*family);
  cr_assert_eq(f->n, 7, "family %d: expected header + 6 lines but read %zu", *family, f->n);
  cr_assert_eq(count_socket_lines(f, *family), 6, "family %d", *family);
}

Test(procnet_file, address_width_must_match_the_family) {
  cr_assert_eq(count_socket_lines(&tcp4, AF_INET6), 0);
  cr_assert_eq(count_socket_lines(&tcp6, AF_INET), 0);
}

/* ---- each socket of the captures, both families ---- */

struct procfs_row {
  unsigned sl; /* the line's "sl" column */
  struct expected_sock want;
};

/* Timers: tm->when in ticks of 10 ms (IPv4 FIN_WAIT2 0x173E = 5950, IPv6
 * TIME_WAIT 0x1751 = 5969, ...). */
static struct procfs_row sockets[] = {
    {1,
     {"tcp sl=1: listener on 43053", AF_INET, TC_STATE_LISTEN, "127.0.0.1:43053", "0.0.0.0:0", 0, 0,
      0, 8989}},
    {26,
     {"tcp sl=26: server side of the pair holds 5 unread bytes", AF_INET, TC_STATE_ESTABLISHED,
      "127.0.0.1:43053", "127.0.0.1:50856", 0, 5, 0, 8991}},
    {13,
     {"tcp sl=13: client side of the pair has nothing queued", AF_INET, TC_STATE_ESTABLISHED,
      "127.0.0.1:50856", "127.0.0.1:43053", 0, 0, 0, 8990}},
    {5,
     {"tcp sl=5: close_wait counts the unread FIN as one byte", AF_INET, TC_STATE_CLOSE_WAIT,
      "127.0.0.1:43053", "127.0.0.1:50868", 0, 1, 0, 8993}},
    {14,
     {"tcp sl=14: orphaned FIN_WAIT2 is a timewait mini-socket", AF_INET, TC_STATE_FIN_WAIT2,
      "127.0.0.1:50868", "127.0.0.1:43053", 0, 0, 59500, 0}},
    {15,
     {"tcp sl=15: TIME_WAIT has a timewait timer and no inode", AF_INET, TC_STATE_TIME_WAIT,
      "127.0.0.1:50874", "127.0.0.1:43053", 0, 0, 59600, 0}},
    {0,
     {"tcp6 sl=0: listener on 55079", AF_INET6, TC_STATE_LISTEN, "[::1]:55079", "[::]:0", 0, 0, 0,
      8996}},
    {5,
     {"tcp6 sl=5: server side of the pair holds 5 unread bytes", AF_INET6, TC_STATE_ESTABLISHED,
      "[::1]:55079", "[::1]:42696", 0, 5, 0, 8998}},
    {1,
     {"tcp6 sl=1: client side of the pair has nothing queued", AF_INET6, TC_STATE_ESTABLISHED,
      "[::1]:42696", "[::1]:55079", 0, 0, 0, 8997}},
    {4,
     {"tcp6 sl=4: close_wait counts the unread FIN as one byte", AF_INET6, TC_STATE_CLOSE_WAIT,
      "[::1]:55079", "[::1]:42710", 0, 1, 0, 9000}},
    {2,
     {"tcp6 sl=2: orphaned FIN_WAIT2 is a timewait mini-socket", AF_INET6, TC_STATE_FIN_WAIT2,
      "[::1]:42710", "[::1]:55079", 0, 0, 59600, 0}},
    {3,
     {"tcp6 sl=3: TIME_WAIT has a timewait timer and no inode", AF_INET6, TC_STATE_TIME_WAIT,
      "[::1]:42726", "[::1]:55079", 0, 0, 59690, 0}},
};

TestSuite(procnet_socket, .init = load_both, .disabled = FIXTURES_UNREADABLE);

ParameterizedTestParameters(procnet_socket, decodes_to_what_the_kernel_held) {
  return cr_make_param_array(struct procfs_row, sockets, sizeof sockets / sizeof sockets[0]);
}

ParameterizedTest(struct procfs_row *row, procnet_socket, decodes_to_what_the_kernel_held) {
  struct tc_sock s = parse_sl(fixture_of(row->want.family), row->want.family, row->sl);
  assert_sock(&s, &row->want);
}

/* The two ends of one connection: each is the other mirrored. */
struct procfs_pair {
  int family;
  unsigned sl, peer_sl;
  char what[64];
};

static struct procfs_pair pairs[] = {
    {AF_INET, 13, 26, "tcp: ESTABLISHED client and server"},
    {AF_INET, 14, 5, "tcp: orphaned FIN_WAIT2 and its CLOSE_WAIT peer"},
    {AF_INET6, 1, 5, "tcp6: ESTABLISHED client and server"},
    {AF_INET6, 2, 4, "tcp6: orphaned FIN_WAIT2 and its CLOSE_WAIT peer"},
};

ParameterizedTestParameters(procnet_socket, each_end_of_a_connection_mirrors_the_other) {
  return cr_make_param_array(struct procfs_pair, pairs, sizeof pairs / sizeof pairs[0]);
}

ParameterizedTest(struct procfs_pair *p, procnet_socket,
                  each_end_of_a_connection_mirrors_the_other) {
  const struct fixture *f = fixture_of(p->family);
  struct tc_sock s = parse_sl(f, p->family, p->sl), peer = parse_sl(f, p->family, p->peer_sl);
  struct tc_tuple m = tc_tuple_mirror(&peer.tuple);
  cr_assert(tc_addr_equal(&m.local, &s.tuple.local), "%s: local", p->what);
  cr_assert(tc_addr_equal(&m.remote, &s.tuple.remote), "%s: remote", p->what);
}

/* ---- hand-made lines ---- */

/* A line in the kernel's layout with the given state, tx:rx, timer and
 * retransmit columns. */
#define LINE(st, queues, timer, retr)                                                              \
  "   7: 0100007F:A82D 0100007F:C6A8 " st " " queues " " timer " " retr                            \
  "     0        0 8991 1 0000000000000000 20 4 30 10 -1\n"

static int parse4(const char *line, struct tc_sock *s) {
  return tc_procfs_parse_line(line, AF_INET, s);
}

Test(procnet_line, retransmit_timer_and_count) {
  struct tc_sock s;
  cr_assert_eq(parse4(LINE("01", "00000010:00000000", "01:00000014", "00000002"), &s), 0);
  assert_queues(&s, 16, 0);
  cr_assert_eq(s.timer, TC_TIMER_RETRANSMIT);
  cr_assert_eq(s.timer_ms, 200);
  cr_assert_eq(s.retransmits, 2);
}

Test(procnet_line, time_left_is_ignored_without_a_timer) {
  struct tc_sock s;
  cr_assert_eq(parse4(LINE("01", "00000000:00000000", "00:00000064", "00000000"), &s), 0);
  cr_assert_eq(s.timer, TC_TIMER_NONE);
  cr_assert_eq(s.timer_ms, 0);
}

/* Older kernels printed an overdue timer as a negative clock_t in %08lX. */
Test(procnet_line, expired_timer_has_no_time_left) {
  struct tc_sock s;
  cr_assert_eq(parse4(LINE("01", "00000000:00000000", "02:FFFFFFFFFFFFFFF6", "00000000"), &s), 0);
  cr_assert_eq(s.timer, TC_TIMER_KEEPALIVE);
  cr_assert_eq(s.timer_ms, 0, "expected 0 ms but got %ld", s.timer_ms);
}

/* Found by tests/fuzz/fuzz_procfs.c: ticks times 10 overflowed a long. */
Test(procnet_line, time_left_beyond_a_long_of_ms_is_the_longest) {
  struct tc_sock s;
  cr_assert_eq(parse4(LINE("01", "00000000:00000000", "01:1740000000000B77", "00000000"), &s), 0);
  cr_assert_eq(s.timer_ms, LONG_MAX, "expected LONG_MAX ms but got %ld", s.timer_ms);
  cr_assert_eq(parse4(LINE("01", "00000000:00000000", "01:0CCCCCCCCCCCCCCC", "00000000"), &s), 0);
  cr_assert_eq(s.timer_ms, 0x0CCCCCCCCCCCCCCCL * 10, "the largest count that fits");
}

Test(procnet_line, closing_is_the_last_state) {
  struct tc_sock s;
  cr_assert_eq(parse4(LINE("0B", "00000000:00000000", "00:00000000", "00000000"), &s), 0);
  cr_assert_eq(s.state, TC_STATE_CLOSING);
}

Test(procnet_line, state_0_and_state_0C_are_not_tcp_states) {
  struct tc_sock s;
  cr_assert_eq(parse4(LINE("00", "00000000:00000000", "00:00000000", "00000000"), &s), -EINVAL);
  cr_assert_eq(parse4(LINE("0C", "00000000:00000000", "00:00000000", "00000000"), &s), -EINVAL);
}

Test(procnet_line, truncated_line_is_rejected) {
  struct tc_sock s;
  const char *cuts[] = {
      "",
      "   7:",
      "   7: 0100007F:A82D 0100007F:C6A8 01",
      "   7: 0100007F:A82D 0100007F:C6A8 01 00000000:00000005",
      "   7: 0100007F:A82D 0100007F:C6A8 01 00000000:00000005 00:00000000 00000000     0        0",
  };
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
    cr_assert_eq(parse4(cuts[i], &s), -EINVAL, "accepted: '%s'", cuts[i]);
}

Test(procnet_line, bad_hex_is_rejected) {
  struct tc_sock s;
  const char *bad[] = {
      "   7: 0100007G:A82D 0100007F:C6A8 01 00000000:00000000 00:00000000 00000000 0 0 1",
      "   7: 0100007F:A82D 0100007F:C6A8 01 0000000Z:00000000 00:00000000 00000000 0 0 1",
      "   7: 0100007F:A82D 0100007F:C6A8 1G 00000000:00000000 00:00000000 00000000 0 0 1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(parse4(bad[i], &s), -EINVAL, "accepted: '%s'", bad[i]);
}

Test(procnet_line, address_of_the_wrong_width_is_rejected) {
  struct tc_sock s;
  const char *bad[] = {
      "   7: 100007F:A82D 0100007F:C6A8 01 00000000:00000000 00:00000000 00000000 0 0 1",
      "   7: 0100007F00:A82D 0100007F:C6A8 01 00000000:00000000 00:00000000 00000000 0 0 1",
      "   7: 0100007F:A82D 0100007F 01 00000000:00000000 00:00000000 00000000 0 0 1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(parse4(bad[i], &s), -EINVAL, "accepted: '%s'", bad[i]);
}

Test(procnet_line, port_missing_or_wider_than_16_bits_is_rejected) {
  struct tc_sock s;
  const char *bad[] = {
      "   7: 0100007F: 0100007F:C6A8 01 00000000:00000000 00:00000000 00000000 0 0 1",
      "   7: 0100007F:1A82D 0100007F:C6A8 01 00000000:00000000 00:00000000 00000000 0 0 1",
      "   7: 0100007F:A8:2D 0100007F:C6A8 01 00000000:00000000 00:00000000 00000000 0 0 1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(parse4(bad[i], &s), -EINVAL, "accepted: '%s'", bad[i]);
}
