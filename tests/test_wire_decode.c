/* test_wire_decode.c - segments on the wire: real loopback frames decoded
 * field by field, tcpdump's flag notation and relative numbers, the other
 * link types, frames that are not TCP segments, and a live capture.
 *
 * tests/fixtures/wire_loopback.txt holds 38 frames Linux 6.18 put on lo
 * (its header says how they were made), each with the line tcpdump printed
 * for it: frames 1-19 IPv4, 20-38 IPv6, per family an orderly close with 6
 * bytes of data, a bare R from an orphaned FIN_WAIT2 and an R. from
 * SO_LINGER{1,0}. The wire_live tests capture a close they make themselves;
 * they need root and skip without it. The window, window scale and
 * timestamp options are checked against tcpdump's print of the same frames. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixture_frames.h"
#include "tcpclose/sock.h"
#include "tcpclose/wire.h"
#include "wire_decode.h"

/* pcap link types, from libpcap's pcap/dlt.h (Linux values). */
#define TEST_DLT_NULL 0
#define TEST_DLT_EN10MB 1
#define TEST_DLT_RAW 12
#define TEST_DLT_LOOP 108
#define TEST_DLT_LINUX_SLL 113
#define TEST_DLT_IPV4 228
#define TEST_DLT_LINUX_SLL2 276

#define ETH_LEN 14
static struct frame frames[MAX_FRAMES];
static size_t nframes;

static void load_fixture(void) { nframes = fixture_frames_load("wire_loopback.txt", frames); }

static const struct frame *frame_no(unsigned number) {
  for (size_t i = 0; i < nframes; i++)
    if (frames[i].number == number) return &frames[i];
  cr_assert_fail("no frame %u in the fixture", number);
  return NULL;
}

static struct tc_segment decode_ok(int linktype, const uint8_t *bytes, size_t len) {
  struct tc_segment s;
  int rc = tc_wire_decode(linktype, bytes, len, &s);
  cr_assert_eq(rc, 0, "expected the frame to decode but got %d", rc);
  return s;
}

static struct tc_segment decode_frame(unsigned number) {
  const struct frame *f = frame_no(number);
  return decode_ok(TEST_DLT_EN10MB, f->bytes, f->len);
}

static void assert_addr(const struct tc_addr *a, const char *expect) {
  char buf[TC_ADDR_STRLEN];
  cr_assert_str_eq(tc_addr_format(a, buf, sizeof buf), expect);
}

static void assert_same_segment(const struct tc_segment *a, const struct tc_segment *b) {
  cr_assert(tc_addr_equal(&a->src, &b->src) && tc_addr_equal(&a->dst, &b->dst));
  cr_assert_eq(a->tcpflags, b->tcpflags);
  cr_assert_str_eq(a->flags, b->flags);
  cr_assert_eq(a->seq_abs, b->seq_abs);
  cr_assert_eq(a->ack_abs, b->ack_abs);
  cr_assert_eq(a->len, b->len);
  cr_assert_eq(a->win, b->win);
  cr_assert_eq(a->has_ts, b->has_ts);
  cr_assert_eq(a->tsval, b->tsval);
  cr_assert_eq(a->tsecr, b->tsecr);
}

/* ---- tcpdump's own line for each frame ---- */

struct printed {
  char src[TC_ADDR_STRLEN], dst[TC_ADDR_STRLEN];
  char flags[TC_FLAGS_MAX];
  int has_seq, has_ack;
  uint32_t seq, ack, len;
};

/* tcpdump's "127.0.0.1.54370" / "::1.54370" as tc_addr_format writes it. */
static void endpoint(const char *from, size_t n, int v6, char out[TC_ADDR_STRLEN]) {
  char host[TC_ADDR_STRLEN];
  cr_assert_lt(n, sizeof host);
  memcpy(host, from, n);
  host[n] = '\0';
  char *dot = strrchr(host, '.');
  cr_assert_not_null(dot);
  *dot = '\0';
  snprintf(out, TC_ADDR_STRLEN, v6 ? "[%s]:%s" : "%s:%s", host, dot + 1);
}

static uint32_t number_after(const char *line, const char *key, int *found) {
  const char *p = strstr(line, key);
  *found = p != NULL;
  return p != NULL ? (uint32_t)strtoul(p + strlen(key), NULL, 10) : 0;
}

static struct printed parse_printed(const char *line) {
  struct printed p;
  int v6 = strncmp(line, "IP6 ", 4) == 0, found;
  const char *src = strchr(line, ' ') + 1, *gt = strstr(line, " > "),
             *colon = strstr(line, ": Flags [");
  cr_assert(gt != NULL && colon != NULL, "unexpected tcpdump line: %s", line);
  endpoint(src, (size_t)(gt - src), v6, p.src);
  endpoint(gt + 3, (size_t)(colon - gt - 3), v6, p.dst);
  const char *f = colon + strlen(": Flags ["), *end = strchr(f, ']');
  snprintf(p.flags, sizeof p.flags, "%.*s", (int)(end - f), f);
  p.seq = number_after(line, ", seq ", &p.has_seq);
  p.ack = number_after(line, ", ack ", &p.has_ack);
  p.len = number_after(line, ", length ", &found);
  cr_assert(found, "no length in: %s", line);
  return p;
}

/* tcpdump prints relative numbers only on segments with ACK and no SYN. */
static int printed_relative(const struct tc_segment *s) {
  return (s->tcpflags & TC_TCP_ACK) && !(s->tcpflags & TC_TCP_SYN);
}

TestSuite(wire_fixture, .init = load_fixture);

Test(wire_fixture, holds_38_frames_numbered_in_order) {
  cr_assert_eq(nframes, 38, "expected 38 frames but read %zu", nframes);
  for (size_t i = 0; i < nframes; i++) {
    cr_assert_eq(frames[i].number, i + 1);
    cr_assert_geq(frames[i].len, ETH_LEN + 20 + 20, "frame %u too short", frames[i].number);
  }
}

