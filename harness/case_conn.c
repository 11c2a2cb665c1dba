/* case_conn.c - many connections:
 *   server serve [ACTIONS]
 *   client churn N [concurrency=C] [ACTIONS]
 * ACTIONS is one list, played on each connection in order:
 *   recv N|all|eof, send N|"text", shutdown wr|rd|rdwr, close [linger=N],
 *   wait DURATION
 * (struct tc_conn_script, shared by both so that the peer plays them with
 * one player). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "case_parse.h"

#define CHURN_MAX 10000000L
#define CONCURRENCY_MAX 10000L

static const char *const op_names[] = {"recv", "send", "shutdown", "close", "wait"};

const char *tc_conn_op_name(enum tc_conn_op op) {
  return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

void tc__conn_script_free(struct tc_conn_script *s) {
  for (size_t i = 0; i < s->n; i++) free(s->act[i].text);
  s->n = 0;
}

/* The token at *i, or NULL (with a message) when the line ends there. */
static const struct tc__token *arg(struct tc__parser *p, size_t i, const char *need) {
  if (i < p->lx.ntok) return &p->lx.tok[i];
  tc__perr(p, "%s", need);
  return NULL;
}

static int conn_recv(struct tc__parser *p, size_t *i, struct tc_conn_action *a) {
  const struct tc__token *t = arg(p, ++*i, "recv needs a byte count, 'all' or 'eof'");
  long n;
  if (t == NULL) return -EINVAL;
  if (strcmp(t->s, "all") == 0)
    a->recv = TC_RECV_ALL;
  else if (strcmp(t->s, "eof") == 0)
    a->recv = TC_RECV_EOF;
  else if (!t->quoted && tc__parse_count(t->s, 1L << 30, &n) == 0 && n > 0)
    a->bytes = (size_t)n;
  else
    return tc__perr(p, "recv needs a byte count, 'all' or 'eof', not '%s'", t->s);
  return 0;
}

static int conn_send(struct tc__parser *p, size_t *i, struct tc_conn_action *a) {
  const struct tc__token *t = arg(p, ++*i, "send needs a byte count or \"text\"");
  long n;
  if (t == NULL) return -EINVAL;
  if (t->quoted && t->len == 0) return tc__perr(p, "send \"\" sends nothing");
  if (t->quoted) {
    a->bytes = t->len;
    return (a->text = strdup(t->s)) ? 0 : -ENOMEM;
  }
  if (tc__parse_count(t->s, 1L << 30, &n) < 0 || n == 0)
    return tc__perr(p, "send needs a byte count from 1 to 2^30 or \"text\", not '%s'", t->s);
  a->bytes = (size_t)n;
  return 0;
}

static int conn_shutdown(struct tc__parser *p, size_t *i, struct tc_conn_action *a) {
  const struct tc__token *t = arg(p, ++*i, "shutdown needs wr, rd or rdwr");
  if (t == NULL) return -EINVAL;
  if (strcmp(t->s, "wr") == 0)
    a->how = TC_SHUT_WR;
  else if (strcmp(t->s, "rd") == 0)
    a->how = TC_SHUT_RD;
  else if (strcmp(t->s, "rdwr") == 0)
    a->how = TC_SHUT_RDWR;
  else
    return tc__perr(p, "shutdown needs wr, rd or rdwr (not '%s')", t->s);
  return 0;
}

/* close, optionally followed by linger=N. */
static int conn_close(struct tc__parser *p, size_t *i, struct tc_conn_action *a) {
  const char *v = *i + 1 < p->lx.ntok ? tc__option_value(p->lx.tok[*i + 1].s, "linger") : NULL;
  long n;
  a->linger = TC_LINGER_NONE;
  if (v == NULL) return 0;
  ++*i;
  if (tc__parse_count(v, 3600, &n) < 0)
    return tc__perr(p, "linger must be seconds from 0 to 3600, not '%s'", v);
  a->linger = (int)n;
  return 0;
}

static int conn_wait(struct tc__parser *p, size_t *i, struct tc_conn_action *a) {
  const struct tc__token *t = arg(p, ++*i, "wait needs a duration (e.g. 100ms)");
  return t == NULL ? -EINVAL : tc__parse_duration(p, t->s, &a->ms);
}

