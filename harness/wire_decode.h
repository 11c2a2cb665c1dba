/* wire_decode.h - relative sequence numbers, the internal half of the
 * portable wire decoding (harness/wire_decode.c).
 *
 * Contract: a tc__wire_isns remembers each direction's ISN, learned from its
 * SYN (a later SYN on the same 4-tuple, a new connection, replaces it; one
 * that tcpclose injected, TTL TC_INJECT_TTL, does not).
 * tc__wire_number() sets a decoded segment's relative seq/ack from it as
 * tcpdump prints them: seq from its own direction's ISN, ack from the other
 * direction's; 0 where that ISN is unknown, and ack 0 without ACK. Segments
 * must be given in capture order. Pure and portable (no libpcap), so the
 * tests can number real frames; wire_pcap.c numbers each captured frame.
 * Start from a zeroed struct; it owns its array (free with
 * tc__wire_isns_free()). No other state: any thread, one at a time per
 * struct.
 */
#ifndef TCPCLOSE_WIRE_DECODE_H
#define TCPCLOSE_WIRE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpclose/wire.h"

struct tc__wire_isn {
  struct tc_addr src, dst; /* the direction, with ports */
  uint32_t isn;
};

struct tc__wire_isns {
  struct tc__wire_isn *v;
  size_t n, cap;
};

/* Learns the ISN of a SYN, then sets seg->seq and seg->ack from seq_abs and
 * ack_abs. 0, or -ENOMEM (seg is still numbered, the SYN is not learned). */
int tc__wire_number(struct tc__wire_isns *t, struct tc_segment *seg);

void tc__wire_isns_free(struct tc__wire_isns *t);

#endif
