/* inject_ref.c - RCV.NXT, window edges and timestamps of one connection,
 * read from its captured segments (see inject_ref.h). */
#include "inject_ref.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7323 2.3: a shift above 14 is taken as 14. */
#define WSCALE_MAX 14
#define REF_OFF_MAX 2147483647L

/* What one direction's segments showed, while reading them. */
struct dir_acc {
  struct tc__inject_dir out;
  uint32_t end; /* after the highest sequence number used */
  int has_ack;  /* the latest segment with ACK: its ack and window */
  uint32_t ack;
  uint16_t ack_win;
  int ack_win_syn; /* that window was a SYN's, never scaled */
  int syn_seen, syn_wscale, syn_ts;
  uint8_t wscale;
};

static int after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static int same_way(const struct tc_segment *s, const struct tc_addr *a, const struct tc_addr *b) {
  return tc_addr_equal(&s->src, a) && tc_addr_equal(&s->dst, b);
}

static int counts(const struct tc_segment *s) {
  return s->ttl != TC_INJECT_TTL && !(s->tcpflags & TC_TCP_RST);
}

static void read_segment(struct dir_acc *d, const struct tc_segment *s) {
  int syn = (s->tcpflags & TC_TCP_SYN) != 0, fin = (s->tcpflags & TC_TCP_FIN) != 0;
  uint32_t end = s->seq_abs + s->len + (uint32_t)syn + (uint32_t)fin;
  if (!d->out.seen || after(end, d->end)) d->end = end;
  d->out.seen = 1;
  if (syn) {
    d->out.isn = s->seq_abs;
    d->out.has_isn = d->syn_seen = 1;
    d->syn_wscale = s->has_wscale;
    d->wscale = s->wscale > WSCALE_MAX ? WSCALE_MAX : s->wscale;
    d->syn_ts = s->has_ts;
  }
  d->out.win = s->win;
  d->out.has_ts = s->has_ts;
  d->out.tsval = s->has_ts ? s->tsval : 0;
  if (s->tcpflags & TC_TCP_ACK) {
    d->has_ack = 1;
    d->ack = s->ack_abs;
    d->ack_win = s->win;
    d->ack_win_syn = syn;
  }
}

/* The receiver's view of the sender: its RCV.NXT and the right edge of
 * the window it advertised. */
static void finish(struct dir_acc *snd, const struct dir_acc *rcv, int scaled) {
  snd->out.nxt = snd->end;
  if (rcv->has_ack && after(rcv->ack, snd->end)) snd->out.nxt = rcv->ack;
  snd->out.has_wnd = rcv->has_ack;
  if (!rcv->has_ack) return;
  unsigned shift = scaled && !rcv->ack_win_syn ? rcv->wscale : 0;
  snd->out.wnd = rcv->ack + ((uint32_t)rcv->ack_win << shift);
}

int tc__inject_ref_compute(const struct tc_segment *segs, size_t n, const struct tc_addr *from,
                           const struct tc_addr *to, struct tc__inject_ref *out, tc_err *err) {
  struct dir_acc fwd = {0}, rev = {0};
  for (size_t i = 0; i < n; i++) {
    const struct tc_segment *s = &segs[i];
    struct dir_acc *d = same_way(s, from, to) ? &fwd : same_way(s, to, from) ? &rev : NULL;
    if (d == NULL || !counts(s)) continue;
    /* a side's second SYN without ACK: a new connection on the 4-tuple (or
     * a retransmitted SYN, which starts the same one again) */
    if ((s->tcpflags & (TC_TCP_SYN | TC_TCP_ACK)) == TC_TCP_SYN && d->syn_seen) {
      memset(&fwd, 0, sizeof fwd);
      memset(&rev, 0, sizeof rev);
    }
    read_segment(d, s);
  }
  memset(out, 0, sizeof *out);
  if (!fwd.out.seen || !rev.out.seen) {
    char a[TC_ADDR_STRLEN], b[TC_ADDR_STRLEN];
    tc_addr_format(!fwd.out.seen ? from : to, a, sizeof a);
    tc_addr_format(!fwd.out.seen ? to : from, b, sizeof b);
    return tc_errf(err, -ENOENT, "inject: the capture shows no segment from %s to %s", a, b);
  }
  int both_syns = fwd.syn_seen && rev.syn_seen;
  finish(&fwd, &rev, both_syns && fwd.syn_wscale && rev.syn_wscale);
  finish(&rev, &fwd, both_syns && fwd.syn_wscale && rev.syn_wscale);
  out->fwd = fwd.out;
  out->rev = rev.out;
  /* RFC 7323 3.2: in use when both SYNs carried it; without the SYNs in
   * the capture, the sender's latest segment tells */
  out->ts = both_syns ? fwd.syn_ts && rev.syn_ts : fwd.out.has_ts;
  out->tsval = fwd.out.tsval;
  out->tsecr = rev.out.tsval;
  return 0;
}

