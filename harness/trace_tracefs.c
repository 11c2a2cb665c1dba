/* trace_tracefs.c - the transitions observer on Linux: one case's view of
 * the process's shared tracefs instance (contract in tcpclose/trace.h).
 *
 * The instance and the reading of its buffers are trace_hub.c's; what a
 * record means is trace_event.c's. This file keeps a trace's events: it
 * takes what the hub handed it, orders it, keeps the trace's own (its port,
 * or the destroy of one of its sockets) and completes their tuples.
 * One thread at a time per trace (see tcpclose/trace.h for which).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "tcpclose/trace.h"
#include "trace_event.h"
#include "trace_hub.h"

struct tc_trace {
  struct tc__trace_sub sub; /* joined to the hub while open */
  struct tc__trace_box got; /* the last batch taken from the hub */
  struct tc_trace_event *ev;
  size_t n, cap;
  unsigned long total_read, total_lost; /* over the trace's life */
};

int tc_trace_open(uint16_t port, tc_trace **out, tc_err *err) {
  *out = NULL;
  if (port == 0) return tc_errf(err, -EINVAL, "transitions: no port to trace");
  struct tc_trace *t = calloc(1, sizeof *t);
  if (t == NULL) return tc_errf(err, -ENOMEM, "transitions: out of memory");
  t->sub.port = port;
  int rc = tc__hub_join(&t->sub, err);
  if (rc < 0) {
    free(t);
    return rc;
  }
  *out = t;
  return 0;
}

/* ---- reading ---- */

/* Appends the batch, then drops the new events of other connections, in
 * time order so that a destroy can be matched to its socket's earlier
 * events. */
static int take(struct tc_trace *t, const struct tc__trace_box *b) {
  size_t first = t->n;
  if (b->n == 0) return 0;
  if (tc__grow(&t->ev, &t->cap, t->n + b->n, 64, sizeof *t->ev) < 0) return -ENOMEM;
  memcpy(t->ev + t->n, b->ev, b->n * sizeof *b->ev);
  t->n += b->n;
  tc__trace_order(t->ev, t->n, first);
  size_t kept = first;
  for (size_t i = first; i < t->n; i++)
    if (tc__trace_wanted(t->ev, kept, &t->ev[i], t->sub.port)) t->ev[kept++] = t->ev[i];
  t->n = kept;
  tc__trace_fill_tuples(t->ev, t->n, first);
  return 0;
}

int tc_trace_poll(tc_trace *t, tc_err *err) {
  if (t == NULL) return 0;
  t->got.n = 0;
  int rc = tc__hub_poll(&t->sub, &t->got, err);
  const struct tc__trace_box *b = &t->got;
  t->total_read += b->records;
  t->total_lost += (unsigned long)b->missed;
  if (take(t, b) < 0) return tc_errf(err, -ENOMEM, "transitions: out of memory");
  if (rc < 0) return rc;
  if (b->failed != 0) {
    if (err != NULL) *err = b->why;
    return b->failed;
  }
  if (b->missed > 0)
    return tc_errf(err, -ENOBUFS,
                   "transitions: the kernel dropped %lld events (the %d KiB per-CPU buffer of %s "
                   "was full): transitions are missing",
                   b->missed, tc__hub_buffer_kb(), tc__hub_name());
  return 0;
}

const struct tc_trace_event *tc_trace_events(const tc_trace *t, size_t *n) {
  *n = t != NULL ? t->n : 0;
  return t != NULL ? t->ev : NULL;
}

void tc_trace_counts(const tc_trace *t, unsigned long *read, unsigned long *lost) {
  *read = t != NULL ? t->total_read : 0;
  *lost = t != NULL ? t->total_lost : 0;
}

void tc_trace_close(tc_trace *t) {
  if (t == NULL) return;
  tc__hub_leave(&t->sub);
  free(t->got.ev);
  free(t->ev);
  free(t);
}

int tc_trace_reap_stale(void) { return tc__hub_reap_stale(); }
