/* test_crosscheck.c - what tcpclose reports agrees with the tools people
 * use by hand. In a network namespace of the test's own (only the case's
 * traffic is there), tcpdump captures while tcpclose plays a case; then the
 * segments in the results file must be tcpdump's, flag for flag, in order,
 * and `ss` must show the sockets the case left in the states its timeline
 * ends in. Needs root, tcpdump and ss; skipped, saying why, without them. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "play_port.h"

static char *dir;

static void setup(void) { dir = th_tmpdir(); }
static void teardown(void) { th_rmtree(dir); }

TestSuite(crosscheck, .init = setup, .fini = teardown, .timeout = 60);

/* Enters a fresh network namespace with lo up; skips when it cannot. */
static void private_netns(void) {
  if (geteuid() != 0) cr_skip_test("needs root (network namespace, tcpdump)");
  if (system("command -v tcpdump >/dev/null && command -v ss >/dev/null") != 0)
    cr_skip_test("needs tcpdump and ss (Debian: tcpdump, iproute2)");
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET) failed");
  cr_assert_eq(system("ip link set lo up"), 0);
}

/* "c>s F." for each segment tcpdump printed, in order. */
static size_t tcpdump_flags(const char *text, unsigned server_port, char out[][16], size_t max) {
  size_t n = 0;
  for (const char *l = text; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    unsigned sport;
    char flags[12];
    const char *ip = strstr(l, "127.0.0.1."), *fl = strstr(l, "Flags [");
    if (!ip || !fl || sscanf(ip, "127.0.0.1.%u", &sport) != 1 ||
        sscanf(fl, "Flags [%11[^]]", flags) != 1)
      continue;
    snprintf(out[n++], 16, "%s %s", sport == server_port ? "s>c" : "c>s", flags);
  }
  return n;
}

static json_t *play_captured(const char *casefile, char **dump) {
  char json[600], pcap_txt[600], cmd[4096];
  snprintf(json, sizeof json, "%s/r.json", dir);
  snprintf(pcap_txt, sizeof pcap_txt, "%s/tcpdump.txt", dir);
  snprintf(cmd, sizeof cmd,
           "tcpdump -i lo -nn -l tcp >'%s' 2>'%s.err' & pid=$!; "
           "for i in $(seq 100); do grep -q listening '%s.err' && break; sleep 0.05; done; "
           "'%s' run --no-netns --json '%s' '%s' >/dev/null; rc=$?; sleep 0.3; kill -INT $pid; "
           "wait $pid; exit $rc",
           pcap_txt, pcap_txt, pcap_txt, TCPCLOSE_BIN, json, casefile);
  cr_assert_eq(system(cmd), 0, "tcpclose run failed on %s", casefile);
  *dump = th_read_file(pcap_txt);
  json_error_t e;
  json_t *root = json_load_file(json, 0, &e);
  cr_assert_not_null(root, "%s", e.text);
  return root;
}

/* Asserts results segments == tcpdump's, one for one; returns the
 * server's port. */
static unsigned assert_same_segments(json_t *root, const char *dump) {
  json_t *segs = json_object_get(json_array_get(json_object_get(root, "cases"), 0), "segments");
  size_t n = json_array_size(segs);
  cr_assert_gt(n, 0, "tcpclose saw no segment (is the wire capture available?)");
  json_t *first = json_array_get(segs, 0); /* the client's SYN */
  unsigned server_port = (unsigned)json_integer_value(json_object_get(first, "dport"));
  char seen[64][16];
  size_t m = tcpdump_flags(dump, server_port, seen, 64);
  cr_assert_eq(m, n, "tcpdump saw %zu segments, tcpclose %zu:\n%s", m, n, dump);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(segs, i);
    char mine[16];
    snprintf(mine, sizeof mine, "%s %s", json_string_value(json_object_get(s, "dir")),
             json_string_value(json_object_get(s, "flags")));
    cr_assert_str_eq(mine, seen[i], "segment %zu: tcpclose says %s, tcpdump %s", i, mine, seen[i]);
  }
  return server_port;
}

/* The state `ss` shows now for the socket whose local port is `port`. */
static void ss_state(unsigned port, char *state, size_t len) {
  char cmd[200];
  snprintf(cmd, sizeof cmd, "ss -Htan 'sport = :%u' | awk '{print $1}' | head -n1", port);
  FILE *p = popen(cmd, "r");
  if (fgets(state, (int)len, p) == NULL) snprintf(state, len, "gone");
  state[strcspn(state, "\n")] = '\0';
  pclose(p);
}

/* The last state of a role's path in the results. */
static const char *last_state(json_t *root, const char *role) {
  json_t *ts = json_object_get(json_array_get(json_object_get(root, "cases"), 0), "transitions");
  const char *last = "none";
  for (size_t i = 0; i < json_array_size(ts); i++) {
    json_t *t = json_array_get(ts, i);
    if (strcmp(json_string_value(json_object_get(t, "role")), role) == 0)
      last = json_string_value(json_object_get(t, "to"));
  }
  return last;
}

static unsigned client_port(json_t *root) {
  json_t *segs = json_object_get(json_array_get(json_object_get(root, "cases"), 0), "segments");
  return (unsigned)json_integer_value(json_object_get(json_array_get(segs, 0), "sport"));
}

Test(crosscheck, normal_close_matches_tcpdump_and_ss) {
  private_netns();
  char *dump;
  /* server-close-on-eof drops a late lone ACK: it needs a namespace of its
   * own, which --no-netns (to let tcpdump and ss see it) does not give. */
  json_t *root = play_captured(TCPCLOSE_CASES_DIR "/server-close-delayed.case", &dump);
  unsigned server_port = assert_same_segments(root, dump);
  /* without a namespace of its own the runner picks the port (play_port.h) */
  cr_assert(server_port >= TC__PORT_MIN && server_port < TC__PORT_MIN + TC__PORT_SPAN,
            "--no-netns listened on %u, not a port the runner picked", server_port);
  char st[32];
  ss_state(client_port(root), st, sizeof st);
  cr_assert_str_eq(st, "TIME-WAIT", "ss shows the client's socket in %s", st);
  cr_assert_str_eq(last_state(root, "client"), "TIME_WAIT");
  cr_assert_str_eq(last_state(root, "server"), "gone");
  json_decref(root);
  free(dump);
}

Test(crosscheck, linger_reset_matches_tcpdump_and_ss) {
  private_netns();
  char *dump;
  json_t *root = play_captured(TCPCLOSE_CASES_DIR "/client-linger-reset.case", &dump);
  assert_same_segments(root, dump);
  char st[32];
  ss_state(client_port(root), st, sizeof st);
  cr_assert_str_eq(st, "gone", "after a reset ss still shows the client in %s", st);
  cr_assert_str_eq(last_state(root, "client"), "gone");
  json_decref(root);
  free(dump);
}

Test(crosscheck, half_close_matches_tcpdump_and_ss) {
  private_netns();
  char *dump;
  json_t *root = play_captured(TCPCLOSE_CASES_DIR "/half-close-shut-wr.case", &dump);
  assert_same_segments(root, dump);
  char st[32];
  ss_state(client_port(root), st, sizeof st);
  cr_assert_str_eq(st, "TIME-WAIT", "ss shows the client's socket in %s", st);
  cr_assert_str_eq(last_state(root, "client"), "TIME_WAIT");
  json_decref(root);
  free(dump);
}
