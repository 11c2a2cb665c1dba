/* wire_decode.c - a captured frame into a tc_segment, tcpdump's flag
 * notation and its relative sequence numbers (see tcpclose/wire.h and
 * wire_decode.h).
 *
 * Contract: pure functions over bytes, every read checked against caplen.
 * A frame that is not IPv4 or IPv6 carrying TCP, with the fixed 20 bytes of
 * the TCP header captured, is -EINVAL. Portable on purpose: this file is
 * built also where libpcap is absent, so it includes neither pcap nor any
 * Linux header and names the few protocol numbers it needs itself.
 */
#include "wire_decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grow.h"

/* pcap link types as pcap_datalink() returns them, from libpcap's
 * pcap/dlt.h (1.10): DLT_RAW and DLT_LOOP trade numbers on OpenBSD. */
#define WIRE_DLT_NULL 0
#define WIRE_DLT_EN10MB 1
#ifdef __OpenBSD__
#define WIRE_DLT_RAW 14
#define WIRE_DLT_LOOP 12
#else
#define WIRE_DLT_RAW 12
#define WIRE_DLT_LOOP 108
#endif
#define WIRE_DLT_LINUX_SLL 113
#define WIRE_DLT_IPV4 228
#define WIRE_DLT_IPV6 229
#define WIRE_DLT_LINUX_SLL2 276

/* DLT_NULL/DLT_LOOP's 4-byte family: AF_INET is 2 everywhere, AF_INET6
 * differs by system (tcpdump's af.h: 24 NetBSD/OpenBSD, 28 FreeBSD, 30
 * Darwin), and the capturing host may not be this one. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD

/* IANA protocol numbers: TCP and the IPv6 extension headers (RFC 8200 4). */
#define PROTO_HOPOPTS 0
#define PROTO_TCP 6
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_DSTOPTS 60

enum link_kind { LINK_ETHERTYPE, LINK_BSD_FAMILY, LINK_IP, LINK_IPV4, LINK_IPV6 };

