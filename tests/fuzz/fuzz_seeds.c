/* fuzz_seeds.c - writes the seed corpora of the fuzz targets, from the
 * project's own files, so that no binary corpus is kept in git:
 *   fuzz_seeds FIXTURES_DIR CASES_DIR OUT_DIR
 * makes OUT_DIR/<target>/ for case, procfs, tcpext, netstat, diag, wire,
 * trace and compare. Text and .bin fixtures are copied as they are; the frames of
 * wire_loopback.txt and the records of trace_records.txt, written there in
 * hex, become one seed each in the layouts of fuzz_wire.h and
 * fuzz_trace.h. Exit 0, or 1 with a one-line reason. Run by scripts/fuzz
 * before each run (not a fuzz target: built without libFuzzer). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_trace.h"
#include "fuzz_wire.h"

#define MAX_BYTES 65536

static const char *out_dir;

static void die(const char *what, const char *path) {
  fprintf(stderr, "fuzz_seeds: %s: %s: %s\n", path, what, strerror(errno));
  exit(1);
}

static void write_seed(const char *target, const char *name, const uint8_t *b, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", out_dir, target);
  if (mkdir(path, 0755) < 0 && errno != EEXIST) die("cannot make directory", path);
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) die("cannot write", path);
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) die("cannot read", path);
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

/* Copies every file of dir whose name starts with prefix and ends with suffix. */
static void copy_matching(const char *dir, const char *prefix, const char *suffix,
                          const char *target) {
  static uint8_t buf[1 << 20];
  DIR *d = opendir(dir);
  if (d == NULL) die("cannot open directory", dir);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name), p = strlen(prefix), s = strlen(suffix);
    if (n < p + s || strncmp(e->d_name, prefix, p) != 0 || strcmp(e->d_name + n - s, suffix) != 0)
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    write_seed(target, e->d_name, buf, slurp(path, buf, sizeof buf));
  }
  closedir(d);
}

/* Appends the hex bytes of text (pairs of digits, blanks between any) to b. */
static void hex_bytes(const char *text, uint8_t *b, size_t *n) {
  unsigned byte;
  int used;
  for (const char *p = text; *n < MAX_BYTES && sscanf(p, " %2x%n", &byte, &used) == 1; p += used)
    b[(*n)++] = (uint8_t)byte;
}

/* The link header of linktype for an IP packet of ethertype et (DLT_NULL in
 * this host's order, DLT_LOOP in network order). Its length. */
static size_t link_header(int linktype, unsigned et, uint8_t *h) {
  int v6 = et == 0x86DD;
  uint32_t family = v6 ? (linktype == 108 ? 28 : 24) : 2;
  memset(h, 0, 20);
  switch (linktype) {
  case 0: memcpy(h, &family, 4); return 4;
  case 108:
    h[0] = (uint8_t)(family >> 24), h[1] = (uint8_t)(family >> 16);
    h[2] = (uint8_t)(family >> 8), h[3] = (uint8_t)family;
    return 4;
  case 113: h[14] = (uint8_t)(et >> 8), h[15] = (uint8_t)et; return 16;
  case 276: h[0] = (uint8_t)(et >> 8), h[1] = (uint8_t)et; return 20;
  default: return 0;
  }
}

/* Seeds of one Ethernet frame: its IP packet under every link type. */
static void wire_seeds(int number, const uint8_t *frame, size_t n) {
  static uint8_t seed[MAX_BYTES + 64];
  if (n < 14) return;
  for (size_t i = 0; i < FUZZ_WIRE_NLINKS; i++) {
    int lt = FUZZ_WIRE_LINKS[i];
    size_t hl = 0, len;
    if (lt == 1 || lt == 147) {
      memcpy(seed + 3, frame, len = n);
    } else {
      hl = link_header(lt, (unsigned)(frame[12] << 8 | frame[13]), seed + 3);
      memcpy(seed + 3 + hl, frame + 14, n - 14);
      len = hl + n - 14;
    }
    seed[0] = (uint8_t)i, seed[1] = (uint8_t)(len >> 8), seed[2] = (uint8_t)len;
    char name[64];
    snprintf(name, sizeof name, "frame%02d-dlt%d", number, lt);
    write_seed("wire", name, seed, len + 3);
  }
}

