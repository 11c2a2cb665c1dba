/* test_inject_play.c - the inject step played by the runner: a grid case
 * (cases/grid/close-wait-rst-in-window.case: an RST one past RCV.NXT into
 * the server's CLOSE_WAIT) through the real binary. The results mark the
 * crafted segment, and only it, "injected": true; the kernel's answer that
 * follows is the challenge ACK of RFC 5961 3.2 (ack = RCV.NXT, one below
 * the RST's sequence number); the -v timeline says "(injected)"; and a
 * run without a namespace of the case's own skips the case, saying why.
 * Needs root (namespace, capture, raw socket); skips without it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"

#define CELL TCPCLOSE_CASES_DIR "/grid/close-wait-rst-in-window.case"

static char *dir;

static void setup(void) { dir = th_tmpdir(); }
static void teardown(void) { th_rmtree(dir); }

TestSuite(inject_play, .init = setup, .fini = teardown);

/* Plays the cell over IPv4 into dir/r.json; returns its one case. */
static json_t *play_cell(json_t **root, const char *extra) {
  char json[1024];
  snprintf(json, sizeof json, "%s/r.json", dir);
  char *argv[] = {TCPCLOSE_BIN, "run",         "--family", "ipv4", "--json",
                  json,         (char *)extra, CELL,       NULL};
  if (extra == NULL) { /* no option: the cell takes its place */
    argv[6] = CELL;
    argv[7] = NULL;
  }
  struct th_out o;
  int status = th_run(argv, &o);
  *root = json_load_file(json, 0, NULL);
  cr_assert_not_null(*root, "no results (exit %d): %s%s", status, o.out, o.err);
  th_out_free(&o);
  json_t *cases = json_object_get(*root, "cases");
  cr_assert_eq(json_array_size(cases), 1);
  return json_array_get(cases, 0);
}

static const char *str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static json_int_t num(const json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

Test(inject_play, results_mark_the_injected_segment_and_its_answer) {
  if (geteuid() != 0) cr_skip_test("needs root (namespace, capture, raw socket)");
  json_t *root, *c = play_cell(&root, NULL);
  cr_assert_str_eq(str(c, "verdict"), "pass", "%s", str(c, "reason"));
  json_t *segs = json_object_get(c, "segments");
  size_t n = json_array_size(segs), at = n, marked = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_object_get(json_array_get(segs, i), "injected");
    if (s == NULL) continue;
    cr_assert(json_is_true(s), "\"injected\" is written only when true");
    marked++;
    at = i;
  }
  cr_assert_eq(marked, 1, "one injected segment, got %zu", marked);
  const json_t *inj = json_array_get(segs, at), *ans = json_array_get(segs, at + 1);
  cr_assert_str_eq(str(inj, "dir"), "c>s");
  cr_assert_str_eq(str(inj, "flags"), "R");
  cr_assert_not_null(ans, "no answer after the injected RST");
  cr_assert_str_eq(str(ans, "dir"), "s>c");
  cr_assert_str_eq(str(ans, "flags"), ".");
  cr_assert_eq(num(ans, "ack"), num(inj, "seq") - 1, "challenge ACK %lld for RST seq %lld",
               (long long)num(ans, "ack"), (long long)num(inj, "seq"));
  cr_assert_eq(at + 2, n, "nothing after the challenge ACK");
  json_decref(root);
}

Test(inject_play, verbose_timeline_says_injected) {
  if (geteuid() != 0) cr_skip_test("needs root (namespace, capture, raw socket)");
  struct th_out o;
  char *argv[] = {TCPCLOSE_BIN, "run", "-v", "--family", "ipv4", CELL, NULL};
  cr_assert_eq(th_run(argv, &o), 0, "%s%s", o.out, o.err);
  int injected_lines = 0;
  for (const char *p = o.out; (p = strstr(p, " (injected)\n")) != NULL; p++) injected_lines++;
  cr_assert_eq(injected_lines, 1, "%s", o.out);
  cr_assert(strstr(o.out, "wire    c>s R    seq 8 ack 0 len 0 (injected)\n") != NULL, "%s", o.out);
  th_out_free(&o);
}

Test(inject_play, skipped_without_a_namespace_of_its_own) {
  json_t *root, *c = play_cell(&root, "--no-netns");
  cr_assert_str_eq(str(c, "verdict"), "skip");
  cr_assert_str_eq(str(c, "reason"),
                   "needs a network namespace of its own (sysctl, drop, hold, inject): --no-netns");
  json_decref(root);
}
