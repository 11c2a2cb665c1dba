/* cli_run.c - `tcpclose run`: plays cases one after another on one libuv
 * loop, prints a line per case, writes the results file and the reports
 * asked for (report.h). Ctrl-C (or
 * SIGTERM/SIGHUP) aborts the case in progress, which kills and reaps its
 * peers; no results file is written for an interrupted run. */
#define _GNU_SOURCE /* SCHED_RESET_ON_FORK */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "cli_run_sched.h"
#include "report.h"
#include "result_json.h"
#include "tcpclose/play.h"
#include "tcpclose/result.h"
#include "tcpclose/trace.h"

/* More at once only adds load: the cases are short, the slow ones idle. */
#define MAX_DEFAULT_JOBS 32

struct run {
  struct tc__case_set set;
  const tc_case **cases; /* the cases to play, in order */
  size_t n;
  tc_case *v6; /* --family: cases played again over ::1 */
  size_t nv6;
  tc_case_result *results;
  struct tc_play_opts opts;
  int interrupted;
  int progress_shown; /* a status line is on the terminal */
  int verbose;
  struct tc_run_info info; /* the loop's lag and own work */
  size_t counts[TC_ERROR + 1];
};

static const char usage[] =
    "usage: tcpclose run [-v] [-j N] [--quick] [--json FILE] [--filter GLOB] [--observer NAME] "
    "[--timeout DUR] [FILE|DIR ...]\n"
    "  plays the case files (default: the suite beside the binary or installed)\n"
    "  --json FILE      write the results file (atomically)\n"
    "  --html FILE      write the HTML report: sequence diagrams (tcpclose report)\n"
    "  --junit FILE     write JUnit XML, one testcase per case\n"
    "  --tap FILE       write TAP version 13\n"
    "  --summary-markdown FILE  write a short markdown summary ($GITHUB_STEP_SUMMARY)\n"
    "  --filter GLOB    only cases whose name matches GLOB\n"
    "  --observer NAME  snapshot observer (procfs)\n"
    "  --timeout DUR    limit of a blocking action (default 5s) and of a program's\n"
    "                   start (default 30s)\n"
    "  --no-netns       play on this namespace's loopback (to watch with tcpdump, ss)\n"
    "  -j, --jobs N     cases played at once (default: all, up to 32, so a run\n"
    "                   lasts about as long as its longest case)\n"
    "  --quick          leave out cases tagged slow\n"
    "  --family F       ipv4 (as the cases say), ipv6 (all over ::1) or both\n"
    "  -v, --verbose    print each case's timeline as it happens (one case at a time)\n";

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
      printf("      %zu checkpoint%s skipped: %s\n", n, n == 1 ? "" : "s",
             why + strlen("skipped: "));
  }
}

static void print_case(const tc_case_result *r) {
  static const char *const tag[] = {"pass ", "FAIL ", "skip ", "ERROR"};
  printf("%s %-36s %6.2f s\n", tag[r->verdict], r->name, r->duration_ms / 1000.0);
  for (size_t i = 0; r->verdict == TC_FAIL && i < r->nchecks; i++) {
    const struct tc_check *c = &r->checks[i];
    const char *what =
        strchr(c->expect, ' ') ? strchr(c->expect, ' ') + 1 : c->expect; /* after expect[...] */
    if (!c->pass && !c->skipped && !c->observation)
      printf("      %s:%d: expected %s but got %s\n", r->file, c->line, what, c->observed);
  }
  if (r->verdict != TC_FAIL && r->verdict != TC_PASS && r->reason)
    printf("      %s: %s\n", r->file, r->reason);
  print_skips(r);
}

static void print_line(const char *line, void *arg) {
  (void)arg;
  printf("%s\n", line);
}

/* A terminal's status line, rewritten in place; cleared before a result. */
static void on_progress(const struct tc__sched_progress *p, void *arg) {
  struct run *run = arg;
  printf("\r\033[K[%zu done, %zu running, %zu left] %.1f s", p->done, p->running, p->left,
         p->elapsed_s);
  fflush(stdout);
  run->progress_shown = 1;
}

