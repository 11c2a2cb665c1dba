/* report_svg_text.h - the words and colours of a sequence diagram
 * (internal, for report_svg.c).
 *
 * Contract: pure functions of a case's results tree (compare_load.h): each
 * label is written into the caller's buffer, truncated to fit, never
 * escaped (the drawing escapes). Nothing here allocates or prints.
 */
#ifndef TCPCLOSE_REPORT_SVG_TEXT_H
#define TCPCLOSE_REPORT_SVG_TEXT_H

#include <jansson.h>
#include <stddef.h>

#define TC__SVG_MAX_PORTS 8

/* Who the two lifelines are, from the case's sockets and segments. */
struct tc__svg_peers {
  int v6;
  char ip[2][48];                       /* client, server */
  char addr[2][96];                     /* "127.0.0.1:42994", more ports after */
  unsigned ports[2][TC__SVG_MAX_PORTS]; /* each role's ports, oldest first */
  int nports[2];
  int nconns[2]; /* connections seen in transitions */
};

void tc__svg_peers_find(const json_t *c, struct tc__svg_peers *p);

/* Characters (UTF-8 code points) in s: its width in a monospace font. */
size_t tc__svg_chars(const char *s);

/* A quiet stretch as its band says it: "… 300 ms …", "… 1.4 s …". */
void tc__svg_duration(long us, char *buf, size_t len);

struct tc__svg_style {
  const char *fill, *stroke;
  int bar; /* drawn as a bar along the lifeline until the next state */
};
const struct tc__svg_style *tc__svg_state_style(const char *state);

/* A transition's label: "FIN_WAIT1", "TIME_WAIT 60 s" (time left as a
 * checkpoint saw it), "CLOSED" for gone; "#2 " first when show_conn. */
void tc__svg_state_label(const json_t *c, const json_t *t, int show_conn, char *buf, size_t len);

/* A step as a note: "close()", "shutdown(SHUT_WR)", "SO_LINGER{1,0} close()";
 * steps of no role (wait, settle, sysctl, drop) as written. */
void tc__svg_step_note(const char *text, char *buf, size_t len);

/* A checkpoint's words beside its mark, at most room characters: what it
 * expects (without the role when drop_role), and what came when it failed. */
void tc__svg_check_text(const json_t *ck, int drop_role, int failed, size_t room, char *buf,
                        size_t len);

/* Arrows by what they carry: RST red, FIN blue, SYN green, the rest slate. */
const char *tc__svg_flags_colour(const char *flags);

/* The kernel's reason for this RST from role, when a checkpoint recorded it
 * (the reason of the last RST a role sent); NULL when unknown. */
const char *tc__svg_reset_reason(const json_t *c, const json_t *seg, int role);

/* "F. seq 22 ack 1", "P. seq 1:22 ack 1 len 21", "#2 " first on a case's
 * second connection, "injected " first when injected. */
void tc__svg_segment_label(const json_t *s, const struct tc__svg_peers *p, int injected, char *buf,
                           size_t len);

/* The segment as tcpdump prints it:
 * "IP 127.0.0.1.42994 > 127.0.0.1.35533: Flags [F.], seq 22, ack 1, length 0". */
void tc__svg_tcpdump_line(const json_t *s, const struct tc__svg_peers *p, char *buf, size_t len);

#endif
