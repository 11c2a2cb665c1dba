/* observe_backend.h - what an observer backend provides (internal).
 *
 * Contract: one const table per backend, defined in observe_<name>.c and
 * listed in observe_registry_<system>.c (the one this build compiles) in
 * order of preference. Only observe.c calls the functions, on the thread
 * that calls tcpclose/observe.h. open() allocates the backend's state, or
 * fails with a negative errno and a reason when the backend cannot run here;
 * snapshot() answers every query (TC_STATE_GONE when nothing matches; its
 * answers start out so, filled by observe.c), 0 or a negative errno + err;
 * close() frees the state.
 */
#ifndef TCPCLOSE_OBSERVE_BACKEND_H
#define TCPCLOSE_OBSERVE_BACKEND_H

#include "tcpclose/observe.h"

struct tc__observer_backend {
  const char *name;
  int timers; /* shows timers and their time left (netstat does not) */
  int (*open)(void **state, tc_err *err);
  int (*snapshot)(void *state, const struct tc_query *q, size_t n, struct tc_sock *out,
                  tc_err *err);
  void (*close)(void *state);
  /* tc_observer_count(): counts zeroed by the caller; NULL when the
   * backend cannot count */
  int (*count)(void *state, const struct tc_count_query *q, struct tc_counts *out, tc_err *err);
};

/* Whether a socket the kernel reported answers a query. */
int tc__query_matches(const struct tc_query *q, const struct tc_sock *s);

/* Whether a socket the kernel reported is one of the role's sockets a count
 * query counts (tc_observer_count's rule, for backends that read all). */
int tc__count_matches(const struct tc_count_query *q, const struct tc_sock *s);
/* Adds s (a state below TC_STATE_COUNT) to the counts. */
void tc__count_add(struct tc_counts *c, const struct tc_sock *s);
/* tc_observer_count()'s rule over any count function: reads until two
 * readings in a row agree, at most TC_COUNT_READINGS times. */
int tc__count_until_stable(int (*count)(void *, const struct tc_count_query *, struct tc_counts *,
                                        tc_err *),
                           void *state, const struct tc_count_query *q, struct tc_counts *out,
                           tc_err *err);

extern const struct tc__observer_backend tc__observer_procfs;
extern const struct tc__observer_backend tc__observer_diag;
extern const struct tc__observer_backend tc__observer_netstat;

/* The backends of this build in order of preference (the first that opens
 * is the default), from observe_registry_<system>.c. */
extern const struct tc__observer_backend *const tc__observer_backends[];
extern const size_t tc__observer_nbackends;
extern const char tc__observer_names[]; /* "diag, procfs" for messages */

#endif
