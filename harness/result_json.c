/* result_json.c - the results file, schema 1, built with jansson and
 * written atomically (temporary file, fsync, rename). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "result_json.h"
#include "tcpclose/tcpstate.h"

static json_t *sock_json(const struct tc_sock *s) {
  char local[TC_ADDR_STRLEN], remote[TC_ADDR_STRLEN];
  return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:I}", "state",
                   tc_state_name(s->state), "local",
                   tc_addr_format(&s->tuple.local, local, sizeof local), "remote",
                   tc_addr_format(&s->tuple.remote, remote, sizeof remote), "recvq",
                   (json_int_t)s->recvq, "sendq", (json_int_t)s->sendq, "timer",
                   tc_timer_name(s->timer), "timer_ms", (json_int_t)s->timer_ms, "retransmits",
                   (json_int_t)s->retransmits, "inode", (json_int_t)s->inode);
}

static json_t *check_json(const struct tc_check *c) {
  /* A skipped check or an observation neither passed nor failed: pass is null. */
  json_t *j = json_pack("{s:i, s:s, s:s, s:o}", "line", c->line, "expect", c->expect, "observed",
                        c->observed, "pass",
                        c->skipped || c->observation ? json_null() : json_boolean(c->pass));
  if (j != NULL && c->skipped) json_object_set_new(j, "skipped", json_true());
  if (j != NULL && c->observation) json_object_set_new(j, "observation", json_true());
  if (j != NULL && c->has_sock) json_object_set_new(j, "socket", sock_json(&c->sock));
  return j;
}

static const char *role_str(int role) { return role == 0 ? "client" : "server"; }

static json_t *transition_json(const struct tc_transition *t) {
  return json_pack("{s:s, s:i, s:s, s:s, s:I, s:s}", "role", role_str(t->role), "conn", t->conn,
                   "from", tc_state_name(t->from), "to", tc_state_name(t->to), "t_us",
                   (json_int_t)t->t_us, "source", t->source);
}

/* "injected" only when set, so the kernel's own segments read as before. */
static json_t *segment_json(const struct tc_wire_seg *s) {
  json_t *o = json_pack("{s:I, s:s, s:i, s:i, s:s, s:I, s:I, s:I}", "t_us", (json_int_t)s->t_us,
                        "dir", s->from == 0 ? "c>s" : "s>c", "sport", (int)s->sport, "dport",
                        (int)s->dport, "flags", s->flags, "seq", (json_int_t)s->seq, "ack",
                        (json_int_t)s->ack, "len", (json_int_t)s->len);
  if (o != NULL && s->injected && json_object_set_new(o, "injected", json_true()) < 0) {
    json_decref(o);
    o = NULL;
  }
  return o;
}

static json_t *step_json(const struct tc_step_done *s) {
  return json_pack("{s:I, s:s?, s:i, s:s}", "t_us", (json_int_t)s->t_us, "role",
                   s->role < 0 ? NULL : role_str(s->role), "line", s->line, "text", s->text);
}

/* Builds a JSON array from n elements of `size` bytes with `one`. */
static json_t *array_of(const void *elems, size_t n, size_t size, json_t *(*one)(const void *)) {
  json_t *arr = json_array();
  for (size_t i = 0; arr != NULL && i < n; i++)
    if (json_array_append_new(arr, one((const char *)elems + i * size)) < 0) {
      json_decref(arr);
      arr = NULL;
    }
  return arr;
}

static json_t *settle_json(const struct tc_settle_end *s) {
  return json_pack("{s:i, s:s, s:I}", "line", s->line, "ended", s->at_max ? "max" : "quiet", "ms",
                   (json_int_t)s->ms);
}

static json_t *sources_json(const struct tc_source_counts *c) {
  return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}}", "trace", "read", (json_int_t)c->trace_read,
                   "lost", (json_int_t)c->trace_lost, "wire", "read", (json_int_t)c->wire_read,
                   "lost", (json_int_t)c->wire_lost);
}

static json_t *check_one(const void *c) { return check_json(c); }
static json_t *settle_one(const void *s) { return settle_json(s); }
static json_t *transition_one(const void *t) { return transition_json(t); }
static json_t *segment_one(const void *s) { return segment_json(s); }
static json_t *step_one(const void *s) { return step_json(s); }

static json_t *use_json(const struct tc_observer_use *u) {
  if (u->name != NULL) return json_string(u->name);
  return json_pack("{s:s?}", "unavailable", u->why_not);
}

static json_t *observers_json(const tc_case_result *r) {
  return json_pack("{s:s?, s:o, s:o}", "snapshot", r->observer, "transitions",
                   use_json(&r->transitions_by), "wire", use_json(&r->wire_by));
}

static json_t *sysctls_json(const tc_case_result *r) {
  json_t *o = json_object();
  for (size_t i = 0; o != NULL && i < r->nsysctls; i++)
    json_object_set_new(o, r->sysctls[i].name, json_string(r->sysctls[i].value));
  return o;
}

/* Lag to the tenth of a millisecond: finer is noise. */
static double round_ms(double ms) { return (double)(long)(ms * 10 + 0.5) / 10; }

