/* play_internal.h - the parts of a playing case and how they talk (internal).
 *
 * A play (tcpclose/play.h) is made of parts. Each part is a struct written
 * only by the file that owns it, and reports to play.c through the calls
 * listed with it; play.c alone decides what happens next:
 *   play.c             the steps in order and the play's lifecycle; what the
 *                      step in progress waits for (struct tc__progress)
 *   play_link.c        the peers: processes, control pipes, and what their
 *                      replies taught of each role's sockets
 *   play_holder.c      the namespace holder: process, pipe, requests
 *   play_network.c     sysctl, drop, hold and release steps; the sysctls
 *                      recorded at the end
 *   play_observe.c     opening and closing the observers, off the loop
 *   play_timeline.c    transitions and segments, from trace, capture and
 *                      snapshots
 *   play_lines.c       the live timeline (-v), printed in time order
 *   play_settle.c      settle
 *   play_program.c     a role played by the user's program: its process
 *                      group, its output, its port, its end
 *   play_inject.c      inject: one crafted segment, sent off the loop
 *   play_check.c, play_check_timeline.c   checkpoints (no state of their own)
 * Everything runs on the loop's thread and never blocks it: processes and
 * pipes are libuv handles, and what must block (opening a tracefs instance,
 * entering the namespace for a capture) runs on libuv's threadpool, touching
 * only its own job until it is back.
 */
#ifndef TCPCLOSE_PLAY_INTERNAL_H
#define TCPCLOSE_PLAY_INTERNAL_H

#include <stdint.h>

#include "loop_timer.h"
#include "peer_proto.h"
#include "play_proc.h"
#include "tcpclose/observe.h"
#include "tcpclose/play.h"
#include "tcpclose/tcpstate.h"
#include "tcpclose/result.h"
#include "tcpclose/trace.h"
#include "tcpclose/wire.h"

#define TC__MAX_CONNS 8
#define TC__MAX_QUERIES ((1 + TC__MAX_CONNS) * TC_ROLE_COUNT)

int64_t tc__now_us(void); /* CLOCK_MONOTONIC, the clock of every event */

/* ---- play_link.c: one peer ---- */

struct tc__link {
  struct tc_play *play;
  enum tc_role role;
  struct tc__proc proc; /* proc.running: not reaped yet */
  uv_pipe_t ctl;
  struct tc__proto_reader reader;
  int ctl_open;
  int ready;  /* started, its pipe open */
  int ending; /* exit or kill was asked: its end is no surprise */
  int has_listener;
  struct tc_addr listener;
  struct tc_tuple conns[TC__MAX_CONNS]; /* this role's ends, oldest first */
  int nconns;
  int connects_pending;          /* connects sent, not answered yet */
  int recvs_pending;             /* recvs sent, not answered yet (in the background) */
  int last_err;                  /* errno of the last failed socket call, 0 none */
  int eof;                       /* its last recv saw end of stream */
  size_t received;               /* bytes its last recv read */
  int churned;                   /* its last reply was a churn's: errors are its failures */
  struct tc__churn_result churn; /* the last churn's figures */
};

/* Connection n (1 = the first) of a link, the latest for n = 0; NULL when
 * it has none. */
static inline const struct tc_tuple *tc__link_conn(const struct tc__link *l, int n) {
  if (n == 0) n = l->nconns;
  return n >= 1 && n <= l->nconns ? &l->conns[n - 1] : NULL;
}

/* Starts the peer; tc__play_link_ready() follows once it runs. */
int tc__link_spawn(struct tc__link *l, pid_t netns_pid, tc_err *err);
/* Sends the command of an action step (id = step index + 1). Kill and
 * exit mark the end as expected; kill sends SIGKILL. */
int tc__link_command(struct tc__link *l, const struct tc_action_step *a, unsigned id,
                     const struct tc__proto_where *w);
void tc__link_kill(struct tc__link *l);
void tc__link_close(struct tc__link *l);
/* 1 when the peer has not yet read all the runner sent it (a command still
 * in libuv's write queue or unread in the socket): a peer kept off the CPU
 * has not started what the case asked, whatever the kernel shows. */
