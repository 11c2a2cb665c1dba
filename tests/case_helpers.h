/* case_helpers.h - playing a case text through `tcpclose run --json` and
 * reading its results, for the tests of programs, churn and counts.
 *
 * Contract: th_play() writes text to dir/NAME.case, runs the tcpclose
 * binary on it (with --timeout TIMEOUT when not NULL) and returns the
 * case's object from the results file; *root owns it (json_decref).
 * *status is run's exit status. The check helpers find a check by its line
 * (NULL / -1 when there is none). Test process only; needs root for the
 * case's namespace.
 */
#ifndef TCPCLOSE_TEST_CASE_HELPERS_H
#define TCPCLOSE_TEST_CASE_HELPERS_H

#include <jansson.h>

/* The fixture of these tests: a temporary directory for each test, and
 * the results tree it read last, both gone after the test. */
extern char *th_dir;
extern json_t *th_root;
void th_case_setup(void);
void th_case_teardown(void);

json_t *th_play(const char *dir, const char *name, const char *text, const char *timeout,
                int *status, json_t **root);
const char *th_observed(json_t *kase, int line);
int th_passed(json_t *kase, int line); /* 1, 0, or -1 no such check */
const char *th_str(json_t *o, const char *key);

#endif
