/* trace_none.c - the transitions observer of builds without the Linux
 * observers (TCPCLOSE_LINUX_OBSERVERS=OFF, the default off Linux): the
 * contract of tcpclose/trace.h with nothing to trace.
 *
 * tc_trace_open() fails with the one-line reason the runner records for
 * skipped transition checks; the other functions accept what such an open
 * leaves (no trace) so that callers need no #ifdef.
 */
#include <errno.h>
#include <stddef.h>

#include "tcpclose/trace.h"

int tc_trace_open(uint16_t port, tc_trace **out, tc_err *err) {
  (void)port;
  *out = NULL;
  return tc_errf(err, -ENOTSUP, "transitions: not in this build (TCPCLOSE_LINUX_OBSERVERS=OFF)");
}

int tc_trace_poll(tc_trace *t, tc_err *err) {
  (void)t;
  (void)err;
  return 0;
}

const struct tc_trace_event *tc_trace_events(const tc_trace *t, size_t *n) {
  (void)t;
  *n = 0;
  return NULL;
}

void tc_trace_counts(const tc_trace *t, unsigned long *read, unsigned long *lost) {
  (void)t;
  *read = *lost = 0;
}

void tc_trace_close(tc_trace *t) { (void)t; }

/* No instance can have been made by this build. */
int tc_trace_reap_stale(void) { return 0; }
