/* test_case_parse.c - the case language (tcpclose/case.h): what valid case
 * text parses into, and the exact "FILE:LINE: reason" of every rejection
 * the parser can produce (harness/case_*.c, harness/case.c). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "tcpclose/case.h"
#include "tcpclose/tcpstate.h"

/* Line 1 of most texts below, so that their messages name line 2 on. */
#define HEAD "case t\n"
/* Lines 1-4: a connected pair, so that the next line is line 5. */
#define CONNECTED HEAD "server listen\nclient connect\nserver accept\n"

/* ---- helpers ---- */

static void parse_ok(const char *file, const char *text, tc_case *c) {
  tc_err err = {{0}};
  int rc = tc_case_parse_text(file, text, c, &err);
  cr_assert_eq(rc, 0, "expected the text to parse but got: %s", err.msg);
}

/* The case must come back zeroed however far the parser got. */
static void assert_zeroed(const tc_case *c) {
  cr_assert_null(c->steps);
  cr_assert_eq(c->nsteps, 0);
  cr_assert_eq(c->ntags, 0);
  cr_assert_null(c->file);
  cr_assert_null(c->name);
  cr_assert_null(c->about);
  cr_assert_null(c->source);
}

static void assert_rejects(const char *text, const char *msg) {
  tc_case c;
  tc_err err = {{0}};
  memset(&c, 0xA5, sizeof c);
  int rc = tc_case_parse_text("t.case", text, &c, &err);
  cr_assert_eq(rc, -EINVAL, "expected -EINVAL but got %d for:\n%s", rc, text);
  cr_assert_str_eq(err.msg, msg);
  assert_zeroed(&c);
}

/* "case t" then a line of `len` bytes (a comment) then an expect. */
static char *text_with_line_of(size_t len) {
  char *text = malloc(len + 64);
  cr_assert_not_null(text);
  strcpy(text, HEAD);
  size_t n = strlen(text);
  text[n] = '#';
  memset(text + n + 1, 'x', len - 1);
  strcpy(text + n + len, "\nexpect client gone\n");
  return text;
}

/* "case t" then `first` followed by `nwords` more words, then an expect. */
static char *text_with_words(const char *first, int nwords) {
  char *text = malloc(64 + strlen(first) + 4 * (size_t)nwords);
  cr_assert_not_null(text);
  char *p = text + sprintf(text, HEAD "%s", first);
  for (int i = 0; i < nwords; i++) p += sprintf(p, " w%d", i % 10);
  strcpy(p, "\nexpect client gone\n");
  return text;
}

static const struct tc_step *step_at(const tc_case *c, size_t i, int line, enum tc_step_kind kind,
                                     const char *text) {
  cr_assert_lt(i, c->nsteps, "no step %zu: the case has %zu", i, c->nsteps);
  const struct tc_step *st = &c->steps[i];
  cr_assert_eq(st->line, line, "step %zu: expected line %d but got %d", i, line, st->line);
  cr_assert_eq(st->kind, kind, "step %zu: expected kind %d but got %d", i, kind, st->kind);
  cr_assert_str_eq(st->text, text);
  return st;
}

static const struct tc_action_step *action_at(const tc_case *c, size_t i, int line,
                                              const char *text, enum tc_role role,
                                              enum tc_action act, int background) {
  const struct tc_action_step *a = &step_at(c, i, line, TC_STEP_ACTION, text)->u.act;
  cr_assert_eq(a->role, role, "step %zu: expected role %d but got %d", i, role, a->role);
  cr_assert_eq(a->action, act, "step %zu: expected %s but got %s", i, tc_action_name(act),
               tc_action_name(a->action));
  cr_assert_eq(a->background, background, "step %zu: background flag", i);
  return a;
}

static const struct tc_expect_step *expect_at(const tc_case *c, size_t i, int line,
                                              const char *text, enum tc_role role,
                                              enum tc_expect_kind kind) {
  const struct tc_expect_step *e = &step_at(c, i, line, TC_STEP_EXPECT, text)->u.exp;
  cr_assert_eq(e->role, role, "step %zu: expected role %d but got %d", i, role, e->role);
  cr_assert_eq(e->kind, kind, "step %zu: expected kind %d but got %d", i, kind, e->kind);
  return e;
}

static void assert_queues(const struct tc_expect_step *e, long recvq, long sendq) {
  cr_assert_eq(e->recvq, recvq, "expected recvq %ld but got %ld", recvq, e->recvq);
  cr_assert_eq(e->sendq, sendq, "expected sendq %ld but got %ld", sendq, e->sendq);
}

/* ---- a valid case with every statement form but close options ---- */

static const char full_text[] =
    "# A comment before the case.\n"                                    /* 1 */
    "case   full-one\n"                                                 /* 2 */
    "about  Client sends \"quoted\" words; the server reads.  # note\n" /* 3 */
    "source RFC 9293 3.6\n"                                             /* 4 */
    "tags   seed quick x-1\n"                                           /* 5 */
    "\n"                                                                /* 6 */
    "server listen backlog=5 reuseaddr\n"                               /* 7 */
    "client connect &\n"                                                /* 8 */
    "server accept&\n"                                                  /* 9 */
    "client send 100\n"                                                 /* 10 */
    /* client send "say \"hi\"\\\n\t" &                                     */
    "client send \"say \\\"hi\\\"\\\\\\n\\t\" &\n" /* 11 */
    "client send 100000&\n"                        /* 12 */
    "server recv 10\n"                             /* 13 */
    "server recv all &\n"                          /* 14 */
    "  client shutdown wr   # half close\n"        /* 15 */
    "server recv eof\n"                            /* 16 */
    "server shutdown rd\n"                         /* 17 */
    "server shutdown rdwr\n"                       /* 18 */
    "wait 200ms\n"                                 /* 19 */
    "wait 1.5s\n"                                  /* 20 */
    "settle\n"                                     /* 21 */
    "settle 5s\n"                                  /* 22 */
    "expect client FIN_WAIT2\n"                    /* 23 */
    "expect server CLOSE_WAIT recvq=22 sendq=0\n"  /* 24 */
    "expect server ESTABLISHED sendq=7\n"          /* 25 */
    "expect client gone\n"                         /* 26 */
    "expect server error ECONNRESET\n"             /* 27 */
    "expect client error none\n"                   /* 28 */
    "expect server eof\n"                          /* 29 */
    "client close";                                /* 30 */

static tc_case full;

static void full_parse(void) { parse_ok("full.case", full_text, &full); }
static void full_free(void) { tc_case_free(&full); }

TestSuite(full_case, .init = full_parse, .fini = full_free);

Test(full_case, header_statements_fill_name_about_source_and_tags) {
  cr_assert_str_eq(full.file, "full.case");
  cr_assert_str_eq(full.name, "full-one");
  cr_assert_str_eq(full.about, "Client sends \"quoted\" words; the server reads.");
  cr_assert_str_eq(full.source, "RFC 9293 3.6");
  cr_assert_eq(full.ntags, 3);
  cr_assert_str_eq(full.tags[0], "seed");
  cr_assert_str_eq(full.tags[1], "quick");
  cr_assert_str_eq(full.tags[2], "x-1");
  cr_assert(tc_case_has_tag(&full, "x-1"));
  cr_assert_not(tc_case_has_tag(&full, "slow"));
}

Test(full_case, each_statement_line_becomes_one_step) {
  cr_assert_eq(full.nsteps, 24, "expected 24 steps but got %zu", full.nsteps);
  for (size_t i = 0; i < full.nsteps; i++)
    cr_assert_eq(full.steps[i].line, (int)i + 7, "step %zu is on line %d", i, full.steps[i].line);
}

Test(full_case, listen_options_set_backlog_and_reuseaddr) {
  const struct tc_action_step *a =
      action_at(&full, 0, 7, "server listen backlog=5 reuseaddr", TC_SERVER, TC_ACT_LISTEN, 0);
  cr_assert_eq(a->backlog, 5);
  cr_assert_eq(a->reuseaddr, 1);
}

Test(full_case, trailing_ampersand_runs_in_background_alone_or_glued) {
  action_at(&full, 1, 8, "client connect &", TC_CLIENT, TC_ACT_CONNECT, 1);
  action_at(&full, 2, 9, "server accept&", TC_SERVER, TC_ACT_ACCEPT, 1);
  action_at(&full, 3, 10, "client send 100", TC_CLIENT, TC_ACT_SEND, 0);
  const struct tc_action_step *a =
      action_at(&full, 5, 12, "client send 100000&", TC_CLIENT, TC_ACT_SEND, 1);
  cr_assert_eq(a->bytes, 100000, "the glued '&' must not be part of the count");
}

Test(full_case, send_count_has_no_text) {
  const struct tc_action_step *a =
      action_at(&full, 3, 10, "client send 100", TC_CLIENT, TC_ACT_SEND, 0);
  cr_assert_eq(a->bytes, 100);
  cr_assert_null(a->text);
}

Test(full_case, send_text_is_unescaped_and_counted) {
  const struct tc_action_step *a = action_at(
      &full, 4, 11, "client send \"say \\\"hi\\\"\\\\\\n\\t\" &", TC_CLIENT, TC_ACT_SEND, 1);
  cr_assert_str_eq(a->text, "say \"hi\"\\\n\t");
  cr_assert_eq(a->bytes, 11, "expected 11 bytes but got %zu", a->bytes);
}

