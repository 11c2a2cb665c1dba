/* play_port.h - a port for the server that no socket of the case's network
 * uses yet, neither as its own port nor as the port it talks to.
 *
 * Contract: tc__port_pick() sets addr's port (its family and host set
 * already) to one in TC__PORT_MIN .. +TC__PORT_SPAN on which both counts of
 * tc_observer_count() (client: remote port; server: local port) are 0,
 * trying the ports rand_r(seed) draws in turn, at most 32; 0, or a negative
 * errno with why (-EADDRINUSE when every try was taken).
 * tc__play_free_port() does it with the play's snapshot observer.
 *
 * Why both: a count (`expect client TIME_WAIT=N`) takes every socket whose
 * remote port is the server's, a server count every socket whose local port
 * is. In a namespace of the case's own those are the case's sockets. Without
 * one (--no-netns, or a system without namespaces) the host's sockets live
 * there too: a client socket of an earlier run still in TIME_WAIT towards a
 * port the kernel now hands to our listener would be counted as ours. So
 * there the runner picks the port, below Linux's ephemeral range
 * (32768-60999: no connect() takes it as its local port).
 */
#ifndef TCPCLOSE_PLAY_PORT_H
#define TCPCLOSE_PLAY_PORT_H

#include "tcpclose/error.h"
#include "tcpclose/observe.h"
#include "tcpclose/sock.h"

#define TC__PORT_MIN 20000u
#define TC__PORT_SPAN 12000u

struct tc_play;

int tc__port_pick(tc_observer *snap, struct tc_addr *addr, unsigned seed, tc_err *why);
int tc__play_free_port(struct tc_play *play, struct tc_addr *addr, tc_err *why);

#endif
