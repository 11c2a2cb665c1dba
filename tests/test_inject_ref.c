/* test_inject_ref.c - the numbers an injected segment takes from the
 * capture (harness/inject_ref.h): RCV.NXT per direction, the right edge of
 * the receiver's window, the timestamps, the references `nxt+N`/`wnd-N`,
 * the flag notation, and the segment an inject step resolves to. On
 * synthetic segment lists, then on the real orderly close of
 * tests/fixtures/wire_loopback.txt (frames 1-8, IPv4). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixture_frames.h"
#include "inject_ref.h"
#include "tcpclose/wire.h"

#define C_ISN 1000u
#define S_ISN 5000u

static struct tc_addr client, server;

static void addrs(void) {
  cr_assert_eq(tc_addr_parse("127.0.0.1", 40000, &client), 0);
  cr_assert_eq(tc_addr_parse("127.0.0.1", 8080, &server), 0);
}

/* A segment as the capture decodes it; ts 0 means no option. */
static struct tc_segment seg(int from_client, const char *flags, uint32_t seq, uint32_t ack,
                             uint32_t len, uint16_t win, uint32_t tsval) {
  struct tc_segment s = {.seq_abs = seq, .ack_abs = ack, .len = len, .win = win, .ttl = 64};
  s.src = from_client ? client : server;
  s.dst = from_client ? server : client;
  cr_assert_eq(tc__inject_flags_parse(flags, &s.tcpflags), 0, "flags %s", flags);
  snprintf(s.flags, sizeof s.flags, "%s", flags);
  s.has_ts = tsval != 0;
  s.tsval = tsval;
  if (s.tcpflags & TC_TCP_SYN) s.has_wscale = 1, s.wscale = 7;
  return s;
}

/* S, S., ., then 100 bytes each way, the server's window 512 << 7. */
static size_t handshake_and_data(struct tc_segment *g) {
  size_t n = 0;
  g[n++] = seg(1, "S", C_ISN, 0, 0, 65535, 11);
  g[n++] = seg(0, "S.", S_ISN, C_ISN + 1, 0, 65535, 21);
  g[n++] = seg(1, ".", C_ISN + 1, S_ISN + 1, 0, 600, 12);
  g[n++] = seg(1, "P.", C_ISN + 1, S_ISN + 1, 100, 600, 13);
  g[n++] = seg(0, "P.", S_ISN + 1, C_ISN + 101, 100, 512, 22);
  g[n++] = seg(1, ".", C_ISN + 101, S_ISN + 101, 0, 601, 14);
  return n;
}

static struct tc__inject_ref compute(const struct tc_segment *g, size_t n, int from_client) {
  struct tc__inject_ref r;
  tc_err err = {""};
  int rc = tc__inject_ref_compute(g, n, from_client ? &client : &server,
                                  from_client ? &server : &client, &r, &err);
  cr_assert_eq(rc, 0, "expected the references but got %d: %s", rc, err.msg);
  return r;
}

TestSuite(inject_ref, .init = addrs);

Test(inject_ref, nxt_wnd_window_and_timestamps_of_each_direction) {
  struct tc_segment g[16];
  struct tc__inject_ref r = compute(g, handshake_and_data(g), 1);
  cr_assert_eq(r.fwd.nxt, C_ISN + 101, "expected %u but got %u", C_ISN + 101, r.fwd.nxt);
  cr_assert_eq(r.fwd.wnd, C_ISN + 101 + (512u << 7), "the server's window, scaled by its 7");
  cr_assert_eq(r.rev.nxt, S_ISN + 101);
  cr_assert_eq(r.rev.wnd, S_ISN + 101 + (601u << 7), "the client's window, scaled");
  cr_assert(r.fwd.has_isn && r.fwd.isn == C_ISN && r.rev.isn == S_ISN);
  cr_assert_eq(r.fwd.win, 601, "the client's latest window field, not scaled");
  cr_assert(r.ts && r.tsval == 14 && r.tsecr == 22, "TSval 14 TSecr 22, got %u %u", r.tsval,
            r.tsecr);
  struct tc__inject_ref back = compute(g, 6, 0);
  cr_assert(back.fwd.nxt == S_ISN + 101 && back.tsval == 22 && back.tsecr == 14);
}