Test(full_case, recv_takes_a_count_all_or_eof) {
  const struct tc_action_step *a =
      action_at(&full, 6, 13, "server recv 10", TC_SERVER, TC_ACT_RECV, 0);
  cr_assert_eq(a->recv, TC_RECV_BYTES);
  cr_assert_eq(a->bytes, 10);
  a = action_at(&full, 7, 14, "server recv all &", TC_SERVER, TC_ACT_RECV, 1);
  cr_assert_eq(a->recv, TC_RECV_ALL);
  a = action_at(&full, 9, 16, "server recv eof", TC_SERVER, TC_ACT_RECV, 0);
  cr_assert_eq(a->recv, TC_RECV_EOF);
}

Test(full_case, shutdown_takes_wr_rd_or_rdwr) {
  const struct tc_action_step *a =
      action_at(&full, 8, 15, "client shutdown wr", TC_CLIENT, TC_ACT_SHUTDOWN, 0);
  cr_assert_eq(a->how, TC_SHUT_WR);
  a = action_at(&full, 10, 17, "server shutdown rd", TC_SERVER, TC_ACT_SHUTDOWN, 0);
  cr_assert_eq(a->how, TC_SHUT_RD);
  a = action_at(&full, 11, 18, "server shutdown rdwr", TC_SERVER, TC_ACT_SHUTDOWN, 0);
  cr_assert_eq(a->how, TC_SHUT_RDWR);
}

Test(full_case, step_text_drops_indent_and_comment) {
  cr_assert_str_eq(full.steps[8].text, "client shutdown wr");
  cr_assert_str_eq(full.steps[0].text, "server listen backlog=5 reuseaddr");
}

Test(full_case, wait_and_settle_durations_are_in_ms) {
  cr_assert_eq(step_at(&full, 12, 19, TC_STEP_WAIT, "wait 200ms")->ms, 200);
  cr_assert_eq(step_at(&full, 13, 20, TC_STEP_WAIT, "wait 1.5s")->ms, 1500);
  cr_assert_eq(step_at(&full, 15, 22, TC_STEP_SETTLE, "settle 5s")->ms, 5000);
}

Test(full_case, bare_settle_waits_at_most_the_default) {
  cr_assert_eq(step_at(&full, 14, 21, TC_STEP_SETTLE, "settle")->ms, TC_SETTLE_MAX_MS);
  cr_assert_eq(TC_SETTLE_MAX_MS, 2000);
}

Test(full_case, expect_state_checks_only_the_queues_given) {
  const struct tc_expect_step *e =
      expect_at(&full, 16, 23, "expect client FIN_WAIT2", TC_CLIENT, TC_EXPECT_STATE);
  cr_assert_eq(e->state, TC_STATE_FIN_WAIT2);
  assert_queues(e, TC_QUEUE_ANY, TC_QUEUE_ANY);
  e = expect_at(&full, 17, 24, "expect server CLOSE_WAIT recvq=22 sendq=0", TC_SERVER,
                TC_EXPECT_STATE);
  cr_assert_eq(e->state, TC_STATE_CLOSE_WAIT);
  assert_queues(e, 22, 0);
  e = expect_at(&full, 18, 25, "expect server ESTABLISHED sendq=7", TC_SERVER, TC_EXPECT_STATE);
  cr_assert_eq(e->state, TC_STATE_ESTABLISHED);
  assert_queues(e, TC_QUEUE_ANY, 7);
}

Test(full_case, expect_gone_is_a_state_without_queues) {
  const struct tc_expect_step *e =
      expect_at(&full, 19, 26, "expect client gone", TC_CLIENT, TC_EXPECT_STATE);
  cr_assert_eq(e->state, TC_STATE_GONE);
  assert_queues(e, TC_QUEUE_ANY, TC_QUEUE_ANY);
}

Test(full_case, expect_error_names_an_errno_or_none) {
  const struct tc_expect_step *e =
      expect_at(&full, 20, 27, "expect server error ECONNRESET", TC_SERVER, TC_EXPECT_ERROR);
  cr_assert_eq(e->err, ECONNRESET);
  e = expect_at(&full, 21, 28, "expect client error none", TC_CLIENT, TC_EXPECT_ERROR);
  cr_assert_eq(e->err, 0);
}

Test(full_case, expect_eof_has_its_own_kind) {
  expect_at(&full, 22, 29, "expect server eof", TC_SERVER, TC_EXPECT_EOF);
}

Test(full_case, bare_close_leaves_linger_alone) {
  const struct tc_action_step *a =
      action_at(&full, 23, 30, "client close", TC_CLIENT, TC_ACT_CLOSE, 0);
  cr_assert_eq(a->linger, TC_LINGER_NONE);
}

/* ---- a valid case for close options, exit and kill ---- */

static const char close_text[] = "case full-two\n"           /* 1 */
                                 "server listen\n"           /* 2 */
                                 "client connect\n"          /* 3 */
                                 "server accept\n"           /* 4 */
                                 "client close linger=7 &\n" /* 5 */
                                 "server close linger=0\n"   /* 6 */
                                 "client exit\n"             /* 7 */
                                 "server kill\n"             /* 8 */
                                 "expect server gone\n";     /* 9 */

Test(close_case, listen_without_options_uses_backlog_128) {
  tc_case c;
  parse_ok("t.case", close_text, &c);
  cr_assert_eq(c.nsteps, 8);
  const struct tc_action_step *a =
      action_at(&c, 0, 2, "server listen", TC_SERVER, TC_ACT_LISTEN, 0);
  cr_assert_eq(a->backlog, 128);
  cr_assert_eq(a->reuseaddr, 0);
  tc_case_free(&c);
}

Test(close_case, linger_gives_seconds_and_zero_means_reset) {
  tc_case c;
  parse_ok("t.case", close_text, &c);
  const struct tc_action_step *a =
      action_at(&c, 3, 5, "client close linger=7 &", TC_CLIENT, TC_ACT_CLOSE, 1);
  cr_assert_eq(a->linger, 7);
  a = action_at(&c, 4, 6, "server close linger=0", TC_SERVER, TC_ACT_CLOSE, 0);
  cr_assert_eq(a->linger, 0);
  tc_case_free(&c);
}

Test(close_case, exit_and_kill_may_follow_a_close) {
  tc_case c;
  parse_ok("t.case", close_text, &c);
  action_at(&c, 5, 7, "client exit", TC_CLIENT, TC_ACT_EXIT, 0);
  action_at(&c, 6, 8, "server kill", TC_SERVER, TC_ACT_KILL, 0);
  tc_case_free(&c);
}

Test(valid, exit_and_kill_need_no_socket) {
  tc_case c;
  parse_ok("t.case", HEAD "client exit\nserver kill\nexpect client gone\n", &c);
  cr_assert_eq(c.nsteps, 3);
  action_at(&c, 0, 2, "client exit", TC_CLIENT, TC_ACT_EXIT, 0);
  action_at(&c, 1, 3, "server kill", TC_SERVER, TC_ACT_KILL, 0);
  tc_case_free(&c);
}

Test(valid, server_may_close_its_listener_before_any_accept) {
  tc_case c;
  parse_ok("t.case", HEAD "server listen\nserver close\nexpect server gone\n", &c);
  action_at(&c, 1, 3, "server close", TC_SERVER, TC_ACT_CLOSE, 0);
  tc_case_free(&c);
}

Test(valid, crlf_line_ends_are_not_part_of_the_text) {
  tc_case c;
  parse_ok("t.case", "case t\r\nexpect client gone\r\n", &c);
  cr_assert_str_eq(c.name, "t");
  expect_at(&c, 0, 2, "expect client gone", TC_CLIENT, TC_EXPECT_STATE);
  tc_case_free(&c);
}

Test(valid, line_of_4095_bytes_is_accepted) {
  char *text = text_with_line_of(4095);
  tc_case c;
  parse_ok("t.case", text, &c);
  cr_assert_eq(c.nsteps, 1);
  cr_assert_eq(c.steps[0].line, 3);
  tc_case_free(&c);
  free(text);
}

/* 32 words pass the lexer: the statement's own rule is what rejects them. */
Test(valid, line_of_32_words_reaches_the_statement) {
  char *text = text_with_words("tags", 31);
  assert_rejects(text, "t.case:2: more than 16 tags");
  free(text);
}

Test(valid, sixteen_tags_over_two_lines_are_kept_in_order) {
  tc_case c;
  parse_ok("t.case", HEAD "tags a b c d e f g h\ntags i j k l m n o p\nexpect client gone\n", &c);
  cr_assert_eq(c.ntags, TC_MAX_TAGS);
  cr_assert_str_eq(c.tags[0], "a");
  cr_assert_str_eq(c.tags[15], "p");
  tc_case_free(&c);
}

Test(valid, free_leaves_the_case_zeroed) {
  tc_case c;
  parse_ok("t.case", full_text, &c);
  tc_case_free(&c);
  assert_zeroed(&c);
}

/* ---- rejections: the file and its header ---- */

Test(reject, empty_file_is_not_a_case) {
  assert_rejects("", "t.case:1: no 'case NAME' statement: not a case file");
}

Test(reject, comments_only_are_not_a_case) {
  assert_rejects("# nothing\n\n# here\n", "t.case:1: no 'case NAME' statement: not a case file");
}

Test(reject, statement_before_case) {
  assert_rejects("server listen\ncase t\n",
                 "t.case:1: the file must start with 'case NAME' (got 'server')");
}

Test(reject, case_given_twice) {
  assert_rejects("# x\ncase t\ncase u\n", "t.case:3: 'case' given twice (first at line 2)");
}

