/* trace.h - every state change of a case's sockets, from kernel tracepoints.
 *
 * Contract: tc_trace_open() creates a private tracefs instance (named
 * "tcpclose-<pid>-<n>"), sets its clock to CLOCK_MONOTONIC ("mono"), and
 * enables sock:inet_sock_set_state, tcp:tcp_send_reset, tcp:tcp_receive_reset
 * and tcp:tcp_destroy_sock, each filtered in the kernel to segments whose
 * source or destination port is `port`. It needs root and a mounted tracefs,
 * and fails with a one-line reason otherwise (the caller skips transition
 * checks and says why). tc_trace_poll() never blocks. tc_trace_close()
 * removes the instance; it must run on every exit path. Because a SIGKILLed
 * runner cannot clean up, tc_trace_reap_stale() removes instances of
 * tcpclose processes that no longer exist; the runner calls it at start.
 * Note the kernel has no event for TIME_WAIT: the full socket goes
 * FIN_WAIT2 (or CLOSING) -> CLOSE and a timewait mini-socket takes over;
 * merging that in is the caller's job (see play_timeline.c).
 * Times are CLOCK_MONOTONIC microseconds (the clock of uv_hrtime()).
 */
#ifndef TCPCLOSE_TRACE_H
#define TCPCLOSE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpclose/error.h"
#include "tcpclose/sock.h"

enum tc_trace_kind {
  TC_TRACE_STATE,      /* sock:inet_sock_set_state */
  TC_TRACE_SEND_RESET, /* tcp:tcp_send_reset */
  TC_TRACE_RECV_RESET, /* tcp:tcp_receive_reset */
  TC_TRACE_DESTROY,    /* tcp:tcp_destroy_sock */
};

struct tc_trace_event {
  int64_t t_us;            /* CLOCK_MONOTONIC, microseconds */
  enum tc_trace_kind kind;
  struct tc_tuple tuple;   /* local = the socket's own saddr:sport */
  int from, to;            /* TC_TRACE_STATE: enum tc_state values */
  char reason[40];         /* tcp_send_reset's reason (kernels >= 6.10), else "" */
};

typedef struct tc_trace tc_trace;

int tc_trace_open(uint16_t port, tc_trace **out, tc_err *err);
int tc_trace_poll(tc_trace *t, tc_err *err);

/* The events so far, in kernel time order. Valid until the next poll/close. */
const struct tc_trace_event *tc_trace_events(const tc_trace *t, size_t *n);

void tc_trace_close(tc_trace *t);

/* Removes tcpclose-<pid>-* instances whose pid is not running. Returns how
 * many it removed, or a negative errno. */
int tc_trace_reap_stale(void);

#endif
