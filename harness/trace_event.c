/* trace_event.c - tracepoint records into tc_trace_events, and the order
 * and tuples of a trace's list (see trace_event.h).
 *
 * Fields are found by name in the format the kernel published, so a field
 * that moved between kernels is still read right; one that is missing is
 * an error naming it, never a silent zero.
 */
#include "trace_event.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpclose/tcpstate.h"

#define TC__KERNEL_NEW_SYN_RECV 12 /* Linux's TCP_NEW_SYN_RECV */

static const struct {
  const char *system, *name;
  enum tc_trace_kind kind;
} kinds[] = {
    {"sock", "inet_sock_set_state", TC_TRACE_STATE},
    {"tcp", "tcp_send_reset", TC_TRACE_SEND_RESET},
    {"tcp", "tcp_receive_reset", TC_TRACE_RECV_RESET},
    {"tcp", "tcp_destroy_sock", TC_TRACE_DESTROY},
};

int tc__trace_kind(const struct tep_event *ev) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(ev->system, kinds[i].system) == 0 && strcmp(ev->name, kinds[i].name) == 0)
      return (int)kinds[i].kind;
  return -1;
}

int tc__trace_state(unsigned long long kstate) {
  if (kstate == TC__KERNEL_NEW_SYN_RECV) return TC_STATE_SYN_RECV;
  if (kstate < TC_STATE_COUNT) return (int)kstate;
  return -1;
}

/* ---- fields of one record ---- */

static int no_field(const struct tep_event *ev, const char *name, tc_err *err) {
  return tc_errf(err, -EPROTO, "transitions: %s:%s has no usable field '%s' on this kernel",
                 ev->system, ev->name, name);
}

/* A field inside the record, or NULL: a record shorter than its format
 * (a truncated capture) must not be read past its end. */
static struct tep_format_field *field_in(struct tep_event *ev, struct tep_record *rec,
                                         const char *name) {
  struct tep_format_field *f = tep_find_field(ev, name);
  if (f == NULL || (f->flags & TEP_FIELD_IS_DYNAMIC) || f->offset + f->size > rec->size)
    return NULL;
  return f;
}

static int num(struct tep_event *ev, struct tep_record *rec, const char *name,
               unsigned long long *v, tc_err *err) {
  struct tep_format_field *f = field_in(ev, rec, name);
  if (f == NULL || tep_read_number_field(f, rec->data, v) != 0) return no_field(ev, name, err);
  return 0;
}

static const uint8_t *raw(struct tep_event *ev, struct tep_record *rec, const char *name,
                          size_t *len) {
  struct tep_format_field *f = field_in(ev, rec, name);
  if (f == NULL) return NULL;
  *len = (size_t)f->size;
  return (const uint8_t *)rec->data + f->offset;
}

static int addr_field(struct tep_event *ev, struct tep_record *rec, const char *name, int family,
                      unsigned long long port, struct tc_addr *a, tc_err *err) {
  size_t len, need = family == AF_INET6 ? 16 : 4;
  const uint8_t *b = raw(ev, rec, name, &len);
  if (b == NULL || len < need) return no_field(ev, name, err);
  memset(a, 0, sizeof *a);
  a->family = family;
  a->port = (uint16_t)port;
  memcpy(a->bytes, b, need);
  return 0;
}

/* The tuple as inet_sock_set_state, tcp_receive_reset and tcp_destroy_sock
 * store it: ports in host order, the address in saddr/daddr for IPv4 and
 * saddr_v6/daddr_v6 for IPv6 (an IPv6 socket's saddr holds a placeholder). */
static int sk_tuple(struct tep_event *ev, struct tep_record *rec, struct tc_tuple *t, tc_err *err) {
  unsigned long long family, sport, dport;
  int rc = num(ev, rec, "family", &family, err);
  if (rc == 0) rc = num(ev, rec, "sport", &sport, err);
  if (rc == 0) rc = num(ev, rec, "dport", &dport, err);
  if (rc < 0) return rc;
  if (family != AF_INET && family != AF_INET6) return -ENOENT;
  int v6 = family == AF_INET6;
  rc = addr_field(ev, rec, v6 ? "saddr_v6" : "saddr", (int)family, sport, &t->local, err);
  if (rc == 0)
    rc = addr_field(ev, rec, v6 ? "daddr_v6" : "daddr", (int)family, dport, &t->remote, err);
  return rc;
}

