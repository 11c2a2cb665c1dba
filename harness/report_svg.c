/* report_svg.c - one case as a sequence diagram (see report.h).
 *
 * Like the "four waves" figures TCP is taught with: the client's lifeline
 * on the left, the server's on the right, time running down. Every event of
 * the results (a step, a checkpoint, a state transition, a segment) gets a
 * row of its own, in time order, with its elapsed time on the left, so no
 * two labels ever share a line; a quiet stretch longer than GAP_US becomes a
 * band labelled with its length. The layout is a fixed grid in a monospace
 * font, so text widths are known without measuring, and every colour is an
 * attribute: the SVG reads the same inside the report and alone in an <img>.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "report.h"
#include "report_svg_text.h"

#define WIDTH 1000
#define TIME_X 84 /* right edge of the elapsed times */
#define CX 400    /* client lifeline */
#define SX 680    /* server lifeline */
#define MID ((CX + SX) / 2)
#define TOP 74     /* first row */
#define ROW 24     /* a row: step, checkpoint, state */
#define SEG_ROW 34 /* a segment's row: its label above, its arrow sloping down */
#define GAP_ROW 30 /* a compressed quiet stretch */
#define GAP_US 100000L
#define CHAR_W 7.2  /* 12 px monospace */
#define SMALL_W 6.6 /* 11 px: the words of a checkpoint */

enum ev_kind { EV_STEP, EV_CHECK, EV_STATE, EV_SEG };

struct ev {
  long t_us;
  enum ev_kind kind;
  int role;        /* 0 client, 1 server, -1 between the lifelines */
  size_t order;    /* insertion order: ties keep the results' order */
  const json_t *j; /* the step, transition or segment */
  const json_t *check;
  int y, h; /* its row, from layout() */
};

struct gap {
  int y;
  long us;
};

struct diagram {
  const json_t *c;
  const struct tc__svg_diff *diff;
  struct ev *ev;
  size_t n, cap;
  struct gap *gaps;
  size_t ngaps;
  int height;
  long first_rst_or_fin_us; /* the teardown starts here (-1: none) */
  char *used;               /* checks placed by their step */
  struct tc__svg_peers peers;
};

static int role_of(const char *s) {
  if (s == NULL) return -1;
  if (strcmp(s, "client") == 0) return 0;
  return strcmp(s, "server") == 0 ? 1 : -1;
}

static int add(struct diagram *d, long t_us, enum ev_kind kind, int role, const json_t *j,
               const json_t *check) {
  if (tc__grow(&d->ev, &d->cap, d->n + 1, 64, sizeof *d->ev) < 0) return -ENOMEM;
  d->ev[d->n] =
      (struct ev){.t_us = t_us, .kind = kind, .role = role, .order = d->n, .j = j, .check = check};
  d->n++;
  return 0;
}

/* A step, or for an expect/observe step each check of its line. */
static int add_step(struct diagram *d, const json_t *st) {
  const char *text = tc__json_str(st, "text", "");
  long t = tc__json_long(st, "t_us", 0), line = tc__json_long(st, "line", -1);
  int role = role_of(tc__json_str(st, "role", NULL));
  if (strncmp(text, "expect", 6) != 0 && strncmp(text, "observe", 7) != 0)
    return add(d, t, EV_STEP, role, st, NULL);
  const json_t *checks = json_object_get(d->c, "checks");
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    if (d->used[i] || tc__json_long(ck, "line", -2) != line) continue;
    d->used[i] = 1;
    if (add(d, t, EV_CHECK, role, st, ck) < 0) return -ENOMEM;
  }
  return 0;
}

/* Checks no step places (a results file from before steps were kept):
 * after everything else, in the order of the file. */
static int add_unplaced_checks(struct diagram *d) {
  const json_t *checks = json_object_get(d->c, "checks");
  long t = 0;
  for (size_t i = 0; i < d->n; i++)
    if (d->ev[i].t_us >= t) t = d->ev[i].t_us + 1;
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    const char *what = tc__check_what(tc__json_str(ck, "expect", ""));
    int role = strncmp(what, "client", 6) == 0 ? 0 : strncmp(what, "server", 6) == 0 ? 1 : -1;
    if (!d->used[i] && add(d, t, EV_CHECK, role, NULL, ck) < 0) return -ENOMEM;
  }
  return 0;
}

