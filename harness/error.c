/* error.c - tc_err formatting and errno names (see tcpclose/error.h). */
#include "tcpclose/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tc_errf(tc_err *err, int code, const char *fmt, ...) {
  if (err != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* The errnos a socket call can end with; a table rather than
 * strerrorname_np() because that is glibc-only and case files must read the
 * same on every system. */
static const struct {
  int num;
  const char *name;
} errno_names[] = {
    {ECONNRESET, "ECONNRESET"},
    {EPIPE, "EPIPE"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {ECONNABORTED, "ECONNABORTED"},
    {ETIMEDOUT, "ETIMEDOUT"},
    {ENOTCONN, "ENOTCONN"},
    {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {EAGAIN, "EAGAIN"},
    {EINPROGRESS, "EINPROGRESS"},
    {EBADF, "EBADF"},
    {EINVAL, "EINVAL"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {ENETUNREACH, "ENETUNREACH"},
    {ESHUTDOWN, "ESHUTDOWN"},
    {EISCONN, "EISCONN"},
    {ENOBUFS, "ENOBUFS"},
    {EINTR, "EINTR"},
};

const char *tc_errno_name(int errnum) {
  for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
    if (errno_names[i].num == errnum) return errno_names[i].name;
  return NULL;
}

int tc_errno_from_name(const char *name) {
  for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
    if (strcmp(errno_names[i].name, name) == 0) return errno_names[i].num;
  return 0;
}
