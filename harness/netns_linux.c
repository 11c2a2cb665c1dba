/* netns_linux.c - the namespace holder process and namespace switching
 * (see netns.h). Runs blocking: it serves one runner, a line at a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "netns_queue.h"
#include "peer_proto.h"

#define MAX_COUNTED 16

struct counted_drop {
  char tag[32];
  unsigned count;
};

struct holder {
  FILE *in, *out;
  struct nft_ctx *nft;
  struct tc__queue q;      /* segments held by `hold` rules */
  int hold_chain;          /* TCPCLOSE_HOLD exists in both families */
  struct counted_drop drops[MAX_COUNTED];
  size_t ndrops;
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

/* net.ipv4.tcp_fin_timeout -> /proc/sys/net/ipv4/tcp_fin_timeout */
static void sysctl_path(const char *name, char *path, size_t len) {
  snprintf(path, len, "/proc/sys/%s", name);
  for (char *p = path + strlen("/proc/sys/"); *p; p++)
    if (*p == '.') *p = '/';
}

static int sysctl_get(const char *name, char *value, size_t len) {
  char path[256];
  sysctl_path(name, path, sizeof path);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -errno;
  int ok = fgets(value, (int)len, f) != NULL;
  fclose(f);
  value[strcspn(value, "\n")] = '\0';
  for (char *p = value; *p; p++)
    if (*p == '\t') *p = ' ';
  return ok ? 0 : -EIO;
}

static int sysctl_set(const char *name, const char *value) {
  char path[256];
  sysctl_path(name, path, sizeof path);
  FILE *f = fopen(path, "w");
  if (f == NULL) return -errno;
  int rc = fputs(value, f) < 0 ? -errno : 0;
  if (fclose(f) != 0 && rc == 0) rc = -errno;
  return rc;
}

static int nft_run(struct holder *h, const char *cmd, char *why, size_t len) {
  if (h->nft == NULL && (h->nft = nft_ctx_new(NFT_CTX_DEFAULT)) != NULL) {
    nft_ctx_buffer_output(h->nft);
    nft_ctx_buffer_error(h->nft);
  }
  if (h->nft == NULL) return snprintf(why, len, "nftables: cannot start libnftables"), -ENOMEM;
  if (nft_run_cmd_from_buffer(h->nft, cmd) == 0) return 0;
  snprintf(why, len, "nftables: %s", nft_ctx_get_error_buffer(h->nft));
  why[strcspn(why, "\n")] = '\0';
  return -EINVAL;
}

/* Adds the drop rule; tagged with a comment so that it can be found. */
static int add_drop(struct holder *h, const char *tag, const char *which, unsigned port,
                    unsigned flags, unsigned count, char *why, size_t len) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "add table inet tcpclose\n"
           "add chain inet tcpclose input { type filter hook input priority 0; policy accept; }\n"
           "add rule inet tcpclose input tcp %s %u tcp flags == 0x%x counter drop comment \"%s\"\n",
           which, port, flags, tag);
  int rc = nft_run(h, cmd, why, len);
  if (rc == 0 && count > 0 && h->ndrops < MAX_COUNTED) {
    snprintf(h->drops[h->ndrops].tag, sizeof h->drops[0].tag, "%s", tag);
    h->drops[h->ndrops++].count = count;
  }
  return rc;
}

/* Counter and handle of the rule tagged `tag`, from nft's JSON listing. */
static int rule_counter(struct holder *h, const char *tag, json_int_t *packets, json_int_t *handle) {
  char why[256];
  nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  int rc = nft_run(h, "list chain inet tcpclose input", why, sizeof why);
  nft_ctx_output_set_flags(h->nft, 0);
  json_t *root = rc == 0 ? json_loads(nft_ctx_get_output_buffer(h->nft), 0, NULL) : NULL, *item;
  size_t i;
  rc = -ENOENT;
  json_array_foreach(json_object_get(root, "nftables"), i, item) {
    json_t *rule = json_object_get(item, "rule"), *e;
    const char *c = json_string_value(json_object_get(rule, "comment"));
    size_t k;
    if (c == NULL || strcmp(c, tag) != 0) continue;
    *handle = json_integer_value(json_object_get(rule, "handle"));
    json_array_foreach(json_object_get(rule, "expr"), k, e)
      if (json_object_get(e, "counter")) *packets = json_integer_value(json_object_get(json_object_get(e, "counter"), "packets"));
    rc = 0;
  }
  json_decref(root);
  return rc;
}

/* Removes the rules that dropped as many segments as they were meant to. */
static void expire_drops(struct holder *h) {
  for (size_t i = 0; i < h->ndrops;) {
    json_int_t packets = 0, handle = 0;
    char cmd[128], why[256];
    if (rule_counter(h, h->drops[i].tag, &packets, &handle) == 0 && packets < h->drops[i].count) {
      i++;
      continue;
    }
    snprintf(cmd, sizeof cmd, "delete rule inet tcpclose input handle %lld\n", (long long)handle);
    if (handle) nft_run(h, cmd, why, sizeof why);
    h->drops[i] = h->drops[--h->ndrops];
  }
}

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
    if (flags & (1u << i)) off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i]);
  if (off == 0) snprintf(buf, len, "NONE");
}

/* Holds, in the kernel, segments with that port and exactly that flags
 * byte, for both families: a rule in a chain of its own (TCPCLOSE_HOLD,
 * jumped to from INPUT) that sends them to queue 0. */
