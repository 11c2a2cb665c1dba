/* wire_pcap.c - the case's segments captured with libpcap (see
 * tcpclose/wire.h).
 *
 * Contract: tc_wire_open() opens "lo" as the calling thread's network
 * namespace names it (libpcap binds its packet socket by name at
 * activation, so the same code captures inside a case's own namespace), in
 * immediate mode so a frame can be read as soon as the kernel has it, with
 * a 128-byte snaplen (only headers are read), a 512 KiB ring, and the kernel filter
 * "tcp port N". tc_wire_poll() drains the non-blocking handle with
 * pcap_dispatch(), decodes each frame (wire_decode.c), moves its time to
 * CLOCK_MONOTONIC and numbers it as tcpdump would. No thread, no signal;
 * tc_wire_close() frees everything. Linux only (built with the Linux
 * observers); wire_none.c stands in elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grow.h"
#include "tcpclose/wire.h"
#include "wire_decode.h"

#define WIRE_DEVICE "lo"
/* Ethernet 14 + IPv6 40 + TCP with the most options 60 = 114 bytes. */
#define WIRE_SNAPLEN 128
/* The kernel's ring for the capture. libpcap's default (2 MiB) is zeroed
 * page by page when the capture opens, in one system call that a kernel
 * without preemption does not interrupt: the runner's loop, woken
 * meanwhile, waited for that CPU. 512 KiB holds about 2,000 frames of
 * this snaplen, read every 10 ms; a case sends a few dozen, and a frame
 * the ring drops is counted (`lost`), never missed silently. */
#define WIRE_RING_BYTES (512 * 1024)

struct tc_wire {
  pcap_t *pcap;
  int linktype;
  uint16_t port;
  int64_t real_minus_mono_us;
  struct tc_segment *segs;
  size_t n, cap;
  struct tc__wire_isns isns;
  /* what went wrong during the current poll, reported when it ends */
  size_t bad_frames;
  unsigned bad_caplen, bad_len;
  int nomem;
  unsigned long frames; /* read over the capture's life */
};

static int64_t clock_us(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Linux stamps captured packets with CLOCK_REALTIME and offers no other
 * pcap time stamp type on lo (`tcpdump -J -i lo`: "host" only), while the
 * runner counts in CLOCK_MONOTONIC. The offset is read once, between two
 * monotonic reads, keeping the tightest of a few tries; a step of the wall
 * clock during a case (NTP) would shift that case's segment times. */
static int64_t realtime_offset_us(void) {
  int64_t best = 0, best_span = INT64_MAX;
  for (int i = 0; i < 5; i++) {
    int64_t m1 = clock_us(CLOCK_MONOTONIC);
    int64_t r = clock_us(CLOCK_REALTIME);
    int64_t m2 = clock_us(CLOCK_MONOTONIC);
    if (m2 - m1 < best_span) {
      best_span = m2 - m1;
      best = r - (m1 + m2) / 2;
    }
  }
  return best;
}

/* One line for a failed pcap_activate(): libpcap's words, and the remedy
 * when privilege is what is missing. */
static int activate_error(pcap_t *p, int status, tc_err *err) {
  if (status == PCAP_ERROR_PERM_DENIED)
    return tc_errf(err, -EPERM, "wire capture: %s: %s (need root or CAP_NET_RAW)", WIRE_DEVICE,
                   pcap_statustostr(status));
  const char *detail = pcap_geterr(p);
  int code = status == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV
             : status == PCAP_ERROR_IFACE_NOT_UP ? -ENETDOWN
                                                 : -EIO;
  if (status == PCAP_ERROR || detail[0] == '\0')
    return tc_errf(err, code, "wire capture: %s: %s", WIRE_DEVICE,
                   detail[0] != '\0' ? detail : pcap_statustostr(status));
  return tc_errf(err, code, "wire capture: %s: %s (%s)", WIRE_DEVICE, pcap_statustostr(status),
                 detail);
}

static int set_filter(pcap_t *p, uint16_t port, tc_err *err) {
  char expr[32];
  struct bpf_program prog;
  snprintf(expr, sizeof expr, "tcp port %u", (unsigned)port);
  if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
    return tc_errf(err, -EINVAL, "wire capture: filter '%s': %s", expr, pcap_geterr(p));
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) return tc_errf(err, -EIO, "wire capture: filter '%s': %s", expr, pcap_geterr(p));
  return 0;
}

