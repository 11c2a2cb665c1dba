/* case_expect.c - "expect ROLE ..." checkpoints of the case language:
 *   expect ROLE STATE [recvq=N] [sendq=N]
 *   expect ROLE error ERRNO|none
 *   expect ROLE eof                                                       */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "case_parse.h"
#include "tcpclose/tcpstate.h"

static int parse_queue(struct tc__parser *p, const char *tok,
                       struct tc_expect_step *e) {
  const char *eq = strchr(tok, '=');
  long n;
  long *field = NULL;
  if (eq != NULL && strncmp(tok, "recvq", (size_t)(eq - tok)) == 0 && eq - tok == 5)
    field = &e->recvq;
  else if (eq != NULL && strncmp(tok, "sendq", (size_t)(eq - tok)) == 0 && eq - tok == 5)
    field = &e->sendq;
  if (field == NULL)
    return tc__perr(p, "unknown option '%s' for a state checkpoint (expected recvq=N or sendq=N)", tok);
  if (*field != TC_QUEUE_ANY) return tc__perr(p, "%.*s given twice", (int)(eq - tok), tok);
  if (tc__parse_count(eq + 1, 1L << 30, &n) < 0)
    return tc__perr(p, "%.*s must be a byte count, not '%s'", (int)(eq - tok), tok, eq + 1);
  *field = n;
  return 0;
}

static int unknown_state(struct tc__parser *p, const char *s) {
  char up[64];
  size_t i;
  for (i = 0; s[i] && i + 1 < sizeof up; i++) up[i] = (char)toupper((unsigned char)s[i]);
  up[i] = '\0';
  int st = tc_state_from_name(up);
  if (st == TC_STATE_CLOSE)
    return tc__perr(p, "state '%s' is never seen: a closed socket is 'gone'", s);
  if (st > 0)
    return tc__perr(p, "unknown state '%s' (states are written in capitals: %s)", s, up);
  return tc__perr(p, "unknown state '%s' (expected ESTABLISHED, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING, LISTEN, gone, or error/eof)", s);
}

static int parse_state(struct tc__parser *p, struct tc_expect_step *e) {
  const char *s = p->lx.tok[2].s;
  int st = tc_state_from_name(s);
  if (st < 0 || st == TC_STATE_CLOSE) return unknown_state(p, s);
  e->kind = TC_EXPECT_STATE;
  e->state = st;
  for (size_t i = 3; i < p->lx.ntok; i++) {
    int rc = parse_queue(p, p->lx.tok[i].s, e);
    if (rc < 0) return rc;
  }
  if (st == TC_STATE_GONE && (e->recvq != TC_QUEUE_ANY || e->sendq != TC_QUEUE_ANY))
    return tc__perr(p, "a socket that is gone has no queues to check");
  return 0;
}

static int parse_error(struct tc__parser *p, struct tc_expect_step *e) {
  e->kind = TC_EXPECT_ERROR;
  if (p->lx.ntok < 4) return tc__perr(p, "'error' needs an errno name (e.g. ECONNRESET) or none");
  const char *name = p->lx.tok[3].s;
  if (strcmp(name, "none") != 0 && (e->err = tc_errno_from_name(name)) == 0)
    return tc__perr(p, "unknown errno '%s' (e.g. ECONNRESET, EPIPE, or none)", name);
  return tc__no_more(p, 4, "the errno name");
}

int tc__parse_expect(struct tc__parser *p) {
  struct tc_expect_step e = {.recvq = TC_QUEUE_ANY, .sendq = TC_QUEUE_ANY};
  if (p->lx.ntok < 3)
    return tc__perr(p, "'expect' needs a role and a state, 'error ERRNO' or 'eof'");
  int rc = tc__parse_role(p, p->lx.tok[1].s, &e.role);
  if (rc < 0) return rc;
  const char *what = p->lx.tok[2].s;
  if (strcmp(what, "error") == 0) {
    rc = parse_error(p, &e);
  } else if (strcmp(what, "eof") == 0) {
    e.kind = TC_EXPECT_EOF;
    rc = tc__no_more(p, 3, "eof");
  } else {
    rc = parse_state(p, &e);
  }
  if (rc < 0) return rc;
  struct tc_step *st = tc__new_step(p, TC_STEP_EXPECT);
  if (st == NULL) return -ENOMEM;
  st->u.exp = e;
  return 0;
}
