/* observe_netstat_parse.c - `netstat` line parsers (see tcpclose/observe_netstat_parse.h).
 * Layouts from the programs that print them: FreeBSD usr.bin/netstat/inet.c
 * protopr() ("%-3.3s%-2.2s" protocol with its family suffix, "%6u %6u"
 * queues, inetprint() host.port, the state as tcpstates[]), macOS's
 * network_cmds fork of it, Windows netstat.exe as captured in the fixtures,
 * and net-tools netstat.c tcp_do_one() on Linux. */
#include "tcpclose/observe_netstat_parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpclose/tcpstate.h"

#define MAX_FIELDS 8
#define LINE_MAX_LEN 512

struct fields {
  char buf[LINE_MAX_LEN];
  char *f[MAX_FIELDS];
  size_t n; /* fields found, capped at MAX_FIELDS */
  int more; /* there were more than MAX_FIELDS */
};

/* Splits line on blanks (CR included: Windows ends lines with CRLF). */
static int split_fields(const char *line, struct fields *fl) {
  size_t len = strlen(line);
  if (len >= sizeof fl->buf) return -EINVAL;
  memcpy(fl->buf, line, len + 1);
  fl->n = 0;
  fl->more = 0;
  char *save = NULL;
  for (char *tok = strtok_r(fl->buf, " \t\r\n", &save); tok != NULL;
       tok = strtok_r(NULL, " \t\r\n", &save)) {
    if (fl->n == MAX_FIELDS) {
      fl->more = 1;
      break;
    }
    fl->f[fl->n++] = tok;
  }
  return 0;
}

/* Strict decimal: digits only, at most max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *v) {
  if (*s < '0' || *s > '9') return -EINVAL;
  char *end;
  errno = 0;
  unsigned long x = strtoul(s, &end, 10);
  if (*end != '\0' || errno != 0 || x > max) return -EINVAL;
  *v = x;
  return 0;
}

/* ---- states ---- */

struct state_name {
  const char *name;
  int state;
};

/* FreeBSD and macOS tcpstates[] (netinet/tcp_fsm.h). */
static const struct state_name bsd_states[] = {
    {"CLOSED", TC_STATE_CLOSE},
    {"LISTEN", TC_STATE_LISTEN},
    {"SYN_SENT", TC_STATE_SYN_SENT},
    {"SYN_RCVD", TC_STATE_SYN_RECV},
    {"ESTABLISHED", TC_STATE_ESTABLISHED},
    {"CLOSE_WAIT", TC_STATE_CLOSE_WAIT},
    {"FIN_WAIT_1", TC_STATE_FIN_WAIT1},
    {"CLOSING", TC_STATE_CLOSING},
    {"LAST_ACK", TC_STATE_LAST_ACK},
    {"FIN_WAIT_2", TC_STATE_FIN_WAIT2},
    {"TIME_WAIT", TC_STATE_TIME_WAIT},
    {NULL, 0},
};

/* Windows MIB_TCP_STATE as netstat.exe prints it. DELETE_TCB is a
 * connection being torn down; BOUND (-q) is not a connection and stays out. */
static const struct state_name windows_states[] = {
    {"CLOSED", TC_STATE_CLOSE},
    {"LISTENING", TC_STATE_LISTEN},
    {"SYN_SENT", TC_STATE_SYN_SENT},
    {"SYN_RECEIVED", TC_STATE_SYN_RECV},
    {"ESTABLISHED", TC_STATE_ESTABLISHED},
    {"FIN_WAIT_1", TC_STATE_FIN_WAIT1},
    {"FIN_WAIT_2", TC_STATE_FIN_WAIT2},
    {"CLOSE_WAIT", TC_STATE_CLOSE_WAIT},
    {"CLOSING", TC_STATE_CLOSING},
    {"LAST_ACK", TC_STATE_LAST_ACK},
    {"TIME_WAIT", TC_STATE_TIME_WAIT},
    {"DELETE_TCB", TC_STATE_CLOSE},
    {NULL, 0},
};

static int lookup_state(const struct state_name *table, const char *name) {
  for (size_t i = 0; table[i].name != NULL; i++)
    if (strcmp(table[i].name, name) == 0) return table[i].state;
  return -1;
}

