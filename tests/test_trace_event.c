/* test_trace_event.c - the transitions observer: tracepoint records decoded
 * from what Linux 6.18 wrote, the list a trace keeps, and, live as root on
 * loopback, what a private tracefs instance records of real closes.
 *
 * Fixtures: trace_<event>.format are the kernel's format files, verbatim;
 * trace_records.txt holds every record of four loopback scenarios
 * (v4-close, v6-close, linger0, unread) as the kernel wrote them, read back
 * with tracefs_iterate_raw_events() by a throwaway program (how, in its
 * header). Records are parsed with those formats by libtraceevent, as the
 * observer does with the formats of the running kernel. Their byte order
 * is given to libtraceevent, so they decode on any host. */
#define _GNU_SOURCE /* unshare() */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <event-parse.h>
#include <mntent.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tcpclose/tcpstate.h"
#include "tcpclose/trace.h"
#include "trace_event.h"

/* ---- helpers: fixtures ---- */

#define MAX_RECORDS 64

struct fixture_record {
  char id[32];    /* "linger0/8" */
  char event[64]; /* "tcp:tcp_send_reset" */
  unsigned long long ts;
  uint8_t bytes[128];
  int size;
};

static struct tep_handle *tep;
static struct fixture_record records[MAX_RECORDS];
static size_t n_records;

/* The whole file, NUL-terminated; the caller frees it. */
static char *slurp(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", TCPCLOSE_FIXTURES_DIR, name);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "cannot open %s", path);
  struct stat st;
  cr_assert_eq(fstat(fileno(f), &st), 0);
  char *buf = malloc((size_t)st.st_size + 1);
  cr_assert_not_null(buf);
  *len = fread(buf, 1, (size_t)st.st_size, f);
  buf[*len] = '\0';
  fclose(f);
  cr_assert_eq(*len, (size_t)st.st_size, "short read of %s", path);
  return buf;
}

static void parse_format(const char *file, const char *system) {
  size_t len;
  char *buf = slurp(file, &len);
  cr_assert_eq(tep_parse_event(tep, buf, len, system), 0, "libtraceevent rejected %s", file);
  free(buf);
}

/* Reads "record ID EVENT TS" headers, each followed by hex lines. */
static void parse_records(void) {
  size_t len;
  char *text = slurp("trace_records.txt", &len);
  struct fixture_record *r = NULL;
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    if (strncmp(line, "record ", 7) == 0) {
      cr_assert_lt(n_records, MAX_RECORDS);
      r = &records[n_records++];
      cr_assert_eq(sscanf(line, "record %31s %63s %llu", r->id, r->event, &r->ts), 3);
      continue;
    }
    unsigned byte;
    int used;
    for (char *p = line; r != NULL && sscanf(p, "%2x%n", &byte, &used) == 1; p += used) {
      cr_assert_lt(r->size, (int)sizeof r->bytes);
      r->bytes[r->size++] = (uint8_t)byte;
    }
  }
  free(text);
}

static void load_fixtures(void) {
  tep = tep_alloc();
  cr_assert_not_null(tep);
  tep_set_long_size(tep, 8);
  tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN); /* captured on x86-64 */
  parse_format("trace_inet_sock_set_state.format", "sock");
  parse_format("trace_tcp_send_reset.format", "tcp");
  parse_format("trace_tcp_receive_reset.format", "tcp");
  parse_format("trace_tcp_destroy_sock.format", "tcp");
  n_records = 0;
  parse_records();
  cr_assert_eq(n_records, 56, "expected 56 records but read %zu", n_records);
}

static void free_fixtures(void) { tep_free(tep); }

static struct fixture_record *find(const char *id) {
  for (size_t i = 0; i < n_records; i++)
    if (strcmp(records[i].id, id) == 0) return &records[i];
  cr_assert_fail("no record %s in trace_records.txt", id);
  return NULL;
}

/* The event a record belongs to, by its common_type, as the observer finds it. */
static struct tep_event *event_of(struct tep_record *rec) {
  struct tep_event *ev = tep_find_event(tep, tep_data_type(tep, rec));
  cr_assert_not_null(ev, "no format for common_type %d", tep_data_type(tep, rec));
  return ev;
}

static int decode_rc(struct fixture_record *r, struct tc_trace_event *e, tc_err *err) {
  struct tep_record rec = {.ts = r->ts, .size = r->size, .data = r->bytes};
  struct tep_event *ev = event_of(&rec);
  char name[128];
  snprintf(name, sizeof name, "%s:%s", ev->system, ev->name);
  cr_assert_str_eq(name, r->event, "%s: common_type says %s", r->id, name);
  return tc__trace_decode(ev, &rec, e, err);
}

static struct tc_trace_event decode(const char *id) {
  struct tc_trace_event e;
  tc_err err = {""};
  int rc = decode_rc(find(id), &e, &err);
  cr_assert_eq(rc, 0, "%s rejected (%d): %s", id, rc, err.msg);
  return e;
}