int tc__trace_sockaddr(const uint8_t *b, size_t len, bool big_endian, struct tc_addr *a) {
  memset(a, 0, sizeof *a);
  if (len < sizeof(struct sockaddr_in)) return -EPROTO;
  unsigned family = big_endian ? (unsigned)(b[0] << 8 | b[1]) : (unsigned)(b[1] << 8 | b[0]);
  if (family == 0) return -ENOENT;
  if (family != AF_INET && (family != AF_INET6 || len < sizeof(struct sockaddr_in6)))
    return -EPROTO;
  size_t at = family == AF_INET ? offsetof(struct sockaddr_in, sin_addr)
                                : offsetof(struct sockaddr_in6, sin6_addr);
  size_t port_at = offsetof(struct sockaddr_in, sin_port); /* same place in both */
  a->family = (int)family;
  a->port = (uint16_t)(b[port_at] << 8 | b[port_at + 1]);
  memcpy(a->bytes, b + at, family == AF_INET ? 4 : 16);
  return 0;
}

/* tcp_send_reset since Linux 6.10 keeps sockaddrs, because it may have no
 * socket, only the segment it answers (whose tuple the kernel reverses so
 * that saddr is the RST's sender). Empty both: nothing to tell whose. */
static int sockaddr_tuple(struct tep_event *ev, struct tep_record *rec, struct tc_tuple *t,
                          tc_err *err) {
  size_t slen = 0, dlen = 0;
  const uint8_t *s = raw(ev, rec, "saddr", &slen), *d = raw(ev, rec, "daddr", &dlen);
  if (s == NULL || d == NULL) return no_field(ev, s == NULL ? "saddr" : "daddr", err);
  bool be = tep_is_file_bigendian(ev->tep);
  int rc = tc__trace_sockaddr(s, slen, be, &t->local);
  if (rc == 0) rc = tc__trace_sockaddr(d, dlen, be, &t->remote);
  if (rc == -EPROTO)
    return tc_errf(err, rc, "transitions: %s:%s: saddr/daddr is not a sockaddr_in or sockaddr_in6",
                   ev->system, ev->name);
  return rc;
}

/* ---- symbolic names from the print format ---- */

static bool is_field(const struct tep_print_arg *a, const char *name) {
  return a != NULL && a->type == TEP_PRINT_FIELD && a->field.name != NULL &&
         strcmp(a->field.name, name) == 0;
}

/* The __print_symbolic() of a field, also inside "cond ? a : b". */
static const struct tep_print_arg *symbolic_of(const struct tep_print_arg *arg, const char *name) {
  for (; arg != NULL; arg = arg->next) {
    const struct tep_print_arg *found = NULL;
    if (arg->type == TEP_PRINT_SYMBOL && is_field(arg->symbol.field, name)) return arg;
    if (arg->type == TEP_PRINT_OP) {
      found = symbolic_of(arg->op.left, name);
      if (found == NULL) found = symbolic_of(arg->op.right, name);
    } else if (arg->type == TEP_PRINT_TYPE) {
      found = symbolic_of(arg->typecast.item, name);
    }
    if (found != NULL) return found;
  }
  return NULL;
}

const char *tc__trace_symbol(const struct tep_event *ev, const char *field,
                             unsigned long long value) {
  const struct tep_print_arg *sym = symbolic_of(ev->print_fmt.args, field);
  if (sym == NULL) return NULL;
  for (const struct tep_print_flag_sym *s = sym->symbol.symbols; s != NULL; s = s->next) {
    char *end;
    unsigned long long v = strtoull(s->value, &end, 0);
    /* An entry the kernel left as a name ({ TCP_CLOSE, ... }) is no number. */
    if (end != s->value && *end == '\0' && v == value) return s->str;
  }
  return NULL;
}

/* ---- one record ---- */

/* The kernel's name of the reason (kernels before 6.10 have none: ""). */
static void reset_reason(struct tep_event *ev, struct tep_record *rec, char *buf, size_t len) {
  unsigned long long r;
  buf[0] = '\0';
  if (field_in(ev, rec, "reason") == NULL || num(ev, rec, "reason", &r, NULL) < 0) return;
  const char *name = tc__trace_symbol(ev, "reason", r);
  if (name != NULL)
    snprintf(buf, len, "%s", name);
  else
    snprintf(buf, len, "%llu", r);
}

