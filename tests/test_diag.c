/* test_diag.c - the sock_diag observer: its answers decoded from bytes
 * Linux 6.18 sent (tests/fixtures/diag_*.bin, described in
 * diag_capture.txt), the requests and bytecode it builds, and, live on
 * loopback, the same answers as the procfs observer for the same sockets.
 *
 * Fixtures, per family: a listener with backlog 7 (from a bytecode-
 * restricted LISTEN dump), an ESTABLISHED pair whose server side holds 5
 * unread bytes, a CLOSE_WAIT with its FIN counted in recvq, an orphaned
 * FIN_WAIT2 and a TIME_WAIT timewait mini-socket, and the -ENOENT error
 * answer to a lookup of a tuple that does not exist. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "observe_diag_msg.h"
#include "tcpclose/observe.h"
#include "tcpclose/tcpstate.h"

#include "sock_asserts.h"

/* inet_diag_msg's counters are host-order words: the x86-64 captures read
 * right on little-endian hosts only. */
#define FIXTURES_UNREADABLE (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)

/* ---- helpers: fixtures ---- */

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
  cr_assert_gt(b.len, 0, "%s is empty", path);
  return b;
}

/* Decodes a fixture holding one socket message; it must be accepted. */
static struct tc_sock decode_bin(const char *name) {
  struct bin b = load_bin(name);
  struct tc_sock s;
  int rc = tc__diag_decode(b.bytes, b.len, &s);
  cr_assert_eq(rc, 0, "%s rejected: %d", name, rc);
  return s;
}

/* The n-th message of a fixture holding several (a dump's datagrams). */
static const struct nlmsghdr *nth_msg(const struct bin *b, int n) {
  int len = (int)b->len;
  const struct nlmsghdr *nlh = (const void *)b->bytes;
  for (int i = 0; i < n && mnl_nlmsg_ok(nlh, len); i++) nlh = mnl_nlmsg_next(nlh, &len);
  cr_assert(mnl_nlmsg_ok(nlh, len), "no message %d in the fixture", n);
  return nlh;
}

/* "diag_v4_NAME.bin" or "diag_v6_NAME.bin". */
static const char *fixture_name(int family, const char *name, char *buf, size_t len) {
  snprintf(buf, len, "diag_v%d_%s.bin", family == AF_INET6 ? 6 : 4, name);
  return buf;
}

/* ---- decoding the answers, both families ---- */

struct diag_row {
  char file[48];
  int dump; /* the first message of a dump, not a whole answer */
  struct expected_sock want;
};

/* The kernel reports a timewait mini-socket's tw_substate as its state. */
static struct diag_row sockets[] = {
    {"diag_v4_listen_dump.bin",
     1,
     {"v4 listener from the dump has its backlog as sendq", AF_INET, TC_STATE_LISTEN,
      "127.0.0.1:53515", "0.0.0.0:0", 7, 0, 0, 70358}},
    {"diag_v4_established_server.bin",
     0,
     {"v4 server side of the pair holds 5 unread bytes", AF_INET, TC_STATE_ESTABLISHED,
      "127.0.0.1:53515", "127.0.0.1:49922", 0, 5, 0, 70360}},
    {"diag_v4_established_client.bin",
     0,
     {"v4 client side of the pair has nothing queued", AF_INET, TC_STATE_ESTABLISHED,
      "127.0.0.1:49922", "127.0.0.1:53515", 0, 0, 0, 70359}},
    {"diag_v4_close_wait.bin",
     0,
     {"v4 close_wait counts the unread FIN as one byte", AF_INET, TC_STATE_CLOSE_WAIT,
      "127.0.0.1:53515", "127.0.0.1:49934", 0, 1, 0, 70362}},
    {"diag_v4_fin_wait2.bin",
     0,
     {"v4 orphaned FIN_WAIT2 is a timewait mini-socket", AF_INET, TC_STATE_FIN_WAIT2,
      "127.0.0.1:49934", "127.0.0.1:53515", 0, 0, 59756, 0}},
    {"diag_v4_time_wait.bin",
     0,
     {"v4 TIME_WAIT has a timewait timer and no inode", AF_INET, TC_STATE_TIME_WAIT,
      "127.0.0.1:49942", "127.0.0.1:53515", 0, 0, 59800, 0}},
    {"diag_v6_listen_dump.bin",
     1,
     {"v6 listener from the dump has its backlog as sendq", AF_INET6, TC_STATE_LISTEN,
      "[::1]:36793", "[::]:0", 7, 0, 0, 70372}},
    {"diag_v6_established_server.bin",
     0,
     {"v6 server side of the pair holds 5 unread bytes", AF_INET6, TC_STATE_ESTABLISHED,
      "[::1]:36793", "[::1]:35248", 0, 5, 0, 70374}},
    {"diag_v6_established_client.bin",
     0,
     {"v6 client side of the pair has nothing queued", AF_INET6, TC_STATE_ESTABLISHED,
      "[::1]:35248", "[::1]:36793", 0, 0, 0, 70373}},
    {"diag_v6_close_wait.bin",
     0,
     {"v6 close_wait counts the unread FIN as one byte", AF_INET6, TC_STATE_CLOSE_WAIT,
      "[::1]:36793", "[::1]:35258", 0, 1, 0, 70376}},
    {"diag_v6_fin_wait2.bin",
     0,
     {"v6 orphaned FIN_WAIT2 is a timewait mini-socket", AF_INET6, TC_STATE_FIN_WAIT2,
      "[::1]:35258", "[::1]:36793", 0, 0, 59760, 0}},
    {"diag_v6_time_wait.bin",
     0,
     {"v6 TIME_WAIT has a timewait timer and no inode", AF_INET6, TC_STATE_TIME_WAIT, "[::1]:35260",
      "[::1]:36793", 0, 0, 59800, 0}},
};

TestSuite(diag_fixture, .disabled = FIXTURES_UNREADABLE);

ParameterizedTestParameters(diag_fixture, socket_decodes_to_what_the_kernel_held) {
  return cr_make_param_array(struct diag_row, sockets, sizeof sockets / sizeof sockets[0]);
}

