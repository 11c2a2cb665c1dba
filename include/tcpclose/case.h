/* case.h - the case language: a small script of socket actions and checks.
 *
 * Contract: tc_case_parse_file() reads one case file completely (and
 * tc_case_parse_text() parses text already read) and either returns 0 with a
 * fully validated tc_case or a negative errno with "FILE:LINE: reason" in
 * err, having run nothing. A parsed case owns all its strings and steps; free
 * it with tc_case_free(). Pure parsing (plus the one read of the file), no
 * global state: any process or thread; the CLI parses every case before the
 * runner starts. The grammar is documented in README.md ("The case
 * language"); every rejection has its own message, tested in
 * tests/test_case_parse.c.
 * A role is played either by a scripted peer or by the user's program
 * (`ROLE exec "COMMAND"`, TC_ACT_EXEC; tc_case_program() finds it): then
 * only signal and kill act on it, and its sockets are checked through the
 * kernel. serve and churn share one per-connection action list
 * (struct tc_conn_script), which the peer plays as is.
 */
#ifndef TCPCLOSE_CASE_H
#define TCPCLOSE_CASE_H

#include <stddef.h>
#include <stdio.h>

#include "tcpclose/error.h"

enum tc_role { TC_CLIENT = 0, TC_SERVER = 1, TC_ROLE_COUNT = 2 };

enum tc_step_kind {
  TC_STEP_ACTION,  /* ROLE ACTION ...      */
  TC_STEP_WAIT,    /* wait DURATION        */
  TC_STEP_SETTLE,  /* settle [DURATION]    */
  TC_STEP_EXPECT,  /* expect ROLE ..., observe ROLE */
  TC_STEP_SYSCTL,  /* sysctl NAME=VALUE    */
  TC_STEP_DROP,    /* drop DIR FLAGS [count=N|all] */
  TC_STEP_HOLD,    /* hold DIR FLAGS: keep them until release */
  TC_STEP_RELEASE, /* release: deliver what is held, in order */
  TC_STEP_INJECT,  /* inject DIR FLAGS [seq=REF] [ack=REF] [len=N] [win=N] [ts=none] */
};

enum tc_action {
  TC_ACT_LISTEN,
  TC_ACT_CONNECT,
  TC_ACT_ACCEPT,
  TC_ACT_SEND,
  TC_ACT_RECV,
  TC_ACT_SHUTDOWN,
  TC_ACT_CLOSE,
  TC_ACT_EXIT,
  TC_ACT_KILL,
  TC_ACT_EXEC,   /* ROLE exec "COMMAND" [port=N]: the role is a program */
  TC_ACT_SIGNAL, /* ROLE signal NAME: to a program */
  TC_ACT_SERVE,  /* server serve [ACTIONS]: every connection plays them */
  TC_ACT_CHURN,  /* client churn N [concurrency=C] [ACTIONS] */
  TC_ACT_COUNT
};

enum tc_recv_mode { TC_RECV_BYTES, TC_RECV_ALL, TC_RECV_EOF };
enum tc_shut_how { TC_SHUT_RD, TC_SHUT_WR, TC_SHUT_RDWR };

#define TC_LINGER_NONE (-1) /* close without touching SO_LINGER */

/* What serve and churn do on each of their connections, in order:
 *   recv N|all|eof, send N|"text", shutdown wr|rd|rdwr, close [linger=N],
 *   wait DURATION.
 * A list without close leaves the connection open (held) once done. */
enum tc_conn_op { TC_CONN_RECV, TC_CONN_SEND, TC_CONN_SHUTDOWN, TC_CONN_CLOSE, TC_CONN_WAIT };

struct tc_conn_action {
  enum tc_conn_op op;
  enum tc_recv_mode recv; /* recv */
  size_t bytes;           /* recv N, send N, or strlen(text) */
  char *text;             /* send "text", owned; NULL for send N */
  enum tc_shut_how how;   /* shutdown */
  int linger;             /* close: TC_LINGER_NONE or seconds (0 = RST) */
  unsigned ms;            /* wait */
};

#define TC_CONN_MAX_ACTIONS 12

struct tc_conn_script {
  struct tc_conn_action act[TC_CONN_MAX_ACTIONS];
  size_t n; /* 0: a bare serve holds each connection; a churn only connects */
};

struct tc_action_step {
  enum tc_role role;
  enum tc_action action;
  int background;             /* written with a trailing '&' */
  int backlog;                /* listen */
  int reuseaddr;              /* listen */
  enum tc_recv_mode recv;     /* recv */
  size_t bytes;               /* send N / recv N, or strlen(text) */
  char *text;                 /* send "text"; NULL for send N */
  enum tc_shut_how how;       /* shutdown */
  int linger;                 /* close: TC_LINGER_NONE or seconds (0 = RST) */
  int same_port;              /* listen/connect port=same: the port used before */
  int then_close;             /* recv ... then close [linger=N]: the peer closes as
                              soon as the recv is done, without a round trip */
  int then_linger;            /* TC_LINGER_NONE or seconds */
  int listener;               /* close listener: the listening socket */
  char *command;              /* exec: the shell command, placeholders {addr}
                              and {port} kept as written; owned */
  unsigned port;              /* exec port=N: the program listens on N; 0 none */
  int signo;                  /* signal: SIGTERM...; kill: unused */
  struct tc_conn_script conn; /* serve, churn: each connection's actions */
  unsigned long churn;        /* churn: connections to make (N) */
  unsigned concurrency;       /* churn: at most this many at once (default 1) */
};

