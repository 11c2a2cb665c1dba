/* compare_load.h - a results file read and checked, for compare.c and
 * cli_compare.c (internal).
 *
 * Contract: tc_cmp_load() (tcpclose/compare.h) reads one results file with
 * jansson, checks what every file has (tool, schema 1, host, named cases)
 * and keeps the parsed tree; everything else is the reader's to look up,
 * with jansson's accessors, which answer NULL for what is missing. The run
 * owns its tree: pointers into it live until tc_cmp_run_free(). Runs in the
 * calling thread; tc__cmp_str() is pure.
 * Limits on what it reads: a file larger than TC__CMP_MAX_BYTES is refused
 * unread; nesting deeper than jansson's JSON_PARSER_MAX_DEPTH (2048 in
 * jansson 2.14) is refused by the parser, so nothing after it recurses
 * without bound; more than TC__CMP_MAX_CASES cases, or a case with more
 * than TC__CMP_MAX_CHECKS checks, is refused before any comparison.
 */
#ifndef TCPCLOSE_COMPARE_LOAD_H
#define TCPCLOSE_COMPARE_LOAD_H

#include <jansson.h>

#include "tcpclose/compare.h"

struct tc_cmp_run {
  /* "os-kernel-machine" of its host */
  char *label;
  char *path;
  json_t *root;
  json_t *cases; /* borrowed from root */
};

/* Bounds on what compare takes, so that a damaged or hostile file is
 * refused at once rather than held for minutes: the suite's results file
 * is about 300 KB with 54 cases of at most 30 checks. Bytes bound the
 * memory (the parsed tree takes about 8 times the text); cases and checks
 * per case bound the time (cases are matched by name and checks by line,
 * each by a linear search). */
#define TC__CMP_MAX_BYTES (16L << 20)
#define TC__CMP_MAX_TEXT "16 MiB"
#define TC__CMP_MAX_CASES 4096
#define TC__CMP_MAX_CHECKS 256

/* tc_cmp_load() on text already read (len bytes, NUL bytes included, which
 * JSON refuses); path names it in messages. For the fuzzer, too. */
int tc__cmp_load_text(const char *path, const char *text, size_t len, tc_cmp_run **out,
                      tc_err *err);

/* The string member key of obj, NULL when absent or not a string. */
const char *tc__cmp_str(const json_t *obj, const char *key);

#endif
