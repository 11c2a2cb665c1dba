/* test_procfs_parse.c - /proc/net/tcp{,6} lines as Linux 6.18 printed them
 * (tests/fixtures, captured verbatim on x86-64), and lines no kernel prints.
 *
 * The captures hold, per family: a listener (IPv4 port 43053, IPv6 55079),
 * one ESTABLISHED pair whose server side has 5 unread bytes, a CLOSE_WAIT
 * socket whose unread FIN counts as 1 byte, and two timewait mini-sockets
 * (inode 0, timer 3): an orphaned FIN_WAIT2 and a TIME_WAIT. */
#include <criterion/criterion.h>
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

Test(procnet_file, every_tcp_line_after_the_header_is_a_socket) {
  cr_assert_eq(tcp4.n, 7, "expected header + 6 lines but read %zu", tcp4.n);
  cr_assert_eq(count_socket_lines(&tcp4, AF_INET), 6);
}

Test(procnet_file, every_tcp6_line_after_the_header_is_a_socket) {
  cr_assert_eq(tcp6.n, 7, "expected header + 6 lines but read %zu", tcp6.n);
  cr_assert_eq(count_socket_lines(&tcp6, AF_INET6), 6);
}

Test(procnet_file, address_width_must_match_the_family) {
  cr_assert_eq(count_socket_lines(&tcp4, AF_INET6), 0);
  cr_assert_eq(count_socket_lines(&tcp6, AF_INET), 0);
}

/* ---- IPv4 ---- */

TestSuite(procnet_tcp, .init = load_both, .disabled = FIXTURES_UNREADABLE);

Test(procnet_tcp, listener_on_port_43053) {
  struct tc_sock s = parse_sl(&tcp4, AF_INET, 1);
  cr_assert_eq(s.state, TC_STATE_LISTEN);
  assert_tuple(&s, "127.0.0.1:43053", "0.0.0.0:0");
  cr_assert_eq(s.tuple.local.family, AF_INET);
  cr_assert_eq(s.tuple.local.port, 43053);
  assert_queues(&s, 0, 0);
  assert_no_timer(&s);
  cr_assert_eq(s.inode, 8989);
}

Test(procnet_tcp, server_side_of_the_pair_holds_5_unread_bytes) {
  struct tc_sock s = parse_sl(&tcp4, AF_INET, 26);
  cr_assert_eq(s.state, TC_STATE_ESTABLISHED);
  assert_tuple(&s, "127.0.0.1:43053", "127.0.0.1:50856");
  assert_queues(&s, 0, 5);
  assert_no_timer(&s);
  cr_assert_eq(s.inode, 8991);
}

Test(procnet_tcp, established_pair_mirrors_each_other) {
  struct tc_sock client = parse_sl(&tcp4, AF_INET, 13);
  struct tc_sock server = parse_sl(&tcp4, AF_INET, 26);
  cr_assert_eq(client.state, TC_STATE_ESTABLISHED);
  assert_tuple(&client, "127.0.0.1:50856", "127.0.0.1:43053");
  assert_queues(&client, 0, 0);
  cr_assert_eq(client.inode, 8990);
  struct tc_tuple m = tc_tuple_mirror(&server.tuple);
  cr_assert(tc_addr_equal(&m.local, &client.tuple.local));
  cr_assert(tc_addr_equal(&m.remote, &client.tuple.remote));
}

Test(procnet_tcp, close_wait_counts_the_unread_fin_as_one_byte) {
  struct tc_sock s = parse_sl(&tcp4, AF_INET, 5);
  cr_assert_eq(s.state, TC_STATE_CLOSE_WAIT);
  assert_tuple(&s, "127.0.0.1:43053", "127.0.0.1:50868");
  assert_queues(&s, 0, 1);
  assert_no_timer(&s);
  cr_assert_eq(s.inode, 8993);
}