static void on_result(const tc_case_result *r, void *arg) {
  struct run *run = arg;
  if (run->progress_shown) printf("\r\033[K");
  run->progress_shown = 0;
  run->counts[r->verdict]++;
  print_case(r);
  if (run->verbose) printf("      loop lag %.1f ms\n", r->loop_lag_ms);
}

static void on_start(const tc_case *c, void *arg) {
  struct run *run = arg;
  if (run->opts.on_line != NULL) printf("case %s (%s)\n", c->name, c->file);
}

/* --html, --junit, --tap, --summary-markdown, in enum tc__report_format order */
#define NFORMATS 4

struct run_args {
  const char *json, *filter, *observer;
  const char *reports[NFORMATS];
  unsigned timeout_ms;
  int verbose, no_netns, quick;
  long jobs;
  const char *family;
};

/* Returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, struct run_args *a) {
  static const struct option longopts[] = {
      {"json", required_argument, NULL, 'o' + 256},
      {"filter", required_argument, NULL, 'f'},
      {"observer", required_argument, NULL, 'o'},
      {"timeout", required_argument, NULL, 't'},
      {"verbose", no_argument, NULL, 'v'},
      {"no-netns", no_argument, NULL, 'N'},
      {"jobs", required_argument, NULL, 'j'},
      {"quick", no_argument, NULL, 'q'},
      {"family", required_argument, NULL, 'f' + 256},
      {"html", required_argument, NULL, 512 + TC__REPORT_HTML},
      {"junit", required_argument, NULL, 512 + TC__REPORT_JUNIT},
      {"tap", required_argument, NULL, 512 + TC__REPORT_TAP},
      {"summary-markdown", required_argument, NULL, 512 + TC__REPORT_MARKDOWN},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hvj:", longopts, NULL)) != -1) {
    if (c >= 512 && c < 512 + NFORMATS) { /* --html, --junit, --tap, --summary-markdown */
      a->reports[c - 512] = optarg;
      continue;
    }
    switch (c) {
    case 'o' + 256: a->json = optarg; break;
    case 'f': a->filter = optarg; break;
    case 'o': a->observer = optarg; break;
    case 't':
      if (tc_duration_parse(optarg, &a->timeout_ms) < 0 || a->timeout_ms == 0) {
        fprintf(stderr, "tcpclose run: --timeout '%s' is not a duration (e.g. 500ms, 5s)\n",
                optarg);
        return TC__EXIT_USAGE;
      }
      break;
    case 'v': a->verbose = 1; break;
    case 'N': a->no_netns = 1; break;
    case 'q': a->quick = 1; break;
    case 'f' + 256:
      if (strcmp(optarg, "ipv4") != 0 && strcmp(optarg, "ipv6") != 0 &&
          strcmp(optarg, "both") != 0) {
        fprintf(stderr, "tcpclose run: --family '%s' must be ipv4, ipv6 or both\n", optarg);
        return TC__EXIT_USAGE;
      }
      a->family = optarg;
      break;
    case 'j': {
      char *end;
      a->jobs = strtol(optarg, &end, 10);
      if (*end != '\0' || a->jobs < 1 || a->jobs > 256) {
        fprintf(stderr, "tcpclose run: --jobs '%s' must be a number from 1 to 256\n", optarg);
        return TC__EXIT_USAGE;
      }
      break;
    }
    case 'h': fputs(usage, stdout); return TC__EXIT_OK;
    case ':':
      fprintf(stderr, "tcpclose run: option '%s' needs a value\n", argv[optind - 1]);
      return TC__EXIT_USAGE;
    default:
      fprintf(stderr, "tcpclose run: unknown option '%s' (see tcpclose run --help)\n",
              argv[optind - 1]);
      return TC__EXIT_USAGE;
    }
  }
  return -1;
}

