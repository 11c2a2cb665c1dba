/* peer_proto.c - formatting and splitting control lines (see peer_proto.h). */
#include "peer_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- the line channel ---- */

static void reader_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  struct tc__proto_reader *r = h->data;
  (void)hint;
  *buf = uv_buf_init(r->buf + r->len, (unsigned)(sizeof r->buf - r->len - 1));
}

static void reader_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct tc__proto_reader *r = s->data;
  (void)buf;
  if (nread < 0) {
    uv_read_stop(s);
    r->fn(NULL, r->arg);
    return;
  }
  r->len = tc__proto_lines(r->buf, r->len + (size_t)nread, r->fn, r->arg);
  if (r->len == sizeof r->buf - 1) { /* a line longer than the protocol allows */
    uv_read_stop(s);
    r->fn(NULL, r->arg);
  }
}

int tc__proto_read_start(struct tc__proto_reader *r, uv_stream_t *s, tc__proto_line_fn fn,
                         void *arg) {
  r->fn = fn;
  r->arg = arg;
  r->len = 0;
  s->data = r;
  return uv_read_start(s, reader_alloc, reader_read);
}

int tc__proto_pipe_open(uv_loop_t *loop, uv_pipe_t *pipe, int fd, int *inited) {
  int rc = uv_pipe_init(loop, pipe, 0);
  *inited = rc == 0;
  if (rc == 0) rc = uv_pipe_open(pipe, fd);
  if (rc < 0) close(fd);
  return rc;
}

struct line_write {
  uv_write_t req;
  char buf[];
};

static void line_written(uv_write_t *req, int status) {
  (void)status;
  free(req->data);
}

int tc__proto_send(uv_stream_t *s, const char *line) {
  size_t n = strlen(line);
  int nl = n == 0 || line[n - 1] != '\n';
  struct line_write *w = malloc(sizeof *w + n + 1);
  if (w == NULL) return -ENOMEM;
  memcpy(w->buf, line, n);
  if (nl) w->buf[n++] = '\n';
  w->req.data = w;
  uv_buf_t b = uv_buf_init(w->buf, (unsigned)n);
  int rc = uv_write(&w->req, s, &b, 1, line_written);
  if (rc < 0) free(w);
  return rc;
}
