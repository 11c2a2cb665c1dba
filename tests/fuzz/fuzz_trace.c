/* fuzz_trace.c - libFuzzer target: tracepoint records (tc__trace_decode)
 * read through libtraceevent with the formats of Linux 6.18 (the fixture
 * format files, little-endian, 8-byte longs, as captured), and the list
 * helpers a trace runs on what it keeps. Input layout: fuzz_trace.h.
 * Seeds: the records of tests/fixtures/trace_records.txt (fuzz_seeds.c). */
#include <event-parse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_trace.h"
#include "trace_event.h"

static struct tep_handle *tep;
static struct tep_event *events[FUZZ_TRACE_NEVENTS];

static void parse_format(const char *system, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/trace_%s.format", TCPCLOSE_FIXTURES_DIR, name);
  FILE *f = fopen(path, "r");
  char buf[65536];
  size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f == NULL || n == 0 || tep_parse_event(tep, buf, n, system) != 0) {
    fprintf(stderr, "fuzz_trace: cannot parse %s\n", path);
    abort();
  }
  fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  tep = tep_alloc();
  if (tep == NULL) abort();
  tep_set_long_size(tep, 8);
  tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
  for (size_t i = 0; i < FUZZ_TRACE_NEVENTS; i++) {
    parse_format(FUZZ_TRACE_EVENTS[i].system, FUZZ_TRACE_EVENTS[i].name);
    events[i] = tep_find_event_by_name(tep, FUZZ_TRACE_EVENTS[i].system, FUZZ_TRACE_EVENTS[i].name);
    if (events[i] == NULL) abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  struct tep_event *ev = events[data[0] % FUZZ_TRACE_NEVENTS];
  /* A record of its own size, so that ASan sees any read past its end. */
  void *bytes = malloc(size - 1 ? size - 1 : 1);
  if (bytes == NULL) return 0;
  memcpy(bytes, data + 1, size - 1);
  struct tep_record rec = {.ts = 1000000, .size = (int)(size - 1), .data = bytes};
  struct tc_trace_event e[2];
  tc_err err;
  if (tc__trace_kind(ev) >= 0 && tc__trace_decode(ev, &rec, &e[0], &err) == 0) {
    e[1] = e[0];
    tc__trace_wanted(e, 1, &e[1], e[0].tuple.local.port);
    tc__trace_order(e, 2, 0);
    tc__trace_fill_tuples(e, 2, 0);
  }
  free(bytes);
  return 0;
}
