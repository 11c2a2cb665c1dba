/* tcpstate.c - state names (see tcpclose/tcpstate.h). */
#include "tcpclose/tcpstate.h"

#include <string.h>

static const char *const state_names[TC_STATE_COUNT] = {
    [TC_STATE_GONE] = "gone",
    [TC_STATE_ESTABLISHED] = "ESTABLISHED",
    [TC_STATE_SYN_SENT] = "SYN_SENT",
    [TC_STATE_SYN_RECV] = "SYN_RECV",
    [TC_STATE_FIN_WAIT1] = "FIN_WAIT1",
    [TC_STATE_FIN_WAIT2] = "FIN_WAIT2",
    [TC_STATE_TIME_WAIT] = "TIME_WAIT",
    [TC_STATE_CLOSE] = "CLOSE",
    [TC_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
    [TC_STATE_LAST_ACK] = "LAST_ACK",
    [TC_STATE_LISTEN] = "LISTEN",
    [TC_STATE_CLOSING] = "CLOSING",
};

const char *tc_state_name(int state) {
  if (state < 0 || state >= TC_STATE_COUNT) return "?";
  return state_names[state];
}

int tc_state_from_name(const char *name) {
  for (int s = 0; s < TC_STATE_COUNT; s++)
    if (strcmp(state_names[s], name) == 0) return s;
  return -1;
}
