/* test_program_exec.c - a role played by a program (`ROLE exec`): a server
 * program in the case's namespace (its port chosen, or its own port=N),
 * a client program whose connection is learned at `server accept`, both
 * checked through the kernel by the 4-tuple; the program runs in the case
 * file's folder with {addr} and {port} filled in, and its output tails and
 * its end are in the results. Root (a namespace per case) and python3. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_helpers.h"
#include "cli_helpers.h"

#define EXAMPLES TCPCLOSE_CASES_DIR "/../examples"

TestSuite(program_exec, .init = th_case_setup, .fini = th_case_teardown, .timeout = 60);

static json_t *program_of(json_t *kase, int i) {
  return json_array_get(json_object_get(kase, "programs"), (size_t)i);
}

Test(program_exec, server_program_is_checked_through_the_kernel) {
  int status;
  json_t *k =
      th_play(th_dir, "srv",
              "case srv\nabout a\nsource t\n"
              "server exec \"python3 " EXAMPLES "/close_on_eof_server.py {addr} {port}\"\n" /* 4 */
              "client connect\n"
              "client send \"GET / HTTP/1.0\\r\\n\\r\\n\"\n"
              "client recv 41\n"
              "expect server ESTABLISHED\n" /* 8 */
              "client close\n"
              "settle\n"
              "expect client TIME_WAIT\n" /* 11 */
              "expect server gone\n"      /* 12 */
              "expect server exit none\n" /* 13 */
              "expect client received 41\n",
              NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_eq(status, 0);
  cr_assert_str_eq(th_observed(k, 8), "ESTABLISHED recvq=0 sendq=0");
  cr_assert_str_eq(th_observed(k, 11), "TIME_WAIT recvq=0 sendq=0");
  cr_assert_str_eq(th_observed(k, 13), "none (still running)");
  json_t *p = program_of(k, 0);
  cr_assert_str_eq(th_str(p, "role"), "server");
  unsigned port = 0;
  cr_assert_eq(sscanf(th_str(p, "command"),
                      "python3 " EXAMPLES "/close_on_eof_server.py 127.0.0.1 %u", &port),
               1, "placeholders filled: %s", th_str(p, "command"));
  cr_assert(port >= 1024, "a port was chosen");
  cr_assert_eq(json_integer_value(json_object_get(p, "signal")), 15, "SIGTERM at the end");
  cr_assert(json_is_false(json_object_get(p, "killed")));
}

/* A program that takes longer than a step's 5 s to start listening is
 * waited for (TC_PROGRAM_START_MS): how fast it starts is not what the case
 * judges, and 8 interpreters started at once on a loaded machine take that
 * long. With --timeout given, that bounds the start instead
 * (test_program_bad). */