/* Decodes a scenario's records, oldest first, into ev. */
static size_t decode_scenario(const char *scenario, struct tc_trace_event *ev, size_t max) {
  size_t n = 0, plen = strlen(scenario);
  for (size_t i = 0; i < n_records; i++)
    if (strncmp(records[i].id, scenario, plen) == 0 && records[i].id[plen] == '/') {
      cr_assert_lt(n, max);
      ev[n++] = decode(records[i].id);
    }
  return n;
}

static void assert_addr(const struct tc_addr *a, const char *expect) {
  char buf[TC_ADDR_STRLEN];
  cr_assert_str_eq(tc_addr_format(a, buf, sizeof buf), expect);
}

static void assert_tuple(const struct tc_trace_event *e, const char *local, const char *remote) {
  assert_addr(&e->tuple.local, local);
  assert_addr(&e->tuple.remote, remote);
}

static void assert_move(const struct tc_trace_event *e, int from, int to) {
  cr_assert_eq(e->kind, TC_TRACE_STATE, "expected a state change but got kind %d", e->kind);
  cr_assert(e->from == from && e->to == to, "expected %s -> %s but got %s -> %s",
            tc_state_name(from), tc_state_name(to), tc_state_name(e->from), tc_state_name(e->to));
}

/* ---- one record ---- */

TestSuite(trace_decode, .init = load_fixtures, .fini = free_fixtures);

Test(trace_decode, ipv4_client_close_starts_fin_wait1) {
  struct tc_trace_event e = decode("v4-close/5");
  assert_move(&e, TC_STATE_ESTABLISHED, TC_STATE_FIN_WAIT1);
  assert_tuple(&e, "127.0.0.1:35254", "127.0.0.1:40121");
  cr_assert_eq(e.t_us, 1517328308LL, "ts 1517328308165 ns is %lld us", (long long)e.t_us);
  cr_assert_eq(e.sk, 0xffff888102da6f00ull, "sk %llx", (unsigned long long)e.sk);
  cr_assert_str_eq(e.reason, "");
}

Test(trace_decode, ipv4_syn_sent_comes_before_the_source_port) {
  struct tc_trace_event e = decode("v4-close/1");
  assert_move(&e, TC_STATE_CLOSE, TC_STATE_SYN_SENT);
  assert_tuple(&e, "127.0.0.1:0", "127.0.0.1:40121");
  cr_assert_eq(e.sk, decode("v4-close/2").sk, "the same socket becomes ESTABLISHED");
}

Test(trace_decode, child_of_a_listener_starts_listen_to_syn_recv) {
  struct tc_trace_event e = decode("v4-close/3");
  assert_move(&e, TC_STATE_LISTEN, TC_STATE_SYN_RECV);
  assert_tuple(&e, "127.0.0.1:40121", "127.0.0.1:35254");
  cr_assert_neq(e.sk, decode("v4-close/0").sk, "the child is not the listener");
}

Test(trace_decode, ipv4_server_last_ack_to_close) {
  struct tc_trace_event e = decode("v4-close/11");
  assert_move(&e, TC_STATE_LAST_ACK, TC_STATE_CLOSE);
  assert_tuple(&e, "127.0.0.1:40121", "127.0.0.1:35254");
}

/* An IPv6 socket's saddr field holds 127.0.0.6 (a placeholder): the tuple
 * must come from saddr_v6/daddr_v6. */
Test(trace_decode, ipv6_server_goes_close_wait) {
  struct tc_trace_event e = decode("v6-close/6");
  assert_move(&e, TC_STATE_ESTABLISHED, TC_STATE_CLOSE_WAIT);
  assert_tuple(&e, "[::1]:40122", "[::1]:42740");
  cr_assert_eq(e.tuple.local.family, AF_INET6);
  cr_assert_eq(e.tuple.remote.family, AF_INET6);
}

Test(trace_decode, ipv6_client_fin_wait2_to_close) {
  struct tc_trace_event e = decode("v6-close/9");
  assert_move(&e, TC_STATE_FIN_WAIT2, TC_STATE_CLOSE);
  assert_tuple(&e, "[::1]:42740", "[::1]:40122");
}

Test(trace_decode, ipv6_listener_has_no_peer) {
  struct tc_trace_event e = decode("v6-close/0");
  assert_move(&e, TC_STATE_CLOSE, TC_STATE_LISTEN);
  assert_tuple(&e, "[::1]:40122", "[::]:0");
}

/* tcp_send_reset (6.18): sockaddr arrays, state, and reason 11. */
Test(trace_decode, close_with_unread_data_sends_reset_abort_on_close) {
  struct tc_trace_event e = decode("unread/8");
  cr_assert_eq(e.kind, TC_TRACE_SEND_RESET);
  cr_assert_str_eq(e.reason, "TCP_ABORT_ON_CLOSE");
  cr_assert_eq(e.from, TC_STATE_CLOSE, "the kernel sends it once CLOSE, got %d", e.from);
  cr_assert_eq(e.to, -1);
  assert_tuple(&e, "127.0.0.1:40124", "127.0.0.1:36518");
  cr_assert_eq(e.sk, decode("unread/5").sk, "sent by the server's socket");
}

