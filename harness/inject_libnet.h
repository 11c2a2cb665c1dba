/* inject_libnet.h - one crafted TCP segment sent into a real connection.
 *
 * Contract: tc__inject_send() builds the segment with libnet
 * (libnet_build_tcp_options, libnet_build_tcp, libnet_build_ipv4 or
 * libnet_build_ipv6; libnet computes every checksum and length) and writes
 * it once on a raw socket (LIBNET_RAW4 / LIBNET_RAW6), opened and closed by
 * the call, in the network namespace of the CALLING THREAD: the runner calls
 * it from its own thread (or from a threadpool thread) after
 * tc__netns_join() into the case's namespace, and the segment goes out on
 * that namespace's loopback, where the receiving kernel and the capture see
 * it like any other. It carries the IPv4 TTL / IPv6 hop limit TC_INJECT_TTL
 * (tcpclose/wire.h), so the capture tells it from the kernel's own, and
 * the packet mark TC__INJECT_MARK (SO_MARK), so that a case's `drop ...
 * at=output` rules, meant for what the sender's kernel sends, let it pass
 * (netns_nft.c). It
 * blocks only for the sendto() of one packet on loopback. Needs root
 * (CAP_NET_RAW); fails otherwise with "inject: needs root (raw socket): ...".
 * Returns 0 or a negative errno with one line in err. Linux only
 * (inject_libnet.c, built with the Linux components); inject_none.c stands
 * in elsewhere and says why. Each call has its own libnet context, so
 * calls from several threads at once are fine.
 */
#ifndef TCPCLOSE_INJECT_LIBNET_H
#define TCPCLOSE_INJECT_LIBNET_H

#include <stdint.h>

#include "tcpclose/error.h"
#include "tcpclose/sock.h"

#define TC__INJECT_MARK 0x7463 /* "tc" */

struct tc__inject_seg {
  struct tc_addr src, dst; /* with ports, one family */
  uint32_t seq, ack;       /* absolute, as on the wire */
  uint8_t tcpflags;        /* TC_TCP_* (tcpclose/wire.h) */
  uint16_t win;            /* the window field as sent */
  uint32_t len;            /* filler payload bytes ('x'), at most TC_INJECT_LEN_MAX */
  int has_ts;              /* a timestamp option (NOP NOP TS, as Linux sends it) */
  uint32_t tsval, tsecr;
};

int tc__inject_send(const struct tc__inject_seg *seg, tc_err *err);

#endif
