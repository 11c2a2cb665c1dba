/* trace_event.h - what one tracepoint record says, as a tc_trace_event,
 * and how a trace's list of them is kept.
 *
 * Contract: pure functions, no tracefs and no I/O, so that tests can feed
 * them records saved from a real kernel. A record is read through
 * libtraceevent: `ev` is the event's format as parsed from the kernel's
 * format file (so field offsets, sizes and the byte order are the kernel's,
 * never assumed here), `rec` one raw record of it. Decoding returns 0, or
 * -ENOENT for a record that is not a TCP event tcpclose traces (another
 * event, an SCTP or MPTCP socket), or -EPROTO with one line in err when the
 * kernel's format lacks a field tcpclose needs.
 * The list helpers work on the events of one trace, oldest first; the new
 * ones of a poll are ev[first..n). No state of its own (any thread); used by
 * trace_tracefs.c, on the thread that polls the trace.
 */
#ifndef TCPCLOSE_TRACE_EVENT_H
#define TCPCLOSE_TRACE_EVENT_H

#include <event-parse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpclose/error.h"
#include "tcpclose/trace.h"

/* The kind for an event ("sock" "inet_sock_set_state"), or -1. */
int tc__trace_kind(const struct tep_event *ev);

/* Fills *out from one record of ev (see the contract for the codes). */
int tc__trace_decode(struct tep_event *ev, struct tep_record *rec, struct tc_trace_event *out,
                     tc_err *err);

/* enum tc_state for a kernel TCP_* state: TCP_NEW_SYN_RECV (a request
 * socket) becomes SYN_RECV, 0 (tcp_send_reset's "no socket") GONE; -1 for
 * a number Linux does not define. */
int tc__trace_state(unsigned long long kstate);

/* A struct sockaddr_in or sockaddr_in6 as the kernel copied it into an
 * event (sin_family in the kernel's byte order, given by big_endian; port
 * and address in network order). 0, -ENOENT when the kernel left it empty
 * (family 0), -EPROTO for another family or a short array. */
int tc__trace_sockaddr(const uint8_t *b, size_t len, bool big_endian, struct tc_addr *a);

/* The name the event's print format gives value of an integer field
 * (its __print_symbolic table: "TCP_ABORT_ON_CLOSE" for reason 11), or
 * NULL when the format has no name for it. */
const char *tc__trace_symbol(const struct tep_event *ev, const char *field,
                             unsigned long long value);

/* Whether e belongs to the trace of `port`, given the events kept before
 * it (ev[0..n)): one of its ports is `port`, or it is the destroy of a
 * socket already kept (whose ports a reset cleared). */
bool tc__trace_wanted(const struct tc_trace_event *ev, size_t n, const struct tc_trace_event *e,
                      uint16_t port);

/* Sorts ev[first..n) by time, keeping the order of equal times (one CPU's
 * records are already in order). */
void tc__trace_order(struct tc_trace_event *ev, size_t n, size_t first);

/* Completes the tuples the kernel reported with a port 0 (see trace.h)
 * from the same socket's other events, for the new events and the older
 * ones they complete. */
void tc__trace_fill_tuples(struct tc_trace_event *ev, size_t n, size_t first);

#endif
