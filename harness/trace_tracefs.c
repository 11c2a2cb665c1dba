/* trace_tracefs.c - the transitions observer on Linux: one private tracefs
 * instance per trace, read with libtracefs (contract in tcpclose/trace.h).
 *
 * What a record means is trace_event.c's business; this file owns the
 * instance: its name, clock, buffer, filters, the reading of its per-CPU
 * buffers and its removal. libtracefs mounts tracefs (or debugfs) by itself
 * when it finds none, and tcpclose must not touch the host's mounts, so no
 * libtracefs call is made before tracefs_mount_point() has seen it mounted.
 * One thread at a time per trace (see tcpclose/trace.h for which).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <mntent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <traceevent/kbuffer.h>
#include <tracefs.h>
#include <unistd.h>

#include "grow.h"
#include "tcpclose/trace.h"
#include "trace_event.h"

/* Per CPU. A case writes a few dozen records of about 100 bytes, and the
 * runner polls every few ms; the instance's default (1.4 MB per CPU) would
 * be memory spent for nothing. */
#define TC__TRACE_BUFFER_KB 64
#define TC__TRACE_PREFIX "tcpclose-"

struct tc_trace {
  struct tracefs_instance *inst;
  struct tep_handle *tep;
  uint16_t port;
  struct tc_trace_event *ev;
  size_t n, cap;
  /* Each CPU's buffer, opened once: opening tracefs files waits on a lock
   * that making and removing other cases' instances hold for tens of
   * milliseconds, and polls run on the runner's loop. */
  struct tracefs_cpu **cpu;
  int *cpu_fd; /* their descriptors, ours to close */
  int ncpu;
  void *page; /* one sub-buffer as read */
  struct kbuffer *kbuf;
  /* Per poll: records read in this pass, events the kernel dropped, and
   * the first record that could not be kept (with why). */
  size_t records;
  long long missed;
  unsigned long total_read, total_lost; /* over the trace's life */
  int failed;
  tc_err why;
};

/* ---- the tracefs mount ---- */

/* Where tracefs is mounted, from the mount table; -ENOENT when nowhere. */
static int tracefs_mount_point(char *dir, size_t len) {
  FILE *f = setmntent("/proc/self/mounts", "r");
  if (f == NULL) return -errno;
  int rc = -ENOENT;
  struct mntent ment, *m;
  char buf[1024];
  /* getmntent_r: cases open their instances from several threads */
  while (rc < 0 && (m = getmntent_r(f, &ment, buf, sizeof buf)) != NULL)
    if (strcmp(m->mnt_type, "tracefs") == 0 && snprintf(dir, len, "%s", m->mnt_dir) < (int)len)
      rc = 0;
  endmntent(f);
  return rc;
}

/* ---- the instance ---- */

static void remove_instance(struct tracefs_instance *inst) {
  if (inst == NULL) return;
  tracefs_trace_off(inst);
  tracefs_event_disable(inst, NULL, NULL);
  tracefs_instance_destroy(inst);
  tracefs_instance_free(inst);
}

/* A new instance; one left with our name was made by a dead process
 * whose pid we now have, and is replaced. */
static int create_instance(struct tc_trace *t, const char *dir, tc_err *err) {
  /* Atomic: plays open their instances from several threadpool threads. */
  static atomic_uint seq;
  char name[64];
  snprintf(name, sizeof name, TC__TRACE_PREFIX "%ld-%u", (long)getpid(),
           atomic_fetch_add(&seq, 1) + 1);
  t->inst = tracefs_instance_create(name);
  if (t->inst != NULL && !tracefs_instance_is_new(t->inst)) {
    remove_instance(t->inst);
    t->inst = tracefs_instance_create(name);
  }
  if (t->inst != NULL) return 0;
  int e = errno ? errno : EIO;
  return tc_errf(err, -e, "transitions: cannot create tracefs instance %s/instances/%s: %s%s", dir,
                 name, strerror(e), e == EACCES || e == EPERM ? " (needs root)" : "");
}