static json_t *program_json(const struct tc_program_run *p, int role) {
  json_t *o = json_pack("{s:s, s:s, s:b, s:s?, s:s?}", "role", role_str(role), "command",
                        p->command, "killed", p->killed, "stdout", p->out, "stderr", p->err);
  if (o != NULL && p->ended && p->term_signal)
    json_object_set_new(o, "signal", json_integer(p->term_signal));
  else if (o != NULL && p->ended)
    json_object_set_new(o, "exit_status", json_integer(p->exit_status));
  return o;
}

static json_t *programs_json(const tc_case_result *r) {
  json_t *a = json_array();
  for (int i = 0; a != NULL && i < 2; i++)
    if (r->program[i].command != NULL) json_array_append_new(a, program_json(&r->program[i], i));
  return a;
}

static json_t *churn_json(const struct tc_churn_stats *c) {
  json_t *errs = json_object();
  for (size_t i = 0; errs != NULL && i < c->nerrs; i++)
    json_object_set_new(errs, c->errs[i].name, json_integer((json_int_t)c->errs[i].n));
  return json_pack("{s:i, s:I, s:I, s:I, s:o, s:I, s:f}", "line", c->line, "ok", (json_int_t)c->ok,
                   "failed", (json_int_t)c->failed, "tuples", (json_int_t)c->tuples, "errors", errs,
                   "us", (json_int_t)c->us, "rate", c->rate);
}

/* The parts only some cases have: programs under test, a churn. */
static json_t *add_extras(json_t *o, const tc_case_result *r) {
  if (o == NULL) return NULL;
  if (r->program[0].command != NULL || r->program[1].command != NULL)
    json_object_set_new(o, "programs", programs_json(r));
  if (r->churn.line > 0) json_object_set_new(o, "churn", churn_json(&r->churn));
  return o;
}

static json_t *case_json(const tc_case_result *r) {
  json_t *j = json_pack(
      "{s:s, s:s, s:s, s:s?, s:I, s:f, s:s?, s:o, s:o, s:o, s:o, s:o}", "name", r->name, "file",
      r->file, "verdict", tc_verdict_name(r->verdict), "reason", r->reason, "duration_ms",
      (json_int_t)r->duration_ms, "loop_lag_ms", round_ms(r->loop_lag_ms), "isolation",
      r->isolation, "sysctls", sysctls_json(r), "observers", observers_json(r), "checks",
      array_of(r->checks, r->nchecks, sizeof *r->checks, check_one), "transitions",
      array_of(r->transitions, r->ntransitions, sizeof *r->transitions, transition_one), "segments",
      array_of(r->segments, r->nsegments, sizeof *r->segments, segment_one));
  if (j == NULL) return NULL;
  json_object_set_new(j, "settles",
                      array_of(r->settles, r->nsettles, sizeof *r->settles, settle_one));
  json_object_set_new(j, "sources", sources_json(&r->sources));
  json_object_set_new(j, "steps", array_of(r->steps, r->nsteps, sizeof *r->steps, step_one));
  return add_extras(j, r);
}

static json_t *case_one(const void *c) { return case_json(c); }

json_t *tc__results_tree(const struct tc_host *h, const struct tc_run_info *run,
                         const tc_case_result *cases, size_t n) {
  json_t *arr = array_of(cases, n, sizeof *cases, case_one);
  json_t *root =
      json_pack("{s:s, s:i, s:{s:s, s:s, s:s}, s:o}", "tool", "tcpclose", "schema", 1, "host", "os",
                h->os, "kernel", h->kernel, "machine", h->machine, "cases", arr);
  if (root != NULL && run != NULL)
    json_object_set_new(root, "run",
                        json_pack("{s:f, s:f}", "loop_lag_ms", round_ms(run->loop_lag_ms),
                                  "loop_busy_ms", round_ms(run->loop_busy_ms)));
  return root;
}

/* Dumps to PATH.XXXXXX beside the target, then renames it into place. */
static int write_atomic(const char *path, json_t *root, tc_err *err) {
  size_t n = strlen(path);
  char *tmp = malloc(n + 8);
  if (tmp == NULL) return tc_errf(err, -ENOMEM, "%s: out of memory", path);
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".XXXXXX", 8);
  int fd = mkstemp(tmp), rc = 0;
  if (fd < 0) {
    rc = tc_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
    free(tmp);
    return rc;
  }
  if (fchmod(fd, 0644) < 0 || json_dumpfd(root, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
      write(fd, "\n", 1) != 1 || fsync(fd) < 0)
    rc = tc_errf(err, -EIO, "%s: cannot write: %s", path, strerror(errno ? errno : EIO));
  if (close(fd) < 0 && rc == 0) rc = tc_errf(err, -errno, "%s: %s", path, strerror(errno));
  if (rc == 0 && rename(tmp, path) < 0) rc = tc_errf(err, -errno, "%s: %s", path, strerror(errno));
  if (rc < 0) unlink(tmp);
  free(tmp);
  return rc;
}

int tc_results_write(const char *path, const struct tc_host *host, const struct tc_run_info *run,
                     const tc_case_result *cases, size_t n, tc_err *err) {
  json_t *root = tc__results_tree(host, run, cases, n);
  if (root == NULL) return tc_errf(err, -ENOMEM, "%s: cannot build the results", path);
  int rc = write_atomic(path, root, err);
  json_decref(root);
  return rc;
}
