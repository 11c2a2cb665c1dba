/* wire_none.c - wire capture where the build has no Linux observers (see
 * tcpclose/wire.h).
 *
 * Contract: tc_wire_open() always fails with -ENOTSUP and one line saying
 * why, so the runner skips wire checks and tells the person; nothing else
 * can be called on a capture that never opened, but each call is safe.
 * Decoding (wire_decode.c) is built everywhere and not stubbed here.
 */
#include <errno.h>
#include <stddef.h>

#include "tcpclose/wire.h"

int tc_wire_open(uint16_t port, tc_wire **out, tc_err *err) {
  (void)port;
  *out = NULL;
  return tc_errf(err, -ENOTSUP, "wire capture: not in this build (TCPCLOSE_LINUX_OBSERVERS=OFF)");
}

int tc_wire_poll(tc_wire *w, tc_err *err) {
  (void)w;
  (void)err;
  return 0;
}

const struct tc_segment *tc_wire_segments(const tc_wire *w, size_t *n) {
  (void)w;
  *n = 0;
  return NULL;
}

void tc_wire_counts(tc_wire *w, unsigned long *read, unsigned long *lost) {
  (void)w;
  *read = *lost = 0;
}

void tc_wire_close(tc_wire *w) { (void)w; }
