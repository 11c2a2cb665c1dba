/* case.h - the case language: a small script of socket actions and checks.
 *
 * Contract: tc_case_parse() reads one case file completely and either returns
 * a fully validated tc_case or fails with "FILE:LINE: reason" in err, having
 * run nothing. A parsed case owns all its strings; free it with
 * tc_case_free(). The grammar is documented in README.md ("The case
 * language"); every rejection has its own message, tested in
 * tests/test_case_parse.c.
 */
#ifndef TCPCLOSE_CASE_H
#define TCPCLOSE_CASE_H

#include <stddef.h>
#include <stdio.h>

#include "tcpclose/error.h"

enum tc_role { TC_CLIENT = 0, TC_SERVER = 1, TC_ROLE_COUNT = 2 };

enum tc_step_kind {
  TC_STEP_ACTION, /* ROLE ACTION ...      */
  TC_STEP_WAIT,   /* wait DURATION        */
  TC_STEP_SETTLE, /* settle [DURATION]    */
  TC_STEP_EXPECT, /* expect ROLE ..., observe ROLE */
  TC_STEP_SYSCTL, /* sysctl NAME=VALUE    */
  TC_STEP_DROP,   /* drop DIR FLAGS [count=N|all] */
  TC_STEP_HOLD,   /* hold DIR FLAGS: keep them until release */
  TC_STEP_RELEASE, /* release: deliver what is held, in order */
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
  TC_ACT_COUNT
};

enum tc_recv_mode { TC_RECV_BYTES, TC_RECV_ALL, TC_RECV_EOF };
enum tc_shut_how { TC_SHUT_RD, TC_SHUT_WR, TC_SHUT_RDWR };

#define TC_LINGER_NONE (-1) /* close without touching SO_LINGER */

struct tc_action_step {
  enum tc_role role;
  enum tc_action action;
  int background;          /* written with a trailing '&' */
  int backlog;             /* listen */
  int reuseaddr;           /* listen */
  enum tc_recv_mode recv;  /* recv */
  size_t bytes;            /* send N / recv N, or strlen(text) */
  char *text;              /* send "text"; NULL for send N */
  enum tc_shut_how how;    /* shutdown */
  int linger;              /* close: TC_LINGER_NONE or seconds (0 = RST) */
  int same_port;           /* listen/connect port=same: the port used before */
  int then_close;          /* recv ... then close [linger=N]: the peer closes as
                              soon as the recv is done, without a round trip */
  int then_linger;         /* TC_LINGER_NONE or seconds */
  int listener;            /* close listener: the listening socket */
};

enum tc_expect_kind {
  TC_EXPECT_STATE,  /* expect ROLE STATE [recvq=N] [sendq=N] */
  TC_EXPECT_ERROR,  /* expect ROLE error ERRNO|none */
  TC_EXPECT_EOF,    /* expect ROLE eof */
  TC_EXPECT_PATH,   /* expect ROLE path STATE... [gone] */
  TC_EXPECT_WIRE,   /* expect wire DIR FLAGS [DIR FLAGS ...] */
  TC_EXPECT_RESET,  /* expect ROLE reset-reason REASON|none */
  TC_EXPECT_RECEIVED, /* expect ROLE received N: bytes its last recv read */
};

#define TC_MAX_PATH 16
#define TC_MAX_WIRE 16

/* One segment of an expected teardown: "c>s F." */
struct tc_wire_token {
  enum tc_role from;  /* TC_CLIENT: c>s */
  char flags[12];     /* tcpdump notation */
};

#define TC_QUEUE_ANY (-1L) /* recvq/sendq not given: not checked */

struct tc_expect_step {
  enum tc_role role;
  enum tc_expect_kind kind;
  int state;   /* enum tc_state, for TC_EXPECT_STATE */
  long recvq;  /* TC_QUEUE_ANY or bytes */
  long sendq;
  int recvq_more, sendq_more; /* written recvq>N: more than N bytes */
  long left_min_ms, left_max_ms; /* left>D / left<D: time left on the timer; -1 unset */
  int err;     /* TC_EXPECT_ERROR: errno, 0 for "none" */
  int path[TC_MAX_PATH];  /* TC_EXPECT_PATH: enum tc_state values */
  size_t npath;
  struct tc_wire_token wire[TC_MAX_WIRE];  /* TC_EXPECT_WIRE */
  size_t nwire;
  char reason[40];        /* TC_EXPECT_RESET: kernel's name, "none" */
  int conn;               /* which connection of the role: 0 = the latest */
  int observe_only;       /* `observe ROLE`: record, do not judge */
  char os[64];            /* expect[linux,freebsd]: systems it applies to; "" all */
};

#define TC_DROP_ALL 0

struct tc_drop_step {      /* also hold: count unused */
  enum tc_role from;      /* sender of the segments to drop or hold */
  char flags[12];         /* exactly these flags, tcpdump notation */
  unsigned count;         /* how many to drop; TC_DROP_ALL for all */
};

struct tc_sysctl_step {
  char name[96];          /* net.ipv4.tcp_fin_timeout */
  char value[64];
};

struct tc_step {
  int line;             /* 1-based line in the file */
  char *text;           /* the statement as written, comment stripped */
  enum tc_step_kind kind;
  unsigned ms;          /* wait: duration; settle: the maximum */
  union {
    struct tc_action_step act;
    struct tc_expect_step exp;
    struct tc_drop_step drop;
    struct tc_sysctl_step sysctl;
  } u;
};

#define TC_MAX_TAGS 16

typedef struct tc_case {
  char *file;
  char *name;
  char *about;
  char *source;
  int family;       /* AF_INET (default) or AF_INET6: `family ipv6` */
  int needs_netns;  /* a sysctl or drop step: only in a namespace of its own */
  char *tags[TC_MAX_TAGS];
  size_t ntags;
  struct tc_step *steps;
  size_t nsteps;
} tc_case;

#define TC_SETTLE_QUIET_MS 100u  /* no change for this long: settled */
#define TC_SETTLE_MAX_MS 2000u   /* default cap of a bare 'settle' */

/* Parses the text of a case file; `file` names it in messages and results.
 * Returns 0 and fills *out, or a negative errno with err set. */
int tc_case_parse_text(const char *file, const char *text, tc_case *out,
                       tc_err *err);

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

#define TC_DURATION_MAX_MS (24.0 * 3600 * 1000)

/* Parses "200ms", "1s", "1.5s" into milliseconds. 0, -EINVAL, or -ERANGE
 * beyond TC_DURATION_MAX_MS. */
int tc_duration_parse(const char *s, unsigned *ms);

#endif