/* tm->when 0x173E = 5950 ticks of 10 ms. */
Test(procnet_tcp, orphaned_fin_wait2_is_a_timewait_mini_socket) {
  struct tc_sock s = parse_sl(&tcp4, AF_INET, 14);
  struct tc_sock peer = parse_sl(&tcp4, AF_INET, 5);
  cr_assert_eq(s.state, TC_STATE_FIN_WAIT2);
  assert_tuple(&s, "127.0.0.1:50868", "127.0.0.1:43053");
  assert_queues(&s, 0, 0);
  assert_timewait_timer(&s, 59500);
  cr_assert(tc_addr_equal(&s.tuple.local, &peer.tuple.remote), "its peer is the CLOSE_WAIT");
}

Test(procnet_tcp, time_wait_has_a_timewait_timer_and_no_inode) {
  struct tc_sock s = parse_sl(&tcp4, AF_INET, 15);
  cr_assert_eq(s.state, TC_STATE_TIME_WAIT);
  assert_tuple(&s, "127.0.0.1:50874", "127.0.0.1:43053");
  assert_timewait_timer(&s, 59600);
  cr_assert_eq(s.retransmits, 0);
}

/* ---- IPv6 ---- */

TestSuite(procnet_tcp6, .init = load_both, .disabled = FIXTURES_UNREADABLE);

Test(procnet_tcp6, listener_on_port_55079) {
  struct tc_sock s = parse_sl(&tcp6, AF_INET6, 0);
  cr_assert_eq(s.state, TC_STATE_LISTEN);
  assert_tuple(&s, "[::1]:55079", "[::]:0");
  cr_assert_eq(s.tuple.local.family, AF_INET6);
  cr_assert_eq(s.tuple.local.port, 55079);
  assert_queues(&s, 0, 0);
  assert_no_timer(&s);
  cr_assert_eq(s.inode, 8996);
}

Test(procnet_tcp6, server_side_of_the_pair_holds_5_unread_bytes) {
  struct tc_sock s = parse_sl(&tcp6, AF_INET6, 5);
  cr_assert_eq(s.state, TC_STATE_ESTABLISHED);
  assert_tuple(&s, "[::1]:55079", "[::1]:42696");
  assert_queues(&s, 0, 5);
  cr_assert_eq(s.inode, 8998);
}

Test(procnet_tcp6, client_side_of_the_pair_has_nothing_queued) {
  struct tc_sock s = parse_sl(&tcp6, AF_INET6, 1);
  cr_assert_eq(s.state, TC_STATE_ESTABLISHED);
  assert_tuple(&s, "[::1]:42696", "[::1]:55079");
  assert_queues(&s, 0, 0);
  cr_assert_eq(s.inode, 8997);
}

Test(procnet_tcp6, close_wait_counts_the_unread_fin_as_one_byte) {
  struct tc_sock s = parse_sl(&tcp6, AF_INET6, 4);
  cr_assert_eq(s.state, TC_STATE_CLOSE_WAIT);
  assert_tuple(&s, "[::1]:55079", "[::1]:42710");
  assert_queues(&s, 0, 1);
  cr_assert_eq(s.inode, 9000);
}

/* tm->when 0x1748 = 5960 ticks of 10 ms. */
Test(procnet_tcp6, orphaned_fin_wait2_is_a_timewait_mini_socket) {
  struct tc_sock s = parse_sl(&tcp6, AF_INET6, 2);
  cr_assert_eq(s.state, TC_STATE_FIN_WAIT2);
  assert_tuple(&s, "[::1]:42710", "[::1]:55079");
  assert_timewait_timer(&s, 59600);
}

/* tm->when 0x1751 = 5969 ticks of 10 ms. */
Test(procnet_tcp6, time_wait_has_a_timewait_timer_and_no_inode) {
  struct tc_sock s = parse_sl(&tcp6, AF_INET6, 3);
  cr_assert_eq(s.state, TC_STATE_TIME_WAIT);
  assert_tuple(&s, "[::1]:42726", "[::1]:55079");
  assert_timewait_timer(&s, 59690);
}

/* ---- hand-made lines ---- */

/* A line in the kernel's layout with the given state, tx:rx, timer and
 * retransmit columns. */
#define LINE(st, queues, timer, retr)                                              \
  "   7: 0100007F:A82D 0100007F:C6A8 " st " " queues " " timer " " retr            \
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