Test(wire_fixture, every_frame_decodes_as_tcpdump_printed_it) {
  for (size_t i = 0; i < nframes; i++) {
    struct tc_segment s = decode_ok(TEST_DLT_EN10MB, frames[i].bytes, frames[i].len);
    struct printed p = parse_printed(frames[i].line);
    assert_addr(&s.src, p.src);
    assert_addr(&s.dst, p.dst);
    cr_assert_str_eq(s.flags, p.flags, "frame %u", frames[i].number);
    cr_assert_eq(s.len, p.len, "frame %u: expected len %u but got %u", frames[i].number, p.len,
                 s.len);
    cr_assert_eq(p.has_ack, (s.tcpflags & TC_TCP_ACK) != 0, "frame %u", frames[i].number);
    if (printed_relative(&s)) continue;
    if (p.has_seq) cr_assert_eq(s.seq_abs, p.seq, "frame %u", frames[i].number);
    if (p.has_ack) cr_assert_eq(s.ack_abs, p.ack, "frame %u", frames[i].number);
  }
}

Test(wire_fixture, relative_numbers_are_tcpdumps) {
  struct tc__wire_isns isns = {0};
  size_t compared = 0;
  for (size_t i = 0; i < nframes; i++) {
    struct tc_segment s = decode_ok(TEST_DLT_EN10MB, frames[i].bytes, frames[i].len);
    cr_assert_eq(tc__wire_number(&isns, &s), 0);
    struct printed p = parse_printed(frames[i].line);
    if (!printed_relative(&s)) continue;
    if (p.has_seq)
      cr_assert_eq(s.seq, p.seq, "frame %u: expected seq %u but got %u", frames[i].number, p.seq,
                   s.seq);
    cr_assert_eq(s.ack, p.ack, "frame %u: expected ack %u but got %u", frames[i].number, p.ack,
                 s.ack);
    compared++;
  }
  cr_assert_eq(compared, 24, "expected 24 segments tcpdump numbers relative, got %zu", compared);
  tc__wire_isns_free(&isns);
}

/* ---- frames of both families, field by field ---- */

struct wire_row {
  unsigned frame; /* its number in the fixture */
  char what[32];
  int family;
  char src[TC_ADDR_STRLEN], dst[TC_ADDR_STRLEN];
  char flags[TC_FLAGS_MAX];
  uint8_t tcpflags;
  uint32_t seq, ack, len;
};

#define SA (TC_TCP_SYN | TC_TCP_ACK)
#define PA (TC_TCP_PSH | TC_TCP_ACK)
#define FA (TC_TCP_FIN | TC_TCP_ACK)
#define RA (TC_TCP_RST | TC_TCP_ACK)

static struct wire_row frames_by_field[] = {
    {1, "ipv4 syn", AF_INET, "127.0.0.1:54370", "127.0.0.1:40001", "S", TC_TCP_SYN, 989805175, 0,
     0},
    {2, "ipv4 syn-ack", AF_INET, "127.0.0.1:40001", "127.0.0.1:54370", "S.", SA, 3983268514u,
     989805176, 0},
    {4, "ipv4 data", AF_INET, "127.0.0.1:54370", "127.0.0.1:40001", "P.", PA, 989805176,
     3983268515u, 6},
    {6, "ipv4 fin", AF_INET, "127.0.0.1:54370", "127.0.0.1:40001", "F.", FA, 989805182, 3983268515u,
     0},
    {15, "ipv4 reset without ack", AF_INET, "127.0.0.1:55186", "127.0.0.1:40002", "R", TC_TCP_RST,
     120514210, 0, 0},
    {19, "ipv4 reset with ack", AF_INET, "127.0.0.1:36164", "127.0.0.1:40003", "R.", RA,
     3202416930u, 2314646741u, 0},
    {20, "ipv6 syn", AF_INET6, "[::1]:41318", "[::1]:40011", "S", TC_TCP_SYN, 990655308, 0, 0},
    {21, "ipv6 syn-ack", AF_INET6, "[::1]:40011", "[::1]:41318", "S.", SA, 2643681636u, 990655309,
     0},
    {23, "ipv6 data", AF_INET6, "[::1]:41318", "[::1]:40011", "P.", PA, 990655309, 2643681637u, 6},
    {25, "ipv6 fin", AF_INET6, "[::1]:41318", "[::1]:40011", "F.", FA, 990655315, 2643681637u, 0},
    {34, "ipv6 reset without ack", AF_INET6, "[::1]:33424", "[::1]:40012", "R", TC_TCP_RST,
     526261639, 0, 0},
    {38, "ipv6 reset with ack", AF_INET6, "[::1]:44704", "[::1]:40013", "R.", RA, 2255970730u,
     2935224639u, 0},
};

ParameterizedTestParameters(wire_fixture, frame_decodes_field_by_field) {
  return cr_make_param_array(struct wire_row, frames_by_field,
                             sizeof frames_by_field / sizeof frames_by_field[0]);
}

/* Every decoded field but t_us; relative numbers equal absolute ones
 * before tc__wire_number(). */
