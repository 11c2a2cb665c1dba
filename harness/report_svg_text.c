/* report_svg_text.c - the words and colours of a sequence diagram (see
 * report_svg_text.h). */
#include "report_svg_text.h"

#include <stdio.h>
#include <string.h>

#include "report.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* The role a checkpoint is about, from its text: 0, 1 or -1. */
static int check_role(const json_t *ck) {
  const char *what = tc__check_what(tc__json_str(ck, "expect", ""));
  if (strncmp(what, "client", 6) == 0) return 0;
  return strncmp(what, "server", 6) == 0 ? 1 : -1;
}

static void add_port(struct tc__svg_peers *p, int role, unsigned port) {
  for (int i = 0; i < p->nports[role]; i++)
    if (p->ports[role][i] == port) return;
  if (p->nports[role] < TC__SVG_MAX_PORTS) p->ports[role][p->nports[role]++] = port;
}

/* The address family and each role's address, from the checkpoints'
 * sockets ("127.0.0.1:42994", "[::1]:42994"); loopback when none says. */
static void find_ips(const json_t *c, struct tc__svg_peers *p) {
  const char *name = tc__json_str(c, "name", "");
  size_t n = strlen(name);
  p->v6 = n > 5 && strcmp(name + n - 5, "@ipv6") == 0;
  const json_t *checks = json_object_get(c, "checks");
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    const char *local = tc__json_str(json_object_get(ck, "socket"), "local", NULL);
    int role = check_role(ck);
    if (local == NULL || role < 0) continue;
    p->v6 |= local[0] == '[';
    const char *end = local[0] == '[' ? strchr(local, ']') : strrchr(local, ':');
    if (end != NULL && p->ip[role][0] == '\0')
      snprintf(p->ip[role], sizeof p->ip[role], "%.*s", (int)(end - local) - (local[0] == '['),
               local + (local[0] == '['));
  }
  for (int r = 0; r < 2; r++)
    if (p->ip[r][0] == '\0') snprintf(p->ip[r], sizeof p->ip[r], "%s", p->v6 ? "::1" : "127.0.0.1");
}

/* "127.0.0.1:42994", "[::1]:42994, :42996", or the address alone. */
static void head_text(struct tc__svg_peers *p, int role) {
  char *b = p->addr[role];
  size_t len = sizeof p->addr[role];
  int n = snprintf(b, len, p->v6 ? "[%s]" : "%s", p->ip[role]);
  for (int i = 0; i < p->nports[role] && i < 3 && n > 0 && (size_t)n < len; i++)
    n += snprintf(b + n, len - (size_t)n, "%s:%u", i ? ", " : "", p->ports[role][i]);
  if (p->nports[role] > 3 && n > 0 && (size_t)n < len)
    snprintf(b + n, len - (size_t)n, ", " ELLIPSIS);
}

void tc__svg_peers_find(const json_t *c, struct tc__svg_peers *p) {
  memset(p, 0, sizeof *p);
  find_ips(c, p);
  const json_t *segs = json_object_get(c, "segments"), *ts = json_object_get(c, "transitions");
  for (size_t i = 0; i < json_array_size(segs); i++) {
    const json_t *s = json_array_get(segs, i);
    int from = strcmp(tc__json_str(s, "dir", "c>s"), "s>c") == 0;
    add_port(p, from, (unsigned)tc__json_long(s, "sport", 0));
    add_port(p, !from, (unsigned)tc__json_long(s, "dport", 0));
  }
  for (size_t i = 0; i < json_array_size(ts); i++) {
    const json_t *t = json_array_get(ts, i);
    int role = strcmp(tc__json_str(t, "role", ""), "server") == 0,
        conn = (int)tc__json_long(t, "conn", 1);
    if (conn > p->nconns[role]) p->nconns[role] = conn;
  }
  head_text(p, 0);
  head_text(p, 1);
}

size_t tc__svg_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

