/* cli_helpers.h - running the tcpclose binary from tests.
 *
 * Contract: th_run() runs a command to completion and returns its exit
 * status (128+N when killed by signal N) with stdout and stderr captured
 * (caller frees). th_private_binary() copies the tcpclose binary and its peer
 * executable to a directory of their own, so that a test can count exactly
 * its own processes (they run those paths) while other tests run in
 * parallel.
 */
#ifndef TCPCLOSE_TEST_CLI_HELPERS_H
#define TCPCLOSE_TEST_CLI_HELPERS_H

#include <stdio.h>
#include <sys/types.h>

struct th_out {
  int status;
  char *out;
  char *err;
};

int th_run(char *const argv[], struct th_out *o);
void th_out_free(struct th_out *o);

/* Starts argv in the background with output to /dev/null; returns its pid. */
pid_t th_spawn(char *const argv[]);

/* Exit status of a th_spawn()ed process (128+N when killed by N). */
int th_wait(pid_t pid);

/* A new temporary directory (caller frees the string). */
char *th_tmpdir(void);

/* Removes a directory th_tmpdir() made, with all in it, and frees dir. */
void th_rmtree(char *dir);

/* Writes text into dir/name; returns the malloc'd path. */
char *th_write_file(const char *dir, const char *name, const char *text);

/* Copies TCPCLOSE_BIN into dir, and TCPCLOSE_PEER_BIN beside it as
 * dir/tcpclose-peer, where the copy finds its peer executable; returns the
 * malloc'd path of the copy. */
char *th_private_binary(const char *dir);

/* Number of live (not zombie) processes whose executable is exe or the
 * tcpclose-peer beside it: a run's runner, holder and peers. */
int th_count_exe(const char *exe);

/* Waits up to ms for th_count_exe(exe) to reach want; returns the count. */
int th_wait_count(const char *exe, int want, int ms);

/* Reads a whole file (caller frees), NULL when it does not exist. */
char *th_read_file(const char *path);

/* Starts argv in the background with its stdout to a pipe (a run's live
 * -v timeline); returns the pipe's read end, and its pid in *pid. */
FILE *th_spawn_live(char *const argv[], pid_t *pid);

/* Reads lines (a run's live -v timeline) until one has text: 1 when found,
 * 0 at the end of the output. */
int th_read_until(FILE *out, const char *text);

#endif