/* The frames read so far, one after another in the layout of fuzz_wire.h
 * on Ethernet: the whole capture, one more seed. */
static uint8_t capture[MAX_BYTES] = {1 /* DLT_EN10MB */};
static size_t ncapture = 1;

static void end_frame(int number, const uint8_t *frame, size_t n) {
  wire_seeds(number, frame, n);
  if (ncapture + 2 + n > sizeof capture) return;
  capture[ncapture] = (uint8_t)(n >> 8), capture[ncapture + 1] = (uint8_t)n;
  memcpy(capture + ncapture + 2, frame, n);
  ncapture += 2 + n;
}

/* wire_loopback.txt: a frame is a tcpdump summary line ("   1  IP ...")
 * followed by "\t0x0000:  hhhh hhhh ..." lines. */
static void wire_fixture(const char *fixtures) {
  static uint8_t frame[MAX_BYTES];
  char path[4096], line[1024];
  snprintf(path, sizeof path, "%s/wire_loopback.txt", fixtures);
  FILE *f = fopen(path, "r");
  if (f == NULL) die("cannot read", path);
  size_t n = 0;
  int number = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (line[0] == '\t' && strchr(line, ':') != NULL) {
      hex_bytes(strchr(line, ':') + 1, frame, &n);
    } else if (line[0] != '#' && n > 0) {
      end_frame(++number, frame, n);
      n = 0;
    }
  }
  if (n > 0) end_frame(++number, frame, n);
  fclose(f);
  write_seed("wire", "capture", capture, ncapture);
}

/* trace_records.txt: "record ID SYSTEM:EVENT TS" then '#' lines and hex
 * lines. A seed: the index of the event in FUZZ_TRACE_EVENTS, then the
 * record's bytes. */
static void trace_fixture(const char *fixtures) {
  static uint8_t rec[MAX_BYTES];
  char path[4096], line[1024], id[64] = "", event[128];
  snprintf(path, sizeof path, "%s/trace_records.txt", fixtures);
  FILE *f = fopen(path, "r");
  if (f == NULL) die("cannot read", path);
  size_t n = 0;
  for (int more = 1; more;) {
    more = fgets(line, sizeof line, f) != NULL;
    if (more && line[0] == '#') continue;
    if (more && strncmp(line, "record ", 7) != 0) {
      if (n > 0) hex_bytes(line, rec, &n);
      continue;
    }
    if (n > 1) write_seed("trace", id, rec, n);
    n = 0;
    if (!more || sscanf(line, "record %63s %127s", id, event) != 2) continue;
    for (char *c = id; *c; c++) *c = *c == '/' ? '-' : *c;
    for (size_t i = 0; i < FUZZ_TRACE_NEVENTS; i++) {
      char name[128];
      snprintf(name, sizeof name, "%s:%s", FUZZ_TRACE_EVENTS[i].system, FUZZ_TRACE_EVENTS[i].name);
      if (strcmp(name, event) == 0) rec[n++] = (uint8_t)i;
    }
  }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fuzz_seeds FIXTURES_DIR CASES_DIR OUT_DIR\n");
    return 1;
  }
  const char *fixtures = argv[1];
  out_dir = argv[3];
  if (mkdir(out_dir, 0755) < 0 && errno != EEXIST) die("cannot make directory", out_dir);
  copy_matching(argv[2], "", ".case", "case");
  copy_matching(fixtures, "proc_net_tcp", ".txt", "procfs");
  copy_matching(fixtures, "proc_net_netstat", ".txt", "tcpext");
  copy_matching(fixtures, "proc_net_sockstat", ".txt", "tcpext");
  copy_matching(fixtures, "netstat_", ".txt", "netstat");
  copy_matching(fixtures, "diag_", ".bin", "diag");
  copy_matching(fixtures, "compare_", ".json", "compare");
  wire_fixture(fixtures);
  trace_fixture(fixtures);
  return 0;
}