int tc__link_behind(const struct tc__link *l);
/* Which role's connection a tuple is (and its number, 1 = first); -1 none. */
int tc__links_owner(const struct tc__link *links, const struct tc_tuple *t, int *conn);

/* The listener a program under test opened (play_program.c found it
 * through the kernel): from then on it is the role's, as a listen's reply
 * would have made it. */
void tc__link_set_listener(struct tc__link *l, const struct tc_addr *a);

/* ---- play_program.c: a role played by the user's program ---- */

/* One of its output pipes, of which the last TC_TAIL_MAX bytes are kept. */
struct tc__program_out {
  struct tc__program *g;
  uv_pipe_t pipe;
  int open;    /* the handle must be closed */
  int reading; /* not at end of stream yet */
  size_t len;
  char tail[TC_TAIL_MAX];
  char chunk[4096];
};

#define TC__COMMAND_MAX 2048

struct tc__program {
  struct tc_play *play;
  enum tc_role role;
  const struct tc_step *step;    /* its exec step; NULL: a scripted peer plays the role */
  struct tc__proc proc;          /* proc.running: the leader is not reaped yet */
  struct tc__program_out out[2]; /* stdout, stderr */
  char command[TC__COMMAND_MAX]; /* as run: {addr} and {port} filled in */
  struct tc_addr addr;           /* {addr}:{port} */
  int ready;                     /* a client started; a server listens on {addr}:{port} */
  int ending;                    /* SIGTERM was sent at the case's end */
  struct tc__ltimer timer;       /* polls for the listener; then the end's grace */
};

/* Starts the program of an exec step; tc__play_program_ready() follows
 * once it runs (a client) or listens (a server), tc__play_program_exited()
 * whenever it ends. 0, a negative errno with why, or 1: skipped (why says). */
int tc__program_start(struct tc_play *play, const struct tc_step *st, tc_err *why);
void tc__program_signal(struct tc__program *g, int sig); /* to its group */
/* The case is over: SIGTERM to the group, SIGKILL 2 s later if it lives. */
void tc__program_end(struct tc__program *g);
void tc__program_close(struct tc__program *g); /* its handles; its tails into the results */
/* How it ended as a shell says it (0..255, 128+N for signal N), or
 * TC_EXIT_NONE while it runs. */
int tc__program_status(const struct tc__program *g);
/* "exit status 1; stderr: ...the last line..." for messages. */
void tc__program_describe(const struct tc__program *g, char *buf, size_t len);

/* ---- play_holder.c: the namespace holder ---- */

/* An answer: rc 0 with the holder's value, or a negative errno with why
 * (-EINVAL: the holder refused; anything else: the holder is gone). */
typedef void (*tc__holder_cb)(struct tc_play *play, int rc, const char *answer, void *arg);

struct tc__holder_req;

struct tc__holder {
  struct tc_play *play;
  struct tc__proc proc; /* proc.running: not reaped yet */
  uv_pipe_t pipe;
  struct tc__proto_reader reader;
  int pipe_open;
  struct tc__holder_req *head, *tail; /* awaiting their answer, in order */
  struct tc__ltimer deadline;         /* the oldest request's */
};

/* Starts the holder; cb gets its "ready" (rc 0) or why it cannot be. */
int tc__holder_start(struct tc__holder *h, struct tc_play *play, tc__holder_cb cb, tc_err *err);
/* Sends one command line; cb gets its answer, in the order asked. */
int tc__holder_request(struct tc__holder *h, const char *cmd, tc__holder_cb cb, void *arg);
pid_t tc__holder_pid(const struct tc__holder *h); /* 0 when not running */
void tc__holder_stop(struct tc__holder *h);       /* it exits; pending answers fail */
void tc__holder_close(struct tc__holder *h);

/* ---- play_observe.c: the observers, opened off the loop ---- */

struct tc__observers {
  tc_observer *snap; /* the snapshot observer, once open */
  int sources_asked; /* trace and capture were asked for (the first listen) */
};