ParameterizedTest(struct diag_row *row, diag_fixture, socket_decodes_to_what_the_kernel_held) {
  struct tc_sock s;
  if (row->dump) {
    struct bin b = load_bin(row->file);
    const struct nlmsghdr *nlh = nth_msg(&b, 0);
    cr_assert_eq(tc__diag_decode(nlh, nlh->nlmsg_len, &s), 0, "%s rejected", row->file);
  } else {
    s = decode_bin(row->file);
  }
  assert_sock(&s, &row->want);
}

ParameterizedTestParameters(diag_fixture, dump_ends_with_done_which_is_no_socket) {
  static int families[] = {AF_INET, AF_INET6};
  return cr_make_param_array(int, families, sizeof families / sizeof families[0]);
}

ParameterizedTest(int *family, diag_fixture, dump_ends_with_done_which_is_no_socket) {
  char name[48];
  struct bin b = load_bin(fixture_name(*family, "listen_dump", name, sizeof name));
  const struct nlmsghdr *first = nth_msg(&b, 0), *done = nth_msg(&b, 1);
  struct tc_sock s;
  cr_assert_eq(first->nlmsg_flags & NLM_F_MULTI, NLM_F_MULTI, "%s: not multipart", name);
  cr_assert_eq(done->nlmsg_type, NLMSG_DONE, "%s: last message is %u", name, done->nlmsg_type);
  cr_assert_eq(tc__diag_decode(done, done->nlmsg_len, &s), -EINVAL, "%s: DONE decoded", name);
}

ParameterizedTestParameters(diag_fixture, missing_tuple_is_answered_by_enoent_not_a_socket) {
  static int families[] = {AF_INET, AF_INET6};
  return cr_make_param_array(int, families, sizeof families / sizeof families[0]);
}

ParameterizedTest(int *family, diag_fixture, missing_tuple_is_answered_by_enoent_not_a_socket) {
  char name[48];
  struct bin b = load_bin(fixture_name(*family, "gone", name, sizeof name));
  const struct nlmsghdr *nlh = (const void *)b.bytes;
  struct tc_sock s;
  cr_assert_eq(nlh->nlmsg_type, NLMSG_ERROR, "%s: type %u", name, nlh->nlmsg_type);
  cr_assert_eq(((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error, -ENOENT, "%s", name);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL, "%s: decoded", name);
}

/* ---- decoding altered answers ---- */

/* Offsets in the captured messages: the netlink header, then
 * inet_diag_msg (family, state, timer, retrans, id, expires, ...). */
#define AT_MSG 16
#define AT_STATE (AT_MSG + 1)
#define AT_TIMER (AT_MSG + 2)
#define AT_RETRANS (AT_MSG + 3)
#define AT_EXPIRES (AT_MSG + 52)

static struct nlattr *find_attr(struct bin *b, uint16_t type) {
  struct nlmsghdr *nlh = (void *)b->bytes;
  struct nlattr *a;
  mnl_attr_for_each(a, nlh,
                    sizeof(struct inet_diag_msg)) if (mnl_attr_get_type(a) == type) return a;
  cr_assert_fail("no attribute %u in the fixture", type);
  return NULL;
}

static void put_u32(struct bin *b, size_t at, uint32_t v) { memcpy(b->bytes + at, &v, sizeof v); }

TestSuite(diag_decode, .disabled = FIXTURES_UNREADABLE);

Test(diag_decode, message_cut_short_is_rejected) {
  struct bin b = load_bin("diag_v4_established_server.bin");
  struct tc_sock s;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len - 1, &s), -EINVAL);
  cr_assert_eq(tc__diag_decode(b.bytes, AT_MSG + sizeof(struct inet_diag_msg), &s), -EINVAL);
  cr_assert_eq(tc__diag_decode(b.bytes, 8, &s), -EINVAL);
}

/* Found by tests/fuzz/fuzz_diag.c: libmnl's mnl_nlmsg_ok() reads nlmsg_len
 * as an int, so 0xFFFFFFF0 passed as -16 and the walk jumped 4 GiB on. */
Test(diag_decode, length_with_the_top_bit_set_is_not_a_message) {
  struct bin b = load_bin("diag_v4_established_server.bin");
  struct tc_sock s;
  put_u32(&b, 0, 0xFFFFFFF0u);
  cr_assert_eq(tc__diag_msg_ok(b.bytes, (int)b.len), 0);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
  put_u32(&b, 0, 0x80000000u);
  cr_assert_eq(tc__diag_msg_ok(b.bytes, (int)b.len), 0);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
}

Test(diag_decode, a_message_must_fit_in_what_is_left) {
  struct bin b = load_bin("diag_v4_listen_dump.bin");
  const struct nlmsghdr *nlh = (const void *)b.bytes;
  cr_assert_eq(tc__diag_msg_ok(nlh, (int)b.len), 1);
  cr_assert_eq(tc__diag_msg_ok(nlh, (int)nlh->nlmsg_len), 1);
  cr_assert_eq(tc__diag_msg_ok(nlh, (int)nlh->nlmsg_len - 1), 0);
  cr_assert_eq(tc__diag_msg_ok(nlh, 15), 0, "shorter than a netlink header");
  cr_assert_eq(tc__diag_msg_ok(nlh, -4), 0);
  put_u32(&b, 0, 8);
  cr_assert_eq(tc__diag_msg_ok(nlh, (int)b.len), 0, "nlmsg_len shorter than its header");
}

/* Found by tests/fuzz/fuzz_diag.c: libmnl walks the attributes up to the
 * length rounded up to 4 bytes, past the end of a buffer that ends at an
 * unpadded length. */
Test(diag_decode, a_length_not_padded_to_4_bytes_must_fit_once_padded) {
  struct bin b = load_bin("diag_v4_established_server.bin");
  struct tc_sock s;
  cr_assert_eq(b.len % 4, 0, "the kernel pads its messages");
  put_u32(&b, 0, (uint32_t)b.len - 1);
  cr_assert_eq(tc__diag_msg_ok(b.bytes, (int)b.len - 1), 0);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len - 1, &s), -EINVAL);
  cr_assert_eq(tc__diag_msg_ok(b.bytes, (int)b.len), 1, "the padding is there");
}

Test(diag_decode, header_too_short_for_inet_diag_msg_is_rejected) {
  struct bin b = load_bin("diag_v4_time_wait.bin");
  struct tc_sock s;
  put_u32(&b, 0, AT_MSG + sizeof(struct inet_diag_msg) - 4);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
}