static const struct link {
  int type;
  size_t hdrlen;
  enum link_kind kind;
  size_t proto_at; /* LINK_ETHERTYPE: where the ethertype is */
} links[] = {
    {WIRE_DLT_EN10MB, 14, LINK_ETHERTYPE, 12},
    {WIRE_DLT_LINUX_SLL, 16, LINK_ETHERTYPE, 14},
    {WIRE_DLT_LINUX_SLL2, 20, LINK_ETHERTYPE, 0},
    {WIRE_DLT_NULL, 4, LINK_BSD_FAMILY, 0},
    {WIRE_DLT_LOOP, 4, LINK_BSD_FAMILY, 0},
    {WIRE_DLT_RAW, 0, LINK_IP, 0},
    {WIRE_DLT_IPV4, 0, LINK_IPV4, 0},
    {WIRE_DLT_IPV6, 0, LINK_IPV6, 0},
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int ethertype_version(uint16_t type) {
  if (type == ETHERTYPE_IPV4) return 4;
  if (type == ETHERTYPE_IPV6) return 6;
  return -EINVAL;
}

/* DLT_NULL's family is in the capturing host's byte order, DLT_LOOP's in
 * network order; like tcpdump's print-null.c, a value with any of its upper
 * 16 bits set is taken as byte-swapped, so both read right anywhere. */
static int bsd_family_version(const uint8_t *p) {
  uint32_t family = get32(p);
  if ((family & 0xFFFF0000u) != 0)
    family = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
  if (family == BSD_AF_INET) return 4;
  if (family == BSD_AF_INET6_BSD || family == BSD_AF_INET6_FREEBSD || family == BSD_AF_INET6_DARWIN)
    return 6;
  return -EINVAL;
}

/* Skips the link-layer header: *off is where IP starts, and the result the
 * IP version the link header announces (0: only the IP header says). */
static int link_layer(int linktype, const uint8_t *f, size_t caplen, size_t *off) {
  const struct link *l = NULL;
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (links[i].type == linktype) l = &links[i];
  if (l == NULL || caplen < l->hdrlen) return -EINVAL;
  *off = l->hdrlen;
  switch (l->kind) {
  case LINK_ETHERTYPE: return ethertype_version(get16(f + l->proto_at));
  case LINK_BSD_FAMILY: return bsd_family_version(f);
  case LINK_IPV4: return 4;
  case LINK_IPV6: return 6;
  default: return 0;
  }
}

static void set_addr(struct tc_addr *a, int family, const uint8_t *bytes) {
  a->family = family;
  memcpy(a->bytes, bytes, family == AF_INET ? 4 : 16);
}

/* The IPv4 header: addresses into seg, *at where TCP starts, *tcplen the
 * TCP segment's length by the IP total length (not caplen, which the
 * snaplen cuts). A fragment other than the first has no TCP header. */
static int ipv4(const uint8_t *p, size_t n, struct tc_segment *seg, size_t *at, size_t *tcplen) {
  if (n < 20) return -EINVAL;
  size_t ihl = (size_t)(p[0] & 0x0F) * 4;
  size_t total = get16(p + 2);
  if (ihl < 20 || n < ihl || total < ihl) return -EINVAL;
  if (p[9] != PROTO_TCP || (get16(p + 6) & 0x1FFF) != 0) return -EINVAL;
  set_addr(&seg->src, AF_INET, p + 12);
  set_addr(&seg->dst, AF_INET, p + 16);
  seg->ttl = p[8];
  *at = ihl;
  *tcplen = total - ihl;
  return 0;
}

/* Length of one IPv6 extension header at h (n bytes captured); -EINVAL for
 * a header that is none of them, or a fragment other than the first. */
static int ipv6_ext_len(int type, const uint8_t *h, size_t n, size_t *len) {
  if (n < 8) return -EINVAL; /* every extension header has at least 8 */
  switch (type) {
  case PROTO_HOPOPTS:
  case PROTO_ROUTING:
  case PROTO_DSTOPTS: *len = ((size_t)h[1] + 1) * 8; return 0;
  case PROTO_AH: *len = ((size_t)h[1] + 2) * 4; return 0;
  case PROTO_FRAGMENT: *len = 8; return (get16(h + 2) & 0xFFF8) == 0 ? 0 : -EINVAL;
  default: return -EINVAL;
  }
}

/* The IPv6 header and its extension headers, as ipv4() does; the payload
 * length counts the extension headers, so each is taken off *tcplen. A
 * jumbogram's payload length of 0 leaves no room for TCP: rejected. */
static int ipv6(const uint8_t *p, size_t n, struct tc_segment *seg, size_t *at, size_t *tcplen) {
  if (n < 40) return -EINVAL;
  size_t left = get16(p + 4), off = 40;
  int next = p[6];
  while (next != PROTO_TCP) {
    size_t len;
    int rc = ipv6_ext_len(next, p + off, n - off, &len);
    if (rc != 0) return rc;
    if (len > left || len > n - off) return -EINVAL;
    next = p[off];
    off += len;
    left -= len;
  }
  set_addr(&seg->src, AF_INET6, p + 8);
  set_addr(&seg->dst, AF_INET6, p + 24);
  seg->ttl = p[7];
  *at = off;
  *tcplen = left;
  return 0;
}

/* TCP option kinds and lengths (RFC 9293 3.2, RFC 7323 2.2 and 3.2). */
#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_WSCALE 3
#define OPT_WSCALE_LEN 3
#define OPT_TS 8
#define OPT_TS_LEN 10

static void tcp_option(const uint8_t *o, size_t len, struct tc_segment *seg) {
  if (o[0] == OPT_WSCALE && len == OPT_WSCALE_LEN) {
    seg->has_wscale = 1;
    seg->wscale = o[2];
  } else if (o[0] == OPT_TS && len == OPT_TS_LEN) {
    seg->has_ts = 1;
    seg->tsval = get32(o + 2);
    seg->tsecr = get32(o + 6);
  }
}

/* The options at o, n of them captured: each kind-length-value read in
 * turn; a length that is under 2 or runs past what was captured ends the
 * list, since nothing after it can be trusted to start an option. */
static void tcp_options(const uint8_t *o, size_t n, struct tc_segment *seg) {
  size_t at = 0;
  while (at < n && o[at] != OPT_EOL) {
    if (o[at] == OPT_NOP) {
      at++;
      continue;
    }
    if (n - at < 2 || o[at + 1] < 2 || o[at + 1] > n - at) return;
    tcp_option(o + at, o[at + 1], seg);
    at += o[at + 1];
  }
}

/* The TCP header at t (n bytes captured, tcplen by the IP header). */
static int tcp(const uint8_t *t, size_t n, size_t tcplen, struct tc_segment *seg) {
  if (n < 20 || tcplen < 20) return -EINVAL;
  size_t hlen = (size_t)(t[12] >> 4) * 4;
  if (hlen < 20 || hlen > tcplen) return -EINVAL;
  seg->src.port = get16(t);
  seg->dst.port = get16(t + 2);
  seg->seq = seg->seq_abs = get32(t + 4);
  seg->ack = seg->ack_abs = get32(t + 8);
  seg->tcpflags = t[13];
  tc_wire_flags(t[13], seg->flags);
  seg->win = get16(t + 14);
  seg->len = (uint32_t)(tcplen - hlen);
  tcp_options(t + 20, (n < hlen ? n : hlen) - 20, seg);
  return 0;
}

int tc_wire_decode(int linktype, const uint8_t *frame, size_t caplen, struct tc_segment *seg) {
  memset(seg, 0, sizeof *seg);
  size_t off, at, tcplen;
  int version = link_layer(linktype, frame, caplen, &off);
  if (version < 0 || caplen == off) return -EINVAL;
  const uint8_t *ip = frame + off;
  size_t n = caplen - off;
  int v = ip[0] >> 4;
  if (version != 0 && v != version) return -EINVAL;
  int rc = v == 4   ? ipv4(ip, n, seg, &at, &tcplen)
           : v == 6 ? ipv6(ip, n, seg, &at, &tcplen)
                    : -EINVAL;
  if (rc == 0) rc = tcp(ip + at, n - at, tcplen, seg);
  if (rc != 0) memset(seg, 0, sizeof *seg);
  return rc;
}

/* tcpdump's print-tcp.c tcp_flag_values, in its order. */
static const struct {
  uint8_t bit;
  char mark;
} flag_marks[] = {
    {TC_TCP_FIN, 'F'}, {TC_TCP_SYN, 'S'}, {TC_TCP_RST, 'R'}, {TC_TCP_PSH, 'P'},
    {TC_TCP_ACK, '.'}, {TC_TCP_URG, 'U'}, {TC_TCP_ECE, 'E'}, {TC_TCP_CWR, 'W'},
};

void tc_wire_flags(uint8_t tcpflags, char out[TC_FLAGS_MAX]) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof flag_marks / sizeof flag_marks[0]; i++)
    if (tcpflags & flag_marks[i].bit) out[n++] = flag_marks[i].mark;
  out[n] = '\0';
  if (n == 0) strcpy(out, "none");
}

