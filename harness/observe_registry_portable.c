/* observe_registry_portable.c - the snapshot observers of a build without
 * the Linux observers (FreeBSD, macOS, or Linux configured with
 * -DTCPCLOSE_LINUX_OBSERVERS=OFF): the system's netstat first, the one
 * source every Unix has; /proc/net/tcp where netstat is missing. */
#include "observe_backend.h"

const struct tc__observer_backend *const tc__observer_backends[] = {
    &tc__observer_netstat,
    &tc__observer_procfs,
};
const size_t tc__observer_nbackends =
    sizeof tc__observer_backends / sizeof tc__observer_backends[0];
const char tc__observer_names[] = "netstat, procfs";