/* A results file that cannot be written is known before anything runs. */
static int json_dir_ok(const char *opt, const char *json) {
  char *copy = strdup(json);
  const char *dir = copy ? dirname(copy) : ".";
  int ok = access(dir, W_OK) == 0;
  if (!ok)
    fprintf(stderr, "tcpclose run: %s %s: cannot write in '%s': %s\n", opt, json, dir,
            strerror(errno));
  free(copy);
  return ok;
}

/* The same case over ::1, named NAME@ipv6; shares the steps of the
 * original, only its name is its own. */
static const tc_case *ipv6_copy(struct run *run, const tc_case *c) {
  tc_case *v = &run->v6[run->nv6];
  size_t len = strlen(c->name) + sizeof "@ipv6";
  *v = *c;
  v->family = AF_INET6;
  if ((v->name = malloc(len)) == NULL) return NULL;
  snprintf(v->name, len, "%s@ipv6", c->name);
  run->nv6++;
  return v;
}

static int select_cases(struct run *run, const struct run_args *a) {
  int v4 = a->family == NULL || strcmp(a->family, "ipv6") != 0;
  int v6 = a->family != NULL && strcmp(a->family, "ipv4") != 0;
  size_t cap = 2 * run->set.n + 1;
  run->cases = calloc(cap, sizeof *run->cases);
  run->results = calloc(cap, sizeof *run->results);
  run->v6 = calloc(cap, sizeof *run->v6);
  if (run->cases == NULL || run->results == NULL || run->v6 == NULL) return -ENOMEM;
  for (size_t i = 0; i < run->set.n; i++) {
    const tc_case *c = &run->set.cases[i], *copy;
    if (a->filter != NULL && fnmatch(a->filter, c->name, 0) != 0) continue;
    if (a->quick && tc_case_has_tag(c, "slow")) continue;
    if (v4 || c->family == AF_INET6) run->cases[run->n++] = c;
    if (!v6 || c->family == AF_INET6) continue;
    if ((copy = ipv6_copy(run, c)) == NULL) return -ENOMEM;
    run->cases[run->n++] = copy;
  }
  return 0;
}

static void no_work(uv_work_t *req) { (void)req; }

/* libuv's threadpool, made now with one thread fewer than the CPUs the
 * runner may use (at least one). Its jobs are system calls that keep the
 * kernel busy for milliseconds: a capture's packet ring and compiled
 * filter, a tracing instance, namespace joins, process starts. A kernel
 * without preemption (preempt=none, as here: 6.18, 2 cores) lets a thread
 * in a system call keep its CPU until it returns, whatever the priority
 * of the loop waiting for it: with libuv's 4 threads, two jobs held both
 * CPUs and the quick suite's loop lag was 7 to 26 ms (median 16, 5 runs);
 * with one thread, 3.4 to 4.7 ms, the suite as fast
 * (scripts/bench-lag-why names what held the CPU). libuv reads the size
 * from UV_THREADPOOL_SIZE when it makes the pool; the user's own value is
 * put back for the programs the runner starts. */
static void make_pool(void) {
  static uv_work_t first;
  const char *user = getenv("UV_THREADPOOL_SIZE");
  char *saved = user != NULL ? strdup(user) : NULL, size[16];
  unsigned cpus = uv_available_parallelism();
  snprintf(size, sizeof size, "%u", cpus > 1 ? cpus - 1 : 1);
  setenv("UV_THREADPOOL_SIZE", size, 1);
  uv_queue_work(uv_default_loop(), &first, no_work, NULL);
  if (saved != NULL)
    setenv("UV_THREADPOOL_SIZE", saved, 1);
  else
    unsetenv("UV_THREADPOOL_SIZE");
  free(saved);
}

/* The loop's memory stays its own: a malloc() or free() on the loop that
 * grows or trims the heap (brk) or maps a large block takes the process's
 * memory map lock for writing, and waits while a pool thread maps or
 * unmaps a capture's packet ring: the loop slept 3.7 ms in brk() so. With
 * these, glibc grows the heap 8 MiB at a time, never gives it back, and
 * serves blocks of up to 8 MiB from it. */
