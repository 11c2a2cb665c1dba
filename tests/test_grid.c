/* test_grid.c - `tcpclose grid`: the teardown grid made from a results
 * file (tests/fixtures/grid_results.json, crafted: see
 * tests/fixtures/README.md). Each test asserts the whole output and the
 * exit status: rows and variants in state order, the answer, the states,
 * errors and RST reasons of each cell, a case that did not pass, the
 * family, names that are not grid cells, and bad input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cli_helpers.h"

#define TABLE_HEAD                                                                                 \
  "| state | RST at nxt | RST in window, not nxt | RST outside window | SYN in window | SYN "      \
  "above nxt | FIN again | data | old ACK |\n"                                                     \
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"

static char path[1024];

static char *fixture(const char *name) {
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  return path;
}

static int grid(struct th_out *o, char *a1, char *a2, char *a3) {
  char *argv[] = {TCPCLOSE_BIN, "grid", a1, a2, a3, NULL};
  return th_run(argv, o);
}

Test(grid, ipv4_cells_from_the_results) {
  struct th_out o;
  cr_assert_eq(grid(&o, fixture("grid_results.json"), NULL, NULL), 0);
  cr_assert_str_eq(
      o.out,
      "Grid of 6 cases observed on linux-6.18.44-fc-v657-x86_64 (`tcpclose grid`).\n\n" TABLE_HEAD
      "| FIN_WAIT2 (orphaned) | - | - | - | `R`; client stays FIN_WAIT2 | - | - | - | - |\n"
      "| TIME_WAIT | no answer; client -> gone | - | - | - | - | - | - | - |\n"
      "| TIME_WAIT, rfc1337 | no answer; client stays TIME_WAIT | - | - | - | - | - | - | - |\n"
      "| CLOSE_WAIT | `R`; server -> CLOSE -> gone; server ECONNRESET; client RST reason "
      "NOT_SPECIFIED | `.`; server stays CLOSE_WAIT | - | - | - | - | - | - |\n"
      "| LAST_ACK | - | - | - | - | - | **skip**: no injected segment in the results | - | - |\n");
  cr_assert_str_eq(o.err, "tcpclose grid: grid-established-rst-nxt is not grid-STATE-EVENT (see "
                          "tcpclose grid --help)\n");
  th_out_free(&o);
}

Test(grid, ipv6_cases_and_a_failed_one) {
  struct th_out o;
  cr_assert_eq(grid(&o, "--family", "ipv6", fixture("grid_results.json")), 0);
  cr_assert_str_eq(
      o.out,
      "Grid of 1 case observed on linux-6.18.44-fc-v657-x86_64 (`tcpclose grid`).\n\n" TABLE_HEAD
      "| CLOSE_WAIT | **fail**: no answer; server stays CLOSE_WAIT | - | - | - | - | - | - | "
      "- |\n");
  cr_assert_str_eq(o.err, "");
  th_out_free(&o);
}

Test(grid, a_file_without_grid_cases) {
  struct th_out o;
  cr_assert_eq(grid(&o, fixture("compare_a.json"), NULL, NULL), 1);
  cr_assert_str_eq(o.out, "");
  cr_assert(strstr(o.err, "compare_a.json has no grid-STATE-EVENT case\n") != NULL, "%s", o.err);
  th_out_free(&o);
}

Test(grid, bad_input_and_usage) {
  struct th_out o;
  cr_assert_eq(grid(&o, fixture("compare_not_json.txt"), NULL, NULL), 2);
  cr_assert(strstr(o.err, "compare_not_json.txt: not a tcpclose results file (not JSON") != NULL);
  cr_assert_str_eq(o.out, "");
  th_out_free(&o);
  cr_assert_eq(grid(&o, NULL, NULL, NULL), 2);
  cr_assert_str_eq(o.err, "tcpclose grid: name one results file (see tcpclose grid --help)\n");
  th_out_free(&o);
  cr_assert_eq(grid(&o, "a.json", "b.json", NULL), 2);
  cr_assert_str_eq(o.err, "tcpclose grid: unexpected 'b.json' (see tcpclose grid --help)\n");
  th_out_free(&o);
  cr_assert_eq(grid(&o, "--family", "ipv5", "a.json"), 2);
  cr_assert_str_eq(o.err, "tcpclose grid: --family must be ipv4 or ipv6, not 'ipv5'\n");
  th_out_free(&o);
  cr_assert_eq(grid(&o, "--help", NULL, NULL), 0);
  cr_assert(strncmp(o.out, "usage: tcpclose grid", 20) == 0);
  th_out_free(&o);
}