static int collect_steps(struct diagram *d) {
  const json_t *steps = json_object_get(d->c, "steps");
  size_t nchecks = json_array_size(json_object_get(d->c, "checks"));
  d->used = calloc(nchecks + 1, 1);
  int rc = d->used != NULL ? 0 : -ENOMEM;
  for (size_t i = 0; rc == 0 && i < json_array_size(steps); i++)
    rc = add_step(d, json_array_get(steps, i));
  return rc;
}

static int collect_wire(struct diagram *d) {
  const json_t *ts = json_object_get(d->c, "transitions"),
               *segs = json_object_get(d->c, "segments");
  for (size_t i = 0; i < json_array_size(ts); i++) {
    const json_t *t = json_array_get(ts, i);
    if (add(d, tc__json_long(t, "t_us", 0), EV_STATE, role_of(tc__json_str(t, "role", NULL)), t,
            NULL) < 0)
      return -ENOMEM;
  }
  d->first_rst_or_fin_us = -1;
  for (size_t i = 0; i < json_array_size(segs); i++) {
    const json_t *s = json_array_get(segs, i);
    const char *flags = tc__json_str(s, "flags", "");
    long t = tc__json_long(s, "t_us", 0);
    if (json_is_true(json_object_get(s, "dropped"))) continue; /* never reached the peer */
    if (d->first_rst_or_fin_us < 0 && strpbrk(flags, "FR") != NULL) d->first_rst_or_fin_us = t;
    int from = strcmp(tc__json_str(s, "dir", "c>s"), "s>c") == 0 ? 1 : 0;
    if (add(d, t, EV_SEG, from, s, NULL) < 0) return -ENOMEM;
  }
  return 0;
}

static int by_time(const void *a, const void *b) {
  const struct ev *x = a, *y = b;
  if (x->t_us != y->t_us) return x->t_us < y->t_us ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Rows from the top, a band before each quiet stretch. */
static int layout(struct diagram *d) {
  int y = TOP;
  d->gaps = calloc(d->n + 1, sizeof *d->gaps);
  if (d->gaps == NULL) return -ENOMEM;
  for (size_t i = 0; i < d->n; i++) {
    struct ev *e = &d->ev[i];
    if (i > 0 && e->t_us - d->ev[i - 1].t_us >= GAP_US) {
      d->gaps[d->ngaps++] = (struct gap){.y = y, .us = e->t_us - d->ev[i - 1].t_us};
      y += GAP_ROW;
    }
    e->y = y;
    e->h = e->kind == EV_SEG ? SEG_ROW : ROW;
    y += e->h;
  }
  d->height = y + 24;
  return 0;
}

/* ---- drawing ---- */

static void text_at(FILE *out, double x, int y, const char *anchor, const char *attrs,
                    const char *s) {
  fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" %s>", x, y, anchor, attrs);
  tc__xml_text(out, s);
  fputs("</text>", out);
}

static void draw_head(FILE *out, const struct diagram *d, int role) {
  int x = role == 0 ? CX : SX;
  fprintf(out,
          "<g class=\"head\"><rect x=\"%d\" y=\"12\" width=\"180\" height=\"42\" rx=\"6\" "
          "fill=\"#f1f5f9\" stroke=\"#334155\"/>",
          x - 90);
  text_at(out, x, 30, "middle", "font-weight=\"bold\" fill=\"#0f172a\"",
          role == 0 ? "client" : "server");
  text_at(out, x, 46, "middle", "font-size=\"11\" fill=\"#475569\"", d->peers.addr[role]);
  fputs("</g>\n", out);
}

/* The lifelines: solid, dashed across each quiet band, which is labelled. */
static void draw_lifelines(FILE *out, const struct diagram *d) {
  int y = 54;
  for (size_t g = 0; g <= d->ngaps; g++) {
    int end = g < d->ngaps ? d->gaps[g].y : d->height - 8;
    for (int x = CX; x <= SX; x += SX - CX)
      fprintf(
          out,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#64748b\" stroke-width=\"1.5\"/>",
          x, y, x, end);
    if (g == d->ngaps) break;
    const struct gap *gp = &d->gaps[g];
    char label[48];
    fprintf(
        out,
        "\n<g class=\"gap\"><rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f8fafc\"/>",
        gp->y, WIDTH, GAP_ROW);
    for (int x = CX; x <= SX; x += SX - CX)
      fprintf(out,
              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#94a3b8\" "
              "stroke-dasharray=\"2 4\"/>",
              x, gp->y, x, gp->y + GAP_ROW);
    tc__svg_duration(gp->us, label, sizeof label);
    text_at(out, MID, gp->y + GAP_ROW / 2 + 4, "middle", "font-style=\"italic\" fill=\"#475569\"",
            label);
    fputs("</g>\n", out);
    y = gp->y + GAP_ROW;
  }
  fputs("\n", out);
}