Test(diag_decode, state_0_and_state_12_are_not_tcp_states) {
  struct bin b = load_bin("diag_v4_time_wait.bin");
  struct tc_sock s;
  b.bytes[AT_STATE] = 0;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
  b.bytes[AT_STATE] = TC_STATE_COUNT;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
  b.bytes[AT_STATE] = TC_STATE_CLOSING;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), 0);
  cr_assert_eq(s.state, TC_STATE_CLOSING);
}

Test(diag_decode, family_other_than_inet_is_rejected) {
  struct bin b = load_bin("diag_v4_time_wait.bin");
  struct tc_sock s;
  b.bytes[AT_MSG] = AF_UNIX;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
}

Test(diag_decode, other_message_types_are_rejected) {
  struct bin b = load_bin("diag_v4_established_client.bin");
  struct tc_sock s;
  ((struct nlmsghdr *)b.bytes)->nlmsg_type = SOCK_DESTROY;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
}

/* /proc prints icsk_retransmits; idiag_retrans is the probe count under a
 * keepalive or zero-window timer, so tcp_info's copy wins when present. */
Test(diag_decode, retransmits_come_from_tcp_info_when_it_is_there) {
  struct bin b = load_bin("diag_v4_established_server.bin");
  struct tc_sock s;
  b.bytes[AT_RETRANS] = 7;
  uint8_t *ti = mnl_attr_get_payload(find_attr(&b, INET_DIAG_INFO));
  ti[offsetof(struct tcp_info, tcpi_retransmits)] = 3;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), 0);
  cr_assert_eq(s.retransmits, 3, "expected tcp_info's 3 but got %u", s.retransmits);
}

/* Attribute payloads are only 4-byte aligned, tcp_info asks for 8: reading
 * it as a struct was undefined behaviour (UBSan, via tests/fuzz/fuzz_diag.c;
 * the sanitized build fails here if it comes back). */
Test(diag_decode, tcp_info_4_bytes_off_an_8_byte_boundary_is_read) {
  struct bin b = load_bin("diag_v4_established_server.bin");
  uint8_t *ti = mnl_attr_get_payload(find_attr(&b, INET_DIAG_INFO));
  ti[offsetof(struct tcp_info, tcpi_retransmits)] = 3;
  size_t at = (size_t)(ti - b.bytes);
  static _Alignas(8) uint8_t buf[sizeof b.bytes + 8];
  size_t shift = at % 8 == 4 ? 0 : 4;
  memcpy(buf + shift, b.bytes, b.len);
  struct tc_sock s;
  cr_assert_eq((uintptr_t)(buf + shift + at) % 8, 4);
  cr_assert_eq(tc__diag_decode(buf + shift, b.len, &s), 0);
  cr_assert_eq(s.retransmits, 3);
}

Test(diag_decode, retransmits_come_from_idiag_retrans_without_tcp_info) {
  struct bin b = load_bin("diag_v4_time_wait.bin");
  struct tc_sock s;
  b.bytes[AT_RETRANS] = 2;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), 0);
  cr_assert_eq(s.retransmits, 2);
}

Test(diag_decode, tcp_info_too_short_to_hold_retransmits_is_rejected) {
  struct bin b = load_bin("diag_v4_established_server.bin");
  struct tc_sock s;
  struct nlattr *info = find_attr(&b, INET_DIAG_INFO);
  info->nla_len = MNL_ATTR_HDRLEN + 2;
  put_u32(&b, 0, (uint32_t)((uint8_t *)info - b.bytes) + MNL_ATTR_HDRLEN + 4);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), -EINVAL);
}

Test(diag_decode, time_left_is_ignored_without_a_timer) {
  struct bin b = load_bin("diag_v4_established_client.bin");
  struct tc_sock s;
  put_u32(&b, AT_EXPIRES, 500);
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), 0);
  cr_assert_eq(s.timer_ms, 0);
  b.bytes[AT_TIMER] = TC_TIMER_RETRANSMIT;
  cr_assert_eq(tc__diag_decode(b.bytes, b.len, &s), 0);
  cr_assert_eq(s.timer, TC_TIMER_RETRANSMIT);
  cr_assert_eq(s.timer_ms, 500);
}

/* ---- requests and bytecode ---- */

static struct tc_addr addr(const char *host, unsigned port) {
  struct tc_addr a;
  cr_assert_eq(tc_addr_parse(host, port, &a), 0);
  return a;
}

static struct tc_query listener_q(const char *host, unsigned port) {
  struct tc_query q = {.listener = 1};
  q.tuple.local = addr(host, port);
  return q;
}

static struct tc_query conn_q(const char *lhost, unsigned lport, const char *rhost,
                              unsigned rport) {
  struct tc_query q = {.listener = 0};
  q.tuple.local = addr(lhost, lport);
  q.tuple.remote = addr(rhost, rport);
  return q;
}

