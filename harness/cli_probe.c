/* cli_probe.c - `tcpclose probe [OPTIONS] -- COMMAND [ARGS...]`: a checkup
 * of a server's teardown. It loads the scenario templates (cases/probe/,
 * or $TCPCLOSE_PROBE_DIR), puts the user's server in each (its command,
 * --port, --send, --churn, --grace, --family), plays them all at once (each
 * in its own namespace, through the run scheduler) and prints one line per
 * scenario, read from the results: the server side's path and final state,
 * its time in CLOSE_WAIT, who holds TIME_WAIT, the RSTs it sent and why,
 * and a verdict (ok, leak, reset, time-wait). Exit status: 1 when a
 * scenario leaks, 2 for bad usage or when a scenario could not be played,
 * 0 otherwise. COMMAND runs in the current directory. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "cli_run_sched.h"
#include "tcpclose/result.h"
#include "tcpclose/tcpstate.h"
#include "tcpclose/trace.h"

#ifndef TCPCLOSE_PROBE_DIR
#define TCPCLOSE_PROBE_DIR "cases/probe"
#endif
#define TEMPLATE_GRACE_MS 2000u /* a template's `wait 2s` is the grace */
#define MAX_SCENARIOS 32
#define TC__PROBE_TEXT_MAX 4608

static const char probe_usage[] =
    "usage: tcpclose probe [--port N] [--send TEXT] [--churn N] [--grace DUR] [--family "
    "ipv4|ipv6] [--json FILE] -- COMMAND [ARGS...]\n";

static const char probe_help[] =
    "  a teardown checkup of a server program: 8 scenarios (cases/probe), each in a\n"
    "  namespace of its own, with COMMAND as the server ({addr} and {port} filled in)\n"
    "  --port N        the port COMMAND listens on when it cannot be told (default: {port})\n"
    "  --send TEXT     what each client sends first (escapes \\r \\n \\t; default: nothing)\n"
    "  --churn N       connections of the churn scenario (default 1000)\n"
    "  --grace DUR     how long the server has to close after its client did (default 2s)\n"
    "  --family F      ipv4 (default) or ipv6\n"
    "  --json FILE     also write the scenarios' results file\n"
    "exit status: 0 no leak, 1 a scenario leaks (CLOSE_WAIT after the grace), 2 bad usage\n"
    "or a scenario that could not be played\n";

struct probe_args {
  unsigned port; /* 0: the runner picks {port} */
  char *send;    /* NULL: no request */
  unsigned long churn;
  unsigned grace_ms;
  int family;
  const char *json;
  char command[4096]; /* the words, shell-quoted */
};

/* ---- the command line ---- */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "tcpclose probe: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n%s", probe_usage);
  va_end(ap);
  return TC__EXIT_USAGE;
}

/* \r \n \t \\ \" as in a case's quoted text. */
static char *unescape(const char *s) {
  char *out = malloc(strlen(s) + 1), *o = out;
  for (; out != NULL && *s; s++) {
    if (*s != '\\' || s[1] == '\0') {
      *o++ = *s;
      continue;
    }
    s++;
    *o++ = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
  }
  if (out != NULL) *o = '\0';
  return out;
}

/* Words joined for /bin/sh -c, quoted unless plainly safe. */
static int join_command(char **words, int n, char *buf, size_t len) {
  size_t off = 0;
  for (int i = 0; i < n; i++) {
    const char *w = words[i];
    int plain = w[0] != '\0' && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_./{}:=,+@%") == strlen(w);
    int n1 = snprintf(buf + off, len - off, i ? " " : "");
    off += (size_t)n1;
    if (plain)
      off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s", w);
    else {
      off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "'");
      for (; *w && off < len; w++)
        off += (size_t)snprintf(buf + off, len - off, *w == '\'' ? "'\\''" : "%c", *w);
      off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "'");
    }
    if (off >= len) return -ENOSPC;
  }
  return 0;
}

static int parse_option(struct probe_args *a, const char *opt, const char *v) {
  long n;
  char *end;
  if (strcmp(opt, "--send") == 0) return (a->send = unescape(v)) ? 0 : -ENOMEM;
  if (strcmp(opt, "--json") == 0) return a->json = v, 0;
  if (strcmp(opt, "--grace") == 0)
    return tc_duration_parse(v, &a->grace_ms) == 0 && a->grace_ms > 0 ? 0 : -EINVAL;
  if (strcmp(opt, "--family") == 0) {
    a->family = strcmp(v, "ipv4") == 0 ? AF_INET : strcmp(v, "ipv6") == 0 ? AF_INET6 : 0;
    return a->family ? 0 : -EINVAL;
  }
  n = strtol(v, &end, 10);
  if (*end != '\0' || end == v) return -EINVAL;
  if (strcmp(opt, "--port") == 0 && n >= 1 && n <= 65535) return a->port = (unsigned)n, 0;
  if (strcmp(opt, "--churn") == 0 && n >= 1 && n <= 1000000) return a->churn = (unsigned long)n, 0;
  return -EINVAL;
}