/* Below a role's last transition to gone its lifeline is faint: no
 * connection of that role is left. */
static void draw_ended(FILE *out, const struct diagram *d) {
  for (int role = 0; role < 2; role++) {
    const struct ev *last = NULL;
    for (size_t i = 0; i < d->n; i++)
      if (d->ev[i].kind == EV_STATE && d->ev[i].role == role) last = &d->ev[i];
    if (last == NULL || strcmp(tc__json_str(last->j, "to", ""), "gone") != 0) continue;
    int x = role == 0 ? CX : SX, y = last->y + ROW - 2;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ffffff\" stroke-width=\"4\"/>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#cbd5e1\" stroke-width=\"1.5\" "
            "stroke-dasharray=\"4 4\"/>\n",
            x, y, x, d->height - 8, x, y, x, d->height - 8);
  }
}

static int anchor_y(const struct ev *e) {
  return e->kind == EV_SEG ? e->y + 19 : e->y + ROW / 2 + 4;
}

static void draw_time(FILE *out, const struct ev *e) {
  char t[32];
  if (e->kind == EV_CHECK && e->j == NULL) return; /* unplaced: when is unknown */
  if (e->t_us < 10000000L)
    snprintf(t, sizeof t, "%.3f ms", e->t_us / 1000.0);
  else
    snprintf(t, sizeof t, "%.3f s", e->t_us / 1e6);
  text_at(out, TIME_X, anchor_y(e), "end", "font-size=\"11\" fill=\"#94a3b8\"", t);
}

/* Each role's state as a light bar along its lifeline, from a transition
 * to the next, so a CLOSE_WAIT that lasts a second is seen to last. */
static void draw_bars(FILE *out, const struct diagram *d) {
  for (int role = 0; role < 2; role++) {
    const struct ev *prev = NULL;
    for (size_t i = 0; i <= d->n; i++) {
      const struct ev *e = i < d->n ? &d->ev[i] : NULL;
      if (e != NULL && (e->kind != EV_STATE || e->role != role)) continue;
      if (prev != NULL) {
        const struct tc__svg_style *st = tc__svg_state_style(tc__json_str(prev->j, "to", ""));
        int y0 = prev->y + ROW / 2, y1 = e != NULL ? e->y + ROW / 2 : d->height - 8;
        if (st->bar)
          fprintf(out,
                  "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"%d\" fill=\"%s\" stroke=\"%s\" "
                  "stroke-opacity=\"0.5\"/>",
                  (role == 0 ? CX : SX) - 5, y0, y1 - y0, st->fill, st->stroke);
      }
      prev = e;
    }
  }
  fputs("\n", out);
}

static void draw_state(FILE *out, const struct diagram *d, const struct ev *e) {
  const char *to = tc__json_str(e->j, "to", "?");
  const struct tc__svg_style *st = tc__svg_state_style(to);
  char label[64];
  tc__svg_state_label(d->c, e->j, d->peers.nconns[e->role] > 1, label, sizeof label);
  int x = e->role == 0 ? CX : SX, w = (int)(tc__svg_chars(label) * CHAR_W) + 16;
  int hl = d->diff != NULL && e->role >= 0 && d->diff->path[e->role];
  fprintf(out, "<g class=\"state%s\"><title>%s ", hl ? " diff" : "",
          e->role == 0 ? "client" : "server");
  tc__xml_text(out, tc__json_str(e->j, "from", "?"));
  fputs(" -&gt; ", out);
  tc__xml_text(out, to);
  fprintf(out, " at %.3f ms (seen by ", e->t_us / 1000.0);
  tc__xml_text(out, tc__json_str(e->j, "source", "?"));
  fprintf(out,
          ")</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"9\" fill=\"%s\" "
          "stroke=\"%s\" "
          "stroke-width=\"%s\"/>",
          x - w / 2, e->y + 3, w, st->fill, hl ? "#f59e0b" : st->stroke, hl ? "3" : "1.2");
  text_at(out, x, e->y + 16, "middle", "font-weight=\"bold\" fill=\"#0f172a\"", label);
  fputs("</g>\n", out);
}