void tc__svg_duration(long us, char *buf, size_t len) {
  if (us < 1000000L)
    snprintf(buf, len, ELLIPSIS " %ld ms " ELLIPSIS, (us + 500) / 1000);
  else if (us < 10000000L)
    snprintf(buf, len, ELLIPSIS " %.1f s " ELLIPSIS, us / 1e6);
  else
    snprintf(buf, len, ELLIPSIS " %.0f s " ELLIPSIS, us / 1e6);
}

const struct tc__svg_style *tc__svg_state_style(const char *state) {
  static const struct {
    const char *state;
    struct tc__svg_style style;
  } styles[] = {
      {"ESTABLISHED", {"#dcfce7", "#16a34a", 1}}, {"SYN_SENT", {"#e0f2fe", "#0284c7", 1}},
      {"SYN_RECV", {"#e0f2fe", "#0284c7", 1}},    {"LISTEN", {"#e0f2fe", "#0284c7", 1}},
      {"FIN_WAIT1", {"#dbeafe", "#2563eb", 1}},   {"FIN_WAIT2", {"#dbeafe", "#2563eb", 1}},
      {"CLOSING", {"#dbeafe", "#2563eb", 1}},     {"TIME_WAIT", {"#ede9fe", "#7c3aed", 1}},
      {"CLOSE_WAIT", {"#ffedd5", "#ea580c", 1}},  {"LAST_ACK", {"#ffedd5", "#ea580c", 1}},
  };
  static const struct tc__svg_style other = {"#f1f5f9", "#64748b", 0};
  for (size_t i = 0; i < sizeof styles / sizeof *styles; i++)
    if (strcmp(styles[i].state, state) == 0) return &styles[i].style;
  return &other;
}

/* Seconds left on the TIME_WAIT timer of role's socket, as a checkpoint
 * saw it (rounded up: 59892 ms is the 60 s timer); -1 when none did. */
static long time_wait_left(const json_t *c, int role) {
  const json_t *checks = json_object_get(c, "checks");
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i), *s = json_object_get(ck, "socket");
    if (check_role(ck) != role || strcmp(tc__json_str(s, "state", ""), "TIME_WAIT") != 0) continue;
    long ms = tc__json_long(s, "timer_ms", -1);
    if (ms > 0) return (ms + 999) / 1000;
  }
  return -1;
}

void tc__svg_state_label(const json_t *c, const json_t *t, int show_conn, char *buf, size_t len) {
  const char *to = tc__json_str(t, "to", "?");
  int role = strcmp(tc__json_str(t, "role", ""), "server") == 0, n = 0;
  if (show_conn) n = snprintf(buf, len, "#%ld ", tc__json_long(t, "conn", 1));
  if (n < 0 || (size_t)n >= len) return;
  long left = strcmp(to, "TIME_WAIT") == 0 ? time_wait_left(c, role) : -1;
  if (strcmp(to, "gone") == 0)
    snprintf(buf + n, len - (size_t)n, "CLOSED");
  else if (left > 0)
    snprintf(buf + n, len - (size_t)n, "TIME_WAIT %ld s", left);
  else
    snprintf(buf + n, len - (size_t)n, "%s", to);
}

/* The word after `key=` in words ("linger=0" -> "0"), NULL when absent. */
static const char *option(const char *words, const char *key, char *buf, size_t len) {
  const char *at = strstr(words, key);
  if (at == NULL) return NULL;
  at += strlen(key);
  snprintf(buf, len, "%.*s", (int)strcspn(at, " &"), at);
  return buf;
}

static void close_note(const char *rest, char *buf, size_t len) {
  char v[16];
  if (strncmp(rest, "listener", 8) == 0)
    snprintf(buf, len, "close(listener)");
  else if (option(rest, "linger=", v, sizeof v))
    snprintf(buf, len, "SO_LINGER{1,%s} close()", v);
  else
    snprintf(buf, len, "close()");
}

/* Notes stand where the step started: a recv may wait, so its note says
 * what it waits for, not what it got. */