Test(reject, case_without_name) {
  assert_rejects("case # name forgotten\n", "t.case:1: 'case' needs a name");
}

Test(reject, case_name_with_capitals_or_underscore) {
  assert_rejects("case Bad_Name\n",
                 "t.case:1: case name 'Bad_Name' must be lower-case letters, digits and '-'");
}

Test(reject, words_after_case_name) {
  assert_rejects("case t u\n", "t.case:1: unexpected 'u' after the case name");
}

Test(reject, about_without_text) {
  assert_rejects(HEAD "about   # later\n", "t.case:2: 'about' needs text");
}

Test(reject, source_without_text) {
  assert_rejects(HEAD "source\n", "t.case:2: 'source' needs text");
}

Test(reject, about_given_twice) {
  assert_rejects(HEAD "about one\nabout two\n", "t.case:3: 'about' given twice");
}

Test(reject, source_given_twice) {
  assert_rejects(HEAD "source one\nsource two\n", "t.case:3: 'source' given twice");
}

Test(reject, tags_without_tag) {
  assert_rejects(HEAD "tags\n", "t.case:2: 'tags' needs at least one tag");
}

Test(reject, tag_with_capitals) {
  assert_rejects(HEAD "tags ok Bad\n",
                 "t.case:2: tag 'Bad' must be lower-case letters, digits and '-'");
}

Test(reject, seventeen_tags) {
  assert_rejects(HEAD "tags a b c d e f g h i j k l m n o p\ntags q\n",
                 "t.case:3: more than 16 tags");
}

Test(reject, unknown_statement) {
  assert_rejects(HEAD "sned 5\n",
                 "t.case:2: unknown statement 'sned' (expected case, about, source, tags, "
                 "family, client, server, wait, settle, sysctl, drop, hold, release, inject, "
                 "expect or observe)");
}

Test(reject, statement_starting_with_quoted_text) {
  assert_rejects(HEAD "\"server\" listen\n", "t.case:2: a statement cannot start with text");
}

Test(reject, case_without_expect_names_the_case_line) {
  assert_rejects("# x\ncase t\nserver listen\nwait 1s\n",
                 "t.case:2: case 't' has no 'expect': it would check nothing");
}

/* ---- rejections: the tokenizer ---- */

Test(reject, unterminated_string) {
  assert_rejects(CONNECTED "client send \"abc\n", "t.case:5: unterminated string (missing '\"')");
}

Test(reject, unknown_escape_in_string) {
  assert_rejects(CONNECTED "client send \"a\\qb\"\n", "t.case:5: unknown escape '\\q' in string");
}

Test(reject, text_glued_after_closing_quote) {
  assert_rejects(CONNECTED "client send \"ab\"c\n", "t.case:5: text after closing quote");
}

Test(reject, line_of_33_words) {
  char *text = text_with_words("tags", 32);
  assert_rejects(text, "t.case:2: more than 32 words");
  free(text);
}

Test(reject, line_of_4096_bytes) {
  char *text = text_with_line_of(4096);
  assert_rejects(text, "t.case:2: line longer than 4095 bytes");
  free(text);
}

/* ---- rejections: roles, actions and their arguments ---- */

Test(reject, unknown_role) {
  assert_rejects(HEAD "expect clinet gone\n",
                 "t.case:2: unknown role 'clinet' (expected client or server)");
}

Test(reject, role_without_action) {
  assert_rejects(HEAD "client\n", "t.case:2: 'client' needs an action");
}

Test(reject, unknown_action) {
  assert_rejects(HEAD "client sned 5\n",
                 "t.case:2: unknown action 'sned' for client (expected listen, connect, "
                 "accept, send, recv, shutdown, close, exit, kill, exec, signal, serve or churn)");
}

Test(reject, unknown_listen_option) {
  assert_rejects(
      HEAD "server listen fast\n",
      "t.case:2: unknown option 'fast' for listen (expected backlog=N, reuseaddr or port=same)");
}

Test(reject, backlog_out_of_range_or_not_a_number) {
  assert_rejects(HEAD "server listen backlog=65536\n",
                 "t.case:2: backlog must be a number from 0 to 65535, not '65536'");
  assert_rejects(HEAD "server listen backlog=-1\n",
                 "t.case:2: backlog must be a number from 0 to 65535, not '-1'");
  assert_rejects(HEAD "server listen backlog=\n",
                 "t.case:2: backlog must be a number from 0 to 65535, not ''");
}

Test(reject, words_after_connect) {
  assert_rejects(HEAD "server listen\nclient connect now\n",
                 "t.case:3: unknown option 'now' for connect (expected port=same or reuseaddr)");
}

Test(reject, send_without_count) {
  assert_rejects(CONNECTED "client send\n", "t.case:5: send needs a byte count or \"text\"");
}

Test(reject, send_zero_or_too_many_bytes) {
  assert_rejects(CONNECTED "client send 0\n",
                 "t.case:5: send needs a byte count from 1 to 2^30 or \"text\", not '0'");
  assert_rejects(CONNECTED "client send 1073741825\n",
                 "t.case:5: send needs a byte count from 1 to 2^30 or \"text\", "
                 "not '1073741825'");
}

Test(reject, send_empty_text) {
  assert_rejects(CONNECTED "client send \"\"\n", "t.case:5: send \"\" sends nothing");
}

Test(reject, words_after_send_count) {
  assert_rejects(CONNECTED "client send 5 6\n", "t.case:5: unexpected '6' after what to send");
}

Test(reject, recv_without_argument) {
  assert_rejects(CONNECTED "server recv\n", "t.case:5: recv needs a byte count, 'all' or 'eof'");
}

Test(reject, recv_bad_argument) {
  assert_rejects(CONNECTED "server recv some\n",
                 "t.case:5: recv needs a byte count, 'all' or 'eof', not 'some'");
  assert_rejects(CONNECTED "server recv 0\n",
                 "t.case:5: recv needs a byte count, 'all' or 'eof', not '0'");
}

Test(reject, words_after_recv) {
  assert_rejects(CONNECTED "server recv all now\n",
                 "t.case:5: unexpected 'now' after what to receive");
}

Test(reject, shutdown_without_direction) {
  assert_rejects(CONNECTED "client shutdown\n", "t.case:5: shutdown needs wr, rd or rdwr");
}

Test(reject, shutdown_bad_direction) {
  assert_rejects(CONNECTED "client shutdown both\n",
                 "t.case:5: shutdown needs wr, rd or rdwr (not 'both')");
}

Test(reject, words_after_shutdown_direction) {
  assert_rejects(CONNECTED "client shutdown wr rd\n",
                 "t.case:5: unexpected 'rd' after the shutdown direction");
}

Test(reject, unknown_close_option) {
  assert_rejects(CONNECTED "client close now\n",
                 "t.case:5: unknown option 'now' for close (expected linger=N)");
}

Test(reject, linger_out_of_range_or_not_a_number) {
  assert_rejects(CONNECTED "client close linger=3601\n",
                 "t.case:5: linger must be seconds from 0 to 3600, not '3601'");
  assert_rejects(CONNECTED "client close linger=1s\n",
                 "t.case:5: linger must be seconds from 0 to 3600, not '1s'");
}

Test(reject, words_after_linger) {
  assert_rejects(CONNECTED "client close linger=1 now\n",
                 "t.case:5: unexpected 'now' after linger=N");
}

Test(reject, background_exit) {
  assert_rejects(HEAD "client exit &\n", "t.case:2: '&' does not apply to exit: it never blocks");
}

Test(reject, background_kill_glued) {
  assert_rejects(HEAD "server kill&\n", "t.case:2: '&' does not apply to kill: it never blocks");
}

Test(reject, background_listen) {
  assert_rejects(HEAD "server listen &\n",
                 "t.case:2: '&' does not apply to listen: it never blocks");
}

/* ---- rejections: actions in an order no script could run ---- */

Test(reject, accept_before_listen) {
  assert_rejects(HEAD "server accept\n", "t.case:2: server accept before server listen");
}

Test(reject, connect_before_listen) {
  assert_rejects(HEAD "client connect\n", "t.case:2: client connect before server listen");
}

Test(reject, client_listens) {
  assert_rejects(HEAD "client listen\n",
                 "t.case:2: only the server can listen (the client connects)");
}

Test(reject, client_accepts) {
  assert_rejects(HEAD "server listen\nclient accept\n",
                 "t.case:3: only the server can accept (the client connects)");
}

Test(reject, server_connects) {
  assert_rejects(HEAD "server listen\nserver connect\n",
                 "t.case:3: only the client can connect (the server listens and accepts)");
}

Test(reject, client_send_before_connect) {
  assert_rejects(HEAD "server listen\nclient send 5\n",
                 "t.case:3: client send before it has a connection (client connect)");
}

Test(reject, server_recv_before_accept) {
  assert_rejects(HEAD "server listen\nclient connect\nserver recv 5\n",
                 "t.case:4: server recv before it has a connection (server accept)");
}

Test(reject, send_after_close) {
  assert_rejects(CONNECTED "client close\nclient send 5\n",
                 "t.case:6: client send after client close at line 5");
}

/* The first close ends the connection, the second the listener. */
Test(reject, close_three_times) {
  assert_rejects(CONNECTED "server close\nserver close\nserver close\n",
                 "t.case:7: server close after server close at line 6");
}

Test(reject, action_after_exit) {
  assert_rejects(CONNECTED "client exit\nclient send 5\n",
                 "t.case:6: client send after the client process ended at line 5");
}

