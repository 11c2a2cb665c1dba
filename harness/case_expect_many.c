/* case_expect_many.c - checkpoints of programs and many connections:
 *   expect ROLE exit N|none
 *   expect ROLE count STATE=N [STATE<=N] [STATE>=N] ... (N or tuples)
 *   expect ROLE churn ok=N [failed=N]                                    */
#include <errno.h>
#include <string.h>

#include "case_parse.h"
#include "tcpclose/tcpstate.h"

int tc__parse_expect_exit(struct tc__parser *p, struct tc_expect_step *e) {
  const char *role = tc_role_name(e->role);
  long n;
  e->kind = TC_EXPECT_EXIT;
  if (!p->c->program_line[e->role])
    return tc__perr(p, "expect %s exit: the %s is not a program (no exec before this line)", role,
                    role);
  if (p->lx.ntok < 4) return tc__perr(p, "'exit' needs a status from 0 to 255 or none");
  const char *v = p->lx.tok[3].s;
  if (strcmp(v, "none") == 0)
    e->exit_status = TC_EXIT_NONE;
  else if (tc__parse_count(v, 255, &n) == 0)
    e->exit_status = (int)n;
  else
    return tc__perr(p, "'exit' needs a status from 0 to 255 or none, not '%s'", v);
  return tc__no_more(p, 4, "the exit status");
}

/* N, or "tuples": the last churn's distinct 4-tuples, which a churn
 * before this line will tell. 0, 1 when num is neither, or the parse error. */
static int parse_term_value(struct tc__parser *p, const char *num, struct tc_count_term *t) {
  long n;
  if (strcmp(num, "tuples") == 0) {
    if (!p->role[TC_CLIENT].churn_line && !p->role[TC_SERVER].churn_line)
      return tc__perr(p, "count =tuples needs a churn before this line");
    t->tuples = 1;
    return 0;
  }
  if (tc__parse_count(num, 100000000L, &n) < 0) return 1;
  t->n = (unsigned long)n;
  return 0;
}

/* "STATE=N", "STATE<=N" or "STATE>=N" into a term. */
static int parse_term(struct tc__parser *p, const char *tok, struct tc_count_term *t, int role) {
  size_t k = strcspn(tok, "<>=");
  char name[32];
  const char *num = tok + k + 1;
  if (tok[k] == '=')
    t->op = TC_COUNT_EQ;
  else if (strncmp(tok + k, "<=", 2) == 0)
    t->op = TC_COUNT_LE, num++;
  else if (strncmp(tok + k, ">=", 2) == 0)
    t->op = TC_COUNT_GE, num++;
  else
    return tc__perr(p, "bad count '%s' (expected STATE=N, STATE<=N or STATE>=N)", tok);
  if (k == 0 || k >= sizeof name)
    return tc__perr(p, "bad count '%s' (expected STATE=N, STATE<=N or STATE>=N)", tok);
  int rc = parse_term_value(p, num, t);
  if (rc > 0) return tc__perr(p, "bad count '%s' (expected STATE=N, STATE<=N or STATE>=N)", tok);
  if (rc < 0) return rc;
  memcpy(name, tok, k);
  name[k] = '\0';
  t->state = tc_state_from_name(name);
  if (t->state == TC_STATE_GONE)
    return tc__perr(p, "sockets that are gone cannot be counted (count a state, e.g. TIME_WAIT=0)");
  if (t->state < 0 || t->state == TC_STATE_CLOSE)
    return tc__perr(p,
                    "unknown state '%s' in count (expected ESTABLISHED, SYN_SENT, SYN_RECV, "
                    "FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING or LISTEN)",
                    name);
  if (t->state == TC_STATE_LISTEN && role == TC_CLIENT)
    return tc__perr(p, "the client has no listener: count LISTEN is the server's");
  return 0;
}

int tc__parse_expect_count(struct tc__parser *p, struct tc_expect_step *e) {
  e->kind = TC_EXPECT_COUNT;
  if (!p->role[TC_SERVER].listen_line)
    return tc__perr(p, "count needs the server's port: no server listen or exec before this line");
  if (p->lx.ntok < 4)
    return tc__perr(p, "'count' needs STATE=N, STATE<=N or STATE>=N (e.g. count CLOSE_WAIT=0)");
  if (p->lx.ntok - 3 > TC_MAX_COUNT) return tc__perr(p, "more than %d counts", TC_MAX_COUNT);
  for (size_t i = 3; i < p->lx.ntok; i++) {
    int rc = parse_term(p, p->lx.tok[i].s, &e->count[e->ncount], (int)e->role);
    if (rc < 0) return rc;
    e->ncount++;
  }
  return 0;
}

static int churn_option(struct tc__parser *p, const char *tok, struct tc_expect_step *e,
                        int *have_ok) {
  const char *ok = tc__option_value(tok, "ok"), *failed = tc__option_value(tok, "failed");
  long n;
  if (ok == NULL && failed == NULL)
    return tc__perr(p, "unknown option '%s' for churn (expected ok=N or failed=N)", tok);
  if (tc__parse_count(ok ? ok : failed, 100000000L, &n) < 0)
    return tc__perr(p, "%s must be a count, not '%s'", ok ? "ok" : "failed", ok ? ok : failed);
  if (ok)
    e->churn_ok = (unsigned long)n, *have_ok = 1;
  else
    e->churn_failed = n;
  return 0;
}

int tc__parse_expect_churn(struct tc__parser *p, struct tc_expect_step *e) {
  const char *role = tc_role_name(e->role);
  int have_ok = 0;
  e->kind = TC_EXPECT_CHURN;
  e->churn_failed = -1;
  if (!p->role[e->role].churn_line)
    return tc__perr(p, "expect %s churn: no %s churn before this line", role, role);
  for (size_t i = 3; i < p->lx.ntok; i++) {
    int rc = churn_option(p, p->lx.tok[i].s, e, &have_ok);
    if (rc < 0) return rc;
  }
  if (!have_ok) return tc__perr(p, "'churn' needs ok=N (e.g. churn ok=1000 failed=0)");
  return 0;
}

int tc_count_holds(const struct tc_count_term *t, unsigned long n) {
  switch (t->op) {
  case TC_COUNT_LE: return n <= t->n;
  case TC_COUNT_GE: return n >= t->n;
  default: return n == t->n;
  }
}

const char *tc_count_op_text(enum tc_count_op op) {
  return op == TC_COUNT_LE ? "<=" : op == TC_COUNT_GE ? ">=" : "=";
}
