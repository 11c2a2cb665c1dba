/* case_action.c - "ROLE ACTION ..." statements of the case language.
 *
 * One small parser per action for its arguments, then one ordering check
 * (tc__role_track) so that a script that could never run (accept before
 * listen, send after close, anything after exit) is rejected up front. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "case_parse.h"

static const char *const action_names[TC_ACT_COUNT] = {
    "listen", "connect", "accept", "send",   "recv",  "shutdown", "close",
    "exit",   "kill",    "exec",   "signal", "serve", "churn"};

const char *tc_action_name(enum tc_action a) {
  return (unsigned)a < TC_ACT_COUNT ? action_names[a] : "?";
}

const char *tc__option_value(const char *tok, const char *key) {
  size_t n = strlen(key);
  return strncmp(tok, key, n) == 0 && tok[n] == '=' ? tok + n + 1 : NULL;
}

static int parse_listen(struct tc__parser *p, struct tc_action_step *a) {
  a->backlog = 128;
  for (size_t i = 2; i < p->lx.ntok; i++) {
    const char *t = p->lx.tok[i].s, *v;
    long n;
    if (strcmp(t, "reuseaddr") == 0) {
      a->reuseaddr = 1;
    } else if (strcmp(t, "port=same") == 0) {
      a->same_port = 1;
    } else if ((v = tc__option_value(t, "backlog")) != NULL) {
      if (tc__parse_count(v, 65535, &n) < 0)
        return tc__perr(p, "backlog must be a number from 0 to 65535, not '%s'", v);
      a->backlog = (int)n;
    } else {
      return tc__perr(
          p, "unknown option '%s' for listen (expected backlog=N, reuseaddr or port=same)", t);
    }
  }
  return 0;
}

static int parse_send(struct tc__parser *p, struct tc_action_step *a) {
  if (p->lx.ntok < 3) return tc__perr(p, "send needs a byte count or \"text\"");
  const struct tc__token *t = &p->lx.tok[2];
  long n;
  if (t->quoted) {
    if (t->len == 0) return tc__perr(p, "send \"\" sends nothing");
    if ((a->text = strdup(t->s)) == NULL) return -ENOMEM;
    a->bytes = t->len;
  } else if (tc__parse_count(t->s, 1L << 30, &n) == 0 && n > 0) {
    a->bytes = (size_t)n;
  } else {
    return tc__perr(p, "send needs a byte count from 1 to 2^30 or \"text\", not '%s'", t->s);
  }
  return tc__no_more(p, 3, "what to send");
}

static int parse_recv(struct tc__parser *p, struct tc_action_step *a) {
  if (p->lx.ntok < 3) return tc__perr(p, "recv needs a byte count, 'all' or 'eof'");
  const char *t = p->lx.tok[2].s;
  long n;
  if (strcmp(t, "all") == 0) {
    a->recv = TC_RECV_ALL;
  } else if (strcmp(t, "eof") == 0) {
    a->recv = TC_RECV_EOF;
  } else if (tc__parse_count(t, 1L << 30, &n) == 0 && n > 0) {
    a->recv = TC_RECV_BYTES;
    a->bytes = (size_t)n;
  } else {
    return tc__perr(p, "recv needs a byte count, 'all' or 'eof', not '%s'", t);
  }
  return tc__no_more(p, 3, "what to receive");
}

static int parse_shutdown(struct tc__parser *p, struct tc_action_step *a) {
  const char *t = p->lx.ntok >= 3 ? p->lx.tok[2].s : "";
  if (strcmp(t, "wr") == 0)
    a->how = TC_SHUT_WR;
  else if (strcmp(t, "rd") == 0)
    a->how = TC_SHUT_RD;
  else if (strcmp(t, "rdwr") == 0)
    a->how = TC_SHUT_RDWR;
  else
    return tc__perr(p, "shutdown needs wr, rd or rdwr%s%s%s", *t ? " (not '" : "", t,
                    *t ? "')" : "");
  return tc__no_more(p, 3, "the shutdown direction");
}

static int parse_connect(struct tc__parser *p, struct tc_action_step *a) {
  for (size_t i = 2; i < p->lx.ntok; i++) {
    const char *t = p->lx.tok[i].s;
    if (strcmp(t, "reuseaddr") == 0)
      a->reuseaddr = 1;
    else if (strcmp(t, "port=same") == 0)
      a->same_port = 1;
    else
      return tc__perr(p, "unknown option '%s' for connect (expected port=same or reuseaddr)", t);
  }
  return 0;
}

static int parse_close(struct tc__parser *p, struct tc_action_step *a) {
  a->linger = TC_LINGER_NONE;
  if (p->lx.ntok < 3) return 0;
  if (strcmp(p->lx.tok[2].s, "listener") == 0) {
    a->listener = 1;
    return tc__no_more(p, 3, "listener");
  }
  const char *v = tc__option_value(p->lx.tok[2].s, "linger");
  long n;
  if (v == NULL)
    return tc__perr(p, "unknown option '%s' for close (expected linger=N)", p->lx.tok[2].s);
  if (tc__parse_count(v, 3600, &n) < 0)
    return tc__perr(p, "linger must be seconds from 0 to 3600, not '%s'", v);
  a->linger = (int)n;
  return tc__no_more(p, 3, "linger=N");
}

static int parse_args(struct tc__parser *p, struct tc_action_step *a) {
  switch (a->action) {
  case TC_ACT_LISTEN: return parse_listen(p, a);
  case TC_ACT_SEND: return parse_send(p, a);
  case TC_ACT_RECV: return parse_recv(p, a);
  case TC_ACT_SHUTDOWN: return parse_shutdown(p, a);
  case TC_ACT_CLOSE: return parse_close(p, a);
  case TC_ACT_CONNECT: return parse_connect(p, a);
  case TC_ACT_EXEC: return tc__parse_exec(p, a);
  case TC_ACT_SIGNAL: return tc__parse_signal(p, a);
  case TC_ACT_SERVE: return tc__parse_serve(p, a);
  case TC_ACT_CHURN: return tc__parse_churn(p, a);
  default: return tc__no_more(p, 2, tc_action_name(a->action));
  }
}

static int check_listen(struct tc__parser *p, const struct tc_action_step *a,
                        struct tc__role_track *r) {
  /* port=same may retry a listen that failed (EADDRINUSE on a restart) */
  if (r->listener_open && !a->same_port)
    return tc__perr(p, "server listens twice (first at line %d)", r->listen_line);
  if (a->same_port && !r->listen_line)
    return tc__perr(p, "port=same needs an earlier server listen");
  r->listen_line = p->line;
  r->listener_open = 1;
  return 0;
}