static void keep_heap(void) {
#ifdef M_TRIM_THRESHOLD /* glibc */
  mallopt(M_TOP_PAD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
#endif
}

/* Timers that fire late (settle polls, waits) and events drained late
 * make a loaded machine's verdicts differ: the runner, and the threads it
 * starts, go before ordinary work when the privilege allows. At nice -20
 * a woken loop still waited for a CPU behind the peers and holders it had
 * just started and the kernel's namespace cleanup; at the lowest
 * real-time priority it takes the CPU when it wakes. It sleeps in epoll
 * between events, and the kernel keeps 5% of each CPU for ordinary work
 * (sched_rt_runtime_us), so it cannot starve the peers.
 * SCHED_RESET_ON_FORK: nothing it starts inherits the policy. */
static void runner_threads(void) {
  setpriority(PRIO_PROCESS, 0, -20);
  keep_heap();
#ifdef SCHED_RESET_ON_FORK /* Linux; elsewhere children would inherit it */
  /* The pool's threads are made by make_pool(): made before the reset flag
   * is set, they start at the loop's own priority instead of below it (a
   * thread that never got a job stayed there). */
  struct sched_param first = {.sched_priority = 1};
  sched_setscheduler(0, SCHED_FIFO, &first);
  make_pool();
  sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &first);
#else
  make_pool();
#endif
}

static int play_all(struct run *run, const struct run_args *a) {
  struct tc__cli_exes exes;
  if (tc__cli_exes(&exes) < 0) {
    fprintf(stderr, "tcpclose run: cannot find its own executable\n");
    return TC__EXIT_USAGE;
  }
  run->opts.self_exe = exes.self;
  run->opts.peer_exe = exes.peer[0] ? exes.peer : NULL;
  runner_threads();
  /* A peer or namespace holder that dies leaves a closed socket: writing to
   * it must fail with EPIPE and end that case, not kill the whole run. */
  signal(SIGPIPE, SIG_IGN);
  tc_trace_reap_stale(); /* instances a SIGKILLed run could not remove */
  /* A live timeline reads only one case at a time. */
  size_t jobs = a->verbose                  ? 1
                : a->jobs > 0               ? (size_t)a->jobs
                : run->n < MAX_DEFAULT_JOBS ? run->n
                                            : MAX_DEFAULT_JOBS;
  struct tc__sched_opts o = {.jobs = jobs ? jobs : 1,
                             .play = &run->opts,
                             .on_start = on_start,
                             .on_result = on_result,
                             .arg = run};
  if (!a->verbose && isatty(STDOUT_FILENO)) o.on_progress = on_progress;
  int fds_left = 0;
  if (tc__sched_run(run->cases, run->n, run->results, &o, &run->interrupted, &run->info,
                    &fds_left) < 0) {
    fprintf(stderr, "tcpclose run: out of memory\n");
    return TC__EXIT_FAIL;
  }
  /* scripts/soak watches for this line */
  if (fds_left > 0 && !run->interrupted)
    fprintf(stderr,
            "tcpclose run: %d descriptors left open by the cases (a bug: please report it)\n",
            fds_left);
  return 0;
}

/* The reports asked for, from the same tree as the results file. */
static int write_reports(struct run *run, const struct run_args *a, const struct tc_host *host) {
  int any = 0;
  for (int f = 0; f < NFORMATS; f++) any |= a->reports[f] != NULL;
  if (!any) return 0;
  json_t *tree = tc__results_tree(host, &run->info, run->results, run->n);
  tc_cmp_run *res = tree != NULL ? tc__report_run_of(tree, a->json ? a->json : "this run") : NULL;
  tc_err err = {.msg = "out of memory"};
  int rc = res != NULL ? 0 : -1;
  for (int f = 0; f < NFORMATS && rc == 0; f++)
    if (a->reports[f] != NULL)
      rc = tc__report_write(a->reports[f], (enum tc__report_format)f, &res, 1, &err);
  tc_cmp_run_free(res);
  if (rc < 0) fprintf(stderr, "tcpclose run: %s\n", err.msg);
  return rc;
}