ParameterizedTest(struct wire_row *w, wire_fixture, frame_decodes_field_by_field) {
  struct tc_segment s = decode_frame(w->frame);
  char buf[TC_ADDR_STRLEN];
  cr_assert_str_eq(tc_addr_format(&s.src, buf, sizeof buf), w->src, "frame %u (%s): src %s",
                   w->frame, w->what, buf);
  cr_assert_str_eq(tc_addr_format(&s.dst, buf, sizeof buf), w->dst, "frame %u (%s): dst %s",
                   w->frame, w->what, buf);
  cr_assert_eq(s.src.family, w->family, "frame %u (%s)", w->frame, w->what);
  cr_assert_eq(s.dst.family, w->family, "frame %u (%s)", w->frame, w->what);
  cr_assert_str_eq(s.flags, w->flags, "frame %u (%s): flags %s", w->frame, w->what, s.flags);
  cr_assert_eq(s.tcpflags, w->tcpflags, "frame %u (%s): flag bits 0x%02x", w->frame, w->what,
               s.tcpflags);
  cr_assert_eq(s.seq_abs, w->seq, "frame %u (%s): expected seq %u but got %u", w->frame, w->what,
               w->seq, s.seq_abs);
  cr_assert_eq(s.ack_abs, w->ack, "frame %u (%s): expected ack %u but got %u", w->frame, w->what,
               w->ack, s.ack_abs);
  cr_assert_eq(s.seq, s.seq_abs, "frame %u (%s)", w->frame, w->what);
  cr_assert_eq(s.ack, s.ack_abs, "frame %u (%s)", w->frame, w->what);
  cr_assert_eq(s.len, w->len, "frame %u (%s): expected len %u but got %u", w->frame, w->what,
               w->len, s.len);
  cr_assert_eq(s.t_us, 0, "frame %u (%s)", w->frame, w->what);
}

/* ---- relative numbers ---- */

struct rel {
  const char *flags;
  uint32_t seq, ack, len;
};

static void assert_numbered(unsigned first, const struct rel *want, size_t n) {
  struct tc__wire_isns isns = {0};
  for (size_t i = 0; i < n; i++) {
    struct tc_segment s = decode_frame(first + (unsigned)i);
    cr_assert_eq(tc__wire_number(&isns, &s), 0);
    cr_assert_str_eq(s.flags, want[i].flags, "frame %zu", first + i);
    cr_assert_eq(s.seq, want[i].seq, "frame %zu: expected seq %u but got %u", first + i,
                 want[i].seq, s.seq);
    cr_assert_eq(s.ack, want[i].ack, "frame %zu: expected ack %u but got %u", first + i,
                 want[i].ack, s.ack);
    cr_assert_eq(s.len, want[i].len, "frame %zu", first + i);
  }
  tc__wire_isns_free(&isns);
}

Test(wire_fixture, orderly_close_counts_from_each_isn) {
  static const struct rel want[] = {
      {"S", 0, 0, 0}, {"S.", 0, 1, 0}, {".", 1, 1, 0},  {"P.", 1, 1, 6},
      {".", 1, 7, 0}, {"F.", 7, 1, 0}, {"F.", 1, 8, 0}, {".", 8, 2, 0},
  };
  assert_numbered(1, want, 8);  /* IPv4 */
  assert_numbered(20, want, 8); /* IPv6 */
}

/* tcpdump prints this R's absolute seq; ours is relative to the client's
 * ISN: SYN 0, FIN 1, so the next byte is 2. Without ACK, ack is 0. */
Test(wire_fixture, bare_reset_is_numbered_from_its_own_isn) {
  static const struct rel want[] = {
      {"S", 0, 0, 0}, {"S.", 0, 1, 0}, {".", 1, 1, 0}, {"F.", 1, 1, 0},
      {".", 1, 2, 0}, {"P.", 1, 2, 5}, {"R", 2, 0, 0},
  };
  assert_numbered(9, want, 7);
  assert_numbered(28, want, 7);
}

Test(wire_fixture, segment_before_any_syn_is_numbered_0) {
  struct tc__wire_isns isns = {0};
  struct tc_segment s = decode_frame(4);
  cr_assert_eq(tc__wire_number(&isns, &s), 0);
  cr_assert_eq(s.seq, 0);
  cr_assert_eq(s.ack, 0);
  cr_assert_eq(s.seq_abs, 989805176);
  cr_assert_eq(s.ack_abs, 3983268515u);
  tc__wire_isns_free(&isns);
}

Test(wire_fixture, a_new_syn_on_the_same_ports_restarts_the_count) {
  struct tc__wire_isns isns = {0};
  struct tc_segment syn = decode_frame(1), data = decode_frame(4);
  cr_assert_eq(tc__wire_number(&isns, &syn), 0);
  syn.seq_abs = 1000; /* the same 4-tuple reused with another ISN */
  cr_assert_eq(tc__wire_number(&isns, &syn), 0);
  cr_assert_eq(tc__wire_number(&isns, &data), 0);
  cr_assert_eq(data.seq, 989805176u - 1000u);
  cr_assert_eq(isns.n, 1, "one direction known, got %zu", isns.n);
  tc__wire_isns_free(&isns);
}

/* ---- the other link types, built from the same IP packets ---- */

/* The IP packet of fixture frame `number` behind `hdr`. */
static size_t relink(unsigned number, const uint8_t *hdr, size_t hdrlen, uint8_t *out) {
  const struct frame *f = frame_no(number);
  if (hdrlen > 0) memcpy(out, hdr, hdrlen);
  memcpy(out + hdrlen, f->bytes + ETH_LEN, f->len - ETH_LEN);
  return hdrlen + f->len - ETH_LEN;
}

static void assert_relinked(int linktype, unsigned number, const uint8_t *hdr, size_t hdrlen) {
  uint8_t buf[MAX_FRAME + 32];
  size_t n = relink(number, hdr, hdrlen, buf);
  struct tc_segment got = decode_ok(linktype, buf, n), want = decode_frame(number);
  assert_same_segment(&got, &want);
}

Test(wire_fixture, dlt_null_in_host_order) {
  uint32_t inet = 2, inet6_bsd = 24, inet6_freebsd = 28, inet6_darwin = 30;
  assert_relinked(TEST_DLT_NULL, 4, (const uint8_t *)&inet, 4);
  assert_relinked(TEST_DLT_NULL, 23, (const uint8_t *)&inet6_bsd, 4);
  assert_relinked(TEST_DLT_NULL, 23, (const uint8_t *)&inet6_freebsd, 4);
  assert_relinked(TEST_DLT_NULL, 23, (const uint8_t *)&inet6_darwin, 4);
}

