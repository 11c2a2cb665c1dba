/* proto.h - the control protocol between the runner and a peer process.
 *
 * Contract: text lines over the peer's fd 3, a socketpair that uv_spawn
 * makes (TC__PROTO_FD). One line per message:
 *   runner -> peer   "ID VERB ARGS\n"
 *     ID listen HOST BACKLOG REUSEADDR    ID connect HOST PORT    ID accept
 *     ID send N [HEXTEXT]                 ID recv bytes N | all | eof
 *     ID shutdown rd|wr|rdwr              ID close LINGER (-1: untouched)
 *     ID exit
 *   peer -> runner   "ID ERRNO FIELDS\n", ERRNO 0 on success:
 *     listen: HOST PORT          connect, accept: LHOST LPORT RHOST RPORT
 *     send: BYTES_SENT           recv: BYTES_READ EOF(0|1)
 *     shutdown, close: nothing
 *   or "ID proto REASON\n" when the peer could not even try (a harness bug).
 * A socket call's failure (ECONNRESET, EPIPE) is an answer, not an error.
 * ID is the step index + 1, so replies of background actions can arrive in
 * any order. `exit` gets no reply: the process ends.
 */
#ifndef TCPCLOSE_PROTO_H
#define TCPCLOSE_PROTO_H

#include <stddef.h>

#include "tcpclose/case.h"

#define TC__PROTO_FD 3
#define TC__PROTO_LINE_MAX 8192

/* Formats the command for an action step. `host`/`port` are where the
 * server listens (used by connect) and the address to bind (listen).
 * Returns the length, or -ENOSPC when buf is too small. */
int tc__proto_command(const struct tc_action_step *a, unsigned id,
                      const char *host, unsigned port, char *buf, size_t len);

/* Splits a reply line into its id, errno (-1 for "proto") and the rest. */
int tc__proto_reply(char *line, unsigned *id, int *err, char **rest);

#endif
