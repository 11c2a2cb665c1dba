/* cli_run_sched.c - running cases side by side (see cli_run_sched.h). */
#include "cli_run_sched.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "loop_timer.h"

#define PROGRESS_MS 200
/* Often enough to see a stall of a few milliseconds, cheap enough to cost
 * nothing: the loop's lag as any case's timer would have felt it. */
#define PROBE_MS 10
/* Starting a case (its play, observers and first processes) costs the
 * loop about 0.4 ms of CPU on a slow machine: 32 started in one turn held
 * every timer of the run for 12 ms. One start a turn keeps each turn
 * short; the others follow in the next turns, a fraction of a
 * millisecond apart. */
#define STARTS_PER_TURN 1

struct slot {
  struct sched *s;
  size_t i;
  tc_play *play;
  int done;
};

struct sched {
  uv_loop_t *loop;
  const tc_case *const *cases;
  size_t *order; /* start order: slow cases first */
  size_t n, next, running, printed;
  tc_case_result *results;
  const struct tc__sched_opts *o;
  struct slot *slots;
  uv_signal_t sig[3];
  struct tc__ltimer tick, probe;
  uv_pipe_t first_stream;
  double lag_ms, busy_ms;
  struct tc__lbusy busy;
  uv_idle_t starter; /* runs start_more in the next turn while cases wait */
  uint64_t t0;
  int interrupted;
};

static void progress(struct sched *s) {
  if (s->o->on_progress == NULL) return;
  struct tc__sched_progress p = {.done = s->printed,
                                 .running = s->running,
                                 .left = s->n - s->next,
                                 .elapsed_s = (double)(uv_hrtime() - s->t0) / 1e9};
  s->o->on_progress(&p, s->o->arg);
}

/* Hands results on in case order, as far as they are done. */
static void flush_in_order(struct sched *s) {
  while (s->printed < s->n && s->slots[s->printed].done) {
    if (!s->interrupted) s->o->on_result(&s->results[s->printed], s->o->arg);
    s->printed++;
  }
}

static void start_more(struct sched *s);
static void on_starter(uv_idle_t *h);

static void stop(struct sched *s) {
  for (int i = 0; i < 3; i++) uv_close((uv_handle_t *)&s->sig[i], NULL);
  tc__ltimer_close(&s->tick, NULL);
  tc__ltimer_close(&s->probe, NULL);
  tc__lbusy_close(&s->busy);
  uv_close((uv_handle_t *)&s->starter, NULL);
}

/* The run ends when nothing plays and nothing is left to start; 1 if it
 * ended. */
static int stop_when_done(struct sched *s) {
  if (s->running != 0 || (s->next < s->n && !s->interrupted)) return 0;
  stop(s);
  return 1;
}

static void play_done(tc_play *play, void *arg) {
  struct slot *slot = arg;
  struct sched *s = slot->s;
  tc_play_free(play);
  slot->play = NULL;
  slot->done = 1;
  s->running--;
  if (s->results[slot->i].loop_lag_ms > s->lag_ms) s->lag_ms = s->results[slot->i].loop_lag_ms;
  flush_in_order(s);
  start_more(s);
  if (!stop_when_done(s)) progress(s);
}

/* The start order: cases tagged slow first (so that they overlap all the
 * others and the run lasts about as long as the longest case), then the
 * others, in case order within each. */
static int make_order(struct sched *s) {
  size_t k = 0;
  if ((s->order = malloc((s->n ? s->n : 1) * sizeof *s->order)) == NULL) return -ENOMEM;
  for (int slow = 1; slow >= 0; slow--)
    for (size_t i = 0; i < s->n; i++)
      if (tc_case_has_tag(s->cases[i], "slow") == slow) s->order[k++] = i;
  return 0;
}

/* tc_play_start fails only without memory for the play: the run stops
 * starting cases, as on an interrupt, and says so through the verdict. */
static void start_more(struct sched *s) {
  int started = 0;
  while (!s->interrupted && s->running < s->o->jobs && s->next < s->n) {
    if (started++ == STARTS_PER_TURN) { /* the rest in the next turns */
      uv_idle_start(&s->starter, on_starter);
      return;
    }
    size_t i = s->order[s->next++];
    struct slot *slot = &s->slots[i];
    if (s->o->on_start) s->o->on_start(s->cases[i], s->o->arg);
    if (tc_play_start(s->loop, s->cases[i], s->o->play, &s->results[i], play_done, slot,
                      &slot->play) < 0) {
      s->interrupted = SIGABRT;
      break;
    }
    s->running++;
  }
  uv_idle_stop(&s->starter);
}

/* A start that fails (no memory) after every other case ended leaves
 * nothing to end the run but this. */
static void on_starter(uv_idle_t *h) {
  start_more(h->data);
  stop_when_done(h->data);
}

static void on_signal(uv_signal_t *h, int signum) {
  struct sched *s = h->data;
  s->interrupted = signum;
  for (size_t i = 0; i < s->n; i++)
    if (s->slots[i].play != NULL) tc_play_abort(s->slots[i].play, "interrupted");
  if (s->running == 0) stop(s);
}

static void on_tick(struct tc__ltimer *t) { progress(t->data); }

/* Descriptors open now; -1 where /proc/self/fd is not. */
static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (d == NULL) return -1;
  while (readdir(d) != NULL) n++;
  closedir(d);
  return n;
}
static void on_probe(struct tc__ltimer *t) { (void)t; }

static void start_handles(struct sched *s) {
  static const int signums[3] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; i++) {
    uv_signal_init(s->loop, &s->sig[i]);
    s->sig[i].data = s;
    uv_signal_start(&s->sig[i], on_signal, signums[i]);
  }
  tc__ltimer_init(s->loop, &s->tick, &s->lag_ms, s);
  tc__ltimer_init(s->loop, &s->probe, &s->lag_ms, s);
  if (s->o->on_progress) tc__ltimer_start(&s->tick, on_tick, PROGRESS_MS, PROGRESS_MS);
  tc__ltimer_start(&s->probe, on_probe, PROBE_MS, PROBE_MS);
  tc__lbusy_start(s->loop, &s->busy, &s->busy_ms);
  uv_idle_init(s->loop, &s->starter);
  s->starter.data = s;
  /* libuv opens a spare descriptor with a loop's first stream (for
   * accept's EMFILE) and keeps it as long as the loop: opened here, it is
   * not counted as the cases'. */
  if (uv_pipe_init(s->loop, &s->first_stream, 0) == 0)
    uv_close((uv_handle_t *)&s->first_stream, NULL);
}

int tc__sched_run(const tc_case *const *cases, size_t n, tc_case_result *results,
                  const struct tc__sched_opts *o, int *interrupted, struct tc_run_info *info,
                  int *fds_left) {
  struct sched s = {.loop = uv_default_loop(),
                    .cases = cases,
                    .n = n,
                    .results = results,
                    .o = o,
                    .t0 = uv_hrtime()};
  if ((s.slots = calloc(n ? n : 1, sizeof *s.slots)) == NULL || make_order(&s) < 0) {
    free(s.slots);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++) s.slots[i] = (struct slot){.s = &s, .i = i};
  start_handles(&s);
  int fds = open_fds();
  start_more(&s);
  stop_when_done(&s);
  uv_run(s.loop, UV_RUN_DEFAULT);
  *fds_left = fds >= 0 ? open_fds() - fds : 0;
  uv_loop_close(s.loop);
  free(s.slots);
  free(s.order);
  *interrupted = s.interrupted;
  info->loop_lag_ms = s.lag_ms;
  info->loop_busy_ms = s.busy_ms;
  return 0;
}
