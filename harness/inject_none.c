/* inject_none.c - segment injection where the build has no Linux
 * components (see inject_libnet.h).
 *
 * Contract: tc__inject_send() always fails with -ENOTSUP and one line
 * saying why, so the runner skips a case that injects and tells the person.
 */
#include <errno.h>

#include "inject_libnet.h"

int tc__inject_send(const struct tc__inject_seg *seg, tc_err *err) {
  (void)seg;
  return tc_errf(err, -ENOTSUP,
                 "inject: not in this build (TCPCLOSE_LINUX_OBSERVERS=OFF: no libnet raw sockets)");
}