/* A capture made on a host of the other byte order, and DLT_LOOP. */
Test(wire_fixture, dlt_null_and_dlt_loop_in_either_order) {
  static const uint8_t be_inet[4] = {0, 0, 0, 2}, le_inet[4] = {2, 0, 0, 0};
  static const uint8_t be_inet6[4] = {0, 0, 0, 30}, le_inet6[4] = {28, 0, 0, 0};
  assert_relinked(TEST_DLT_NULL, 19, be_inet, 4);
  assert_relinked(TEST_DLT_NULL, 19, le_inet, 4);
  assert_relinked(TEST_DLT_LOOP, 19, be_inet, 4);
  assert_relinked(TEST_DLT_LOOP, 38, be_inet6, 4);
  assert_relinked(TEST_DLT_LOOP, 38, le_inet6, 4);
}

Test(wire_fixture, dlt_null_with_another_family_is_rejected) {
  static const uint8_t iso[4] = {7, 0, 0, 0}, inet_for_v6[4] = {2, 0, 0, 0};
  uint8_t buf[MAX_FRAME + 32];
  struct tc_segment s;
  size_t n = relink(4, iso, 4, buf);
  cr_assert_eq(tc_wire_decode(TEST_DLT_NULL, buf, n, &s), -EINVAL);
  n = relink(23, inet_for_v6, 4, buf);
  cr_assert_eq(tc_wire_decode(TEST_DLT_NULL, buf, n, &s), -EINVAL, "AF_INET before an IPv6 header");
}

/* Linux cooked capture: packet type, ARPHRD_LOOPBACK (772), address length
 * 6, address, then the ethertype. */
Test(wire_fixture, dlt_linux_sll) {
  static const uint8_t v4[16] = {0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00};
  static const uint8_t v6[16] = {0, 4, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xDD};
  assert_relinked(TEST_DLT_LINUX_SLL, 4, v4, 16);
  assert_relinked(TEST_DLT_LINUX_SLL, 15, v4, 16);
  assert_relinked(TEST_DLT_LINUX_SLL, 23, v6, 16);
}

/* SLL2 (libpcap's "any" device): the ethertype comes first. */
Test(wire_fixture, dlt_linux_sll2) {
  static const uint8_t v4[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6};
  static const uint8_t v6[20] = {0x86, 0xDD, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6};
  assert_relinked(TEST_DLT_LINUX_SLL2, 6, v4, 20);
  assert_relinked(TEST_DLT_LINUX_SLL2, 25, v6, 20);
}

Test(wire_fixture, raw_ip) {
  assert_relinked(TEST_DLT_RAW, 2, NULL, 0);
  assert_relinked(TEST_DLT_RAW, 21, NULL, 0);
  assert_relinked(TEST_DLT_IPV4, 2, NULL, 0);
  uint8_t buf[MAX_FRAME];
  struct tc_segment s;
  size_t n = relink(21, NULL, 0, buf);
  cr_assert_eq(tc_wire_decode(TEST_DLT_IPV4, buf, n, &s), -EINVAL, "IPv6 under DLT_IPV4");
}

/* ---- what is not a TCP segment ---- */

static int decode_edited(unsigned number, size_t at, const uint8_t *patch, size_t n,
                         size_t caplen) {
  const struct frame *f = frame_no(number);
  uint8_t buf[MAX_FRAME];
  memcpy(buf, f->bytes, f->len);
  memcpy(buf + at, patch, n);
  struct tc_segment s;
  return tc_wire_decode(TEST_DLT_EN10MB, buf, caplen ? caplen : f->len, &s);
}

Test(wire_fixture, every_cut_before_the_fixed_tcp_header_is_rejected) {
  struct tc_segment s;
  const struct frame *v4 = frame_no(1), *v6 = frame_no(20);
  for (size_t cut = 0; cut < ETH_LEN + 20 + 20; cut++)
    cr_assert_eq(tc_wire_decode(TEST_DLT_EN10MB, v4->bytes, cut, &s), -EINVAL, "IPv4 cut at %zu",
                 cut);
  for (size_t cut = 0; cut < ETH_LEN + 40 + 20; cut++)
    cr_assert_eq(tc_wire_decode(TEST_DLT_EN10MB, v6->bytes, cut, &s), -EINVAL, "IPv6 cut at %zu",
                 cut);
  s = decode_ok(TEST_DLT_EN10MB, v4->bytes, ETH_LEN + 20 + 20);
  cr_assert_str_eq(s.flags, "S", "TCP options may be cut off");
  s = decode_ok(TEST_DLT_EN10MB, v6->bytes, ETH_LEN + 40 + 20);
  cr_assert_str_eq(s.flags, "S");
}

Test(wire_fixture, payload_length_comes_from_ip_not_from_caplen) {
  const struct frame *v4 = frame_no(4), *v6 = frame_no(23);
  struct tc_segment s = decode_ok(TEST_DLT_EN10MB, v4->bytes, v4->len - 6);
  cr_assert_eq(s.len, 6, "expected 6 payload bytes but got %u", s.len);
  s = decode_ok(TEST_DLT_EN10MB, v6->bytes, ETH_LEN + 40 + 20);
  cr_assert_eq(s.len, 6, "expected 6 payload bytes but got %u", s.len);
}