int tc_netstat_state(const char *name, enum tc_netstat_layout layout) {
  switch (layout) {
  case TC_NETSTAT_BSD: {
    /* FreeBSD appends '*' while a SYN or FIN is still to be sent
       * (TF_NEEDSYN/TF_NEEDFIN); the state is the same. */
    char plain[16];
    size_t n = strlen(name);
    if (n > 1 && n < sizeof plain && name[n - 1] == '*') {
      memcpy(plain, name, n - 1);
      plain[n - 1] = '\0';
      return lookup_state(bsd_states, plain);
    }
    return lookup_state(bsd_states, name);
  }
  case TC_NETSTAT_WINDOWS: return lookup_state(windows_states, name);
  case TC_NETSTAT_LINUX: {
    /* net-tools prints the kernel's names, which tcpclose uses. */
    int s = tc_state_from_name(name);
    return s == TC_STATE_GONE ? -1 : s;
  }
  default: return -1;
  }
}

/* ---- addresses ---- */

/* Numeric host of len bytes into a: "*" is the wildcard of family; an IPv6
 * scope ("%lo0", "%4") is dropped, tc_addr has no place for it. */
static int parse_host(const char *host, size_t len, int family, struct tc_addr *a) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -EINVAL;
  memcpy(buf, host, len);
  buf[len] = '\0';
  if (strcmp(buf, "*") == 0) {
    a->family = family;
    memset(a->bytes, 0, sizeof a->bytes);
    return 0;
  }
  char *scope = strchr(buf, '%');
  if (scope != NULL) *scope = '\0';
  return tc_addr_parse(buf, 0, a); /* the caller parses the port next */
}

/* "*" (no port yet: a listener's foreign side) is port 0. */
static int parse_port(const char *s, struct tc_addr *a) {
  unsigned long port;
  if (strcmp(s, "*") == 0) {
    a->port = 0;
    return 0;
  }
  if (parse_uint(s, 65535, &port) < 0) return -EINVAL;
  a->port = (uint16_t)port;
  return 0;
}

/* Windows brackets IPv6 hosts: "[::1]:5000", "[fe80::1%4]:123". */
static int parse_windows_endpoint(const char *text, int family, struct tc_addr *a) {
  if (text[0] == '[') {
    const char *close = strstr(text, "]:");
    if (close == NULL) return -EINVAL;
    if (parse_host(text + 1, (size_t)(close - text - 1), family, a) < 0 || a->family != AF_INET6)
      return -EINVAL;
    return parse_port(close + 2, a);
  }
  const char *colon = strrchr(text, ':');
  if (colon == NULL || parse_host(text, (size_t)(colon - text), family, a) < 0 ||
      a->family != AF_INET)
    return -EINVAL;
  return parse_port(colon + 1, a);
}

int tc_netstat_parse_endpoint(const char *text, enum tc_netstat_layout layout, int family,
                              struct tc_addr *a) {
  memset(a, 0, sizeof *a);
  if (layout == TC_NETSTAT_WINDOWS) return parse_windows_endpoint(text, family, a);
  /* BSD ends the host at the last '.', Linux at the last ':': either way
   * the port is what follows the last separator. */
  int sep = layout == TC_NETSTAT_BSD ? '.' : layout == TC_NETSTAT_LINUX ? ':' : 0;
  const char *last = sep != 0 ? strrchr(text, sep) : NULL;
  if (last == NULL || parse_host(text, (size_t)(last - text), family, a) < 0) return -EINVAL;
  return parse_port(last + 1, a);
}

/* ---- lines ---- */

/* The family a protocol column promises, or AF_UNSPEC when either may
 * appear (BSD tcp46 and plain tcp, Windows TCP). wild is what "*" means. */
struct proto {
  int family;
  int wild;
};

static int bsd_proto(const char *s, struct proto *p) {
  static const struct {
    const char *name;
    struct proto p;
  } protos[] = {{"tcp4", {AF_INET, AF_INET}},
                {"tcp6", {AF_INET6, AF_INET6}},
                {"tcp46", {AF_UNSPEC, AF_INET6}},
                {"tcp", {AF_UNSPEC, AF_INET}}};
  for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
    if (strcmp(s, protos[i].name) == 0) {
      *p = protos[i].p;
      return 0;
    }
  return -EINVAL;
}

