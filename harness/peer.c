/* peer.c - the peer process's control channel and dispatch (see peer.h). */
#include "peer.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "netns.h"
#include "peer_proto.h"

/* Queues one line to the runner through the protocol's one writer. A
 * runner that is gone is seen by the read side; a line that cannot even be
 * queued leaves the peer nothing to do but end. */
static void send_line(struct tc__peer *p, const char *line) {
  if (tc__proto_send((uv_stream_t *)&p->ctl, line) < 0) _exit(3);
}

void tc__peer_reply(struct tc__peer *p, unsigned id, int err, const char *fmt, ...) {
  char line[1024];
  int n = snprintf(line, sizeof line, "%u %d", id, err);
  if (*fmt != '\0') {
    va_list ap;
    va_start(ap, fmt);
    line[n++] = ' ';
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap); /* cut, never past the end */
    va_end(ap);
  }
  send_line(p, line);
}

static void proto_error(struct tc__peer *p, unsigned id, const char *why) {
  char line[256];
  snprintf(line, sizeof line, "%u proto %s", id, why);
  send_line(p, line);
}

/* Executes one command line; unknown input is a harness bug, reported. */
static void dispatch(struct tc__peer *p, char *line) {
  char verb[16] = "", a1[128] = "", a2[TC__PROTO_LINE_MAX] = "";
  unsigned id = 0;
  long n1 = 0, n2 = 0, n3 = 0, n4 = 0;
  if (sscanf(line, "%u %15s", &id, verb) != 2 || id == 0) {
    proto_error(p, id, "malformed command");
    return;
  }
  const char *args = strchr(strchr(line, ' ') + 1, ' ');
  args = args ? args + 1 : "";
  if (strcmp(verb, "listen") == 0 && sscanf(args, "%127s %ld %ld %ld", a1, &n1, &n2, &n3) == 4)
    tc__peer_listen(p, id, a1, (unsigned)n1, (int)n2, (int)n3);
  else if (strcmp(verb, "connect") == 0 &&
           sscanf(args, "%127s %ld %ld %ld", a1, &n1, &n2, &n4) == 4)
    tc__peer_connect(p, id, a1, (unsigned)n1, (unsigned)n2, (int)n4);
  else if (strcmp(verb, "accept") == 0)
    tc__peer_accept(p, id);
  else if (strcmp(verb, "send") == 0 && sscanf(args, "%ld %8191s", &n1, a2) >= 1)
    tc__peer_send(p, id, (size_t)n1, a2);
  else if (strcmp(verb, "recv") == 0 && sscanf(args, "%127s %ld %ld", a1, &n1, &n2) == 3)
    tc__peer_recv(p, id, a1[0], (size_t)n1, (int)n2);
  else if (strcmp(verb, "shutdown") == 0 && sscanf(args, "%127s", a1) == 1)
    tc__peer_shutdown(p, id, a1);
  else if (strcmp(verb, "close") == 0 && sscanf(args, "%ld %127s", &n1, a1) == 2)
    tc__peer_close(p, id, (int)n1, strcmp(a1, "listener") == 0);
  else if (strcmp(verb, "serve") == 0)
    tc__peer_serve(p, id, args);
  else if (strcmp(verb, "churn") == 0)
    tc__peer_churn(p, id, args);
  else if (strcmp(verb, "exit") == 0)
    _exit(0); /* the point: the kernel, not the program, closes the sockets */
  else
    proto_error(p, id, "unknown command");
}

/* NULL: the runner is gone (end; the kernel cleans up), or it sent a
 * line longer than the protocol allows (a harness bug: end with 3). */
static int on_command(char *line, void *arg) {
  struct tc__peer *p = arg;
  if (line == NULL) _exit(p->reader.len == sizeof p->reader.buf - 1 ? 3 : 0);
  dispatch(p, line);
  return 0;
}

int tc__peer_main(int netns_pid) {
  static struct tc__peer peer;
  struct tc__peer *p = &peer;
  if (netns_pid > 0 && tc__netns_join(netns_pid, NULL, NULL) < 0) return 3;
  signal(SIGPIPE, SIG_IGN); /* EPIPE is an answer, not a reason to die */
  /* A peer models a program that acts the moment the kernel tells it
   * something ("recv eof then close" before the 40 ms delayed ACK). On a
   * busy machine a program waits its turn for the CPU, and the kernel then
   * does something else (four waves instead of three): a peer goes first,
   * so that a case shows the kernel's behaviour, not the machine's load
   * (after the runner, which measures it all: -20).
   * Without the privilege it runs as it is. */
  setpriority(PRIO_PROCESS, 0, -15);
  p->loop = uv_default_loop();
  p->lfd = p->cfd = -1;
  if (uv_pipe_init(p->loop, &p->ctl, 0) < 0 || uv_pipe_open(&p->ctl, TC__PROTO_FD) < 0) return 3;
  if (tc__proto_read_start(&p->reader, (uv_stream_t *)&p->ctl, on_command, p) < 0) return 3;
  uv_run(p->loop, UV_RUN_DEFAULT);
  return 0;
}