Test(wire_fixture, not_ip_or_not_tcp_is_rejected) {
  static const uint8_t arp[2] = {0x08, 0x06}, ipv6_type[2] = {0x86, 0xDD}, udp = 17;
  struct tc_segment s;
  cr_assert_eq(decode_edited(1, 12, arp, 2, 0), -EINVAL, "ARP");
  cr_assert_eq(decode_edited(1, 12, ipv6_type, 2, 0), -EINVAL, "IPv6 ethertype, IPv4 header");
  cr_assert_eq(decode_edited(1, ETH_LEN + 9, &udp, 1, 0), -EINVAL, "IPv4 UDP");
  cr_assert_eq(decode_edited(20, ETH_LEN + 6, &udp, 1, 0), -EINVAL, "IPv6 UDP");
  cr_assert_eq(tc_wire_decode(105, frame_no(1)->bytes, frame_no(1)->len, &s), -EINVAL,
               "unknown link type");
}

Test(wire_fixture, bad_ipv4_headers_are_rejected) {
  static const uint8_t ihl4 = 0x44, ihl15 = 0x4F, later_fragment[2] = {0x20, 0x01};
  static const uint8_t total_39[2] = {0, 39}, total_0[2] = {0, 0};
  cr_assert_eq(decode_edited(1, ETH_LEN, &ihl4, 1, 0), -EINVAL, "IHL 4");
  cr_assert_eq(decode_edited(1, ETH_LEN, &ihl15, 1, 0), -EINVAL, "IHL 15 past the frame");
  cr_assert_eq(decode_edited(1, ETH_LEN + 6, later_fragment, 2, 0), -EINVAL, "fragment at 8");
  cr_assert_eq(decode_edited(1, ETH_LEN + 2, total_39, 2, 0), -EINVAL, "total length 39");
  cr_assert_eq(decode_edited(1, ETH_LEN + 2, total_0, 2, 0), -EINVAL, "total length 0 (BIG TCP)");
}

/* Frame 4 with 4 bytes of IPv4 options (NOP NOP NOP EOL): IHL 6. */
Test(wire_fixture, ipv4_options_are_skipped_by_ihl) {
  const struct frame *f = frame_no(4);
  uint8_t buf[MAX_FRAME + 4];
  memcpy(buf, f->bytes, ETH_LEN + 20);
  memcpy(buf + ETH_LEN + 20, "\x01\x01\x01\x00", 4);
  memcpy(buf + ETH_LEN + 24, f->bytes + ETH_LEN + 20, f->len - ETH_LEN - 20);
  buf[ETH_LEN] = 0x46;
  buf[ETH_LEN + 3] = (uint8_t)(buf[ETH_LEN + 3] + 4); /* total length (< 252) */
  struct tc_segment want = decode_frame(4), got = decode_ok(TEST_DLT_EN10MB, buf, f->len + 4);
  assert_same_segment(&got, &want);
}

Test(wire_fixture, bad_tcp_data_offsets_are_rejected) {
  static const uint8_t doff4 = 0x40, doff9 = 0x90, doff8 = 0x80;
  /* frame 3: a pure ACK whose TCP header is all of its 32 bytes */
  cr_assert_eq(decode_edited(3, ETH_LEN + 20 + 12, &doff4, 1, 0), -EINVAL, "data offset 4");
  cr_assert_eq(decode_edited(3, ETH_LEN + 20 + 12, &doff9, 1, 0), -EINVAL, "past the IP length");
  cr_assert_eq(decode_edited(3, ETH_LEN + 20 + 12, &doff8, 1, 0), 0, "the frame as captured");
}

/* Frame 1 (the client's SYN) again, as tcpclose would inject it: TTL 255. */
Test(wire_fixture, an_injected_syn_does_not_restart_the_count) {
  struct tc__wire_isns isns = {0};
  for (unsigned no = 1; no <= 4; no++) {
    struct tc_segment s = decode_frame(no);
    cr_assert_eq(tc__wire_number(&isns, &s), 0);
  }
  struct tc_segment syn = decode_frame(1), data = decode_frame(4);
  syn.ttl = TC_INJECT_TTL;
  syn.seq_abs += 1000;
  cr_assert_eq(tc__wire_number(&isns, &syn), 0);
  cr_assert_eq(syn.seq, 1000, "expected the injected SYN at seq 1000 but got %u", syn.seq);
  cr_assert_eq(tc__wire_number(&isns, &data), 0);
  cr_assert_eq(data.seq, 1, "expected the data still at seq 1 but got %u", data.seq);
  tc__wire_isns_free(&isns);
}

/* ---- the window and the options injection needs ---- */

struct printed_opts {
  uint32_t win, tsval, tsecr, wscale;
  int has_ts, has_wscale;
};

static struct printed_opts parse_printed_opts(const char *line) {
  struct printed_opts o;
  int found;
  o.win = number_after(line, ", win ", &found);
  cr_assert(found, "no window in: %s", line);
  o.tsval = number_after(line, "TS val ", &o.has_ts);
  o.tsecr = number_after(line, " ecr ", &found);
  cr_assert_eq(found, o.has_ts, "TS val without ecr in: %s", line);
  o.wscale = number_after(line, "wscale ", &o.has_wscale);
  return o;
}

Test(wire_fixture, window_and_options_are_tcpdumps) {
  size_t with_ts = 0, with_wscale = 0;
  for (size_t i = 0; i < nframes; i++) {
    unsigned no = frames[i].number;
    struct tc_segment s = decode_ok(TEST_DLT_EN10MB, frames[i].bytes, frames[i].len);
    struct printed_opts o = parse_printed_opts(frames[i].line);
    cr_assert_eq(s.win, o.win, "frame %u: expected win %u but got %u", no, o.win, s.win);
    cr_assert_eq(s.has_ts, o.has_ts, "frame %u: timestamp option", no);
    cr_assert_eq(s.tsval, o.tsval, "frame %u: expected TSval %u but got %u", no, o.tsval, s.tsval);
    cr_assert_eq(s.tsecr, o.tsecr, "frame %u: expected TSecr %u but got %u", no, o.tsecr, s.tsecr);
    cr_assert_eq(s.has_wscale, o.has_wscale, "frame %u: window scale option", no);
    cr_assert_eq(s.wscale, o.wscale, "frame %u: expected wscale %u but got %u", no, o.wscale,
                 s.wscale);
    with_ts += s.has_ts;
    with_wscale += s.has_wscale;
  }
  /* every segment but the two bare R carries TS; the 12 SYNs carry wscale */
  cr_assert_eq(with_ts, 36, "expected 36 segments with timestamps but got %zu", with_ts);
  cr_assert_eq(with_wscale, 12, "expected 12 SYNs with wscale but got %zu", with_wscale);
}

