/* compare_load.h - a results file read and checked, for compare.c and
 * cli_compare.c (internal).
 *
 * Contract: tc_cmp_load() (tcpclose/compare.h) reads one results file with
 * jansson, checks what every file has (tool, schema 1, host, named cases)
 * and keeps the parsed tree; everything else is the reader's to look up,
 * with jansson's accessors, which answer NULL for what is missing. The run
 * owns its tree: pointers into it live until tc_cmp_run_free(). Runs in the
 * calling thread; tc__cmp_str() is pure.
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

/* The string member key of obj, NULL when absent or not a string. */
const char *tc__cmp_str(const json_t *obj, const char *key);

#endif