/* The clock of uv_hrtime(), and a small buffer. Tracing stays off until
 * every event is set up, so that no half-filtered record gets in. */
static int configure(struct tc_trace *t, tc_err *err) {
  if (tracefs_trace_off(t->inst) < 0)
    return tc_errf(err, -EIO, "transitions: cannot turn tracing off in %s",
                   tracefs_instance_get_name(t->inst));
  if (tracefs_instance_file_write(t->inst, "trace_clock", "mono") < 0)
    return tc_errf(err, -ENOTSUP,
                   "transitions: this kernel has no trace clock 'mono' (CLOCK_MONOTONIC)");
  if (tracefs_instance_set_buffer_size(t->inst, TC__TRACE_BUFFER_KB, -1) < 0)
    return tc_errf(err, -EIO, "transitions: cannot set buffer_size_kb of %s to %d",
                   tracefs_instance_get_name(t->inst), TC__TRACE_BUFFER_KB);
  return 0;
}

static const char *const traced[][2] = {
    {"sock", "inet_sock_set_state"},
    {"tcp", "tcp_send_reset"},
    {"tcp", "tcp_receive_reset"},
    {"tcp", "tcp_destroy_sock"},
};

/* The ring buffer's page header (to read records) and the formats of the
 * traced events, in the kernel's byte order (the host's). Only those:
 * tracefs_local_events_system() also parses /proc/kallsyms, some 200 ms
 * per trace for names tcpclose never prints. */
static int load_formats(struct tc_trace *t, tc_err *err) {
  enum tep_endian host =
      __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN;
  int size;
  if ((t->tep = tep_alloc()) == NULL) return tc_errf(err, -ENOMEM, "transitions: out of memory");
  tep_set_file_bigendian(t->tep, host);
  tep_set_local_bigendian(t->tep, host);
  tep_set_page_size(t->tep, getpagesize());
  char *buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
  int rc = buf != NULL && size > 0 ? tep_parse_header_page(t->tep, buf, size, sizeof(long)) : -1;
  free(buf);
  if (rc != 0) return tc_errf(err, -EIO, "transitions: cannot read events/header_page of tracefs");
  for (size_t i = 0; i < sizeof traced / sizeof traced[0]; i++) {
    const char *sys = traced[i][0], *name = traced[i][1];
    if ((buf = tracefs_event_file_read(NULL, sys, name, "format", &size)) == NULL)
      return tc_errf(err, -ENOENT, "transitions: this kernel has no event %s:%s", sys, name);
    rc = tep_parse_event(t->tep, buf, (unsigned long)size, sys);
    free(buf);
    if (rc != 0)
      return tc_errf(err, -EPROTO, "transitions: cannot parse the format of %s:%s", sys, name);
  }
  return 0;
}

/* ---- the events ---- */

static int enable(struct tc_trace *t, const char *system, const char *name, const char *filter,
                  tc_err *err) {
  if (!tracefs_event_file_exists(t->inst, system, name, "enable"))
    return tc_errf(err, -ENOENT, "transitions: instance %s has no event %s:%s",
                   tracefs_instance_get_name(t->inst), system, name);
  if (filter[0] != '\0' && tracefs_event_file_write(t->inst, system, name, "filter", filter) < 0) {
    int e = errno ? errno : EINVAL;
    return tc_errf(err, -e, "transitions: the kernel refused filter '%s' on %s:%s: %s", filter,
                   system, name, strerror(e));
  }
  if (tracefs_event_enable(t->inst, system, name) < 0) {
    int e = errno ? errno : EIO;
    return tc_errf(err, -e, "transitions: cannot enable %s:%s: %s", system, name, strerror(e));
  }
  return 0;
}

/* "sport == P || dport == P" when the event has port fields (then the
 * kernel writes nothing of other connections), else "" (no filter). */
