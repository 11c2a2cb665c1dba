/* peer_driver.h - a test's end of a `tcpclose __peer` process: starts it
 * with its control socketpair on fd 3 (as the runner does), writes
 * commands, reads replies (harness/peer_proto.h).
 *
 * Contract: blocking calls, for tests and benchmarks only. pd_reply()
 * waits for the reply to one id, keeping none of the others, at most
 * timeout_ms (a guard against a hang, never a measure). The peer runs in
 * the caller's network namespace. pd_stop() closes the channel, which ends
 * the peer, and reaps it.
 */
#ifndef TCPCLOSE_TEST_PEER_DRIVER_H
#define TCPCLOSE_TEST_PEER_DRIVER_H

#include <stddef.h>
#include <sys/types.h>

struct pd {
  pid_t pid;
  int fd;
  char buf[8192];
  size_t len;
};

/* 0, or -errno. */
int pd_start(struct pd *d, const char *bin, const char *role);

/* Writes one command line (without its newline); 0 or -errno. */
int pd_send(struct pd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The reply to command id: its errno field (-1 for "proto"), the rest
 * copied into rest; -ETIMEDOUT or -EPIPE when none came. */
int pd_reply(struct pd *d, unsigned id, char *rest, size_t len, int timeout_ms);

void pd_stop(struct pd *d);

#endif