Test(program_exec, a_program_slow_to_listen_is_waited_for) {
  int status;
  json_t *k = th_play(th_dir, "slow",
                      "case slow\nabout a\nsource t\n"
                      "server exec \"sleep 6; exec python3 " EXAMPLES
                      "/close_on_eof_server.py {addr} {port}\"\n" /* 4 */
                      "client connect\n"
                      "expect server ESTABLISHED\n",
                      NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_eq(status, 0);
}

Test(program_exec, fixed_port_is_the_programs_own_in_the_namespace) {
  int status;
  json_t *k =
      th_play(th_dir, "fixed",
              "case fixed\nabout a\nsource t\n"
              "server exec \"python3 " EXAMPLES "/close_on_eof_server.py {addr} {port}\" port=80\n"
              "client connect\n"
              "expect server ESTABLISHED\n",
              NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_str_eq(th_str(program_of(k, 0), "command"),
                   "python3 " EXAMPLES "/close_on_eof_server.py 127.0.0.1 80");
}

Test(program_exec, client_program_known_from_the_accept) {
  int status;
  json_t *k = th_play(
      th_dir, "cli",
      "case cli\nabout a\nsource t\n"
      "server listen\n"
      "client exec \"python3 -c 'import socket,sys; s=socket.create_connection((sys.argv[1], "
      "int(sys.argv[2]))); s.sendall(b\\\"hello\\\"); s.close()' {addr} {port}\"\n"
      "server accept\n"
      "expect client exit 0\n" /* 7 */
      "server recv eof\n"
      "settle\n"
      "expect server received 5\n" /* 10 */
      "expect client FIN_WAIT2\n"  /* 11 */
      "expect server CLOSE_WAIT\n" /* 12 */
      "server close\n"
      "settle\n"
      "expect client TIME_WAIT\n", /* 15 */
      NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_str_eq(th_observed(k, 7), "0");
  cr_assert_str_eq(th_observed(k, 11), "FIN_WAIT2 recvq=0 sendq=0");
  cr_assert_str_eq(th_observed(k, 15), "TIME_WAIT recvq=0 sendq=0");
  cr_assert_eq(json_integer_value(json_object_get(program_of(k, 0), "exit_status")), 0);
}

Test(program_exec, runs_in_the_case_folder_with_its_output_kept) {
  int status;
  json_t *k = th_play(th_dir, "cwd",
                      "case cwd\nabout a\nsource t\n"
                      "server listen\n"
                      "client exec \"pwd; echo to-stderr >&2; exit 4\"\n"
                      "expect client exit 4\n",
                      NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  json_t *p = program_of(k, 0);
  char want[600];
  snprintf(want, sizeof want, "%s\n", th_dir);
  cr_assert_str_eq(th_str(p, "stdout"), want);
  cr_assert_str_eq(th_str(p, "stderr"), "to-stderr\n");
  cr_assert_eq(json_integer_value(json_object_get(p, "exit_status")), 4);
}

Test(program_exec, fixed_port_without_a_namespace_is_skipped) {
  char *path = th_write_file(th_dir, "fixed.case",
                             "case fixed\nabout a\nsource t\n"
                             "server exec \"sleep 30\" port=8080\n"
                             "expect server exit none\n");
  char *argv[] = {TCPCLOSE_BIN, "run", "--no-netns", path, NULL};
  struct th_out o;
  cr_assert_eq(th_run(argv, &o), 0, "%s%s", o.out, o.err);
  cr_assert(strncmp(o.out, "skip  fixed", 11) == 0, "%s", o.out);
  cr_assert(strstr(o.out, "line 4: exec port=8080 needs a network namespace of its own") != NULL,
            "%s", o.out);
  th_out_free(&o);
  free(path);
}

/* A program starts with stdin, stdout and stderr and nothing else of the
 * runner: not the trace readers, capture or netlink sockets of the case
 * (open since `server listen`), which would also keep the case's tracing
 * instance from being removed. It lists its own descriptors. */
Test(program_exec, program_inherits_no_descriptor_of_the_runner) {
  int status;
  th_play(th_dir, "fds",
          "case fds\nabout a\nsource t\n"
          "server listen\n"
          "client exec \"ls -l /proc/self/fd > fds.txt\"\n"
          "expect client exit 0\n" /* not a fixed wait: a loaded machine starts it late */
          "expect server LISTEN\n",
          NULL, &status, &th_root);
  cr_assert_eq(status, 0);
  char path[1024];
  snprintf(path, sizeof path, "%s/fds.txt", th_dir);
  char *fds = th_read_file(path);
  cr_assert_not_null(fds, "the program did not run in the case's folder");
  int n = 0;
  for (const char *l = strstr(fds, "\n"); l != NULL; l = strstr(l + 1, "\n")) n += l[1] != '\0';
  /* 0, 1, 2, and the one ls opened to read /proc/self/fd */
  cr_assert_eq(n, 4, "descriptors of the runner leaked into the program:\n%s", fds);
  cr_assert_null(strstr(fds, "trace_pipe_raw"), "%s", fds);
  free(fds);
}

static long sysctl_here(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
  FILE *f = fopen(path, "r");
  long v = -1;
  cr_assert_not_null(f, "%s", path);
  cr_assert_eq(fscanf(f, "%ld", &v), 1, "%s", path);
  fclose(f);
  return v;
}

/* The case's namespace owns a small TCP hash table (so that sock_diag
 * dumps walk only its own buckets), and keeps the TIME_WAIT and SYN
 * backlog limits of a namespace made from the host, which the table's size
 * would otherwise have set. A program in the namespace reads them. */
Test(program_exec, case_namespace_has_its_own_tcp_table_and_the_hosts_limits) {
  int status;
  json_t *k = th_play(th_dir, "table",
                      "case table\nabout a\nsource t\n"
                      "server listen\n"
                      "client exec \"cd /proc/sys/net/ipv4 && cat tcp_ehash_entries "
                      "tcp_max_tw_buckets tcp_max_syn_backlog\"\n"
                      "expect client exit 0\n",
                      NULL, &status, &th_root);
  cr_assert_str_eq(th_str(k, "verdict"), "pass", "%s", th_str(k, "reason"));
  cr_assert_eq(unshare(CLONE_NEWNET), 0, "a namespace made from the host");
  char want[128];
  snprintf(want, sizeof want, "8192\n%ld\n%ld\n", sysctl_here("tcp_max_tw_buckets"),
           sysctl_here("tcp_max_syn_backlog"));
  cr_assert_str_eq(th_str(program_of(k, 0), "stdout"), want);
}