/* connect or accept: a new connection, once the previous one is closed. */
static int check_new_conn(struct tc__parser *p, const struct tc_action_step *a,
                          struct tc__role_track *r) {
  const char *role = tc_role_name(a->role), *act = tc_action_name(a->action);
  if (!p->role[TC_SERVER].listen_line) return tc__perr(p, "%s %s before server listen", role, act);
  if (a->action == TC_ACT_ACCEPT && !r->listener_open)
    return tc__perr(p, "server accept after server close at line %d", r->closed_line);
  if (r->conn_open)
    return tc__perr(p, "%s has its connection already (line %d)", role, r->conn_line);
  if (a->same_port && !r->conn_line)
    return tc__perr(p, "port=same needs an earlier client connect");
  r->conn_line = p->line;
  r->conn_open = 1;
  r->nconns++;
  return 0;
}

/* close: the connection if open, else the listener (or `close listener`). */
static int check_close(struct tc__parser *p, const struct tc_action_step *a,
                       struct tc__role_track *r) {
  const char *role = tc_role_name(a->role);
  if (a->listener && !r->listener_open)
    return tc__perr(p, "%s close listener: %s", role,
                    a->role == TC_SERVER ? "no listener is open" : "only the server listens");
  if (a->listener || (!r->conn_open && r->listener_open))
    r->listener_open = 0;
  else if (r->conn_open)
    r->conn_open = 0;
  else if (r->closed_line)
    return tc__perr(p, "%s close after %s close at line %d", role, role, r->closed_line);
  else
    return tc__perr(p, "%s close before it has a socket", role);
  r->closed_line = p->line;
  return 0;
}

/* Rejects an action the script could never perform at this point. */
static int check_order(struct tc__parser *p, const struct tc_action_step *a) {
  struct tc__role_track *r = &p->role[a->role];
  const char *role = tc_role_name(a->role), *act = tc_action_name(a->action);
  int server_only = a->action == TC_ACT_LISTEN || a->action == TC_ACT_ACCEPT;
  if (r->gone_line)
    return tc__perr(p, "%s %s after the %s process ended at line %d", role, act, role,
                    r->gone_line);
  if (server_only && a->role != TC_SERVER)
    return tc__perr(p, "only the server can %s (the client connects)", act);
  if (a->action == TC_ACT_CONNECT && a->role != TC_CLIENT)
    return tc__perr(p, "only the client can connect (the server listens and accepts)");
  switch (a->action) {
  case TC_ACT_LISTEN: return check_listen(p, a, r);
  case TC_ACT_CONNECT:
  case TC_ACT_ACCEPT: return check_new_conn(p, a, r);
  case TC_ACT_CLOSE: return check_close(p, a, r);
  case TC_ACT_EXIT:
  case TC_ACT_KILL: r->gone_line = p->line; return 0;
  case TC_ACT_SERVE:
  case TC_ACT_CHURN: return 0; /* sockets of their own (case_conn.c) */
  default: break;
  }
  if (!r->conn_open && r->conn_line)
    return tc__perr(p, "%s %s after %s close at line %d", role, act, role, r->closed_line);
  if (!r->conn_open)
    return tc__perr(p, "%s %s before it has a connection (%s)", role, act,
                    a->role == TC_CLIENT ? "client connect" : "server accept");
  return 0;
}

