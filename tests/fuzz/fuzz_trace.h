/* fuzz_trace.h - the input layout shared by fuzz_trace.c and the seeds
 * fuzz_seeds.c writes for it.
 *
 * Contract: byte 0 picks the event whose format reads the record
 * (FUZZ_TRACE_EVENTS[byte % count], parsed from the kernel's format files
 * in tests/fixtures); the rest is the raw record, common fields first, as
 * the ring buffer holds it.
 */
#ifndef TCPCLOSE_FUZZ_TRACE_H
#define TCPCLOSE_FUZZ_TRACE_H

static const struct {
  const char *system, *name;
} FUZZ_TRACE_EVENTS[] = {
    {"sock", "inet_sock_set_state"},
    {"tcp", "tcp_send_reset"},
    {"tcp", "tcp_receive_reset"},
    {"tcp", "tcp_destroy_sock"},
};
#define FUZZ_TRACE_NEVENTS (sizeof FUZZ_TRACE_EVENTS / sizeof FUZZ_TRACE_EVENTS[0])

#endif
