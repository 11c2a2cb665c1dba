/* peer_proto.h - the control protocol between the runner and a peer process,
 * and the line channel every control pipe uses.
 *
 * Contract: text lines over the peer's fd 3, a socketpair that uv_spawn
 * makes (TC__PROTO_FD). One line per message:
 *   runner -> peer   "ID VERB ARGS\n"
 *     ID listen HOST PORT BACKLOG REUSEADDR   (PORT 0: any)
 *     ID connect HOST PORT FROMPORT REUSEADDR (FROMPORT 0: any)
 *     ID accept
 *     ID send N [HEXTEXT]
 *     ID recv bytes|all|eof N THEN         (THEN -2: nothing; else close with
 *                                           that linger once the recv is done)
 *     ID shutdown rd|wr|rdwr
 *     ID close LINGER auto|listener        (LINGER -1: untouched; auto: the
 *                                           connection, else the listener)
 *     ID serve [CONNACTION...]             (the listener accepts every
 *                                           connection from now on and plays
 *                                           the actions on each; answered at
 *                                           once)
 *     ID churn HOST PORT N C [CONNACTION...] (N connections, C at a time;
 *                                           answered when the last is done)
 *     ID exit
 *   CONNACTION, one word each (struct tc_conn_action):
 *     recv:bytes:N  recv:all  recv:eof  send:N  send:N:HEXTEXT
 *     shutdown:rd|wr|rdwr  close:LINGER (-1: untouched)  wait:MS
 *   peer -> runner   "ID ERRNO FIELDS\n", ERRNO 0 on success:
 *     listen: HOST PORT          connect, accept: LHOST LPORT RHOST RPORT
 *     send: BYTES_SENT           recv: BYTES_READ EOF(0|1)
 *     shutdown, close, serve: nothing
 *     churn: OK FAILED TUPLES MICROSECONDS RATE [ERRNAME=COUNT ...]
 *            (TUPLES: distinct local ports the connects took; RATE:
 *            connections done per second, OK + FAILED over the duration;
 *            ERRNAME as tc_errno_name() has it, else the number)
 *   or "ID proto REASON\n" when the peer could not even try (a harness bug).
 * A socket call's failure (ECONNRESET, EPIPE) is an answer, not an error.
 * ID is the step index + 1, so replies of background actions can arrive in
 * any order. `exit` gets no reply: the process ends.
 */
#ifndef TCPCLOSE_PEER_PROTO_H
#define TCPCLOSE_PEER_PROTO_H

#include <stddef.h>
#include <uv.h>

#include "tcpclose/case.h"

#define TC__PROTO_FD 3
#define TC__PROTO_LINE_MAX 8192

/* Where an action's sockets go: host and port to listen on or connect to,
 * and the local port a connect binds first (port=same). */
struct tc__proto_where {
  const char *host;
  unsigned port, from_port;
};

/* Formats the command for an action step. Returns the length, or -ENOSPC
 * when buf is too small. */
int tc__proto_command(const struct tc_action_step *a, unsigned id, const struct tc__proto_where *w,
                      char *buf, size_t len);

/* Appends the words of a connection script (" recv:eof close:-1") to
 * buf at offset off. Returns the new length, or -ENOSPC. */
int tc__proto_conn_script(const struct tc_conn_script *s, char *buf, size_t len, int off);

/* Parses the words of a connection script (what follows the fixed
 * arguments) into out; texts are allocated (tc__proto_conn_script_free).
 * Returns 0 or -EINVAL. */
int tc__proto_conn_script_parse(const char *words, struct tc_conn_script *out);
void tc__proto_conn_script_free(struct tc_conn_script *s);

#define TC__CHURN_MAX_ERRNOS 8

/* What a churn did, as its reply says. */
struct tc__churn_result {
  unsigned long ok, failed;
  unsigned long tuples;  /* distinct local ports its connects took: distinct
                            4-tuples, the destination being one */
  unsigned long long us; /* from its first connect to its last close */
  double rate;           /* connections per second */
  struct {
    int err;
    unsigned long n;
  } errs[TC__CHURN_MAX_ERRNOS]; /* failures per errno, most seen first */
  size_t nerrs;
};

/* Formats the fields of a churn's reply (after "ID 0 "); parses them back.
 * Both return 0 or a negative errno (-ENOSPC, -EINVAL). */
int tc__proto_churn_format(const struct tc__churn_result *r, char *buf, size_t len);
int tc__proto_churn_parse(const char *rest, struct tc__churn_result *out);

/* Hands each complete line in buf (len bytes read so far, NUL-terminated)
 * to fn, stopping early when fn returns nonzero, and keeps the unfinished
 * rest at the start of buf. Returns the length of that rest. */
size_t tc__proto_lines(char *buf, size_t len, int (*fn)(char *line, void *arg), void *arg);

/* Splits a reply line into its id, errno (-1 for "proto") and the rest. */
int tc__proto_reply(char *line, unsigned *id, int *err, char **rest);

/* The one line reader of every control channel on a libuv loop (runner to
 * peer, runner to namespace holder, peer to runner). It reads the stream
 * into its buffer and hands fn each complete line, NUL-terminated, without
 * the newline; fn returns nonzero to stop reading. When the stream ends or
 * fails, or a line outgrows the buffer, fn gets NULL once and reading
 * stops. The stream's data pointer is the reader's while it reads. */
typedef int (*tc__proto_line_fn)(char *line, void *arg);

struct tc__proto_reader {
  tc__proto_line_fn fn;
  void *arg;
  size_t len;
  char buf[TC__PROTO_LINE_MAX];
};

int tc__proto_read_start(struct tc__proto_reader *r, uv_stream_t *s, tc__proto_line_fn fn,
                         void *arg);

/* Makes fd a libuv pipe on loop. *inited is set once the handle must be
 * closed (uv_close); on failure fd is closed too. 0 or a negative errno. */
int tc__proto_pipe_open(uv_loop_t *loop, uv_pipe_t *pipe, int fd, int *inited);

/* Queues one line (a newline is added) on a libuv stream; the copy lives
 * until written. 0 or a negative errno. A failed write is the reader's to
 * see: the other end is gone. */
int tc__proto_send(uv_stream_t *s, const char *line);

#endif
