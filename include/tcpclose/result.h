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

#include "tcpclose/case.h"
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

/* A step of the case as it started, relative to the case start: what the
 * sequence diagrams write on a lifeline. */
struct tc_step_done {
  long t_us;
  int role;   /* enum tc_role it acts on or checks, -1 none */
  int line;   /* in the case file */
  char *text; /* the statement as written */
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

/* How a `settle` ended: quiet (nothing changed for TC_SETTLE_QUIET_MS and
 * no retransmission was pending), or at its maximum. */
struct tc_settle_end {
  int line;
  int at_max;
  long ms; /* how long it took */
};

/* What the transition and wire sources read, and what they missed. */
struct tc_source_counts {
  unsigned long trace_read, trace_lost; /* tracepoint records; dropped by the kernel */
  unsigned long wire_read, wire_lost;   /* frames; dropped by the capture */
};

struct tc_sysctl {
  char name[96];
  char value[128];
};

/* How a program under test ran (`ROLE exec`): its command as run, how it
 * ended, and the last bytes of its output. command NULL: the role was a
 * scripted peer. */
#define TC_TAIL_MAX 4096

struct tc_program_run {
  char *command;   /* {addr} and {port} filled in */
  int ended;       /* 0: it never started */
  int exit_status; /* when it exited */
  int term_signal; /* when a signal ended it (0: it exited) */
  int killed;      /* it outlived SIGTERM at the case's end: SIGKILL after 2 s */
  char *out, *err; /* tails of stdout and stderr (at most TC_TAIL_MAX bytes) */
};

#define TC_CHURN_MAX_ERRNOS 8

/* What the case's last churn did (`client churn`). line 0: no churn. */
struct tc_churn_stats {
  int line;
  unsigned long ok, failed;
  unsigned long tuples;  /* distinct 4-tuples (local ports) its connects took */
  unsigned long long us; /* from its first connect to its last close */
  double rate;           /* connections per second */
  struct {
    char name[24]; /* EADDRNOTAVAIL */
    unsigned long n;
  } errs[TC_CHURN_MAX_ERRNOS];
  size_t nerrs;
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
  struct tc_settle_end *settles;
  size_t nsettles, settles_cap;
  struct tc_source_counts sources;
  struct tc_step_done *steps;
  size_t nsteps, steps_cap;
  struct tc_program_run program[2]; /* by enum tc_role */
  struct tc_churn_stats churn;
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
/* Appends a step of the case that started t_us after the case start, with
 * the role it acts on or checks (none for wait, settle, network steps and
 * wire checks); copies its text. 0 or -ENOMEM. */
int tc_case_result_add_step(tc_case_result *r, long t_us, const struct tc_step *st);
int tc_case_result_add_sysctl(tc_case_result *r, const char *name, const char *value);
int tc_case_result_add_settle(tc_case_result *r, const struct tc_settle_end *s);

void tc_case_result_free(tc_case_result *r);

void tc_host_detect(struct tc_host *h);

/* What belongs to the whole run rather than one case. */
struct tc_run_info {
  double loop_lag_ms;  /* the worst lateness of the runner loop's timers */
  double loop_busy_ms; /* the longest the loop's own callbacks held it in one turn */
};

/* Writes the results file for n case results (run may be NULL). 0 or
 * negative errno + err. */
int tc_results_write(const char *path, const struct tc_host *host, const struct tc_run_info *run,
                     const tc_case_result *cases, size_t n, tc_err *err);

#endif
