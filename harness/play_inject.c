/* play_inject.c - the inject step: one crafted segment into the case's
 * connection (see the README's case language and inject_ref.h).
 *
 * On the loop: the timeline is drained first, so that the capture holds
 * every segment up to now; the numbers come from the wire segments of the
 * case's connection (the client's latest and its server end), and the
 * segment is built. Off the loop: a threadpool job enters the case's
 * namespace (setns moves that thread only), sends the segment on that
 * namespace's loopback and comes back; it touches nothing of the play
 * until it is back on the loop, where it reports tc__play_injected(). A
 * pending job holds the play (tc__play_hold) so that done waits for it.
 * Without a capture or a namespace of its own the case is skipped, with
 * the reason. No state of its own beyond the job.
 */
#include <errno.h>
#include <stdlib.h>

#include "inject_ref.h"
#include "netns.h"
#include "play_internal.h"

struct inject_job {
  uv_work_t req;
  struct tc_play *play;
  const struct tc_step *st;
  pid_t netns_pid;
  struct tc__inject_seg seg;
  int rc;
  tc_err err;
};

static void inject_work(uv_work_t *req) {
  struct inject_job *j = req->data;
  int old = -1;
  j->rc = tc__netns_join(j->netns_pid, &old, &j->err);
  if (j->rc == 0) j->rc = tc__inject_send(&j->seg, &j->err);
  tc__netns_leave(old);
}

/* No raw socket here (not root) is this machine's limit, not the case's. */
static void inject_done(uv_work_t *req, int status) {
  struct inject_job *j = req->data;
  struct tc_play *play = j->play;
  (void)status;
  if (j->rc == -EPERM || j->rc == -EACCES)
    tc__play_skip(play, "line %d: %s: %s", j->st->line, j->st->text, j->err.msg);
  else if (j->rc < 0)
    tc__play_fail(play, "line %d: %s: %s", j->st->line, j->st->text, j->err.msg);
  else
    tc__play_injected(play);
  tc__play_release(play);
  free(j);
}

/* The segment, from the capture of the client's latest connection. */
static int build_segment(struct tc_play *play, const struct tc_inject_step *in,
                         struct tc__inject_seg *seg, tc_err *err) {
  const struct tc_tuple *t = tc__link_conn(&play->link[TC_CLIENT], 0);
  if (t == NULL) return tc_errf(err, -ENOENT, "inject: the client has no connection");
  const struct tc_addr *from = in->from == TC_CLIENT ? &t->local : &t->remote;
  const struct tc_addr *to = in->from == TC_CLIENT ? &t->remote : &t->local;
  size_t n;
  const struct tc_segment *segs = tc_wire_segments(play->tl.wire, &n);
  struct tc__inject_ref ref;
  int rc = tc__inject_ref_compute(segs, n, from, to, &ref, err);
  return rc < 0 ? rc : tc__inject_ref_segment(&ref, in, from, to, seg, err);
}

void tc__inject_step(struct tc_play *play, const struct tc_step *st) {
  pid_t pid = tc__holder_pid(&play->holder);
  if (play->res->wire_by.name == NULL || play->tl.wire == NULL) {
    const char *why = play->res->wire_by.why_not;
    tc__play_skip(play, "line %d: %s: its numbers come from the capture, which is not running (%s)",
                  st->line, st->text, why != NULL ? why : "no listen opened it");
    return;
  }
  if (pid == 0) {
    tc__play_skip(play, "line %d: %s: needs a network namespace of its own", st->line, st->text);
    return;
  }
  tc__timeline_poll(play); /* the capture up to now */
  struct inject_job *j = calloc(1, sizeof *j);
  if (j == NULL) {
    tc__play_fail(play, "line %d: inject: out of memory", st->line);
    return;
  }
  *j = (struct inject_job){.req.data = j, .play = play, .st = st, .netns_pid = pid};
  if (build_segment(play, &st->u.inject, &j->seg, &j->err) < 0) {
    tc__play_fail(play, "line %d: %s: %s", st->line, st->text, j->err.msg);
    free(j);
    return;
  }
  tc__play_hold(play);
  if (uv_queue_work(play->loop, &j->req, inject_work, inject_done) < 0) {
    tc__play_release(play);
    free(j);
    tc__play_fail(play, "line %d: inject: cannot queue the send", st->line);
  }
}