static void recv_note(const char *rest, char *buf, size_t len) {
  char then[48] = "", v[16];
  if (strstr(rest, "then close") != NULL) {
    if (option(rest, "linger=", v, sizeof v))
      snprintf(then, sizeof then, ", then SO_LINGER{1,%s} close()", v);
    else
      snprintf(then, sizeof then, ", then close()");
  }
  if (strncmp(rest, "eof", 3) == 0)
    snprintf(buf, len, "recv() until EOF%s", then);
  else if (strncmp(rest, "all", 3) == 0)
    snprintf(buf, len, "recv(all queued)%s", then);
  else
    snprintf(buf, len, "recv(%.*s)%s", (int)strcspn(rest, " "), rest, then);
}

static void send_note(const char *rest, char *buf, size_t len) {
  if (rest[0] == '"')
    snprintf(buf, len, "send(%.18s%s", rest, strlen(rest) > 18 ? ELLIPSIS ")" : ")");
  else
    snprintf(buf, len, "send(%.*s bytes)", (int)strcspn(rest, " "), rest);
}

static void shutdown_note(const char *rest, char *buf, size_t len) {
  const char *how = strncmp(rest, "rdwr", 4) == 0 ? "SHUT_RDWR"
                    : strncmp(rest, "rd", 2) == 0 ? "SHUT_RD"
                                                  : "SHUT_WR";
  snprintf(buf, len, "shutdown(%s)", how);
}

/* An action's note from its words after the role. */
static void action_note(const char *act, char *buf, size_t len) {
  size_t w = strcspn(act, " ");
  const char *rest = act[w] ? act + w + 1 : act + w;
  int same = strstr(rest, "port=same") != NULL;
  if (strncmp(act, "close", w) == 0)
    close_note(rest, buf, len);
  else if (strncmp(act, "recv", w) == 0)
    recv_note(rest, buf, len);
  else if (strncmp(act, "send", w) == 0)
    send_note(rest, buf, len);
  else if (strncmp(act, "shutdown", w) == 0)
    shutdown_note(rest, buf, len);
  else if (strncmp(act, "listen", w) == 0)
    snprintf(buf, len, "listen()%s%s", strstr(rest, "reuseaddr") ? " SO_REUSEADDR" : "",
             same ? " same port" : "");
  else if (strncmp(act, "connect", w) == 0)
    snprintf(buf, len, "connect()%s%s", strstr(rest, "reuseaddr") ? " SO_REUSEADDR" : "",
             same ? " same port" : "");
  else if (strncmp(act, "accept", w) == 0)
    snprintf(buf, len, "accept()");
  else if (strncmp(act, "exit", w) == 0)
    snprintf(buf, len, "exit() without close()");
  else if (strncmp(act, "kill", w) == 0)
    snprintf(buf, len, "killed (SIGKILL)");
  else
    snprintf(buf, len, "%s", act);
}

void tc__svg_step_note(const char *text, char *buf, size_t len) {
  /* A trailing '&' (started without waiting) is the runner's business, not
   * the socket's: the note says what the peer did, its title the step. */
  if (strncmp(text, "client ", 7) == 0 || strncmp(text, "server ", 7) == 0)
    action_note(text + 7, buf, len);
  else
    snprintf(buf, len, "%s", text);
}

/* Cuts buf to at most room characters, ending in an ellipsis when cut. */
static void fit(char *buf, size_t len, size_t room) {
  if (tc__svg_chars(buf) <= room || room < 2) return;
  size_t chars = 0, i = 0;
  for (; buf[i]; i++) {
    if (((unsigned char)buf[i] & 0xC0) == 0x80) continue;
    if (chars == room - 1) break;
    chars++;
  }
  buf[i] = '\0';
  if (i + sizeof ELLIPSIS <= len) memcpy(buf + i, ELLIPSIS, sizeof ELLIPSIS);
}

void tc__svg_check_text(const json_t *ck, int drop_role, int failed, size_t room, char *buf,
                        size_t len) {
  const char *what = tc__check_what(tc__json_str(ck, "expect", ""));
  const char *observed = tc__json_str(ck, "observed", "");
  if (drop_role && check_role(ck) >= 0) what += strcspn(what, " ") + (what[6] == ' ');
  if (json_is_true(json_object_get(ck, "observation")))
    snprintf(buf, len, "observed %s", observed);
  else if (failed)
    snprintf(buf, len, "%s, got %s", what, observed);
  else
    snprintf(buf, len, "%s", what);
  fit(buf, len, room);
}

