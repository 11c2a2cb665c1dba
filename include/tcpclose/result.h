/* result.h - what playing a case found, and the results file.
 *
 * Contract: a tc_case_result is filled by the runner and owned by the caller
 * (start from a zeroed struct, free with tc_case_result_free). The add
 * functions copy what they are given, grow the arrays (the *_cap fields are
 * theirs) and return 0 or -ENOMEM. No shared state: each result is used by
 * one thread at a time (the runner fills them on its loop thread).
 * tc_results_write() turns a run into the results file (schema 1, see
 * README.md "Results file") with jansson and writes it atomically: a
 * temporary file in the same directory, flushed and renamed over the
 * target, so a failed or interrupted run never leaves a truncated file and
 * never destroys the previous one. It returns 0 or a negative errno with err
 * naming the file and why.
 */
#ifndef TCPCLOSE_RESULT_H
#define TCPCLOSE_RESULT_H

#include <stddef.h>

#include "tcpclose/error.h"
#include "tcpclose/sock.h"

enum tc_verdict { TC_PASS, TC_FAIL, TC_SKIP, TC_ERROR };

struct tc_check {
  int line;
  char *expect;   /* the checkpoint as written */
  char *observed; /* what the kernel or peer showed, same vocabulary;
                      for a skipped check, why it was skipped */
  int pass;
  int skipped;     /* the observer it needs cannot run here */
  int observation; /* `observe ROLE`: recorded, not judged */
  int has_sock;    /* state checks keep the socket snapshot */
  struct tc_sock sock;
};

/* A state change of one role's connection, relative to the case start. */
struct tc_transition {
  long t_us;
  int role;           /* enum tc_role */
  int conn;           /* the role's connection, 1 = its first */
  int from, to;       /* enum tc_state; TC_STATE_GONE for the end */
  const char *source; /* "trace" (tracepoint), "diag"/"procfs" (seen by polling) */
};

struct tc_wire_seg {
  long t_us;
  int from; /* enum tc_role of the sender */
  unsigned sport, dport;
  char flags[12];
  unsigned long seq, ack, len;
  int injected; /* crafted by an inject step (TTL TC_INJECT_TTL), not the kernel's */
};

/* What could observe the case: the name of the source, or NULL with why. */
struct tc_observer_use {
  const char *name;
  char *why_not;
};

struct tc_sysctl {
  char name[96];
  char value[128];
};

typedef struct tc_case_result {
  char *name;
  char *file;
  enum tc_verdict verdict;
  char *reason; /* NULL on pass; first failure or the error otherwise */
  long duration_ms;
  double loop_lag_ms;   /* the worst lateness of the case's loop timers */
  const char *observer; /* static name of the snapshot observer */
  struct tc_check *checks;
  size_t nchecks, checks_cap;
  struct tc_observer_use transitions_by, wire_by;
  char *isolation; /* "netns", or "host loopback: why not" */
  struct tc_sysctl *sysctls;
  size_t nsysctls, sysctls_cap;
  struct tc_transition *transitions;
  size_t ntransitions, transitions_cap;
  struct tc_wire_seg *segments;
  size_t nsegments, segments_cap;
} tc_case_result;

struct tc_host {
  char os[80];      /* "linux", lower case */
  char kernel[128]; /* uname release */
  char machine[80]; /* uname machine */
};

const char *tc_verdict_name(enum tc_verdict v);

/* Appends a check; copies the strings. 0 or -ENOMEM. */
int tc_case_result_add_check(tc_case_result *r, int line, const char *expect, const char *observed,
                             int pass, const struct tc_sock *sock);

/* Sets the verdict and reason (copied, printf-style; NULL for none). */
void tc_case_result_set(tc_case_result *r, enum tc_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Marks the last check added as skipped, or as an observation. */
void tc_case_result_skip_last(tc_case_result *r);
void tc_case_result_observation_last(tc_case_result *r);

int tc_case_result_add_transition(tc_case_result *r, const struct tc_transition *t);
int tc_case_result_add_segment(tc_case_result *r, const struct tc_wire_seg *s);
int tc_case_result_add_sysctl(tc_case_result *r, const char *name, const char *value);

void tc_case_result_free(tc_case_result *r);

void tc_host_detect(struct tc_host *h);

/* What belongs to the whole run rather than one case. */
struct tc_run_info {
  double loop_lag_ms; /* the worst lateness of the runner loop's timers */
};

/* Writes the results file for n case results (run may be NULL). 0 or
 * negative errno + err. */
int tc_results_write(const char *path, const struct tc_host *host, const struct tc_run_info *run,
                     const tc_case_result *cases, size_t n, tc_err *err);

#endif
