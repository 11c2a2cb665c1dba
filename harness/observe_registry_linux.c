/* observe_registry_linux.c - the snapshot observers of a Linux build:
 * sock_diag first (exact kernel lookups, fast with many sockets), then the
 * /proc/net/tcp parser as the fallback. */
#include "observe_backend.h"

const struct tc__observer_backend *const tc__observer_backends[] = {
    &tc__observer_diag, &tc__observer_procfs,
    &tc__observer_netstat, /* net-tools: chosen only with --observer netstat */
};
const size_t tc__observer_nbackends =
    sizeof tc__observer_backends / sizeof tc__observer_backends[0];
const char tc__observer_names[] = "diag, procfs, netstat";
