/* peer.h - a peer process: one role's sockets, driven by the runner.
 *
 * Contract: tc__peer_main() runs in a process the runner spawned
 * (`tcpclose-peer __peer ROLE`, or `tcpclose __peer ROLE` when there is no
 * tcpclose-peer). It reads commands from fd 3
 * (proto.h), performs them on raw non-blocking sockets watched by uv_poll_t
 * on its own libuv loop, and answers each. It never prints: what happens to
 * its sockets is the answer. It exits when the runner says `exit` or when
 * the control channel closes (the runner is gone), so a killed runner
 * leaves no peer behind.
 *
 * Why raw sockets and uv_poll_t rather than uv_tcp_t: uv_tcp_t accepts
 * connections and reads data as soon as they arrive, ahead of the script.
 * What a close does depends on exactly that (unread data turns FIN into RST,
 * an unaccepted connection is reset when its listener closes), so each
 * syscall must happen when the case says and not before.
 */
#ifndef TCPCLOSE_PEER_H
#define TCPCLOSE_PEER_H

#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

#include "peer_proto.h"

/* One pending operation of a kind (only one of each kind at a time). */
struct tc__peer_op {
  unsigned id; /* 0: none pending */
  int mode;    /* recv: 'b'ytes, 'a'll, 'e'of */
  size_t want; /* bytes to send or read */
  size_t done;
  int eof;
  int then_linger; /* recv: -2, or close right after with this linger */
  char *data;      /* send payload, owned */
};

struct tc__peer_serve; /* peer_serve.c */
struct tc__peer_churn; /* peer_churn.c */

struct tc__peer {
  uv_loop_t *loop;
  uv_pipe_t ctl;
  struct tc__proto_reader reader;
  int lfd, cfd; /* listener, connection; -1 when none */
  uv_poll_t *lpoll, *cpoll;
  struct sockaddr_storage connect_to; /* the remote end of a connect */
  struct tc__peer_op accept_op, connect_op, send_op, recv_op;
  struct tc__peer_serve *serve; /* NULL: not serving */
  struct tc__peer_churn *churn; /* NULL: no churn running */
};

/* Entry point of the `__peer` subcommand: joins the network namespace of
 * process netns_pid first, unless it is 0. Returns the exit status. */
int tc__peer_main(int netns_pid);

/* Answers command id: "ID ERRNO FIELDS" (fmt may be "" for no fields). */
void tc__peer_reply(struct tc__peer *p, unsigned id, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Socket operations (peer_sock.c). Each either answers at once or leaves
 * an op pending, completed by the poll callbacks. */
void tc__peer_listen(struct tc__peer *p, unsigned id, const char *host, unsigned port, int backlog,
                     int reuse);
void tc__peer_connect(struct tc__peer *p, unsigned id, const char *host, unsigned port,
                      unsigned from_port, int reuse);
void tc__peer_accept(struct tc__peer *p, unsigned id);
void tc__peer_send(struct tc__peer *p, unsigned id, size_t n, const char *hex);
/* then_linger: -2 nothing more; else close (with that linger, -1 none) the
 * moment the recv is done, before answering. */
void tc__peer_recv(struct tc__peer *p, unsigned id, int mode, size_t n, int then_linger);
void tc__peer_shutdown(struct tc__peer *p, unsigned id, const char *how);
void tc__peer_close(struct tc__peer *p, unsigned id, int linger, int listener);

/* Socket helpers shared by the peer's files: 0 or -errno. */
int tc__peer_set_blocking(int fd, int blocking);
int tc__peer_sockaddr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len);

/* serve (peer_serve.c): from now on the listener accepts every connection
 * and plays `words` (peer_proto.h) on each; answered at once. Accepting
 * goes on until the listener is closed (tc__peer_serve_stop); connections
 * already accepted play on. */
void tc__peer_serve(struct tc__peer *p, unsigned id, const char *words);
void tc__peer_serve_accept(struct tc__peer *p); /* the listener is readable */
void tc__peer_serve_stop(struct tc__peer *p);
int tc__peer_serving(const struct tc__peer *p); /* accepting for a serve now */

/* Starts or stops the listener's and the connection's polls as the pending
 * operations (and a serve) need them (peer_sock.c). */
void tc__peer_update_polls(struct tc__peer *p);

/* churn (peer_churn.c): "HOST PORT N C WORDS": N connections, C at a time,
 * each playing the words; answered when the last one is done. */
void tc__peer_churn(struct tc__peer *p, unsigned id, const char *args);

#endif