/* tcp_disconnect() sends it with SK_RST_REASON_TCP_STATE. */
Test(trace_decode, linger0_close_sends_reset_tcp_state) {
  struct tc_trace_event e = decode("linger0/8");
  cr_assert_eq(e.kind, TC_TRACE_SEND_RESET);
  cr_assert_str_eq(e.reason, "TCP_STATE");
  cr_assert_eq(e.from, TC_STATE_CLOSE);
  assert_tuple(&e, "127.0.0.1:49310", "127.0.0.1:40123");
}

Test(trace_decode, peer_receives_the_reset) {
  struct tc_trace_event e = decode("linger0/6");
  cr_assert_eq(e.kind, TC_TRACE_RECV_RESET);
  assert_tuple(&e, "127.0.0.1:40123", "127.0.0.1:49310");
  cr_assert(e.from == -1 && e.to == -1, "the event has no state: %d %d", e.from, e.to);
  cr_assert_str_eq(e.reason, "");
  cr_assert_eq(e.sk, decode("linger0/7").sk, "the server's socket, which then closes");
}

Test(trace_decode, destroy_of_the_client) {
  struct tc_trace_event e = decode("v4-close/10");
  cr_assert_eq(e.kind, TC_TRACE_DESTROY);
  assert_tuple(&e, "127.0.0.1:35254", "127.0.0.1:40121");
  cr_assert(e.from == -1 && e.to == -1);
  cr_assert_eq(e.sk, decode("v4-close/9").sk);
}

/* tcp_disconnect() cleared the peer's port and our address before the
 * destroy: the record says so, the list fills it in (below). */
Test(trace_decode, destroy_after_linger0_has_its_ports_cleared) {
  struct tc_trace_event e = decode("linger0/9");
  cr_assert_eq(e.kind, TC_TRACE_DESTROY);
  assert_tuple(&e, "0.0.0.0:49310", "127.0.0.1:0");
}

Test(trace_decode, ipv6_destroy) {
  struct tc_trace_event e = decode("v6-close/12");
  cr_assert_eq(e.kind, TC_TRACE_DESTROY);
  assert_tuple(&e, "[::1]:40122", "[::1]:42740");
}

Test(trace_decode, record_shorter_than_its_format_is_refused) {
  struct fixture_record r = *find("v4-close/5");
  r.size = 24; /* ends before protocol (offset 30) */
  struct tc_trace_event e;
  tc_err err = {""};
  cr_assert_eq(decode_rc(&r, &e, &err), -EPROTO);
  cr_assert(strstr(err.msg, "sock:inet_sock_set_state") && strstr(err.msg, "'protocol'"),
            "unexpected message: %s", err.msg);
}

Test(trace_decode, state_change_of_another_protocol_is_not_ours) {
  struct fixture_record r = *find("v4-close/5");
  r.bytes[30] = 132; /* protocol = IPPROTO_SCTP */
  struct tc_trace_event e;
  cr_assert_eq(decode_rc(&r, &e, NULL), -ENOENT);
}

Test(trace_decode, other_events_are_not_ours) {
  struct tep_event other = {.system = "sock", .name = "sock_rcvqueue_full"};
  cr_assert_eq(tc__trace_kind(&other), -1);
  struct tep_event state = {.system = "sock", .name = "inet_sock_set_state"};
  cr_assert_eq(tc__trace_kind(&state), TC_TRACE_STATE);
}

/* ---- names and numbers ---- */

TestSuite(trace_names, .init = load_fixtures, .fini = free_fixtures);

Test(trace_names, reasons_come_from_the_print_format) {
  struct tep_event *ev = tep_find_event_by_name(tep, "tcp", "tcp_send_reset");
  cr_assert_not_null(ev);
  cr_assert_str_eq(tc__trace_symbol(ev, "reason", 0), "NOT_SPECIFIED");
  cr_assert_str_eq(tc__trace_symbol(ev, "reason", 11), "TCP_ABORT_ON_CLOSE");
  cr_assert_str_eq(tc__trace_symbol(ev, "reason", 12), "TCP_ABORT_ON_LINGER");
  cr_assert_null(tc__trace_symbol(ev, "reason", 99));
  cr_assert_null(tc__trace_symbol(ev, "skaddr", 0), "a field without a table has no names");
}

/* 6.18 prints { TCP_CLOSE, "TCP_CLOSE" }: a name, not a number. */
Test(trace_names, a_table_of_unresolved_names_gives_none) {
  struct tep_event *ev = tep_find_event_by_name(tep, "tcp", "tcp_send_reset");
  cr_assert_null(tc__trace_symbol(ev, "state", 7));
}