int tc__inject_ref_parse(const char *s, struct tc_seq_ref *out) {
  if (strncmp(s, "nxt", 3) == 0)
    out->base = TC_REF_NXT;
  else if (strncmp(s, "wnd", 3) == 0)
    out->base = TC_REF_WND;
  else
    return -EINVAL;
  out->off = 0;
  s += 3;
  if (*s == '\0') return 0;
  if ((*s != '+' && *s != '-') || s[1] < '0' || s[1] > '9') return -EINVAL;
  char *end;
  errno = 0;
  long v = strtol(s + 1, &end, 10);
  if (errno != 0 || *end != '\0' || v > REF_OFF_MAX) return -EINVAL;
  out->off = *s == '-' ? -v : v;
  return 0;
}

int tc__inject_ref_value(const struct tc__inject_dir *d, const struct tc_seq_ref *r,
                         uint32_t *out) {
  if (r->base == TC_REF_WND && !d->has_wnd) return -ENOENT;
  uint32_t base = r->base == TC_REF_WND ? d->wnd : d->nxt;
  /* unsigned arithmetic wraps modulo 2^32, as sequence numbers do */
  *out = base + (uint32_t)r->off;
  return 0;
}

static const char flag_order[] = "FSRP.UEW";

int tc__inject_flags_parse(const char *s, uint8_t *bits) {
  const char *last = flag_order;
  *bits = 0;
  if (*s == '\0') return -EINVAL;
  for (; *s; s++) {
    const char *at = strchr(last, *s);
    if (at == NULL) return -EINVAL; /* unknown, repeated or out of order */
    *bits |= (uint8_t)(1u << (at - flag_order));
    last = at + 1;
  }
  return 0;
}

static const char *ref_text(const struct tc_seq_ref *r) {
  return r->base == TC_REF_WND ? "wnd" : "nxt";
}

int tc__inject_ref_segment(const struct tc__inject_ref *ref, const struct tc_inject_step *step,
                           const struct tc_addr *from, const struct tc_addr *to,
                           struct tc__inject_seg *out, tc_err *err) {
  memset(out, 0, sizeof *out);
  out->src = *from;
  out->dst = *to;
  out->tcpflags = step->tcpflags;
  out->len = step->len;
  out->win = step->win == TC_INJECT_WIN_LAST ? ref->fwd.win : (uint16_t)step->win;
  if (tc__inject_ref_value(&ref->fwd, &step->seq, &out->seq) < 0)
    return tc_errf(err, -ENOENT, "inject: seq=%s: the receiver has advertised no window yet",
                   ref_text(&step->seq));
  if ((step->tcpflags & TC_TCP_ACK) && tc__inject_ref_value(&ref->rev, &step->ack, &out->ack) < 0)
    return tc_errf(err, -ENOENT, "inject: ack=%s: the sender has advertised no window yet",
                   ref_text(&step->ack));
  out->has_ts = ref->ts && !step->no_ts;
  if (out->has_ts) {
    out->tsval = ref->tsval;
    out->tsecr = ref->tsecr;
  }
  return 0;
}
