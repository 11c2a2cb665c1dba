/* test_churn_checkpoints.c - the checkpoints of many connections and of
 * programs, judged on what the kernel and the peer's churn reply say, and
 * able to fail: `expect ROLE count` (=, <=, >=, the listener under LISTEN),
 * `expect ROLE churn ok=N [failed=N]`, `expect ROLE error` on a churn's
 * failures, `expect ROLE exit`; and the churn's figures in the results.
 * Root (a namespace per case). */
#include <criterion/criterion.h>
#include <string.h>

#include "case_helpers.h"
#include "cli_helpers.h"

TestSuite(churn_checkpoints, .init = th_case_setup, .fini = th_case_teardown, .timeout = 60);

/* A count that misses sockets also gives what the kernel counted, in the
 * case's namespace, of sockets that left early: a zero linger aborts each
 * connection (TCPAbortOnData, net/ipv4/tcp.c __tcp_close()), and none
 * reaches TIME_WAIT, so the namespace holds none (its sockstat). A passing
 * count says nothing of them. */
Test(churn_checkpoints, failed_count_gives_the_kernels_abort_counters) {
  int status;
  json_t *k = th_play(th_dir, "lz",
                      "case lz\nabout a\nsource t\n"
                      "server listen backlog=64\n"
                      "server serve recv eof close\n"
                      "client churn 20 concurrency=4 send 10 close linger=0\n"
                      "settle\n"
                      "expect client count TIME_WAIT=0\n"   /* 8 */
                      "expect client count TIME_WAIT=20\n", /* 9: fails */
                      NULL, &status, &th_root);
  cr_assert_eq(status, 1);
  cr_assert_str_eq(th_observed(k, 8), "TIME_WAIT=0");
  cr_assert_str_eq(th_observed(k, 9),
                   "TIME_WAIT=0 (kernel: TCPAbortOnData=20, 0 TIME_WAIT held now)");
}

/* ... and how many TIME_WAIT sockets the namespace holds by the kernel's
 * own tally (both roles, no walk of its tables): a count whose dump missed
 * some would be told apart from sockets ended early. The client closes
 * first: all 20 TIME_WAIT are the client's (RFC 9293 3.6). Its orphans
 * stay full sockets in FIN_WAIT2 (tcp_fin_timeout over 60 s), out of the
 * way of 6.18's minisocket race (see cases/tw-reuse-loopback-reconnects). */
Test(churn_checkpoints, failed_count_gives_the_time_wait_held) {
  int status;
  json_t *k = th_play(th_dir, "tw",
                      "case tw\nabout a\nsource t\n"
                      "sysctl net.ipv4.tcp_fin_timeout=120\n"
                      "server listen backlog=64\n"
                      "server serve recv eof close\n"
                      "client churn 20 concurrency=4 send 10 close\n"
                      "settle\n"
                      "expect client count TIME_WAIT=20\n"  /* 9 */
                      "expect client count TIME_WAIT=19\n", /* 10: fails */
                      NULL, &status, &th_root);
  cr_assert_eq(status, 1);
  cr_assert_str_eq(th_observed(k, 9), "TIME_WAIT=20");
  cr_assert_str_eq(th_observed(k, 10), "TIME_WAIT=20 (kernel: TW=20, 20 TIME_WAIT held now)");
}

/* A count "=tuples" is judged against the distinct 4-tuples the churn's
 * connects took: over 10 ports, the server closing first, 40 connections
 * take ports again whose 4-tuples the server holds in TIME_WAIT, and each
 * SYN ends one (RFC 6191); the server holds one per 4-tuple, never 40. */
Test(churn_checkpoints, count_against_the_churns_tuples) {
  int status;
  json_t *k = th_play(th_dir, "tuples",
                      "case tuples\nabout a\nsource t\n"
                      "sysctl net.ipv4.ip_local_port_range=50000 60999\n"
                      "server listen backlog=64\n"
                      "server serve send 10 close\n"
                      "sysctl net.ipv4.ip_local_port_range=40000 40009\n"
                      "client churn 40 recv eof close\n"
                      "settle\n"
                      "expect server count TIME_WAIT=tuples\n" /* 10 */
                      "expect server count TIME_WAIT=40\n",    /* 11: fails */
                      NULL, &status, &th_root);
  cr_assert_eq(status, 1);
  json_t *c = json_object_get(k, "churn");
  json_int_t tuples = json_integer_value(json_object_get(c, "tuples"));
  cr_assert(tuples >= 1 && tuples <= 5, "tuples %lld", (long long)tuples);
  char want[64];
  snprintf(want, sizeof want, "TIME_WAIT=%lld (tuples=%lld)", (long long)tuples, (long long)tuples);
  cr_assert_str_eq(th_observed(k, 10), want);
  cr_assert_eq(th_passed(k, 10), 1);
  cr_assert_eq(th_passed(k, 11), 0);
}

