/* inject_libnet.c - one crafted TCP segment through libnet on a raw socket
 * of the calling thread's network namespace (see inject_libnet.h). The
 * headers are libnet's: options, TCP and IP are each built by its
 * libnet_build_* function, and libnet fills lengths and checksums
 * (LIBNET_RAW4 lets the kernel fill only the IPv4 ID and header checksum).
 */
#include "inject_libnet.h"

#include <errno.h>
#include <libnet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpclose/case.h"
#include "tcpclose/wire.h"

#define TCPOPT_TS_KIND 8
#define TCPOPT_TS_LEN 10
#define TCPOPT_NOP_KIND 1

/* NOP NOP TS: the layout Linux itself sends, 4-byte aligned. */
static int build_options(libnet_t *l, const struct tc__inject_seg *s, uint32_t *optlen) {
  uint8_t o[12] = {TCPOPT_NOP_KIND, TCPOPT_NOP_KIND, TCPOPT_TS_KIND, TCPOPT_TS_LEN};
  uint32_t v[2] = {htonl(s->tsval), htonl(s->tsecr)};
  memcpy(o + 4, v, sizeof v);
  *optlen = 0;
  if (!s->has_ts) return 0;
  if (libnet_build_tcp_options(o, sizeof o, l, 0) == -1) return -1;
  *optlen = sizeof o;
  return 0;
}

static int build_tcp(libnet_t *l, const struct tc__inject_seg *s, uint32_t optlen,
                     const uint8_t *payload) {
  uint32_t tcplen = LIBNET_TCP_H + optlen + s->len;
  return libnet_build_tcp(s->src.port, s->dst.port, s->seq, s->ack, s->tcpflags, s->win, 0, 0,
                          tcplen, s->len ? payload : NULL, s->len, l, 0) == -1
             ? -1
             : 0;
}

static int build_ip(libnet_t *l, const struct tc__inject_seg *s, uint32_t tcplen) {
  if (s->src.family == AF_INET) {
    uint32_t src, dst;
    memcpy(&src, s->src.bytes, 4);
    memcpy(&dst, s->dst.bytes, 4);
    return libnet_build_ipv4(LIBNET_IPV4_H + tcplen, 0, 0, 0, TC_INJECT_TTL, IPPROTO_TCP, 0, src,
                             dst, NULL, 0, l, 0) == -1
               ? -1
               : 0;
  }
  struct libnet_in6_addr src, dst;
  memcpy(&src, s->src.bytes, 16);
  memcpy(&dst, s->dst.bytes, 16);
  return libnet_build_ipv6(0, 0, tcplen, IPPROTO_TCP, TC_INJECT_TTL, src, dst, NULL, 0, l, 0) == -1
             ? -1
             : 0;
}

static int build_and_write(libnet_t *l, const struct tc__inject_seg *s, const uint8_t *payload) {
  uint32_t optlen;
  if (build_options(l, s, &optlen) < 0 || build_tcp(l, s, optlen, payload) < 0 ||
      build_ip(l, s, LIBNET_TCP_H + optlen + s->len) < 0)
    return -1;
  return libnet_write(l) == -1 ? -1 : 0;
}

/* libnet_init() closes what it opened before it returns NULL, so errno no
 * longer holds the socket's failure; its message does, as strerror() wrote
 * it in this process. */
static int open_failure(const char *why) {
  if (strstr(why, strerror(EPERM)) != NULL) return -EPERM;
  if (strstr(why, strerror(EACCES)) != NULL) return -EACCES;
  return -EIO;
}

static int open_raw(int family, libnet_t **l, tc_err *err) {
  char why[LIBNET_ERRBUF_SIZE] = "";
  *l = libnet_init(family == AF_INET ? LIBNET_RAW4 : LIBNET_RAW6, NULL, why);
  unsigned mark = TC__INJECT_MARK;
  if (*l != NULL && setsockopt(libnet_getfd(*l), SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) {
    int e = errno;
    libnet_destroy(*l);
    *l = NULL;
    return tc_errf(err, -e, "inject: cannot mark the raw socket: %s", strerror(e));
  }
  if (*l != NULL) return 0;
  why[strcspn(why, "\n")] = '\0';
  int code = open_failure(why);
  if (code != -EIO) return tc_errf(err, code, "inject: needs root (raw socket): %s", why);
  return tc_errf(err, code, "inject: cannot open a raw socket: %s", why);
}

static int check(const struct tc__inject_seg *s, tc_err *err) {
  if (s->src.family != s->dst.family || (s->src.family != AF_INET && s->src.family != AF_INET6))
    return tc_errf(err, -EAFNOSUPPORT, "inject: source and destination must be both IPv4 or IPv6");
  if (s->len > TC_INJECT_LEN_MAX)
    return tc_errf(err, -EMSGSIZE, "inject: expected at most %u payload bytes but got %u",
                   TC_INJECT_LEN_MAX, s->len);
  return 0;
}

int tc__inject_send(const struct tc__inject_seg *seg, tc_err *err) {
  libnet_t *l;
  int rc = check(seg, err);
  if (rc == 0) rc = open_raw(seg->src.family, &l, err);
  if (rc < 0) return rc;
  uint8_t *filler = seg->len ? malloc(seg->len) : NULL;
  if (seg->len && filler == NULL) {
    libnet_destroy(l);
    return tc_errf(err, -ENOMEM, "inject: out of memory");
  }
  if (filler) memset(filler, 'x', seg->len);
  errno = 0;
  if (build_and_write(l, seg, filler) < 0) {
    int code = errno ? -errno : -EIO;
    char why[LIBNET_ERRBUF_SIZE];
    snprintf(why, sizeof why, "%s", libnet_geterror(l));
    why[strcspn(why, "\n")] = '\0';
    rc = tc_errf(err, code, "inject: %s", why);
  }
  libnet_destroy(l);
  free(filler);
  return rc;
}