Test(diag_request, exact_lookup_names_the_4_tuple_in_network_order) {
  uint8_t buf[256];
  struct tc_query q = conn_q("::1", 40000, "::1", 5555);
  int len = tc__diag_put_exact(buf, sizeof buf, &q, 77);
  cr_assert_eq(len, 72);
  const struct nlmsghdr *nlh = (const void *)buf;
  cr_assert_eq(nlh->nlmsg_len, 72);
  cr_assert_eq(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
  cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST, "an exact lookup is no dump");
  cr_assert_eq(nlh->nlmsg_seq, 77);
  const struct inet_diag_req_v2 *r = mnl_nlmsg_get_payload(nlh);
  cr_assert_eq(r->sdiag_family, AF_INET6);
  cr_assert_eq(r->sdiag_protocol, IPPROTO_TCP);
  cr_assert_eq(r->idiag_ext, 1 << (INET_DIAG_INFO - 1));
  cr_assert_eq(ntohs(r->id.idiag_sport), 40000);
  cr_assert_eq(ntohs(r->id.idiag_dport), 5555);
  cr_assert_arr_eq(r->id.idiag_src, q.tuple.local.bytes, 16);
  cr_assert_arr_eq(r->id.idiag_dst, q.tuple.remote.bytes, 16);
  cr_assert_eq(r->id.idiag_if, 0);
  cr_assert_eq(r->id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
  cr_assert_eq(r->id.idiag_cookie[1], INET_DIAG_NOCOOKIE);
}

Test(diag_request, exact_lookup_needs_room_and_one_family) {
  uint8_t buf[256];
  struct tc_query q = conn_q("127.0.0.1", 1, "127.0.0.1", 2);
  cr_assert_eq(tc__diag_put_exact(buf, 71, &q, 1), -ENOSPC);
  q.tuple.remote = addr("::1", 2);
  cr_assert_eq(tc__diag_put_exact(buf, sizeof buf, &q, 1), -EINVAL);
  q.tuple.local.family = q.tuple.remote.family = AF_UNIX;
  cr_assert_eq(tc__diag_put_exact(buf, sizeof buf, &q, 1), -EINVAL);
}

/* The kernel's inet_diag_bc_audit() rules for the ops tcpclose writes:
 * every jump a multiple of 4 that lands on an op, the end, or (for a
 * reject) 4 bytes past it. */
static void assert_audit_passes(const uint8_t *bc, int len) {
  int starts[1024] = {0};
  for (int off = 0; off < len;) {
    struct inet_diag_bc_op op;
    memcpy(&op, bc + off, sizeof op);
    cr_assert(op.code == INET_DIAG_BC_S_COND || op.code == INET_DIAG_BC_JMP, "op %d at %d", op.code,
              off);
    cr_assert(op.yes >= 4 && op.yes % 4 == 0 && op.no >= 4 && op.no % 4 == 0, "jumps at %d", off);
    cr_assert_leq(off + op.no, len + 4);
    starts[off / 4] = 1;
    off += op.yes;
    cr_assert_leq(off, len);
  }
  for (int off = 0; off < len; off += 4) {
    if (!starts[off / 4]) continue;
    struct inet_diag_bc_op op;
    memcpy(&op, bc + off, sizeof op);
    cr_assert(off + op.no >= len || starts[(off + op.no) / 4], "jump from %d into an op", off);
  }
}

/* The kernel's inet_diag_bc_run() on one socket's local end. */
static int bc_accepts(const uint8_t *bc, int len, const struct tc_addr *local) {
  int off = 0;
  while (off < len) {
    struct inet_diag_bc_op op;
    struct inet_diag_hostcond hc;
    memcpy(&op, bc + off, sizeof op);
    memcpy(&hc, bc + off + sizeof op, sizeof hc);
    int yes = 0;
    if (op.code == INET_DIAG_BC_S_COND) {
      const uint8_t *a = bc + off + sizeof op + sizeof hc;
      yes = hc.family == local->family && (hc.port == -1 || hc.port == local->port) &&
            memcmp(a, local->bytes, hc.prefix_len / 8) == 0;
    }
    off += yes ? op.yes : op.no;
  }
  return off == len;
}

Test(diag_request, bytecode_accepts_exactly_the_queried_listeners_of_its_family) {
  struct tc_query q[] = {
      listener_q("127.0.0.1", 5555), conn_q("127.0.0.1", 6666, "127.0.0.1", 7777),
      listener_q("::1", 5555),       listener_q("127.0.0.2", 6000),
      listener_q("0.0.0.0", 7000),
  };
  uint8_t bc[512];
  int len = tc__diag_bc_listeners(bc, sizeof bc, AF_INET, q, 5);
  cr_assert_eq(len, 3 * 16 + 2 * 4, "three tests and two jumps, got %d bytes", len);
  assert_audit_passes(bc, len);
  struct tc_addr yes[] = {addr("127.0.0.1", 5555), addr("127.0.0.2", 6000), addr("0.0.0.0", 7000)};
  struct tc_addr no[] = {addr("127.0.0.1", 5556), addr("127.0.0.2", 5555), addr("127.0.0.1", 6666),
                         addr("::1", 5555),       addr("0.0.0.0", 5555),   addr("127.0.0.1", 7000)};
  for (size_t i = 0; i < 3; i++) cr_assert(bc_accepts(bc, len, &yes[i]), "rejects yes[%zu]", i);
  for (size_t i = 0; i < 6; i++) cr_assert(!bc_accepts(bc, len, &no[i]), "accepts no[%zu]", i);
}

Test(diag_request, bytecode_for_one_ipv6_listener_is_one_test) {
  struct tc_query q[] = {listener_q("127.0.0.1", 5555), listener_q("::1", 5555)};
  uint8_t bc[512];
  int len = tc__diag_bc_listeners(bc, sizeof bc, AF_INET6, q, 2);
  cr_assert_eq(len, 4 + 8 + 16);
  assert_audit_passes(bc, len);
  struct tc_addr l6 = addr("::1", 5555), other = addr("::2", 5555);
  cr_assert(bc_accepts(bc, len, &l6));
  cr_assert(!bc_accepts(bc, len, &other));
}

Test(diag_request, bytecode_needs_a_listener_of_the_family_and_room) {
  struct tc_query q[] = {listener_q("127.0.0.1", 5555), conn_q("::1", 1, "::1", 2)};
  uint8_t bc[512];
  cr_assert_eq(tc__diag_bc_listeners(bc, sizeof bc, AF_INET6, q, 2), -EINVAL);
  cr_assert_eq(tc__diag_bc_listeners(bc, sizeof bc, AF_UNIX, q, 2), -EINVAL);
  cr_assert_eq(tc__diag_bc_listeners(bc, 15, AF_INET, q, 2), -ENOSPC);
}

Test(diag_request, listener_dump_asks_for_listen_only_with_the_bytecode) {
  struct tc_query q[] = {listener_q("127.0.0.1", 5555), listener_q("127.0.0.1", 6000)};
  uint8_t buf[512], bc[512];
  int len = tc__diag_put_listen_dump(buf, sizeof buf, AF_INET, q, 2, 9);
  int bclen = tc__diag_bc_listeners(bc, sizeof bc, AF_INET, q, 2);
  cr_assert_eq(len, 72 + 4 + bclen);
  const struct nlmsghdr *nlh = (const void *)buf;
  cr_assert_eq(nlh->nlmsg_len, (uint32_t)len);
  cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  cr_assert_eq(nlh->nlmsg_seq, 9);
  const struct inet_diag_req_v2 *r = mnl_nlmsg_get_payload(nlh);
  cr_assert_eq(r->sdiag_family, AF_INET);
  cr_assert_eq(r->idiag_states, 1u << TC_STATE_LISTEN, "LISTEN only: the kernel skips connections");
  cr_assert_eq(r->id.idiag_sport, 0);
  const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof *r);
  cr_assert_eq(mnl_attr_get_type(a), INET_DIAG_REQ_BYTECODE);
  cr_assert_eq(mnl_attr_get_payload_len(a), (uint16_t)bclen);
  cr_assert_arr_eq(mnl_attr_get_payload(a), bc, (size_t)bclen);
  cr_assert_eq(tc__diag_put_listen_dump(buf, (size_t)len - 1, AF_INET, q, 2, 9), -ENOSPC);
}

