/* netns_hold.h - segments held in the kernel and released on demand, for
 * the namespace holder.
 *
 * Contract: runs in the holder process, in the case's namespace, blocking.
 * tc__hold_add() makes segments with that port (which = "sport" or
 * "dport") and exactly that flags byte go to NFQUEUE queue 0, for both
 * families, through an iptables/ip6tables rule in chain TCPCLOSE_HOLD (see
 * netns_hold.c for why xtables); the queue (netns_queue.h) keeps them.
 * tc__hold_release() delivers them in order, then what that delivery
 * provoked, then removes the rules, and writes "HELD PROVOKED LATE" (the
 * segments each round delivered) into value. tc__hold_fd() is the queue's
 * fd to poll (-1 before the first hold): the holder reads it as segments
 * arrive so that their order is learnt. Errors: a negative errno and one
 * line in why. Internal to netns_holder.c.
 */
#ifndef TCPCLOSE_NETNS_HOLD_H
#define TCPCLOSE_NETNS_HOLD_H

#include <stddef.h>

#include "netns_queue.h"

struct tc__hold {
  struct tc__queue q;
  int chain; /* TCPCLOSE_HOLD exists in both families */
};

int tc__hold_add(struct tc__hold *h, const char *which, unsigned port, unsigned flags, char *why,
                 size_t len);
int tc__hold_release(struct tc__hold *h, char *value, size_t vlen, char *why, size_t len);
int tc__hold_fd(const struct tc__hold *h);
void tc__hold_read(struct tc__hold *h);
void tc__hold_free(struct tc__hold *h);

#endif
