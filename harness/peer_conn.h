/* peer_conn.h - plays a connection script (struct tc_conn_script) on one
 * socket: the per-connection half of serve and churn.
 *
 * Contract: runs on the peer's libuv loop, never blocks it (but for
 * close linger=N, the classic blocking close the script asks for). Each
 * step first tries its syscall and waits on a uv_poll_t (or a uv_timer_t
 * for `wait`) only when the kernel says EAGAIN; the handles are made on
 * first need, so a connection whose steps all complete at once costs no
 * handle at all. `done` is called exactly once, possibly before
 * tc__conn_start() returns, with 0 or the -errno of the step that failed;
 * the socket is then closed (a failure, or the script's close) or left
 * open (a script without close: the connection is held until the peer
 * exits). The script must outlive the connection up to that call.
 */
#ifndef TCPCLOSE_PEER_CONN_H
#define TCPCLOSE_PEER_CONN_H

#include <uv.h>

#include "tcpclose/case.h"

typedef void (*tc__conn_done_cb)(void *data, int err);

/* Plays script on fd, a non-blocking socket; `connecting`: connect()
 * returned EINPROGRESS and the connection counts only once it completes.
 * Returns 0, or -ENOMEM (fd untouched, done not called). */
int tc__conn_start(uv_loop_t *loop, int fd, int connecting, const struct tc_conn_script *script,
                   tc__conn_done_cb done, void *data);

/* Raises this process's open-file limit to its hard limit, once: serve and
 * churn hold many sockets. */
void tc__conn_raise_nofile(void);

#endif
