/* peer_churn.c - `churn HOST PORT N C WORDS`: N connections to HOST:PORT,
 * at most C at a time, each playing the words (peer_conn.c); one answer
 * when the last is done: how many completed, how many failed with which
 * errno, how many distinct local ports (so 4-tuples) they took, how long
 * it took (see peer_proto.h). One churn at a time. */
#define _GNU_SOURCE /* SOCK_NONBLOCK where it is not default */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"
#include "peer_conn.h"
#include "peer_proto.h"

struct tc__peer_churn {
  struct tc__peer *p;
  unsigned id;
  struct sockaddr_storage to;
  socklen_t tolen;
  struct tc_conn_script script;
  unsigned long n, started;
  unsigned concurrency, active;
  int pumping;
  uint64_t t0;
  struct tc__churn_result res;
  uint8_t port_seen[65536 / 8]; /* local ports taken so far, a bit each */
};

/* Counts a failure under its errno; past TC__CHURN_MAX_ERRNOS distinct
 * errnos the rest are in `failed` only. */
static void tally(struct tc__churn_result *r, int err) {
  size_t i = 0;
  r->failed++;
  while (i < r->nerrs && r->errs[i].err != err) i++;
  if (i == TC__CHURN_MAX_ERRNOS) return;
  if (i == r->nerrs) r->errs[r->nerrs++].err = err;
  r->errs[i].n++;
  for (; i > 0 && r->errs[i].n > r->errs[i - 1].n; i--) { /* most seen first */
    int e = r->errs[i].err;
    unsigned long k = r->errs[i].n;
    r->errs[i] = r->errs[i - 1];
    r->errs[i - 1].err = e, r->errs[i - 1].n = k;
  }
}

static void pump(struct tc__peer_churn *ch);

static void conn_done(void *data, int err) {
  struct tc__peer_churn *ch = data;
  if (err < 0)
    tally(&ch->res, -err);
  else
    ch->res.ok++;
  ch->active--;
  pump(ch);
}

/* A non-blocking socket, in one call where the system can; fd or -errno. */
static int open_socket(int family) {
#ifdef SOCK_NONBLOCK
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
#else
  int fd = socket(family, SOCK_STREAM, 0), rc = fd < 0 ? -errno : tc__peer_set_blocking(fd, 0);
  if (rc < 0 && fd >= 0) close(fd);
  return rc < 0 ? rc : fd;
#endif
}

/* Why the ports: a connect() to the same server may take a local port an
 * earlier connection of the churn had, its 4-tuple still in TIME_WAIT on
 * the server (Linux reshuffles where it looks for a free port every 10 s:
 * net/core/secure_seq.c, EPHEMERAL_PORT_SHUFFLE_PERIOD); that SYN ends the
 * TIME_WAIT (net/ipv4/tcp_minisocks.c, TCP_TW_SYN). connect() has taken
 * the port by the time it returns, even in progress. */
static void note_port(struct tc__peer_churn *ch, int fd) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) return;
  unsigned port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  uint8_t bit = (uint8_t)(1u << (port % 8));
  if (port == 0 || (ch->port_seen[port / 8] & bit)) return;
  ch->port_seen[port / 8] |= bit;
  ch->res.tuples++;
}

/* One connection: socket, connect, then its script. */
static void start_one(struct tc__peer_churn *ch) {
  int fd = open_socket(ch->to.ss_family), rc = fd < 0 ? fd : 0, connecting = 0;
  ch->started++;
  ch->active++;
  if (rc == 0 && connect(fd, (struct sockaddr *)&ch->to, ch->tolen) < 0) {
    connecting = errno == EINPROGRESS;
    if (!connecting) rc = -errno;
  }
  if (rc == 0) note_port(ch, fd);
  if (rc == 0) rc = tc__conn_start(ch->p->loop, fd, connecting, &ch->script, conn_done, ch);
  if (rc < 0) {
    if (fd >= 0) close(fd);
    conn_done(ch, rc);
  }
}

static void reply(struct tc__peer_churn *ch) {
  char fields[200];
  uint64_t ns = uv_hrtime() - ch->t0;
  ch->res.us = ns / 1000;
  ch->res.rate = ns ? (double)(ch->res.ok + ch->res.failed) * 1e9 / (double)ns : 0;
  if (tc__proto_churn_format(&ch->res, fields, sizeof fields) < 0) fields[0] = '\0';
  tc__peer_reply(ch->p, ch->id, 0, "%s", fields);
  ch->p->churn = NULL;
  tc__proto_conn_script_free(&ch->script);
  free(ch);
}

/* Starts connections up to the concurrency; a connection that completes
 * at once calls back in here, which only counts it (no recursion as deep
 * as N): the loop below starts the next. */
static void pump(struct tc__peer_churn *ch) {
  if (ch->pumping) return;
  ch->pumping = 1;
  while (ch->active < ch->concurrency && ch->started < ch->n) start_one(ch);
  ch->pumping = 0;
  if (ch->active == 0 && ch->started == ch->n) reply(ch);
}

static int parse_args(struct tc__peer_churn *ch, const char *args) {
  char host[64];
  unsigned port;
  int used = 0;
  if (sscanf(args, "%63s %u %lu %u%n", host, &port, &ch->n, &ch->concurrency, &used) != 4 ||
      ch->n == 0 || ch->concurrency == 0)
    return -EINVAL;
  int rc = tc__peer_sockaddr(host, port, &ch->to, &ch->tolen);
  return rc < 0 ? rc : tc__proto_conn_script_parse(args + used, &ch->script);
}

void tc__peer_churn(struct tc__peer *p, unsigned id, const char *args) {
  /* Many connections at full speed: what matters is their count, not how
   * soon one reacts, and a peer that goes first (peer.c) would take the
   * CPU from the runner's timers for as long as it churns. */
  setpriority(PRIO_PROCESS, 0, 0);
  struct tc__peer_churn *ch = p->churn ? NULL : calloc(1, sizeof *ch);
  if (ch == NULL) {
    tc__peer_reply(p, id, p->churn ? EALREADY : ENOMEM, "");
    return;
  }
  int rc = parse_args(ch, args);
  if (rc < 0) {
    tc__peer_reply(p, id, -rc, "");
    free(ch);
    return;
  }
  tc__conn_raise_nofile();
  ch->p = p;
  ch->id = id;
  ch->t0 = uv_hrtime();
  p->churn = ch;
  pump(ch);
}