Test(inject_ref, syn_and_fin_count_one) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[n++] = seg(1, "F.", C_ISN + 101, S_ISN + 101, 0, 601, 15);
  cr_assert_eq(compute(g, n, 1).fwd.nxt, C_ISN + 102);
  cr_assert_eq(compute(g, 2, 1).fwd.nxt, C_ISN + 1, "after the SYN alone");
}

Test(inject_ref, a_retransmission_does_not_lower_nxt) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[n++] = seg(1, "P.", C_ISN + 1, S_ISN + 101, 50, 601, 15);
  cr_assert_eq(compute(g, n, 1).fwd.nxt, C_ISN + 101);
}

Test(inject_ref, the_receivers_ack_raises_nxt) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[n++] = seg(0, ".", S_ISN + 101, C_ISN + 141, 0, 512, 23); /* accepted 40 more */
  cr_assert_eq(compute(g, n, 1).fwd.nxt, C_ISN + 141);
}

Test(inject_ref, injected_segments_and_resets_are_left_out) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[n] = seg(1, "P.", C_ISN + 5000, S_ISN + 101, 10, 9, 99);
  g[n++].ttl = TC_INJECT_TTL;
  g[n++] = seg(0, "R", C_ISN + 7777, 0, 0, 0, 0);
  g[n] = seg(1, "S", C_ISN + 90000, 0, 0, 0, 0);
  g[n++].ttl = TC_INJECT_TTL;
  struct tc__inject_ref r = compute(g, n, 1);
  cr_assert(r.fwd.nxt == C_ISN + 101 && r.fwd.win == 601 && r.tsval == 14);
  cr_assert(r.rev.nxt == S_ISN + 101 && r.fwd.isn == C_ISN);
}

Test(inject_ref, a_new_syn_on_the_4_tuple_starts_again) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[n++] = seg(1, "S", 70000, 0, 0, 65535, 31);
  g[n++] = seg(0, "S.", 90000, 70001, 0, 65535, 41);
  struct tc__inject_ref r = compute(g, n, 1);
  cr_assert(r.fwd.nxt == 70001 && r.rev.nxt == 90001 && r.fwd.isn == 70000);
  cr_assert_eq(r.fwd.wnd, 70001 + 65535, "a SYN's window is never scaled");
}

Test(inject_ref, other_connections_on_the_port_are_ignored) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  struct tc_segment other = seg(1, "P.", 123, 456, 1000, 1, 1);
  other.src.port = 40001;
  g[n++] = other;
  cr_assert_eq(compute(g, n, 1).fwd.nxt, C_ISN + 101);
}

Test(inject_ref, no_window_scaling_unless_both_syns_offer_it) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[1].has_wscale = 0;
  struct tc__inject_ref r = compute(g, n, 1);
  cr_assert_eq(r.fwd.wnd, C_ISN + 101 + 512);
  g[1].has_wscale = 1;
  g[1].wscale = 20; /* RFC 7323 2.3: taken as 14 */
  cr_assert_eq(compute(g, n, 1).fwd.wnd, C_ISN + 101 + (512u << 14));
}

Test(inject_ref, timestamps_in_use_only_when_both_syns_carry_them) {
  struct tc_segment g[16];
  size_t n = handshake_and_data(g);
  g[1].has_ts = 0;
  cr_assert_eq(compute(g, n, 1).ts, 0);
  cr_assert_eq(compute(g + 2, n - 2, 1).ts, 1, "without SYNs the sender's latest tells");
}

Test(inject_ref, numbers_wrap_around_2_32) {
  struct tc_segment g[4];
  g[0] = seg(1, "S", 0xFFFFFFF0u, 0, 0, 65535, 1);
  g[1] = seg(0, "S.", 7, 0xFFFFFFF1u, 0, 65535, 2);
  g[2] = seg(1, "P.", 0xFFFFFFF1u, 8, 32, 100, 3);
  g[3] = seg(1, "P.", 0xFFFFFFF1u, 8, 16, 100, 4); /* a partial retransmission */
  cr_assert_eq(compute(g, 4, 1).fwd.nxt, 17u);
}