static int add_hold(struct holder *h, const char *which, unsigned port, unsigned flags,
                    char *why, size_t len) {
  static const char *const tools[] = {"iptables", "ip6tables"};
  char portstr[16], names[64];
  int rc = tc__queue_open(&h->q, why, len);
  snprintf(portstr, sizeof portstr, "%u", port);
  flag_names(flags, names, sizeof names);
  char *opt = strcmp(which, "sport") == 0 ? "--sport" : "--dport";
  for (int t = 0; t < 2 && rc == 0; t++) {
    char *chain[] = {"-N", "TCPCLOSE_HOLD", NULL}, *jump[] = {"-I", "INPUT", "-j", "TCPCLOSE_HOLD", NULL};
    char *rule[] = {"-A", "TCPCLOSE_HOLD", "-p", "tcp", opt, portstr, "--tcp-flags", "ALL", names,
                    "-j", "NFQUEUE", "--queue-num", "0", NULL};
    if (!h->hold_chain) rc = xtables(tools[t], chain, why, len) || xtables(tools[t], jump, why, len) ? -EINVAL : 0;
    if (rc == 0) rc = xtables(tools[t], rule, why, len);
  }
  h->hold_chain = rc == 0;
  return rc;
}

/* Delivers what is held, in the order it came. The hold rules stay while
 * that is delivered, so what it provokes (the ACK of a released FIN) is
 * held too and cannot overtake a segment released after it; that is
 * delivered next, at once, and only then do the rules go (an iptables run
 * is slow: nothing should wait for it), what came meanwhile last.
 * Answers how many segments each of the three rounds delivered. */
static int release_held(struct holder *h, char *value, size_t vlen, char *why, size_t len) {
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

static void serve_line(struct holder *h, char *line) {
  char a[128] = "", b[128] = "", c[64] = "", why[300] = "", value[256] = "";
  unsigned port = 0, flags = 0, count = 0;
  int rc = -EINVAL;
  if (sscanf(line, "get %127s", a) == 1) rc = sysctl_get(a, value, sizeof value);
  else if (sscanf(line, "set %127s %127[^\n]", a, b) == 2) {
    if ((rc = sysctl_get(a, value, sizeof value)) == 0) rc = sysctl_set(a, b);
  } else if (sscanf(line, "drop %31s %63s %u %u %u", b, c, &port, &flags, &count) == 5)
    rc = add_drop(h, b, c, port, flags, count, why, sizeof why);
  else if (sscanf(line, "hold %31s %63s %u %u", b, c, &port, &flags) == 4)
    rc = add_hold(h, c, port, flags, why, sizeof why);
  else if (strncmp(line, "release", 7) == 0)
    rc = release_held(h, value, sizeof value, why, sizeof why);
  else snprintf(why, sizeof why, "unknown command");
  if (rc == 0) fprintf(h->out, "ok %s\n", value);
  else fprintf(h->out, "error %s\n", why[0] ? why : strerror(-rc));
  fflush(h->out);
}

int tc__netns_main(void) {
  struct holder h = {.in = fdopen(TC__PROTO_FD, "r"), .out = fdopen(dup(TC__PROTO_FD), "w")};
  if (h.in == NULL || h.out == NULL) return 3;
  if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) {
    fprintf(h.out, "error cannot make a network namespace: %s\n", strerror(errno));
    return 1;
  }
  fprintf(h.out, "ready\n");
  fflush(h.out);
  char line[512];
  for (;;) {
    struct pollfd pfd[2] = {{.fd = TC__PROTO_FD, .events = POLLIN},
                            {.fd = tc__queue_fd(&h.q), .events = POLLIN}};
    /* Counted drops: watch their counters. Every 20 ms is enough (a
     * retransmission comes 200 ms or more later) and costs little. */
    int n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, h.ndrops ? 20 : -1);
    if (n == 0) expire_drops(&h);
    if (n > 0 && (pfd[1].revents & POLLIN)) tc__queue_read(&h.q); /* learn held ids in order */
    if (n <= 0 || !(pfd[0].revents & (POLLIN | POLLHUP))) continue;
    if (fgets(line, sizeof line, h.in) == NULL) break; /* runner gone: the namespace goes with us */
    serve_line(&h, line);
  }
  tc__queue_close(&h.q);
  if (h.nft) nft_ctx_free(h.nft);
  return 0;
}

int tc__netns_join(pid_t pid, int *old, tc_err *err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (old != NULL) *old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (old != NULL && *old < 0) || setns(fd, CLONE_NEWNET) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    if (old != NULL && *old >= 0) close(*old);
    if (old != NULL) *old = -1; /* closed: a caller's tc__netns_leave() must not setns it */
    return tc_errf(err, -e, "cannot enter the case's network namespace (%s): %s", path, strerror(e));
  }
  close(fd);
  return 0;
}

void tc__netns_leave(int old) {
  if (old < 0) return;
  /* Observing or acting in the wrong namespace would lie or touch the host:
   * stop, saying why, rather than go on. */
  if (setns(old, CLONE_NEWNET) < 0) {
    fprintf(stderr, "tcpclose: cannot return to the original network namespace: %s\n", strerror(errno));
    abort();
  }
  close(old);
}

int tc__netns_possible(tc_err *err) {
  if (geteuid() != 0)
    return tc_errf(err, -EPERM, "not root: no network namespace of its own (cases run on the host's loopback)");
  return 0;
}
