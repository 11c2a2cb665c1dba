/* observe_diag.c - snapshot observer over NETLINK_SOCK_DIAG (Linux), the
 * default where the kernel has sock_diag (CONFIG_INET_DIAG).
 *
 * Contract (observe_backend.h): one snapshot answers every query, both
 * families. Per family, one sendmsg() carries an exact 4-tuple lookup for
 * each connection query (in batches of 32) and one LISTEN dump restricted
 * by bytecode for all the listener queries (observe_diag_msg.h); answers are
 * matched to queries by sequence number: one sendmsg() per batch and a
 * recv() per answer, whatever else the host holds.
 * Neither kind of request walks the host's connections, so a snapshot costs
 * the same with 20 sockets or 20,000, unlike /proc/net/tcp or `ss`.
 * Answers are filtered with tc__query_matches() like procfs's lines, so
 * both observers agree (LISTEN sendq aside: see tc__diag_decode()).
 * The netlink socket, opened once by open(), sees the network namespace
 * the calling thread was in then, wherever that thread is at snapshot
 * time: the runner opens its observer inside the case's namespace.
 * Blind spot shared with the kernel's own lookup: a socket bound to a
 * device (SO_BINDTODEVICE) is not found by an exact lookup with no device;
 * tcpclose's peers never bind one. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "observe_diag_msg.h"
#include "observe_backend.h"
#include "tcpclose/case.h"
#include "tcpclose/tcpstate.h"

/* Replies of one sendmsg() wait in the socket's receive buffer until read;
 * a batch of this many exact lookups stays well inside the default netlink
 * rcvbuf, so the kernel never drops one for lack of room. */
#define BATCH 32
#define EXACT_LEN 72    /* nlmsghdr + inet_diag_req_v2 */
#define DUMP_ROOM 8192  /* a listener dump: about 200 listener queries */
#define RECV_SIZE 32768 /* the largest dump skb the kernel builds */
#define RECV_TIMEOUT_MS                                                                            \
  2000 /* the kernel answers at once: this only turns
                                 a bookkeeping bug into an error, not a hang */

struct diag {
  struct mnl_socket *nl;
  uint32_t seq;
  uint8_t req[BATCH * EXACT_LEN + DUMP_ROOM];
  uint8_t rbuf[RECV_SIZE];
};

/* One sendmsg() of one family in flight. Query q[i] was asked with
 * sequence number base + i, the family's listener dump with base + n + 0
 * (AF_INET) or + 1 (AF_INET6); earlier snapshots' numbers are ignored. */
struct batch {
  const struct tc_query *q;
  size_t n;
  struct tc_sock *out;
  int family;
  uint32_t base;
  size_t pending; /* answers still expected */
};

static uint32_t dump_seq(const struct batch *b) {
  return b->base + (uint32_t)b->n + (b->family == AF_INET6);
}

static int open_socket(struct diag *d, tc_err *err) {
  d->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
  if (d->nl == NULL)
    return tc_errf(err, -errno, "observer diag: no NETLINK_SOCK_DIAG socket: %s", strerror(errno));
  struct timeval tv = {.tv_sec = RECV_TIMEOUT_MS / 1000, .tv_usec = RECV_TIMEOUT_MS % 1000 * 1000};
  int one = 1;
  if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
      setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
    int e = errno;
    mnl_socket_close(d->nl);
    d->nl = NULL;
    return tc_errf(err, -e, "observer diag: netlink socket: %s", strerror(e));
  }
  /* Error answers then quote only the request's header, not all of it. */
  (void)mnl_socket_setsockopt(d->nl, NETLINK_CAP_ACK, &one, sizeof one);
  return 0;
}

/* After a failed snapshot, answers may still be queued and a dump may be
 * unfinished (the next dump would get EBUSY): read them all and drop them.
 * Reading is what makes the kernel produce the rest of a dump, so this
 * ends. The socket is never reopened instead: it belongs to the network
 * namespace the observer was opened in, which the caller may have left. */
static void drain(struct diag *d) {
  for (int i = 0; i < 10000; i++)
    if (recv(mnl_socket_get_fd(d->nl), d->rbuf, sizeof d->rbuf, MSG_DONTWAIT) < 0 && errno != EINTR)
      return;
}

static int send_all(struct diag *d, size_t len, tc_err *err) {
  ssize_t w = mnl_socket_sendto(d->nl, d->req, len);
  if (w < 0) return tc_errf(err, -errno, "observer diag: send: %s", strerror(errno));
  if ((size_t)w != len) return tc_errf(err, -EIO, "observer diag: sent %zd of %zu bytes", w, len);
  return 0;
}

