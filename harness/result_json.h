/* result_json.h - a run's results as the jansson tree of the results file
 * (internal).
 *
 * Contract: tc__results_tree() builds the tree tc_results_write() writes
 * (schema 1, README.md "Results file"), so that the reports of a run
 * (report.h) read exactly what its results file holds. The caller owns the
 * tree (json_decref); NULL when out of memory.
 */
#ifndef TCPCLOSE_RESULT_JSON_H
#define TCPCLOSE_RESULT_JSON_H

#include <jansson.h>

#include "tcpclose/result.h"

json_t *tc__results_tree(const struct tc_host *h, const struct tc_run_info *run,
                         const tc_case_result *cases, size_t n);

#endif
