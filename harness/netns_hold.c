/* netns_hold.c - held segments: the rules that send them to the queue, and
 * their release (see netns_hold.h). */
#include "netns_hold.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

/* Runs iptables or ip6tables (no shell) inside the namespace; 0 when it
 * succeeded. Why xtables: nftables' own `queue` expression (nft_queue) is
 * not in every kernel, while the xtables NFQUEUE target, reached through
 * nft_compat, usually is (both are in the 6.18 this was written on:
 * CONFIG_NFT_QUEUE is not). */
static int xtables(const char *tool, char *const args[], char *why, size_t len) {
  char *argv[16] = {(char *)tool, "-w"};
  size_t n = 2;
  for (; args[n - 2] != NULL && n < 15; n++) argv[n] = args[n - 2];
  argv[n] = NULL;
  pid_t pid;
  int st;
  if (posix_spawnp(&pid, tool, NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
      !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    snprintf(why, len, "%s failed (is the iptables package installed?)", tool);
    return -EINVAL;
  }
  return 0;
}

/* iptables --tcp-flags list of a flags byte. */
static void flag_names(unsigned flags, char *buf, size_t len) {
  static const char *const names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
  size_t off = 0;
  buf[0] = '\0';
  for (int i = 0; i < 6; i++)
    if (flags & (1u << i))
      off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i]);
  if (off == 0) snprintf(buf, len, "NONE");
}

/* A rule in a chain of its own (TCPCLOSE_HOLD, jumped to from INPUT) that
 * sends the segments to queue 0, in both families. */
int tc__hold_add(struct tc__hold *h, const char *which, unsigned port, unsigned flags, char *why,
                 size_t len) {
  static const char *const tools[] = {"iptables", "ip6tables"};
  char portstr[16], names[64];
  int rc = tc__queue_open(&h->q, why, len);
  snprintf(portstr, sizeof portstr, "%u", port);
  flag_names(flags, names, sizeof names);
  char *opt = strcmp(which, "sport") == 0 ? "--sport" : "--dport";
  for (int t = 0; t < 2 && rc == 0; t++) {
    char *chain[] = {"-N", "TCPCLOSE_HOLD", NULL},
         *jump[] = {"-I", "INPUT", "-j", "TCPCLOSE_HOLD", NULL};
    char *rule[] = {"-A",  "TCPCLOSE_HOLD", "-p", "tcp",     opt,           portstr, "--tcp-flags",
                    "ALL", names,           "-j", "NFQUEUE", "--queue-num", "0",     NULL};
    if (!h->chain)
      rc = xtables(tools[t], chain, why, len) || xtables(tools[t], jump, why, len) ? -EINVAL : 0;
    if (rc == 0) rc = xtables(tools[t], rule, why, len);
  }
  h->chain = rc == 0;
  return rc;
}

/* The hold rules stay while the held segments are delivered, so what they
 * provoke (the ACK of a released FIN) is held too and cannot overtake a
 * segment released after it; that is delivered next, at once, and only
 * then do the rules go (an iptables run is slow: nothing should wait for
 * it), what came meanwhile last. */
int tc__hold_release(struct tc__hold *h, char *value, size_t vlen, char *why, size_t len) {
  tc__queue_read(&h->q);
  size_t held = tc__queue_accept_all(&h->q);
  tc__queue_read(&h->q);
  size_t provoked = tc__queue_accept_all(&h->q);
  char *flush[] = {"-F", "TCPCLOSE_HOLD", NULL};
  int rc = xtables("iptables", flush, why, len);
  if (rc == 0) rc = xtables("ip6tables", flush, why, len);
  tc__queue_read(&h->q);
  size_t late = tc__queue_accept_all(&h->q);
  snprintf(value, vlen, "%zu %zu %zu", held, provoked, late);
  return rc;
}

int tc__hold_fd(const struct tc__hold *h) { return tc__queue_fd(&h->q); }

void tc__hold_read(struct tc__hold *h) { tc__queue_read(&h->q); }

void tc__hold_free(struct tc__hold *h) { tc__queue_close(&h->q); }
