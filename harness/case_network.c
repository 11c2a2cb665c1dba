/* case_network.c - statements that shape the case's network rather than
 * act on a socket:
 *   family ipv4|ipv6                   the address family of the case
 *   sysctl NAME=VALUE                  a net.* setting, in the case's namespace
 *   drop DIR FLAGS [count=N|all]       drop segments from that step on
 *   hold DIR FLAGS                     keep such segments from that step on
 *   release                            deliver what is held, in the order held
 *   inject DIR FLAGS [seq=REF] [ack=REF] [len=N] [win=N] [ts=none]
 *                                      one crafted segment into the connection
 * These only ever apply inside a network namespace of the case's own, so
 * a case that has them needs one (needs_netns); inject also needs the wire
 * capture, which its numbers come from (needs_wire). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "case_parse.h"
#include "inject_ref.h"

static int parse_family(struct tc__parser *p) {
  const char *f = p->lx.ntok >= 2 ? p->lx.tok[1].s : "";
  if (p->c->nsteps > 0) return tc__perr(p, "'family' must come before the first step");
  if (strcmp(f, "ipv4") == 0)
    p->c->family = AF_INET;
  else if (strcmp(f, "ipv6") == 0)
    p->c->family = AF_INET6;
  else
    return tc__perr(p, "family must be ipv4 or ipv6%s%s%s", *f ? " (not '" : "", f, *f ? "')" : "");
  return tc__no_more(p, 2, "the family");
}

/* Only net.* settings: those are the ones a network namespace keeps to
 * itself, so nothing outside the case can change. */
