/* observe_procfs.c - snapshot observer reading /proc/net/tcp{,6} (Linux).
 * The fallback when sock_diag is not there: every snapshot reads the whole
 * table, so it gets slow with many sockets, but it needs no privilege and
 * shows orphans and TIME_WAIT mini-sockets like any other line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "observe_backend.h"
#include "tcpclose/procnet.h"

static const char *table_path(int family) {
  return family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp";
}

static int procfs_open(void **state, tc_err *err) {
  *state = NULL;
  if (access(table_path(AF_INET), R_OK) != 0)
    return tc_errf(err, -ENOENT, "observer procfs: %s: %s", table_path(AF_INET), strerror(errno));
  return 0;
}

/* Matches every line of one table against the queries of that family. */
static int scan_table(int family, const struct tc_query *q, size_t n,
                      struct tc_sock *out, tc_err *err) {
  FILE *f = fopen(table_path(family), "r");
  if (f == NULL) {
    if (errno == ENOENT && family == AF_INET6) return 0; /* no IPv6 here */
    return tc_errf(err, -errno, "observer procfs: %s: %s", table_path(family), strerror(errno));
  }
  char line[512];
  struct tc_sock s;
  while (fgets(line, sizeof line, f) != NULL) {
    if (tc_procnet_parse_line(line, family, &s) < 0) continue; /* header */
    for (size_t i = 0; i < n; i++)
      if (q[i].tuple.local.family == family && tc__query_matches(&q[i], &s))
        out[i] = s;
  }
  fclose(f);
  return 0;
}

static int procfs_snapshot(void *state, const struct tc_query *q, size_t n,
                           struct tc_sock *out, tc_err *err) {
  (void)state;
  int need[2] = {0, 0};
  for (size_t i = 0; i < n; i++) need[q[i].tuple.local.family == AF_INET6] = 1;
  int rc = 0;
  if (need[0]) rc = scan_table(AF_INET, q, n, out, err);
  if (rc == 0 && need[1]) rc = scan_table(AF_INET6, q, n, out, err);
  return rc;
}

static void procfs_close(void *state) { (void)state; }

const struct tc__observer_backend tc__observer_procfs = {
    .name = "procfs",
    .open = procfs_open,
    .snapshot = procfs_snapshot,
    .close = procfs_close,
};
