/* report_text.c - what every report writer shares (see report.h): XML
 * escaping and reading a checkpoint out of a results tree. */
#include <string.h>

#include "report.h"

void tc__xml_text(FILE *out, const char *s) {
  for (; s != NULL && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    switch (ch) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default:
      if (ch >= 0x20 || ch == '\t' || ch == '\n') fputc(ch, out);
    }
  }
}

const char *tc__check_what(const char *expect) {
  const char *sp = expect != NULL ? strchr(expect, ' ') : NULL;
  return sp != NULL ? sp + 1 : expect != NULL ? expect : "";
}

int tc__check_result(const json_t *check) {
  if (json_is_true(json_object_get(check, "skipped"))) return -1;
  if (json_is_true(json_object_get(check, "observation"))) return -2;
  return json_is_true(json_object_get(check, "pass"));
}

const char *tc__check_skip_why(const json_t *check) {
  const char *why = tc__json_str(check, "observed", "");
  return strncmp(why, "skipped: ", 9) == 0 ? why + 9 : why;
}

void tc__each_skip_reason(const json_t *c, void (*one)(const char *why, size_t n, void *arg),
                          void *arg) {
  const json_t *checks = json_object_get(c, "checks");
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    if (tc__check_result(ck) != -1) continue;
    const char *why = tc__check_skip_why(ck);
    size_t n = 0, seen_before = 0;
    for (size_t j = 0; j < json_array_size(checks); j++) {
      const json_t *other = json_array_get(checks, j);
      if (tc__check_result(other) != -1 || strcmp(tc__check_skip_why(other), why) != 0) continue;
      seen_before |= j < i;
      n++;
    }
    if (!seen_before) one(why, n, arg);
  }
}

long tc__json_long(const json_t *obj, const char *key, long dflt) {
  const json_t *v = json_object_get(obj, key);
  return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

const char *tc__json_str(const json_t *obj, const char *key, const char *dflt) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s != NULL ? s : dflt;
}