Test(trace_names, kernel_states) {
  cr_assert_eq(tc__trace_state(0), TC_STATE_GONE);
  cr_assert_eq(tc__trace_state(1), TC_STATE_ESTABLISHED);
  cr_assert_eq(tc__trace_state(11), TC_STATE_CLOSING);
  cr_assert_eq(tc__trace_state(12), TC_STATE_SYN_RECV, "TCP_NEW_SYN_RECV is a SYN_RECV");
  cr_assert_eq(tc__trace_state(13), -1);
}

Test(trace_names, sockaddr_in) {
  const uint8_t le[16] = {2, 0, 0x9c, 0xb9, 127, 0, 0, 1};
  const uint8_t be[16] = {0, 2, 0x9c, 0xb9, 10, 1, 2, 3};
  struct tc_addr a;
  cr_assert_eq(tc__trace_sockaddr(le, sizeof le, false, &a), 0);
  assert_addr(&a, "127.0.0.1:40121");
  cr_assert_eq(tc__trace_sockaddr(be, sizeof be, true, &a), 0);
  assert_addr(&a, "10.1.2.3:40121");
}

Test(trace_names, sockaddr_in6) {
  uint8_t b[28] = {10, 0, 0x9c, 0xba};
  b[8 + 15] = 1;
  struct tc_addr a;
  cr_assert_eq(tc__trace_sockaddr(b, sizeof b, false, &a), 0);
  assert_addr(&a, "[::1]:40122");
  cr_assert_eq(tc__trace_sockaddr(b, 16, false, &a), -EPROTO, "too short for a sockaddr_in6");
}

Test(trace_names, sockaddr_empty_or_foreign) {
  uint8_t b[28] = {0};
  struct tc_addr a;
  cr_assert_eq(tc__trace_sockaddr(b, sizeof b, false, &a), -ENOENT);
  b[0] = 1; /* AF_UNIX */
  cr_assert_eq(tc__trace_sockaddr(b, sizeof b, false, &a), -EPROTO);
  cr_assert_eq(tc__trace_sockaddr(b, 4, false, &a), -EPROTO);
}

/* ---- the list of a trace ---- */

TestSuite(trace_list, .init = load_fixtures, .fini = free_fixtures);

/* What tc_trace_poll() does with a batch: order, keep, complete. */
static size_t as_polled(struct tc_trace_event *ev, size_t first, size_t n, uint16_t port) {
  tc__trace_order(ev, n, first);
  size_t kept = first;
  for (size_t i = first; i < n; i++)
    if (tc__trace_wanted(ev, kept, &ev[i], port)) ev[kept++] = ev[i];
  tc__trace_fill_tuples(ev, kept, first);
  return kept;
}

static int same_tuple(const struct tc_tuple *a, const struct tc_tuple *b) {
  return tc_addr_equal(&a->local, &b->local) && tc_addr_equal(&a->remote, &b->remote);
}

/* "CLOSE->SYN_SENT ..." of the state changes whose tuple is t. */
static const char *moves(const struct tc_trace_event *ev, size_t n, const struct tc_tuple *t) {
  static char buf[512];
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    if (ev[i].kind == TC_TRACE_STATE && same_tuple(&ev[i].tuple, t))
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s->%s", len ? " " : "",
                              tc_state_name(ev[i].from), tc_state_name(ev[i].to));
  return buf;
}

Test(trace_list, normal_close_tells_each_side_in_full) {
  struct tc_trace_event ev[MAX_RECORDS];
  size_t n = as_polled(ev, 0, decode_scenario("v4-close", ev, MAX_RECORDS), 40121);
  cr_assert_eq(n, 15, "every record is about port 40121, got %zu", n);
  struct tc_tuple client = ev[2].tuple, server = tc_tuple_mirror(&client);
  cr_assert_str_eq(moves(ev, n, &client),
                   "CLOSE->SYN_SENT SYN_SENT->ESTABLISHED ESTABLISHED->FIN_WAIT1 "
                   "FIN_WAIT1->FIN_WAIT2 FIN_WAIT2->CLOSE");
  cr_assert_str_eq(moves(ev, n, &server),
                   "LISTEN->SYN_RECV SYN_RECV->ESTABLISHED ESTABLISHED->CLOSE_WAIT "
                   "CLOSE_WAIT->LAST_ACK LAST_ACK->CLOSE");
}

Test(trace_list, syn_sent_gets_its_port_from_a_later_poll) {
  struct tc_trace_event ev[MAX_RECORDS];
  ev[0] = decode("v4-close/1");
  size_t n = as_polled(ev, 0, 1, 40121);
  assert_tuple(&ev[0], "127.0.0.1:0", "127.0.0.1:40121");
  ev[n] = decode("v4-close/2");
  n = as_polled(ev, n, n + 1, 40121);
  assert_tuple(&ev[0], "127.0.0.1:35254", "127.0.0.1:40121");
  cr_assert_eq(n, 2);
}

