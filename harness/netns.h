/* netns.h - a network namespace of the case's own, held by a process.
 *
 * Contract: `tcpclose __netns` (tc__netns_main, netns_holder.c) runs in a
 * child the runner spawns with a control socket on fd 3. It unshares a new
 * network namespace, brings its loopback up, answers "ready" (or "error
 * REASON"), then serves one command per line (the peers' line protocol,
 * peer_proto.h), each answered "ok [VALUE]" or "error REASON", in order:
 *   get NAME                 value of a sysctl (net.ipv4.tcp_fin_timeout)
 *   set NAME VALUE           write a sysctl; answers the old value
 *   drop TAG sport|dport PORT FLAGS COUNT input|output
 *                            drop, at that hook (nftables), TCP segments
 *                            with that port and exactly that flags byte;
 *                            COUNT 0: all, else only the first COUNT (the rule
 *                            is removed once its counter reaches COUNT)
 *   hold TAG sport|dport PORT FLAGS
 *                            keep such segments in the kernel (NFQUEUE)
 *   release                  deliver what is held, in order; answers how many
 *                            segments each round delivered (netns_hold.h)
 * It blocks while it serves (an iptables run takes a while): the runner
 * never waits for it, it reads the answers as they come. Everything it
 * changes lives in its namespace: when the control socket closes (the
 * runner ended, even by SIGKILL) it exits, and the namespace, its sysctls
 * and its rules go with the last process in it.
 * Peers join it with tc__netns_join(pid) before touching a socket
 * (netns_linux.c; netns_none.c where there are no namespaces).
 */
#ifndef TCPCLOSE_NETNS_H
#define TCPCLOSE_NETNS_H

#include <sys/types.h>

#include "tcpclose/error.h"

int tc__netns_main(void);

/* Moves the calling thread into the network namespace of process pid.
 * Keeps the old one open in *old (for tc__netns_leave) when old is not NULL;
 * on failure (the holder gone, say) *old is -1: nothing to return to. */
int tc__netns_join(pid_t pid, int *old, tc_err *err);

/* Returns the calling thread to the namespace saved by tc__netns_join. */
void tc__netns_leave(int old);

/* Whether this build and this process can make namespaces; why not in err. */
int tc__netns_possible(tc_err *err);

/* A sysctl's value, read from /proc/sys (netns_sysctl.c: any system with
 * one; the caller's namespace). Tabs become spaces. 0 or negative errno. */
int tc__sysctl_get(const char *name, char *value, size_t len);
int tc__sysctl_set(const char *name, const char *value);

#endif
