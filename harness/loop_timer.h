/* loop_timer.h - a libuv timer that measures how late it fires.
 *
 * Contract: one uv_timer_t on the caller's loop, used from the loop's
 * thread only. tc__ltimer_start() arms it for `timeout_ms`, then every
 * `repeat_ms` when that is not 0 (each period counted from the firing
 * before, as libuv's own repeat does). Each firing measures, with
 * uv_hrtime(), how much later than asked the callback runs and keeps the
 * worst in *worst_ms (several timers of one owner may share it). That
 * lateness is the loop's lag: the time some other callback on the shared
 * loop kept it busy, or a blocking call made on it. libuv counts loop time
 * in whole milliseconds, so up to 1 ms of it is libuv's rounding.
 * tc__ltimer_close() closes the handle; close_cb gets the uv_handle_t
 * whose data is the tc__ltimer's.
 */
#ifndef TCPCLOSE_LOOP_TIMER_H
#define TCPCLOSE_LOOP_TIMER_H

#include <stdint.h>
#include <uv.h>

struct tc__ltimer;
typedef void (*tc__ltimer_cb)(struct tc__ltimer *t);

struct tc__ltimer {
  uv_timer_t handle;
  uint64_t due_ns; /* uv_hrtime() it should fire at */
  uint64_t repeat_ms;
  double *worst_ms; /* the owner's worst lateness so far */
  tc__ltimer_cb cb;
  void *data; /* the owner's */
  int open;
};

int tc__ltimer_init(uv_loop_t *loop, struct tc__ltimer *t, double *worst_ms, void *data);
void tc__ltimer_start(struct tc__ltimer *t, tc__ltimer_cb cb, uint64_t timeout_ms,
                      uint64_t repeat_ms);
void tc__ltimer_stop(struct tc__ltimer *t);
/* Closes the handle once; returns 1 when close_cb will be called. */
int tc__ltimer_close(struct tc__ltimer *t, uv_close_cb close_cb);

#endif
