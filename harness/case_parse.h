/* case_parse.h - shared state of the case parser's statement modules.
 *
 * Contract: internal to case_parse.c (file, header, wait, settle),
 * case_action.c (ROLE ACTION lines), case_expect.c (expect lines),
 * case_network.c (family, sysctl, drop, hold, release) and case.c (which
 * defines tc__decimal_len for them). Every statement function returns 0 or
 * a negative errno with p->err set to "FILE:LINE: reason" by tc__perr().
 */
#ifndef TCPCLOSE_CASE_PARSE_H
#define TCPCLOSE_CASE_PARSE_H

#include "case_lex.h"
#include "tcpclose/case.h"

/* What the script has done so far per role, to reject impossible orders
 * (accept before listen, send after close) before anything runs. The
 * *_line fields are where it last happened, 0 if it has not. */
struct tc__role_track {
  int listen_line, conn_line, closed_line, gone_line;
  int listener_open, conn_open;
  int nconns;
  int first_line;             /* its first action */
  int serve_line, churn_line; /* its (last) serve, churn */
};

struct tc__parser {
  const char *file;
  int line;
  tc_case *c;
  tc_err *err;
  int case_line;
  size_t cap;
  struct tc__lex_line lx;
  struct tc__role_track role[TC_ROLE_COUNT];
  int holding; /* a hold not yet released */
};

int tc__perr(struct tc__parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int tc__parse_role(struct tc__parser *p, const char *s, enum tc_role *out);

/* A non-negative decimal filling the whole string, at most max. */
int tc__parse_count(const char *s, long max, long *out);

/* Appends a step for the current line; NULL when out of memory. */
struct tc_step *tc__new_step(struct tc__parser *p, enum tc_step_kind kind);

/* Rejects tokens from index `from` on, naming what they came after. */
int tc__no_more(struct tc__parser *p, size_t from, const char *what);

/* Length of a plain decimal ("12", "1.5") at s; 0 when there is none. */
size_t tc__decimal_len(const char *s);

/* A duration token, with the parser's messages for a bad one. */
int tc__parse_duration(struct tc__parser *p, const char *s, unsigned *ms);

/* "key=value": the value, or NULL when tok is not that key. */
const char *tc__option_value(const char *tok, const char *key);

int tc__parse_action(struct tc__parser *p);

/* case_program.c: exec and signal arguments, and what a program's role
 * may do (only signal, kill and checks once it is a program). */
int tc__parse_exec(struct tc__parser *p, struct tc_action_step *a);
int tc__parse_signal(struct tc__parser *p, struct tc_action_step *a);
int tc__check_program(struct tc__parser *p, const struct tc_action_step *a);

/* case_conn.c: serve and churn, and the connection action list they
 * share (tokens from index `from` on). */
int tc__parse_serve(struct tc__parser *p, struct tc_action_step *a);
int tc__parse_churn(struct tc__parser *p, struct tc_action_step *a);
int tc__check_serve_churn(struct tc__parser *p, const struct tc_action_step *a);
int tc__parse_conn_script(struct tc__parser *p, size_t from, struct tc_conn_script *out);
void tc__conn_script_free(struct tc_conn_script *s);
int tc__parse_expect(struct tc__parser *p); /* expect and expect[os,...] */
int tc__parse_observe(struct tc__parser *p);

/* case_expect_many.c: expect ROLE exit|count|churn, tokens 3 on. */
int tc__parse_expect_exit(struct tc__parser *p, struct tc_expect_step *e);
int tc__parse_expect_count(struct tc__parser *p, struct tc_expect_step *e);
int tc__parse_expect_churn(struct tc__parser *p, struct tc_expect_step *e);
int tc__parse_network(struct tc__parser *p); /* family, sysctl, drop, hold, release, inject */

#endif