Test(inject_ref, a_direction_never_seen_is_an_error) {
  struct tc_segment g[2] = {seg(1, "S", C_ISN, 0, 0, 65535, 1)};
  struct tc__inject_ref r;
  tc_err err = {""};
  cr_assert_eq(tc__inject_ref_compute(g, 1, &client, &server, &r, &err), -ENOENT);
  cr_assert_str_eq(err.msg, "inject: the capture shows no segment from 127.0.0.1:8080 to "
                            "127.0.0.1:40000");
  cr_assert_eq(tc__inject_ref_compute(g, 0, &client, &server, &r, &err), -ENOENT);
  cr_assert_str_eq(err.msg, "inject: the capture shows no segment from 127.0.0.1:40000 to "
                            "127.0.0.1:8080");
}

/* ---- references ---- */

Test(inject_ref_parse, every_form) {
  static const struct {
    const char *text;
    enum tc_ref_base base;
    long off;
  } ok[] = {{"nxt", TC_REF_NXT, 0},     {"nxt+1", TC_REF_NXT, 1},
            {"nxt-1", TC_REF_NXT, -1},  {"wnd", TC_REF_WND, 0},
            {"wnd+10", TC_REF_WND, 10}, {"wnd-65536", TC_REF_WND, -65536},
            {"nxt+0", TC_REF_NXT, 0},   {"nxt-2147483647", TC_REF_NXT, -2147483647L}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    struct tc_seq_ref r;
    cr_assert_eq(tc__inject_ref_parse(ok[i].text, &r), 0, "%s", ok[i].text);
    cr_assert(r.base == ok[i].base && r.off == ok[i].off, "%s: got %d %ld", ok[i].text, r.base,
              r.off);
  }
  static const char *bad[] = {"",    "nx",    "nxt+",           "nxt1",   "nxt+-1", "nxt++1",
                              "una", "wnd*2", "nxt+2147483648", "nxt+1x", "NXT",    "nxt +1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct tc_seq_ref r;
    cr_assert_eq(tc__inject_ref_parse(bad[i], &r), -EINVAL, "'%s' accepted", bad[i]);
  }
}

Test(inject_ref_parse, values_wrap_and_wnd_needs_an_ack) {
  struct tc__inject_dir d = {.nxt = 5, .wnd = 0xFFFFFFFFu, .has_wnd = 1};
  struct tc_seq_ref minus = {TC_REF_NXT, -10}, plus = {TC_REF_WND, 2};
  uint32_t v;
  cr_assert(tc__inject_ref_value(&d, &minus, &v) == 0 && v == 0xFFFFFFFBu);
  cr_assert(tc__inject_ref_value(&d, &plus, &v) == 0 && v == 1);
  d.has_wnd = 0;
  cr_assert_eq(tc__inject_ref_value(&d, &plus, &v), -ENOENT);
}

Test(inject_ref_parse, flags_in_tcpdump_notation) {
  static const struct {
    const char *text;
    uint8_t bits;
  } ok[] = {{"R", TC_TCP_RST},
            {"R.", TC_TCP_RST | TC_TCP_ACK},
            {"S", TC_TCP_SYN},
            {"F.", TC_TCP_FIN | TC_TCP_ACK},
            {".", TC_TCP_ACK},
            {"P.", TC_TCP_PSH | TC_TCP_ACK},
            {"FP.", TC_TCP_FIN | TC_TCP_PSH | TC_TCP_ACK},
            {"S.", TC_TCP_SYN | TC_TCP_ACK}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    uint8_t bits;
    cr_assert_eq(tc__inject_flags_parse(ok[i].text, &bits), 0, "%s", ok[i].text);
    cr_assert_eq(bits, ok[i].bits, "%s", ok[i].text);
    char back[TC_FLAGS_MAX];
    tc_wire_flags(bits, back);
    cr_assert_str_eq(back, ok[i].text, "what the capture prints back");
  }
  static const char *bad[] = {"", ".R", "RR", "X", "PF.", "r", "none"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t bits;
    cr_assert_eq(tc__inject_flags_parse(bad[i], &bits), -EINVAL, "'%s' accepted", bad[i]);
  }
}

/* ---- the segment of an inject step ---- */