static int lookup_failed(const struct batch *b, size_t i, int e, tc_err *err) {
  char l[TC_ADDR_STRLEN], r[TC_ADDR_STRLEN];
  tc_addr_format(&b->q[i].tuple.local, l, sizeof l);
  tc_addr_format(&b->q[i].tuple.remote, r, sizeof r);
  return tc_errf(err, e, "observer diag: lookup of %s -> %s: %s", l, r, strerror(-e));
}

/* An NLMSG_ERROR: to an exact lookup, -ENOENT means "no such socket". */
static int take_error(struct batch *b, const struct nlmsghdr *nlh, size_t i, tc_err *err) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr))
    return tc_errf(err, -EPROTO, "observer diag: truncated error answer");
  int e = ((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
  if (e == 0) return 0; /* an ack; none was asked */
  b->pending--;
  if (i < b->n && e == -ENOENT) return 0;
  if (i < b->n) return lookup_failed(b, i, e, err);
  return tc_errf(err, e, "observer diag: listener dump refused: %s", strerror(-e));
}

/* NLMSG_DONE of the dump carries the dump's own status. */
static int take_done(struct batch *b, const struct nlmsghdr *nlh, tc_err *err) {
  b->pending--;
  int e = 0;
  if (mnl_nlmsg_get_payload_len(nlh) >= sizeof e) memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof e);
  if (e < 0) return tc_errf(err, e, "observer diag: listener dump failed: %s", strerror(-e));
  return 0;
}

/* A socket: the answer to lookup i, or one listener of the dump. */
static int take_socket(struct batch *b, const struct nlmsghdr *nlh, size_t i, tc_err *err) {
  struct tc_sock s;
  if (tc__diag_decode(nlh, nlh->nlmsg_len, &s) < 0)
    return tc_errf(err, -EPROTO, "observer diag: malformed socket answer (%u bytes)",
                   nlh->nlmsg_len);
  if (i < b->n) {
    b->pending--;
    if (tc__query_matches(&b->q[i], &s)) b->out[i] = s;
    return 0;
  }
  for (size_t j = 0; j < b->n; j++)
    if (b->q[j].listener && tc__query_matches(&b->q[j], &s)) b->out[j] = s;
  return 0;
}

static int take_answer(struct batch *b, const struct nlmsghdr *nlh, tc_err *err) {
  size_t i = nlh->nlmsg_seq - b->base; /* unsigned: stale numbers land far off */
  if (i >= b->n && nlh->nlmsg_seq != dump_seq(b)) return 0;
  switch (nlh->nlmsg_type) {
  case NLMSG_ERROR: return take_error(b, nlh, i, err);
  case NLMSG_DONE: return i < b->n ? 0 : take_done(b, nlh, err);
  case SOCK_DIAG_BY_FAMILY: return take_socket(b, nlh, i, err);
  default: return 0;
  }
}

