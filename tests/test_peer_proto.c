/* test_peer_proto.c - the serve and churn lines of the peer's control
 * protocol (harness/peer_proto.c, peer_proto_conn.c): commands written from
 * parsed case steps, connection scripts read back as the peer reads them,
 * and a churn's reply both ways. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "peer_proto.h"
#include "tcpclose/case.h"

/* The action step on line `line` of a parsed text. */
static const struct tc_action_step *action(const tc_case *c, int line) {
  for (size_t i = 0; i < c->nsteps; i++)
    if (c->steps[i].line == line && c->steps[i].kind == TC_STEP_ACTION) return &c->steps[i].u.act;
  cr_assert_fail("no action on line %d", line);
  return NULL;
}

static void parse(const char *text, tc_case *c) {
  tc_err err = {{0}};
  cr_assert_eq(tc_case_parse_text("t.case", text, c, &err), 0, "%s", err.msg);
}

static const char serve_churn[] =
    "case t\n"
    "server listen\n"
    "server serve recv eof send \"ok\\r\\n\" shutdown wr wait 50ms close\n"
    "client churn 1000 concurrency=8 send 10 recv 2 recv all close linger=0\n"
    "expect client churn ok=1000\n";

Test(proto, serve_and_churn_commands_carry_their_scripts) {
  tc_case c;
  char buf[512];
  struct tc__proto_where w = {.host = "::1", .port = 4000};
  parse(serve_churn, &c);
  cr_assert_eq(tc__proto_command(action(&c, 3), 7, &w, buf, sizeof buf), 62);
  cr_assert_str_eq(buf, "7 serve recv:eof send:4:6f6b0d0a shutdown:wr wait:50 close:-1\n");
  tc__proto_command(action(&c, 4), 8, &w, buf, sizeof buf);
  cr_assert_str_eq(buf, "8 churn ::1 4000 1000 8 send:10 recv:bytes:2 recv:all close:0\n");
  cr_assert_eq(tc__proto_command(action(&c, 4), 8, &w, buf, 40), -ENOSPC);
  tc_case_free(&c);
}

Test(proto, bare_serve_is_one_word) {
  tc_case c;
  char buf[64];
  struct tc__proto_where w = {.host = "127.0.0.1"};
  parse("case t\nserver listen\nserver serve\nexpect server LISTEN\n", &c);
  tc__proto_command(action(&c, 3), 3, &w, buf, sizeof buf);
  cr_assert_str_eq(buf, "3 serve\n");
  tc_case_free(&c);
}

/* What the runner writes, the peer reads back into the same script. */
Test(proto, scripts_read_back_as_written) {
  tc_case c;
  char buf[512];
  struct tc__proto_where w = {.host = "::1", .port = 4000};
  struct tc_conn_script back;
  parse(serve_churn, &c);
  const struct tc_conn_script *s = &action(&c, 3)->conn;
  tc__proto_command(action(&c, 3), 7, &w, buf, sizeof buf);
  buf[strlen(buf) - 1] = '\0';
  cr_assert_eq(tc__proto_conn_script_parse(buf + strlen("7 serve"), &back), 0);
  cr_assert_eq(back.n, s->n);
  for (size_t i = 0; i < s->n; i++) {
    cr_assert_eq(back.act[i].op, s->act[i].op, "action %zu", i);
    cr_assert_eq(back.act[i].recv, s->act[i].recv, "action %zu", i);
    cr_assert_eq(back.act[i].bytes, s->act[i].bytes, "action %zu", i);
    cr_assert_eq(back.act[i].how, s->act[i].how, "action %zu", i);
    cr_assert_eq(back.act[i].linger, s->act[i].linger, "action %zu", i);
    cr_assert_eq(back.act[i].ms, s->act[i].ms, "action %zu", i);
  }
  cr_assert_str_eq(back.act[1].text, "ok\r\n");
  tc__proto_conn_script_free(&back);
  tc_case_free(&c);
}

Test(proto, unknown_or_malformed_words_are_refused) {
  static const char *const bad[] = {"dance:5", "recv",      "recv:bytes:0", "recv:some",
                                    "send:0",  "send:2:6f", "send:1:zz",    "shutdown:both",
                                    "close",   "close:-2",  "wait:x",       "wait:-1"};
  struct tc_conn_script s;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(tc__proto_conn_script_parse(bad[i], &s), -EINVAL, "'%s' was taken", bad[i]);
  cr_assert_eq(tc__proto_conn_script_parse("", &s), 0);
  cr_assert_eq(s.n, 0);
}

Test(proto, churn_reply_both_ways) {
  struct tc__churn_result r = {
      .ok = 990, .failed = 10, .tuples = 985, .us = 81234, .rate = 12310.4, .nerrs = 2};
  r.errs[0].err = EADDRNOTAVAIL, r.errs[0].n = 7;
  r.errs[1].err = 200, r.errs[1].n = 3; /* no name in tcpclose's table */
  char buf[128];
  struct tc__churn_result back;
  cr_assert_eq(tc__proto_churn_format(&r, buf, sizeof buf), 0);
  cr_assert_str_eq(buf, "990 10 985 81234 12310.4 EADDRNOTAVAIL=7 200=3");
  cr_assert_eq(tc__proto_churn_parse(buf, &back), 0);
  cr_assert_eq(back.ok, 990);
  cr_assert_eq(back.failed, 10);
  cr_assert_eq(back.tuples, 985);
  cr_assert_eq(back.us, 81234);
  cr_assert_float_eq(back.rate, 12310.4, 0.01);
  cr_assert_eq(back.nerrs, 2);
  cr_assert_eq(back.errs[0].err, EADDRNOTAVAIL);
  cr_assert_eq(back.errs[1].err, 200);
  cr_assert_eq(back.errs[1].n, 3);
  cr_assert_eq(tc__proto_churn_format(&r, buf, 20), -ENOSPC);
}

Test(proto, churn_reply_without_its_numbers_is_refused) {
  struct tc__churn_result r;
  cr_assert_eq(tc__proto_churn_parse("990 10 985 81234", &r), -EINVAL);
  cr_assert_eq(tc__proto_churn_parse("990 10 985 81234 1.0 EWHAT=3", &r), -EINVAL);
  cr_assert_eq(tc__proto_churn_parse("990 10 985 81234 1.0 EPIPE", &r), -EINVAL);
}