Test(trace_list, destroy_after_linger0_is_kept_with_its_tuple) {
  struct tc_trace_event ev[MAX_RECORDS];
  size_t n = as_polled(ev, 0, decode_scenario("linger0", ev, MAX_RECORDS), 40123);
  cr_assert_eq(n, 13);
  cr_assert_eq(ev[9].kind, TC_TRACE_DESTROY);
  assert_tuple(&ev[9], "127.0.0.1:49310", "127.0.0.1:40123");
  struct tc_tuple client = ev[9].tuple;
  cr_assert_str_eq(moves(ev, n, &client),
                   "CLOSE->SYN_SENT SYN_SENT->ESTABLISHED ESTABLISHED->CLOSE");
}

Test(trace_list, other_ports_are_dropped) {
  struct tc_trace_event ev[MAX_RECORDS];
  size_t n = as_polled(ev, 0, decode_scenario("linger0", ev, MAX_RECORDS), 40124);
  cr_assert_eq(n, 0, "nothing of port 40123 is about 40124, kept %zu", n);
}

/* A destroy with no ports is only kept for a socket the trace knows. */
Test(trace_list, portless_destroy_of_an_unknown_socket_is_dropped) {
  struct tc_trace_event ev[MAX_RECORDS];
  size_t n = decode_scenario("linger0", ev, MAX_RECORDS);
  ev[9].sk ^= 0x40;
  cr_assert_eq(as_polled(ev, 0, n, 40123), 12);
}

/* Socket memory is reused: after a destroy, events at the same address
 * are another socket's, and neither inherit its tuple nor keep a portless
 * destroy alive. */
Test(trace_list, no_tuple_crosses_a_destroy) {
  struct tc_trace_event ev[MAX_RECORDS];
  ev[0] = decode("v4-close/9");  /* client FIN_WAIT2 -> CLOSE */
  ev[1] = decode("v4-close/10"); /* its destroy */
  ev[2] = decode("linger0/9");   /* a portless destroy at the same address */
  ev[3] = decode("v4-close/1");  /* a connect() at the same address */
  ev[2].sk = ev[3].sk = ev[1].sk;
  ev[2].t_us = ev[1].t_us + 1;
  ev[3].t_us = ev[1].t_us + 2;
  size_t n = as_polled(ev, 0, 4, 40121);
  cr_assert_eq(n, 3, "the portless destroy of an unknown socket is dropped, kept %zu", n);
  assert_move(&ev[2], TC_STATE_CLOSE, TC_STATE_SYN_SENT);
  assert_tuple(&ev[2], "127.0.0.1:0", "127.0.0.1:40121");
}

Test(trace_list, a_batch_is_sorted_by_time_keeping_ties_in_order) {
  struct tc_trace_event ev[5] = {{.t_us = 5, .from = 0},
                                 {.t_us = 7, .from = 1},
                                 {.t_us = 3, .from = 2},
                                 {.t_us = 7, .from = 3},
                                 {.t_us = 1, .from = 4}};
  tc__trace_order(ev, 5, 1); /* ev[0] was published by an earlier poll */
  int order[5];
  for (int i = 0; i < 5; i++) order[i] = ev[i].from;
  cr_assert(order[0] == 0 && order[1] == 4 && order[2] == 2 && order[3] == 1 && order[4] == 3,
            "got %d %d %d %d %d", order[0], order[1], order[2], order[3], order[4]);
}

/* ---- opening ---- */

Test(trace_open, port_0_is_refused_before_anything_is_made) {
  tc_trace *tr = (tc_trace *)&tr;
  tc_err err = {""};
  cr_assert_eq(tc_trace_open(0, &tr, &err), -EINVAL);
  cr_assert_null(tr);
  cr_assert_str_eq(err.msg, "transitions: no port to trace");
}

/* ---- live, as root, on loopback ---- */

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int tracefs_mounted(char *dir, size_t len) {
  FILE *f = setmntent("/proc/self/mounts", "r");
  struct mntent *m;
  int found = 0;
  while (f != NULL && !found && (m = getmntent(f)) != NULL)
    if (strcmp(m->mnt_type, "tracefs") == 0) found = snprintf(dir, len, "%s", m->mnt_dir) > 0;
  if (f != NULL) endmntent(f);
  return found;
}

static char tracing[512];

static int count_mounts(void) {
  FILE *f = setmntent("/proc/self/mounts", "r");
  int n = 0;
  while (f != NULL && getmntent(f) != NULL) n++;
  if (f != NULL) endmntent(f);
  return n;
}

static void need_tracefs(void) {
  if (geteuid() != 0)
    cr_skip_test("tracefs instances need root; running as uid %d", (int)geteuid());
  if (!tracefs_mounted(tracing, sizeof tracing))
    cr_skip_test("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)");
}