/* One action at token *i; *i is left on its last token. */
static int conn_action(struct tc__parser *p, size_t *i, struct tc_conn_action *a) {
  const char *w = p->lx.tok[*i].s;
  int (*const parse[])(struct tc__parser *, size_t *, struct tc_conn_action *) = {
      conn_recv, conn_send, conn_shutdown, conn_close, conn_wait};
  for (size_t k = 0; k < sizeof op_names / sizeof op_names[0]; k++) {
    if (p->lx.tok[*i].quoted || strcmp(w, op_names[k]) != 0) continue;
    a->op = (enum tc_conn_op)k;
    return parse[k](p, i, a);
  }
  return tc__perr(
      p, "unknown connection action '%s' (expected recv, send, shutdown, close or wait)", w);
}

int tc__parse_conn_script(struct tc__parser *p, size_t from, struct tc_conn_script *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = from; i < p->lx.ntok; i++) {
    if (out->n > 0 && out->act[out->n - 1].op == TC_CONN_CLOSE)
      return tc__perr(p, "'%s' after close: a connection's actions end with close", p->lx.tok[i].s);
    if (out->n == TC_CONN_MAX_ACTIONS)
      return tc__perr(p, "more than %d actions for each connection", TC_CONN_MAX_ACTIONS);
    struct tc_conn_action *a = &out->act[out->n];
    memset(a, 0, sizeof *a);
    a->linger = TC_LINGER_NONE;
    int rc = conn_action(p, &i, a);
    out->n++; /* counted even when it failed: its text is freed with the rest */
    if (rc < 0) return rc;
  }
  return 0;
}

int tc__parse_serve(struct tc__parser *p, struct tc_action_step *a) {
  return tc__parse_conn_script(p, 2, &a->conn);
}

/* N, then concurrency=C, then the actions. */
int tc__parse_churn(struct tc__parser *p, struct tc_action_step *a) {
  long n;
  if (p->lx.ntok < 3) return tc__perr(p, "churn needs a connection count (e.g. churn 1000 close)");
  if (tc__parse_count(p->lx.tok[2].s, CHURN_MAX, &n) < 0 || n == 0)
    return tc__perr(p, "churn needs a connection count from 1 to %ld, not '%s'", CHURN_MAX,
                    p->lx.tok[2].s);
  a->churn = (unsigned long)n;
  a->concurrency = 1;
  size_t at = 3;
  const char *v = at < p->lx.ntok ? tc__option_value(p->lx.tok[at].s, "concurrency") : NULL;
  if (v != NULL) {
    if (tc__parse_count(v, CONCURRENCY_MAX, &n) < 0 || n == 0)
      return tc__perr(p, "concurrency must be from 1 to %ld, not '%s'", CONCURRENCY_MAX, v);
    a->concurrency = (unsigned)n < a->churn ? (unsigned)n : (unsigned)a->churn;
    at++;
  }
  return tc__parse_conn_script(p, at, &a->conn);
}

/* serve takes the listener over: the server accepts no more by itself. */
static int check_serve(struct tc__parser *p, struct tc__role_track *r) {
  if (r->serve_line) return tc__perr(p, "server serves twice (first at line %d)", r->serve_line);
  if (!r->listener_open && r->listen_line)
    return tc__perr(p, "server serve after server close at line %d", r->closed_line);
  if (!r->listener_open) return tc__perr(p, "server serve before server listen");
  r->serve_line = p->line;
  return 0;
}

int tc__check_serve_churn(struct tc__parser *p, const struct tc_action_step *a) {
  struct tc__role_track *r = &p->role[a->role];
  if (a->action == TC_ACT_SERVE && a->role != TC_SERVER)
    return tc__perr(p, "only the server can serve (the client connects or churns)");
  if (a->action == TC_ACT_CHURN && a->role != TC_CLIENT)
    return tc__perr(p, "only the client can churn (the server listens and serves)");
  if (a->action == TC_ACT_SERVE) return check_serve(p, r);
  if (a->action == TC_ACT_ACCEPT && r->serve_line)
    return tc__perr(p,
                    "server accept after server serve at line %d (serve accepts every connection)",
                    r->serve_line);
  if (a->action == TC_ACT_CHURN && !p->role[TC_SERVER].listen_line)
    return tc__perr(p, "client churn before server listen");
  if (a->action == TC_ACT_CHURN) r->churn_line = p->line;
  return 0;
}
