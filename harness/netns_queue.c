/* netns_queue.c - held segments (see netns_queue.h). */
#include "netns_queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Called by nfq_handle_packet for each segment read: remember its id. */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data) {
  struct tc__queue *q = data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  (void)msg;
  if (ph == NULL) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (q->n < TC__QUEUE_MAX)
    q->ids[q->n++] = id;
  else
    nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL); /* no room: let it through */
  return 0;
}

int tc__queue_open(struct tc__queue *q, char *why, size_t len) {
  if (q->h != NULL) return 0;
  if ((q->h = nfq_open()) == NULL) {
    snprintf(why, len, "nfqueue: cannot open: %s", strerror(errno));
    return -errno;
  }
  q->qh = nfq_create_queue(q->h, 0, on_packet, q);
  /* Only the metadata is copied up: the segment stays in the kernel. */
  if (q->qh == NULL || nfq_set_mode(q->qh, NFQNL_COPY_META, 0) < 0) {
    snprintf(why, len, "nfqueue: cannot bind queue 0: %s", strerror(errno));
    tc__queue_close(q);
    return -EINVAL;
  }
  return 0;
}

int tc__queue_fd(const struct tc__queue *q) { return q->h ? nfq_fd(q->h) : -1; }

void tc__queue_read(struct tc__queue *q) {
  char buf[4096] __attribute__((aligned));
  ssize_t n;
  while (q->h != NULL && (n = recv(nfq_fd(q->h), buf, sizeof buf, MSG_DONTWAIT)) > 0)
    nfq_handle_packet(q->h, buf, (int)n);
}

size_t tc__queue_accept_all(struct tc__queue *q) {
  size_t n = q->n;
  q->n = 0;
  for (size_t i = 0; i < n; i++) nfq_set_verdict(q->qh, q->ids[i], NF_ACCEPT, 0, NULL);
  return n;
}

void tc__queue_close(struct tc__queue *q) {
  if (q->qh != NULL) nfq_destroy_queue(q->qh);
  if (q->h != NULL) nfq_close(q->h);
  q->h = NULL;
  q->qh = NULL;
  q->n = 0;
}
