/* fuzz_lines.h - feeding a fuzzer's input to a parser of one line at a
 * time.
 *
 * Contract: fuzz_each_line() copies the input, cuts it at every '\n' and
 * calls fn once per line with a NUL-terminated string, as the observers do
 * with what they read (a NUL inside the input ends that line early, as it
 * would for them). Allocates one copy per call and frees it. For the
 * libFuzzer targets of tests/fuzz only.
 */
#ifndef TCPCLOSE_FUZZ_LINES_H
#define TCPCLOSE_FUZZ_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void fuzz_each_line(const uint8_t *data, size_t size, void (*fn)(const char *line)) {
  char *text = malloc(size + 1);
  if (text == NULL) return;
  memcpy(text, data, size);
  text[size] = '\0';
  for (char *line = text, *nl; line != NULL; line = nl ? nl + 1 : NULL) {
    nl = memchr(line, '\n', (size_t)(text + size - line));
    if (nl != NULL) *nl = '\0';
    fn(line);
  }
  free(text);
}

#endif