Test(reject, kill_after_kill) {
  assert_rejects(CONNECTED "server kill\nserver kill\n",
                 "t.case:6: server kill after the server process ended at line 5");
}

Test(reject, listen_twice) {
  assert_rejects(HEAD "server listen\nserver listen\n",
                 "t.case:3: server listens twice (first at line 2)");
}

Test(reject, accept_twice) {
  assert_rejects(CONNECTED "server accept\n",
                 "t.case:5: server has its connection already (line 4)");
}

Test(reject, connect_while_connected) {
  assert_rejects(CONNECTED "client connect\n",
                 "t.case:5: client has its connection already (line 3)");
}

/* A closed connection can be followed by a new one (restarts, reuse). */
Test(valid, second_connection_after_close) {
  tc_case c;
  parse_ok("t.case",
           CONNECTED "client close\nserver close\nclient connect port=same reuseaddr\n"
                     "server accept\nexpect client ESTABLISHED\nexpect client TIME_WAIT conn=1\n",
           &c);
  cr_assert(c.steps[5].u.act.same_port && c.steps[5].u.act.reuseaddr);
  cr_assert_eq(c.steps[7].u.exp.conn, 0);
  cr_assert_eq(c.steps[8].u.exp.conn, 1);
  tc_case_free(&c);
}

Test(reject, conn_beyond_the_connections_so_far) {
  assert_rejects(CONNECTED "expect client ESTABLISHED conn=2\n",
                 "t.case:5: conn=2: the client has 1 connection so far");
}

Test(reject, same_port_needs_an_earlier_one) {
  assert_rejects(HEAD "server listen port=same\n",
                 "t.case:2: port=same needs an earlier server listen");
  assert_rejects(HEAD "server listen\nclient connect port=same\n",
                 "t.case:3: port=same needs an earlier client connect");
}

Test(valid, close_listener_then_listen_again_on_the_same_port) {
  tc_case c;
  parse_ok("t.case",
           HEAD "server listen reuseaddr\nserver close listener\nserver listen port=same\nexpect "
                "server LISTEN\n",
           &c);
  cr_assert(c.steps[1].u.act.listener);
  cr_assert(c.steps[2].u.act.same_port);
  tc_case_free(&c);
  assert_rejects(HEAD "server listen\nserver close listener\nserver close listener\n",
                 "t.case:4: server close listener: no listener is open");
}

/* ---- network statements: family, sysctl, drop; scopes; observe ---- */

Test(network, family_sysctl_and_drop) {
  tc_case c;
  parse_ok("t.case",
           HEAD "family ipv6\nsysctl net.ipv4.tcp_fin_timeout=2\nserver listen\n"
                "drop s>c F. count=1\ndrop c>s . all\ndrop c>s R.\nexpect server LISTEN\n",
           &c);
  cr_assert_eq(c.family, AF_INET6);
  cr_assert(c.needs_netns);
  cr_assert_eq(c.steps[0].kind, TC_STEP_SYSCTL);
  cr_assert_str_eq(c.steps[0].u.sysctl.name, "net.ipv4.tcp_fin_timeout");
  cr_assert_str_eq(c.steps[0].u.sysctl.value, "2");
  const struct tc_drop_step *d = &c.steps[2].u.drop;
  cr_assert_eq(c.steps[2].kind, TC_STEP_DROP);
  cr_assert_eq(d->from, TC_SERVER);
  cr_assert_str_eq(d->flags, "F.");
  cr_assert_eq(d->count, 1);
  cr_assert_eq(c.steps[3].u.drop.count, TC_DROP_ALL);
  cr_assert_eq(c.steps[4].u.drop.count, TC_DROP_ALL);
  tc_case_free(&c);
}

Test(network, bad_network_statements) {
  assert_rejects(HEAD "family ipx\n", "t.case:2: family must be ipv4 or ipv6 (not 'ipx')");
  assert_rejects(HEAD "server listen\nfamily ipv6\n",
                 "t.case:3: 'family' must come before the first step");
  assert_rejects(HEAD "sysctl kernel.panic=1\n",
                 "t.case:2: sysctl 'kernel.panic': only net.* settings can be set (a namespace "
                 "keeps those to itself)");
  assert_rejects(HEAD "sysctl net.ipv4.tcp_fin_timeout\n",
                 "t.case:2: sysctl needs NAME=VALUE (e.g. sysctl net.ipv4.tcp_fin_timeout=2)");
  assert_rejects(HEAD "drop s>c F.\n",
                 "t.case:2: drop before server listen: the case has no port yet");
  assert_rejects(HEAD "server listen\ndrop x>y F.\n",
                 "t.case:3: unknown direction 'x>y' (expected c>s or s>c)");
  assert_rejects(HEAD "server listen\ndrop s>c F. count=0\n",
                 "t.case:3: drop count must be count=N (1 to 1000) or count=all, not 'count=0'");
  assert_rejects(HEAD "server listen\ndrop s>c . at=egress\n",
                 "t.case:3: drop at= must be input or output, not 'egress'");
  assert_rejects(HEAD "server listen\ndrop s>c . count=1 at=output all\n",
                 "t.case:3: unexpected 'all' after the count and at=");
}

Test(network, drop_at_output) {
  tc_case c;
  parse_ok("t.case",
           HEAD "server listen\ndrop s>c . at=output count=2\ndrop c>s F.\nexpect server LISTEN\n",
           &c);
  cr_assert(c.steps[1].u.drop.at_output);
  cr_assert_eq(c.steps[1].u.drop.count, 2);
  cr_assert(!c.steps[2].u.drop.at_output);
  tc_case_free(&c);
}

Test(network, scoped_expectations_and_observe) {
  tc_case c;
  parse_ok("t.case", CONNECTED "expect[freebsd,darwin] client ESTABLISHED\nobserve server\n", &c);
  cr_assert_str_eq(c.steps[3].u.exp.os, "freebsd,darwin");
  cr_assert(c.steps[4].u.exp.observe_only);
  cr_assert_eq(c.steps[4].u.exp.role, TC_SERVER);
  tc_case_free(&c);
  cr_assert(tc_scope_includes("freebsd,darwin", "darwin"));
  cr_assert(!tc_scope_includes("freebsd,darwin", "linux"));
  cr_assert(!tc_scope_includes("linux2", "linux"));
  cr_assert(tc_scope_includes("", "linux"));
  assert_rejects(HEAD "expect[lunix] client gone\n",
                 "t.case:2: unknown system 'lunix' in expect[lunix] (expected linux, freebsd, "
                 "darwin, openbsd, netbsd, dragonfly or windows)");
  assert_rejects(
      HEAD "expect[] client gone\n",
      "t.case:2: bad scope 'expect[]' (expected e.g. expect[linux] or expect[freebsd,darwin])");
}

Test(reject, accept_after_the_listener_closed) {
  assert_rejects(HEAD "server listen\nserver close\nserver accept\n",
                 "t.case:4: server accept after server close at line 3");
}

Test(reject, close_before_a_socket) {
  assert_rejects(HEAD "client close\n", "t.case:2: client close before it has a socket");
}

/* ---- rejections: wait and settle ---- */

Test(reject, wait_without_duration) {
  assert_rejects(HEAD "wait\n", "t.case:2: 'wait' needs a duration (e.g. 1s)");
}

Test(reject, duration_without_unit) {
  assert_rejects(HEAD "wait 5\n", "t.case:2: duration '5' has no unit (write 5ms or 5s)");
  assert_rejects(HEAD "settle 1.5\n", "t.case:2: duration '1.5' has no unit (write 1.5ms or 1.5s)");
}

Test(reject, bad_duration) {
  assert_rejects(HEAD "wait 5h\n", "t.case:2: bad duration '5h' (expected e.g. 200ms or 1s)");
  assert_rejects(HEAD "settle soon\n", "t.case:2: bad duration 'soon' (expected e.g. 200ms or 1s)");
}

Test(reject, words_after_duration) {
  assert_rejects(HEAD "wait 1s 2s\n", "t.case:2: unexpected '2s' after the duration");
  assert_rejects(HEAD "settle 1s now\n", "t.case:2: unexpected 'now' after the duration");
}

/* ---- rejections: expect ---- */

Test(reject, expect_without_what) {
  assert_rejects(HEAD "expect client\n",
                 "t.case:2: 'expect' needs a role and what to check (a state, path, error, eof, "
                 "reset-reason) or 'wire' and segments");
}

Test(reject, unknown_state) {
  assert_rejects(HEAD "expect client DONE\n",
                 "t.case:2: unknown state 'DONE' (expected ESTABLISHED, FIN_WAIT1, "
                 "FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING, LISTEN, gone, "
                 "or error/eof/path/reset-reason)");
}

Test(reject, lower_case_state_gets_a_hint) {
  assert_rejects(HEAD "expect client time_wait\n",
                 "t.case:2: unknown state 'time_wait' (states are written in capitals: "
                 "TIME_WAIT)");
}

/* CLOSE is a kernel state no checkpoint can observe: the socket is gone. */
Test(reject, close_is_not_a_checkable_state) {
  assert_rejects(HEAD "expect client CLOSE\n",
                 "t.case:2: state 'CLOSE' is never seen: a closed socket is 'gone'");
  assert_rejects(HEAD "expect client close\n",
                 "t.case:2: state 'close' is never seen: a closed socket is 'gone'");
}

