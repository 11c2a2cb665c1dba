/* netns_queue.h - segments held in the kernel and released on demand
 * (NFQUEUE through libnetfilter_queue), for the namespace holder.
 *
 * Contract: tc__queue_open() binds queue 0 of the calling process's
 * network namespace; nft rules with `queue num 0` send it segments, which
 * the kernel keeps until a verdict. tc__queue_read() learns the ids of what
 * arrived (never blocks); tc__queue_accept_all() gives each held segment,
 * in arrival order, its accept verdict. Delivery happens inside that call,
 * so what a delivered segment provokes (an ACK) reaches the input hook
 * before the call returns, and is held too while the rules stay.
 * Internal to netns_hold.c.
 */
#ifndef TCPCLOSE_NETNS_QUEUE_H
#define TCPCLOSE_NETNS_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define TC__QUEUE_MAX 256

struct tc__queue {
  struct nfq_handle *h;
  struct nfq_q_handle *qh;
  uint32_t ids[TC__QUEUE_MAX];
  size_t n;
};

int tc__queue_open(struct tc__queue *q, char *why, size_t len);
int tc__queue_fd(const struct tc__queue *q); /* -1 when not open */
void tc__queue_read(struct tc__queue *q);
/* Accepts what is held now; returns how many. */
size_t tc__queue_accept_all(struct tc__queue *q);
void tc__queue_close(struct tc__queue *q);

#endif
