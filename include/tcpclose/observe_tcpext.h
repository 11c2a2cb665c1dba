/* observe_tcpext.h - the kernel's own count of why TCP sockets left early:
 * the TcpExt counters of a network namespace (/proc/PID/net/netstat) that
 * tell where a socket a count missed went (aborted, its TIME_WAIT recycled
 * or never made), and the TIME_WAIT minisockets it holds now
 * (/proc/PID/net/sockstat), which tell a socket gone from one a count's
 * dump did not see.
 *
 * Contract: tc_tcpext_parse() and tc_tcpext_format() are pure (no I/O, no
 * allocation, any input is safe, any thread). The netstat file holds pairs
 * of lines, "TcpExt: Name1 Name2 ..." then "TcpExt: 1 2 ..."; the parser
 * keeps the counters of tc_tcpext_names, and a counter this kernel does not
 * have stays 0. tc_sockstat_tw_parse() is pure too. The _read()
 * functions read the file of process pid's namespace (pid 0: the caller's)
 * and parse it. Linux only: elsewhere, and on a kernel without the file,
 * they return -ENOENT.
 */
#ifndef TCPCLOSE_OBSERVE_TCPEXT_H
#define TCPCLOSE_OBSERVE_TCPEXT_H

#include <stddef.h>

/* TW and TWKilled: TIME_WAIT minisockets made (an orphan's FIN_WAIT2
 * included), counted when their timer is first set: TWKilled those set to
 * 4 s or less, TW the others (__inet_twsk_schedule()); neither counts one
 * ended early. TWRecycled: reused by a connect (tcp_tw_reuse);
 * TCPTimeWaitOverflow: a socket closed
 * without one (tcp_max_tw_buckets, memory); TCPAbortOn*: a RST sent and
 * the socket gone (data or a zero linger at close, unread data, memory or
 * orphans, timeout, linger2); Listen*: SYNs or handshakes dropped. */
#define TC_TCPEXT_COUNT 12
extern const char *const tc_tcpext_names[TC_TCPEXT_COUNT];

struct tc_tcpext {
  unsigned long long v[TC_TCPEXT_COUNT]; /* in the order of tc_tcpext_names */
};

/* Parses a netstat file's text (len bytes, NUL not needed). Returns 0, or
 * -EPROTO when a names line and its values line do not pair up or there
 * is no TcpExt pair at all. */
int tc_tcpext_parse(const char *text, size_t len, struct tc_tcpext *out);

/* Reads and parses /proc/PID/net/netstat: 0 or a negative errno. */
int tc_tcpext_read(int pid, struct tc_tcpext *out);

/* Writes "Name=N Name=N" for the counters that are not 0 into buf (a
 * counter that does not fit is left out whole); returns the length, 0
 * when every counter is 0. */
size_t tc_tcpext_format(const struct tc_tcpext *t, char *buf, size_t len);

/* Parses a sockstat file's text: *tw is the "TCP:" line's tw, the TIME_WAIT
 * minisockets the namespace holds now, both families (the kernel's
 * tw_refcount less one, not a walk of its tables). 0, or -EPROTO when
 * there is no such line or its tw is not a number. */
int tc_sockstat_tw_parse(const char *text, size_t len, unsigned long long *tw);

/* Reads and parses /proc/PID/net/sockstat: 0 or a negative errno. */
int tc_sockstat_tw_read(int pid, unsigned long long *tw);

#endif
