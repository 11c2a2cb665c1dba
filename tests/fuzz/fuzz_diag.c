/* fuzz_diag.c - libFuzzer target: sock_diag answers (tc__diag_decode), one
 * datagram as recv() gives it: every netlink message in it, walked as
 * observe_diag.c walks them. Seeds: tests/fixtures/diag_*.bin. */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observe_diag_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* recv() fills an aligned buffer; the decoder may rely on that. */
  void *buf = malloc(size ? size : 1);
  if (buf == NULL) return 0;
  memcpy(buf, data, size);
  const struct nlmsghdr *nlh = buf;
  int len = size > INT32_MAX ? INT32_MAX : (int)size;
  struct tc_sock s;
  tc__diag_decode(buf, size, &s);
  while (tc__diag_msg_ok(nlh, len)) {
    tc__diag_decode(nlh, (size_t)len, &s);
    nlh = mnl_nlmsg_next(nlh, &len);
  }
  free(buf);
  return 0;
}
