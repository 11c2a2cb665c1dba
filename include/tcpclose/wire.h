/* wire.h - the case's segments on the wire, captured with libpcap.
 *
 * Contract: tc_wire_open() starts capturing, on the loopback interface of
 * the calling thread's network namespace, every TCP segment to or from one
 * port (the server's listening port: it is in every segment of the case).
 * It needs CAP_NET_RAW and fails with a one-line reason otherwise, so the
 * caller can skip wire checks and say why. tc_wire_poll() never blocks: it
 * moves what the kernel has captured so far into the capture's list.
 * Segments keep capture order; times are CLOCK_MONOTONIC microseconds (the
 * clock of uv_hrtime()), so they line up with trace events and steps.
 * seq/ack are relative, as tcpdump prints them: each direction's sequence
 * numbers count from that direction's SYN (its ISN), and ack from the other
 * direction's; a SYN is seq 0 (an injected SYN, TTL TC_INJECT_TTL, keeps
 * the connection's numbering and shows its offset). Where the ISN is unknown (no SYN seen) the
 * relative number is 0, as is ack on a segment without ACK; seq_abs/ack_abs
 * always keep the numbers on the wire. Each segment is reported once (on
 * Linux lo a packet socket sees every packet twice, outgoing and incoming;
 * libpcap drops the outgoing copy). A tc_wire owns its pcap handle and its
 * segments. Not thread-safe: one thread uses a capture at a time (the runner
 * opens and closes it on libuv's threadpool, opening after moving that
 * thread into the case's namespace, and polls it on its loop thread).
 * Builds without the Linux components have wire_none.c: tc_wire_open()
 * fails with -ENOTSUP and one line saying why; tc_wire_decode() and
 * tc_wire_flags() (wire_decode.c) are pure and built everywhere.
 */
#ifndef TCPCLOSE_WIRE_H
#define TCPCLOSE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpclose/error.h"
#include "tcpclose/sock.h"

/* TCP header flag bits, as in the header's 13th byte. */
#define TC_TCP_FIN 0x01
#define TC_TCP_SYN 0x02
#define TC_TCP_RST 0x04
#define TC_TCP_PSH 0x08
#define TC_TCP_ACK 0x10
#define TC_TCP_URG 0x20
#define TC_TCP_ECE 0x40
#define TC_TCP_CWR 0x80

#define TC_FLAGS_MAX 12

/* The TTL (hop limit) of the segments tcpclose injects: the kernel sends
 * net.ipv4.ip_default_ttl (64) and net.ipv6.conf.*.hop_limit (64), so the
 * capture can tell a crafted segment from the kernel's own by it alone. */
#define TC_INJECT_TTL 255

struct tc_segment {
  int64_t t_us;             /* CLOCK_MONOTONIC, microseconds */
  struct tc_addr src, dst;  /* with ports */
  uint8_t tcpflags;         /* TC_TCP_* bits */
  char flags[TC_FLAGS_MAX]; /* tcpdump notation: "S", "S.", ".", "P.", "F.", "R", "R.", "FP." */
  uint32_t seq, ack;        /* relative to each direction's ISN */
  uint32_t seq_abs, ack_abs;
  uint32_t len;       /* payload bytes */
  uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit (TC_INJECT_TTL: injected) */
  uint16_t win;       /* the window field as sent, not scaled */
  uint8_t has_wscale; /* a window scale option (SYNs only, RFC 7323 2.2) */
  uint8_t wscale;     /* its shift count, as sent (the kernel caps 14) */
  uint8_t has_ts;     /* a timestamp option (RFC 7323 3.2) */
  uint32_t tsval, tsecr;
};

typedef struct tc_wire tc_wire;

/* 0, or a negative errno + err (-EPERM without CAP_NET_RAW). */
int tc_wire_open(uint16_t port, tc_wire **out, tc_err *err);

/* Reads every captured frame waiting; 0 or negative errno + err. A frame
 * that passed the filter but cannot be decoded (say an IPv4 length of 0, as
 * BIG TCP sends) is left out, the rest are kept, capture goes on, and this
 * poll returns -EBADMSG saying how many and why. */
int tc_wire_poll(tc_wire *w, tc_err *err);

/* The segments so far, capture order. Valid until the next poll or close. */
const struct tc_segment *tc_wire_segments(const tc_wire *w, size_t *n);

/* Frames read so far, and frames the kernel dropped before the capture
 * could read them (pcap_stats: its buffer was full). */
void tc_wire_counts(tc_wire *w, unsigned long *read, unsigned long *lost);

void tc_wire_close(tc_wire *w);

/* Decodes one captured frame of pcap link type `linktype` (DLT_EN10MB,
 * DLT_NULL, DLT_LOOP, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
 * DLT_IPV6) carrying IPv4 or IPv6 and TCP. Fills everything but t_us and
 * the relative seq/ack (set to the absolute ones). len comes from the IP
 * length fields, so a frame cut by the snaplen keeps its payload length;
 * the fixed 20 bytes of the TCP header must have been captured, its options
 * need not: the options captured are read (window scale, timestamps) up to
 * the first one that is cut or malformed, and those before it are kept.
 * 0, or -EINVAL when the frame is not such a segment. Pure: for tests. */
int tc_wire_decode(int linktype, const uint8_t *frame, size_t caplen, struct tc_segment *seg);

/* tcpdump's notation of a flags byte into out: the marks in the order of
 * tcpdump's print-tcp.c tcp_flag_values (F S R P . U E W, "." being ACK),
 * so FIN|PSH|ACK is "FP.", SYN|ACK "S." and URG|ACK ".U"; "none" when no
 * flag is set. */
void tc_wire_flags(uint8_t tcpflags, char out[TC_FLAGS_MAX]);

#endif