Test(reject, queue_given_twice) {
  assert_rejects(HEAD "expect client ESTABLISHED recvq=1 recvq=2\n", "t.case:2: recvq given twice");
}

Test(reject, gone_with_queues) {
  assert_rejects(HEAD "expect client gone recvq=0\n",
                 "t.case:2: a socket that is gone has no queues or timer to check");
}

Test(reject, unknown_queue_option) {
  assert_rejects(HEAD "expect client ESTABLISHED rq=5\n",
                 "t.case:2: unknown option 'rq=5' for a state checkpoint "
                 "(expected recvq=N, sendq=N, recvq>N, sendq>N, left>DUR, left<DUR, "
                 "since=DIR:FLAGS or conn=N)");
  assert_rejects(HEAD "expect client ESTABLISHED recvq\n",
                 "t.case:2: unknown option 'recvq' for a state checkpoint "
                 "(expected recvq=N, sendq=N, recvq>N, sendq>N, left>DUR, left<DUR, "
                 "since=DIR:FLAGS or conn=N)");
}

Test(reject, queue_value_not_a_count) {
  assert_rejects(HEAD "expect client ESTABLISHED sendq=-1\n",
                 "t.case:2: sendq must be a byte count, not '-1'");
  assert_rejects(HEAD "expect client ESTABLISHED recvq=\n",
                 "t.case:2: recvq must be a byte count, not ''");
}

Test(reject, error_without_name) {
  assert_rejects(HEAD "expect client error\n",
                 "t.case:2: 'error' needs an errno name (e.g. ECONNRESET) or none");
}

Test(reject, unknown_errno) {
  assert_rejects(HEAD "expect client error ECONNRESTE\n",
                 "t.case:2: unknown errno 'ECONNRESTE' (e.g. ECONNRESET, EPIPE, or none)");
}

Test(reject, words_after_errno) {
  assert_rejects(HEAD "expect client error EPIPE now\n",
                 "t.case:2: unexpected 'now' after the errno name");
}

Test(reject, words_after_eof) {
  assert_rejects(HEAD "expect client eof now\n", "t.case:2: unexpected 'now' after eof");
}

/* ---- tc_duration_parse ---- */

static void assert_duration(const char *s, unsigned expect) {
  unsigned ms = 777;
  cr_assert_eq(tc_duration_parse(s, &ms), 0, "'%s' was rejected", s);
  cr_assert_eq(ms, expect, "'%s': expected %u ms but got %u", s, expect, ms);
}

static void assert_bad_duration(const char *s) {
  unsigned ms = 777;
  cr_assert_eq(tc_duration_parse(s, &ms), -EINVAL, "'%s' was accepted", s);
  cr_assert_eq(ms, 777, "'%s': a rejected duration must not change *ms", s);
}

Test(duration, milliseconds_and_seconds) {
  assert_duration("200ms", 200);
  assert_duration("0ms", 0);
  assert_duration("1s", 1000);
  assert_duration("1.5s", 1500);
  assert_duration("0.25s", 250);
}

Test(duration, only_plain_decimals_with_ms_or_s) {
  assert_bad_duration("2m");
  assert_bad_duration("0x10ms");
  assert_bad_duration("1e3ms");
  assert_bad_duration(".5s");
  assert_bad_duration("1.s");
}

Test(duration, up_to_one_day) {
  unsigned ms = 777;
  assert_duration("86400s", 86400000);
  cr_assert_eq(tc_duration_parse("86401s", &ms), -ERANGE);
  cr_assert_eq(ms, 777);
  assert_rejects(HEAD "wait 86401s\n", "t.case:2: duration '86401s' is longer than 24 h");
}

Test(reject, no_unit_hint_only_for_numbers) {
  assert_rejects(HEAD "wait 1.5\n", "t.case:2: duration '1.5' has no unit (write 1.5ms or 1.5s)");
  assert_rejects(HEAD "wait .5\n", "t.case:2: bad duration '.5' (expected e.g. 200ms or 1s)");
}

/* about and source are free text: quotes, backslashes and any number of
 * words are kept as written; '#' still starts a comment. */
Test(header, about_and_source_are_free_text) {
  tc_case c;
  char *text = text_with_words("about", 40);
  parse_ok("t.case", text, &c);
  cr_assert_eq(strlen(c.about), 40 * 3 - 1);
  tc_case_free(&c);
  free(text);
  parse_ok("t.case",
           HEAD "about a \"quote, a \\q and more  # cut\nsource RFC 9293 #3.6\n"
                "server listen\nexpect server LISTEN\n",
           &c);
  cr_assert_str_eq(c.about, "a \"quote, a \\q and more");
  cr_assert_str_eq(c.source, "RFC 9293");
  tc_case_free(&c);
}

Test(action, glued_background_after_quoted_text) {
  tc_case c;
  parse_ok("t.case", CONNECTED "client send \"x y\"&\nexpect client ESTABLISHED\n", &c);
  cr_assert_str_eq(c.steps[3].u.act.text, "x y");
  cr_assert(c.steps[3].u.act.background);
  tc_case_free(&c);
}