static int listen_loopback(uint16_t *port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
  cr_assert_eq(listen(fd, 4), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static struct tc_addr addr_of(const struct sockaddr_in *a) {
  struct tc_addr t = {.family = AF_INET, .port = ntohs(a->sin_port)};
  memcpy(t.bytes, &a->sin_addr, 4);
  return t;
}

static struct tc_tuple tuple_of(int fd) {
  struct sockaddr_in l, r;
  socklen_t ll = sizeof l, rl = sizeof r;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&l, &ll), 0);
  cr_assert_eq(getpeername(fd, (struct sockaddr *)&r, &rl), 0);
  struct tc_tuple t = {.local = addr_of(&l), .remote = addr_of(&r)};
  return t;
}

/* A connected pair on the listener's port: *client and *server. */
static void connect_pair(int listener, uint16_t port, int *client, int *server) {
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  *client = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_eq(connect(*client, (struct sockaddr *)&a, sizeof a), 0, "connect: %s",
               strerror(errno));
  *server = accept(listener, NULL, NULL);
  cr_assert_geq(*server, 0, "accept: %s", strerror(errno));
}

static void set_linger0(int fd) {
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
}

static int has_event(const struct tc_trace_event *ev, size_t n, const struct tc_tuple *t,
                     enum tc_trace_kind kind, int to) {
  for (size_t i = 0; i < n; i++)
    if (ev[i].kind == kind && same_tuple(&ev[i].tuple, t) && (to < 0 || ev[i].to == to)) return 1;
  return 0;
}

/* Polls until the trace has `kind` (and `to`, if >= 0) for tuple t, at
 * most 2 s; returns the events. */
static const struct tc_trace_event *poll_for(tc_trace *tr, const struct tc_tuple *t,
                                             enum tc_trace_kind kind, int to, size_t *n) {
  const struct tc_trace_event *ev = NULL;
  for (int i = 0; i < 400; i++) {
    tc_err err = {""};
    int rc = tc_trace_poll(tr, &err);
    cr_assert_eq(rc, 0, "poll: %s", err.msg);
    ev = tc_trace_events(tr, n);
    if (has_event(ev, *n, t, kind, to)) return ev;
    usleep(5000);
  }
  cr_assert_fail("no event of kind %d (to %s) for the connection within 2 s", (int)kind,
                 tc_state_name(to));
  return ev;
}

/* Every event is in CLOCK_MONOTONIC order and between t0 and t1. */
static void assert_times(const struct tc_trace_event *ev, size_t n, int64_t t0, int64_t t1) {
  for (size_t i = 0; i < n; i++) {
    cr_assert(ev[i].t_us >= t0 && ev[i].t_us <= t1, "event %zu at %lld us, outside [%lld, %lld]", i,
              (long long)ev[i].t_us, (long long)t0, (long long)t1);
    if (i > 0) cr_assert_geq(ev[i].t_us, ev[i - 1].t_us, "event %zu goes back in time", i);
  }
}

/* The trace a live test opened; the suite's fini closes it, so that a
 * failed assertion leaves no instance behind. */
static tc_trace *live;

static tc_trace *open_trace(uint16_t port) {
  tc_err err = {""};
  int rc = tc_trace_open(port, &live, &err);
  cr_assert_eq(rc, 0, "tc_trace_open: %s", err.msg);
  cr_assert_not_null(live);
  return live;
}

static void close_trace(void) {
  tc_trace_close(live);
  live = NULL;
}

TestSuite(trace_live, .timeout = 20, .fini = close_trace);

Test(trace_live, normal_close_as_the_kernel_tells_it) {
  need_tracefs();
  uint16_t port;
  int listener = listen_loopback(&port), client, server;
  int64_t t0 = now_us();
  tc_trace *tr = open_trace(port);
  connect_pair(listener, port, &client, &server);
  struct tc_tuple ct = tuple_of(client), st = tuple_of(server);
  close(client);
  char buf[16];
  cr_assert_eq(read(server, buf, sizeof buf), 0, "the server reads EOF");
  close(server);
  size_t n;
  const struct tc_trace_event *ev = poll_for(tr, &ct, TC_TRACE_STATE, TC_STATE_CLOSE, &n);
  ev = poll_for(tr, &st, TC_TRACE_STATE, TC_STATE_CLOSE, &n);
  int64_t t1 = now_us();
  cr_assert_str_eq(moves(ev, n, &ct),
                   "CLOSE->SYN_SENT SYN_SENT->ESTABLISHED ESTABLISHED->FIN_WAIT1 "
                   "FIN_WAIT1->FIN_WAIT2 FIN_WAIT2->CLOSE");
  cr_assert_str_eq(moves(ev, n, &st),
                   "LISTEN->SYN_RECV SYN_RECV->ESTABLISHED ESTABLISHED->CLOSE_WAIT "
                   "CLOSE_WAIT->LAST_ACK LAST_ACK->CLOSE");
  cr_assert(!has_event(ev, n, &ct, TC_TRACE_SEND_RESET, -1) &&
                !has_event(ev, n, &st, TC_TRACE_SEND_RESET, -1),
            "a normal close sends no RST");
  assert_times(ev, n, t0, t1);
  close_trace();
  close(listener);
}