/* Each calls tc__play_observed() back on the loop when its work is done. */
int tc__observe_open_snapshot(struct tc_play *play, pid_t netns_pid);
int tc__observe_open_sources(struct tc_play *play, pid_t netns_pid, uint16_t port);
void tc__observe_close_sources(struct tc_play *play, tc_trace *trace, tc_wire *wire);
void tc__observe_close(uv_loop_t *loop, struct tc__observers *o);

/* ---- play_lines.c: the live timeline ---- */

#define TC__LINE_MAX 192

struct tc__line {
  int64_t t_us;
  char text[TC__LINE_MAX];
};

struct tc__lines {
  tc_play_line_cb cb; /* NULL: no live timeline */
  void *arg;
  int64_t t0_us;
  int ordered;        /* events come late: hold lines until their turn */
  struct tc__line *v; /* held, in time order */
  size_t n, cap;
};

void tc__lines_init(struct tc__lines *l, const struct tc_play_opts *o, int64_t t0_us);
void tc__lines_add(struct tc__lines *l, int64_t t_us, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tc__lines_release(struct tc__lines *l, int64_t upto_us); /* those up to then */
void tc__lines_flush(struct tc__lines *l);                    /* all, and free */

/* ---- play_timeline.c: the story of the close ---- */

/* What the timeline knows of one role's connection. */
struct tc__role_timeline {
  int established; /* its ESTABLISHED transition was seen */
  int state;       /* the last state put on the timeline */
  int closing;     /* a trace X -> CLOSE waits to learn what took over */
  int64_t close_us;
  int mini; /* a timewait mini-socket took over: polling tracks it */
};

struct tc__timeline {
  tc_trace *trace;
  tc_wire *wire;
  size_t trace_seen, wire_seen;
  size_t trace_lost; /* events the kernel dropped (ring buffer full) */
  struct tc__role_timeline conn[TC_ROLE_COUNT][TC__MAX_CONNS];
  char reset_reason[TC_ROLE_COUNT][40]; /* of the last RST a role's socket sent */
  struct tc__ltimer tick;               /* drains trace and wire while the case runs */
};

void tc__timeline_init(struct tc_play *play);
void tc__timeline_start(struct tc_play *play, tc_trace *trace, tc_wire *wire);
void tc__timeline_poll(struct tc_play *play);
/* A snapshot of connection conn (1-based) of a role, just taken. */
void tc__timeline_observed(struct tc_play *play, int role, int conn, const struct tc_sock *s);
void tc__timeline_stop(struct tc_play *play); /* a last poll; the sources go */

/* ---- play_settle.c ---- */

struct tc__settle {
  struct tc__ltimer poll;
  uint64_t start_ms, quiet_since_ms, max_ms;
  int line; /* of the settle in progress */
  struct tc_sock prev[TC__MAX_QUERIES];
  size_t nprev;
  unsigned polls;                                      /* of the settle in progress */
  unsigned long counts[TC_ROLE_COUNT][TC_STATE_COUNT]; /* serve, churn: by state */
  int counted_pending; /* at the last count: a retransmission pending, CLOSE_WAIT
                          sockets their peer will close, or sockets that never
                          read the same twice */
};

/* Polls until the case's sockets stop changing with no retransmission
 * pending (or max_ms), records how it ended, then reports
 * tc__play_settled(). */
void tc__settle_start(struct tc_play *play, int line, unsigned max_ms);
void tc__settle_stop(struct tc_play *play);

/* ---- play_inject.c: the inject step ---- */

/* Drains the timeline, computes the segment from the capture of the
 * client's latest connection, and sends it from the case's namespace on
 * the threadpool; tc__play_injected() follows. Without a capture or a
 * namespace, or without the right to send it, the case is skipped with
 * the reason. */
void tc__inject_step(struct tc_play *play, const struct tc_step *st);

/* ---- play_network.c and play_check*.c: steps without a state ---- */

void tc__network_step(struct tc_play *play, const struct tc_step *st);
/* Reads the close-related sysctls into the results, then calls done. */
void tc__network_record_sysctls(struct tc_play *play, void (*done)(struct tc_play *play));
void tc__check_expect(struct tc_play *play, const struct tc_step *st);
void tc__check_timeline(struct tc_play *play, const struct tc_step *st);
/* The socket a state checkpoint is about (0 when there is none). */
int tc__check_query(const struct tc__link *l, int state, int conn, struct tc_query *q);

/* ---- play.c: the play, and what the parts report to it ---- */

enum tc__wait {
  TC__WAIT_NONE,
  TC__WAIT_REPLY,       /* a peer's answer to the step (id) */
  TC__WAIT_EXIT,        /* a peer's end (role) */
  TC__WAIT_TIMER,       /* wait DURATION */
  TC__WAIT_SETTLE,      /* settle */
  TC__WAIT_HOLDER,      /* the holder's answer to a network step */
  TC__WAIT_OBSERVERS,   /* the observers the first listen asked for */
  TC__WAIT_PROGRAM,     /* a program to run or listen (role) */
  TC__WAIT_PROGRAM_END, /* a program's end: kill, expect exit (role) */
  TC__WAIT_DRAIN,       /* a checkpoint on the story: its sources catch up */
  TC__WAIT_INJECT,      /* an injected segment's send */
};

/* The step in progress and what it waits for: written in play.c only. */
struct tc__progress {
  size_t step;
  enum tc__wait wait;
  unsigned id;             /* TC__WAIT_REPLY */
  int role;                /* TC__WAIT_EXIT */
  unsigned timeout_ms;     /* of the action awaited */
  struct tc__ltimer timer; /* step timeouts and waits */
};

struct tc__life {
  int finished;     /* verdict known; tearing down */
  int closing;      /* handles are being closed */
  int open_handles; /* handles and threadpool jobs not back yet */
  tc_play_done_cb done;
  void *arg;
};

struct tc_play {
  uv_loop_t *loop;
  const tc_case *c;
  tc_case_result *res;
  struct tc_play_opts opts;
  int64_t t0_us;                             /* case start */
  struct tc__progress prog;                  /* play.c */
  struct tc__life life;                      /* play.c */
  struct tc__link link[TC_ROLE_COUNT];       /* play_link.c */
  struct tc__holder holder;                  /* play_holder.c */
  struct tc__observers obs;                  /* play_observe.c */
  struct tc__timeline tl;                    /* play_timeline.c */
  struct tc__lines lines;                    /* play_lines.c */
  struct tc__settle settle;                  /* play_settle.c */
  struct tc__program program[TC_ROLE_COUNT]; /* play_program.c */
};

/* Ends the play with a verdict other than the checks': error, or skip. */
void tc__play_fail(struct tc_play *play, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tc__play_skip(struct tc_play *play, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A handle or job the play must wait for before done: taken and given back. */
void tc__play_hold(struct tc_play *play);
void tc__play_release(struct tc_play *play);

/* Reports. */
void tc__play_link_ready(struct tc_play *play);                        /* play_link.c */
void tc__play_replied(struct tc_play *play, unsigned id);              /* play_link.c */
void tc__play_exited(struct tc_play *play, enum tc_role role);         /* play_link.c */
void tc__play_holder_exited(struct tc_play *play);                     /* play_holder.c */
void tc__play_network_done(struct tc_play *play);                      /* play_network.c */
void tc__play_settled(struct tc_play *play);                           /* play_settle.c */
void tc__play_program_ready(struct tc_play *play, enum tc_role role);  /* play_program.c */
void tc__play_program_exited(struct tc_play *play, enum tc_role role); /* play_program.c */
void tc__play_injected(struct tc_play *play);                          /* play_inject.c */
/* play_observe.c: what=0 the snapshot observer, 1 the sources; rc < 0 with
 * why when the snapshot observer cannot run (the sources say why in the
 * results themselves). */
void tc__play_observed(struct tc_play *play, int what, int rc, const tc_err *why);

#endif
