/* tcpstate.h - TCP states in one vocabulary.
 *
 * Contract: the numbering follows Linux's TCP_* constants (what /proc/net/tcp
 * and sock_diag print), so Linux observers need no table; observers for other
 * systems map their names onto these. TC_STATE_GONE means "no socket left",
 * which is itself an answer a case can expect. The names are static strings;
 * the functions are pure (any thread).
 */
#ifndef TCPCLOSE_TCPSTATE_H
#define TCPCLOSE_TCPSTATE_H

enum tc_state {
  TC_STATE_GONE = 0,
  TC_STATE_ESTABLISHED = 1,
  TC_STATE_SYN_SENT = 2,
  TC_STATE_SYN_RECV = 3,
  TC_STATE_FIN_WAIT1 = 4,
  TC_STATE_FIN_WAIT2 = 5,
  TC_STATE_TIME_WAIT = 6,
  TC_STATE_CLOSE = 7,
  TC_STATE_CLOSE_WAIT = 8,
  TC_STATE_LAST_ACK = 9,
  TC_STATE_LISTEN = 10,
  TC_STATE_CLOSING = 11,
  TC_STATE_COUNT
};

/* netstat-on-Linux name of a state ("FIN_WAIT2"), "gone" for TC_STATE_GONE,
 * "?" for a value out of range. */
const char *tc_state_name(int state);

/* State for a name as case files write it; -1 when the name is not a state. */
int tc_state_from_name(const char *name);

#endif
