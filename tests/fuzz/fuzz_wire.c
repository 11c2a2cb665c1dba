/* fuzz_wire.c - libFuzzer target: captured frames (tc_wire_decode) of
 * every link type tcpclose reads, and the relative numbering of the
 * decoded segments (tc__wire_number). Input layout: fuzz_wire.h. Seeds:
 * the frames of tests/fixtures/wire_loopback.txt under each link header
 * (fuzz_seeds.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_wire.h"
#include "tcpclose/wire.h"
#include "wire_decode.h"

/* Each frame in a buffer of its own size, so that ASan sees any read
 * past the captured length. */
static void decode_one(int linktype, const uint8_t *p, size_t n, struct tc__wire_isns *isns) {
  uint8_t *frame = malloc(n ? n : 1);
  if (frame == NULL) return;
  memcpy(frame, p, n);
  struct tc_segment seg;
  if (tc_wire_decode(linktype, frame, n, &seg) == 0) tc__wire_number(isns, &seg);
  free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int linktype = FUZZ_WIRE_LINKS[data[0] % FUZZ_WIRE_NLINKS];
  struct tc__wire_isns isns = {0};
  size_t at = 1;
  while (at < size) {
    size_t n = size - at;
    if (n >= 2) {
      size_t want = (size_t)data[at] << 8 | data[at + 1];
      at += 2;
      n = want < size - at ? want : size - at;
    }
    decode_one(linktype, data + at, n, &isns);
    at += n;
  }
  tc__wire_isns_free(&isns);
  return 0;
}