const char *tc__svg_flags_colour(const char *flags) {
  if (strchr(flags, 'R')) return "#dc2626";
  if (strchr(flags, 'F')) return "#1d4ed8";
  if (strchr(flags, 'S')) return "#047857";
  return "#334155";
}

const char *tc__svg_reset_reason(const json_t *c, const json_t *seg, int role) {
  const json_t *segs = json_object_get(c, "segments"), *checks = json_object_get(c, "checks");
  const char *dir = role == 0 ? "c>s" : "s>c";
  for (size_t i = json_array_size(segs); i-- > 0;) { /* only the role's last RST */
    const json_t *s = json_array_get(segs, i);
    if (strcmp(tc__json_str(s, "dir", ""), dir) != 0 || !strchr(tc__json_str(s, "flags", ""), 'R'))
      continue;
    if (s != seg) return NULL;
    break;
  }
  for (size_t i = 0; i < json_array_size(checks); i++) {
    const json_t *ck = json_array_get(checks, i);
    const char *what = tc__check_what(tc__json_str(ck, "expect", "")),
               *obs = tc__json_str(ck, "observed", "none");
    if (check_role(ck) != role || strstr(what, " reset-reason ") == NULL ||
        tc__check_result(ck) < 0)
      continue;
    if (strcmp(obs, "none") != 0) return obs;
  }
  return NULL;
}

/* Which connection of the case a segment is (1 = the first), by the
 * client's port. */
static int seg_conn(const json_t *s, const struct tc__svg_peers *p) {
  int from = strcmp(tc__json_str(s, "dir", "c>s"), "s>c") == 0;
  unsigned port = (unsigned)tc__json_long(s, from ? "dport" : "sport", 0);
  for (int i = 0; i < p->nports[0]; i++)
    if (p->ports[0][i] == port) return i + 1;
  return 1;
}

void tc__svg_segment_label(const json_t *s, const struct tc__svg_peers *p, int injected, char *buf,
                           size_t len) {
  const char *flags = tc__json_str(s, "flags", "?");
  long seq = tc__json_long(s, "seq", 0), ack = tc__json_long(s, "ack", 0),
       n = tc__json_long(s, "len", 0);
  char conn[16] = "", seqs[48], acks[32] = "", lens[32] = "";
  if (p->nports[0] > 1) snprintf(conn, sizeof conn, "#%d ", seg_conn(s, p));
  if (n > 0)
    snprintf(seqs, sizeof seqs, "%ld:%ld", seq, seq + n);
  else
    snprintf(seqs, sizeof seqs, "%ld", seq);
  if (strchr(flags, '.')) snprintf(acks, sizeof acks, " ack %ld", ack);
  if (n > 0) snprintf(lens, sizeof lens, " len %ld", n);
  snprintf(buf, len, "%s%s%s seq %s%s%s", injected ? "injected " : "", conn, flags, seqs, acks,
           lens);
}

void tc__svg_tcpdump_line(const json_t *s, const struct tc__svg_peers *p, char *buf, size_t len) {
  int from = strcmp(tc__json_str(s, "dir", "c>s"), "s>c") == 0;
  const char *flags = tc__json_str(s, "flags", "?");
  long seq = tc__json_long(s, "seq", 0), ack = tc__json_long(s, "ack", 0),
       n = tc__json_long(s, "len", 0);
  char seqs[48], acks[32] = "";
  if (n > 0)
    snprintf(seqs, sizeof seqs, "%ld:%ld", seq, seq + n);
  else
    snprintf(seqs, sizeof seqs, "%ld", seq);
  if (strchr(flags, '.')) snprintf(acks, sizeof acks, ", ack %ld", ack);
  snprintf(buf, len, "%s %s.%ld > %s.%ld: Flags [%s], seq %s%s, length %ld", p->v6 ? "IP6" : "IP",
           p->ip[from], tc__json_long(s, "sport", 0), p->ip[!from], tc__json_long(s, "dport", 0),
           flags, seqs, acks, n);
}
