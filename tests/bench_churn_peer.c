/* bench_churn_peer.c TCPCLOSE N [C] - the peer's churn on its own, driven over
 * its control channel (tests/peer_driver.h) as the runner drives it: a
 * server peer listens and serves `recv eof close`, a client peer churns N
 * connections `send 10 close`, one at a time (or C), to 127.0.0.1. Prints the
 * churn's own figures: "peer N conns in S s (F failed), cpu C us/conn: R
 * conn/s", C the CPU time of both peers (their start included). A
 * benchmark, not a test: scripts/bench-churn runs it in a network namespace
 * of its own, beside bench_churn_plain. */
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>

#include "peer_driver.h"
#include "peer_proto.h"

#define GUARD_MS 600000

/* CPU time (user + system) of this process and its reaped children, in
 * microseconds: what the churn cost, whatever else the machine ran. */
static double cpu_us(void) {
  struct rusage self, kids;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  const struct timeval *t[] = {&self.ru_utime, &self.ru_stime, &kids.ru_utime, &kids.ru_stime};
  double us = 0;
  for (int i = 0; i < 4; i++) us += (double)t[i]->tv_sec * 1e6 + (double)t[i]->tv_usec;
  return us;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: bench_churn_peer TCPCLOSE N [CONCURRENCY]\n");
    return 2;
  }
  struct pd srv, cli;
  char rest[512], host[64];
  unsigned port;
  struct tc__churn_result r;
  if (pd_start(&srv, argv[1], "server") < 0 || pd_start(&cli, argv[1], "client") < 0) return 1;
  pd_send(&srv, "1 listen 127.0.0.1 0 4096 0");
  if (pd_reply(&srv, 1, rest, sizeof rest, GUARD_MS) != 0 ||
      sscanf(rest, "%63s %u", host, &port) != 2) {
    fprintf(stderr, "bench_churn_peer: listen: %s\n", rest);
    return 1;
  }
  pd_send(&srv, "2 serve recv:eof close:-1");
  pd_send(&cli, "3 churn 127.0.0.1 %u %s %s send:10 close:-1", port, argv[2],
          argc > 3 ? argv[3] : "1");
  if (pd_reply(&srv, 2, rest, sizeof rest, GUARD_MS) != 0 ||
      pd_reply(&cli, 3, rest, sizeof rest, GUARD_MS) != 0 || tc__proto_churn_parse(rest, &r) < 0) {
    fprintf(stderr, "bench_churn_peer: churn: %s\n", rest);
    return 1;
  }
  pd_stop(&cli);
  pd_stop(&srv);
  printf("peer %lu conns in %.3f s (%lu failed), cpu %.1f us/conn: %.0f conn/s\n", r.ok + r.failed,
         (double)r.us / 1e6, r.failed, cpu_us() / (double)(r.ok + r.failed), r.rate);
  return r.failed ? 1 : 0;
}