/* A trailing '&' (alone, or glued to the last word) runs the action in the
 * background. */
static int take_background(struct tc__parser *p) {
  struct tc__token *t = &p->lx.tok[p->lx.ntok - 1];
  if (t->quoted || t->len == 0 || t->s[t->len - 1] != '&') return 0;
  if (t->len == 1)
    p->lx.ntok--;
  else
    t->s[--t->len] = '\0';
  return 1;
}

/* "recv ... then close [linger=N]": the close is done by the peer itself
 * the moment the recv completes, as a program that closes on EOF does;
 * a round trip through the runner could miss the delayed-ACK window. */
static int take_then(struct tc__parser *p, struct tc_action_step *a) {
  size_t at = 0;
  for (size_t i = 2; i < p->lx.ntok && !at; i++)
    if (!p->lx.tok[i].quoted && strcmp(p->lx.tok[i].s, "then") == 0) at = i;
  if (!at) return 0;
  if (at + 1 >= p->lx.ntok || strcmp(p->lx.tok[at + 1].s, "close") != 0)
    return tc__perr(p, "'then' can only be followed by close [linger=N]");
  a->then_close = 1;
  a->then_linger = TC_LINGER_NONE;
  long n;
  const char *v = at + 2 < p->lx.ntok ? tc__option_value(p->lx.tok[at + 2].s, "linger") : NULL;
  if (at + 2 < p->lx.ntok && (v == NULL || tc__parse_count(v, 3600, &n) < 0))
    return tc__perr(p, "unknown option '%s' for then close (expected linger=N)",
                    p->lx.tok[at + 2].s);
  if (v != NULL) a->then_linger = (int)n;
  if (at + 3 < p->lx.ntok)
    return tc__perr(p, "unexpected '%s' after then close", p->lx.tok[at + 3].s);
  p->lx.ntok = at;
  return 0;
}

/* The rules for programs, then serve and churn, then scripted peers. */
static int check_action(struct tc__parser *p, const struct tc_action_step *a) {
  int rc = tc__check_program(p, a);
  if (rc < 0 || a->action == TC_ACT_EXEC || p->c->program_line[a->role]) return rc;
  if ((rc = tc__check_serve_churn(p, a)) < 0) return rc;
  return check_order(p, a);
}

static void free_args(struct tc_action_step *a) {
  free(a->text);
  free(a->command);
  tc__conn_script_free(&a->conn);
}

int tc__parse_action(struct tc__parser *p) {
  struct tc_action_step a = {0};
  int bg = take_background(p);
  int rc = tc__parse_role(p, p->lx.tok[0].s, &a.role);
  if (rc < 0) return rc;
  if (p->lx.ntok < 2) return tc__perr(p, "'%s' needs an action", p->lx.tok[0].s);
  const char *name = p->lx.tok[1].s;
  a.action = TC_ACT_COUNT;
  for (int i = 0; i < TC_ACT_COUNT; i++)
    if (strcmp(name, action_names[i]) == 0) a.action = (enum tc_action)i;
  if (a.action == TC_ACT_COUNT)
    return tc__perr(p,
                    "unknown action '%s' for %s (expected listen, connect, accept, send, recv, "
                    "shutdown, close, exit, kill, exec, signal, serve or churn)",
                    name, tc_role_name(a.role));
  a.background = bg;
  if ((rc = take_then(p, &a)) < 0) return rc;
  if (a.then_close && a.action != TC_ACT_RECV)
    return tc__perr(p, "'then close' only follows recv (close on end of stream)");
  if (bg && (a.action == TC_ACT_EXIT || a.action == TC_ACT_KILL || a.action == TC_ACT_LISTEN ||
             a.action == TC_ACT_EXEC || a.action == TC_ACT_SIGNAL || a.action == TC_ACT_SERVE))
    return tc__perr(p, "'&' does not apply to %s: it never blocks", name);
  struct tc_action_step close = {.role = a.role, .action = TC_ACT_CLOSE, .linger = a.then_linger};
  if ((rc = parse_args(p, &a)) < 0 || (rc = check_action(p, &a)) < 0 ||
      (a.then_close && (rc = check_order(p, &close)) < 0)) {
    free_args(&a);
    return rc;
  }
  struct tc_step *st = tc__new_step(p, TC_STEP_ACTION);
  if (st == NULL) {
    free_args(&a);
    return -ENOMEM;
  }
  if (!p->role[a.role].first_line) p->role[a.role].first_line = p->line;
  st->u.act = a;
  return 0;
}
