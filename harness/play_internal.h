/* play_internal.h - the state of a playing case, shared by play.c (steps
 * and lifecycle), play_link.c (peer processes and their control pipes) and
 * play_check.c (expect and settle against the kernel). Internal.
 */
#ifndef TCPCLOSE_PLAY_INTERNAL_H
#define TCPCLOSE_PLAY_INTERNAL_H

#include <stdint.h>

#include "loop_timer.h"
#include "peer_proto.h"
#include "tcpclose/observe.h"
#include "tcpclose/play.h"
#include "tcpclose/trace.h"
#include "tcpclose/wire.h"

#define TC__MAX_CONNS 8

/* The runner's end of one peer, and what it learned of that role. */
struct tc__link {
  struct tc_play *play;
  enum tc_role role;
  uv_process_t proc;
  uv_pipe_t ctl;
  char in[TC__PROTO_LINE_MAX];
  size_t inlen;
  int proc_open, ctl_open; /* handles to close at the end */
  int running;             /* the process has not been reaped yet */
  int ending;              /* exit or kill was asked: its end is no surprise */
  int64_t exit_status;
  int term_signal;
  int has_listener;
  struct tc_addr listener;
  struct tc_tuple conns[TC__MAX_CONNS]; /* this role's ends, oldest first */
  int nconns;
  int last_err;            /* errno of the last failed socket call, 0 none */
  int eof;                 /* its last recv saw end of stream */
  size_t received;         /* bytes its last recv read */
};

/* What the timeline knows of one role's connection (play_timeline.c). */
struct tc__role_timeline {
  int established;     /* its ESTABLISHED transition was seen */
  int state;           /* the last state put on the timeline */
  int closing;         /* a trace X -> CLOSE waits to learn what took over */
  int64_t close_us;    /* when (CLOCK_MONOTONIC) */
  int mini;            /* a timewait mini-socket took over: polling tracks it */
};

/* Connection n (1 = the first) of a link, the latest for n = 0; NULL when
 * it has none. */
static inline const struct tc_tuple *tc__link_conn(const struct tc__link *l, int n) {
  if (n == 0) n = l->nconns;
  return n >= 1 && n <= l->nconns ? &l->conns[n - 1] : NULL;
}

/* Timeline lines of one poll, put in time order before they are printed. */
#define TC__BATCH_MAX 64
#define TC__LINE_MAX 192
struct tc__line {
  int64_t t_us;
  char text[TC__LINE_MAX];
};

#define TC__SETTLE_POLL_MS 10u
#define TC__TIMELINE_POLL_MS 25u
#define TC__MAX_QUERIES ((1 + TC__MAX_CONNS) * TC_ROLE_COUNT)

struct tc_play {
  uv_loop_t *loop;
  const tc_case *c;
  tc_case_result *res;
  struct tc_play_opts opts;
  tc_observer *obs;
  struct tc__link link[TC_ROLE_COUNT];
  struct tc__ltimer timer; /* step timeouts, waits, settle polls */
  size_t step;             /* index of the step in progress */
  unsigned waiting_id;     /* reply awaited (step index + 1), 0 none */
  int waiting_exit;        /* role whose exit is awaited, -1 none */
  unsigned timeout_ms;     /* of the action awaited */
  int connects_pending;    /* connects sent, not answered yet */
  uint64_t t0_ms;
  uint64_t settle_start, quiet_since;
  struct tc_sock prev[TC__MAX_QUERIES];
  size_t nprev;
  int64_t t0_us;           /* case start, CLOCK_MONOTONIC */
  tc_trace *trace;
  tc_wire *wire;
  size_t trace_seen, wire_seen;
  struct tc__role_timeline tl[TC_ROLE_COUNT][TC__MAX_CONNS]; /* per connection */
  char reset_reason[TC_ROLE_COUNT][40]; /* of the last RST a role's socket sent */
  struct tc__line *batch;  /* non-NULL while a poll collects its lines */
  size_t nbatch;
  struct tc__ltimer tl_timer; /* drains trace and wire while the case runs */
  uv_process_t holder;     /* the namespace holder (netns.h), if any */
  int holder_fd;           /* our end of its control socket, -1 none */
  int holder_open, holder_running;
  int opening;             /* observers being opened on the threadpool */
  int finished;            /* verdict known; tearing down */
  int closing;             /* handles are being closed */
  int open_handles;
  tc_play_done_cb done;
  void *arg;
};

/* play.c */
void tc__play_next(struct tc_play *play);            /* current step done */
void tc__play_fail(struct tc_play *play, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));           /* ends as error */
void tc__play_skip(struct tc_play *play, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));           /* ends as skipped */
void tc__play_release(struct tc_play *play);         /* a handle closed */
void tc__play_reaped(struct tc_play *play);          /* a peer was reaped */

/* play_link.c */
int tc__link_spawn(struct tc__link *l, tc_err *err);
int tc__link_send(struct tc__link *l, const char *line);
void tc__link_kill(struct tc__link *l);
void tc__link_close(struct tc__link *l);

/* play_timeline.c */
void tc__timeline_init(struct tc_play *play);
/* Starts opening the observers on the server's port, off the loop; returns 1
 * when it did, and then the step in progress completes once they are open. */
int tc__timeline_open(struct tc_play *play, uint16_t port);
void tc__timeline_poll(struct tc_play *play);
/* A snapshot of connection conn (1-based) of a role. */
void tc__timeline_observed(struct tc_play *play, int role, int conn, const struct tc_sock *s);
void tc__timeline_line(struct tc_play *play, int64_t t_us, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tc__timeline_close(struct tc_play *play);
int64_t tc__now_us(void);

/* play_netns.c */
int tc__play_netns_start(struct tc_play *play, tc_err *err);
int tc__play_netns_request(struct tc_play *play, const char *cmd, char *answer, size_t len, tc_err *err);
void tc__play_netns_record_sysctls(struct tc_play *play);
void tc__play_netns_stop(struct tc_play *play);
void tc__play_netns_close(struct tc_play *play);
void tc__play_netns_step(struct tc_play *play, const struct tc_step *st); /* sysctl, drop, hold, release */
/* Runs fn(play, err) inside the case's namespace (or here without one). */
int tc__play_in_netns(struct tc_play *play, int (*fn)(struct tc_play *, tc_err *), tc_err *err);

/* play_check.c */
void tc__check_expect(struct tc_play *play, const struct tc_step *st);

/* play_check_timeline.c: path, wire and reset-reason checkpoints */
void tc__check_timeline(struct tc_play *play, const struct tc_step *st);
void tc__settle_start(struct tc_play *play, const struct tc_step *st);

#endif