static int decode_state(struct tep_event *ev, struct tep_record *rec, struct tc_trace_event *out,
                        tc_err *err) {
  unsigned long long proto, from, to;
  int rc = num(ev, rec, "protocol", &proto, err);
  if (rc == 0) rc = num(ev, rec, "oldstate", &from, err);
  if (rc == 0) rc = num(ev, rec, "newstate", &to, err);
  if (rc < 0) return rc;
  if (proto != IPPROTO_TCP) return -ENOENT; /* the event also serves SCTP and MPTCP */
  out->from = tc__trace_state(from);
  out->to = tc__trace_state(to);
  return sk_tuple(ev, rec, &out->tuple, err);
}

static int decode_send_reset(struct tep_event *ev, struct tep_record *rec,
                             struct tc_trace_event *out, tc_err *err) {
  unsigned long long state;
  int rc = num(ev, rec, "state", &state, err);
  if (rc < 0) return rc;
  out->from = tc__trace_state(state);
  reset_reason(ev, rec, out->reason, sizeof out->reason);
  /* Older kernels gave it the port fields of the other events. */
  if (tep_find_field(ev, "sport") != NULL) return sk_tuple(ev, rec, &out->tuple, err);
  return sockaddr_tuple(ev, rec, &out->tuple, err);
}

int tc__trace_decode(struct tep_event *ev, struct tep_record *rec, struct tc_trace_event *out,
                     tc_err *err) {
  int kind = tc__trace_kind(ev);
  if (kind < 0) return -ENOENT;
  memset(out, 0, sizeof *out);
  out->kind = (enum tc_trace_kind)kind;
  out->t_us = (int64_t)(rec->ts / 1000u);
  out->from = out->to = -1;
  unsigned long long sk;
  if (num(ev, rec, "skaddr", &sk, NULL) == 0) out->sk = sk;
  switch (out->kind) {
  case TC_TRACE_STATE: return decode_state(ev, rec, out, err);
  case TC_TRACE_SEND_RESET: return decode_send_reset(ev, rec, out, err);
  case TC_TRACE_RECV_RESET:
  case TC_TRACE_DESTROY: return sk_tuple(ev, rec, &out->tuple, err);
  }
  return -ENOENT;
}

/* ---- the list of a trace ---- */

static bool has_port(const struct tc_tuple *t, uint16_t port) {
  return t->local.port == port || t->remote.port == port;
}

static bool complete(const struct tc_tuple *t) { return t->local.port != 0 && t->remote.port != 0; }

bool tc__trace_wanted(const struct tc_trace_event *ev, size_t n, const struct tc_trace_event *e,
                      uint16_t port) {
  if (has_port(&e->tuple, port)) return true;
  if (e->kind != TC_TRACE_DESTROY || e->sk == 0) return false;
  /* The newest event of the same socket address, if it was not the end of
   * an earlier socket that lived there. */
  while (n-- > 0)
    if (ev[n].sk == e->sk) return ev[n].kind != TC_TRACE_DESTROY;
  return false;
}

void tc__trace_order(struct tc_trace_event *ev, size_t n, size_t first) {
  for (size_t i = first + 1; i < n; i++) {
    struct tc_trace_event e = ev[i];
    size_t j = i;
    for (; j > first && ev[j - 1].t_us > e.t_us; j--) ev[j] = ev[j - 1];
    ev[j] = e;
  }
}

/* Gives ev[i]'s complete tuple to the same socket's earlier events that
 * lack a port, back to its previous complete event or to the end of the
 * socket that lived at that address before. */
static void fill_back(struct tc_trace_event *ev, size_t i) {
  for (size_t j = i; j-- > 0;) {
    if (ev[j].sk != ev[i].sk) continue;
    if (ev[j].kind == TC_TRACE_DESTROY || complete(&ev[j].tuple)) return;
    ev[j].tuple = ev[i].tuple;
  }
}

/* Gives ev[i] the tuple of the same socket's newest complete event. */
static void fill_forward(struct tc_trace_event *ev, size_t i) {
  for (size_t j = i; j-- > 0;) {
    if (ev[j].sk != ev[i].sk) continue;
    if (ev[j].kind == TC_TRACE_DESTROY) return;
    if (complete(&ev[j].tuple)) {
      ev[i].tuple = ev[j].tuple;
      return;
    }
  }
}

void tc__trace_fill_tuples(struct tc_trace_event *ev, size_t n, size_t first) {
  for (size_t i = first; i < n; i++) {
    if (ev[i].sk == 0) continue;
    if (complete(&ev[i].tuple))
      fill_back(ev, i);
    else
      fill_forward(ev, i);
  }
}
