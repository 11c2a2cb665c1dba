/* netns_nft.c - drop rules (see netns_nft.h). */
#include "netns_nft.h"
#include "inject_libnet.h"

#include <errno.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

static int nft_run(struct tc__nft *n, const char *cmd, char *why, size_t len) {
  if (n->ctx == NULL && (n->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) != NULL) {
    nft_ctx_buffer_output(n->ctx);
    nft_ctx_buffer_error(n->ctx);
  }
  if (n->ctx == NULL) return snprintf(why, len, "nftables: cannot start libnftables"), -ENOMEM;
  if (nft_run_cmd_from_buffer(n->ctx, cmd) == 0) return 0;
  snprintf(why, len, "nftables: %s", nft_ctx_get_error_buffer(n->ctx));
  why[strcspn(why, "\n")] = '\0';
  return -EINVAL;
}

int tc__nft_drop(struct tc__nft *n, const char *tag, const char *hook, const char *which,
                 unsigned port, unsigned flags, unsigned count, char *why, size_t len) {
  char cmd[640];
  if (strcmp(hook, "input") != 0 && strcmp(hook, "output") != 0)
    return snprintf(why, len, "nftables: no hook '%s'", hook), -EINVAL;
  /* At output, what the case injects passes: drops there stand for what
   * the sender's kernel sends (the injected segment was crafted to arrive). */
  char spare[48] = "";
  if (strcmp(hook, "output") == 0)
    snprintf(spare, sizeof spare, "meta mark != 0x%x ", TC__INJECT_MARK);
  snprintf(cmd, sizeof cmd,
           "add table inet tcpclose\n"
           "add chain inet tcpclose %s { type filter hook %s priority 0; policy accept; }\n"
           "add rule inet tcpclose %s %stcp %s %u tcp flags == 0x%x counter drop comment \"%s\"\n",
           hook, hook, hook, spare, which, port, flags, tag);
  int rc = nft_run(n, cmd, why, len);
  if (rc == 0 && count > 0 && n->ncounted < TC__NFT_MAX_COUNTED) {
    snprintf(n->counted[n->ncounted].hook, sizeof n->counted[0].hook, "%s", hook);
    snprintf(n->counted[n->ncounted].tag, sizeof n->counted[0].tag, "%s", tag);
    n->counted[n->ncounted++].count = count;
  }
  return rc;
}

/* Counter and handle of the rule tagged `tag`, from nft's JSON listing. */
static int rule_counter(struct tc__nft *n, const char *hook, const char *tag, json_int_t *packets,
                        json_int_t *handle) {
  char why[256], cmd[64];
  snprintf(cmd, sizeof cmd, "list chain inet tcpclose %s", hook);
  nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
  int rc = nft_run(n, cmd, why, sizeof why);
  nft_ctx_output_set_flags(n->ctx, 0);
  json_t *root = rc == 0 ? json_loads(nft_ctx_get_output_buffer(n->ctx), 0, NULL) : NULL, *item;
  size_t i;
  rc = -ENOENT;
  json_array_foreach(json_object_get(root, "nftables"), i, item) {
    json_t *rule = json_object_get(item, "rule"), *e;
    const char *c = json_string_value(json_object_get(rule, "comment"));
    size_t k;
    if (c == NULL || strcmp(c, tag) != 0) continue;
    *handle = json_integer_value(json_object_get(rule, "handle"));
    json_array_foreach(json_object_get(rule, "expr"), k, e) {
      json_t *counter = json_object_get(e, "counter");
      if (counter) *packets = json_integer_value(json_object_get(counter, "packets"));
    }
    rc = 0;
  }
  json_decref(root);
  return rc;
}

/* Removes the rules that dropped as many segments as they were meant to. */
void tc__nft_expire(struct tc__nft *n) {
  for (size_t i = 0; i < n->ncounted;) {
    json_int_t packets = 0, handle = 0;
    char cmd[128], why[256];
    if (rule_counter(n, n->counted[i].hook, n->counted[i].tag, &packets, &handle) == 0 &&
        packets < n->counted[i].count) {
      i++;
      continue;
    }
    snprintf(cmd, sizeof cmd, "delete rule inet tcpclose %s handle %lld\n", n->counted[i].hook,
             (long long)handle);
    if (handle) nft_run(n, cmd, why, sizeof why);
    n->counted[i] = n->counted[--n->ncounted];
  }
}

void tc__nft_free(struct tc__nft *n) {
  if (n->ctx) nft_ctx_free(n->ctx);
  n->ctx = NULL;
}
