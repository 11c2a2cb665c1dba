/* test_inject.c - one crafted segment into a real connection, end to end
 * without the runner: each test unshares a network namespace of its own
 * (Criterion runs every test in a process of its own), brings its
 * loopback up, makes a real connected pair over IPv4 or IPv6, captures it
 * (tc_wire_open), takes the numbers from the capture (inject_ref.h) and
 * sends the segment (inject_libnet.h) into the client -> server direction.
 * What the server's kernel answers is read from the capture, from the
 * server socket and from the namespace's own TcpExt counters. Needs root
 * (a namespace, a capture, a raw socket); skips without it, saying why.
 *
 * Observed on Linux 6.18 (RFC 5961 3.2, 4.2; RFC 7323 5.3):
 *  - R. at RCV.NXT resets the server: recv fails with ECONNRESET, with or
 *    without a timestamp option (a RST is accepted even failing PAWS);
 *  - R. at RCV.NXT+1 (in the window) and S in the window get one
 *    challenge ACK (ack = RCV.NXT) and the connection goes on;
 *  - R. one past the window's right edge is dropped without an answer;
 *  - data without a timestamp option is delivered (Linux does not drop
 *    it, as RFC 7323 3.2 says it should), data with a TSval older than the
 *    last one is dropped by PAWS with a duplicate ACK. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "inject_libnet.h"
#include "inject_ref.h"
#include "tcpclose/wire.h"

#define WAIT_US 5000000 /* a bound on waiting for the kernel, never a verdict */

struct pair {
  int lfd, c, s;
  struct tc_addr client, server;
  tc_wire *w;
};

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void lo_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq r;
  memset(&r, 0, sizeof r);
  snprintf(r.ifr_name, sizeof r.ifr_name, "lo");
  cr_assert_eq(ioctl(fd, SIOCGIFFLAGS, &r), 0, "SIOCGIFFLAGS lo: %s", strerror(errno));
  r.ifr_flags |= IFF_UP;
  cr_assert_eq(ioctl(fd, SIOCSIFFLAGS, &r), 0, "SIOCSIFFLAGS lo: %s", strerror(errno));
  close(fd);
}

/* A namespace of this test's own: nothing it does reaches the host. */
static void own_netns_or_skip(void) {
  if (geteuid() != 0)
    cr_skip_test("injection needs root (namespace, capture, raw socket); running as uid %d",
                 (int)geteuid());
  if (unshare(CLONE_NEWNET) != 0) cr_skip_test("unshare(CLONE_NEWNET): %s", strerror(errno));
  lo_up();
}

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

static void recv_exactly(int fd, size_t n) {
  char buf[64];
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf, n - got, 0);
    cr_assert_gt(r, 0, "recv: %s", r < 0 ? strerror(errno) : "end of stream");
    got += (size_t)r;
  }
}

/* What a test opened, kept here (its own copy lives on its stack) so that
 * it is closed after the test, whatever the test asserted. */
static struct pair opened = {.lfd = -1, .c = -1, .s = -1};

static void pair_close(void) {
  tc_wire_close(opened.w);
  if (opened.c >= 0) close(opened.c);
  if (opened.s >= 0) close(opened.s);
  if (opened.lfd >= 0) close(opened.lfd);
  opened = (struct pair){.lfd = -1, .c = -1, .s = -1};
}

TestSuite(inject_live, .fini = pair_close);

/* A listener, its capture, a connection, and data both ways, so each side
 * has sent timestamps and windows. Blocking calls bounded by SO_RCVTIMEO. */
