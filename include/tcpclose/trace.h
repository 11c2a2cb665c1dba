/* trace.h - every state change of a case's sockets, from kernel tracepoints.
 *
 * Contract: tc_trace_open() follows the TCP sockets whose source or
 * destination port is `port`, through sock:inet_sock_set_state,
 * tcp:tcp_send_reset, tcp:tcp_receive_reset and tcp:tcp_destroy_sock, from
 * the moment it returns. Every trace of a process reads one private tracefs
 * instance, "tcpclose-<pid>-<n>", with clock CLOCK_MONOTONIC ("mono"); the
 * first open makes it and the last close removes it (making and removing
 * instances holds the kernel's tracing locks, so one per run, not one per
 * case). Events are sorted out by port when read, and a socket's destroy
 * after a reset, whose ports are cleared by then, by the socket it ends.
 * It needs root and a mounted tracefs (it never mounts it), and fails with
 * a one-line reason otherwise (the caller skips transition checks and says
 * why). tc_trace_poll() never blocks: it appends what the kernel recorded
 * since the last poll, merged across CPUs in time order (an event still
 * being written on another CPU while a poll reads may come first in the
 * next poll's batch). It reports with -ENOBUFS, after appending what it
 * could read, when the kernel dropped events while the trace was open
 * (whose they were cannot be known, so every open trace is told).
 * tc_trace_close() must run on every exit path. Because a SIGKILLed runner
 * cannot clean up, tc_trace_reap_stale() removes instances of tcpclose
 * processes that no longer exist; the runner calls it at start.
 * Note the kernel has no event for TIME_WAIT: the full socket goes
 * FIN_WAIT2 (or CLOSING) -> CLOSE and a timewait mini-socket takes over;
 * merging that in is the caller's job (see play_timeline.c).
 * Seen on Linux 6.18: CLOSE -> SYN_SENT comes before connect() picks the
 * source port, and a socket reset by SO_LINGER{1,0} is destroyed with its
 * address and peer port cleared; in both the event carries the tuple of
 * the same socket's other events (same `sk`). The child of a listener starts LISTEN ->
 * SYN_RECV. The sender's tcp_send_reset fires once its RST is out, so on
 * loopback the peer's tcp_receive_reset usually comes first. The kernel's
 * TCP_NEW_SYN_RECV (12, a request socket) is reported as SYN_RECV.
 * Times are CLOCK_MONOTONIC microseconds (the clock of uv_hrtime()).
 * A tc_trace owns its events. One thread uses a trace at a time (the runner
 * opens and closes it on libuv's threadpool, where the first open takes a
 * good part of a second, and polls it on its loop thread); different traces
 * may be opened, polled and closed at once from several threads. Builds without the Linux components have trace_none.c:
 * tc_trace_open() fails with -ENOTSUP and one line saying why.
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
  int64_t t_us; /* CLOCK_MONOTONIC, microseconds */
  enum tc_trace_kind kind;
  struct tc_tuple tuple; /* local = the socket's own saddr:sport */
  int from, to;          /* TC_TRACE_STATE: enum tc_state values. SEND_RESET:
                              from = the sender's state (TC_STATE_GONE when no
                              socket owns the segment), to = -1. Others: -1 */
  char reason[40];       /* tcp_send_reset's reason (kernels >= 6.10) as the
                              kernel names it ("TCP_ABORT_ON_CLOSE"), else "" */
  uint64_t sk;           /* the kernel's socket address: the same for every
                              event of one socket while it lives; 0 if none */
};

typedef struct tc_trace tc_trace;

/* 0, or a negative errno + err (then *out is NULL or not set). */
int tc_trace_open(uint16_t port, tc_trace **out, tc_err *err);

/* 0, -ENOBUFS when the kernel dropped events, or another negative errno +
 * err (the buffers could not be read, or a record lacks a field tcpclose
 * needs); what could be read is kept in every case. */
int tc_trace_poll(tc_trace *t, tc_err *err);

/* The events so far, in kernel time order. Valid until the next poll/close. */
const struct tc_trace_event *tc_trace_events(const tc_trace *t, size_t *n);

/* Records read from the kernel so far, and events it said it dropped. */
void tc_trace_counts(const tc_trace *t, unsigned long *read, unsigned long *lost);

void tc_trace_close(tc_trace *t);

/* Removes tcpclose-<pid>-* instances whose pid is not running. Returns how
 * many it removed, or a negative errno. */
int tc_trace_reap_stale(void);

#endif
