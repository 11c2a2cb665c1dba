/* bench_churn_plain.c N - the kernel's cost of a churn, as a yardstick for
 * tcpclose's: a plain C loop makes N connections to 127.0.0.1, each
 * connect, send 10 bytes, close (blocking calls), against an accept loop
 * in a second process that reads each connection to end of stream and
 * closes it: what `client churn N send 10 close` against `server serve
 * recv eof close` asks of the kernel. Prints "plain N conns in S s (F
 * failed), cpu C us/conn: R conn/s", C the CPU time of both processes. A
 * benchmark, not a test: scripts/bench-churn runs it in a network
 * namespace of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* accept, read to end of stream, close; forever (killed when done). */
static void accept_loop(int lfd) {
  char buf[4096];
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) continue;
    while (read(fd, buf, sizeof buf) > 0) {}
    close(fd);
  }
}

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
  long n = argc > 1 ? atol(argv[1]) : 10000;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, len) < 0 || listen(lfd, 4096) < 0 ||
      getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
    perror("bench_churn_plain: listen");
    return 1;
  }
  pid_t pid = fork();
  if (pid == 0) accept_loop(lfd);
  close(lfd);
  static const char ten[10];
  long failed = 0;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) < 0 || write(fd, ten, 10) != 10)
      failed++;
    if (fd >= 0) close(fd);
  }
  double s = now() - t0;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  printf("plain %ld conns in %.3f s (%ld failed), cpu %.1f us/conn: %.0f conn/s\n", n, s, failed,
         cpu_us() / (double)n, (double)n / s);
  return failed ? 1 : 0;
}
