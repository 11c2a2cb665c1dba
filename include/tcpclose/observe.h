/* observe.h - snapshot observers: the kernel's view of a case's sockets.
 *
 * Contract: an observer answers, for a list of queries, what the kernel holds
 * right now: state, queues, timer. Each query names one socket by its 4-tuple
 * (a connection, found also once orphaned or as a TIME_WAIT mini-socket) or,
 * with `listener` set, the listening socket on local address and port.
 * A query with no match is answered with state TC_STATE_GONE.
 * Each backend lives in observe_<name>.c behind one table
 * (harness/observe_backend.h); observe_registry_<system>.c lists this
 * build's backends in order of preference, and tc_observer_open(NULL) opens
 * the first that can run here. An observer sees the network namespace the
 * opening thread was in (the runner opens it inside the case's namespace)
 * and owns what it opened there until tc_observer_close(). Calls block the
 * calling thread until answered (the netstat backend spawns `netstat` and
 * waits for it); the runner calls them on its loop thread. Not thread-safe:
 * one thread uses an observer at a time.
 */
#ifndef TCPCLOSE_OBSERVE_H
#define TCPCLOSE_OBSERVE_H

#include <stddef.h>

#include "tcpclose/error.h"
#include "tcpclose/sock.h"
#include "tcpclose/tcpstate.h"

struct tc_query {
  struct tc_tuple tuple;
  int listener;
};

typedef struct tc_observer tc_observer;

/* Opens the named backend ("procfs"), or the best available one for NULL.
 * 0, or a negative errno with err naming the backend and why it cannot run
 * here (-ENOENT and the names this build has, for an unknown name). */
int tc_observer_open(const char *name, tc_observer **out, tc_err *err);

const char *tc_observer_name(const tc_observer *obs);

/* Whether the observer shows socket timers and the time left on them. */
int tc_observer_has_timers(const tc_observer *obs);

/* Fills out[i] for each of the n queries. 0, or a negative errno + err. */
int tc_observer_snapshot(tc_observer *obs, const struct tc_query *q, size_t n, struct tc_sock *out,
                         tc_err *err);

/* Whose sockets `expect ROLE count` counts, by the server's port (see
 * tc_observer_count). */
struct tc_count_query {
  struct tc_addr server; /* the server's listening address: family and port */
  int role;              /* TC_SERVER or TC_CLIENT (tcpclose/case.h) */
};

/* One role's sockets by state, and how many of them have their retransmit
 * timer armed (data or a FIN not yet acknowledged; 0 where the backend
 * cannot tell: netstat). */
struct tc_counts {
  unsigned long state[TC_STATE_COUNT]; /* [TC_STATE_GONE] stays 0 */
  unsigned long retransmitting;
  unsigned readings; /* how many times the backend read the sockets */
  int stable;        /* the last two readings agreed */
};

/* The most readings one count takes (see tc_observer_count). */
#define TC_COUNT_READINGS 8

/* Counts one role's sockets of the server's family into *out. The server's
 * sockets are those whose local port is the server's port: its connections,
 * and its listener under LISTEN; the client's, those whose remote port is
 * the server's port (never a listener). The diag backend asks one kernel-
 * filtered dump; procfs and netstat read their whole table. None of these
 * is one atomic reading: the kernel hands a dump or a table over in parts,
 * and a socket that moves between two parts can be missed. So the sockets
 * are read until two readings in a row agree (stable, usually 2 readings),
 * at most TC_COUNT_READINGS times; when they never agree, *out holds the
 * last reading with stable 0: the sockets were still changing. Fails with
 * err when the backend cannot count. */
int tc_observer_count(tc_observer *obs, const struct tc_count_query *q, struct tc_counts *out,
                      tc_err *err);

void tc_observer_close(tc_observer *obs);

#endif