Test(churn_checkpoints, count_and_churn_pass_and_fail) {
  int status;
  json_t *k = th_play(th_dir, "leak",
                      "case leak\nabout a\nsource t\n"
                      "server listen backlog=64\n"
                      "server serve recv eof\n"
                      "client churn 20 concurrency=2 send 10 close\n"
                      "settle\n"
                      "expect server count CLOSE_WAIT=20 LISTEN=1\n"        /* 8 */
                      "expect server count CLOSE_WAIT=19\n"                 /* 9: fails */
                      "expect server count CLOSE_WAIT>=20 CLOSE_WAIT<=20\n" /* 10 */
                      "expect server count CLOSE_WAIT<=19\n"                /* 11: fails */
                      "expect client count FIN_WAIT2=20 TIME_WAIT=0\n"      /* 12 */
                      "expect client churn ok=20 failed=0\n"                /* 13 */
                      "expect client churn ok=21\n"                         /* 14: fails */
                      "expect client error none\n",                         /* 15 */
                      NULL, &status, &th_root);
  cr_assert_eq(status, 1);
  cr_assert_str_eq(th_str(k, "verdict"), "fail");
  cr_assert_str_eq(th_observed(k, 8), "CLOSE_WAIT=20 LISTEN=1");
  cr_assert_eq(th_passed(k, 8), 1);
  cr_assert_eq(th_passed(k, 9), 0);
  /* then the kernel's counters: the client's orphans in FIN_WAIT2 became
   * TIME_WAIT minisockets (TW=N), most of them, as the kernel's timing had it */
  cr_assert(strncmp(th_observed(k, 9), "CLOSE_WAIT=20 (also LISTEN=1)", 29) == 0,
            "a failed count names the other states: %s", th_observed(k, 9));
  cr_assert_eq(th_passed(k, 10), 1);
  cr_assert_eq(th_passed(k, 11), 0);
  cr_assert_str_eq(th_observed(k, 12), "FIN_WAIT2=20 TIME_WAIT=0");
  cr_assert_eq(th_passed(k, 12), 1);
  cr_assert_str_eq(th_observed(k, 13), "ok=20 failed=0");
  cr_assert_eq(th_passed(k, 13), 1);
  cr_assert_eq(th_passed(k, 14), 0);
  cr_assert_eq(th_passed(k, 15), 1);
  json_t *c = json_object_get(k, "churn");
  cr_assert_eq(json_integer_value(json_object_get(c, "ok")), 20);
  cr_assert_eq(json_integer_value(json_object_get(c, "line")), 6);
  cr_assert(json_real_value(json_object_get(c, "rate")) > 0);
}

Test(churn_checkpoints, churn_failures_by_errno) {
  int status;
  json_t *k = th_play(th_dir, "ports",
                      "case ports\nabout a\nsource t\n"
                      "sysctl net.ipv4.tcp_tw_reuse=0\n"
                      "server listen backlog=64\n"
                      "server serve recv eof close\n"
                      "sysctl net.ipv4.ip_local_port_range=40000 40009\n"
                      "client churn 15 send 10 close\n"
                      "expect client churn ok=10 failed=5\n" /* 9 */
                      "expect client error EADDRNOTAVAIL\n"  /* 10 */
                      "expect client error ECONNREFUSED\n"   /* 11: fails */
                      "expect client error none\n",          /* 12: fails */
                      NULL, &status, &th_root);
  cr_assert_eq(th_passed(k, 9), 1, "%s", th_observed(k, 9));
  cr_assert_str_eq(th_observed(k, 10), "EADDRNOTAVAIL=5");
  cr_assert_eq(th_passed(k, 10), 1);
  cr_assert_eq(th_passed(k, 11), 0);
  cr_assert_eq(th_passed(k, 12), 0);
  json_t *errs = json_object_get(json_object_get(k, "churn"), "errors");
  cr_assert_eq(json_integer_value(json_object_get(errs, "EADDRNOTAVAIL")), 5);
}

