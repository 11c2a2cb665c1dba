/* fuzz_case.c - libFuzzer target: the case language (tc_case_parse_text),
 * lexer included, on whole files. Seeds: the case files of cases/. A file with a NUL
 * byte is refused by tc_case_parse_file() before parsing, so the text here
 * ends at the first NUL, as a C string does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpclose/case.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  tc_case c;
  tc_err err;
  if (tc_case_parse_text("fuzz.case", text, &c, &err) == 0) tc_case_free(&c);
  free(text);
  return 0;
}