static int parse_args(int argc, char **argv, struct probe_args *a) {
  static const char *const opts[] = {"--port",  "--send",   "--churn",
                                     "--grace", "--family", "--json"};
  *a = (struct probe_args){.churn = 1000, .grace_ms = TEMPLATE_GRACE_MS, .family = AF_INET};
  int i = 0;
  for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
    size_t k = 0;
    while (k < sizeof opts / sizeof opts[0] && strcmp(argv[i], opts[k]) != 0) k++;
    if (k == sizeof opts / sizeof opts[0]) return usage_error("unknown option '%s'", argv[i]);
    if (i + 1 >= argc) return usage_error("%s needs a value", argv[i]);
    if (parse_option(a, argv[i], argv[i + 1]) < 0) return usage_error("bad value for %s", argv[i]);
  }
  if (i >= argc || i + 1 >= argc) return usage_error("the server's command follows '--'");
  if (join_command(argv + i + 1, argc - i - 1, a->command, sizeof a->command) < 0)
    return usage_error("the command is too long");
  return 0;
}

/* ---- the scenarios: templates with the user's server in them ---- */

static void drop_step(tc_case *c, size_t i) {
  free(c->steps[i].text);
  free(c->steps[i].u.act.text);
  memmove(&c->steps[i], &c->steps[i + 1], (c->nsteps - i - 1) * sizeof c->steps[0]);
  c->nsteps--;
}

/* The churn's per-connection send: the request, or none (and then no
 * read either: no request, no answer to wait for). */
static int set_conn_send(struct tc_conn_script *s, const char *send) {
  for (size_t i = 0; i < s->n; i++) {
    if (s->act[i].op == TC_CONN_RECV && send == NULL) {
      memmove(&s->act[i], &s->act[i + 1], (s->n - i - 1) * sizeof s->act[0]);
      s->n--, i--;
      continue;
    }
    if (s->act[i].op != TC_CONN_SEND) continue;
    free(s->act[i].text);
    s->act[i].text = NULL;
    if (send == NULL) {
      memmove(&s->act[i], &s->act[i + 1], (s->n - i - 1) * sizeof s->act[0]);
      s->n--, i--;
    } else if ((s->act[i].text = strdup(send)) == NULL)
      return -ENOMEM;
    else
      s->act[i].bytes = strlen(send);
  }
  return 0;
}

static int rewrite_action(tc_case *c, size_t i, const struct probe_args *a) {
  struct tc_action_step *s = &c->steps[i].u.act;
  if (s->action == TC_ACT_EXEC && s->role == TC_SERVER) {
    free(s->command);
    s->port = a->port;
    return (s->command = strdup(a->command)) ? 0 : -ENOMEM;
  }
  if (s->action == TC_ACT_CHURN) {
    s->churn = a->churn;
    return set_conn_send(&s->conn, a->send);
  }
  if (s->action == TC_ACT_RECV) return 1; /* dropped when there is no request */
  if (s->action != TC_ACT_SEND || s->text == NULL) return 0;
  free(s->text);
  s->text = a->send ? strdup(a->send) : NULL;
  s->bytes = a->send ? strlen(a->send) : 0;
  return a->send && s->text == NULL ? -ENOMEM : 1; /* 1: no request, no send */
}

/* The statement as played, for messages: the template's words with the
 * churn's count and the server's command put in. */
static int retext(struct tc_step *st) {
  const struct tc_action_step *s = &st->u.act;
  char buf[TC__PROBE_TEXT_MAX];
  const char *rest = strstr(st->text, s->action == TC_ACT_CHURN ? "churn " : "exec ");
  if (rest == NULL) return 0;
  if (s->action == TC_ACT_CHURN)
    snprintf(buf, sizeof buf, "%s churn %lu%s", tc_role_name(s->role), s->churn,
             rest + strcspn(rest + 6, " ") + 6);
  else
    snprintf(buf, sizeof buf, "%s exec \"%s\"", tc_role_name(s->role), s->command);
  char *t = strdup(buf);
  if (t == NULL) return -ENOMEM;
  free(st->text);
  st->text = t;
  return 0;
}