static struct tc__wire_isn *isn_find(const struct tc__wire_isns *t, const struct tc_addr *src,
                                     const struct tc_addr *dst) {
  for (size_t i = 0; i < t->n; i++)
    if (tc_addr_equal(&t->v[i].src, src) && tc_addr_equal(&t->v[i].dst, dst)) return &t->v[i];
  return NULL;
}

static int isn_learn(struct tc__wire_isns *t, const struct tc_segment *seg) {
  struct tc__wire_isn *e = isn_find(t, &seg->src, &seg->dst);
  if (e == NULL) {
    if (tc__grow(&t->v, &t->cap, t->n + 1, 4, sizeof *t->v) < 0) return -ENOMEM;
    e = &t->v[t->n++];
    e->src = seg->src;
    e->dst = seg->dst;
  }
  e->isn = seg->seq_abs;
  return 0;
}

int tc__wire_number(struct tc__wire_isns *t, struct tc_segment *seg) {
  /* an injected SYN (in a window, or a TIME_WAIT's new connection) is not
   * the real sender's: the case reads the connection's own numbers */
  int learn = (seg->tcpflags & TC_TCP_SYN) && seg->ttl != TC_INJECT_TTL;
  int rc = learn ? isn_learn(t, seg) : 0;
  const struct tc__wire_isn *own = isn_find(t, &seg->src, &seg->dst);
  const struct tc__wire_isn *peer = isn_find(t, &seg->dst, &seg->src);
  /* unsigned arithmetic wraps modulo 2^32, as sequence numbers do */
  seg->seq = own != NULL ? seg->seq_abs - own->isn : 0;
  seg->ack = peer != NULL && (seg->tcpflags & TC_TCP_ACK) ? seg->ack_abs - peer->isn : 0;
  return rc;
}

void tc__wire_isns_free(struct tc__wire_isns *t) {
  free(t->v);
  memset(t, 0, sizeof *t);
}
