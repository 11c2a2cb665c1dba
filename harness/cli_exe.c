/* cli_exe.c - where the runner finds itself and its peer executable (see
 * cli.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"

#ifndef TCPCLOSE_INSTALL_PEER
#define TCPCLOSE_INSTALL_PEER ""
#endif
#ifndef TCPCLOSE_LIBEXEC_PEER
#define TCPCLOSE_LIBEXEC_PEER "libexec/tcpclose/tcpclose-peer"
#endif

/* The running binary's dir followed by rel, when it is an executable. */
static int beside(const char *self, const char *rel, char *peer, size_t len) {
  const char *slash = strrchr(self, '/');
  if (slash == NULL) return 0;
  int n = snprintf(peer, len, "%.*s/%s", (int)(slash - self), self, rel);
  return n > 0 && (size_t)n < len && access(peer, X_OK) == 0;
}

int tc__cli_exes(struct tc__cli_exes *e) {
  size_t len = sizeof e->self;
  if (uv_exepath(e->self, &len) < 0) return -1;
  /* a build tree (or a copied pair), then an installed prefix moved elsewhere */
  if (beside(e->self, "tcpclose-peer", e->peer, sizeof e->peer) ||
      beside(e->self, "../" TCPCLOSE_LIBEXEC_PEER, e->peer, sizeof e->peer))
    return 0;
  if (TCPCLOSE_INSTALL_PEER[0] != '\0' && access(TCPCLOSE_INSTALL_PEER, X_OK) == 0) {
    snprintf(e->peer, sizeof e->peer, "%s", TCPCLOSE_INSTALL_PEER);
    return 0;
  }
  e->peer[0] = '\0'; /* peers run as `tcpclose __peer` */
  return 0;
}
