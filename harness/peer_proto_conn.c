/* peer_proto_conn.c - the words of serve and churn on the control channel
 * (see peer_proto.h): connection scripts and a churn's reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer_proto.h"
#include "tcpclose/error.h"

static const char *const shut_names[] = {"rd", "wr", "rdwr"};
static const char *const recv_names[] = {"bytes", "all", "eof"};

static int put_word(const struct tc_conn_action *a, char *buf, size_t len) {
  switch (a->op) {
  case TC_CONN_RECV:
    if (a->recv == TC_RECV_BYTES) return snprintf(buf, len, " recv:bytes:%zu", a->bytes);
    return snprintf(buf, len, " recv:%s", recv_names[a->recv]);
  case TC_CONN_SEND: return snprintf(buf, len, " send:%zu%s", a->bytes, a->text ? ":" : "");
  case TC_CONN_SHUTDOWN: return snprintf(buf, len, " shutdown:%s", shut_names[a->how]);
  case TC_CONN_CLOSE: return snprintf(buf, len, " close:%d", a->linger);
  case TC_CONN_WAIT: return snprintf(buf, len, " wait:%u", a->ms);
  }
  return -1;
}

/* Text travels as hex so that spaces and newlines survive. */
static int put_hex(const char *text, char *buf, size_t len) {
  static const char digits[] = "0123456789abcdef";
  size_t n = strlen(text);
  if (2 * n + 1 > len) return -1;
  for (size_t i = 0; i < n; i++) {
    buf[2 * i] = digits[(unsigned char)text[i] >> 4];
    buf[2 * i + 1] = digits[(unsigned char)text[i] & 15];
  }
  buf[2 * n] = '\0';
  return (int)(2 * n);
}

int tc__proto_conn_script(const struct tc_conn_script *s, char *buf, size_t len, int off) {
  for (size_t i = 0; i < s->n; i++) {
    if (off < 0 || (size_t)off >= len) return -ENOSPC;
    int w = put_word(&s->act[i], buf + off, len - (size_t)off);
    if (w < 0 || (size_t)w >= len - (size_t)off) return -ENOSPC;
    off += w;
    if (s->act[i].op != TC_CONN_SEND || s->act[i].text == NULL) continue;
    if ((w = put_hex(s->act[i].text, buf + off, len - (size_t)off)) < 0) return -ENOSPC;
    off += w;
  }
  return off;
}

static int unhex(const char *hex, size_t n, char **out) {
  if (strspn(hex, "0123456789abcdef") != 2 * n || (*out = malloc(n + 1)) == NULL) return -EINVAL;
  for (size_t i = 0; i < n; i++) {
    char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
    (*out)[i] = (char)strtoul(byte, NULL, 16);
  }
  (*out)[n] = '\0';
  return 0;
}

static int index_of(const char *const *names, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0) return (int)i;
  return -1;
}

/* One word ("recv:bytes:10") into a; it is cut at its colons. */
static int parse_word(char *w, struct tc_conn_action *a) {
  char *arg = strchr(w, ':'), *end;
  if (arg != NULL) *arg++ = '\0';
  const char *v = arg ? arg : "";
  char *more = arg ? strchr(arg, ':') : NULL;
  if (more != NULL) *more++ = '\0';
  long n = strtol(v, &end, 10);
  int num = *v != '\0' && *end == '\0';
  a->linger = TC_LINGER_NONE;
  if (strcmp(w, "recv") == 0) {
    int k = index_of(recv_names, 3, v);
    a->op = TC_CONN_RECV;
    a->recv = k < 0 ? TC_RECV_BYTES : (enum tc_recv_mode)k;
    if (k == TC_RECV_BYTES) a->bytes = more ? strtoul(more, NULL, 10) : 0;
    return k < 0 || (k == TC_RECV_BYTES && a->bytes == 0) ? -EINVAL : 0;
  }
  if (strcmp(w, "send") == 0) {
    a->op = TC_CONN_SEND;
    a->bytes = (size_t)n;
    if (!num || n <= 0) return -EINVAL;
    return more ? unhex(more, a->bytes, &a->text) : 0;
  }
  if (strcmp(w, "shutdown") == 0) {
    int k = index_of(shut_names, 3, v);
    a->op = TC_CONN_SHUTDOWN;
    a->how = (enum tc_shut_how)(k < 0 ? 0 : k);
    return k < 0 ? -EINVAL : 0;
  }
  if (strcmp(w, "close") == 0 && num && n >= -1)
    return a->op = TC_CONN_CLOSE, a->linger = (int)n, 0;
  if (strcmp(w, "wait") == 0 && num && n >= 0) return a->op = TC_CONN_WAIT, a->ms = (unsigned)n, 0;
  return -EINVAL;
}

int tc__proto_conn_script_parse(const char *words, struct tc_conn_script *out) {
  char copy[TC__PROTO_LINE_MAX], *save = NULL;
  memset(out, 0, sizeof *out);
  if (strlen(words) >= sizeof copy) return -EINVAL;
  strcpy(copy, words);
  for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
    if (out->n == TC_CONN_MAX_ACTIONS) return tc__proto_conn_script_free(out), -EINVAL;
    memset(&out->act[out->n], 0, sizeof out->act[0]);
    int rc = parse_word(w, &out->act[out->n++]);
    if (rc < 0) return tc__proto_conn_script_free(out), rc;
  }
  return 0;
}

void tc__proto_conn_script_free(struct tc_conn_script *s) {
  for (size_t i = 0; i < s->n; i++) free(s->act[i].text);
  memset(s, 0, sizeof *s);
}

int tc__proto_churn_format(const struct tc__churn_result *r, char *buf, size_t len) {
  int off =
      snprintf(buf, len, "%lu %lu %lu %llu %.1f", r->ok, r->failed, r->tuples, r->us, r->rate);
  for (size_t i = 0; i < r->nerrs && off >= 0 && (size_t)off < len; i++) {
    const char *name = tc_errno_name(r->errs[i].err);
    if (name)
      off += snprintf(buf + off, len - (size_t)off, " %s=%lu", name, r->errs[i].n);
    else
      off += snprintf(buf + off, len - (size_t)off, " %d=%lu", r->errs[i].err, r->errs[i].n);
  }
  return off < 0 || (size_t)off >= len ? -ENOSPC : 0;
}

static int parse_tally(const char *w, struct tc__churn_result *out) {
  char name[32];
  unsigned long n;
  if (out->nerrs == TC__CHURN_MAX_ERRNOS || sscanf(w, "%31[^=]=%lu", name, &n) != 2) return -EINVAL;
  int err = name[0] >= '0' && name[0] <= '9' ? atoi(name) : tc_errno_from_name(name);
  if (err <= 0) return -EINVAL;
  out->errs[out->nerrs].err = err;
  out->errs[out->nerrs++].n = n;
  return 0;
}

int tc__proto_churn_parse(const char *rest, struct tc__churn_result *out) {
  int used = 0;
  memset(out, 0, sizeof *out);
  if (sscanf(rest, "%lu %lu %lu %llu %lf%n", &out->ok, &out->failed, &out->tuples, &out->us,
             &out->rate, &used) != 5)
    return -EINVAL;
  char w[64];
  int n;
  for (const char *s = rest + used; sscanf(s, "%63s%n", w, &n) == 1; s += n)
    if (parse_tally(w, out) < 0) return -EINVAL;
  return 0;
}