enum tc_expect_kind {
  TC_EXPECT_STATE,    /* expect ROLE STATE [recvq=N] [sendq=N] */
  TC_EXPECT_ERROR,    /* expect ROLE error ERRNO|none */
  TC_EXPECT_EOF,      /* expect ROLE eof */
  TC_EXPECT_PATH,     /* expect ROLE path STATE... [gone] */
  TC_EXPECT_WIRE,     /* expect wire DIR FLAGS [DIR FLAGS ...] */
  TC_EXPECT_RESET,    /* expect ROLE reset-reason REASON|none */
  TC_EXPECT_RECEIVED, /* expect ROLE received N: bytes its last recv read */
  TC_EXPECT_EXIT,     /* expect ROLE exit N|none: a program's exit status */
  TC_EXPECT_COUNT,    /* expect ROLE count STATE=N [STATE<=N ...] */
  TC_EXPECT_CHURN,    /* expect ROLE churn ok=N [failed=N] */
};

#define TC_EXIT_NONE (-1) /* expect ROLE exit none: still running */
#define TC_MAX_COUNT 8

/* One term of `expect ROLE count`: the number of the role's sockets in
 * `state` compared with n. The server's sockets are those whose local port
 * is the server's port (its listener only for LISTEN); the client's, those
 * whose remote port is the server's port. */
enum tc_count_op { TC_COUNT_EQ, TC_COUNT_LE, TC_COUNT_GE };

struct tc_count_term {
  int state; /* enum tc_state, never TC_STATE_GONE */
  enum tc_count_op op;
  unsigned long n;
  int tuples; /* STATE=tuples: n is the last churn's distinct 4-tuples,
                 known when the check runs */
};

#define TC_MAX_PATH 16
#define TC_MAX_WIRE 16

/* One segment of an expected teardown: "c>s F." */
struct tc_wire_token {
  enum tc_role from; /* TC_CLIENT: c>s */
  char flags[12];    /* tcpdump notation */
};

#define TC_QUEUE_ANY (-1L) /* recvq/sendq not given: not checked */

struct tc_expect_step {
  enum tc_role role;
  enum tc_expect_kind kind;
  int state;  /* enum tc_state, for TC_EXPECT_STATE */
  long recvq; /* TC_QUEUE_ANY or bytes */
  long sendq;
  int recvq_more, sendq_more;    /* written recvq>N: more than N bytes */
  long left_min_ms, left_max_ms; /* left>D / left<D: time left on the timer; -1 unset */
  int err;                       /* TC_EXPECT_ERROR: errno, 0 for "none" */
  int path[TC_MAX_PATH];         /* TC_EXPECT_PATH: enum tc_state values */
  size_t npath;
  struct tc_wire_token wire[TC_MAX_WIRE]; /* TC_EXPECT_WIRE */
  size_t nwire;
  char reason[40];  /* TC_EXPECT_RESET: kernel's name, "none" */
  int conn;         /* which connection of the role: 0 = the latest */
  int observe_only; /* `observe ROLE`: record, do not judge */
  int has_since;    /* since=DIR:FLAGS: left> and left< count the timer from
                       the last such segment on the wire, not from now */
  struct tc_wire_token since;
  char os[64];     /* expect[linux,freebsd]: systems it applies to; "" all */
  int exit_status; /* TC_EXPECT_EXIT: 0..255 (128+N: killed by signal N,
                             as the shell says), or TC_EXIT_NONE */
  struct tc_count_term count[TC_MAX_COUNT]; /* TC_EXPECT_COUNT */
  size_t ncount;
  unsigned long churn_ok; /* TC_EXPECT_CHURN: connections that completed */
  long churn_failed;      /* connections that failed, or -1: not checked */
};

#define TC_DROP_ALL 0

struct tc_drop_step { /* also hold: count unused */
  enum tc_role from;  /* sender of the segments to drop or hold */
  char flags[12];     /* exactly these flags, tcpdump notation */
  unsigned count;     /* how many to drop; TC_DROP_ALL for all */
  int at_output;      /* drop at=output: as they leave the sender, before
                         the wire (a capture never sees them) */
};

/* A sequence or acknowledgment number relative to what the capture showed
 * (harness/inject_ref.h computes the bases): `nxt`, `nxt+N`, `wnd-N`. */
enum tc_ref_base {
  TC_REF_NXT, /* the receiver's RCV.NXT for the direction */
  TC_REF_WND, /* the right edge of the receiver's last advertised window */
};

