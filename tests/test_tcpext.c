/* test_tcpext.c - the TcpExt counters of /proc/net/netstat and the
 * TIME_WAIT minisockets of /proc/net/sockstat (tcpclose/observe_tcpext.h):
 * files of this kernel (fixtures), pairs that do not match, a kernel
 * without some counters, lines without a tw, and what is printed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpclose/observe_tcpext.h"

static char *fixture_named(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  static char buf[16384];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return buf;
}

static char *fixture(size_t *len) { return fixture_named("proc_net_netstat.txt", len); }

static unsigned long long named(const struct tc_tcpext *t, const char *name) {
  for (int i = 0; i < TC_TCPEXT_COUNT; i++)
    if (strcmp(tc_tcpext_names[i], name) == 0) return t->v[i];
  cr_assert_fail("no counter %s", name);
  return 0;
}

Test(tcpext, a_kernels_file) {
  size_t len;
  const char *text = fixture(&len);
  struct tc_tcpext t;
  cr_assert_eq(tc_tcpext_parse(text, len, &t), 0);
  cr_assert_eq(named(&t, "TW"), 328);
  cr_assert_eq(named(&t, "TCPAbortOnData"), 610);
  cr_assert_eq(named(&t, "TCPAbortOnClose"), 14);
  cr_assert_eq(named(&t, "TWKilled"), 0);
  char out[200];
  cr_assert_eq(tc_tcpext_format(&t, out, sizeof out), strlen(out));
  cr_assert_str_eq(out, "TW=328 TCPAbortOnData=610 TCPAbortOnClose=14");
}

Test(tcpext, pairs_that_do_not_match_are_refused) {
  struct tc_tcpext t;
  static const char fewer[] = "TcpExt: TW TWKilled\nTcpExt: 5\n";
  static const char word[] = "TcpExt: TW TWKilled\nTcpExt: 5 x\n";
  static const char none[] = "IpExt: InNoRoutes\nIpExt: 0\n";
  cr_assert_eq(tc_tcpext_parse(fewer, sizeof fewer - 1, &t), -EPROTO);
  cr_assert_eq(tc_tcpext_parse(word, sizeof word - 1, &t), -EPROTO);
  cr_assert_eq(tc_tcpext_parse(none, sizeof none - 1, &t), -EPROTO);
  cr_assert_eq(tc_tcpext_parse("", 0, &t), -EPROTO);
}

/* MPTcpExt is another line; a kernel without a counter leaves it 0. */
Test(tcpext, other_lines_and_missing_counters) {
  static const char text[] = "MPTcpExt: TW\nMPTcpExt: 9\n"
                             "TcpExt: TWKilled Other TW\nTcpExt: 2 7 3";
  struct tc_tcpext t;
  cr_assert_eq(tc_tcpext_parse(text, sizeof text - 1, &t), 0);
  cr_assert_eq(named(&t, "TW"), 3);
  cr_assert_eq(named(&t, "TWKilled"), 2);
  cr_assert_eq(named(&t, "TCPTimeWaitOverflow"), 0);
}

Test(tcpext, what_does_not_fit_is_left_out_whole) {
  struct tc_tcpext t = {0};
  t.v[0] = 328, t.v[2] = 7; /* TW, TWKilled */
  char out[16];
  cr_assert_eq(tc_tcpext_format(&t, out, sizeof out), 6);
  cr_assert_str_eq(out, "TW=328");
  struct tc_tcpext zero = {0};
  cr_assert_eq(tc_tcpext_format(&zero, out, sizeof out), 0);
  cr_assert_str_eq(out, "");
}

/* This process's own namespace: the file is there on Linux. */
Test(tcpext, reads_a_namespaces_file) {
  struct tc_tcpext t;
  int rc = tc_tcpext_read(0, &t);
#ifdef __linux__
  cr_assert_eq(rc, 0, "%s", strerror(-rc));
#else
  cr_assert_eq(rc, -ENOENT);
#endif
}

/* A namespace of this kernel after three connections closed by their
 * client: "TCP: inuse 1 orphan 728 tw 3 ...". */
Test(sockstat, a_kernels_file) {
  size_t len;
  const char *text = fixture_named("proc_net_sockstat.txt", &len);
  unsigned long long tw = 99;
  cr_assert_eq(tc_sockstat_tw_parse(text, len, &tw), 0);
  cr_assert_eq(tw, 3);
}

Test(sockstat, lines_without_a_tw_are_refused) {
  unsigned long long tw = 7;
  static const char none[] = "sockets: used 1\nUDP: inuse 0 mem 0\n";
  static const char tcp6[] = "TCP6: inuse 1\n";
  static const char no_tw[] = "TCP: inuse 1 orphan 0\n";
  static const char word[] = "TCP: inuse 1 tw x alloc 2\n";
  static const char half[] = "TCP: inuse 1 tw";
  cr_assert_eq(tc_sockstat_tw_parse(none, sizeof none - 1, &tw), -EPROTO);
  cr_assert_eq(tc_sockstat_tw_parse(tcp6, sizeof tcp6 - 1, &tw), -EPROTO);
  cr_assert_eq(tc_sockstat_tw_parse(no_tw, sizeof no_tw - 1, &tw), -EPROTO);
  cr_assert_eq(tc_sockstat_tw_parse(word, sizeof word - 1, &tw), -EPROTO);
  cr_assert_eq(tc_sockstat_tw_parse(half, sizeof half - 1, &tw), -EPROTO);
  cr_assert_eq(tc_sockstat_tw_parse("", 0, &tw), -EPROTO);
  cr_assert_eq(tw, 7);
}

/* "tw" is a whole word: "tww" is not it, and spaces may repeat. */
Test(sockstat, the_word_tw_and_its_value) {
  static const char text[] = "TCP:  tww 5  tw  12 alloc 3";
  unsigned long long tw = 0;
  cr_assert_eq(tc_sockstat_tw_parse(text, sizeof text - 1, &tw), 0);
  cr_assert_eq(tw, 12);
}

Test(sockstat, reads_a_namespaces_file) {
  unsigned long long tw;
  int rc = tc_sockstat_tw_read(0, &tw);
#ifdef __linux__
  cr_assert_eq(rc, 0, "%s", strerror(-rc));
#else
  cr_assert_eq(rc, -ENOENT);
#endif
}