static int parse_sysctl(struct tc__parser *p) {
  const char *t = p->lx.ntok >= 2 ? p->lx.tok[1].s : "", *eq = strchr(t, '=');
  if (eq == NULL || eq == t || eq[1] == '\0')
    return tc__perr(p, "sysctl needs NAME=VALUE (e.g. sysctl net.ipv4.tcp_fin_timeout=2)");
  size_t n = (size_t)(eq - t);
  if (strncmp(t, "net.", 4) != 0 || strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
    return tc__perr(
        p, "sysctl '%.*s': only net.* settings can be set (a namespace keeps those to itself)",
        (int)n, t);
  struct tc_step *st = tc__new_step(p, TC_STEP_SYSCTL);
  if (st == NULL) return -ENOMEM;
  if (n >= sizeof st->u.sysctl.name || strlen(eq + 1) >= sizeof st->u.sysctl.value)
    return tc__perr(p, "sysctl '%s' is too long", t);
  snprintf(st->u.sysctl.name, sizeof st->u.sysctl.name, "%.*s", (int)n, t);
  /* a value of several words (ip_local_port_range) is the rest of the line */
  size_t off = (size_t)snprintf(st->u.sysctl.value, sizeof st->u.sysctl.value, "%s", eq + 1);
  for (size_t i = 2; i < p->lx.ntok && off < sizeof st->u.sysctl.value; i++)
    off += (size_t)snprintf(st->u.sysctl.value + off, sizeof st->u.sysctl.value - off, " %s",
                            p->lx.tok[i].s);
  p->c->needs_netns = 1;
  return 0;
}

static int parse_drop_count(struct tc__parser *p, const char *t, unsigned *count) {
  long n;
  if (strcmp(t, "all") == 0 || strcmp(t, "count=all") == 0)
    *count = TC_DROP_ALL;
  else if (strncmp(t, "count=", 6) == 0 && tc__parse_count(t + 6, 1000, &n) == 0 && n > 0)
    *count = (unsigned)n;
  else
    return tc__perr(p, "drop count must be count=N (1 to 1000) or count=all, not '%s'", t);
  return 0;
}

/* "DIR FLAGS" of drop and hold: which segments, by sender and flags. */
static int parse_segments(struct tc__parser *p, const char *kw, struct tc_drop_step *d) {
  if (p->lx.ntok < 3) return tc__perr(p, "%s needs a direction and flags (e.g. %s s>c F.)", kw, kw);
  const char *dir = p->lx.tok[1].s, *fl = p->lx.tok[2].s;
  if (strcmp(dir, "c>s") == 0)
    d->from = TC_CLIENT;
  else if (strcmp(dir, "s>c") == 0)
    d->from = TC_SERVER;
  else
    return tc__perr(p, "unknown direction '%s' (expected c>s or s>c)", dir);
  if (strlen(fl) >= sizeof d->flags || strspn(fl, "FSRPU.") != strlen(fl))
    return tc__perr(p, "bad flags '%s' (tcpdump notation: F. S. R R. P. . FP.)", fl);
  snprintf(d->flags, sizeof d->flags, "%s", fl);
  if (!p->role[TC_SERVER].listen_line)
    return tc__perr(p, "%s before server listen: the case has no port yet", kw);
  return 0;
}

static int add_segment_step(struct tc__parser *p, enum tc_step_kind kind,
                            const struct tc_drop_step *d) {
  struct tc_step *st = tc__new_step(p, kind);
  if (st == NULL) return -ENOMEM;
  if (d != NULL) st->u.drop = *d;
  p->c->needs_netns = 1;
  return 0;
}

/* count=N|all, and at=input (the default: at the receiver's input hook,
 * after the wire, so a retransmission timer sees a real loss) or
 * at=output (as they leave the sender: the wire never shows them). */
static int parse_drop_option(struct tc__parser *p, const char *t, struct tc_drop_step *d) {
  if (strncmp(t, "at=", 3) != 0) return parse_drop_count(p, t, &d->count);
  if (strcmp(t + 3, "input") != 0 && strcmp(t + 3, "output") != 0)
    return tc__perr(p, "drop at= must be input or output, not '%s'", t + 3);
  d->at_output = strcmp(t + 3, "output") == 0;
  return 0;
}

static int parse_drop(struct tc__parser *p) {
  struct tc_drop_step d = {.count = TC_DROP_ALL};
  int rc = parse_segments(p, "drop", &d);
  for (size_t i = 3; rc == 0 && i < p->lx.ntok && i < 5; i++)
    rc = parse_drop_option(p, p->lx.tok[i].s, &d);
  if (rc < 0 || (rc = tc__no_more(p, 5, "the count and at=")) < 0) return rc;
  return add_segment_step(p, TC_STEP_DROP, &d);
}

/* hold DIR FLAGS / release: segments kept in the kernel (NFQUEUE) and
 * delivered together, for orders loopback never gives by itself (FINs
 * that cross). */
static int parse_hold(struct tc__parser *p) {
  struct tc_drop_step d = {.count = TC_DROP_ALL};
  int rc = parse_segments(p, "hold", &d);
  if (rc < 0 || (rc = tc__no_more(p, 3, "the flags")) < 0) return rc;
  p->holding = 1;
  return add_segment_step(p, TC_STEP_HOLD, &d);
}

static int parse_release(struct tc__parser *p) {
  int rc = tc__no_more(p, 1, "release");
  if (rc < 0) return rc;
  if (!p->holding) return tc__perr(p, "release with nothing held (no hold before it)");
  p->holding = 0;
  return add_segment_step(p, TC_STEP_RELEASE, NULL);
}

/* ---- inject ---- */

#define REF_FORMS "nxt, nxt+N, nxt-N, wnd, wnd+N or wnd-N"

static int parse_inject_ref(struct tc__parser *p, const char *key, const char *v,
                            struct tc_seq_ref *ref) {
  if (tc__inject_ref_parse(v, ref) == 0) return 0;
  return tc__perr(p, "bad %s reference '%s' (expected " REF_FORMS ", N below 2^31)", key, v);
}

static int parse_inject_number(struct tc__parser *p, const char *key, const char *v, long max,
                               long *out) {
  if (tc__parse_count(v, max, out) == 0) return 0;
  return tc__perr(p, "%s must be a number from 0 to %ld, not '%s'", key, max, v);
}

/* One KEY=VALUE option; *seen has a bit per key, so each is given once. */
static int parse_inject_option(struct tc__parser *p, const char *t, struct tc_inject_step *in,
                               unsigned *seen) {
  static const char *const keys[] = {"seq=", "ack=", "len=", "win=", "ts="};
  size_t k = 0;
  while (k < 5 && strncmp(t, keys[k], strlen(keys[k])) != 0) k++;
  if (k == 5)
    return tc__perr(p, "unknown inject option '%s' (expected seq=, ack=, len=, win= or ts=none)",
                    t);
  if (*seen & (1u << k)) return tc__perr(p, "'%s' given twice", keys[k]);
  *seen |= 1u << k;
  const char *v = t + strlen(keys[k]);
  long n = 0;
  int rc = 0;
  switch (k) {
  case 0: return parse_inject_ref(p, "seq=", v, &in->seq);
  case 1: return parse_inject_ref(p, "ack=", v, &in->ack);
  case 2:
    rc = parse_inject_number(p, "len=", v, TC_INJECT_LEN_MAX, &n);
    in->len = (unsigned)n;
    return rc;
  case 3: return parse_inject_number(p, "win=", v, 65535, &in->win);
  default:
    if (strcmp(v, "none") != 0) return tc__perr(p, "ts= can only be ts=none, not '%s'", t);
    in->no_ts = 1;
    return 0;
  }
}

static int parse_inject_head(struct tc__parser *p, struct tc_inject_step *in) {
  if (p->lx.ntok < 3) return tc__perr(p, "inject needs a direction and flags (e.g. inject c>s R.)");
  const char *dir = p->lx.tok[1].s, *fl = p->lx.tok[2].s;
  if (strcmp(dir, "c>s") == 0)
    in->from = TC_CLIENT;
  else if (strcmp(dir, "s>c") == 0)
    in->from = TC_SERVER;
  else
    return tc__perr(p, "unknown direction '%s' (expected c>s or s>c)", dir);
  if (strlen(fl) >= sizeof in->flags || tc__inject_flags_parse(fl, &in->tcpflags) < 0)
    return tc__perr(p, "bad flags '%s' (tcpdump notation in its order: R R. S F. . P. FP.)", fl);
  snprintf(in->flags, sizeof in->flags, "%s", fl);
  if (p->role[TC_CLIENT].nconns == 0)
    return tc__perr(p, "inject before client connect: there is no connection to inject into");
  return 0;
}

/* inject DIR FLAGS [seq=REF] [ack=REF] [len=N] [win=N] [ts=none] */
static int parse_inject(struct tc__parser *p) {
  struct tc_inject_step in = {.win = TC_INJECT_WIN_LAST};
  unsigned seen = 0;
  int rc = parse_inject_head(p, &in);
  for (size_t i = 3; rc == 0 && i < p->lx.ntok; i++)
    rc = parse_inject_option(p, p->lx.tok[i].s, &in, &seen);
  if (rc < 0) return rc;
  if ((seen & 2u) && !(in.tcpflags & TC_TCP_ACK))
    return tc__perr(p, "ack= needs the ACK flag: '%s' has no '.'", in.flags);
  struct tc_step *st = tc__new_step(p, TC_STEP_INJECT);
  if (st == NULL) return -ENOMEM;
  st->u.inject = in;
  p->c->needs_netns = 1;
  p->c->needs_wire = 1;
  return 0;
}

int tc__parse_network(struct tc__parser *p) {
  const char *kw = p->lx.tok[0].s;
  if (strcmp(kw, "family") == 0) return parse_family(p);
  if (strcmp(kw, "sysctl") == 0) return parse_sysctl(p);
  if (strcmp(kw, "hold") == 0) return parse_hold(p);
  if (strcmp(kw, "release") == 0) return parse_release(p);
  if (strcmp(kw, "inject") == 0) return parse_inject(p);
  return parse_drop(p);
}
