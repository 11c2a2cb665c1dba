/* observe_procfs_parse.h - parser of Linux's /proc/net/tcp and /proc/net/tcp6
 * lines (used by observe_procfs.c).
 *
 * Contract: pure text parsing, no I/O, no allocation, no state (any thread),
 * so that it is tested on fixture text and usable on any system. One call parses one socket line; the header line
 * is the caller's to skip. Addresses in those files are the kernel's
 * network-order words printed with %08X as native integers, so decoding
 * depends on this host's byte order, as the kernel's printing did.
 * Timer time left is printed in clock ticks of USER_HZ (1/100 s).
 */
#ifndef TCPCLOSE_OBSERVE_PROCFS_PARSE_H
#define TCPCLOSE_OBSERVE_PROCFS_PARSE_H

#include "tcpclose/sock.h"

/* Parses one line for family AF_INET (tcp) or AF_INET6 (tcp6).
 * Returns 0, or -EINVAL when the line is not a socket line. */
int tc_procfs_parse_line(const char *line, int family, struct tc_sock *out);

#endif
