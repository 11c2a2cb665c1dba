/* play_lines.c - the live timeline (`run -v`), in time order.
 *
 * Steps are known the moment they start, kernel events only when the trace
 * and the capture are next drained, every 25 ms: printed as they came, a
 * step would stand before the events that happened just ahead of it. So
 * once those sources are open, lines wait here, kept in time order, until
 * the timeline has read its sources up to their time
 * (tc__lines_release()), and no longer. Without sources there is nothing
 * to wait for and a line prints at once. Owns struct tc__lines; loop
 * thread only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "play_internal.h"

void tc__lines_init(struct tc__lines *l, const struct tc_play_opts *o, int64_t t0_us) {
  *l = (struct tc__lines){.cb = o->on_line, .arg = o->line_arg, .t0_us = t0_us};
}

static void print(struct tc__lines *l, const struct tc__line *line) { l->cb(line->text, l->arg); }

/* Inserted after every line of the same time or earlier: stable. */
static int insert(struct tc__lines *l, const struct tc__line *line) {
  if (tc__grow(&l->v, &l->cap, l->n + 1, 32, sizeof *l->v) < 0) return -1;
  size_t at = l->n;
  while (at > 0 && l->v[at - 1].t_us > line->t_us) at--;
  memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof *l->v);
  l->v[at] = *line;
  l->n++;
  return 0;
}

void tc__lines_add(struct tc__lines *l, int64_t t_us, const char *fmt, ...) {
  if (l->cb == NULL) return;
  struct tc__line line = {.t_us = t_us};
  int n = snprintf(line.text, sizeof line.text, "  %9.3f ms  ", (double)(t_us - l->t0_us) / 1000.0);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line.text + n, sizeof line.text - (size_t)n, fmt, ap);
  va_end(ap);
  if (!l->ordered || insert(l, &line) < 0) print(l, &line);
}

void tc__lines_release(struct tc__lines *l, int64_t upto_us) {
  size_t k = 0;
  while (k < l->n && l->v[k].t_us <= upto_us) print(l, &l->v[k++]);
  if (k == 0) return;
  memmove(l->v, &l->v[k], (l->n - k) * sizeof *l->v);
  l->n -= k;
}

void tc__lines_flush(struct tc__lines *l) {
  for (size_t k = 0; k < l->n; k++) print(l, &l->v[k]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
  l->ordered = 0;
}
