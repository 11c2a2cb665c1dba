/* cli_run.c - `tcpclose run`: plays cases one after another on one libuv
 * loop, prints a line per case, writes the results file. Ctrl-C (or
 * SIGTERM/SIGHUP) aborts the case in progress, which kills and reaps its
 * peers; no results file is written for an interrupted run. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tcpclose/play.h"
#include "tcpclose/result.h"
#include "tcpclose/trace.h"

struct run {
  uv_loop_t *loop;
  struct tc__case_set set;
  size_t *order;           /* indices of the cases to play */
  size_t n, next;
  tc_case_result *results;
  tc_play *current;
  struct tc_play_opts opts;
  uv_signal_t sig[3];
  int interrupted;
  size_t counts[TC_ERROR + 1];
};

static const char usage[] =
    "usage: tcpclose run [-v] [--json FILE] [--filter GLOB] [--observer NAME] [--timeout DUR] [FILE|DIR ...]\n"
    "  plays the case files (default: the cases/ directory)\n"
    "  --json FILE      write the results file (atomically)\n"
    "  --filter GLOB    only cases whose name matches GLOB\n"
    "  --observer NAME  snapshot observer (procfs)\n"
    "  --timeout DUR    limit of a blocking action (default 5s)\n"
    "  --no-netns       play on this namespace's loopback (to watch with tcpdump, ss)\n"
    "  -v, --verbose    print each case's timeline as it happens\n";

/* One line per distinct reason checkpoints were skipped, with a count. */
static void print_skips(const tc_case_result *r) {
  for (size_t i = 0; i < r->nchecks; i++) {
    const char *why = r->checks[i].observed;
    size_t n = 0, seen_before = 0;
    if (!r->checks[i].skipped) continue;
    for (size_t j = 0; j < r->nchecks; j++) {
      if (!r->checks[j].skipped || strcmp(r->checks[j].observed, why) != 0) continue;
      seen_before |= j < i;
      n++;
    }
    if (!seen_before)
      printf("      %zu checkpoint%s skipped: %s\n", n, n == 1 ? "" : "s", why + strlen("skipped: "));
  }
}

static void print_case(const tc_case_result *r) {
  static const char *const tag[] = {"pass ", "FAIL ", "skip ", "ERROR"};
  printf("%s %-36s %6.2f s\n", tag[r->verdict], r->name, r->duration_ms / 1000.0);
  for (size_t i = 0; r->verdict == TC_FAIL && i < r->nchecks; i++) {
    const struct tc_check *c = &r->checks[i];
    const char *what = strncmp(c->expect, "expect ", 7) == 0 ? c->expect + 7 : c->expect;
    if (!c->pass) printf("      %s:%d: expected %s but got %s\n", r->file, c->line, what, c->observed);
  }
  if (r->verdict != TC_FAIL && r->verdict != TC_PASS && r->reason)
    printf("      %s: %s\n", r->file, r->reason);
  print_skips(r);
}

static void print_line(const char *line, void *arg) {
  (void)arg;
  printf("%s\n", line);
}

static void start_next(struct run *run);

static void play_done(tc_play *play, void *arg) {
  struct run *run = arg;
  tc_case_result *r = &run->results[run->next - 1];
  tc_play_free(play);
  run->current = NULL;
  if (!run->interrupted) {
    run->counts[r->verdict]++;
    print_case(r);
  }
  start_next(run);
}

static void start_next(struct run *run) {
  if (run->interrupted || run->next == run->n) {
    for (int i = 0; i < 3; i++) uv_close((uv_handle_t *)&run->sig[i], NULL);
    return;
  }
  size_t i = run->next++;
  const tc_case *c = &run->set.cases[run->order[i]];
  if (run->opts.on_line != NULL) printf("case %s (%s)\n", c->name, c->file);
  int rc = tc_play_start(run->loop, &run->set.cases[run->order[i]], &run->opts,
                         &run->results[i], play_done, run, &run->current);
  if (rc < 0) {
    fprintf(stderr, "tcpclose run: cannot start a case: %s\n", strerror(-rc));
    run->interrupted = SIGABRT;
    start_next(run);
  }
}

static void on_signal(uv_signal_t *s, int signum) {
  struct run *run = s->data;
  run->interrupted = signum;
  if (run->current != NULL) tc_play_abort(run->current, "interrupted");
}

struct run_args {
  const char *json, *filter, *observer;
  unsigned timeout_ms;
  int verbose, no_netns;
};

/* Returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, struct run_args *a) {
  static const struct option longopts[] = {{"json", required_argument, NULL, 'j'},
                                           {"filter", required_argument, NULL, 'f'},
                                           {"observer", required_argument, NULL, 'o'},
                                           {"timeout", required_argument, NULL, 't'},
                                           {"verbose", no_argument, NULL, 'v'},
                                           {"no-netns", no_argument, NULL, 'N'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
    switch (c) {
    case 'j': a->json = optarg; break;
    case 'f': a->filter = optarg; break;
    case 'o': a->observer = optarg; break;
    case 't':
      if (tc_duration_parse(optarg, &a->timeout_ms) < 0 || a->timeout_ms == 0) {
        fprintf(stderr, "tcpclose run: --timeout '%s' is not a duration (e.g. 500ms, 5s)\n", optarg);
        return TC__EXIT_USAGE;
      }
      break;
    case 'v': a->verbose = 1; break;
    case 'N': a->no_netns = 1; break;
    case 'h': fputs(usage, stdout); return TC__EXIT_OK;
    case ':':
      fprintf(stderr, "tcpclose run: option '%s' needs a value\n", argv[optind - 1]);
      return TC__EXIT_USAGE;
    default:
      fprintf(stderr, "tcpclose run: unknown option '%s' (see tcpclose run --help)\n", argv[optind - 1]);
      return TC__EXIT_USAGE;
    }
  }
  return -1;
}

/* A results file that cannot be written is known before anything runs. */
static int json_dir_ok(const char *json) {
  char *copy = strdup(json);
  const char *dir = copy ? dirname(copy) : ".";
  int ok = access(dir, W_OK) == 0;
  if (!ok) fprintf(stderr, "tcpclose run: --json %s: cannot write in '%s': %s\n", json, dir, strerror(errno));
  free(copy);
  return ok;
}

static int select_cases(struct run *run, const char *filter) {
  run->order = calloc(run->set.n ? run->set.n : 1, sizeof *run->order);
  run->results = calloc(run->set.n ? run->set.n : 1, sizeof *run->results);
  if (run->order == NULL || run->results == NULL) return -ENOMEM;
  for (size_t i = 0; i < run->set.n; i++)
    if (filter == NULL || fnmatch(filter, run->set.cases[i].name, 0) == 0) run->order[run->n++] = i;
  return 0;
}

static int play_all(struct run *run) {
  static const int signums[3] = {SIGINT, SIGTERM, SIGHUP};
  char exe[4096];
  size_t len = sizeof exe;
  if (uv_exepath(exe, &len) < 0) {
    fprintf(stderr, "tcpclose run: cannot find its own executable\n");
    return TC__EXIT_USAGE;
  }
  run->opts.self_exe = exe;
  run->loop = uv_default_loop();
  tc_trace_reap_stale(); /* instances a SIGKILLed run could not remove */
  for (int i = 0; i < 3; i++) {
    uv_signal_init(run->loop, &run->sig[i]);
    run->sig[i].data = run;
    uv_signal_start(&run->sig[i], on_signal, signums[i]);
  }
  start_next(run);
  uv_run(run->loop, UV_RUN_DEFAULT);
  uv_loop_close(run->loop);
  return 0;
}

static int report(struct run *run, const struct run_args *a, double secs) {
  if (run->interrupted) {
    fprintf(stderr, "tcpclose run: interrupted by signal %d; no results written\n", run->interrupted);
    return TC__EXIT_INTERRUPTED;
  }
  size_t failed = run->counts[TC_FAIL] + run->counts[TC_ERROR];
  if (a->json != NULL) {
    struct tc_host host;
    tc_err err;
    tc_host_detect(&host);
    if (tc_results_write(a->json, &host, run->results, run->n, &err) < 0) {
      fprintf(stderr, "tcpclose run: %s\n", err.msg);
      return TC__EXIT_FAIL;
    }
  }
  printf("%zu cases in %.2f s%s%s\n", run->n, secs, a->json ? ", results in " : "", a->json ? a->json : "");
  printf("%zu passed, %zu failed", run->counts[TC_PASS], failed);
  if (run->counts[TC_SKIP]) printf(", %zu skipped", run->counts[TC_SKIP]);
  printf("\n");
  return failed ? TC__EXIT_FAIL : TC__EXIT_OK;
}

int tc__cmd_run(int argc, char **argv) {
  struct run_args a = {0};
  struct run run = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  if (a.json != NULL && !json_dir_ok(a.json)) return TC__EXIT_USAGE;
  if ((rc = tc__cases_load(argv + optind, argc - optind, &run.set)) != 0) return rc;
  if (select_cases(&run, a.filter) < 0) rc = TC__EXIT_FAIL;
  else if (run.n == 0) {
    fprintf(stderr, "tcpclose run: no case matches --filter '%s'\n", a.filter);
    rc = TC__EXIT_USAGE;
  }
  run.opts.observer = a.observer;
  run.opts.step_timeout_ms = a.timeout_ms;
  if (a.verbose) run.opts.on_line = print_line;
  run.opts.no_netns = a.no_netns;
  uint64_t t0 = uv_hrtime();
  if (rc == 0 && (rc = play_all(&run)) == 0) rc = report(&run, &a, (double)(uv_hrtime() - t0) / 1e9);
  for (size_t i = 0; i < run.n; i++) tc_case_result_free(&run.results[i]);
  free(run.results);
  free(run.order);
  tc__cases_free(&run.set);
  return rc;
}