static struct tc_inject_step step(const char *flags, const char *seq, const char *ack) {
  struct tc_inject_step st = {.from = TC_CLIENT, .win = TC_INJECT_WIN_LAST};
  cr_assert_eq(tc__inject_flags_parse(flags, &st.tcpflags), 0);
  cr_assert_eq(tc__inject_ref_parse(seq, &st.seq), 0);
  cr_assert_eq(tc__inject_ref_parse(ack, &st.ack), 0);
  return st;
}

Test(inject_ref, an_inject_step_resolves_to_one_segment) {
  struct tc_segment g[16];
  struct tc__inject_ref r = compute(g, handshake_and_data(g), 1);
  struct tc__inject_seg out;
  tc_err err = {""};
  struct tc_inject_step st = step("R.", "nxt+1", "nxt-1");
  cr_assert_eq(tc__inject_ref_segment(&r, &st, &client, &server, &out, &err), 0, "%s", err.msg);
  cr_assert(tc_addr_equal(&out.src, &client) && tc_addr_equal(&out.dst, &server));
  cr_assert(out.seq == C_ISN + 102 && out.ack == S_ISN + 100, "seq %u ack %u", out.seq, out.ack);
  cr_assert(out.tcpflags == (TC_TCP_RST | TC_TCP_ACK) && out.win == 601 && out.len == 0);
  cr_assert(out.has_ts && out.tsval == 14 && out.tsecr == 22);
  st = step("R", "wnd", "nxt+5");
  st.win = 0;
  st.no_ts = 1;
  st.len = 3;
  cr_assert_eq(tc__inject_ref_segment(&r, &st, &client, &server, &out, &err), 0);
  cr_assert(out.seq == C_ISN + 101 + (512u << 7) && out.ack == 0, "no ACK flag: ack 0");
  cr_assert(out.win == 0 && !out.has_ts && out.len == 3);
}

Test(inject_ref, wnd_before_any_ack_says_why) {
  /* crossed SYNs (a simultaneous open): no ACK yet */
  struct tc_segment g[2] = {seg(1, "S", C_ISN, 0, 0, 65535, 1), seg(0, "S", S_ISN, 0, 0, 65535, 2)};
  struct tc__inject_ref r = compute(g, 2, 1);
  struct tc_inject_step st = step("R", "wnd", "nxt");
  struct tc__inject_seg out;
  tc_err err = {""};
  cr_assert_eq(tc__inject_ref_segment(&r, &st, &client, &server, &out, &err), -ENOENT);
  cr_assert_str_eq(err.msg, "inject: seq=wnd: the receiver has advertised no window yet");
}

/* ---- the real capture: an orderly IPv4 close, frames 1-8 ---- */

static struct frame frames[MAX_FRAMES];

Test(inject_ref_fixture, the_orderly_close_of_the_capture) {
  size_t nframes = fixture_frames_load("wire_loopback.txt", frames);
  cr_assert_geq(nframes, 8);
  struct tc_segment g[8];
  for (size_t i = 0; i < 8; i++)
    cr_assert_eq(tc_wire_decode(1 /* DLT_EN10MB */, frames[i].bytes, frames[i].len, &g[i]), 0);
  struct tc__inject_ref r;
  tc_err err = {""};
  cr_assert_eq(tc__inject_ref_compute(g, 8, &g[0].src, &g[0].dst, &r, &err), 0, "%s", err.msg);
  /* client ISN 989805175: SYN, 6 bytes, FIN; server ISN 3983268514: SYN, FIN */
  cr_assert_eq(r.fwd.nxt, 989805175u + 8, "got %u", r.fwd.nxt);
  cr_assert_eq(r.rev.nxt, 3983268514u + 2, "got %u", r.rev.nxt);
  /* the server's last ACK (frame 7): ack 8 relative, win 64, wscale 10 */
  cr_assert_eq(r.fwd.wnd, 989805175u + 8 + (64u << 10), "got %u", r.fwd.wnd);
  cr_assert_eq(r.rev.wnd, 3983268514u + 2 + (64u << 10), "got %u", r.rev.wnd);
  cr_assert(r.ts && r.tsval == 4265372592u && r.tsecr == 3173156803u);
  cr_assert_eq(r.fwd.win, 64);
}