static void draw_step(FILE *out, const struct ev *e) {
  char note[96];
  tc__svg_step_note(tc__json_str(e->j, "text", ""), note, sizeof note);
  fprintf(out, "<g class=\"step\"><title>line %ld: ", tc__json_long(e->j, "line", 0));
  tc__xml_text(out, tc__json_str(e->j, "text", ""));
  fputs("</title>", out);
  if (e->role < 0) {
    text_at(out, MID, e->y + ROW / 2 + 4, "middle", "font-style=\"italic\" fill=\"#64748b\"", note);
  } else {
    int w = (int)(tc__svg_chars(note) * CHAR_W) + 12, x = e->role == 0 ? CX - 10 - w : SX + 10;
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"3\" fill=\"#fef3c7\" "
            "stroke=\"#d97706\"/>",
            x, e->y + 3, w);
    text_at(out, x + 6, e->y + 16, "start", "fill=\"#78350f\"", note);
  }
  fputs("</g>\n", out);
}

static int line_differs(const struct diagram *d, long line) {
  for (size_t i = 0; d->diff != NULL && i < d->diff->nlines; i++)
    if (d->diff->lines[i] == line) return 1;
  return 0;
}

static void check_title(FILE *out, const json_t *ck, int res) {
  static const char *const said[] = {"observation", "skipped", "FAILED", "passed"};
  fprintf(out, "<title>line %ld: ", tc__json_long(ck, "line", 0));
  tc__xml_text(out, tc__json_str(ck, "expect", ""));
  fprintf(out, "\n%s\nobserved: ", said[res + 2]);
  tc__xml_text(out, tc__json_str(ck, "observed", ""));
  fputs("</title>", out);
}

static void draw_check(FILE *out, const struct diagram *d, const struct ev *e) {
  static const char *const colour[] = {"#2563eb", "#64748b", "#dc2626", "#16a34a"};
  static const char *const mark[] = {"i", "\xe2\x80\x93", "\xe2\x9c\x97", "\xe2\x9c\x93"};
  static const char *const cls[] = {"observe", "skip", "fail", "pass"};
  int res = tc__check_result(e->check);
  char text[160];
  /* Outwards from the mark, up to the elapsed times or the edge. */
  size_t room = e->role == 0   ? (size_t)((CX - 30 - TIME_X - 10) / SMALL_W)
                : e->role == 1 ? (size_t)((WIDTH - 8 - SX - 30) / SMALL_W)
                               : (size_t)((SX - CX - 40) / SMALL_W);
  tc__svg_check_text(e->check, e->role >= 0, res == 0, room, text, sizeof text);
  int cx = e->role == 0   ? CX - 18
           : e->role == 1 ? SX + 18
                          : MID - (int)(tc__svg_chars(text) * SMALL_W) / 2 - 6;
  int cy = e->y + ROW / 2;
  fprintf(out, "<g class=\"check %s\">", cls[res + 2]);
  check_title(out, e->check, res);
  if (line_differs(d, tc__json_long(e->check, "line", 0)))
    fprintf(out,
            "<circle cx=\"%d\" cy=\"%d\" r=\"11\" fill=\"none\" stroke=\"#f59e0b\" "
            "stroke-width=\"3\"/>",
            cx, cy);
  fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"7\" fill=\"%s\"/>", cx, cy, colour[res + 2]);
  text_at(out, cx, cy + 4, "middle", "font-size=\"11\" font-weight=\"bold\" fill=\"#ffffff\"",
          mark[res + 2]);
  double tx = e->role == 0 ? cx - 12 : cx + 12;
  text_at(out, tx, cy + 4, e->role == 0 ? "end" : "start",
          res == 0    ? "font-size=\"11\" fill=\"#b91c1c\""
          : res == -1 ? "font-size=\"11\" fill=\"#94a3b8\""
                      : "font-size=\"11\" fill=\"#334155\"",
          text);
  fputs("</g>\n", out);
}

