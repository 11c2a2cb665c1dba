/* inject_ref.h - the numbers an injected segment needs, from the capture.
 *
 * Contract: pure functions, no I/O, portable. tc__inject_ref_compute()
 * reads the captured segments of a port (tc_wire_segments(), capture
 * order) and keeps those of one connection: the 4-tuple from -> to in both
 * directions, from its latest connection on (a side's second SYN without
 * ACK, as a new connection on a TIME_WAIT 4-tuple sends, starts again). Segments tcpclose injected (TTL
 * TC_INJECT_TTL) and RSTs are left out: neither is the real sender's
 * sequence space, and a RST's numbers may echo a crafted segment.
 *
 * For each direction (sender -> receiver) it gives:
 *  - nxt: the receiver's RCV.NXT, the number after the highest one the
 *    sender used (SYN and FIN count one, payload its length), or the
 *    receiver's latest ACK when that is higher (it accepted more than the
 *    capture showed from the sender, such as an injected segment).
 *    A segment dropped at the input hook (`drop`) was captured before the
 *    drop, so it counts as sent: nxt is then the sender's view.
 *  - wnd: the right edge of the receiver's last advertised window, its
 *    latest ACK plus its latest window shifted by its window scale (when
 *    both SYNs carried the option, RFC 7323 2.2; never on a SYN's window).
 *  - win, tsval: the sender's latest window field and TSval.
 * Sequence numbers are absolute; comparisons wrap modulo 2^32.
 */
#ifndef TCPCLOSE_INJECT_REF_H
#define TCPCLOSE_INJECT_REF_H

#include <stddef.h>
#include <stdint.h>

#include "inject_libnet.h"
#include "tcpclose/case.h"
#include "tcpclose/error.h"
#include "tcpclose/wire.h"

struct tc__inject_dir {
  int seen;     /* a segment of the sender's own (not RST, not injected) */
  uint32_t isn; /* the sender's ISN; has_isn when its SYN was captured */
  int has_isn;
  uint32_t nxt; /* the receiver's RCV.NXT */
  uint32_t wnd; /* right edge of the receiver's window; has_wnd when it sent an ACK */
  int has_wnd;
  uint16_t win;   /* the sender's latest window field */
  int has_ts;     /* the sender's latest segment carried a timestamp */
  uint32_t tsval; /* its TSval (0 without) */
};

struct tc__inject_ref {
  struct tc__inject_dir fwd; /* from -> to: seq= counts here */
  struct tc__inject_dir rev; /* to -> from: ack= counts here */
  int ts;                    /* the connection uses timestamps */
  uint32_t tsval, tsecr;     /* for a segment from -> to: fwd's TSval, rev's as TSecr */
};

/* 0, or -ENOENT with a line in err when the capture shows nothing of one
 * of the two directions (no connection to inject into). */
int tc__inject_ref_compute(const struct tc_segment *segs, size_t n, const struct tc_addr *from,
                           const struct tc_addr *to, struct tc__inject_ref *out, tc_err *err);

/* "nxt", "nxt+N", "nxt-N", "wnd", "wnd+N", "wnd-N" (N decimal, below 2^31).
 * 0 or -EINVAL. */
int tc__inject_ref_parse(const char *s, struct tc_seq_ref *out);

/* The absolute number a reference names in direction d. 0, or -ENOENT
 * for `wnd` when the receiver has sent no ACK. */
int tc__inject_ref_value(const struct tc__inject_dir *d, const struct tc_seq_ref *r, uint32_t *out);

/* tcpdump flag notation ("R.", "S", "FP.") into TC_TCP_* bits: each mark
 * at most once and in tcpdump's order (F S R P . U E W), so that what a
 * case writes is what `expect wire` and the timeline print. 0 or -EINVAL. */
int tc__inject_flags_parse(const char *s, uint8_t *bits);

/* The segment an inject step sends into the connection from -> to: seq
 * and ack resolved (ack 0 without the ACK flag), the window given or the
 * sender's latest, a timestamp option when the connection uses them and
 * the step did not say ts=none. 0, or a negative errno with "inject: ..."
 * in err. */
int tc__inject_ref_segment(const struct tc__inject_ref *ref, const struct tc_inject_step *step,
                           const struct tc_addr *from, const struct tc_addr *to,
                           struct tc__inject_seg *out, tc_err *err);

#endif