static void port_filter(struct tc_trace *t, const char *system, const char *name, char *buf,
                        size_t len) {
  struct tep_event *ev = tep_find_event_by_name(t->tep, system, name);
  buf[0] = '\0';
  if (ev != NULL && tep_find_field(ev, "sport") != NULL && tep_find_field(ev, "dport") != NULL)
    snprintf(buf, len, "sport == %u || dport == %u", (unsigned)t->port, (unsigned)t->port);
}

/* tcp_send_reset has its ports in sockaddr arrays, which a filter accepts
 * but never matches (seen on 6.18): it is filtered when read. A socket
 * reset by SO_LINGER{1,0} is destroyed with dport 0, so destroys with
 * dport 0 pass too, and reading keeps those of sockets already traced. */
static int enable_all(struct tc_trace *t, tc_err *err) {
  char ports[96], filter[160];
  port_filter(t, "sock", "inet_sock_set_state", ports, sizeof ports);
  snprintf(filter, sizeof filter, "protocol == %d && (%s)", IPPROTO_TCP, ports);
  int rc = enable(t, "sock", "inet_sock_set_state", ports[0] ? filter : "", err);
  port_filter(t, "tcp", "tcp_send_reset", ports, sizeof ports); /* kernels before 6.10 */
  if (rc == 0) rc = enable(t, "tcp", "tcp_send_reset", ports, err);
  port_filter(t, "tcp", "tcp_receive_reset", ports, sizeof ports);
  if (rc == 0) rc = enable(t, "tcp", "tcp_receive_reset", ports, err);
  port_filter(t, "tcp", "tcp_destroy_sock", ports, sizeof ports);
  snprintf(filter, sizeof filter, "%s || dport == 0", ports);
  if (rc == 0) rc = enable(t, "tcp", "tcp_destroy_sock", ports[0] ? filter : "", err);
  return rc;
}

/* One CPU's buffer, opened close-on-exec, which tracefs_cpu_open() cannot
 * do: the runner starts processes while traces are open, and a reader one
 * of them inherited would keep the instance from being removed (rmdir:
 * EBUSY) and leak into the programs under test. */
static struct tracefs_cpu *open_cpu(struct tc_trace *t, int cpu, int *fd) {
  char file[64];
  snprintf(file, sizeof file, "per_cpu/cpu%d/trace_pipe_raw", cpu);
  char *path = tracefs_instance_get_file(t->inst, file);
  *fd = path != NULL ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
  tracefs_put_tracing_file(path);
  struct tracefs_cpu *c = *fd >= 0 ? tracefs_cpu_alloc_fd(*fd, getpagesize(), true) : NULL;
  if (c == NULL && *fd >= 0) close(*fd);
  if (c == NULL) *fd = -1;
  return c;
}

/* Non-blocking readers of every possible CPU's buffer (an offline CPU has
 * none, and writes nothing). */
static int open_cpus(struct tc_trace *t, tc_err *err) {
  long n = sysconf(_SC_NPROCESSORS_CONF);
  t->ncpu = n > 0 ? (int)n : 1;
  t->cpu = calloc((size_t)t->ncpu, sizeof *t->cpu);
  t->cpu_fd = malloc((size_t)t->ncpu * sizeof *t->cpu_fd);
  if (t->cpu == NULL || t->cpu_fd == NULL)
    return tc_errf(err, -ENOMEM, "transitions: out of memory");
  int size = 0;
  for (int c = 0; c < t->ncpu; c++)
    if ((t->cpu[c] = open_cpu(t, c, &t->cpu_fd[c])) != NULL && size == 0)
      size = tracefs_cpu_read_size(t->cpu[c]);
  /* The kernel writes its buffers in its own long size and byte order: the host's. */
  t->kbuf = kbuffer_alloc(KBUFFER_LSIZE_SAME_AS_HOST, KBUFFER_ENDIAN_SAME_AS_HOST);
  if (size <= 0 || t->kbuf == NULL || (t->page = malloc((size_t)size)) == NULL)
    return tc_errf(err, -EIO, "transitions: cannot read the per-CPU buffers of %s",
                   tracefs_instance_get_name(t->inst));
  return 0;
}