/* ---- live: real sockets on loopback, diag against procfs ---- */

#define MAX_Q 160

struct scene {
  int family;
  int fds[MAX_Q];
  size_t nfds;
  struct tc_query q[MAX_Q];
  int want[MAX_Q]; /* the state each query must find */
  size_t n;
};

static const char *loopback(int family) { return family == AF_INET6 ? "::1" : "127.0.0.1"; }

/* The local (peer = 0) or remote end of a connected or bound socket. */
static struct tc_addr end_of(int fd, int peer) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                : getsockname(fd, (struct sockaddr *)&ss, &len);
  cr_assert_eq(rc, 0, "getsockname: %s", strerror(errno));
  struct tc_addr a = {.family = ss.ss_family};
  if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
    memcpy(a.bytes, &s6->sin6_addr, 16);
    a.port = ntohs(s6->sin6_port);
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
    memcpy(a.bytes, &s4->sin_addr, 4);
    a.port = ntohs(s4->sin_port);
  }
  return a;
}

static unsigned long inode_of(int fd) {
  struct stat st;
  cr_assert_eq(fstat(fd, &st), 0);
  return (unsigned long)st.st_ino;
}

static int keep(struct scene *sc, int fd) {
  cr_assert_lt(sc->nfds, MAX_Q);
  sc->fds[sc->nfds++] = fd;
  return fd;
}

/* A listener on the loopback address, port 0; skips the test when this
 * host has no IPv6 loopback. */
static int listen_on(struct scene *sc, int backlog) {
  struct tc_addr a = addr(loopback(sc->family), 0);
  struct sockaddr_storage ss;
  socklen_t len = tc_addr_to_sockaddr(&a, &ss);
  int fd = socket(sc->family, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
    if (sc->family == AF_INET6) cr_skip_test("no IPv6 loopback here: %s", strerror(errno));
    cr_assert_fail("bind %s: %s", loopback(sc->family), strerror(errno));
  }
  cr_assert_eq(listen(fd, backlog), 0);
  return keep(sc, fd);
}

static void connect_pair(struct scene *sc, int lfd, int *cli, int *srv) {
  struct tc_addr l = end_of(lfd, 0);
  struct sockaddr_storage ss;
  socklen_t len = tc_addr_to_sockaddr(&l, &ss);
  *cli = keep(sc, socket(sc->family, SOCK_STREAM, 0));
  cr_assert_eq(connect(*cli, (struct sockaddr *)&ss, len), 0, "connect: %s", strerror(errno));
  *srv = keep(sc, accept(lfd, NULL, NULL));
  cr_assert_geq(*srv, 0);
}

/* Closes fd now, leaving its slot in sc empty. */
static void close_now(struct scene *sc, int fd) {
  for (size_t i = 0; i < sc->nfds; i++)
    if (sc->fds[i] == fd) sc->fds[i] = -1;
  close(fd);
}

static void close_scene(struct scene *sc) {
  for (size_t i = 0; i < sc->nfds; i++)
    if (sc->fds[i] >= 0) close(sc->fds[i]);
  sc->nfds = 0;
}

static void ask(struct scene *sc, struct tc_query q, int want) {
  cr_assert_lt(sc->n, MAX_Q);
  sc->q[sc->n] = q;
  sc->want[sc->n++] = want;
}

static struct tc_query conn_of(int fd) {
  struct tc_query q = {.listener = 0};
  q.tuple.local = end_of(fd, 0);
  q.tuple.remote = end_of(fd, 1);
  return q;
}

/* The states the suite's cases meet, on the family's loopback: a
 * listener (backlog 7); pair A, 5 bytes unread at the server; pair B, the
 * client closed (orphaned FIN_WAIT2 / CLOSE_WAIT); pair C, both closed
 * (TIME_WAIT); pair K with a keepalive timer; and three queries for
 * sockets that do not exist. */
