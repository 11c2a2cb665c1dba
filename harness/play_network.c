/* play_network.c - the steps that shape the case's network (sysctl, drop,
 * hold, release), sent to the namespace holder, and the close-related
 * sysctls recorded when the case ends. No state of its own: what is asked
 * waits in the holder's queue (play_holder.c), and each answer is reported
 * to play.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "play_internal.h"

/* The settings that change what a close does, recorded as the case saw them. */
static const char *const close_sysctls[] = {
    "net.ipv4.tcp_fin_timeout",    "net.ipv4.tcp_tw_reuse",       "net.ipv4.tcp_tw_reuse_delay",
    "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_rfc1337",
    "net.ipv4.tcp_max_orphans",    "net.ipv4.tcp_retries2",       "net.ipv4.tcp_abort_on_overflow",
};
#define NSYSCTLS (sizeof close_sysctls / sizeof close_sysctls[0])

/* tcpdump notation to the TCP flags byte, for the rule. */
static unsigned flags_byte(const char *f) {
  unsigned b = 0;
  for (; *f; f++)
    b |= *f == 'F'   ? 0x01
         : *f == 'S' ? 0x02
         : *f == 'R' ? 0x04
         : *f == 'P' ? 0x08
         : *f == '.' ? 0x10
         : *f == 'U' ? 0x20
                     : 0;
  return b;
}

/* The rules and names are ours and checked: a refusal means this kernel
 * cannot do it (no nftables, a sysctl it does not have), which is a skip
 * with the reason, not a broken case. A holder that is gone is an error. */
static void step_answered(struct tc_play *play, int rc, const char *answer, void *arg) {
  const struct tc_step *st = arg;
  if (rc == -EINVAL)
    tc__play_skip(play, "line %d: %s: this kernel cannot: %s", st->line, st->text, answer);
  else if (rc < 0)
    tc__play_fail(play, "line %d: %s: %s", st->line, st->text, answer);
  else
    tc__play_network_done(play);
}

static void command_for(const struct tc_play *play, const struct tc_step *st, char *cmd,
                        size_t len) {
  /* Every segment of the case has the server's port on one side. */
  const struct tc_drop_step *d = &st->u.drop;
  const char *which = d->from == TC_SERVER ? "sport" : "dport";
  unsigned port = play->link[TC_SERVER].listener.port;
  if (st->kind == TC_STEP_SYSCTL)
    snprintf(cmd, len, "set %s %s", st->u.sysctl.name, st->u.sysctl.value);
  else if (st->kind == TC_STEP_DROP)
    snprintf(cmd, len, "drop line-%d %s %u %u %u %s", st->line, which, port, flags_byte(d->flags),
             d->count, d->at_output ? "output" : "input");
  else if (st->kind == TC_STEP_HOLD)
    snprintf(cmd, len, "hold line-%d %s %u %u", st->line, which, port, flags_byte(d->flags));
  else
    snprintf(cmd, len, "release");
}

void tc__network_step(struct tc_play *play, const struct tc_step *st) {
  char cmd[256];
  command_for(play, st, cmd, sizeof cmd);
  if (tc__holder_request(&play->holder, cmd, step_answered, (void *)st) < 0)
    tc__play_fail(play, "line %d: %s: the network namespace holder is gone", st->line, st->text);
}

/* ---- the sysctls, as the case saw them ---- */

struct sysctl_read {
  void (*done)(struct tc_play *play);
  size_t asked, answered;
};

static void sysctl_answered(struct tc_play *play, int rc, const char *answer, void *arg) {
  struct sysctl_read *r = arg;
  const char *name = close_sysctls[r->answered++];
  if (rc == 0) tc_case_result_add_sysctl(play->res, name, answer); /* else: not on this kernel */
  if (r->answered < r->asked) return;
  void (*done)(struct tc_play *) = r->done;
  free(r);
  done(play);
}

/* Through the holder; its answers come in the order asked. Returns 0 when
 * done will be called by the last answer. */
static int ask_holder(struct tc_play *play, void (*done)(struct tc_play *play)) {
  struct sysctl_read *r = malloc(sizeof *r);
  if (r == NULL) return -ENOMEM;
  *r = (struct sysctl_read){.done = done};
  for (; r->asked < NSYSCTLS; r->asked++) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "get %s", close_sysctls[r->asked]);
    if (tc__holder_request(&play->holder, cmd, sysctl_answered, r) < 0) break;
  }
  if (r->asked > 0) return 0;
  free(r);
  return -EPIPE;
}

/* The host's, read only: the host is never changed. */
static void read_host(struct tc_play *play) {
  for (size_t i = 0; i < NSYSCTLS; i++) {
    char value[128];
    if (tc__sysctl_get(close_sysctls[i], value, sizeof value) == 0)
      tc_case_result_add_sysctl(play->res, close_sysctls[i], value);
  }
}

void tc__network_record_sysctls(struct tc_play *play, void (*done)(struct tc_play *play)) {
  const char *iso = play->res->isolation;
  if (tc__holder_pid(&play->holder) && ask_holder(play, done) == 0) return;
  if (iso != NULL && strncmp(iso, "host", 4) == 0) read_host(play);
  done(play);
}