static void trace_free(struct tc_trace *t) {
  for (int c = 0; t->cpu != NULL && c < t->ncpu; c++)
    if (t->cpu[c] != NULL) {
      tracefs_cpu_free_fd(t->cpu[c]);
      close(t->cpu_fd[c]);
    }
  free(t->cpu);
  free(t->cpu_fd);
  free(t->page);
  if (t->kbuf != NULL) kbuffer_free(t->kbuf);
  remove_instance(t->inst);
  if (t->tep != NULL) tep_free(t->tep);
  free(t->ev);
  free(t);
}

int tc_trace_open(uint16_t port, tc_trace **out, tc_err *err) {
  char dir[512];
  *out = NULL;
  if (port == 0) return tc_errf(err, -EINVAL, "transitions: no port to trace");
  if (tracefs_mount_point(dir, sizeof dir) < 0)
    return tc_errf(err, -ENOENT,
                   "transitions: tracefs is not mounted "
                   "(as root: mount -t tracefs nodev /sys/kernel/tracing)");
  struct tc_trace *t = calloc(1, sizeof *t);
  if (t == NULL) return tc_errf(err, -ENOMEM, "transitions: out of memory");
  t->port = port;
  int rc = create_instance(t, dir, err);
  if (rc == 0) rc = configure(t, err);
  if (rc == 0) rc = load_formats(t, err);
  if (rc == 0) rc = enable_all(t, err);
  if (rc == 0) rc = open_cpus(t, err);
  if (rc == 0 && tracefs_trace_on(t->inst) < 0)
    rc = tc_errf(err, -EIO, "transitions: cannot turn tracing on in %s",
                 tracefs_instance_get_name(t->inst));
  if (rc < 0) {
    trace_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

/* ---- reading ---- */

static int append(struct tc_trace *t, const struct tc_trace_event *e) {
  if (tc__grow(&t->ev, &t->cap, t->n + 1, 64, sizeof *t->ev) < 0) return -ENOMEM;
  t->ev[t->n++] = *e;
  return 0;
}

/* Called for each record, oldest first across CPUs. Returns 0 always: a
 * non-zero return would drop the rest of the kernel's page. */
static int on_record(struct tep_event *ev, struct tep_record *rec, int cpu, void *ctx) {
  struct tc_trace *t = ctx;
  struct tc_trace_event e;
  tc_err why;
  (void)cpu;
  t->records++;
  t->total_read++;
  if (rec->missed_events != 0) t->missed += rec->missed_events > 0 ? rec->missed_events : 1;
  if (ev == NULL) return 0; /* an event type this trace did not load: not enabled by it */
  int rc = tc__trace_decode(ev, rec, &e, &why);
  if (rc == 0 && append(t, &e) < 0) rc = tc_errf(&why, -ENOMEM, "transitions: out of memory");
  if (rc < 0 && rc != -ENOENT && t->failed == 0) {
    t->failed = rc;
    t->why = why;
  }
  return 0;
}

/* Every record waiting in one CPU's buffer, a sub-buffer at a time. The
 * CPUs are read one after the other; the poll's records are sorted
 * together afterwards (tc__trace_order). */
static int read_cpu(struct tc_trace *t, int c, tc_err *err) {
  int n;
  while ((n = tracefs_cpu_read(t->cpu[c], t->page, true)) > 0) {
    if (kbuffer_load_subbuffer(t->kbuf, t->page) < 0) continue;
    int missed = kbuffer_missed_events(t->kbuf);
    unsigned long long ts;
    for (void *data = kbuffer_read_event(t->kbuf, &ts); data != NULL;
         data = kbuffer_next_event(t->kbuf, &ts)) {
      struct tep_record rec = {.ts = ts,
                               .cpu = c,
                               .data = data,
                               .size = kbuffer_event_size(t->kbuf),
                               .missed_events = missed};
      missed = 0;
      on_record(tep_find_event(t->tep, tep_data_type(t->tep, &rec)), &rec, c, t);
    }
  }
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != 0)
    return tc_errf(err, -errno, "transitions: cannot read the buffer of CPU %d in %s: %s", c,
                   tracefs_instance_get_name(t->inst), strerror(errno));
  return 0;
}

static int read_all(struct tc_trace *t, tc_err *err) {
  for (int c = 0; c < t->ncpu; c++) {
    int rc = t->cpu[c] != NULL ? read_cpu(t, c, err) : 0;
    if (rc < 0) return rc;
  }
  return 0;
}

/* Drops the new events of other connections, in time order so that a
 * destroy can be matched to its socket's earlier events. */
static void keep_wanted(struct tc_trace *t, size_t first) {
  size_t kept = first;
  for (size_t i = first; i < t->n; i++)
    if (tc__trace_wanted(t->ev, kept, &t->ev[i], t->port)) t->ev[kept++] = t->ev[i];
  t->n = kept;
}

int tc_trace_poll(tc_trace *t, tc_err *err) {
  if (t == NULL) return 0;
  size_t first = t->n;
  t->missed = 0;
  t->failed = 0;
  int rc = read_all(t, err);
  tc__trace_order(t->ev, t->n, first);
  keep_wanted(t, first);
  tc__trace_fill_tuples(t->ev, t->n, first);
  if (rc < 0) return rc;
  if (t->failed != 0) {
    if (err != NULL) *err = t->why;
    return t->failed;
  }
  t->total_lost += (unsigned long)t->missed;
  if (t->missed > 0)
    return tc_errf(err, -ENOBUFS,
                   "transitions: the kernel dropped %lld events (the %d KiB per-CPU buffer of %s "
                   "was full): transitions are missing",
                   t->missed, TC__TRACE_BUFFER_KB, tracefs_instance_get_name(t->inst));
  return 0;
}

const struct tc_trace_event *tc_trace_events(const tc_trace *t, size_t *n) {
  *n = t != NULL ? t->n : 0;
  return t != NULL ? t->ev : NULL;
}

void tc_trace_counts(const tc_trace *t, unsigned long *read, unsigned long *lost) {
  *read = t != NULL ? t->total_read : 0;
  *lost = t != NULL ? t->total_lost : 0;
}

void tc_trace_close(tc_trace *t) {
  if (t != NULL) trace_free(t);
}

/* ---- instances of dead runs ---- */

/* The pid in "tcpclose-<pid>-<n>", or 0 when name is not that. */
static long pid_of(const char *name) {
  size_t plen = strlen(TC__TRACE_PREFIX);
  if (strncmp(name, TC__TRACE_PREFIX, plen) != 0) return 0;
  char *end;
  long pid = strtol(name + plen, &end, 10);
  if (end == name + plen || *end != '-' || end[1] == '\0') return 0;
  for (const char *p = end + 1; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return pid > 0 ? pid : 0;
}

static int remove_named(const char *name) {
  struct tracefs_instance *inst = tracefs_instance_alloc(NULL, name);
  if (inst == NULL) return errno ? -errno : -ENOMEM;
  int rc = tracefs_instance_destroy(inst) < 0 ? (errno ? -errno : -EIO) : 0;
  tracefs_instance_free(inst);
  return rc;
}

int tc_trace_reap_stale(void) {
  char dir[512], path[600];
  if (tracefs_mount_point(dir, sizeof dir) < 0) return 0; /* no tracefs: nothing was left in it */
  snprintf(path, sizeof path, "%s/instances", dir);
  DIR *d = opendir(path);
  if (d == NULL) return -errno;
  int removed = 0, rc = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    long pid = pid_of(de->d_name);
    if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    int r = remove_named(de->d_name);
    if (r == 0)
      removed++;
    else if (r != -ENOENT && rc == 0)
      rc = r; /* ENOENT: another run reaped it first */
  }
  closedir(d);
  return rc < 0 ? rc : removed;
}