static int linux_proto(const char *s, struct proto *p) {
  if (strcmp(s, "tcp") == 0)
    *p = (struct proto){AF_INET, AF_INET};
  else if (strcmp(s, "tcp6") == 0)
    *p = (struct proto){AF_INET6, AF_INET6};
  else
    return -EINVAL;
  return 0;
}

/* Both ends parsed, of one family, the one the protocol promised. */
static int parse_tuple(const char *local, const char *remote, enum tc_netstat_layout layout,
                       const struct proto *p, struct tc_tuple *t) {
  if (tc_netstat_parse_endpoint(local, layout, p->wild, &t->local) < 0 ||
      tc_netstat_parse_endpoint(remote, layout, p->wild, &t->remote) < 0)
    return -EINVAL;
  if (t->local.family != t->remote.family) return -EINVAL;
  if (p->family != AF_UNSPEC && t->local.family != p->family) return -EINVAL;
  return 0;
}

/* proto recvq sendq local remote state [PID/Program...] */
static int parse_queued(const struct fields *fl, enum tc_netstat_layout layout,
                        struct tc_sock *out) {
  struct proto p;
  unsigned long rq, sq;
  int proto_rc = layout == TC_NETSTAT_BSD ? bsd_proto(fl->f[0], &p) : linux_proto(fl->f[0], &p);
  if (proto_rc < 0 || parse_uint(fl->f[1], UINT32_MAX, &rq) < 0 ||
      parse_uint(fl->f[2], UINT32_MAX, &sq) < 0)
    return -EINVAL;
  int state = tc_netstat_state(fl->f[5], layout);
  if (state < 0 || parse_tuple(fl->f[3], fl->f[4], layout, &p, &out->tuple) < 0) return -EINVAL;
  out->state = state;
  out->recvq = (uint32_t)rq;
  out->sendq = (uint32_t)sq;
  return 0;
}

/* TCP local remote state [pid] */
static int parse_windows(const struct fields *fl, struct tc_sock *out) {
  struct proto p = {AF_UNSPEC, AF_INET};
  unsigned long pid;
  if (fl->n < 4 || fl->n > 5 || strcmp(fl->f[0], "TCP") != 0) return -EINVAL;
  if (fl->n == 5 && parse_uint(fl->f[4], UINT32_MAX, &pid) < 0) return -EINVAL;
  int state = tc_netstat_state(fl->f[3], TC_NETSTAT_WINDOWS);
  if (state < 0 || parse_tuple(fl->f[1], fl->f[2], TC_NETSTAT_WINDOWS, &p, &out->tuple) < 0)
    return -EINVAL;
  out->state = state;
  return 0;
}

static int parse_layout(const struct fields *fl, enum tc_netstat_layout layout,
                        struct tc_sock *out) {
  memset(out, 0, sizeof *out);
  switch (layout) {
  case TC_NETSTAT_BSD: /* exactly six columns: the state is the last */
    return fl->n == 6 && !fl->more ? parse_queued(fl, layout, out) : -EINVAL;
  case TC_NETSTAT_LINUX: return fl->n >= 6 ? parse_queued(fl, layout, out) : -EINVAL;
  case TC_NETSTAT_WINDOWS: return fl->more ? -EINVAL : parse_windows(fl, out);
  default: return -EINVAL;
  }
}

int tc_netstat_parse_line(const char *line, enum tc_netstat_layout layout, struct tc_sock *out) {
  struct fields fl;
  if (split_fields(line, &fl) < 0) return -EINVAL;
  if (layout != TC_NETSTAT_ANY) return parse_layout(&fl, layout, out);
  /* The layouts never accept each other's lines (the port separator and the
   * state names differ), so the first that accepts is the one. */
  for (int l = TC_NETSTAT_BSD; l < TC_NETSTAT_ANY; l++)
    if (parse_layout(&fl, (enum tc_netstat_layout)l, out) == 0) return 0;
  memset(out, 0, sizeof *out);
  return -EINVAL;
}