Test(wire_fixture, ttl_and_hop_limit_are_the_kernels_default) {
  for (size_t i = 0; i < nframes; i++) {
    struct tc_segment s = decode_ok(TEST_DLT_EN10MB, frames[i].bytes, frames[i].len);
    cr_assert_eq(s.ttl, 64, "frame %u: expected TTL 64 but got %u", frames[i].number, s.ttl);
    cr_assert_neq(s.ttl, TC_INJECT_TTL);
  }
}

/* Frame 1, a SYN: options mss (4 bytes), sackOK (2), TS (10), nop, wscale
 * (3) after the fixed header, at OPT. */
#define OPT (ETH_LEN + 20 + 20)

Test(wire_fixture, options_cut_by_the_snaplen_keep_what_came_before) {
  const struct frame *f = frame_no(1);
  struct tc_segment s = decode_ok(TEST_DLT_EN10MB, f->bytes, OPT + 6 + 9);
  cr_assert(!s.has_ts && !s.has_wscale, "cut inside TS");
  s = decode_ok(TEST_DLT_EN10MB, f->bytes, OPT + 6 + 10 + 1 + 2);
  cr_assert(s.has_ts && !s.has_wscale, "cut inside wscale");
  cr_assert_eq(s.tsval, 4265372592u);
  s = decode_ok(TEST_DLT_EN10MB, f->bytes, f->len);
  cr_assert(s.has_ts && s.has_wscale && s.wscale == 10);
}

static struct tc_segment decode_patched(unsigned number, size_t at, uint8_t byte) {
  const struct frame *f = frame_no(number);
  uint8_t buf[MAX_FRAME];
  memcpy(buf, f->bytes, f->len);
  buf[at] = byte;
  return decode_ok(TEST_DLT_EN10MB, buf, f->len);
}

Test(wire_fixture, a_malformed_option_ends_the_list) {
  /* frame 3, a pure ACK: nop, nop, TS; its TS length byte at OPT + 3 */
  cr_assert(decode_patched(3, OPT + 3, 10).has_ts, "the frame as captured");
  cr_assert(!decode_patched(3, OPT + 3, 1).has_ts, "option length 1");
  cr_assert(!decode_patched(3, OPT + 3, 0).has_ts, "option length 0");
  cr_assert(!decode_patched(3, OPT + 3, 11).has_ts, "past the header");
  cr_assert(!decode_patched(3, OPT, 0).has_ts, "EOL first");
  /* an unknown kind of the right shape is stepped over */
  struct tc_segment s = decode_patched(1, OPT, 99);
  cr_assert(s.has_ts && s.has_wscale, "unknown kind 99 in place of mss");
}

/* Frame 23 with an 8-byte extension header between IPv6 and TCP. */
static int decode_with_ext(uint8_t type, const uint8_t ext[8], struct tc_segment *s) {
  const struct frame *f = frame_no(23);
  uint8_t buf[MAX_FRAME + 8];
  memcpy(buf, f->bytes, ETH_LEN + 40);
  memcpy(buf + ETH_LEN + 40, ext, 8);
  memcpy(buf + ETH_LEN + 48, f->bytes + ETH_LEN + 40, f->len - ETH_LEN - 40);
  buf[ETH_LEN + 6] = type;
  buf[ETH_LEN + 5] = (uint8_t)(buf[ETH_LEN + 5] + 8); /* payload length (< 248) */
  return tc_wire_decode(TEST_DLT_EN10MB, buf, f->len + 8, s);
}

Test(wire_fixture, ipv6_extension_headers_are_skipped) {
  static const uint8_t hop_by_hop[8] = {6, 0, 1, 4, 0, 0, 0, 0}; /* PadN */
  static const uint8_t first_fragment[8] = {6, 0, 0, 0, 0, 0, 0, 1};
  struct tc_segment s, want = decode_frame(23);
  cr_assert_eq(decode_with_ext(0, hop_by_hop, &s), 0);
  assert_same_segment(&s, &want);
  cr_assert_eq(decode_with_ext(44, first_fragment, &s), 0);
  assert_same_segment(&s, &want);
}

Test(wire_fixture, ipv6_without_a_tcp_header_is_rejected) {
  static const uint8_t later_fragment[8] = {6, 0, 0, 8, 0, 0, 0, 1};
  static const uint8_t options_then_udp[8] = {17, 0, 1, 4, 0, 0, 0, 0};
  struct tc_segment s;
  cr_assert_eq(decode_with_ext(44, later_fragment, &s), -EINVAL);
  cr_assert_eq(decode_with_ext(60, options_then_udp, &s), -EINVAL);
  static const uint8_t jumbo[2] = {0, 0};
  cr_assert_eq(decode_edited(20, ETH_LEN + 4, jumbo, 2, 0), -EINVAL, "payload length 0");
}

/* ---- flag notation, checked against tcpdump 4.99.3 on crafted frames ---- */