static void build_scene(struct scene *sc, int family) {
  memset(sc, 0, sizeof *sc);
  sc->family = family;
  int lfd = listen_on(sc, 7), a_cli, a_srv, b_cli, b_srv, c_cli, c_srv, k_cli, k_srv;
  connect_pair(sc, lfd, &a_cli, &a_srv);
  cr_assert_eq(write(a_cli, "hello", 5), 5);
  connect_pair(sc, lfd, &b_cli, &b_srv);
  connect_pair(sc, lfd, &c_cli, &c_srv);
  connect_pair(sc, lfd, &k_cli, &k_srv);
  int one = 1;
  cr_assert_eq(setsockopt(k_cli, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0);
  struct tc_query b = conn_of(b_cli), c = conn_of(c_cli), none = c;
  none.tuple.remote.port = 1;
  struct tc_query on_listener = {.tuple = {.local = end_of(lfd, 0), .remote = none.tuple.remote}};
  struct tc_query not_listening = {.listener = 1, .tuple.local = end_of(a_cli, 0)};
  close_now(sc, b_cli);
  close_now(sc, c_cli);
  char byte;
  cr_assert_eq(read(c_srv, &byte, 1), 0, "the server of pair C sees the client's FIN");
  close_now(sc, c_srv);

  ask(sc, (struct tc_query){.listener = 1, .tuple.local = end_of(lfd, 0)}, TC_STATE_LISTEN);
  ask(sc, conn_of(a_cli), TC_STATE_ESTABLISHED);
  ask(sc, conn_of(a_srv), TC_STATE_ESTABLISHED);
  ask(sc, conn_of(b_srv), TC_STATE_CLOSE_WAIT);
  ask(sc, b, TC_STATE_FIN_WAIT2);
  ask(sc, c, TC_STATE_TIME_WAIT);
  ask(sc, conn_of(k_cli), TC_STATE_ESTABLISHED);
  ask(sc, none, TC_STATE_GONE);
  ask(sc, on_listener, TC_STATE_GONE);
  ask(sc, not_listening, TC_STATE_GONE);
}

static tc_observer *open_obs(const char *name) {
  tc_observer *obs = NULL;
  tc_err err = {{0}};
  int rc = tc_observer_open(name, &obs, &err);
  cr_assert_eq(rc, 0, "observer %s: %s", name, err.msg);
  cr_assert_str_eq(tc_observer_name(obs), name);
  return obs;
}

static void snap(tc_observer *obs, const struct scene *sc, struct tc_sock *out) {
  tc_err err = {{0}};
  int rc = tc_observer_snapshot(obs, sc->q, sc->n, out, &err);
  cr_assert_eq(rc, 0, "%s snapshot: %s", tc_observer_name(obs), err.msg);
}

static int reached(const struct scene *sc, const struct tc_sock *s) {
  for (size_t i = 0; i < sc->n; i++)
    if (s[i].state != sc->want[i]) return 0;
  return 1;
}

/* The closes above finish in the kernel a moment later: wait (at most
 * 2 s) until diag shows every wanted state. */
static void settle(tc_observer *diag, const struct scene *sc, struct tc_sock *out) {
  for (int waited = 0; waited < 2000; waited += 10) {
    snap(diag, sc, out);
    if (reached(sc, out)) return;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  for (size_t i = 0; i < sc->n; i++)
    cr_assert_eq(out[i].state, sc->want[i], "query %zu: expected %s but got %s", i,
                 tc_state_name(sc->want[i]), tc_state_name(out[i].state));
}

/* One query's answers must agree field by field; a timer counts down
 * between the two snapshots, hence the 1 s slack on time left. LISTEN's
 * sendq differs by design (see listener_sendq_is_the_backlog...). */
static int agree(const struct tc_sock *d, const struct tc_sock *p, char *why, size_t len) {
  long dt = d->timer_ms - p->timer_ms;
  const char *field = d->state != p->state                                  ? "state"
                      : !tc_addr_equal(&d->tuple.local, &p->tuple.local)    ? "local address"
                      : !tc_addr_equal(&d->tuple.remote, &p->tuple.remote)  ? "remote address"
                      : d->recvq != p->recvq                                ? "recvq"
                      : d->sendq != p->sendq && d->state != TC_STATE_LISTEN ? "sendq"
                      : d->timer != p->timer                                ? "timer"
                      : dt > 1000 || dt < -1000                             ? "timer_ms"
                      : d->retransmits != p->retransmits                    ? "retransmits"
                      : d->inode != p->inode                                ? "inode"
                                                                            : NULL;
  if (field == NULL) return 1;
  snprintf(why, len,
           "%s: diag %s recvq=%u sendq=%u timer=%d/%ldms retr=%u inode=%lu, "
           "procfs %s recvq=%u sendq=%u timer=%d/%ldms retr=%u inode=%lu",
           field, tc_state_name(d->state), d->recvq, d->sendq, d->timer, d->timer_ms,
           d->retransmits, d->inode, tc_state_name(p->state), p->recvq, p->sendq, p->timer,
           p->timer_ms, p->retransmits, p->inode);
  return 0;
}

/* Snapshots the scene with both observers and asserts they agree. A timer
 * that fires between the two snapshots (a zero-window probe) can make one
 * round differ; a real disagreement differs every round. */
static void assert_observers_agree(const struct scene *sc, struct tc_sock *d) {
  tc_observer *diag = open_obs("diag"), *procfs = open_obs("procfs");
  settle(diag, sc, d);
  struct tc_sock p[MAX_Q];
  char why[512] = "";
  size_t bad = 0;
  for (int round = 0; round < 5; round++) {
    snap(diag, sc, d);
    snap(procfs, sc, p);
    for (bad = 0; bad < sc->n && agree(&d[bad], &p[bad], why, sizeof why); bad++) continue;
    if (bad == sc->n) break;
  }
  tc_observer_close(diag);
  tc_observer_close(procfs);
  cr_assert_eq(bad, sc->n, "query %zu: %s", bad, why);
}

/* The answers procfs and diag agree on, against what the test knows. */
static void assert_scene_values(const struct scene *sc, const struct tc_sock *s) {
  assert_queues(&s[0], 7, 0);
  cr_assert_eq(s[0].inode, inode_of(sc->fds[0]), "the listener's own inode");
  assert_queues(&s[1], 0, 0);
  assert_queues(&s[2], 0, 5);
  assert_queues(&s[3], 0, 1);
  cr_assert_eq(s[4].timer, TC_TIMER_TIMEWAIT);
  cr_assert_eq(s[4].inode, 0);
  cr_assert_eq(s[5].timer, TC_TIMER_TIMEWAIT);
  cr_assert_gt(s[5].timer_ms, 50000, "TIME_WAIT lasts 60 s, %ld ms left", s[5].timer_ms);
  cr_assert_eq(s[6].timer, TC_TIMER_KEEPALIVE, "SO_KEEPALIVE arms the keepalive timer");
  for (size_t i = 7; i < sc->n; i++) {
    cr_assert(tc_addr_equal(&s[i].tuple.local, &sc->q[i].tuple.local),
              "GONE keeps the query's tuple");
    cr_assert_eq(s[i].inode, 0);
  }
}

TestSuite(diag_live, .timeout = 30);

ParameterizedTestParameters(diag_live, answers_match_procfs) {
  static int families[] = {AF_INET, AF_INET6};
  return cr_make_param_array(int, families, sizeof families / sizeof families[0]);
}

ParameterizedTest(int *family, diag_live, answers_match_procfs, .timeout = 30) {
  struct scene sc;
  struct tc_sock d[MAX_Q];
  build_scene(&sc, *family);
  assert_observers_agree(&sc, d);
  assert_scene_values(&sc, d);
  close_scene(&sc);
}

/* One snapshot, both families: the IPv4 batch then the IPv6 one, each
 * answer landing on its own query. */
Test(diag_live, both_families_in_one_snapshot) {
  struct scene v4, v6, both;
  struct tc_sock d[MAX_Q];
  build_scene(&v6, AF_INET6);
  build_scene(&v4, AF_INET);
  memset(&both, 0, sizeof both);
  for (size_t i = 0; i < v4.n; i++) {
    ask(&both, v6.q[i], v6.want[i]);
    ask(&both, v4.q[i], v4.want[i]);
  }
  assert_observers_agree(&both, d);
  for (size_t i = 0; i < both.n; i++)
    cr_assert(tc_addr_equal(&d[i].tuple.local, &both.q[i].tuple.local),
              "answer %zu is another query's", i);
  close_scene(&v4);
  close_scene(&v6);
}

/* procfs reads /proc/net/tcp, whose tx_queue column is write_seq - snd_una
 * (0) for a listener; sock_diag gives sk_max_ack_backlog, the sendq that
 * sock.h promises and `ss` shows. The one field where they differ. */
Test(diag_live, listener_sendq_is_the_backlog_where_procfs_shows_0) {
  struct scene sc = {.family = AF_INET};
  int lfd = listen_on(&sc, 5);
  ask(&sc, (struct tc_query){.listener = 1, .tuple.local = end_of(lfd, 0)}, TC_STATE_LISTEN);
  struct tc_sock d[1], p[1];
  tc_observer *diag = open_obs("diag"), *procfs = open_obs("procfs");
  snap(diag, &sc, d);
  snap(procfs, &sc, p);
  tc_observer_close(diag);
  tc_observer_close(procfs);
  cr_assert_eq(d[0].state, TC_STATE_LISTEN);
  cr_assert_eq(p[0].state, TC_STATE_LISTEN);
  cr_assert_eq(d[0].sendq, 5, "diag: expected the backlog 5 but got %u", d[0].sendq);
  cr_assert_eq(p[0].sendq, 0, "procfs: expected 0 but got %u", p[0].sendq);
  close_scene(&sc);
}

/* 70 connections and 3 listeners, interleaved: three sendmsg() batches of
 * lookups, the listener dump riding with the first. */
Test(diag_live, more_queries_than_one_batch_are_all_answered) {
  struct scene sc = {.family = AF_INET};
  struct tc_sock d[MAX_Q];
  int lfd[3];
  for (int i = 0; i < 3; i++) lfd[i] = listen_on(&sc, 64);
  for (int i = 0; i < 35; i++) {
    int cli, srv;
    connect_pair(&sc, lfd[i % 3], &cli, &srv);
    ask(&sc, conn_of(cli), TC_STATE_ESTABLISHED);
    ask(&sc, conn_of(srv), TC_STATE_ESTABLISHED);
    if (i % 12 == 0)
      ask(&sc, (struct tc_query){.listener = 1, .tuple.local = end_of(lfd[i / 12], 0)},
          TC_STATE_LISTEN);
  }
  cr_assert_eq(sc.n, 73);
  assert_observers_agree(&sc, d);
  for (size_t i = 0; i < sc.n; i++)
    cr_assert(tc_addr_equal(&d[i].tuple.local, &sc.q[i].tuple.local),
              "answer %zu is another query's", i);
  close_scene(&sc);
}

/* The bytecode, run by the kernel: of three listeners on one address,
 * only the two asked for come back, each to its own query. */
Test(diag_live, listener_dump_answers_only_the_queried_listeners) {
  struct scene sc = {.family = AF_INET};
  int l1 = listen_on(&sc, 1), l2 = listen_on(&sc, 2), l3 = listen_on(&sc, 3);
  struct tc_query q2 = {.listener = 1, .tuple.local = end_of(l2, 0)};
  close_now(&sc, l2);
  ask(&sc, (struct tc_query){.listener = 1, .tuple.local = end_of(l3, 0)}, TC_STATE_LISTEN);
  ask(&sc, q2, TC_STATE_GONE);
  ask(&sc, (struct tc_query){.listener = 1, .tuple.local = end_of(l1, 0)}, TC_STATE_LISTEN);
  struct tc_sock d[3];
  tc_observer *diag = open_obs("diag");
  snap(diag, &sc, d);
  tc_observer_close(diag);
  cr_assert_eq(d[0].state, TC_STATE_LISTEN);
  cr_assert_eq(d[0].inode, inode_of(l3));
  cr_assert_eq(d[0].sendq, 3);
  cr_assert_eq(d[1].state, TC_STATE_GONE, "a closed listener is gone, got %s",
               tc_state_name(d[1].state));
  cr_assert_eq(d[2].state, TC_STATE_LISTEN);
  cr_assert_eq(d[2].inode, inode_of(l1));
  cr_assert_eq(d[2].sendq, 1);
  close_scene(&sc);
}

Test(diag_live, tuple_that_does_not_exist_is_gone) {
  struct scene sc = {.family = AF_INET};
  struct tc_sock d[1];
  ask(&sc, conn_q("127.0.0.1", 1, "127.0.0.1", 2), TC_STATE_GONE);
  tc_observer *diag = open_obs("diag");
  d[0].state = TC_STATE_ESTABLISHED;
  snap(diag, &sc, d);
  tc_observer_close(diag);
  cr_assert_eq(d[0].state, TC_STATE_GONE);
  assert_addr(&d[0].tuple.local, "127.0.0.1:1");
  assert_addr(&d[0].tuple.remote, "127.0.0.1:2");
}

Test(diag_live, sock_diag_is_the_default_observer_on_linux) {
  tc_observer *obs = NULL;
  tc_err err = {{0}};
  cr_assert_eq(tc_observer_open(NULL, &obs, &err), 0, "%s", err.msg);
  cr_assert_str_eq(tc_observer_name(obs), "diag");
  tc_observer_close(obs);
}

/* Writes to a peer that never reads until the client's window closes and
 * its zero-window probe timer runs (timer 4, sendq > 0): there sock_diag's
 * idiag_retrans counts probes while /proc prints icsk_retransmits, which
 * the observer takes from tcp_info. Fails if the window never closes. */
static void fill_window(tc_observer *diag, const struct scene *sc, int cli) {
  static const char chunk[1024];
  struct tc_sock s[2];
  cr_assert_eq(fcntl(cli, F_SETFL, O_NONBLOCK), 0);
  for (int waited = 0; waited < 3000; waited += 5) {
    while (write(cli, chunk, sizeof chunk) > 0) continue;
    snap(diag, sc, s);
    if (s[0].timer == TC_TIMER_PROBE) return;
    struct timespec ts = {0, 5 * 1000000L};
    nanosleep(&ts, NULL);
  }
  cr_assert_fail("no zero-window probe timer after 3 s (timer %d, sendq %u)", s[0].timer,
                 s[0].sendq);
}

static struct tcp_info info_of(int fd) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
  return ti;
}

/* Once a probe is out (probes_out 1, icsk_retransmits 0), a snapshot taken
 * while that holds must report the retransmits /proc would print. */
static void assert_retransmits_not_probes(tc_observer *diag, const struct scene *sc, int cli) {
  struct tc_sock s[2];
  for (int waited = 0; waited < 3000; waited += 5) {
    struct tcp_info before = info_of(cli);
    if (before.tcpi_probes > 0) {
      snap(diag, sc, s);
      struct tcp_info after = info_of(cli);
      if (after.tcpi_probes != before.tcpi_probes) continue; /* a probe went out meanwhile */
      cr_assert_eq(s[0].retransmits, after.tcpi_retransmits,
                   "expected %u retransmits (probes out: %u) but got %u", after.tcpi_retransmits,
                   after.tcpi_probes, s[0].retransmits);
      return;
    }
    struct timespec ts = {0, 5 * 1000000L};
    nanosleep(&ts, NULL);
  }
  cr_assert_fail("no zero-window probe sent within 3 s");
}

Test(diag_live, zero_window_probe_timer_matches_procfs) {
  struct scene sc = {.family = AF_INET};
  struct tc_sock d[2];
  int small = 4096, lfd = listen_on(&sc, 1), cli, srv;
  cr_assert_eq(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  connect_pair(&sc, lfd, &cli, &srv);
  cr_assert_eq(setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  ask(&sc, conn_of(cli), TC_STATE_ESTABLISHED);
  ask(&sc, conn_of(srv), TC_STATE_ESTABLISHED);
  tc_observer *diag = open_obs("diag");
  fill_window(diag, &sc, cli);
  assert_retransmits_not_probes(diag, &sc, cli);
  tc_observer_close(diag);
  assert_observers_agree(&sc, d);
  cr_assert_eq(d[0].timer, TC_TIMER_PROBE);
  cr_assert_gt(d[0].sendq, 0);
  cr_assert_gt(d[1].recvq, 0);
  close_scene(&sc);
}

/* Sends one request on a sock_diag socket of its own; collects the local
 * ports of the sockets in the answer until NLMSG_DONE. Returns how many,
 * or the kernel's negative errno. */
static int raw_dump(const void *req, size_t len, uint16_t *ports, int max) {
  struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
  cr_assert_not_null(nl);
  cr_assert_eq(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
  cr_assert_eq(mnl_socket_sendto(nl, req, len), (ssize_t)len);
  static uint8_t buf[32768];
  int n = 0, done = 0;
  while (!done) {
    int r = (int)mnl_socket_recvfrom(nl, buf, sizeof buf);
    cr_assert_gt(r, 0);
    for (const struct nlmsghdr *h = (const void *)buf; mnl_nlmsg_ok(h, r);
         h = mnl_nlmsg_next(h, &r)) {
      struct tc_sock s;
      if (h->nlmsg_type == NLMSG_ERROR)
        n = ((const struct nlmsgerr *)mnl_nlmsg_get_payload(h))->error;
      done |= h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR;
      if (tc__diag_decode(h, h->nlmsg_len, &s) == 0 && n >= 0 && n < max)
        ports[n++] = s.tuple.local.port;
    }
  }
  mnl_socket_close(nl);
  return n;
}

/* The kernel accepts the bytecode (inet_diag_bc_audit()) and runs it:
 * of four listeners, the dump returns the two asked for, nothing else. */
Test(diag_live, kernel_filters_the_listener_dump_by_the_bytecode) {
  struct scene sc = {.family = AF_INET6};
  int l[4];
  for (int i = 0; i < 4; i++) l[i] = listen_on(&sc, 1);
  ask(&sc, (struct tc_query){.listener = 1, .tuple.local = end_of(l[3], 0)}, TC_STATE_LISTEN);
  ask(&sc, conn_q("::1", end_of(l[0], 0).port, "::1", 1), TC_STATE_GONE);
  ask(&sc, (struct tc_query){.listener = 1, .tuple.local = end_of(l[1], 0)}, TC_STATE_LISTEN);
  uint8_t req[1024];
  int len = tc__diag_put_listen_dump(req, sizeof req, AF_INET6, sc.q, sc.n, 1);
  cr_assert_gt(len, 0);
  uint16_t ports[8];
  int n = raw_dump(req, (size_t)len, ports, 8);
  cr_assert_eq(n, 2, "expected the 2 listeners asked for but got %d", n);
  uint16_t want[2] = {end_of(l[3], 0).port, end_of(l[1], 0).port};
  cr_assert((ports[0] == want[0] && ports[1] == want[1]) ||
                (ports[0] == want[1] && ports[1] == want[0]),
            "got ports %u and %u, asked for %u and %u", ports[0], ports[1], want[0], want[1]);
  close_scene(&sc);
}

/* With no descriptor left, the diag socket cannot open: diag must say so in
 * one line, as on a kernel without sock_diag. (The fallback to procfs cannot
 * be shown this way: procfs too opens its files at open(), inside the case's
 * namespace, so with no descriptor nothing opens.) */
Test(diag_open, failure_is_one_line) {
  int lowest_free = dup(0);
  cr_assert_geq(lowest_free, 0);
  close(lowest_free);
  struct rlimit rl;
  cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
  rl.rlim_cur = (rlim_t)lowest_free;
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
  tc_observer *obs = NULL;
  tc_err err = {{0}};
  int rc = tc_observer_open("diag", &obs, &err);
  cr_assert_lt(rc, 0, "diag opened without a descriptor");
  cr_assert(strncmp(err.msg, "observer diag: ", 15) == 0, "reason: '%s'", err.msg);
  cr_assert_null(strchr(err.msg, '\n'), "one line: '%s'", err.msg);
  cr_assert_null(obs);
}
