/* play_observe.c - opening and closing the case's observers off the loop.
 *
 * Every case of a run shares one loop, and opening an observer inside the
 * case's namespace means entering it (setns) and, for the transitions, a
 * tracefs instance that takes a good part of a second to make and tens of
 * milliseconds to remove. So all of it runs on libuv's threadpool: a
 * worker enters the namespace (setns moves that thread only), opens, and
 * comes back; the job touches nothing of the play until it is back on the
 * loop, where the result is handed over and reported to play.c. A pending
 * job holds the play (tc__play_hold) so that done waits for it. It owns
 * struct tc__observers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "play_internal.h"

struct job {
  uv_work_t req;
  struct tc_play *play;
  pid_t netns_pid; /* 0: the runner's own namespace */
  uint16_t port;
  const char *observer; /* the snapshot backend asked for; NULL: the best */
  tc_observer *snap;
  tc_trace *trace;
  tc_wire *wire;
  int src, trc, wrc;
  tc_err serr, terr, werr;
};

static int queue_job(struct job *j, uv_work_cb work, uv_after_work_cb after) {
  tc__play_hold(j->play);
  int rc = uv_queue_work(j->play->loop, &j->req, work, after);
  if (rc < 0) {
    tc__play_release(j->play);
    free(j);
  }
  return rc;
}

static struct job *new_job(struct tc_play *play, pid_t netns_pid) {
  struct job *j = calloc(1, sizeof *j);
  if (j != NULL) *j = (struct job){.req.data = j, .play = play, .netns_pid = netns_pid};
  return j;
}

/* ---- the snapshot observer ---- */

static void snapshot_work(uv_work_t *req) {
  struct job *j = req->data;
  tc__proc_background_thread();
  int old = -1;
  j->src = j->netns_pid ? tc__netns_join(j->netns_pid, &old, &j->serr) : 0;
  if (j->src == 0) j->src = tc_observer_open(j->observer, &j->snap, &j->serr);
  tc__netns_leave(old);
  tc__proc_foreground_thread();
}

static void snapshot_done(uv_work_t *req, int status) {
  struct job *j = req->data;
  struct tc_play *play = j->play;
  (void)status;
  play->obs.snap = j->snap; /* closed with the play, whatever happened */
  if (j->src == 0) play->res->observer = tc_observer_name(j->snap);
  tc__play_observed(play, 0, j->src, &j->serr);
  tc__play_release(play);
  free(j);
}

int tc__observe_open_snapshot(struct tc_play *play, pid_t netns_pid) {
  struct job *j = new_job(play, netns_pid);
  if (j == NULL) return -ENOMEM;
  j->observer = play->opts.observer;
  return queue_job(j, snapshot_work, snapshot_done);
}

/* ---- the sources: trace and capture ---- */

/* The capture must see the loopback of the case's namespace; the trace is
 * filtered by port and sees every namespace. */
static void sources_work(uv_work_t *req) {
  struct job *j = req->data;
  tc__proc_background_thread();
  int old = -1;
  j->trc = tc_trace_open(j->port, &j->trace, &j->terr);
  j->wrc = j->netns_pid ? tc__netns_join(j->netns_pid, &old, &j->werr) : 0;
  if (j->wrc == 0) j->wrc = tc_wire_open(j->port, &j->wire, &j->werr);
  tc__netns_leave(old);
  tc__proc_foreground_thread();
}

/* A source that cannot run here is recorded with why, and its checks are
 * skipped. */
static void sources_done(uv_work_t *req, int status) {
  struct job *j = req->data;
  struct tc_play *play = j->play;
  (void)status;
  if (j->trc == 0)
    play->res->transitions_by.name = "tracefs";
  else
    play->res->transitions_by.why_not = strdup(j->terr.msg);
  if (j->wrc == 0)
    play->res->wire_by.name = "pcap";
  else
    play->res->wire_by.why_not = strdup(j->werr.msg);
  if (play->life.finished) {
    tc__observe_close_sources(play, j->trace, j->wire);
  } else {
    tc__timeline_start(play, j->trace, j->wire);
    tc__play_observed(play, 1, 0, NULL);
  }
  tc__play_release(play);
  free(j);
}

int tc__observe_open_sources(struct tc_play *play, pid_t netns_pid, uint16_t port) {
  struct job *j = new_job(play, netns_pid);
  if (j == NULL) return -ENOMEM;
  play->obs.sources_asked = 1;
  j->port = port;
  return queue_job(j, sources_work, sources_done);
}

static void close_work(uv_work_t *req) {
  struct job *j = req->data;
  tc__proc_background_thread();
  tc_trace_close(j->trace);
  tc_wire_close(j->wire);
  tc__proc_foreground_thread();
}

static void close_done(uv_work_t *req, int status) {
  struct job *j = req->data;
  (void)status;
  tc__play_release(j->play);
  free(j);
}

void tc__observe_close_sources(struct tc_play *play, tc_trace *trace, tc_wire *wire) {
  if (trace == NULL && wire == NULL) return;
  struct job *j = new_job(play, 0);
  if (j == NULL) { /* no memory for the job: close here, slowly */
    tc_trace_close(trace);
    tc_wire_close(wire);
    return;
  }
  j->trace = trace;
  j->wire = wire;
  if (queue_job(j, close_work, close_done) < 0) {
    tc_trace_close(trace);
    tc_wire_close(wire);
  }
}

/* Closing the snapshot's netlink socket waits for the kernel's netlink
 * table (netlink_table_grab()) until no other thread of the machine uses
 * it: 19 ms on the loop once, beside the holders' nft and iptables. The
 * play is gone when the job ends, so the job holds only the observer; the
 * loop runs until it is done. */
struct close_job {
  uv_work_t req;
  tc_observer *snap;
};

static void snap_close_work(uv_work_t *req) {
  struct close_job *j = req->data;
  tc__proc_background_thread();
  tc_observer_close(j->snap);
  tc__proc_foreground_thread();
}

static void snap_close_done(uv_work_t *req, int status) {
  (void)status;
  free(req->data);
}

void tc__observe_close(uv_loop_t *loop, struct tc__observers *o) {
  tc_observer *snap = o->snap;
  o->snap = NULL;
  if (snap == NULL) return;
  struct close_job *j = calloc(1, sizeof *j);
  if (j != NULL) *j = (struct close_job){.req.data = j, .snap = snap};
  if (j == NULL || uv_queue_work(loop, &j->req, snap_close_work, snap_close_done) < 0) {
    free(j); /* no job: closed here, slowly */
    tc_observer_close(snap);
  }
}
