/* loop_timer.c - timers that measure the loop's lag, and the meter of its
 * own work (see loop_timer.h). */
#include "loop_timer.h"

#include <time.h>

static void fired(uv_timer_t *h) {
  struct tc__ltimer *t = (struct tc__ltimer *)h;
  uint64_t now = uv_hrtime();
  double late_ms = now > t->due_ns ? (double)(now - t->due_ns) / 1e6 : 0;
  if (t->worst_ms != NULL && late_ms > *t->worst_ms) *t->worst_ms = late_ms;
  if (t->repeat_ms) {
    /* libuv counts a timeout from the time the turn began: timers that fire
     * in one turn would come due together again, forever (90 plays' polls
     * in one turn). Counted from now, they spread out. */
    uint64_t now_ms = now / 1000000u, turn_ms = uv_now(h->loop);
    uint64_t spent_ms = now_ms > turn_ms ? now_ms - turn_ms : 0;
    t->due_ns = now + t->repeat_ms * 1000000u;
    uv_timer_start(&t->handle, fired, t->repeat_ms + spent_ms, 0);
  }
  t->cb(t);
}

int tc__ltimer_init(uv_loop_t *loop, struct tc__ltimer *t, double *worst_ms, void *data) {
  *t = (struct tc__ltimer){.worst_ms = worst_ms, .data = data};
  int rc = uv_timer_init(loop, &t->handle);
  if (rc < 0) return rc;
  t->handle.data = data;
  t->open = 1;
  return 0;
}

void tc__ltimer_start(struct tc__ltimer *t, tc__ltimer_cb cb, uint64_t timeout_ms,
                      uint64_t repeat_ms) {
  t->cb = cb;
  t->repeat_ms = repeat_ms;
  t->due_ns = uv_hrtime() + timeout_ms * 1000000u;
  uv_timer_start(&t->handle, fired, timeout_ms, 0);
}

void tc__ltimer_stop(struct tc__ltimer *t) {
  if (t->open) uv_timer_stop(&t->handle);
}

int tc__ltimer_close(struct tc__ltimer *t, uv_close_cb close_cb) {
  if (!t->open) return 0;
  t->open = 0;
  uv_close((uv_handle_t *)&t->handle, close_cb);
  return 1;
}

static double thread_cpu_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0) return 0;
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void turn(uv_prepare_t *h) {
  struct tc__lbusy *b = (struct tc__lbusy *)h;
  double now = thread_cpu_ms();
  if (now - b->cpu_ms > *b->worst_ms) *b->worst_ms = now - b->cpu_ms;
  b->cpu_ms = now;
}

int tc__lbusy_start(uv_loop_t *loop, struct tc__lbusy *b, double *worst_ms) {
  *b = (struct tc__lbusy){.worst_ms = worst_ms, .cpu_ms = thread_cpu_ms()};
  int rc = uv_prepare_init(loop, &b->handle);
  if (rc < 0) return rc;
  b->open = 1;
  uv_unref((uv_handle_t *)&b->handle);
  return uv_prepare_start(&b->handle, turn);
}

void tc__lbusy_close(struct tc__lbusy *b) {
  if (!b->open) return;
  b->open = 0;
  uv_close((uv_handle_t *)&b->handle, NULL);
}
