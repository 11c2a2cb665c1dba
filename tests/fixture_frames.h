/* fixture_frames.h - captured frames from a tests/fixtures file written
 * as `tcpdump -# -t -nn -xx` prints them: a numbered summary line, then the
 * frame's bytes in hex lines starting with a tab; `#` lines are comments.
 * Header-only: each test includes it. A missing or malformed fixture fails
 * the test that loads it. */
#ifndef TCPCLOSE_TEST_FIXTURE_FRAMES_H
#define TCPCLOSE_TEST_FIXTURE_FRAMES_H

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 48
#define MAX_FRAME 256

struct frame {
  unsigned number;
  char line[512]; /* what tcpdump printed for it */
  uint8_t bytes[MAX_FRAME];
  size_t len;
};

/* "\t0x0010:  003c 792b 4000 ..." appends its bytes to f. */
static inline void fixture_frames_add_hex(struct frame *f, const char *line) {
  const char *p = strchr(line, ':');
  cr_assert_not_null(p, "no offset in hex line: %s", line);
  for (p++; *p != '\0'; p++) {
    if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1])) continue;
    cr_assert_lt(f->len, MAX_FRAME, "frame %u is longer than %d bytes", f->number, MAX_FRAME);
    char byte[3] = {p[0], p[1], '\0'};
    f->bytes[f->len++] = (uint8_t)strtoul(byte, NULL, 16);
    p++;
  }
}

/* Reads tests/fixtures/NAME into frames (MAX_FRAMES of them); returns how many. */
static inline size_t fixture_frames_load(const char *name, struct frame *frames) {
  char path[1024], line[1024];
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  FILE *fp = fopen(path, "r");
  cr_assert_not_null(fp, "cannot open %s", path);
  size_t n = 0;
  while (fgets(line, sizeof line, fp) != NULL) {
    if (line[0] == '#' || line[0] == '\n') continue;
    if (line[0] == '\t') {
      cr_assert_gt(n, 0, "hex before any frame line");
      fixture_frames_add_hex(&frames[n - 1], line);
      continue;
    }
    cr_assert_lt(n, MAX_FRAMES);
    struct frame *f = &frames[n++];
    int at = 0;
    cr_assert_eq(sscanf(line, " %u %n", &f->number, &at), 1, "not a frame line: %s", line);
    snprintf(f->line, sizeof f->line, "%s", line + at);
    f->len = 0;
  }
  fclose(fp);
  return n;
}

#endif
