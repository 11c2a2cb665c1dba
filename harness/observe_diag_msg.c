/* observe_diag_msg.c - sock_diag requests and answers (see observe_diag_msg.h).
 * Layouts from <linux/inet_diag.h>; the kernel side is inet_diag_msg_common_fill()
 * and inet_sk_diag_fill() (net/ipv4/inet_diag.c), tcp_diag_get_info()
 * (net/ipv4/tcp_diag.c) for the queues, inet_twsk_diag_fill() for timewait
 * mini-sockets, and inet_diag_bc_audit()/inet_diag_bc_run() for bytecode. */
#include "observe_diag_msg.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpclose/tcpstate.h"

#define ALL_STATES ((1u << TC_STATE_COUNT) - 2) /* every TCP_* state, bit 0 unused */
#define WANT_INFO (1u << (INET_DIAG_INFO - 1))

static size_t addr_len(int family) { return family == AF_INET6 ? 16 : 4; }

static int family_ok(int family) { return family == AF_INET || family == AF_INET6; }

/* The netlink header and the request that every message here starts with. */
static struct inet_diag_req_v2 *put_request(void *buf, uint16_t flags, uint32_t seq, int family) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
  r->sdiag_family = (uint8_t)family;
  r->sdiag_protocol = IPPROTO_TCP;
  r->idiag_ext = WANT_INFO;
  r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  return r;
}

int tc__diag_put_exact(void *buf, size_t cap, const struct tc_query *q, uint32_t seq) {
  const struct tc_tuple *t = &q->tuple;
  if (!family_ok(t->local.family) || t->remote.family != t->local.family) return -EINVAL;
  size_t len = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_req_v2));
  if (cap < len) return -ENOSPC;
  struct inet_diag_req_v2 *r = put_request(buf, 0, seq, t->local.family);
  r->idiag_states = ALL_STATES; /* an exact lookup ignores them; say "any" */
  r->id.idiag_sport = htons(t->local.port);
  r->id.idiag_dport = htons(t->remote.port);
  memcpy(r->id.idiag_src, t->local.bytes, addr_len(t->local.family));
  memcpy(r->id.idiag_dst, t->remote.bytes, addr_len(t->local.family));
  return (int)len;
}

#define OP_LEN sizeof(struct inet_diag_bc_op)

/* Size of one S_COND test: the op, its hostcond, the address. */
static size_t cond_len(int family) {
  return OP_LEN + sizeof(struct inet_diag_hostcond) + addr_len(family);
}

/* Writes at p the test "local address (full prefix) and port are a's".
 * When it holds, the kernel goes on to the next op; when not, it skips
 * the OP_LEN bytes after the test as well. */
static void put_cond(uint8_t *p, const struct tc_addr *a) {
  /* memset, not an initializer: hostcond has padding, and what is sent to
   * the kernel should be every byte defined */
  struct inet_diag_bc_op op;
  struct inet_diag_hostcond hc;
  memset(&op, 0, sizeof op);
  memset(&hc, 0, sizeof hc);
  op.code = INET_DIAG_BC_S_COND;
  op.yes = (uint8_t)cond_len(a->family);
  op.no = (uint16_t)(cond_len(a->family) + OP_LEN);
  hc.family = (uint8_t)a->family;
  hc.prefix_len = (uint8_t)(8 * addr_len(a->family));
  hc.port = a->port;
  memcpy(p, &op, sizeof op);
  memcpy(p + sizeof op, &hc, sizeof hc);
  memcpy(p + sizeof op + sizeof hc, a->bytes, addr_len(a->family));
}

static int is_listener_of(const struct tc_query *q, int family) {
  return q->listener && q->tuple.local.family == family;
}

/* Bytes of the program for the family's k listeners, 0 when k is 0. */
static size_t bc_len(int family, const struct tc_query *q, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += is_listener_of(&q[i], family);
  return k == 0 ? 0 : k * cond_len(family) + (k - 1) * OP_LEN;
}

/* The program is one S_COND test per listener, each but the last followed
 * by a JMP to the end. The kernel accepts a socket when the program runs
 * off its exact end and rejects it when a jump lands past it: a test that
 * holds falls into its JMP (accept), one that fails skips the JMP to the
 * next test or, for the last test, lands OP_LEN bytes past the end. */
int tc__diag_bc_listeners(void *buf, size_t cap, int family, const struct tc_query *q, size_t n) {
  size_t total = family_ok(family) ? bc_len(family, q, n) : 0;
  /* jumps and the attribute's length are 16 bits */
  if (total == 0 || total > UINT16_MAX - 2 * OP_LEN) return -EINVAL;
  if (cap < total) return -ENOSPC;
  uint8_t *p = buf;
  size_t off = 0;
  for (size_t i = 0; i < n && off < total; i++) {
    if (!is_listener_of(&q[i], family)) continue;
    put_cond(p + off, &q[i].tuple.local);
    off += cond_len(family);
    if (off == total) break;
    struct inet_diag_bc_op jmp = {
        .code = INET_DIAG_BC_JMP, .yes = OP_LEN, .no = (uint16_t)(total - off)};
    memcpy(p + off, &jmp, sizeof jmp);
    off += OP_LEN;
  }
  return (int)total;
}

int tc__diag_put_listen_dump(void *buf, size_t cap, int family, const struct tc_query *q, size_t n,
                             uint32_t seq) {
  size_t head = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_req_v2)) + MNL_ATTR_HDRLEN;
  if (cap < head) return -ENOSPC;
  int bc = tc__diag_bc_listeners((uint8_t *)buf + head, cap - head, family, q, n);
  if (bc < 0) return bc;
  /* The bytecode was written where put_request() and the attribute header
   * leave it; they only touch the bytes before it. */
  struct inet_diag_req_v2 *r = put_request(buf, NLM_F_DUMP, seq, family);
  r->idiag_states = 1u << TC_STATE_LISTEN;
  struct nlmsghdr *nlh = buf;
  struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);
  attr->nla_type = INET_DIAG_REQ_BYTECODE;
  attr->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + (size_t)bc);
  nlh->nlmsg_len += MNL_ALIGN(attr->nla_len);
  return (int)nlh->nlmsg_len;
}

