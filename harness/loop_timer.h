/* loop_timer.h - a libuv timer that measures how late it fires, and a
 * meter of the loop's own work.
 *
 * Contract: one uv_timer_t on the caller's loop, used from the loop's
 * thread only. tc__ltimer_start() arms it for `timeout_ms`, then every
 * `repeat_ms` when that is not 0, each period counted from the moment the
 * callback before began (libuv's own repeat counts from the start of the
 * loop's turn, so timers that fired in one busy turn would stay due
 * together for good, and every turn after would run them all). Each firing measures, with
 * uv_hrtime(), how much later than asked the callback runs and keeps the
 * worst in *worst_ms (several timers of one owner may share it). That
 * lateness is the loop's lag: the time some other callback on the shared
 * loop kept it busy, or a blocking call made on it. libuv counts loop time
 * in whole milliseconds, so up to 1 ms of it is libuv's rounding.
 * tc__ltimer_close() closes the handle; close_cb gets the uv_handle_t
 * whose data is the tc__ltimer's.
 * The other cause of lag is outside the loop: a woken loop still waits for
 * a CPU. To tell them apart, tc__lbusy_start() measures the CPU time the
 * loop's thread used in each turn of the loop (from one prepare phase to
 * the next: its callbacks, and the poll, which sleeps), and keeps the
 * longest in *worst_ms: the most the loop's own work ever held it in one
 * turn, whatever the machine's load. Its prepare handle does not keep the
 * loop alive; tc__lbusy_close() closes it.
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

struct tc__lbusy {
  uv_prepare_t handle;
  double cpu_ms; /* the thread's CPU time at the last prepare phase */
  double *worst_ms;
  int open;
};

int tc__lbusy_start(uv_loop_t *loop, struct tc__lbusy *b, double *worst_ms);
void tc__lbusy_close(struct tc__lbusy *b);

#endif
