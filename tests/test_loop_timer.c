/* test_loop_timer.c - repeating loop timers that fire in one busy turn come
 * due apart afterwards (harness/loop_timer.h), and their lateness is kept. */
#include <criterion/criterion.h>
#include <time.h>
#include <uv.h>

#include "loop_timer.h"

struct pair {
  struct tc__ltimer t[2];
  int fired[2];
  uint64_t due_in[2]; /* each timer's next due time, as libuv has it, after its first firing */
  double worst_ms;
};

static void spin_ms(double ms) {
  uint64_t until = uv_hrtime() + (uint64_t)(ms * 1e6);
  while (uv_hrtime() < until) {}
}

/* The first timer to fire keeps the turn busy for 4 ms, as 30 plays' polls
 * did; both are then stopped, and their next due times compared. */
static void on_fire(struct tc__ltimer *t) {
  struct pair *p = t->data;
  int i = t == &p->t[0] ? 0 : 1;
  if (++p->fired[i] > 1) return;
  if (p->fired[!i] == 0) spin_ms(4);
  p->due_in[i] = uv_now(t->handle.loop) + uv_timer_get_due_in(&t->handle);
  if (p->fired[!i] > 0) {
    tc__ltimer_stop(&p->t[0]);
    tc__ltimer_stop(&p->t[1]);
  }
}

Test(loop_timer, timers_fired_in_one_busy_turn_come_due_apart) {
  uv_loop_t loop;
  struct pair p = {0};
  cr_assert_eq(uv_loop_init(&loop), 0);
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(tc__ltimer_init(&loop, &p.t[i], &p.worst_ms, &p), 0);
    tc__ltimer_start(&p.t[i], on_fire, 5, 10);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(p.fired[0] + p.fired[1], 2, "each fired once, in one turn");
  uint64_t a = p.due_in[0], b = p.due_in[1];
  uint64_t apart = a > b ? a - b : b - a;
  cr_expect_geq(apart, 3, "due %llu and %llu ms: the busy 4 ms must part them",
                (unsigned long long)a, (unsigned long long)b);
  cr_expect_geq(p.worst_ms, 3.0, "the second fired after the first's 4 ms: lag %.2f ms",
                p.worst_ms);
  for (int i = 0; i < 2; i++) tc__ltimer_close(&p.t[i], NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}