static int collect(struct diag *d, struct batch *b, tc_err *err) {
  while (b->pending > 0) {
    ssize_t r = mnl_socket_recvfrom(d->nl, d->rbuf, sizeof d->rbuf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return tc_errf(err, -ETIMEDOUT, "observer diag: %zu answers missing after %d ms", b->pending,
                     RECV_TIMEOUT_MS);
    if (r < 0) return tc_errf(err, -errno, "observer diag: receive: %s", strerror(errno));
    int len = (int)r;
    for (const struct nlmsghdr *nlh = (const void *)d->rbuf; tc__diag_msg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      int rc = take_answer(b, nlh, err);
      if (rc < 0) return rc;
    }
  }
  return 0;
}

static int is_conn_of(const struct tc_query *q, int family) {
  return !q->listener && q->tuple.local.family == family && q->tuple.remote.family == family;
}

static int wants_listeners(const struct batch *b) {
  for (size_t i = 0; i < b->n; i++)
    if (b->q[i].listener && b->q[i].tuple.local.family == b->family) return 1;
  return 0;
}

/* Writes up to BATCH lookups from *next on, plus the listener dump when
 * dump is set; returns the bytes written and counts the answers due. */
static int fill_batch(struct diag *d, struct batch *b, size_t *next, int dump, tc_err *err) {
  size_t len = 0, asked = 0;
  for (; *next < b->n && asked < BATCH; ++*next) {
    if (!is_conn_of(&b->q[*next], b->family)) continue;
    int w = tc__diag_put_exact(d->req + len, sizeof d->req - len, &b->q[*next],
                               b->base + (uint32_t)*next);
    if (w < 0) return tc_errf(err, w, "observer diag: cannot build a lookup: %s", strerror(-w));
    len += (size_t)w, asked++;
  }
  if (dump) {
    int w = tc__diag_put_listen_dump(d->req + len, sizeof d->req - len, b->family, b->q, b->n,
                                     dump_seq(b));
    if (w < 0)
      return tc_errf(err, w, "observer diag: cannot build the listener dump: %s", strerror(-w));
    len += (size_t)w, asked++;
  }
  b->pending = asked;
  return (int)len;
}

/* All of one family's queries: the dump rides with the first batch. */
static int ask_family(struct diag *d, struct batch *b, tc_err *err) {
  int dump = wants_listeners(b);
  size_t next = 0;
  while (next < b->n || dump) {
    int len = fill_batch(d, b, &next, dump, err);
    if (len < 0) return len;
    dump = 0;
    if (len == 0) continue;
    int rc = send_all(d, (size_t)len, err);
    if (rc == 0) rc = collect(d, b, err);
    if (rc < 0) return rc;
  }
  return 0;
}

static int diag_snapshot(void *state, const struct tc_query *q, size_t n, struct tc_sock *out,
                         tc_err *err) {
  struct diag *d = state;
  struct batch b = {.q = q, .n = n, .out = out, .base = d->seq};
  d->seq += (uint32_t)n + 2;
  static const int families[] = {AF_INET, AF_INET6};
  for (size_t f = 0; f < 2; f++) {
    b.family = families[f];
    int rc = ask_family(d, &b, err);
    if (rc < 0) {
      drain(d);
      return rc;
    }
  }
  return 0;
}

/* A listener dump for port 0, which no listener has: it proves that this
 * kernel answers TCP sock_diag requests and accepts our bytecode, so a
 * kernel without it falls back to procfs at open, not at a checkpoint. */
static int probe(struct diag *d, tc_err *err) {
  struct tc_query q = {.listener = 1};
  struct tc_sock s;
  if (tc_addr_parse("0.0.0.0", 0, &q.tuple.local) < 0)
    return tc_errf(err, -EINVAL, "observer diag: bad probe address");
  memset(&s, 0, sizeof s);
  return diag_snapshot(d, &q, 1, &s, err);
}

static int diag_open(void **state, tc_err *err) {
  struct diag *d = calloc(1, sizeof *d);
  if (d == NULL) return tc_errf(err, -ENOMEM, "observer diag: out of memory");
  int rc = open_socket(d, err);
  if (rc == 0) rc = probe(d, err);
  if (rc < 0) {
    if (d->nl != NULL) mnl_socket_close(d->nl);
    free(d);
    return rc;
  }
  *state = d;
  return 0;
}

static void diag_close(void *state) {
  struct diag *d = state;
  if (d == NULL) return;
  mnl_socket_close(d->nl);
  free(d);
}

/* One answer of a count's dump: a socket counted, or its end. */
static int take_counted(const struct nlmsghdr *nlh, const struct tc_count_query *q,
                        struct tc_counts *counts, int *done, tc_err *err) {
  struct tc_sock s;
  if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
    int e = 0;
    if (mnl_nlmsg_get_payload_len(nlh) >= sizeof e)
      memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof e);
    *done = 1;
    if (e < 0) return tc_errf(err, e, "observer diag: count dump failed: %s", strerror(-e));
    return 0;
  }
  if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY) return 0;
  if (tc__diag_decode_brief(nlh, nlh->nlmsg_len, &s) < 0)
    return tc_errf(err, -EPROTO, "observer diag: malformed socket answer (%u bytes)",
                   nlh->nlmsg_len);
  if (tc__count_matches(q, &s)) tc__count_add(counts, &s);
  return 0;
}

/* One dump, filtered by port in the kernel: the host's other sockets never
 * reach this process. */
static int diag_count(void *state, const struct tc_count_query *q, struct tc_counts *counts,
                      tc_err *err) {
  struct diag *d = state;
  uint32_t seq = d->seq++;
  int len = tc__diag_put_port_dump(d->req, sizeof d->req, q->server.family, q->server.port,
                                   q->role == TC_CLIENT, seq);
  if (len < 0)
    return tc_errf(err, len, "observer diag: cannot build the count dump: %s", strerror(-len));
  int rc = send_all(d, (size_t)len, err), done = 0;
  while (rc == 0 && !done) {
    ssize_t r = mnl_socket_recvfrom(d->nl, d->rbuf, sizeof d->rbuf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      rc = tc_errf(err, -errno, "observer diag: count dump: %s", strerror(errno));
      break;
    }
    int left = (int)r;
    for (const struct nlmsghdr *nlh = (const void *)d->rbuf; rc == 0 && mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left))
      if (nlh->nlmsg_seq == seq) rc = take_counted(nlh, q, counts, &done, err);
  }
  if (rc < 0) drain(d);
  return rc;
}

const struct tc__observer_backend tc__observer_diag = {
    .count = diag_count,
    .timers = 1,
    .name = "diag",
    .open = diag_open,
    .snapshot = diag_snapshot,
    .close = diag_close,
};
