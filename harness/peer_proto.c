/* peer_proto.c - formatting and splitting control lines (see peer_proto.h). */
#include "peer_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const shut_names[] = {"rd", "wr", "rdwr"};

/* Text payloads travel as hex so that spaces and newlines survive. */
static int put_hex(char *buf, size_t len, int off, const char *text) {
  static const char digits[] = "0123456789abcdef";
  size_t n = strlen(text);
  if (off < 0 || (size_t)off + 2 * n + 2 > len) return -ENOSPC;
  buf[off++] = ' ';
  for (size_t i = 0; i < n; i++) {
    buf[off++] = digits[(unsigned char)text[i] >> 4];
    buf[off++] = digits[(unsigned char)text[i] & 15];
  }
  buf[off] = '\0';
  return off;
}

int tc__proto_command(const struct tc_action_step *a, unsigned id, const struct tc__proto_where *w,
                      char *buf, size_t len) {
  int n;
  switch (a->action) {
  case TC_ACT_LISTEN:
    n = snprintf(buf, len, "%u listen %s %u %d %d", id, w->host, w->port, a->backlog, a->reuseaddr);
    break;
  case TC_ACT_CONNECT:
    n = snprintf(buf, len, "%u connect %s %u %u %d", id, w->host, w->port, w->from_port,
                 a->reuseaddr);
    break;
  case TC_ACT_ACCEPT: n = snprintf(buf, len, "%u accept", id); break;
  case TC_ACT_SEND:
    n = snprintf(buf, len, "%u send %zu", id, a->bytes);
    if (a->text != NULL) n = put_hex(buf, len, n, a->text);
    break;
  case TC_ACT_RECV:
    n = snprintf(buf, len, "%u recv %s %zu %d", id,
                 a->recv == TC_RECV_BYTES ? "bytes"
                 : a->recv == TC_RECV_ALL ? "all"
                                          : "eof",
                 a->bytes, a->then_close ? a->then_linger : -2);
    break;
  case TC_ACT_SHUTDOWN: n = snprintf(buf, len, "%u shutdown %s", id, shut_names[a->how]); break;
  case TC_ACT_CLOSE:
    n = snprintf(buf, len, "%u close %d %s", id, a->linger, a->listener ? "listener" : "auto");
    break;
  case TC_ACT_SERVE:
    n = tc__proto_conn_script(&a->conn, buf, len, snprintf(buf, len, "%u serve", id));
    break;
  case TC_ACT_CHURN:
    n = snprintf(buf, len, "%u churn %s %u %lu %u", id, w->host, w->port, a->churn, a->concurrency);
    n = tc__proto_conn_script(&a->conn, buf, len, n);
    break;
  case TC_ACT_EXIT: n = snprintf(buf, len, "%u exit", id); break;
  default: return -EINVAL; /* kill, exec, signal are the runner's own doing */
  }
  if (n < 0 || (size_t)n + 2 > len) return -ENOSPC;
  buf[n++] = '\n';
  buf[n] = '\0';
  return n;
}

size_t tc__proto_lines(char *buf, size_t len, int (*fn)(char *line, void *arg), void *arg) {
  char *line = buf, *nl;
  buf[len] = '\0';
  while ((nl = strchr(line, '\n')) != NULL) {
    *nl = '\0';
    if (fn(line, arg) != 0) break;
    line = nl + 1;
  }
  len = strlen(line);
  memmove(buf, line, len + 1);
  return len;
}

int tc__proto_reply(char *line, unsigned *id, int *err, char **rest) {
  char *end;
  unsigned long v = strtoul(line, &end, 10);
  if (end == line || *end != ' ' || v == 0) return -EINVAL;
  *id = (unsigned)v;
  char *e = end + 1;
  if (strncmp(e, "proto ", 6) == 0) {
    *err = -1;
    *rest = e + 6;
    return 0;
  }
  long ev = strtol(e, &end, 10);
  if (end == e || ev < 0) return -EINVAL;
  *err = (int)ev;
  *rest = *end == ' ' ? end + 1 : end;
  return 0;
}
