/* compare_load.h - a results file read and checked, for compare and report
 * (internal).
 *
 * Contract: tc_cmp_load() (tcpclose/compare.h) reads one results file with
 * jansson, checks what every file has (tool, schema 1, host, named cases)
 * and keeps the parsed tree; everything else is the reader's to look up,
 * with jansson's accessors, which answer NULL for what is missing. The run
 * owns its tree: pointers into it live until tc_cmp_run_free().
 * Limits on what it reads: a file larger than TC__CMP_MAX_BYTES is refused
 * unread, and nesting deeper than jansson's JSON_PARSER_MAX_DEPTH (2048 in
 * jansson 2.14) is refused by the parser, so nothing after it recurses
 * without bound.
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
  json_t *cases;  /* borrowed from root */
};

/* Results files of the whole suite are about 300 KB; 64 MiB is 200 times
 * that, and bounds what a damaged or hostile file makes compare allocate. */
#define TC__CMP_MAX_BYTES (64L << 20)
#define TC__CMP_MAX_TEXT "64 MiB"

/* tc_cmp_load() on text already read (len bytes, NUL bytes included, which
 * JSON refuses); path names it in messages. For the fuzzer, too. */
int tc__cmp_load_text(const char *path, const char *text, size_t len, tc_cmp_run **out,
                      tc_err *err);

/* The string member key of obj, NULL when absent or not a string. */
const char *tc__cmp_str(const json_t *obj, const char *key);

#endif
