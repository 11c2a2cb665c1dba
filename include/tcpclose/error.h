/* error.h - the one error convention of tcpclose.
 *
 * Contract: every fallible function returns 0 on success or a negative errno
 * (-EINVAL, -ENOENT, ...). Where the caller needs to tell a person what went
 * wrong, the function also fills a tc_err with one line of text, ready to be
 * printed as is ("cases/x.case:7: unknown action 'sned' for client ...").
 * Nothing below the CLI prints: errors travel up in these two values.
 * A tc_err is a plain buffer the caller owns; the functions here are pure
 * (any thread).
 */
#ifndef TCPCLOSE_ERROR_H
#define TCPCLOSE_ERROR_H

#include <stddef.h>

#define TC_ERR_MAX 512

typedef struct tc_err {
  char msg[TC_ERR_MAX];
} tc_err;

/* Formats msg into err (when err is not NULL) and returns code, so that a
 * failure path reads `return tc_errf(err, -EINVAL, "...", ...);`. */
int tc_errf(tc_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Symbolic name of an errno ("ECONNRESET"), or NULL when tcpclose does not
 * know it. Names are what case files use in `expect ROLE error NAME`. */
const char *tc_errno_name(int errnum);

/* errno value for a symbolic name, or 0 when the name is unknown. */
int tc_errno_from_name(const char *name);

#endif