/* Returns 0 or -ENOMEM. */
static int rewrite(tc_case *c, const struct probe_args *a) {
  c->family = a->family;
  for (size_t i = 0; i < c->nsteps; i++) {
    struct tc_step *st = &c->steps[i];
    if (st->kind == TC_STEP_WAIT && st->ms == TEMPLATE_GRACE_MS) st->ms = a->grace_ms;
    if (st->kind == TC_STEP_EXPECT && st->u.exp.kind == TC_EXPECT_CHURN)
      st->u.exp.churn_ok = a->churn;
    if (st->kind != TC_STEP_ACTION) continue;
    int rc = rewrite_action(c, i, a);
    if (rc == 0 && (st->u.act.action == TC_ACT_CHURN || st->u.act.action == TC_ACT_EXEC))
      rc = retext(st);
    if (rc < 0) return rc;
    if (rc == 1 && a->send == NULL) drop_step(c, i--);
  }
  return 0;
}

/* Templates end in .probe, not .case: a directory of cases loads its
 * subdirectories' *.case files, and these are not cases of the suite. */
static int template_filter(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 6 && strcmp(d->d_name + n - 6, ".probe") == 0;
}

/* Loads and rewrites every template; 0 or TC__EXIT_USAGE (said why). */
static int load(const struct probe_args *a, tc_case *cases, size_t *n) {
  const char *dir =
      getenv("TCPCLOSE_PROBE_DIR") ? getenv("TCPCLOSE_PROBE_DIR") : TCPCLOSE_PROBE_DIR;
  struct dirent **names;
  int k = scandir(dir, &names, template_filter, alphasort);
  if (k <= 0)
    return fprintf(stderr, "tcpclose probe: no scenario templates in %s\n", dir), TC__EXIT_USAGE;
  int rc = 0;
  *n = 0;
  for (int i = 0; i < k; i++) {
    char path[4096];
    tc_err err;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    if (rc == 0 && *n < MAX_SCENARIOS) {
      if (tc_case_parse_file(path, &cases[*n], &err) < 0)
        rc = fprintf(stderr, "%s\n", err.msg);
      else if (rewrite(&cases[(*n)++], a) < 0)
        rc = fprintf(stderr, "tcpclose probe: out of memory\n");
    }
    free(names[i]);
  }
  free(names);
  return rc ? TC__EXIT_USAGE : 0;
}

/* ---- reading a scenario's results ---- */

enum verdict { V_OK, V_TIME_WAIT, V_RESET, V_LEAK, V_ERROR };
static const char *const verdict_names[] = {"ok", "time-wait", "reset", "leak", "error"};

static const struct tc_check *find_check(const tc_case_result *r, const char *prefix) {
  for (size_t i = 0; i < r->nchecks; i++)
    if (strncmp(r->checks[i].expect, prefix, strlen(prefix)) == 0) return &r->checks[i];
  return NULL;
}

/* The first word of what a check saw: a state name. */
static int seen_state(const tc_case_result *r, const char *prefix) {
  const struct tc_check *c = find_check(r, prefix);
  char word[32] = "";
  if (c == NULL || sscanf(c->observed, "%31s", word) != 1) return -1;
  return strcmp(word, "gone") == 0 ? TC_STATE_GONE : tc_state_from_name(word);
}