/* An arrow from one lifeline to the other, sloping down as it travels. */
static void draw_arrow(FILE *out, int from, int y, const char *colour, int dashed, int highlight) {
  int x1 = from == 0 ? CX : SX, x2 = from == 0 ? SX : CX, y1 = y + 19, y2 = y + SEG_ROW - 3;
  int dir = x2 > x1 ? 1 : -1;
  if (highlight)
    fprintf(out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#fde047\" stroke-width=\"9\" "
            "stroke-linecap=\"round\"/>",
            x1, y1, x2, y2);
  fprintf(out,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.8\"%s/>",
          x1, y1, x2 - dir * 8, y2 - 1, colour, dashed ? " stroke-dasharray=\"6 3\"" : "");
  fprintf(out, "<polygon points=\"%d,%d %d,%d %d,%d\" fill=\"%s\"/>", x2, y2, x2 - dir * 10, y2 - 5,
          x2 - dir * 9, y2 + 3, colour);
}

static void draw_segment(FILE *out, const struct diagram *d, const struct ev *e) {
  const char *flags = tc__json_str(e->j, "flags", "");
  int injected = json_is_true(json_object_get(e->j, "injected")), rst = strchr(flags, 'R') != NULL;
  const char *colour = injected ? "#7c3aed" : tc__svg_flags_colour(flags);
  const char *reason = rst ? tc__svg_reset_reason(d->c, e->j, e->role) : NULL;
  char label[96], line[256];
  tc__svg_segment_label(e->j, &d->peers, injected, label, sizeof label);
  tc__svg_tcpdump_line(e->j, &d->peers, line, sizeof line);
  int teardown = d->first_rst_or_fin_us >= 0 && e->t_us >= d->first_rst_or_fin_us;
  int hl = d->diff != NULL && d->diff->wire && teardown;
  fprintf(out, "<g class=\"segment%s%s%s\"><title>", rst ? " rst" : "", injected ? " injected" : "",
          hl ? " diff" : "");
  tc__xml_text(out, line);
  if (reason != NULL) fputs("\nreset reason: ", out), tc__xml_text(out, reason);
  fputs("</title>", out);
  draw_arrow(out, e->role, e->y, colour, injected, hl);
  fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\" font-weight=\"bold\">",
          MID, e->y + 13, colour);
  tc__xml_text(out, label);
  if (reason != NULL) fputs(" \xc2\xb7 ", out), tc__xml_text(out, reason);
  fputs("</text></g>\n", out);
}

static void draw(FILE *out, const struct diagram *d) {
  const char *name = tc__json_str(d->c, "name", "case");
  fprintf(out,
          "<svg class=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" "
          "font-size=\"12\" role=\"img\" aria-label=\"",
          WIDTH, d->height, WIDTH, d->height);
  tc__xml_text(out, name);
  fprintf(out, "\">\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", WIDTH, d->height);
  text_at(out, 8, 22, "start", "font-weight=\"bold\" fill=\"#0f172a\"", name);
  text_at(out, 8, 40, "start", "font-size=\"11\" fill=\"#64748b\"",
          tc__json_str(d->c, "verdict", ""));
  text_at(out, TIME_X, TOP - 6, "end", "font-size=\"11\" fill=\"#94a3b8\"", "elapsed");
  draw_head(out, d, 0);
  draw_head(out, d, 1);
  draw_lifelines(out, d);
  draw_ended(out, d);
  draw_bars(out, d);
  for (size_t i = 0; i < d->n; i++) {
    const struct ev *e = &d->ev[i];
    draw_time(out, e);
    if (e->kind == EV_STATE)
      draw_state(out, d, e);
    else if (e->kind == EV_STEP)
      draw_step(out, e);
    else if (e->kind == EV_CHECK)
      draw_check(out, d, e);
    else
      draw_segment(out, d, e);
  }
  fputs("</svg>\n", out);
}

int tc__report_svg(FILE *out, const json_t *c, const struct tc__svg_diff *diff) {
  struct diagram d = {.c = c, .diff = diff};
  int rc = collect_steps(&d);
  if (rc == 0) rc = collect_wire(&d);
  if (rc == 0) rc = add_unplaced_checks(&d);
  if (rc == 0) {
    if (d.n > 0) qsort(d.ev, d.n, sizeof *d.ev, by_time);
    tc__svg_peers_find(c, &d.peers);
    rc = layout(&d);
  }
  if (rc == 0) draw(out, &d);
  free(d.ev);
  free(d.gaps);
  free(d.used);
  return rc;
}
