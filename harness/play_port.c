/* play_port.c - the server's port, picked by the runner (play_port.h says
 * why both roles' counts must be 0 on it). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "play_internal.h"
#include "play_port.h"

#define FREE_PORT_TRIES 32

/* The sockets that would count as one of the roles' on addr's port. */
static int used_at(tc_observer *snap, const struct tc_addr *addr, unsigned long *used,
                   tc_err *why) {
  *used = 0;
  for (int r = TC_CLIENT; r <= TC_SERVER; r++) {
    struct tc_count_query q = {.server = *addr, .role = r};
    struct tc_counts c;
    int rc = tc_observer_count(snap, &q, &c, why);
    if (rc < 0) return rc;
    for (int s = 0; s < TC_STATE_COUNT; s++) *used += c.state[s];
  }
  return 0;
}

int tc__port_pick(tc_observer *snap, struct tc_addr *addr, unsigned seed, tc_err *why) {
  for (int tries = 0; tries < FREE_PORT_TRIES; tries++) {
    unsigned long used;
    addr->port = (uint16_t)(TC__PORT_MIN + (unsigned)rand_r(&seed) % TC__PORT_SPAN);
    int rc = used_at(snap, addr, &used, why);
    if (rc < 0) return rc;
    if (used == 0) return 0;
  }
  return tc_errf(why, -EADDRINUSE, "no free port found for the server in %u-%u", TC__PORT_MIN,
                 TC__PORT_MIN + TC__PORT_SPAN - 1);
}

int tc__play_free_port(struct tc_play *play, struct tc_addr *addr, tc_err *why) {
  if (play->obs.snap == NULL)
    return tc_errf(why, -EAGAIN, "no socket observer to find a free port with");
  return tc__port_pick(play->obs.snap, addr, (unsigned)tc__now_us() ^ (unsigned)getpid(), why);
}
