/* trace_hub.h - the one tracefs instance a tcpclose process reads, shared
 * by all of its traces (the transitions observer, tcpclose/trace.h).
 *
 * Contract: a trace joins the hub with its port and leaves it when closed.
 * The first join creates the instance "tcpclose-<pid>-<n>" (clock "mono",
 * the four TCP events of trace.h enabled, inet_sock_set_state filtered in
 * the kernel to TCP); the last leave removes it. Making and removing a
 * tracefs instance takes the kernel's tracing locks for tens of
 * milliseconds, which made every case that started or ended at the same
 * time wait: one instance per process makes that once per run.
 * tc__hub_poll() reads every CPU's buffer without blocking and hands each
 * record, decoded, to every joined trace it may concern: one of whose ports
 * is the trace's, or a socket's destroy with its peer port cleared (as a
 * reset leaves it; the trace decides), recorded after the trace joined. What the kernel dropped
 * and what could not be decoded while a trace was joined is counted
 * against that trace, since the hub cannot know whose it was. Then it moves
 * the poller's own mailbox into *out. Thread-safe (one mutex): the runner
 * joins and leaves on libuv's threadpool and polls on its loop thread.
 */
#ifndef TCPCLOSE_TRACE_HUB_H
#define TCPCLOSE_TRACE_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "tcpclose/error.h"
#include "tcpclose/trace.h"

/* What the hub handed to one trace since its last poll. */
struct tc__trace_box {
  struct tc_trace_event *ev; /* in the order read: per CPU, then CPU by CPU */
  size_t n, cap;
  unsigned long records; /* records handed over (ev plus those not decodable) */
  long long missed;      /* events the kernel dropped meanwhile */
  int failed;            /* the first decode error, with why */
  tc_err why;
};

struct tc__trace_sub {
  uint16_t port;
  int64_t since_us; /* CLOCK_MONOTONIC when it joined */
  struct tc__trace_box box;
};

/* 0, or a negative errno + err (no tracefs, not root, no such event). */
int tc__hub_join(struct tc__trace_sub *s, tc_err *err);

void tc__hub_leave(struct tc__trace_sub *s);

/* Reads the kernel's buffers, then swaps s's box with *out (whose events
 * the caller has taken; n = 0). 0, or a negative errno + err when a buffer
 * could not be read (what was read is handed over all the same). */
int tc__hub_poll(struct tc__trace_sub *s, struct tc__trace_box *out, tc_err *err);

/* The instance's name, for messages ("" when none). */
const char *tc__hub_name(void);

/* Its per-CPU buffer, in KiB. */
int tc__hub_buffer_kb(void);

/* Removes tcpclose-<pid>-* instances whose pid is not running; see trace.h. */
int tc__hub_reap_stale(void);

#endif
