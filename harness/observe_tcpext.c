/* observe_tcpext.c - a namespace's TcpExt counters and TIME_WAIT
 * minisockets (see tcpclose/observe_tcpext.h). Counter names from the
 * kernel's snmp4_net_list (net/ipv4/proc.c). */
#include "tcpclose/observe_tcpext.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const tc_tcpext_names[TC_TCPEXT_COUNT] = {"TW",
                                                      "TWRecycled",
                                                      "TWKilled",
                                                      "TCPTimeWaitOverflow",
                                                      "TCPAbortOnData",
                                                      "TCPAbortOnClose",
                                                      "TCPAbortOnMemory",
                                                      "TCPAbortOnTimeout",
                                                      "TCPAbortOnLinger",
                                                      "TCPAbortFailed",
                                                      "ListenOverflows",
                                                      "ListenDrops"};

/* [*p, end) holds a line; moves *p to the next token, returns its length. */
static size_t next_token(const char **p, const char *end) {
  while (*p < end && **p == ' ') ++*p;
  const char *s = *p;
  while (*p < end && **p != ' ') ++*p;
  return (size_t)(*p - s);
}

static int known(const char *name, size_t n) {
  for (int i = 0; i < TC_TCPEXT_COUNT; i++)
    if (strlen(tc_tcpext_names[i]) == n && memcmp(tc_tcpext_names[i], name, n) == 0) return i;
  return -1;
}

/* One names line and its values line, each without "TcpExt:". */
static int pair(const char *names, const char *nend, const char *vals, const char *vend,
                struct tc_tcpext *out) {
  for (;;) {
    size_t nl = next_token(&names, nend), vl = next_token(&vals, vend);
    if (nl == 0 || vl == 0) return nl == vl ? 0 : -EPROTO;
    unsigned long long v = 0;
    for (const char *d = vals - vl; d < vals; d++) {
      if (*d < '0' || *d > '9') return -EPROTO;
      v = v * 10 + (unsigned)(*d - '0');
    }
    int i = known(names - nl, nl);
    if (i >= 0) out->v[i] = v;
  }
}

int tc_tcpext_parse(const char *text, size_t len, struct tc_tcpext *out) {
  static const char tag[] = "TcpExt:";
  const char *p = text, *end = text + len, *names = NULL, *nend = NULL;
  int pairs = 0;
  memset(out, 0, sizeof *out);
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL) eol = end;
    int tagged = (size_t)(eol - p) >= sizeof tag - 1 && memcmp(p, tag, sizeof tag - 1) == 0;
    if (!tagged) {
      names = NULL;
    } else if (names == NULL) {
      names = p + sizeof tag - 1, nend = eol;
    } else {
      if (pair(names, nend, p + sizeof tag - 1, eol, out) < 0) return -EPROTO;
      names = NULL, pairs++;
    }
    p = eol + 1;
  }
  return pairs > 0 ? 0 : -EPROTO;
}

/* Reads /proc/PID/net/NAME (pid 0: /proc/self) into buf: 0 or -errno. */
static int read_ns_file(int pid, const char *name, char *buf, size_t cap, size_t *len) {
  char path[64];
  if (pid > 0)
    snprintf(path, sizeof path, "/proc/%d/net/%s", pid, name);
  else
    snprintf(path, sizeof path, "/proc/self/net/%s", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t n = 0;
  ssize_t r = 0;
  while (n < cap && (r = read(fd, buf + n, cap - n)) > 0) n += (size_t)r;
  int e = r < 0 ? -errno : 0;
  close(fd);
  *len = n;
  return e;
}

int tc_tcpext_read(int pid, struct tc_tcpext *out) {
  char buf[65536];
  size_t n;
  int e = read_ns_file(pid, "netstat", buf, sizeof buf, &n);
  return e < 0 ? e : tc_tcpext_parse(buf, n, out);
}

/* The value after the word "tw" in a "TCP: inuse 1 orphan 0 tw 3 ..."
 * line ([p, end), without its tag). */
static int sockstat_tw(const char *p, const char *end, unsigned long long *tw) {
  for (;;) {
    size_t nl = next_token(&p, end);
    const char *name = p - nl;
    size_t vl = next_token(&p, end);
    if (nl == 0 || vl == 0) return -EPROTO;
    if (nl != 2 || memcmp(name, "tw", 2) != 0) continue;
    unsigned long long v = 0;
    for (const char *d = p - vl; d < p; d++) {
      if (*d < '0' || *d > '9') return -EPROTO;
      v = v * 10 + (unsigned)(*d - '0');
    }
    *tw = v;
    return 0;
  }
}

int tc_sockstat_tw_parse(const char *text, size_t len, unsigned long long *tw) {
  static const char tag[] = "TCP:";
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL) eol = end;
    if ((size_t)(eol - p) >= sizeof tag - 1 && memcmp(p, tag, sizeof tag - 1) == 0)
      return sockstat_tw(p + sizeof tag - 1, eol, tw);
    p = eol + 1;
  }
  return -EPROTO;
}

int tc_sockstat_tw_read(int pid, unsigned long long *tw) {
  char buf[4096];
  size_t n;
  int e = read_ns_file(pid, "sockstat", buf, sizeof buf, &n);
  return e < 0 ? e : tc_sockstat_tw_parse(buf, n, tw);
}

size_t tc_tcpext_format(const struct tc_tcpext *t, char *buf, size_t len) {
  size_t n = 0;
  if (len == 0) return 0;
  buf[0] = '\0';
  for (int i = 0; i < TC_TCPEXT_COUNT; i++) {
    if (t->v[i] == 0) continue;
    int w = snprintf(buf + n, len - n, "%s%s=%llu", n ? " " : "", tc_tcpext_names[i], t->v[i]);
    if (w < 0 || (size_t)w >= len - n) { /* what does not fit is left out whole */
      buf[n] = '\0';
      break;
    }
    n += (size_t)w;
  }
  return n;
}
