/* netns_nft.h - drop rules for the namespace holder (nftables through
 * libnftables).
 *
 * Contract: runs in the holder process, in the case's namespace, blocking.
 * tc__nft_drop() adds to table `inet tcpclose` a rule at the input or
 * output hook (hook: "input", "output"; a chain of that name) that drops
 * TCP segments with that port (which = "sport" or "dport") and
 * exactly that flags byte, tagged with a comment; with count > 0 it is
 * remembered, and tc__nft_expire() (called every 20 ms while any is
 * remembered) removes it once its counter reaches count. Errors say why in
 * `why` (one line) and return a negative errno. Internal to netns_holder.c.
 */
#ifndef TCPCLOSE_NETNS_NFT_H
#define TCPCLOSE_NETNS_NFT_H

#include <stddef.h>

#define TC__NFT_MAX_COUNTED 16

struct tc__nft {
  struct nft_ctx *ctx; /* made on first use */
  struct {
    char tag[32];
    char hook[8]; /* input or output: the chain of the rule */
    unsigned count;
  } counted[TC__NFT_MAX_COUNTED];
  size_t ncounted;
};

int tc__nft_drop(struct tc__nft *n, const char *tag, const char *hook, const char *which,
                 unsigned port, unsigned flags, unsigned count, char *why, size_t len);
void tc__nft_expire(struct tc__nft *n);
void tc__nft_free(struct tc__nft *n);

#endif