static int set_nonblock(pcap_t *p, tc_err *err) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  if (pcap_setnonblock(p, 1, errbuf) != 0)
    return tc_errf(err, -EIO, "wire capture: %s: %s", WIRE_DEVICE, errbuf);
  /* libpcap leaves its packet socket inheritable; the runner spawns peers. */
  int fd = pcap_get_selectable_fd(p);
  if (fd >= 0) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  return 0;
}

static int open_pcap(uint16_t port, pcap_t **out, tc_err *err) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(WIRE_DEVICE, errbuf);
  if (p == NULL) return tc_errf(err, -EIO, "wire capture: %s: %s", WIRE_DEVICE, errbuf);
  int rc = pcap_set_snaplen(p, WIRE_SNAPLEN);
  if (rc == 0) rc = pcap_set_immediate_mode(p, 1);
  if (rc == 0) rc = pcap_set_buffer_size(p, WIRE_RING_BYTES);
  if (rc == 0) rc = pcap_activate(p); /* > 0 is a warning: go on */
  if (rc < 0) {
    rc = activate_error(p, rc, err);
  } else {
    rc = set_filter(p, port, err);
    if (rc == 0) rc = set_nonblock(p, err);
  }
  if (rc != 0) {
    pcap_close(p);
    return rc;
  }
  *out = p;
  return 0;
}

int tc_wire_open(uint16_t port, tc_wire **out, tc_err *err) {
  *out = NULL;
  tc_wire *w = calloc(1, sizeof *w);
  if (w == NULL) return tc_errf(err, -ENOMEM, "wire capture: out of memory");
  int rc = open_pcap(port, &w->pcap, err);
  if (rc != 0) {
    free(w);
    return rc;
  }
  w->port = port;
  w->linktype = pcap_datalink(w->pcap);
  w->real_minus_mono_us = realtime_offset_us();
  *out = w;
  return 0;
}

static int append(tc_wire *w, const struct tc_segment *seg) {
  if (tc__grow(&w->segs, &w->cap, w->n + 1, 64, sizeof *w->segs) < 0) return -ENOMEM;
  w->segs[w->n++] = *seg;
  return 0;
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  tc_wire *w = (tc_wire *)user;
  struct tc_segment seg;
  w->frames++;
  if (tc_wire_decode(w->linktype, bytes, h->caplen, &seg) != 0) {
    if (w->bad_frames++ == 0) {
      w->bad_caplen = h->caplen;
      w->bad_len = h->len;
    }
    return;
  }
  /* The kernel filter matched the port already; this guards the userland
   * fallback libpcap uses when a kernel cannot take the filter. */
  if (seg.src.port != w->port && seg.dst.port != w->port) return;
  seg.t_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec - w->real_minus_mono_us;
  if (tc__wire_number(&w->isns, &seg) != 0 || append(w, &seg) != 0) {
    w->nomem = 1;
    pcap_breakloop(w->pcap);
  }
}

int tc_wire_poll(tc_wire *w, tc_err *err) {
  w->bad_frames = 0;
  w->nomem = 0;
  int got;
  do {
    got = pcap_dispatch(w->pcap, -1, on_frame, (u_char *)w);
  } while (got > 0);
  if (w->nomem)
    return tc_errf(err, -ENOMEM, "wire capture: out of memory after %zu segments", w->n);
  if (got == PCAP_ERROR)
    return tc_errf(err, -EIO, "wire capture: %s: %s", WIRE_DEVICE, pcap_geterr(w->pcap));
  if (w->bad_frames > 0)
    return tc_errf(err, -EBADMSG,
                   "wire capture: %zu frame(s) on port %u not decoded as TCP (link type %d; "
                   "the first: %u of %u bytes captured)",
                   w->bad_frames, (unsigned)w->port, w->linktype, w->bad_caplen, w->bad_len);
  return 0;
}

const struct tc_segment *tc_wire_segments(const tc_wire *w, size_t *n) {
  *n = w != NULL ? w->n : 0;
  return w != NULL ? w->segs : NULL;
}

void tc_wire_counts(tc_wire *w, unsigned long *read, unsigned long *lost) {
  struct pcap_stat st;
  *read = w != NULL ? w->frames : 0;
  *lost = 0;
  if (w != NULL && pcap_stats(w->pcap, &st) == 0) *lost = (unsigned long)st.ps_drop + st.ps_ifdrop;
}

void tc_wire_close(tc_wire *w) {
  if (w == NULL) return;
  pcap_close(w->pcap);
  tc__wire_isns_free(&w->isns);
  free(w->segs);
  free(w);
}