static int report(struct run *run, const struct run_args *a, double secs) {
  if (run->interrupted) {
    fprintf(stderr, "tcpclose run: interrupted by signal %d; no results written\n",
            run->interrupted);
    return TC__EXIT_INTERRUPTED;
  }
  size_t failed = run->counts[TC_FAIL] + run->counts[TC_ERROR];
  struct tc_host host;
  tc_host_detect(&host);
  if (a->json != NULL) {
    tc_err err;
    if (tc_results_write(a->json, &host, &run->info, run->results, run->n, &err) < 0) {
      fprintf(stderr, "tcpclose run: %s\n", err.msg);
      return TC__EXIT_FAIL;
    }
  }
  if (write_reports(run, a, &host) < 0) return TC__EXIT_FAIL;
  printf("%zu cases in %.2f s%s%s\n", run->n, secs, a->json ? ", results in " : "",
         a->json ? a->json : "");
  printf("%zu passed, %zu failed", run->counts[TC_PASS], failed);
  if (run->counts[TC_SKIP]) printf(", %zu skipped", run->counts[TC_SKIP]);
  printf("\n");
  if (a->verbose)
    printf("loop lag: worst %.1f ms (the loop's own work: at most %.1f ms in one turn)\n",
           run->info.loop_lag_ms, run->info.loop_busy_ms);
  return failed ? TC__EXIT_FAIL : TC__EXIT_OK;
}

/* Every file the run will write can be written: known before anything runs. */
static int outputs_ok(const struct run_args *a) {
  static const char *const report_opt[NFORMATS] = {"--html", "--junit", "--tap",
                                                   "--summary-markdown"};
  if (a->json != NULL && !json_dir_ok("--json", a->json)) return 0;
  for (int f = 0; f < NFORMATS; f++)
    if (a->reports[f] != NULL && !json_dir_ok(report_opt[f], a->reports[f])) return 0;
  return 1;
}

/* The named cases, or the suite (cli.h), saying where it was found. */
static int load_cases(int n, char **named, struct tc__case_set *set) {
  char suite[4096] = "cases", *dflt[] = {suite};
  const char *where;
  if (n == 0 && tc__cases_default(suite, sizeof suite, &where) == 0)
    fprintf(stderr, "tcpclose run: cases from %s (%s)\n", suite, where);
  return tc__cases_load(n ? named : dflt, n ? n : 1, set);
}

int tc__cmd_run(int argc, char **argv) {
  struct run_args a = {0};
  struct run run = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  if (!outputs_ok(&a)) return TC__EXIT_USAGE;
  if ((rc = load_cases(argc - optind, argv + optind, &run.set)) != 0) return rc;
  if (select_cases(&run, &a) < 0)
    rc = TC__EXIT_FAIL;
  else if (run.n == 0) {
    fprintf(stderr, "tcpclose run: no case matches --filter '%s'%s\n", a.filter ? a.filter : "*",
            a.quick ? " outside the slow ones" : "");
    rc = TC__EXIT_USAGE;
  }
  run.opts.observer = a.observer;
  run.opts.step_timeout_ms = a.timeout_ms;
  if (a.verbose) run.opts.on_line = print_line;
  run.verbose = a.verbose;
  run.opts.no_netns = a.no_netns;
  uint64_t t0 = uv_hrtime();
  if (rc == 0 && (rc = play_all(&run, &a)) == 0)
    rc = report(&run, &a, (double)(uv_hrtime() - t0) / 1e9);
  for (size_t i = 0; i < run.n; i++) tc_case_result_free(&run.results[i]);
  free(run.results);
  free(run.cases);
  for (size_t i = 0; i < run.nv6; i++) free(run.v6[i].name);
  free(run.v6);
  tc__cases_free(&run.set);
  return rc;
}