/* The number after "STATE=" in a count's observation, 0 when absent. */
static unsigned long counted(const tc_case_result *r, const char *prefix, const char *state) {
  const struct tc_check *c = find_check(r, prefix);
  char key[40];
  snprintf(key, sizeof key, "%s=", state);
  const char *p = c ? strstr(c->observed, key) : NULL;
  return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/* The server's first connection: its path, and how long it sat in CLOSE_WAIT. */
static void server_path(const tc_case_result *r, char *path, size_t len, long *cw_us, int *in_cw) {
  size_t off = 0;
  long since = -1, est = -1;
  *cw_us = -1;
  path[0] = '\0';
  for (size_t i = 0; i < r->ntransitions && off < len; i++) {
    const struct tc_transition *t = &r->transitions[i];
    /* from ESTABLISHED on: the handshake is not the teardown */
    if (t->role != TC_SERVER || t->conn != 1 || t->to == t->from || t->to == TC_STATE_SYN_RECV ||
        (off == 0 && t->to != TC_STATE_ESTABLISHED && t->from != TC_STATE_ESTABLISHED))
      continue;
    if (off == 0) off += (size_t)snprintf(path, len, "ESTABLISHED");
    if (t->to == TC_STATE_ESTABLISHED) est = t->t_us; /* the server closing first: after how long */
    if (off < len && t->to == TC_STATE_FIN_WAIT1 && est >= 0)
      off += (size_t)snprintf(path + off, len - off, " FIN_WAIT1 (closed first, after %.0f ms)",
                              (t->t_us - est) / 1000.0);
    else if (off < len && t->to != TC_STATE_ESTABLISHED)
      off += (size_t)snprintf(path + off, len - off, " %s", tc_state_name(t->to));
    if (t->to == TC_STATE_CLOSE_WAIT) since = t->t_us;
    if (t->from == TC_STATE_CLOSE_WAIT && since >= 0) *cw_us = t->t_us - since;
  }
  *in_cw = since >= 0 && *cw_us < 0;
  if (path[0] == '\0') snprintf(path, len, "(no transition seen)");
}

/* The RSTs the server sent, and the kernel's reason for the last. */
static void server_resets(const tc_case_result *r, char *buf, size_t len, int *n) {
  const struct tc_check *why = find_check(r, "expect server reset-reason");
  *n = 0;
  for (size_t i = 0; i < r->nsegments; i++)
    if (r->segments[i].from == TC_SERVER && strchr(r->segments[i].flags, 'R')) (*n)++;
  if (*n == 0)
    snprintf(buf, len, "none");
  else if (why && !why->skipped && strcmp(why->observed, "none") != 0)
    snprintf(buf, len, "%d (%s)", *n, why->observed);
  else
    snprintf(buf, len, "%d", *n);
}

static const char *tw_holder(int client, int server) {
  int c = client == TC_STATE_TIME_WAIT, s = server == TC_STATE_TIME_WAIT;
  return c && s ? "both" : c ? "client" : s ? "server" : "none";
}

static enum verdict one_line(int i, const char *name, const tc_case_result *r) {
  char path[256], rst[96], cw[48];
  long cw_us;
  int in_cw, nrst;
  int srv = seen_state(r, "observe server"), cli = seen_state(r, "observe client");
  server_path(r, path, sizeof path, &cw_us, &in_cw);
  server_resets(r, rst, sizeof rst, &nrst);
  if (srv == TC_STATE_CLOSE_WAIT)
    snprintf(cw, sizeof cw, "held, still at the end");
  else if (cw_us >= 0)
    snprintf(cw, sizeof cw, "%.1f ms", cw_us / 1000.0);
  else
    snprintf(cw, sizeof cw, "never");
  enum verdict v = srv == TC_STATE_CLOSE_WAIT  ? V_LEAK
                   : nrst > 0                  ? V_RESET
                   : srv == TC_STATE_TIME_WAIT ? V_TIME_WAIT
                                               : V_OK;
  printf("%d %-24s server %s, final %s | CLOSE_WAIT %s | TIME_WAIT %s | RST %s | %s\n", i, name,
         path, srv >= 0 ? tc_state_name(srv) : "?", cw, tw_holder(cli, srv), rst, verdict_names[v]);
  return v;
}

static enum verdict churn_line(int i, const char *name, const tc_case_result *r) {
  static const char *const states[] = {"ESTABLISHED", "CLOSE_WAIT", "LAST_ACK",
                                       "FIN_WAIT1",   "FIN_WAIT2",  "TIME_WAIT"};
  char side[2][160];
  for (int s = 0; s < 2; s++) {
    size_t off = 0;
    const char *prefix = s ? "expect server count" : "expect client count";
    side[s][0] = '\0';
    for (size_t k = 0; k < sizeof states / sizeof states[0]; k++) {
      unsigned long n = counted(r, prefix, states[k]);
      if (n && off < sizeof side[s])
        off += (size_t)snprintf(side[s] + off, sizeof side[s] - off, "%s%s=%lu", off ? " " : "",
                                states[k], n);
    }
    if (off == 0) snprintf(side[s], sizeof side[s], "nothing");
  }
  unsigned long cw = counted(r, "expect server count", "CLOSE_WAIT");
  unsigned long tw = counted(r, "expect server count", "TIME_WAIT");
  enum verdict v = cw ? V_LEAK : tw ? V_TIME_WAIT : V_OK;
  /* the 4-tuples bound what the server can hold: a SYN on a 4-tuple whose
   * server side is in TIME_WAIT ends it (RFC 6191, Linux's tcp_timewait_state_process) */
  printf("%d %-24s %lu ok, %lu failed, %lu 4-tuples | server holds %s | client holds %s | %s\n", i,
         name, r->churn.ok, r->churn.failed, r->churn.tuples, side[1], side[0], verdict_names[v]);
  return v;
}

/* Prints a scenario's line; returns its verdict. */
static enum verdict report(int i, const tc_case *c, const tc_case_result *r) {
  const char *name = strncmp(c->name, "probe-", 6) == 0 ? c->name + 6 : c->name;
  if (r->verdict == TC_ERROR || r->verdict == TC_SKIP) {
    printf("%d %-24s %s: %s\n", i, name, r->verdict == TC_SKIP ? "skipped" : "error",
           r->reason ? r->reason : "?");
    return V_ERROR;
  }
  return r->churn.line ? churn_line(i, name, r) : one_line(i, name, r);
}

/* ---- the command ---- */

static int summarize(const tc_case *cases, const tc_case_result *res, size_t n, unsigned grace_ms) {
  size_t count[5] = {0};
  char leaks[256] = "";
  for (size_t i = 0; i < n; i++) {
    enum verdict v = report((int)i + 1, &cases[i], &res[i]);
    count[v]++;
    if (v == V_LEAK && strlen(leaks) + 40 < sizeof leaks)
      snprintf(leaks + strlen(leaks), sizeof leaks - strlen(leaks), "%s%zu %s",
               leaks[0] ? ", " : "", i + 1, cases[i].name + 6);
  }
  printf("summary: %zu scenarios: %zu ok, %zu time-wait, %zu reset, %zu leak, %zu error\n", n,
         count[V_OK], count[V_TIME_WAIT], count[V_RESET], count[V_LEAK], count[V_ERROR]);
  if (count[V_LEAK])
    printf("LEAK: the server left sockets in CLOSE_WAIT %.1f s after its client closed (%s): it "
           "does not close when read() returns 0\n",
           grace_ms / 1000.0, leaks);
  if (count[V_TIME_WAIT])
    printf("note: the server closes first in %zu scenario(s) and holds TIME_WAIT (a cost, not a "
           "failure)\n",
           count[V_TIME_WAIT]);
  return count[V_LEAK] ? TC__EXIT_FAIL : count[V_ERROR] ? TC__EXIT_USAGE : TC__EXIT_OK;
}

static void ignore_result(const tc_case_result *r, void *arg) { (void)r, (void)arg; }

static int play(const struct probe_args *a, tc_case *cases, size_t n) {
  struct tc__cli_exes exes;
  char cwd[4096];
  int interrupted = 0;
  struct tc_run_info info = {0};
  tc_case_result res[MAX_SCENARIOS];
  if (tc__cli_exes(&exes) < 0 || getcwd(cwd, sizeof cwd) == NULL)
    return fprintf(stderr, "tcpclose probe: cannot find its executable or directory\n"),
           TC__EXIT_USAGE;
  struct tc_play_opts po = {
      .self_exe = exes.self, .peer_exe = exes.peer[0] ? exes.peer : NULL, .program_dir = cwd};
  const tc_case *list[MAX_SCENARIOS];
  for (size_t i = 0; i < n; i++) list[i] = &cases[i];
  struct tc__sched_opts so = {.jobs = n, .play = &po, .on_result = ignore_result};
  signal(SIGPIPE, SIG_IGN);
  tc_trace_reap_stale();
  printf("tcpclose probe: %s (grace %.1f s, churn %lu)\n", a->command, a->grace_ms / 1000.0,
         a->churn);
  int fds_left;
  if (tc__sched_run(list, n, res, &so, &interrupted, &info, &fds_left) < 0)
    return fprintf(stderr, "tcpclose probe: out of memory\n"), TC__EXIT_USAGE;
  int rc = interrupted ? TC__EXIT_INTERRUPTED : summarize(cases, res, n, a->grace_ms);
  struct tc_host host;
  tc_err err;
  tc_host_detect(&host);
  if (a->json && !interrupted && tc_results_write(a->json, &host, NULL, res, n, &err) < 0)
    fprintf(stderr, "tcpclose probe: %s\n", err.msg), rc = TC__EXIT_USAGE;
  for (size_t i = 0; i < n; i++) tc_case_result_free(&res[i]);
  return rc;
}

/* -h or --help before the server's command (after '--' they are its own). */
static int wants_help(int argc, char **argv) {
  for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
  return 0;
}

int tc__cmd_probe(int argc, char **argv) {
  struct probe_args a = {0};
  tc_case cases[MAX_SCENARIOS];
  size_t n = 0;
  if (wants_help(argc, argv)) {
    fputs(probe_usage, stdout);
    fputs(probe_help, stdout);
    return TC__EXIT_OK;
  }
  int rc = parse_args(argc, argv, &a);
  if (rc == 0) rc = load(&a, cases, &n);
  if (rc == 0) rc = play(&a, cases, n);
  for (size_t i = 0; i < n; i++) tc_case_free(&cases[i]);
  free(a.send);
  return rc;
}