Test(churn_checkpoints, exit_status_pass_and_fail) {
  int status;
  json_t *k = th_play(th_dir, "exit",
                      "case exit\nabout a\nsource t\n"
                      "server listen\n"
                      "client exec \"exit 7\"\n"
                      "expect client exit 7\n"     /* 6 */
                      "expect client exit 0\n"     /* 7: fails */
                      "expect client exit none\n", /* 8: fails */
                      NULL, &status, &th_root);
  cr_assert_eq(th_passed(k, 6), 1);
  cr_assert_str_eq(th_observed(k, 7), "7");
  cr_assert_eq(th_passed(k, 7), 0);
  cr_assert_eq(th_passed(k, 8), 0);
}

Test(churn_checkpoints, exit_waits_up_to_the_timeout) {
  int status;
  json_t *k = th_play(th_dir, "slow",
                      "case slow\nabout a\nsource t\n"
                      "server listen\n"
                      "client exec \"sleep 0.3; exit 2\"\n"
                      "expect client exit none\n" /* 6: still running */
                      "expect client exit 2\n",   /* 7: waits for it */
                      NULL, &status, &th_root);
  cr_assert_eq(th_passed(k, 6), 1);
  cr_assert_eq(th_passed(k, 7), 1, "%s", th_observed(k, 7));
}

Test(churn_checkpoints, exit_that_never_comes_fails_the_check) {
  int status;
  json_t *k = th_play(th_dir, "never",
                      "case never\nabout a\nsource t\n"
                      "server listen\n"
                      "client exec \"sleep 30\"\n"
                      "expect client exit 0\n", /* 6 */
                      "1s", &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "fail", "%s", th_str(k, "reason"));
  cr_assert_str_eq(th_observed(k, 6), "none (still running)");
}

/* A serve that closes after the end of stream, but only 300 ms later (what
 * a busy machine does to a peer kept off the CPU): the kernel is quiet
 * meanwhile, yet settle waits for the close, since the server's CLOSE_WAIT
 * sockets are its peer's to close. */
Test(churn_checkpoints, settle_waits_for_a_serve_that_will_close) {
  int status;
  json_t *k = th_play(th_dir, "late",
                      "case late\nabout a\nsource t\n"
                      "sysctl net.ipv4.tcp_tw_reuse=0\n"
                      "server listen backlog=64\n"
                      "server serve recv eof wait 300ms close\n"
                      "client churn 10 concurrency=10 send 10 close\n"
                      "settle 3s\n"
                      "expect server count CLOSE_WAIT=0 LAST_ACK=0\n" /* 9 */
                      "expect client count TIME_WAIT=10\n",           /* 10 */
                      NULL, &status, &th_root);
  cr_assert_eq(status, 0, "%s / %s", th_observed(k, 9), th_observed(k, 10));
  cr_assert_eq(th_passed(k, 9), 1);
  cr_assert_eq(th_passed(k, 10), 1);
  json_t *s = json_array_get(json_object_get(k, "settles"), 0);
  cr_assert_str_eq(th_str(s, "ended"), "quiet");
  cr_assert_geq(json_integer_value(json_object_get(s, "ms")), 300);
}

/* The server's FIN of a churned connection is lost once: the server waits
 * in LAST_ACK for its retransmission (200 ms or more), the client in
 * FIN_WAIT2, and the kernel is quiet meanwhile. Settle waits for it, as it
 * does for the sockets it follows one by one: the counted ones with their
 * retransmit timer armed hold it too. */
Test(churn_checkpoints, settle_waits_for_a_counted_socket_retransmission) {
  int status;
  json_t *k = th_play(th_dir, "rtx",
                      "case rtx\nabout a\nsource t\n"
                      "sysctl net.ipv4.tcp_tw_reuse=0\n"
                      "server listen backlog=8\n"
                      "server serve recv eof close\n"
                      "drop s>c F. count=1\n"
                      "client churn 1 send 10 close\n"
                      "settle 3s\n"
                      "expect client count TIME_WAIT=1 FIN_WAIT2=0\n" /* 10 */
                      "expect server count LAST_ACK=0\n",             /* 11 */
                      NULL, &status, &th_root);
  cr_assert_eq(status, 0, "%s / %s", th_observed(k, 10), th_observed(k, 11));
  json_t *s = json_array_get(json_object_get(k, "settles"), 0);
  cr_assert_str_eq(th_str(s, "ended"), "quiet");
  cr_assert_geq(json_integer_value(json_object_get(s, "ms")), 200);
}