static void pair_open(struct pair *out, const char *host) {
  struct pair *p = &opened; /* filled in place: the caller gets a copy at the end */
  own_netns_or_skip();
  struct sockaddr_storage ss;
  cr_assert_eq(tc_addr_parse(host, 0, &p->server), 0);
  socklen_t len = tc_addr_to_sockaddr(&p->server, &ss);
  p->lfd = socket(p->server.family, SOCK_STREAM, 0);
  cr_assert_eq(bind(p->lfd, (struct sockaddr *)&ss, len), 0, "bind %s: %s", host, strerror(errno));
  cr_assert_eq(listen(p->lfd, 1), 0);
  p->server = local_addr(p->lfd);
  tc_err err = {""};
  cr_assert_eq(tc_wire_open(p->server.port, &p->w, &err), 0, "capture: %s", err.msg);
  len = tc_addr_to_sockaddr(&p->server, &ss);
  p->c = socket(p->server.family, SOCK_STREAM, 0);
  cr_assert_eq(connect(p->c, (struct sockaddr *)&ss, len), 0, "connect: %s", strerror(errno));
  p->client = local_addr(p->c);
  p->s = accept(p->lfd, NULL, NULL);
  cr_assert_geq(p->s, 0);
  struct timeval tv = {.tv_sec = WAIT_US / 1000000};
  cr_assert_eq(setsockopt(p->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  cr_assert_eq(setsockopt(p->c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  cr_assert_eq(send(p->c, "hello", 5, 0), 5);
  recv_exactly(p->s, 5);
  cr_assert_eq(send(p->s, "hi", 2, 0), 2);
  recv_exactly(p->c, 2);
  *out = opened;
}

static const struct tc_segment *segments(struct pair *p, size_t *n) {
  tc_err err = {""};
  cr_assert_eq(tc_wire_poll(p->w, &err), 0, "tc_wire_poll: %s", err.msg);
  return tc_wire_segments(p->w, n);
}

static int from_server(const struct pair *p, const struct tc_segment *g) {
  return tc_addr_equal(&g->src, &p->server) && tc_addr_equal(&g->dst, &p->client);
}

/* Index of the injected segment in the capture, waiting for it; its
 * capture means the server's kernel has it too (the tap sees it as it is
 * received). */
static size_t injected_at(struct pair *p) {
  for (int64_t until = mono_us() + WAIT_US; mono_us() < until; usleep(2000)) {
    size_t n;
    const struct tc_segment *g = segments(p, &n);
    for (size_t i = 0; i < n; i++)
      if (g[i].ttl == TC_INJECT_TTL) return i;
  }
  cr_assert_fail("the injected segment never showed in the capture");
  return 0;
}

/* How many segments from the server after index `after` acknowledge
 * exactly `ack`, waiting until `want_ack` (an ACK the test provokes) or
 * `want` of them are in. */
static size_t server_acks(struct pair *p, size_t after, uint32_t ack, size_t want) {
  size_t count = 0;
  for (int64_t until = mono_us() + WAIT_US; mono_us() < until; usleep(2000)) {
    size_t n;
    const struct tc_segment *g = segments(p, &n);
    count = 0;
    for (size_t i = after + 1; i < n; i++)
      count += from_server(p, &g[i]) && g[i].ack_abs == ack && !(g[i].tcpflags & TC_TCP_RST);
    if (count >= want) break;
  }
  return count;
}

static struct tc__inject_ref ref_now(struct pair *p) {
  size_t n;
  const struct tc_segment *g = segments(p, &n);
  struct tc__inject_ref r;
  tc_err err = {""};
  cr_assert_eq(tc__inject_ref_compute(g, n, &p->client, &p->server, &r, &err), 0, "%s", err.msg);
  return r;
}

/* The segment of `inject c>s FLAGS seq=SEQ [len=N] [ts=none]`. */
static struct tc__inject_seg crafted(struct pair *p, const char *flags, const char *seq,
                                     unsigned len, int no_ts, struct tc__inject_ref *r) {
  struct tc_inject_step st = {.from = TC_CLIENT, .win = TC_INJECT_WIN_LAST, .len = len};
  st.no_ts = no_ts;
  cr_assert_eq(tc__inject_flags_parse(flags, &st.tcpflags), 0);
  cr_assert_eq(tc__inject_ref_parse(seq, &st.seq), 0);
  cr_assert_eq(tc__inject_ref_parse("nxt", &st.ack), 0);
  *r = ref_now(p);
  struct tc__inject_seg seg;
  tc_err err = {""};
  cr_assert_eq(tc__inject_ref_segment(r, &st, &p->client, &p->server, &seg, &err), 0, "%s",
               err.msg);
  return seg;
}

static void send_seg(const struct tc__inject_seg *seg) {
  tc_err err = {""};
  cr_assert_eq(tc__inject_send(seg, &err), 0, "%s", err.msg);
}

/* A TcpExt counter of this namespace (/proc/net/netstat is per netns). */
static long tcpext(const char *name) {
  FILE *f = fopen("/proc/net/netstat", "r");
  cr_assert_not_null(f);
  char names[8192], values[8192];
  long v = -1;
  while (fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
    if (strncmp(names, "TcpExt:", 7) != 0) continue;
    char *sn, *sv, *n = strtok_r(names, " \n", &sn), *val = strtok_r(values, " \n", &sv);
    for (; n && val; n = strtok_r(NULL, " \n", &sn), val = strtok_r(NULL, " \n", &sv))
      if (strcmp(n, name) == 0) v = atol(val);
  }
  fclose(f);
  cr_assert_geq(v, 0, "no TcpExt %s here", name);
  return v;
}

static int tcp_state(int fd) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
  return ti.tcpi_state;
}

/* The connection still carries data: 5 more bytes client -> server. */
static void assert_alive(struct pair *p) {
  cr_assert_eq(tcp_state(p->s), TCP_ESTABLISHED, "the server left ESTABLISHED");
  cr_assert_eq(send(p->c, "again", 5, 0), 5);
  recv_exactly(p->s, 5);
}

/* ---- RST (RFC 5961 3.2) ---- */

static void rst_at_nxt_resets(const char *host, int no_ts) {
  struct pair p;
  pair_open(&p, host);
  struct tc__inject_ref r;
  struct tc__inject_seg seg = crafted(&p, "R.", "nxt", 0, no_ts, &r);
  cr_assert_eq(seg.has_ts, !no_ts, "the connection negotiated timestamps");
  send_seg(&seg);
  size_t at = injected_at(&p);
  size_t n;
  const struct tc_segment *g = segments(&p, &n);
  cr_assert_str_eq(g[at].flags, "R.");
  cr_assert_eq(g[at].seq_abs, r.fwd.nxt);
  char buf[8];
  errno = 0;
  cr_assert_eq(recv(p.s, buf, sizeof buf, 0), -1, "expected the server's recv to fail");
  cr_assert_eq(errno, ECONNRESET, "expected ECONNRESET but got %s", strerror(errno));
  cr_assert_eq(tcp_state(p.s), TCP_CLOSE);
}

Test(inject_live, rst_at_rcv_nxt_resets_the_server_ipv4) { rst_at_nxt_resets("127.0.0.1", 0); }
Test(inject_live, rst_at_rcv_nxt_resets_the_server_ipv6) { rst_at_nxt_resets("::1", 0); }
Test(inject_live, rst_without_timestamp_still_resets) { rst_at_nxt_resets("127.0.0.1", 1); }

static void in_window_gets_challenge_ack(const char *host, const char *flags) {
  struct pair p;
  pair_open(&p, host);
  struct tc__inject_ref r;
  struct tc__inject_seg seg = crafted(&p, flags, "nxt+1", 0, 0, &r);
  send_seg(&seg);
  size_t at = injected_at(&p);
  cr_assert_eq(server_acks(&p, at, r.fwd.nxt, 1), 1, "expected one challenge ACK of RCV.NXT");
  cr_assert_eq(tcpext("TCPChallengeACK"), 1);
  assert_alive(&p);
  struct tc__inject_ref after = ref_now(&p);
  cr_assert_eq(after.fwd.nxt, r.fwd.nxt + 5, "the injected segment is not counted as sent");
}

Test(inject_live, rst_in_window_not_at_nxt_gets_a_challenge_ack_ipv4) {
  in_window_gets_challenge_ack("127.0.0.1", "R.");
}
Test(inject_live, rst_in_window_not_at_nxt_gets_a_challenge_ack_ipv6) {
  in_window_gets_challenge_ack("::1", "R.");
}
Test(inject_live, syn_in_window_gets_a_challenge_ack) {
  in_window_gets_challenge_ack("127.0.0.1", "S");
}

static void outside_window_dropped(const char *host, const char *seq) {
  struct pair p;
  pair_open(&p, host);
  struct tc__inject_ref r;
  struct tc__inject_seg seg = crafted(&p, "R.", seq, 0, 0, &r);
  send_seg(&seg);
  size_t at = injected_at(&p);
  assert_alive(&p);
  /* the server's ACK of those 5 bytes is in before anything is counted */
  cr_assert_geq(server_acks(&p, at, r.fwd.nxt + 5, 1), 1, "the server never ACKed the data");
  cr_assert_eq(server_acks(&p, at, r.fwd.nxt, 0), 0, "expected no answer to the RST");
  cr_assert_eq(tcpext("TCPChallengeACK"), 0);
}

Test(inject_live, rst_past_the_window_is_dropped_silently_ipv4) {
  outside_window_dropped("127.0.0.1", "wnd+1");
}
Test(inject_live, rst_past_the_window_is_dropped_silently_ipv6) {
  outside_window_dropped("::1", "wnd+1");
}
Test(inject_live, rst_below_nxt_is_dropped_silently) {
  outside_window_dropped("127.0.0.1", "nxt-1");
}

/* ---- data and PAWS (RFC 7323 5.3) ---- */

Test(inject_live, data_without_timestamp_is_delivered) {
  struct pair p;
  pair_open(&p, "127.0.0.1");
  struct tc__inject_ref r;
  struct tc__inject_seg seg = crafted(&p, "P.", "nxt", 4, 1, &r);
  cr_assert_eq(seg.has_ts, 0);
  send_seg(&seg);
  injected_at(&p);
  char buf[8];
  cr_assert_eq(recv(p.s, buf, sizeof buf, 0), 4, "expected the 4 injected bytes");
  cr_assert_eq(memcmp(buf, "xxxx", 4), 0);
}

Test(inject_live, data_with_an_older_tsval_is_dropped_by_paws) {
  struct pair p;
  pair_open(&p, "127.0.0.1");
  struct tc__inject_ref r;
  struct tc__inject_seg seg = crafted(&p, "P.", "nxt", 4, 0, &r);
  seg.tsval -= 1000;
  send_seg(&seg);
  size_t at = injected_at(&p);
  cr_assert_eq(server_acks(&p, at, r.fwd.nxt, 1), 1, "expected a duplicate ACK of RCV.NXT");
  cr_assert_eq(tcpext("PAWSEstab"), 1);
  char buf[8];
  cr_assert_eq(recv(p.s, buf, sizeof buf, MSG_DONTWAIT), -1, "the data must not be delivered");
  cr_assert_eq(errno, EAGAIN);
}

/* ---- without privileges ---- */

Test(inject_unprivileged, without_root_says_why) {
  if (geteuid() == 0) cr_assert_eq(setresuid(65534, 65534, 65534), 0, "%s", strerror(errno));
  struct tc__inject_seg seg = {.tcpflags = TC_TCP_RST};
  cr_assert_eq(tc_addr_parse("127.0.0.1", 1, &seg.src), 0);
  cr_assert_eq(tc_addr_parse("127.0.0.1", 2, &seg.dst), 0);
  tc_err err = {""};
  int rc = tc__inject_send(&seg, &err);
  cr_assert(rc == -EPERM || rc == -EACCES, "expected -EPERM but got %d: %s", rc, err.msg);
  const char *want = "inject: needs root (raw socket): ";
  cr_assert_eq(strncmp(err.msg, want, strlen(want)), 0, "got: %s", err.msg);
  cr_assert_null(strchr(err.msg, '\n'), "one line");
}
