/* observe_netstat_parse.h - parsers of `netstat` socket lines, for systems
 * without /proc/net/tcp (used by observe_netstat.c).
 *
 * Contract: pure text parsing, no I/O, no allocation, no state (any thread),
 * so that each layout is tested on any machine with verbatim output of its system (tests/fixtures/netstat_*.txt).
 * One call parses one line; anything that is not a TCP socket line (titles,
 * column headers, UDP and UNIX sockets, blank lines, names instead of
 * numbers) is answered -EINVAL, so a caller can feed every line it read.
 * State names are mapped onto enum tc_state. netstat shows no timers,
 * retransmits or owner: those fields of the tc_sock are 0.
 *
 * Layouts (columns separated by blanks, widths vary with the system):
 *  BSD      FreeBSD and macOS `netstat -an -p tcp`:
 *           tcp4  0  0  127.0.0.1.5000  127.0.0.1.51000  TIME_WAIT
 *           address.port, "*.port", "*.*", "::1.5000", "fe80::1%lo0.123";
 *           the protocol tcp4 / tcp6 / tcp46 gives the family of "*".
 *  WINDOWS  `netstat -ano -p tcp`: TCP  127.0.0.1:5000  127.0.0.1:51000
 *           TIME_WAIT  0 ("[::1]:5000"; the PID column is optional and
 *           ignored; there are no queue columns, so both queues are 0).
 *  LINUX    net-tools `netstat -ant`: tcp  0  0  127.0.0.1:5000
 *           127.0.0.1:51000  TIME_WAIT (":::5000", "0.0.0.0:*"; anything
 *           after the state, such as -p's PID/Program, is ignored).
 * Long IPv6 addresses are truncated by netstat unless -W is given; a
 * truncated address is either rejected or read as the shorter address it
 * happens to spell.
 */
#ifndef TCPCLOSE_OBSERVE_NETSTAT_PARSE_H
#define TCPCLOSE_OBSERVE_NETSTAT_PARSE_H

#include "tcpclose/sock.h"

enum tc_netstat_layout {
  TC_NETSTAT_BSD,
  TC_NETSTAT_WINDOWS,
  TC_NETSTAT_LINUX,
  TC_NETSTAT_ANY, /* whichever layout accepts the line (they never overlap) */
};

/* Parses one line of the given layout into out. 0, or -EINVAL when the line
 * is not a TCP socket line of that layout. */
int tc_netstat_parse_line(const char *line, enum tc_netstat_layout layout, struct tc_sock *out);

/* enum tc_state for a state name as that layout prints it ("FIN_WAIT_2",
 * "LISTENING", "FIN_WAIT2"); -1 when the name is not one of its states. */
int tc_netstat_state(const char *name, enum tc_netstat_layout layout);

/* Parses one address column ("127.0.0.1.5000", "[::1]:5000", ":::5000").
 * family is the family a wildcard "*" stands for (AF_INET or AF_INET6);
 * the address itself decides otherwise. 0 or -EINVAL. */
int tc_netstat_parse_endpoint(const char *text, enum tc_netstat_layout layout, int family,
                              struct tc_addr *a);

#endif