struct tc_seq_ref {
  enum tc_ref_base base;
  long off; /* added modulo 2^32; |off| < 2^31 */
};

#define TC_INJECT_WIN_LAST (-1L) /* win= not given: the sender's last window */
#define TC_INJECT_LEN_MAX 60000u

/* One crafted segment, as if DIR's sender sent it. seq= refers to the
 * direction itself, ack= to the reverse one (its RCV.NXT acknowledges what
 * the receiver sent). */
struct tc_inject_step {
  enum tc_role from;          /* TC_CLIENT: c>s */
  char flags[12];             /* tcpdump notation, as written */
  unsigned char tcpflags;     /* the same as TC_TCP_* bits (tcpclose/wire.h) */
  struct tc_seq_ref seq, ack; /* ack is unused without the ACK flag ('.') */
  unsigned len;               /* filler payload bytes */
  long win;                   /* 0-65535 as sent (not scaled), or TC_INJECT_WIN_LAST */
  int no_ts;                  /* ts=none: no timestamp option even if negotiated */
};

struct tc_sysctl_step {
  char name[96]; /* net.ipv4.tcp_fin_timeout */
  char value[64];
};

struct tc_step {
  int line;   /* 1-based line in the file */
  char *text; /* the statement as written, comment stripped */
  enum tc_step_kind kind;
  unsigned ms; /* wait: duration; settle: the maximum */
  union {
    struct tc_action_step act;
    struct tc_expect_step exp;
    struct tc_drop_step drop;
    struct tc_sysctl_step sysctl;
    struct tc_inject_step inject;
  } u;
};

#define TC_MAX_TAGS 16

typedef struct tc_case {
  char *file;
  char *name;
  char *about;
  char *source;
  int family;      /* AF_INET (default) or AF_INET6: `family ipv6` */
  int needs_netns; /* a sysctl, drop, hold or inject step: only in a namespace of its own */
  int needs_wire;  /* an inject step: its numbers come from the wire capture */
  char *tags[TC_MAX_TAGS];
  size_t ntags;
  struct tc_step *steps;
  size_t nsteps;
  /* Line of the role's `exec` statement, 0 when a scripted peer plays it;
   * the step itself (TC_ACT_EXEC) holds the command. */
  int program_line[TC_ROLE_COUNT];
} tc_case;

#define TC_SETTLE_QUIET_MS 100u /* no change for this long: settled */
#define TC_SETTLE_MAX_MS 2000u  /* default cap of a bare 'settle' */

/* Parses the text of a case file; `file` names it in messages and results.
 * Returns 0 and fills *out, or a negative errno with err set. */
int tc_case_parse_text(const char *file, const char *text, tc_case *out, tc_err *err);

/* The largest case file read: the suite's longest is about 3 KB, so a
 * larger file is not a case file (a log or a binary named by mistake). */
#define TC_CASE_MAX_BYTES (1L << 20)
#define TC_CASE_MAX_TEXT "1 MiB"

/* Reads and parses a case file. A file that cannot be read, is larger than
 * TC_CASE_MAX_BYTES, or holds a NUL byte is refused with one line naming
 * it (and the line of the NUL), before any parsing. */
int tc_case_parse_file(const char *file, tc_case *out, tc_err *err);

void tc_case_free(tc_case *c);

/* Whether an expect[...] scope includes this system ("linux", "freebsd",
 * "darwin", as uname -s in lower case). An empty scope includes all. */
int tc_scope_includes(const char *scope, const char *os);

/* Whether the case carries a tag. */
int tc_case_has_tag(const tc_case *c, const char *tag);

const char *tc_role_name(enum tc_role role);
const char *tc_action_name(enum tc_action action);
const char *tc_conn_op_name(enum tc_conn_op op);

/* The case's exec step for a role, NULL when a scripted peer plays it. */
const struct tc_action_step *tc_case_program(const tc_case *c, enum tc_role role);

/* The exec command with {addr} and {port} filled in (other braces, as in
 * a shell's ${VAR}, are left alone). Returns the length, or -ENOSPC. */
int tc_exec_expand(const char *command, const char *addr, unsigned port, char *buf, size_t len);

/* Whether a count of n sockets satisfies a term of `expect ROLE count`;
 * tc_count_op_text() gives its operator as written ("=", "<=", ">="). */
int tc_count_holds(const struct tc_count_term *t, unsigned long n);
const char *tc_count_op_text(enum tc_count_op op);

/* Signal number for "TERM" or "SIGTERM" (the names a case may use), 0 if
 * unknown; and back ("TERM"), "?" if unknown. */
int tc_signal_from_name(const char *name);
const char *tc_signal_name(int signo);

#define TC_DURATION_MAX_MS (24.0 * 3600 * 1000)

/* Parses "200ms", "1s", "1.5s" into milliseconds. 0, -EINVAL, or -ERANGE
 * beyond TC_DURATION_MAX_MS. */
int tc_duration_parse(const char *s, unsigned *ms);

#endif