/* SO_LINGER{1,0}: tcp_disconnect() resets with SK_RST_REASON_TCP_STATE. */
Test(trace_live, linger0_close_resets_and_the_peer_receives_it) {
  need_tracefs();
  uint16_t port;
  int listener = listen_loopback(&port), client, server;
  int64_t t0 = now_us();
  tc_trace *tr = open_trace(port);
  connect_pair(listener, port, &client, &server);
  struct tc_tuple ct = tuple_of(client), st = tuple_of(server);
  set_linger0(client);
  close(client);
  char buf[16];
  cr_assert_eq(read(server, buf, sizeof buf), -1);
  cr_assert_eq(errno, ECONNRESET);
  close(server);
  size_t n;
  const struct tc_trace_event *ev = poll_for(tr, &ct, TC_TRACE_DESTROY, -1, &n);
  ev = poll_for(tr, &st, TC_TRACE_DESTROY, -1, &n);
  assert_times(ev, n, t0, now_us());
  cr_assert_str_eq(moves(ev, n, &ct), "CLOSE->SYN_SENT SYN_SENT->ESTABLISHED ESTABLISHED->CLOSE");
  cr_assert_str_eq(moves(ev, n, &st), "LISTEN->SYN_RECV SYN_RECV->ESTABLISHED ESTABLISHED->CLOSE");
  const struct tc_trace_event *rst = NULL;
  for (size_t i = 0; i < n; i++)
    if (ev[i].kind == TC_TRACE_SEND_RESET) rst = &ev[i];
  cr_assert_not_null(rst, "no tcp_send_reset");
  cr_assert(same_tuple(&rst->tuple, &ct), "the client sends the RST");
  cr_assert_str_eq(rst->reason, "TCP_STATE");
  cr_assert_eq(rst->from, TC_STATE_CLOSE);
  cr_assert(has_event(ev, n, &st, TC_TRACE_RECV_RESET, -1), "the server receives it");
  cr_assert(!has_event(ev, n, &ct, TC_TRACE_RECV_RESET, -1));
  close_trace();
  close(listener);
}

/* RFC 2525 2.17; tcp_close() resets with SK_RST_REASON_TCP_ABORT_ON_CLOSE. */
Test(trace_live, close_with_unread_data_resets_abort_on_close) {
  need_tracefs();
  uint16_t port;
  int listener = listen_loopback(&port), client, server;
  tc_trace *tr = open_trace(port);
  connect_pair(listener, port, &client, &server);
  struct tc_tuple ct = tuple_of(client), st = tuple_of(server);
  cr_assert_eq(write(client, "abc", 3), 3);
  usleep(20000); /* the 3 bytes are in the server's receive queue */
  close(server);
  size_t n;
  const struct tc_trace_event *ev = poll_for(tr, &ct, TC_TRACE_RECV_RESET, -1, &n);
  ev = poll_for(tr, &st, TC_TRACE_SEND_RESET, -1, &n);
  for (size_t i = 0; i < n; i++)
    if (ev[i].kind == TC_TRACE_SEND_RESET) cr_assert_str_eq(ev[i].reason, "TCP_ABORT_ON_CLOSE");
  close(client);
  close_trace();
  close(listener);
}

Test(trace_live, poll_of_a_quiet_trace_returns_at_once) {
  need_tracefs();
  tc_trace *tr = open_trace(9); /* discard: nothing listens */
  size_t n;
  int64_t t0 = now_us();
  cr_assert_eq(tc_trace_poll(tr, NULL), 0);
  cr_assert_lt(now_us() - t0, 100000, "poll took %lld us", (long long)(now_us() - t0));
  tc_trace_events(tr, &n);
  cr_assert_eq(n, 0);
  close_trace();
}

/* The tcpclose-<our pid>-* instances, as names in buf (space-separated). */
static int our_instances(char *buf, size_t len) {
  char path[600], prefix[64];
  snprintf(path, sizeof path, "%s/instances", tracing);
  snprintf(prefix, sizeof prefix, "tcpclose-%ld-", (long)getpid());
  DIR *d = opendir(path);
  cr_assert_not_null(d, "cannot list %s", path);
  int count = 0;
  size_t used = 0;
  buf[0] = '\0';
  for (struct dirent *de; (de = readdir(d)) != NULL;)
    if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
      used += (size_t)snprintf(buf + used, len - used, "%s ", de->d_name);
      count++;
    }
  closedir(d);
  return count;
}

