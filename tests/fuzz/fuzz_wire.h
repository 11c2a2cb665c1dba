/* fuzz_wire.h - the input layout shared by fuzz_wire.c and the seeds
 * fuzz_seeds.c writes for it.
 *
 * Contract: byte 0 picks the pcap link type (FUZZ_WIRE_LINKS[byte %
 * count], one of them a type tcpclose does not know), then frames follow,
 * each as a 2-byte big-endian length and that many bytes (the last one
 * takes what is left), numbered in order as one capture.
 */
#ifndef TCPCLOSE_FUZZ_WIRE_H
#define TCPCLOSE_FUZZ_WIRE_H

/* pcap/dlt.h numbers (Linux): NULL, EN10MB, RAW, LOOP, LINUX_SLL, IPV4,
 * IPV6, LINUX_SLL2, and 147 (DLT_USER0), which no decoder takes. */
static const int FUZZ_WIRE_LINKS[] = {0, 1, 12, 108, 113, 228, 229, 276, 147};
#define FUZZ_WIRE_NLINKS (sizeof FUZZ_WIRE_LINKS / sizeof FUZZ_WIRE_LINKS[0])

#endif