Test(duration, rejects_missing_or_unknown_unit_and_signs) {
  const char *bad[] = {"", "5", "1.5", "ms", "s", "5h", "5 s", "5MS", "-1s", "+1s", ".5s"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_bad_duration(bad[i]);
}

/* ---- tc_case_parse_file ---- */

/* Writes len bytes to a fresh file under /tmp; the caller unlinks it. */
static void write_temp(char *path, const char *data, size_t len) {
  strcpy(path, "/tmp/tcpclose-test-XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
  ssize_t n = write(fd, data, len);
  close(fd);
  cr_assert_eq(n, (ssize_t)len);
}

Test(parse_file, missing_file_cannot_be_read) {
  tc_case c;
  tc_err err = {{0}};
  int rc = tc_case_parse_file("/nonexistent-tcpclose/x.case", &c, &err);
  cr_assert_eq(rc, -ENOENT);
  cr_assert_str_eq(err.msg, "/nonexistent-tcpclose/x.case: cannot read: No such file or directory");
}

Test(parse_file, nul_byte_is_not_a_text_file) {
  static const char data[] = "case t\nabout a\0b\nexpect client gone\n";
  char path[64], want[128];
  write_temp(path, data, sizeof data - 1);
  tc_case c;
  tc_err err = {{0}};
  int rc = tc_case_parse_file(path, &c, &err);
  unlink(path);
  snprintf(want, sizeof want, "%s:2: NUL byte: not a text file", path);
  cr_assert_eq(rc, -EINVAL);
  cr_assert_str_eq(err.msg, want);
}

Test(parse_file, directory_is_a_read_error) {
  tc_case c;
  tc_err err = {{0}};
  int rc = tc_case_parse_file(TCPCLOSE_FIXTURES_DIR, &c, &err);
  cr_assert_eq(rc, -EISDIR);
  cr_assert_str_eq(err.msg, TCPCLOSE_FIXTURES_DIR ": cannot read: Is a directory");
}

/* Longer than read_all()'s first 4096-byte buffer. */
Test(parse_file, file_larger_than_the_first_buffer_is_read_whole) {
  char text[10000], path[64];
  size_t n = 0;
  for (int i = 0; i < 200; i++)
    n += (size_t)sprintf(text + n, "# comment line %03d .........................\n", i);
  n += (size_t)sprintf(text + n, "case big\nexpect client gone\n");
  write_temp(path, text, n);
  tc_case c;
  tc_err err = {{0}};
  int rc = tc_case_parse_file(path, &c, &err);
  unlink(path);
  cr_assert_eq(rc, 0, "%s", err.msg);
  cr_assert_eq(c.nsteps, 1);
  cr_assert_eq(c.steps[0].line, 202);
  cr_assert_str_eq(c.file, path);
  tc_case_free(&c);
}

Test(parse_file, seed_case_client_close_server_silent) {
  const char *file = TCPCLOSE_CASES_DIR "/client-close-server-silent.case";
  tc_case c;
  tc_err err = {{0}};
  cr_assert_eq(tc_case_parse_file(file, &c, &err), 0, "%s", err.msg);
  cr_assert_str_eq(c.name, "client-close-server-silent");
  cr_assert_eq(c.nsteps, 11);
  action_at(&c, 3, 17, "client send 21", TC_CLIENT, TC_ACT_SEND, 0);
  cr_assert_eq(step_at(&c, 5, 19, TC_STEP_SETTLE, "settle")->ms, TC_SETTLE_MAX_MS);
  const struct tc_expect_step *e =
      expect_at(&c, 7, 21, "expect server CLOSE_WAIT recvq=22", TC_SERVER, TC_EXPECT_STATE);
  cr_assert_eq(e->state, TC_STATE_CLOSE_WAIT);
  assert_queues(e, 22, TC_QUEUE_ANY);
  tc_case_free(&c);
}

/* ---- the timeline checkpoints: path, wire, reset-reason ---- */

Test(timeline, path_wire_and_reset_reason_parse) {
  tc_case c;
  parse_ok("t.case",
           HEAD "expect client path ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT\n"
                "expect server path ESTABLISHED CLOSE_WAIT LAST_ACK gone\n"
                "expect wire c>s F. s>c F. c>s .\n"
                "expect client reset-reason TCP_ABORT_ON_LINGER\n",
           &c);
  cr_assert_eq(c.nsteps, 4);
  const struct tc_expect_step *p0 = &c.steps[0].u.exp, *p1 = &c.steps[1].u.exp;
  cr_assert_eq(p0->kind, TC_EXPECT_PATH);
  cr_assert_eq(p0->role, TC_CLIENT);
  cr_assert_eq(p0->npath, 4);
  cr_assert_eq(p0->path[0], TC_STATE_ESTABLISHED);
  cr_assert_eq(p0->path[3], TC_STATE_TIME_WAIT);
  cr_assert_eq(p1->npath, 4);
  cr_assert_eq(p1->path[3], TC_STATE_GONE);
  const struct tc_expect_step *w = &c.steps[2].u.exp;
  cr_assert_eq(w->kind, TC_EXPECT_WIRE);
  cr_assert_eq(w->nwire, 3);
  cr_assert_eq(w->wire[0].from, TC_CLIENT);
  cr_assert_str_eq(w->wire[0].flags, "F.");
  cr_assert_eq(w->wire[1].from, TC_SERVER);
  cr_assert_str_eq(w->wire[2].flags, ".");
  const struct tc_expect_step *r = &c.steps[3].u.exp;
  cr_assert_eq(r->kind, TC_EXPECT_RESET);
  cr_assert_str_eq(r->reason, "TCP_ABORT_ON_LINGER");
  tc_case_free(&c);
}

Test(timeline, bad_paths_are_rejected) {
  assert_rejects(
      HEAD "expect client path\n",
      "t.case:2: 'path' needs states (e.g. path ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT)");
  assert_rejects(HEAD "expect client path ESTABLISHED gone TIME_WAIT\n",
                 "t.case:2: 'gone' can only end a path");
  assert_rejects(HEAD "expect client path ESTABLISHED CLOSE\n",
                 "t.case:2: state 'CLOSE' is never seen: a closed socket is 'gone'");
}

Test(timeline, bad_wire_is_rejected) {
  tc_case c;
  parse_ok("t.case", HEAD "expect wire none\n", &c);
  cr_assert_eq(c.steps[0].u.exp.nwire, 0);
  tc_case_free(&c);
  assert_rejects(
      HEAD "expect wire c>s\n",
      "t.case:2: 'expect wire' needs direction and flags pairs (e.g. c>s F. s>c F. c>s .)");
  assert_rejects(HEAD "expect wire c<s F.\n",
                 "t.case:2: unknown direction 'c<s' (expected c>s or s>c)");
  assert_rejects(HEAD "expect wire c>s FIN\n",
                 "t.case:2: bad flags 'FIN' (tcpdump notation: F. S. R R. P. . FP.)");
}

Test(timeline, reset_reason_needs_a_reason) {
  assert_rejects(
      HEAD "expect client reset-reason\n",
      "t.case:2: 'reset-reason' needs the kernel's reason (e.g. TCP_ABORT_ON_CLOSE) or none");
  assert_rejects(HEAD "expect client reset-reason A B\n",
                 "t.case:2: unexpected 'B' after the reset reason");
}

Test(network, queue_and_timer_comparisons) {
  tc_case c;
  parse_ok("t.case", CONNECTED "expect client FIN_WAIT1 sendq>0 recvq=0 left>1s left<2.5s\n", &c);
  const struct tc_expect_step *e = &c.steps[3].u.exp;
  cr_assert_eq(e->sendq, 0);
  cr_assert(e->sendq_more);
  cr_assert_eq(e->recvq, 0);
  cr_assert(!e->recvq_more);
  cr_assert_eq(e->left_min_ms, 1000);
  cr_assert_eq(e->left_max_ms, 2500);
  tc_case_free(&c);
  assert_rejects(CONNECTED "expect client TIME_WAIT left>soon\n",
                 "t.case:5: left>soon: 'soon' is not a duration (e.g. left>59s)");
}

Test(network, hold_and_release) {
  tc_case c;
  parse_ok("t.case", HEAD "server listen\nhold c>s F.\nhold s>c .\nrelease\nexpect server LISTEN\n",
           &c);
  cr_assert_eq(c.steps[1].kind, TC_STEP_HOLD);
  cr_assert_eq(c.steps[1].u.drop.from, TC_CLIENT);
  cr_assert_str_eq(c.steps[1].u.drop.flags, "F.");
  cr_assert_eq(c.steps[2].u.drop.from, TC_SERVER);
  cr_assert_eq(c.steps[3].kind, TC_STEP_RELEASE);
  cr_assert(c.needs_netns);
  tc_case_free(&c);
  assert_rejects(HEAD "server listen\nrelease\n",
                 "t.case:3: release with nothing held (no hold before it)");
  assert_rejects(HEAD "hold c>s F.\n",
                 "t.case:2: hold before server listen: the case has no port yet");
  assert_rejects(HEAD "server listen\nhold c>s F. count=1\n",
                 "t.case:3: unexpected 'count=1' after the flags");
  assert_rejects(HEAD "server listen\nhold\n",
                 "t.case:3: hold needs a direction and flags (e.g. hold s>c F.)");
}

/* ---- programs, serve and churn ---- */

/* "=tuples": the last churn's distinct 4-tuples, known only when the check
 * runs; any comparison takes it. */
Test(programs, count_against_the_churns_tuples) {
  tc_case c;
  parse_ok("t.case",
           HEAD "server listen\nserver serve send 1 close\nclient churn 5 recv eof close\n"
                "expect server count TIME_WAIT=tuples CLOSE_WAIT<=tuples LISTEN=1\n",
           &c);
  const struct tc_expect_step *e = &c.steps[3].u.exp;
  cr_assert_eq(e->kind, TC_EXPECT_COUNT);
  cr_assert_eq(e->ncount, 3);
  cr_assert_eq(e->count[0].tuples, 1);
  cr_assert_eq(e->count[0].op, TC_COUNT_EQ);
  cr_assert_eq(e->count[1].tuples, 1);
  cr_assert_eq(e->count[1].op, TC_COUNT_LE);
  cr_assert_eq(e->count[2].tuples, 0);
  cr_assert_eq(e->count[2].n, 1);
  tc_case_free(&c);
}

/* A server program, a scripted client churning against it, counts. */
static const char program_text[] = HEAD                                     /* 1 */
    "server exec \"python3 srv.py {addr} {port}\\r\\n\" port=8080\n"        /* 2 */
    "client churn 1000 concurrency=8 send \"GET /\\r\\n\" recv eof close\n" /* 3 */
    "expect client churn ok=1000 failed=0\n"                                /* 4 */
    "expect server count CLOSE_WAIT=0 TIME_WAIT<=5 LISTEN>=1\n"             /* 5 */
    "server signal TERM\n"                                                  /* 6 */
    "expect server exit 143\n"                                              /* 7 */
    "server kill\n"                                                         /* 8 */
    "expect server exit none\n";                                            /* 9 */

Test(programs, server_program_with_a_churning_client) {
  tc_case c;
  parse_ok("p.case", program_text, &c);
  cr_assert_eq(c.program_line[TC_SERVER], 2);
  cr_assert_eq(c.program_line[TC_CLIENT], 0);
  const struct tc_action_step *a =
      action_at(&c, 0, 2, "server exec \"python3 srv.py {addr} {port}\\r\\n\" port=8080", TC_SERVER,
                TC_ACT_EXEC, 0);
  cr_assert_str_eq(a->command, "python3 srv.py {addr} {port}\r\n");
  cr_assert_eq(a->port, 8080);
  cr_assert_eq(tc_case_program(&c, TC_SERVER), a);
  cr_assert_null(tc_case_program(&c, TC_CLIENT));
  a = &c.steps[1].u.act;
  cr_assert_eq(a->action, TC_ACT_CHURN);
  cr_assert_eq(a->churn, 1000);
  cr_assert_eq(a->concurrency, 8);
  cr_assert_eq(a->conn.n, 3);
  cr_assert_eq(a->conn.act[0].op, TC_CONN_SEND);
  cr_assert_str_eq(a->conn.act[0].text, "GET /\r\n");
  cr_assert_eq(a->conn.act[0].bytes, 7);
  cr_assert_eq(a->conn.act[1].op, TC_CONN_RECV);
  cr_assert_eq(a->conn.act[1].recv, TC_RECV_EOF);
  cr_assert_eq(a->conn.act[2].op, TC_CONN_CLOSE);
  cr_assert_eq(a->conn.act[2].linger, TC_LINGER_NONE);
  const struct tc_expect_step *e =
      expect_at(&c, 2, 4, "expect client churn ok=1000 failed=0", TC_CLIENT, TC_EXPECT_CHURN);
  cr_assert_eq(e->churn_ok, 1000);
  cr_assert_eq(e->churn_failed, 0);
  e = expect_at(&c, 3, 5, "expect server count CLOSE_WAIT=0 TIME_WAIT<=5 LISTEN>=1", TC_SERVER,
                TC_EXPECT_COUNT);
  cr_assert_eq(e->ncount, 3);
  cr_assert_eq(e->count[0].state, TC_STATE_CLOSE_WAIT);
  cr_assert_eq(e->count[0].op, TC_COUNT_EQ);
  cr_assert_eq(e->count[0].n, 0);
  cr_assert_eq(e->count[1].state, TC_STATE_TIME_WAIT);
  cr_assert_eq(e->count[1].op, TC_COUNT_LE);
  cr_assert_eq(e->count[1].n, 5);
  cr_assert_eq(e->count[2].state, TC_STATE_LISTEN);
  cr_assert_eq(e->count[2].op, TC_COUNT_GE);
  cr_assert_eq(e->count[1].tuples, 0);
  a = action_at(&c, 4, 6, "server signal TERM", TC_SERVER, TC_ACT_SIGNAL, 0);
  cr_assert_eq(a->signo, SIGTERM);
  cr_assert_eq(
      expect_at(&c, 5, 7, "expect server exit 143", TC_SERVER, TC_EXPECT_EXIT)->exit_status, 143);
  action_at(&c, 6, 8, "server kill", TC_SERVER, TC_ACT_KILL, 0);
  cr_assert_eq(
      expect_at(&c, 7, 9, "expect server exit none", TC_SERVER, TC_EXPECT_EXIT)->exit_status,
      TC_EXIT_NONE);
  tc_case_free(&c);
}

Test(programs, serve_plays_its_actions_and_a_client_program_connects) {
  tc_case c;
  parse_ok("p.case",
           HEAD "server listen\n"
                "server serve recv 10 send 5 shutdown wr wait 100ms close linger=0\n"
                "client exec \"./cli {addr} {port}\"\n"
                "client signal SIGINT\n"
                "expect client count ESTABLISHED>=0\n",
           &c);
  cr_assert_eq(c.program_line[TC_CLIENT], 4);
  const struct tc_action_step *a = &c.steps[1].u.act;
  cr_assert_eq(a->action, TC_ACT_SERVE);
  cr_assert_eq(a->conn.n, 5);
  cr_assert_eq(a->conn.act[0].recv, TC_RECV_BYTES);
  cr_assert_eq(a->conn.act[0].bytes, 10);
  cr_assert_null(a->conn.act[1].text);
  cr_assert_eq(a->conn.act[1].bytes, 5);
  cr_assert_eq(a->conn.act[2].how, TC_SHUT_WR);
  cr_assert_eq(a->conn.act[3].op, TC_CONN_WAIT);
  cr_assert_eq(a->conn.act[3].ms, 100);
  cr_assert_eq(a->conn.act[4].linger, 0);
  cr_assert_eq(c.steps[3].u.act.signo, SIGINT);
  tc_case_free(&c);
}

Test(programs, bare_serve_and_bare_churn_have_no_actions) {
  tc_case c;
  parse_ok("p.case",
           HEAD "server listen\nserver serve\nclient churn 5 &\nexpect client churn ok=5\n", &c);
  cr_assert_eq(c.steps[1].u.act.conn.n, 0);
  cr_assert_eq(c.steps[2].u.act.conn.n, 0);
  cr_assert_eq(c.steps[2].u.act.concurrency, 1);
  cr_assert_eq(c.steps[2].u.act.background, 1);
  cr_assert_eq(c.steps[3].u.exp.churn_failed, -1);
  tc_case_free(&c);
}

Test(programs, concurrency_above_the_count_is_the_count) {
  tc_case c;
  parse_ok("p.case",
           HEAD "server listen\nclient churn 3 concurrency=50 close\nexpect client gone\n", &c);
  cr_assert_eq(c.steps[1].u.act.concurrency, 3);
  tc_case_free(&c);
}

Test(programs, signal_names_both_ways) {
  cr_assert_eq(tc_signal_from_name("TERM"), SIGTERM);
  cr_assert_eq(tc_signal_from_name("SIGKILL"), SIGKILL);
  cr_assert_eq(tc_signal_from_name("TERMINATE"), 0);
  cr_assert_str_eq(tc_signal_name(SIGUSR1), "USR1");
  cr_assert_str_eq(tc_signal_name(0), "?");
}

struct rejection {
  const char *text; /* after "case t\n": line 2 on */
  const char *msg;  /* after "t.case:" */
};

#define SRV "server exec \"./s\"\n" /* line 2: a server program */
#define LSN "server listen\n"       /* line 2: a scripted listener */

/* Parameters cross into the test's process by value: the index, not
 * pointers into this one. */
static const struct rejection rejections[] = {
    {"server exec \"./s\" fast\n", "2: unknown option 'fast' for exec (expected port=N)"},
    {LSN "client exec \"./c\" port=5\n",
     "3: port=N is for a server program (the port it listens on)"},
    {"server exec \"./s\" port=0\n", "2: port must be a number from 1 to 65535, not '0'"},
    {"server exec ./s\n",
     "2: exec needs the command in quotes (e.g. server exec \"./prog {addr} {port}\")"},
    {SRV "server signal\n", "3: signal needs a name (e.g. TERM, INT, HUP, USR1)"},
    {SRV "server signal TEMR\n", "3: unknown signal 'TEMR' (expected TERM, INT, HUP, QUIT, USR1, "
                                 "USR2, KILL, STOP, CONT, ALRM or PIPE)"},
    {LSN "server exec \"./s\"\n", "3: server exec after server's first action at line 2: a role is "
                                  "a program from its first action"},
    {"client exec \"./c\"\n", "2: client exec before server listen ({port} is the server's port)"},
    {SRV "server accept\n",
     "3: the server is a program (exec at line 2): only signal and kill apply to it, not 'accept'"},
    {SRV "server exec \"./t\"\n", "3: server exec after server's first action at line 2: a role is "
                                  "a program from its first action"},
    {LSN "server signal TERM\n",
     "3: server signal: the server is not a program (signal applies to a role started with exec)"},
    {SRV "server kill\nserver signal TERM\n",
     "4: server signal after the server process ended at line 3"},
    {SRV "server exec \"./s\" &\n", "3: '&' does not apply to exec: it never blocks"},
    {LSN "server serve &\n", "3: '&' does not apply to serve: it never blocks"},
    {LSN "server serve recv\n", "3: recv needs a byte count, 'all' or 'eof'"},
    {LSN "server serve recv some\n", "3: recv needs a byte count, 'all' or 'eof', not 'some'"},
    {LSN "server serve send \"\"\n", "3: send \"\" sends nothing"},
    {LSN "server serve send\n", "3: send needs a byte count or \"text\""},
    {LSN "server serve send 0\n", "3: send needs a byte count from 1 to 2^30 or \"text\", not '0'"},
    {LSN "server serve shutdown\n", "3: shutdown needs wr, rd or rdwr"},
    {LSN "server serve shutdown both\n", "3: shutdown needs wr, rd or rdwr (not 'both')"},
    {LSN "server serve close linger=x\n", "3: linger must be seconds from 0 to 3600, not 'x'"},
    {LSN "server serve wait\n", "3: wait needs a duration (e.g. 100ms)"},
    {LSN "server serve wait 5\n", "3: duration '5' has no unit (write 5ms or 5s)"},
    {LSN "server serve read 5\n",
     "3: unknown connection action 'read' (expected recv, send, shutdown, close or wait)"},
    {LSN "server serve close send 1\n",
     "3: 'send' after close: a connection's actions end with close"},
    {LSN "server serve wait 1ms wait 1ms wait 1ms wait 1ms wait 1ms wait 1ms wait 1ms wait 1ms "
         "wait 1ms wait 1ms wait 1ms wait 1ms wait 1ms\n",
     "3: more than 12 actions for each connection"},
    {LSN "client churn\n", "3: churn needs a connection count (e.g. churn 1000 close)"},
    {LSN "client churn 0\n", "3: churn needs a connection count from 1 to 10000000, not '0'"},
    {LSN "client churn 5 concurrency=0\n", "3: concurrency must be from 1 to 10000, not '0'"},
    {LSN "server serve\nserver serve\n", "4: server serves twice (first at line 3)"},
    {LSN "server close\nserver serve\n", "4: server serve after server close at line 3"},
    {"server serve\n", "2: server serve before server listen"},
    {LSN "client serve\n", "3: only the server can serve (the client connects or churns)"},
    {LSN "server churn 5\n", "3: only the client can churn (the server listens and serves)"},
    {LSN "server serve\nserver accept\n",
     "4: server accept after server serve at line 3 (serve accepts every connection)"},
    {"client churn 5\n", "2: client churn before server listen"},
    {LSN "expect server exit 0\n",
     "3: expect server exit: the server is not a program (no exec before this line)"},
    {SRV "expect server exit\n", "3: 'exit' needs a status from 0 to 255 or none"},
    {SRV "expect server exit 256\n", "3: 'exit' needs a status from 0 to 255 or none, not '256'"},
    {LSN "expect server count CLOSE_WAIT\n",
     "3: bad count 'CLOSE_WAIT' (expected STATE=N, STATE<=N or STATE>=N)"},
    {LSN "expect server count CLOSE_WAIT=x\n",
     "3: bad count 'CLOSE_WAIT=x' (expected STATE=N, STATE<=N or STATE>=N)"},
    {LSN "expect server count gone=0\n",
     "3: sockets that are gone cannot be counted (count a state, e.g. TIME_WAIT=0)"},
    {LSN "expect server count TIME_WAIT=tuples\n",
     "3: count =tuples needs a churn before this line"},
    {LSN "client churn 5\nexpect server count TIME_WAIT=tuple\n",
     "4: bad count 'TIME_WAIT=tuple' (expected STATE=N, STATE<=N or STATE>=N)"},
    {LSN "expect server count close_wait=0\n",
     "3: unknown state 'close_wait' in count (expected ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, "
     "FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING or LISTEN)"},
    {LSN "expect client count LISTEN=1\n",
     "3: the client has no listener: count LISTEN is the server's"},
    {"expect client count TIME_WAIT=0\n",
     "2: count needs the server's port: no server listen or exec before this line"},
    {LSN "expect server count\n",
     "3: 'count' needs STATE=N, STATE<=N or STATE>=N (e.g. count CLOSE_WAIT=0)"},
    {LSN "expect server count LISTEN=1 LISTEN=1 LISTEN=1 LISTEN=1 LISTEN=1 LISTEN=1 LISTEN=1 "
         "LISTEN=1 LISTEN=1\n",
     "3: more than 8 counts"},
    {LSN "client churn 5\nexpect client churn all=5\n",
     "4: unknown option 'all=5' for churn (expected ok=N or failed=N)"},
    {LSN "client churn 5\nexpect client churn ok=x\n", "4: ok must be a count, not 'x'"},
    {LSN "expect client churn ok=5\n", "3: expect client churn: no client churn before this line"},
    {LSN "client churn 5\nexpect client churn failed=0\n",
     "4: 'churn' needs ok=N (e.g. churn ok=1000 failed=0)"},
};

ParameterizedTestParameters(programs, every_rejection_has_its_message) {
  static size_t index[sizeof rejections / sizeof rejections[0]];
  for (size_t i = 0; i < sizeof index / sizeof index[0]; i++) index[i] = i;
  return cr_make_param_array(size_t, index, sizeof index / sizeof index[0]);
}

ParameterizedTest(size_t *i, programs, every_rejection_has_its_message) {
  const struct rejection *r = &rejections[*i];
  char text[1024], msg[512];
  snprintf(text, sizeof text, HEAD "%sexpect client gone\n", r->text);
  snprintf(msg, sizeof msg, "t.case:%s", r->msg);
  assert_rejects(text, msg);
}

Test(programs, quoted_text_knows_carriage_return) {
  tc_case c;
  parse_ok("p.case", CONNECTED "client send \"a\\r\\n\"\nexpect client gone\n", &c);
  cr_assert_str_eq(c.steps[3].u.act.text, "a\r\n");
  cr_assert_eq(c.steps[3].u.act.bytes, 3);
  tc_case_free(&c);
}

Test(programs, exec_command_gets_its_address_and_port) {
  char buf[128];
  cr_assert_eq(tc_exec_expand("srv --bind {addr} {port} ${HOME} {x}", "::1", 8080, buf, sizeof buf),
               31);
  cr_assert_str_eq(buf, "srv --bind ::1 8080 ${HOME} {x}");
  cr_assert_eq(tc_exec_expand("{addr}:{port}", "127.0.0.1", 5, buf, sizeof buf), 11);
  cr_assert_str_eq(buf, "127.0.0.1:5");
  cr_assert_eq(tc_exec_expand("{addr}", "127.0.0.1", 5, buf, 9), -ENOSPC);
  cr_assert_eq(tc_exec_expand("{addr}", "127.0.0.1", 5, buf, 10), 9);
}

Test(programs, count_terms_compare_as_written) {
  struct tc_count_term eq = {.op = TC_COUNT_EQ, .n = 3}, le = {.op = TC_COUNT_LE, .n = 3},
                       ge = {.op = TC_COUNT_GE, .n = 3};
  cr_assert(tc_count_holds(&eq, 3) && !tc_count_holds(&eq, 2) && !tc_count_holds(&eq, 4));
  cr_assert(tc_count_holds(&le, 2) && tc_count_holds(&le, 3) && !tc_count_holds(&le, 4));
  cr_assert(!tc_count_holds(&ge, 2) && tc_count_holds(&ge, 3) && tc_count_holds(&ge, 990));
  cr_assert_str_eq(tc_count_op_text(TC_COUNT_GE), ">=");
  cr_assert_str_eq(tc_count_op_text(TC_COUNT_LE), "<=");
  cr_assert_str_eq(tc_count_op_text(TC_COUNT_EQ), "=");
}

/* ---- inject ---- */

static const struct tc_inject_step *inject_at(const tc_case *c, size_t i) {
  cr_assert_eq(c->steps[i].kind, TC_STEP_INJECT, "step %zu is not an inject", i);
  return &c->steps[i].u.inject;
}

Test(network, inject_defaults) {
  tc_case c;
  parse_ok("t.case", CONNECTED "inject c>s R\nexpect server gone\n", &c);
  const struct tc_inject_step *in = inject_at(&c, 3);
  cr_assert_eq(c.steps[3].line, 5);
  cr_assert_str_eq(c.steps[3].text, "inject c>s R");
  cr_assert_eq(in->from, TC_CLIENT);
  cr_assert_str_eq(in->flags, "R");
  cr_assert_eq(in->tcpflags, 0x04);
  cr_assert(in->seq.base == TC_REF_NXT && in->seq.off == 0, "seq=nxt by default");
  cr_assert(in->ack.base == TC_REF_NXT && in->ack.off == 0, "ack=nxt by default");
  cr_assert(in->len == 0 && in->win == TC_INJECT_WIN_LAST && !in->no_ts);
  cr_assert(c.needs_netns && c.needs_wire, "a namespace of its own and the capture");
  tc_case_free(&c);
}

Test(network, inject_every_option) {
  tc_case c;
  parse_ok("t.case",
           CONNECTED "client close\ninject s>c P. seq=wnd-10 ack=nxt-1 len=100 win=0 ts=none\n"
                     "inject c>s S seq=nxt+2147483647\nexpect server gone\n",
           &c);
  const struct tc_inject_step *in = inject_at(&c, 4);
  cr_assert_eq(in->from, TC_SERVER);
  cr_assert_eq(in->tcpflags, 0x18, "P.");
  cr_assert(in->seq.base == TC_REF_WND && in->seq.off == -10);
  cr_assert(in->ack.base == TC_REF_NXT && in->ack.off == -1);
  cr_assert(in->len == 100 && in->win == 0 && in->no_ts);
  in = inject_at(&c, 5);
  cr_assert(in->tcpflags == 0x02 && in->seq.off == 2147483647L);
  tc_case_free(&c);
}

Test(network, inject_after_the_peers_are_gone) {
  tc_case c;
  parse_ok("t.case",
           CONNECTED "client close\nserver close\ninject c>s S seq=nxt+1000\n"
                     "expect client TIME_WAIT\n",
           &c);
  cr_assert_eq(inject_at(&c, 5)->from, TC_CLIENT);
  tc_case_free(&c);
}

Test(network, inject_rejections) {
  assert_rejects(HEAD "server listen\ninject c>s R\n",
                 "t.case:3: inject before client connect: there is no connection to inject into");
  assert_rejects(CONNECTED "inject\n",
                 "t.case:5: inject needs a direction and flags (e.g. inject c>s R.)");
  assert_rejects(CONNECTED "inject c>s\n",
                 "t.case:5: inject needs a direction and flags (e.g. inject c>s R.)");
  assert_rejects(CONNECTED "inject c<s R\n",
                 "t.case:5: unknown direction 'c<s' (expected c>s or s>c)");
  assert_rejects(CONNECTED "inject c>s .R\n",
                 "t.case:5: bad flags '.R' (tcpdump notation in its order: R R. S F. . P. FP.)");
  assert_rejects(CONNECTED "inject c>s Q\n",
                 "t.case:5: bad flags 'Q' (tcpdump notation in its order: R R. S F. . P. FP.)");
  assert_rejects(CONNECTED "inject c>s R seq=una\n",
                 "t.case:5: bad seq= reference 'una' (expected nxt, nxt+N, nxt-N, wnd, wnd+N or "
                 "wnd-N, N below 2^31)");
  assert_rejects(CONNECTED "inject c>s R. ack=nxt+\n",
                 "t.case:5: bad ack= reference 'nxt+' (expected nxt, nxt+N, nxt-N, wnd, wnd+N or "
                 "wnd-N, N below 2^31)");
  assert_rejects(CONNECTED "inject c>s R ack=nxt\n",
                 "t.case:5: ack= needs the ACK flag: 'R' has no '.'");
  assert_rejects(CONNECTED "inject c>s P. len=60001\n",
                 "t.case:5: len= must be a number from 0 to 60000, not '60001'");
  assert_rejects(CONNECTED "inject c>s P. len=-1\n",
                 "t.case:5: len= must be a number from 0 to 60000, not '-1'");
  assert_rejects(CONNECTED "inject c>s . win=65536\n",
                 "t.case:5: win= must be a number from 0 to 65535, not '65536'");
  assert_rejects(CONNECTED "inject c>s . ts=yes\n",
                 "t.case:5: ts= can only be ts=none, not 'ts=yes'");
  assert_rejects(CONNECTED "inject c>s . seq=nxt seq=wnd\n", "t.case:5: 'seq=' given twice");
  assert_rejects(
      CONNECTED "inject c>s . count=1\n",
      "t.case:5: unknown inject option 'count=1' (expected seq=, ack=, len=, win= or ts=none)");
}

Test(reject, since_needs_a_left_bound) {
  assert_rejects(HEAD "expect client TIME_WAIT since=s>c:F.\n",
                 "t.case:2: since= says where left> or left< count from: give one of them");
}

Test(reject, since_needs_direction_and_flags) {
  assert_rejects(HEAD "expect client TIME_WAIT left>59s since=F.\n",
                 "t.case:2: since=F.: expected since=DIR:FLAGS (e.g. since=s>c:F.)");
  assert_rejects(HEAD "expect client TIME_WAIT left>59s since=s>c:Q\n",
                 "t.case:2: since=s>c:Q: bad flags 'Q' (tcpdump notation: F. S. R R. P. . FP.)");
  assert_rejects(HEAD "expect client TIME_WAIT left>59s since=s>c:F. since=s>c:F.\n",
                 "t.case:2: since given twice");
}
