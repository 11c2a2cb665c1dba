/* netns_holder.c - the namespace holder process: its namespace and its
 * command loop (see netns.h). Blocking: it serves one runner, a line at a
 * time, with the peers' line splitter (peer_proto.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "netns_hold.h"
#include "netns_nft.h"
#include "peer_proto.h"

struct holder {
  struct tc__nft nft;   /* drop rules */
  struct tc__hold hold; /* held segments */
  char in[512];
  size_t len;
};

static int lo_up(void) {
  struct ifreq ifr = {0};
  int fd = socket(AF_INET, SOCK_DGRAM, 0), rc = -1;
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  if (fd >= 0) close(fd);
  return rc;
}

/* One answer line to the runner: WORD, or WORD TEXT. */
static int say(const char *word, const char *text) {
  char line[600];
  snprintf(line, sizeof line - 1, "%s%s%s", word, text ? " " : "", text ? text : "");
  size_t n = strlen(line);
  line[n++] = '\n';
  for (size_t off = 0; off < n;) {
    ssize_t w = write(TC__PROTO_FD, line + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    off += (size_t)w;
  }
  return 0;
}

static int serve_rule(struct holder *h, const char *line, char *value, size_t vlen, char *why,
                      size_t wlen) {
  char tag[32], which[64], hook[16];
  unsigned port = 0, flags = 0, count = 0;
  if (sscanf(line, "drop %31s %63s %u %u %u %15s", tag, which, &port, &flags, &count, hook) == 6)
    return tc__nft_drop(&h->nft, tag, hook, which, port, flags, count, why, wlen);
  if (sscanf(line, "hold %31s %63s %u %u", tag, which, &port, &flags) == 4)
    return tc__hold_add(&h->hold, which, port, flags, why, wlen);
  if (strcmp(line, "release") == 0) return tc__hold_release(&h->hold, value, vlen, why, wlen);
  snprintf(why, wlen, "unknown command");
  return -EINVAL;
}

static int serve_line(char *line, void *arg) {
  struct holder *h = arg;
  char a[128] = "", b[128] = "", why[300] = "", value[256] = "";
  int rc;
  if (sscanf(line, "get %127s", a) == 1)
    rc = tc__sysctl_get(a, value, sizeof value);
  else if (sscanf(line, "set %127s %127[^\n]", a, b) == 2) {
    if ((rc = tc__sysctl_get(a, value, sizeof value)) == 0) rc = tc__sysctl_set(a, b);
  } else
    rc = serve_rule(h, line, value, sizeof value, why, sizeof why);
  if (rc == 0) return say("ok", value) < 0;
  return say("error", why[0] ? why : strerror(-rc)) < 0;
}

/* Reads what the runner sent; 0 when it is gone (the namespace goes with us). */
static int read_commands(struct holder *h) {
  ssize_t n = read(TC__PROTO_FD, h->in + h->len, sizeof h->in - h->len - 1);
  if (n < 0 && errno == EINTR) return 1;
  if (n <= 0) return 0;
  h->len = tc__proto_lines(h->in, h->len + (size_t)n, serve_line, h);
  return h->len < sizeof h->in - 1; /* a line longer than any command: not our runner */
}

static void serve(struct holder *h) {
  for (;;) {
    struct pollfd pfd[2] = {{.fd = TC__PROTO_FD, .events = POLLIN},
                            {.fd = tc__hold_fd(&h->hold), .events = POLLIN}};
    /* Counted drops: watch their counters. Every 20 ms is enough (a
     * retransmission comes 200 ms or more later) and costs little. */
    int n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, h->nft.ncounted ? 20 : -1);
    if (n == 0) tc__nft_expire(&h->nft);
    if (n > 0 && (pfd[1].revents & POLLIN)) tc__hold_read(&h->hold); /* learn held ids in order */
    if (n <= 0 || !(pfd[0].revents & (POLLIN | POLLHUP))) continue;
    if (!read_commands(h)) return;
  }
}

/* Buckets of the case's own TCP hash table: a churn case's thousands of
 * sockets still find short chains. */
#define TC__CASE_EHASH "8192"

/* A sysctl of this namespace, copied from the namespace it was made from. */
static int copy_sysctl(const char *name, const char *value) {
  return value[0] ? tc__sysctl_set(name, value) : 0;
}

/* The case's namespace, with a TCP hash table of its own. In a namespace
 * that shares the host's, every sock_diag dump of the case (snapshots,
 * counts, each settle poll) walks all of the host's buckets: 262144 here,
 * 2 ms of CPU per dump, and 32 cases settling at once filled both cores.
 * The kernel gives a new namespace its own table when the namespace it is
 * made from says so in tcp_child_ehash_entries (Linux 6.1, tcp_set_hashinfo()
 * in net/ipv4/tcp_ipv4.c), which tcpclose must not set on the host: so the
 * holder makes a first namespace, sets it there, and makes the case's from
 * that one. The table's size also sets the new namespace's
 * tcp_max_tw_buckets and tcp_max_syn_backlog; they are given the values of
 * a namespace made from the host, so that only the table differs. An older
 * kernel has no such sysctl: its case plays in the first namespace. */
static int make_namespace(void) {
  char tw[32] = "", syn[32] = "";
  if (unshare(CLONE_NEWNET) < 0) return -errno;
  if (tc__sysctl_get("net.ipv4.tcp_max_tw_buckets", tw, sizeof tw) < 0 ||
      tc__sysctl_get("net.ipv4.tcp_max_syn_backlog", syn, sizeof syn) < 0 ||
      tc__sysctl_set("net.ipv4.tcp_child_ehash_entries", TC__CASE_EHASH) < 0)
    return 0;
  if (unshare(CLONE_NEWNET) < 0) return -errno;
  int rc = copy_sysctl("net.ipv4.tcp_max_tw_buckets", tw);
  return rc == 0 ? copy_sysctl("net.ipv4.tcp_max_syn_backlog", syn) : rc;
}

int tc__netns_main(void) {
  static struct holder h;
  /* Started by the runner, which goes before ordinary work: the holder's
   * iptables and nft runs must not delay the runner's timers. */
  setpriority(PRIO_PROCESS, 0, 0);
  int rc = make_namespace();
  if (rc == 0 && lo_up() < 0) rc = -errno;
  if (rc < 0) {
    char why[160];
    snprintf(why, sizeof why, "cannot make a network namespace: %s", strerror(-rc));
    say("error", why);
    return 1;
  }
  if (say("ready", NULL) < 0) return 3;
  serve(&h);
  tc__hold_free(&h.hold);
  tc__nft_free(&h.nft);
  return 0;
}