Test(trace_live, close_removes_the_instance) {
  need_tracefs();
  char names[1024];
  cr_assert_eq(our_instances(names, sizeof names), 0, "left before: %s", names);
  open_trace(9);
  cr_assert_eq(our_instances(names, sizeof names), 1, "open made: %s", names);
  char clock[2048], *space = strchr(names, ' ');
  *space = '\0';
  snprintf(clock, sizeof clock, "%s/instances/%s/trace_clock", tracing, names);
  FILE *f = fopen(clock, "r");
  cr_assert_not_null(f);
  char line[256] = "";
  cr_assert_not_null(fgets(line, sizeof line, f));
  fclose(f);
  cr_assert(strstr(line, "[mono]") != NULL, "trace_clock is %s", line);
  close_trace();
  cr_assert_eq(our_instances(names, sizeof names), 0, "left after close: %s", names);
}

static void make_instance(const char *name) {
  char path[700];
  snprintf(path, sizeof path, "%s/instances/%s", tracing, name);
  cr_assert_eq(mkdir(path, 0750), 0, "mkdir %s: %s", path, strerror(errno));
}

static int instance_exists(const char *name) {
  char path[700];
  struct stat st;
  snprintf(path, sizeof path, "%s/instances/%s", tracing, name);
  return stat(path, &st) == 0;
}

static void remove_instance_dir(const char *name) {
  char path[700];
  snprintf(path, sizeof path, "%s/instances/%s", tracing, name);
  rmdir(path);
}

/* A pid that ran and is gone (reaped), so kill(pid, 0) fails ESRCH. */
static pid_t dead_pid(void) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) _exit(0);
  cr_assert_eq(waitpid(pid, NULL, 0), pid);
  return pid;
}

/* Makes an instance named after a dead pid and reaps; a tcpclose run
 * starting at the same moment reaps too and may take it first, so this
 * tries again, up to 3 times, until the count says this reap removed it. */
static int reap_a_dead_instance(int *left) {
  int removed = 0;
  *left = 0;
  for (int attempt = 0; attempt < 3 && removed == 0; attempt++) {
    char dead[64];
    snprintf(dead, sizeof dead, "tcpclose-%ld-1", (long)dead_pid());
    make_instance(dead);
    removed = tc_trace_reap_stale();
    *left |= instance_exists(dead);
    remove_instance_dir(dead);
  }
  return removed;
}

Test(trace_live, reap_removes_instances_of_dead_runs_only) {
  need_tracefs();
  char alive[64], other[64];
  snprintf(alive, sizeof alive, "tcpclose-%ld-999", (long)getpid());
  snprintf(other, sizeof other, "tcpclose-other-%ld", (long)getpid());
  make_instance(alive);
  make_instance(other);
  int dead_left, removed = reap_a_dead_instance(&dead_left);
  int alive_left = instance_exists(alive), other_left = instance_exists(other);
  remove_instance_dir(alive);
  remove_instance_dir(other);
  cr_assert_geq(removed, 1, "reap returned %d", removed);
  cr_assert(!dead_left, "the instance of a dead pid was left");
  cr_assert(alive_left, "%s (a running pid) was removed", alive);
  cr_assert(other_left, "%s (not a tcpclose-<pid>-<n> name) was removed", other);
}

/* In a child with a private copy of the mounts (MS_PRIVATE first, so that
 * nothing propagates to the host), tracefs unmounted: open must fail with
 * how to mount it, and must not have mounted it itself. */
static int open_without_tracefs(void) {
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return 10;
  char dir[512];
  while (tracefs_mounted(dir, sizeof dir))
    if (umount2(dir, MNT_DETACH) != 0) return 11;
  int mounts = count_mounts();
  tc_trace *tr = NULL;
  tc_err err = {""};
  int rc = tc_trace_open(9, &tr, &err);
  if (rc != -ENOENT || tr != NULL) return 12;
  if (strstr(err.msg, "not mounted") == NULL || strstr(err.msg, "mount -t tracefs") == NULL)
    return 13;
  if (tc_trace_reap_stale() != 0) return 15;
  return count_mounts() == mounts ? 0 : 14; /* libtracefs would mount tracefs or debugfs */
}

Test(trace_live, without_tracefs_open_says_how_to_mount_it) {
  need_tracefs();
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) _exit(open_without_tracefs());
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "the child died");
  int code = WEXITSTATUS(status);
  if (code == 10 || code == 11)
    cr_skip_test("cannot make a private mount namespace here (%d)", code);
  cr_assert_eq(code, 0, "child failed at check %d (12 rc, 13 message, 14 mounted it, 15 reap)",
               code);
}

/* As nobody: the instance cannot be made, and open says it needs root. */
static int open_as_nobody(void) {
  if (setgid(65534) != 0 || setuid(65534) != 0) return 10;
  tc_trace *tr = NULL;
  tc_err err = {""};
  int rc = tc_trace_open(9, &tr, &err);
  if (rc >= 0 || tr != NULL) return 12;
  return strstr(err.msg, "needs root") != NULL ? 0 : 13;
}

Test(trace_live, without_root_open_says_it_needs_root) {
  need_tracefs();
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) _exit(open_as_nobody());
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed at check %d",
            WEXITSTATUS(status));
}
