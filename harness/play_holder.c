/* play_holder.c - the runner's end of the namespace holder (netns.h): its
 * process and its control pipe, a libuv pipe like a peer's, read with the
 * same line reader. Requests are queued and answered in order; each gets
 * its answer through its callback, never by waiting on the loop. It owns
 * struct tc__holder and reports the holder's end to play.c. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "play_internal.h"

/* It answers at once (a sysctl, an nft command, an iptables run); allow a
 * loaded machine plenty. */
#define HOLDER_ANSWER_MS 10000

struct tc__holder_req {
  struct tc__holder_req *next;
  tc__holder_cb cb;
  void *arg;
  int ready; /* the first answer: "ready" or "error WHY" */
};

static void arm_deadline(struct tc__holder *h);

/* Answers the oldest request, and the deadline moves to the next. */
static void answer(struct tc__holder *h, int rc, const char *text) {
  struct tc__holder_req *q = h->head;
  if (q == NULL) return;
  h->head = q->next;
  if (h->head == NULL) h->tail = NULL;
  arm_deadline(h);
  q->cb(h->play, rc, text, q->arg);
  free(q);
}

static void fail_all(struct tc__holder *h, int rc, const char *why) {
  while (h->head != NULL) answer(h, rc, why);
}

static void deadline_passed(struct tc__ltimer *t) {
  struct tc__holder *h = t->data;
  char why[96];
  snprintf(why, sizeof why, "network namespace holder: no answer in %d ms", HOLDER_ANSWER_MS);
  tc__holder_stop(h);
  fail_all(h, -ETIMEDOUT, why);
}

static void arm_deadline(struct tc__holder *h) {
  if (h->head == NULL)
    tc__ltimer_stop(&h->deadline);
  else
    tc__ltimer_start(&h->deadline, deadline_passed, HOLDER_ANSWER_MS, 0);
}

/* "ok [VALUE]" or "error WHY"; the first line is "ready" or "error WHY". */
static int on_line(char *line, void *arg) {
  struct tc__holder *h = arg;
  if (line == NULL) {
    fail_all(h, -EPIPE, "network namespace holder: ended");
    return 1;
  }
  int is_error = strncmp(line, "error ", 6) == 0;
  if (h->head != NULL && h->head->ready)
    answer(h, strcmp(line, "ready") == 0 ? 0 : -EPERM, is_error ? line + 6 : line);
  else if (strncmp(line, "ok", 2) == 0)
    answer(h, 0, line[2] == ' ' ? line + 3 : "");
  else
    answer(h, -EINVAL, is_error ? line + 6 : line);
  return 0;
}

static void holder_exited(struct tc__proc *p) {
  struct tc__holder *h = p->data;
  fail_all(h, -EPIPE, "network namespace holder: ended");
  tc__play_holder_exited(h->play);
}

/* Running: our end of its control socketpair becomes the holder's pipe.
 * Its first line ("ready") answers the first request. */
static void holder_started(struct tc__proc *p, int rc, int fd, const tc_err *why) {
  struct tc__holder *h = p->data;
  if (rc < 0) {
    fail_all(h, rc, why->msg);
    return;
  }
  rc = tc__proto_pipe_open(h->play->loop, &h->pipe, fd, &h->pipe_open);
  if (rc == 0) rc = tc__proto_read_start(&h->reader, (uv_stream_t *)&h->pipe, on_line, h);
  if (rc == 0) return;
  tc__holder_stop(h);
  fail_all(h, rc, "network namespace holder: cannot read its pipe");
}

static int push(struct tc__holder *h, tc__holder_cb cb, void *arg, int ready) {
  struct tc__holder_req *q = calloc(1, sizeof *q);
  if (q == NULL) return -ENOMEM;
  *q = (struct tc__holder_req){.cb = cb, .arg = arg, .ready = ready};
  if (h->tail)
    h->tail->next = q;
  else
    h->head = q;
  h->tail = q;
  if (h->head == q) arm_deadline(h);
  return 0;
}

int tc__holder_start(struct tc__holder *h, struct tc_play *play, tc__holder_cb cb, tc_err *err) {
  char *args[] = {(char *)play->opts.self_exe, "__netns", NULL};
  h->play = play;
  int rc = tc__ltimer_init(play->loop, &h->deadline, &play->res->loop_lag_ms, h);
  if (rc < 0) return tc_errf(err, rc, "namespace holder: timer: %s", uv_strerror(rc));
  if ((rc = push(h, cb, NULL, 1)) < 0) return tc_errf(err, rc, "namespace holder: out of memory");
  rc = tc__proc_start(&h->proc, play, args, holder_started, holder_exited, h);
  if (rc < 0) {
    free(h->head);
    h->head = h->tail = NULL;
    return tc_errf(err, rc, "cannot start the namespace holder: %s", uv_strerror(rc));
  }
  return 0;
}

int tc__holder_request(struct tc__holder *h, const char *cmd, tc__holder_cb cb, void *arg) {
  if (!h->proc.running || !h->pipe_open) return -EPIPE;
  int rc = tc__proto_send((uv_stream_t *)&h->pipe, cmd);
  return rc < 0 ? rc : push(h, cb, arg, 0);
}

pid_t tc__holder_pid(const struct tc__holder *h) { return h->proc.running ? h->proc.pid : 0; }

static void holder_closed(uv_handle_t *h) { /* the deadline timer */
  struct tc__holder *holder = h->data;
  tc__play_release(holder->play);
}

static void pipe_closed(uv_handle_t *h) {
  struct tc__holder *holder = (struct tc__holder *)((char *)h - offsetof(struct tc__holder, pipe));
  tc__play_release(holder->play);
}

/* Closing our end makes the holder exit; SIGKILL in case it is stuck. */
void tc__holder_stop(struct tc__holder *h) {
  if (h->pipe_open) {
    h->pipe_open = 0;
    tc__play_hold(h->play);
    uv_close((uv_handle_t *)&h->pipe, pipe_closed);
  }
  tc__proc_kill(&h->proc, SIGKILL);
  fail_all(h, -EPIPE, "network namespace holder: stopped");
}

void tc__holder_close(struct tc__holder *h) {
  if (h->play == NULL) return;
  if (tc__ltimer_close(&h->deadline, holder_closed)) tc__play_hold(h->play);
  if (h->proc.play != NULL) tc__proc_close(&h->proc);
}
