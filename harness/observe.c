/* observe.c - picks and drives a snapshot observer (see tcpclose/observe.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "observe_backend.h"
#include "tcpclose/case.h"
#include "tcpclose/tcpstate.h"

struct tc_observer {
  const struct tc__observer_backend *be;
  void *state;
};

#define backends tc__observer_backends
#define NBACKENDS tc__observer_nbackends

static int open_backend(const struct tc__observer_backend *be, tc_observer **out, tc_err *err) {
  tc_observer *o = calloc(1, sizeof *o);
  if (o == NULL) return tc_errf(err, -ENOMEM, "observer: out of memory");
  int rc = be->open(&o->state, err);
  if (rc < 0) {
    free(o);
    return rc;
  }
  o->be = be;
  *out = o;
  return 0;
}

int tc_observer_open(const char *name, tc_observer **out, tc_err *err) {
  int rc = -ENOENT;
  for (size_t i = 0; i < NBACKENDS; i++) {
    if (name != NULL && strcmp(name, backends[i]->name) != 0) continue;
    rc = open_backend(backends[i], out, err);
    if (rc == 0 || name != NULL) return rc;
  }
  if (name != NULL)
    return tc_errf(err, -ENOENT, "unknown observer '%s' (this build has: %s)", name,
                   tc__observer_names);
  return rc;
}

const char *tc_observer_name(const tc_observer *obs) { return obs->be->name; }

int tc_observer_has_timers(const tc_observer *obs) { return obs->be->timers; }

int tc_observer_snapshot(tc_observer *obs, const struct tc_query *q, size_t n, struct tc_sock *out,
                         tc_err *err) {
  for (size_t i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof out[i]);
    out[i].state = TC_STATE_GONE;
    out[i].tuple = q[i].tuple;
  }
  return obs->be->snapshot(obs->state, q, n, out, err);
}

static int same_counts(const struct tc_counts *a, const struct tc_counts *b) {
  return memcmp(a->state, b->state, sizeof a->state) == 0 && a->retransmitting == b->retransmitting;
}

/* Why twice: an inet_diag dump resumes each part by hash bucket and place
 * in the chain, /proc/net/tcp by line number: neither is a snapshot, and a
 * socket that moves between parts can be missed or read twice. Sockets
 * that hold still read the same twice. (The soak counts that first led
 * here, 193 TIME_WAIT of 200 made, were not the dump's: the kernel held
 * 193, a churn having taken 7 of its 4-tuples again; see peer_churn.c.) */
int tc__count_until_stable(int (*count)(void *, const struct tc_count_query *, struct tc_counts *,
                                        tc_err *),
                           void *state, const struct tc_count_query *q, struct tc_counts *out,
                           tc_err *err) {
  struct tc_counts prev;
  for (unsigned i = 1; i <= TC_COUNT_READINGS; i++) {
    prev = *out;
    memset(out, 0, sizeof *out);
    int rc = count(state, q, out, err);
    out->readings = i;
    if (rc < 0) return rc;
    out->stable = i > 1 && same_counts(&prev, out);
    if (out->stable) break;
  }
  return 0;
}

int tc_observer_count(tc_observer *obs, const struct tc_count_query *q, struct tc_counts *out,
                      tc_err *err) {
  memset(out, 0, sizeof *out);
  if (obs->be->count == NULL)
    return tc_errf(err, -ENOTSUP, "observer %s cannot count sockets", obs->be->name);
  return tc__count_until_stable(obs->be->count, obs->state, q, out, err);
}

void tc_observer_close(tc_observer *obs) {
  if (obs == NULL) return;
  obs->be->close(obs->state);
  free(obs);
}

int tc__query_matches(const struct tc_query *q, const struct tc_sock *s) {
  if (!tc_addr_equal(&q->tuple.local, &s->tuple.local)) return 0;
  if (q->listener) return s->state == TC_STATE_LISTEN;
  return s->state != TC_STATE_LISTEN && tc_addr_equal(&q->tuple.remote, &s->tuple.remote);
}

void tc__count_add(struct tc_counts *c, const struct tc_sock *s) {
  c->state[s->state]++;
  c->retransmitting += s->timer == TC_TIMER_RETRANSMIT;
}

int tc__count_matches(const struct tc_count_query *q, const struct tc_sock *s) {
  if (s->tuple.local.family != q->server.family) return 0;
  if (q->role == TC_SERVER) return s->tuple.local.port == q->server.port;
  return s->state != TC_STATE_LISTEN && s->tuple.remote.port == q->server.port;
}