static void decode_addr(int family, const uint32_t words[4], uint16_t port_be, struct tc_addr *a) {
  memset(a, 0, sizeof *a);
  a->family = family;
  memcpy(a->bytes, words, addr_len(family));
  a->port = ntohs(port_be);
}

/* tcp_info comes with full sockets only (not timewait or request mini-
 * sockets); kernels of every age send at least its first bytes. */
static int take_info(const struct nlattr *attr, void *data) {
  struct tc_sock *out = data;
  if (mnl_attr_get_type(attr) != INET_DIAG_INFO) return MNL_CB_OK;
  const size_t need = offsetof(struct tcp_info, tcpi_retransmits) + 1;
  if (mnl_attr_get_payload_len(attr) < need) return MNL_CB_ERROR;
  /* A byte, not a struct tcp_info member: attribute payloads are 4-byte
   * aligned and tcp_info asks for 8 (UBSan, via tests/fuzz/fuzz_diag.c).
   * icsk_retransmits, the count /proc prints whatever the timer;
   * idiag_retrans holds the probe count under a keepalive or probe timer. */
  const uint8_t *ti = mnl_attr_get_payload(attr);
  out->retransmits = ti[offsetof(struct tcp_info, tcpi_retransmits)];
  return MNL_CB_OK;
}

/* libmnl walks a message's attributes up to its length rounded up to 4
 * bytes: a length that is not a multiple of 4, ending where the buffer
 * ends, had them read past it (found by tests/fuzz/fuzz_diag.c). The
 * kernel pads every message it sends, so the rounded length must fit. */
int tc__diag_msg_ok(const void *msg, int len) {
  const struct nlmsghdr *nlh = msg;
  return len >= (int)sizeof *nlh && nlh->nlmsg_len >= sizeof *nlh &&
         nlh->nlmsg_len <= (unsigned)len && MNL_ALIGN(nlh->nlmsg_len) <= (unsigned)len;
}

/* The message's header and the socket's tuple, state and timer: what
 * every answer has. NULL when it is not a well-formed TCP socket message (the
 * length is checked with tc__diag_msg_ok, never libmnl's signed test). */
static const struct inet_diag_msg *decode_head(const void *msg, size_t len, struct tc_sock *out) {
  const struct nlmsghdr *nlh = msg;
  if (len > INT32_MAX || !tc__diag_msg_ok(nlh, (int)len) ||
      nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(struct inet_diag_msg))
    return NULL;
  const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
  if (!family_ok(m->idiag_family) || m->idiag_state == TC_STATE_GONE ||
      m->idiag_state >= TC_STATE_COUNT)
    return NULL;
  memset(out, 0, sizeof *out);
  decode_addr(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, &out->tuple.local);
  decode_addr(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, &out->tuple.remote);
  out->state = m->idiag_state; /* a timewait mini-socket's tw_substate */
  out->timer = m->idiag_timer;
  out->timer_ms = m->idiag_timer == TC_TIMER_NONE ? 0 : (long)m->idiag_expires;
  return m;
}

int tc__diag_decode(const void *msg, size_t len, struct tc_sock *out) {
  const struct inet_diag_msg *m = decode_head(msg, len, out);
  if (m == NULL) return -EINVAL;
  out->sendq = m->idiag_wqueue; /* LISTEN: the backlog (sock.h); /proc prints 0 */
  out->recvq = m->idiag_rqueue; /* LISTEN: connections waiting for accept() */
  out->retransmits = m->idiag_retrans;
  out->inode = m->idiag_inode;
  if (mnl_attr_parse(msg, sizeof *m, take_info, out) != MNL_CB_OK) return -EINVAL;
  return 0;
}

/* TCP_NEW_SYN_RECV: where the kernel keeps a request mini-socket. */
#define NEW_SYN_RECV_BIT (1u << 12)

int tc__diag_put_port_dump(void *buf, size_t cap, int family, uint16_t port, int remote,
                           uint32_t seq) {
  /* A port test is two ops, the second holding the port in its `no`: on a
   * match the program runs off its end (accept); else it jumps 4 bytes
   * past it (reject). inet_diag_bc_audit() checks exactly this shape. */
  const struct inet_diag_bc_op prog[2] = {
      {.code = remote ? INET_DIAG_BC_D_EQ : INET_DIAG_BC_S_EQ, .yes = 2 * OP_LEN, .no = 3 * OP_LEN},
      {.code = INET_DIAG_BC_NOP, .yes = 0, .no = port},
  };
  size_t len =
      MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_req_v2)) + MNL_ATTR_HDRLEN + sizeof prog;
  if (!family_ok(family)) return -EINVAL;
  if (cap < len) return -ENOSPC;
  struct inet_diag_req_v2 *r = put_request(buf, NLM_F_DUMP, seq, family);
  r->idiag_ext = 0;
  r->idiag_states = ALL_STATES | NEW_SYN_RECV_BIT;
  mnl_attr_put(buf, INET_DIAG_REQ_BYTECODE, sizeof prog, prog);
  return (int)((struct nlmsghdr *)buf)->nlmsg_len;
}

int tc__diag_decode_brief(const void *msg, size_t len, struct tc_sock *out) {
  return decode_head(msg, len, out) != NULL ? 0 : -EINVAL;
}