Test(wire_flags, tcpdump_notation) {
  static const struct {
    uint8_t bits;
    const char *want;
  } cases[] = {
      {TC_TCP_SYN, "S"},
      {TC_TCP_SYN | TC_TCP_ACK, "S."},
      {TC_TCP_ACK, "."},
      {TC_TCP_PSH | TC_TCP_ACK, "P."},
      {TC_TCP_FIN | TC_TCP_ACK, "F."},
      {TC_TCP_FIN | TC_TCP_PSH | TC_TCP_ACK, "FP."},
      {TC_TCP_RST, "R"},
      {TC_TCP_RST | TC_TCP_ACK, "R."},
      {0, "none"},
      {TC_TCP_FIN, "F"},
      {TC_TCP_FIN | TC_TCP_SYN, "FS"},
      {TC_TCP_RST | TC_TCP_PSH, "RP"},
      {TC_TCP_URG | TC_TCP_ACK, ".U"},
      {TC_TCP_SYN | TC_TCP_ECE | TC_TCP_CWR, "SEW"},
      {0xFF, "FSRP.UEW"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[TC_FLAGS_MAX];
    memset(out, 'x', sizeof out);
    tc_wire_flags(cases[i].bits, out);
    cr_assert_str_eq(out, cases[i].want, "flags 0x%02x", cases[i].bits);
  }
}

/* ---- live capture ---- */

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* fd's own address, with the port the kernel chose. */
static struct tc_addr local_addr(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
  struct tc_addr a = {.family = ss.ss_family};
  if (ss.ss_family == AF_INET) {
    a.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    memcpy(a.bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
  } else {
    a.port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    memcpy(a.bytes, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
  }
  return a;
}

/* A listener on host, port 0; skips the test where the family is missing. */
static int listen_on(const char *host, struct tc_addr *server) {
  struct sockaddr_storage ss;
  cr_assert_eq(tc_addr_parse(host, 0, server), 0);
  socklen_t len = tc_addr_to_sockaddr(server, &ss);
  int fd = socket(server->family, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    cr_skip_test("no %s loopback here: %s", host, strerror(e));
  }
  cr_assert_eq(listen(fd, 1), 0);
  *server = local_addr(fd);
  return fd;
}

static tc_wire *open_or_skip(uint16_t port, int lfd) {
  if (geteuid() != 0) {
    close(lfd);
    cr_skip_test("live capture needs root (CAP_NET_RAW); running as uid %d", (int)geteuid());
  }
  tc_err err = {""};
  tc_wire *w = NULL;
  int rc = tc_wire_open(port, &w, &err);
  if (rc == -ENOTSUP) {
    close(lfd);
    cr_skip_test("%s", err.msg);
  }
  cr_assert_eq(rc, 0, "tc_wire_open: %s", err.msg);
  return w;
}

/* The client sends "hello" and closes; the server reads it, reads end of
 * stream and closes. Plain blocking calls; *client gets the client's
 * address. */
static void play_orderly_close(int lfd, const struct tc_addr *server, struct tc_addr *client) {
  struct sockaddr_storage ss;
  socklen_t len = tc_addr_to_sockaddr(server, &ss);
  int c = socket(server->family, SOCK_STREAM, 0);
  cr_assert_geq(c, 0);
  cr_assert_eq(connect(c, (struct sockaddr *)&ss, len), 0, "connect: %s", strerror(errno));
  *client = local_addr(c);
  int s = accept(lfd, NULL, NULL);
  cr_assert_geq(s, 0);
  cr_assert_eq(send(c, "hello", 5, 0), 5);
  char buf[16];
  size_t got = 0;
  while (got < 5) {
    ssize_t n = recv(s, buf + got, sizeof buf - got, 0);
    cr_assert_gt(n, 0);
    got += (size_t)n;
  }
  cr_assert_eq(close(c), 0);
  cr_assert_eq(recv(s, buf, sizeof buf, 0), 0, "expected end of stream");
  cr_assert_eq(close(s), 0);
  cr_assert_eq(close(lfd), 0);
}

static int is_last_ack(const struct tc_segment *g, size_t n, const struct tc_addr *client) {
  return n >= 7 && tc_addr_equal(&g[n - 1].src, client) && strcmp(g[n - 1].flags, ".") == 0 &&
         g[n - 1].ack == 2;
}

/* Polls until the client's last ACK is in, then 100 ms more for strays. */
static const struct tc_segment *collect(tc_wire *w, const struct tc_addr *client, size_t *n) {
  tc_err err = {""};
  const struct tc_segment *g = NULL;
  int64_t until = mono_us() + 2000000, quiet = 0;
  while (mono_us() < until && (quiet == 0 || mono_us() < quiet)) {
    cr_assert_eq(tc_wire_poll(w, &err), 0, "tc_wire_poll: %s", err.msg);
    g = tc_wire_segments(w, n);
    if (quiet == 0 && is_last_ack(g, *n, client)) quiet = mono_us() + 100000;
    usleep(5000);
  }
  cr_assert_eq(tc_wire_poll(w, &err), 0, "tc_wire_poll: %s", err.msg);
  return tc_wire_segments(w, n);
}

/* On stderr, not cr_log_info(): what the kernel sent is worth seeing in
 * every run's log (ctest -V, --output-on-failure), not only with --verbose. */
static void log_segments(const char *host, const struct tc_segment *g, size_t n,
                         const struct tc_addr *client, int64_t t0) {
  char buf[TC_ADDR_STRLEN];
  fprintf(stderr, "wire capture on %s, client %s:\n", host,
          tc_addr_format(client, buf, sizeof buf));
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, "  %2zu %+8.3f ms  %s  %-4s seq %u ack %u len %u\n", i + 1,
            (double)(g[i].t_us - t0) / 1000.0,
            tc_addr_equal(&g[i].src, client) ? "client > server" : "server > client", g[i].flags,
            g[i].seq, g[i].ack, g[i].len);
}

static void assert_seg(const struct tc_segment *g, const struct tc_addr *from,
                       const struct tc_addr *to, const char *flags, uint32_t seq, uint32_t ack,
                       uint32_t len) {
  cr_assert(tc_addr_equal(&g->src, from) && tc_addr_equal(&g->dst, to), "direction of %s",
            g->flags);
  cr_assert_str_eq(g->flags, flags);
  cr_assert_eq(g->seq, seq, "%s: expected seq %u but got %u", flags, seq, g->seq);
  cr_assert_eq(g->ack, ack, "%s: expected ack %u but got %u", flags, ack, g->ack);
  cr_assert_eq(g->len, len, "%s: expected len %u but got %u", flags, len, g->len);
}

/* Handshake and data are in a fixed order. After the client's FIN the
 * server may ACK it alone or with its own FIN (delayed ACK), so that part
 * is checked as a set, then the client's last ACK. */
static void assert_orderly_close(const struct tc_segment *g, size_t n, const struct tc_addr *c,
                                 const struct tc_addr *s) {
  cr_assert(n >= 7 && n <= 9, "expected 7 to 9 segments but got %zu", n);
  assert_seg(&g[0], c, s, "S", 0, 0, 0);
  assert_seg(&g[1], s, c, "S.", 0, 1, 0);
  assert_seg(&g[2], c, s, ".", 1, 1, 0);
  assert_seg(&g[3], c, s, "P.", 1, 1, 5);
  cr_assert_eq(g[1].ack_abs, g[0].seq_abs + 1);
  size_t client_fin = 0, server_fin = 0;
  for (size_t i = 4; i + 1 < n; i++) {
    if (strcmp(g[i].flags, "F.") == 0 && tc_addr_equal(&g[i].src, c)) {
      assert_seg(&g[i], c, s, "F.", 6, 1, 0);
      client_fin++;
    } else if (strcmp(g[i].flags, "F.") == 0) {
      assert_seg(&g[i], s, c, "F.", 1, 7, 0);
      server_fin++;
    } else {
      assert_seg(&g[i], s, c, ".", 1, g[i].ack, 0);
      cr_assert(g[i].ack == 6 || g[i].ack == 7, "server ACK of %u", g[i].ack);
    }
  }
  cr_assert_eq(client_fin, 1, "expected one client FIN but saw %zu", client_fin);
  cr_assert_eq(server_fin, 1, "expected one server FIN but saw %zu", server_fin);
  assert_seg(&g[n - 1], c, s, ".", 7, 2, 0);
}

/* Seen once each (lo shows a packet socket every packet twice), in time
 * order, and within the test's own CLOCK_MONOTONIC window. */
static void assert_once_and_in_time(const struct tc_segment *g, size_t n, int64_t t0, int64_t t1) {
  for (size_t i = 0; i < n; i++) {
    cr_assert(g[i].t_us >= t0 - 2000 && g[i].t_us <= t1 + 2000,
              "segment %zu at %lld us, outside [%lld, %lld]", i + 1, (long long)g[i].t_us,
              (long long)t0, (long long)t1);
    if (i > 0) cr_assert_geq(g[i].t_us, g[i - 1].t_us, "segment %zu before its predecessor", i + 1);
    for (size_t j = 0; j < i; j++)
      cr_assert(!(tc_addr_equal(&g[i].src, &g[j].src) && g[i].tcpflags == g[j].tcpflags &&
                  g[i].seq_abs == g[j].seq_abs && g[i].ack_abs == g[j].ack_abs),
                "segment %zu repeats segment %zu", i + 1, j + 1);
  }
}

static void live_orderly_close(const char *host) {
  struct tc_addr server, client;
  int lfd = listen_on(host, &server);
  tc_wire *w = open_or_skip(server.port, lfd);
  int64_t t0 = mono_us();
  play_orderly_close(lfd, &server, &client);
  size_t n;
  const struct tc_segment *g = collect(w, &client, &n);
  int64_t t1 = mono_us();
  log_segments(host, g, n, &client, t0);
  assert_orderly_close(g, n, &client, &server);
  assert_once_and_in_time(g, n, t0, t1);
  tc_wire_close(w);
}

Test(wire_live, ipv4_orderly_close_as_the_kernel_sent_it) { live_orderly_close("127.0.0.1"); }

Test(wire_live, ipv6_orderly_close_as_the_kernel_sent_it) { live_orderly_close("::1"); }

Test(wire_live, open_without_cap_net_raw_says_why) {
  if (geteuid() == 0) {
    cr_assert_eq(setgid(65534), 0);
    cr_assert_eq(setuid(65534), 0, "setuid: %s", strerror(errno)); /* drops every capability */
  }
  tc_err err = {""};
  tc_wire *w = NULL;
  int rc = tc_wire_open(40000, &w, &err);
  if (rc == -ENOTSUP) cr_skip_test("%s", err.msg);
  if (rc == 0) {
    tc_wire_close(w);
    cr_skip_test("this process may capture without root (CAP_NET_RAW granted)");
  }
  cr_assert_eq(rc, -EPERM, "expected -EPERM but got %d: %s", rc, err.msg);
  cr_assert_null(w);
  cr_assert_str_eq(err.msg, "wire capture: lo: You don't have permission to perform this capture "
                            "on that device (need root or CAP_NET_RAW)");
}

Test(wire_none, open_says_why_capture_is_not_built) {
  tc_err err = {""};
  tc_wire *w = NULL;
  int rc = tc_wire_open(40000, &w, &err);
  if (rc != -ENOTSUP) {
    tc_wire_close(w);
    cr_skip_test("capture is built (TCPCLOSE_LINUX_OBSERVERS=ON)");
  }
  cr_assert_null(w);
  cr_assert_str_eq(err.msg, "wire capture: not in this build (TCPCLOSE_LINUX_OBSERVERS=OFF)");
  size_t n = 7;
  cr_assert_null(tc_wire_segments(NULL, &n));
  cr_assert_eq(n, 0);
}
