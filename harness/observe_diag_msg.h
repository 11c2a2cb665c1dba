/* observe_diag_msg.h - sock_diag messages of the diag observer (internal): requests
 * written into a caller's buffer, answers decoded into a tc_sock.
 *
 * Contract: pure byte work, no socket, no allocation, no I/O (any thread), so
 * that tests run it on captured kernel answers; used by observe_diag.c. Requests are TCP inet_diag_req_v2
 * (SOCK_DIAG_BY_FAMILY) asking for tcp_info (INET_DIAG_INFO). The put_*
 * functions return the bytes written, -ENOSPC when cap is too small, or
 * -EINVAL when the query cannot be asked (family not AF_INET/AF_INET6, no
 * listener query of that family, bytecode longer than the kernel's 16-bit
 * jump offsets allow).
 * The kernel's answers to both kinds of request are SOCK_DIAG_BY_FAMILY
 * messages, decoded one at a time by tc__diag_decode().
 */
#ifndef TCPCLOSE_OBSERVE_DIAG_MSG_H
#define TCPCLOSE_OBSERVE_DIAG_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "tcpclose/observe.h"
#include "tcpclose/sock.h"

/* An exact lookup of one connection by its 4-tuple (no NLM_F_DUMP): the
 * kernel hashes the tuple like an incoming segment and answers with that
 * one socket (full, orphaned, or a timewait mini-socket), or an NLMSG_ERROR
 * -ENOENT. Its cost does not depend on how many sockets the host has. */
int tc__diag_put_exact(void *buf, size_t cap, const struct tc_query *q, uint32_t seq);

/* Bytecode (INET_DIAG_REQ_BYTECODE payload) that accepts a socket whose
 * local address and port equal those of one of the listener queries in q
 * of the given family; the other queries are skipped. */
int tc__diag_bc_listeners(void *buf, size_t cap, int family, const struct tc_query *q, size_t n);

/* A dump of the family's LISTEN sockets restricted by that bytecode: with
 * LISTEN as the only state the kernel walks its listening hash alone, never
 * the table of connections. */
int tc__diag_put_listen_dump(void *buf, size_t cap, int family, const struct tc_query *q, size_t n,
                             uint32_t seq);

/* Whether msg begins with a whole netlink message within the len bytes
 * left, for walking a datagram with mnl_nlmsg_next(). Use it instead of
 * mnl_nlmsg_ok(), which compares nlmsg_len as an int: a length with its top
 * bit set passes there, and mnl_nlmsg_next() then jumps out of the buffer
 * (found by tests/fuzz/fuzz_diag.c). The length rounded up to 4 bytes must
 * fit too: libmnl reads attributes that far. */
int tc__diag_msg_ok(const void *msg, int len);

/* Decodes one SOCK_DIAG_BY_FAMILY message of at most len bytes into out,
 * field for field as /proc/net/tcp shows the socket (observe_procfs.c):
 * timer_ms is 0 without a timer, and retransmits is tcp_info's
 * tcpi_retransmits when the message carries it (the count /proc prints),
 * else idiag_retrans. One difference: a listener's sendq is its backlog,
 * as sock.h has it, where /proc prints 0.
 * Returns 0, or -EINVAL when it is not a well-formed TCP socket message. */
int tc__diag_decode(const void *msg, size_t len, struct tc_sock *out);

/* A dump of every TCP socket of the family whose local port (remote = 0)
 * or remote port (remote = 1) is `port`, the test run by the kernel in
 * bytecode (INET_DIAG_BC_S_EQ / D_EQ), asking no extension: a count needs
 * the state alone. Request mini-sockets (TCP_NEW_SYN_RECV) are included;
 * the kernel reports them as SYN_RECV. */
int tc__diag_put_port_dump(void *buf, size_t cap, int family, uint16_t port, int remote,
                           uint32_t seq);

/* The state, 4-tuple and timer of one SOCK_DIAG_BY_FAMILY message of at
 * most len bytes, without tc__diag_decode()'s queues and TCP info (what a
 * count needs). 0 or -EINVAL. */
int tc__diag_decode_brief(const void *msg, size_t len, struct tc_sock *out);

#endif
