/* trace_hub.c - the process's one tracefs instance, read with libtracefs,
 * and the handing of its records to the traces that joined it (contract in
 * trace_hub.h).
 *
 * What a record means is trace_event.c's business; this file owns the
 * instance: its name, clock, buffer, filter, the reading of its per-CPU
 * buffers and its removal. libtracefs mounts tracefs (or debugfs) by itself
 * when it finds none, and tcpclose must not touch the host's mounts, so no
 * libtracefs call is made before tracefs_mount_point() has seen it mounted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <traceevent/kbuffer.h>
#include <tracefs.h>
#include <unistd.h>

#include "grow.h"
#include "trace_event.h"
#include "trace_hub.h"

/* Per CPU. A case writes a few dozen records of about 100 bytes and a churn
 * case some thousands, and the runner polls every few ms while up to 32
 * cases share the buffer: what 32 instances of 64 KiB each had, halved. */
#define TC__HUB_BUFFER_KB 1024
#define TC__TRACE_PREFIX "tcpclose-"

static struct {
  pthread_mutex_t lock;
  struct tc__trace_sub **sub; /* the joined traces */
  size_t nsub, cap;
  struct tracefs_instance *inst;
  char name[64];
  struct tep_handle *tep;
  /* Each CPU's buffer, opened once and read without blocking. */
  struct tracefs_cpu **cpu;
  int *cpu_fd; /* their descriptors, ours to close */
  int ncpu;
  void *page; /* one sub-buffer as read */
  struct kbuffer *kbuf;
} hub = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- the tracefs mount ---- */

/* Where tracefs is mounted, from the mount table; -ENOENT when nowhere. */
static int tracefs_mount_point(char *dir, size_t len) {
  FILE *f = setmntent("/proc/self/mounts", "r");
  if (f == NULL) return -errno;
  int rc = -ENOENT;
  struct mntent ment, *m;
  char buf[1024];
  /* getmntent_r: traces join from several threads */
  while (rc < 0 && (m = getmntent_r(f, &ment, buf, sizeof buf)) != NULL)
    if (strcmp(m->mnt_type, "tracefs") == 0 && snprintf(dir, len, "%s", m->mnt_dir) < (int)len)
      rc = 0;
  endmntent(f);
  return rc;
}

/* ---- the instance ---- */

/* The kernel refuses to remove an instance (EBUSY) while any process has
 * one of its files open. A process the runner is starting can hold a copy of
 * the runner's descriptors, per-CPU buffers included, from posix_spawn's
 * clone until its exec closes them (O_CLOEXEC): on a loaded machine, for
 * milliseconds. An interrupted run met that window and left its instance.
 * So EBUSY is tried again, every 5 ms for up to a second. */
#define TC__DESTROY_TRIES 200
#define TC__DESTROY_WAIT_US 5000

static void remove_instance(struct tracefs_instance *inst) {
  if (inst == NULL) return;
  tracefs_trace_off(inst);
  tracefs_event_disable(inst, NULL, NULL);
  for (int tries = 1; tracefs_instance_destroy(inst) < 0 && errno == EBUSY; tries++) {
    if (tries == TC__DESTROY_TRIES) break;
    usleep(TC__DESTROY_WAIT_US);
  }
  tracefs_instance_free(inst);
}

/* A new instance; one left with our name was made by a dead process
 * whose pid we now have, and is replaced. */
static int create_instance(const char *dir, tc_err *err) {
  static unsigned seq; /* under hub.lock */
  snprintf(hub.name, sizeof hub.name, TC__TRACE_PREFIX "%ld-%u", (long)getpid(), ++seq);
  hub.inst = tracefs_instance_create(hub.name);
  if (hub.inst != NULL && !tracefs_instance_is_new(hub.inst)) {
    remove_instance(hub.inst);
    hub.inst = tracefs_instance_create(hub.name);
  }
  if (hub.inst != NULL) return 0;
  int e = errno ? errno : EIO;
  return tc_errf(err, -e, "transitions: cannot create tracefs instance %s/instances/%s: %s%s", dir,
                 hub.name, strerror(e), e == EACCES || e == EPERM ? " (needs root)" : "");
}

/* The clock of uv_hrtime(), and the buffer. Tracing stays off until every
 * event is set up, so that no unfiltered record gets in. */
static int configure(tc_err *err) {
  if (tracefs_trace_off(hub.inst) < 0)
    return tc_errf(err, -EIO, "transitions: cannot turn tracing off in %s", hub.name);
  if (tracefs_instance_file_write(hub.inst, "trace_clock", "mono") < 0)
    return tc_errf(err, -ENOTSUP,
                   "transitions: this kernel has no trace clock 'mono' (CLOCK_MONOTONIC)");
  if (tracefs_instance_set_buffer_size(hub.inst, TC__HUB_BUFFER_KB, -1) < 0)
    return tc_errf(err, -EIO, "transitions: cannot set buffer_size_kb of %s to %d", hub.name,
                   TC__HUB_BUFFER_KB);
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
 * for names tcpclose never prints. */
static int load_formats(tc_err *err) {
  enum tep_endian host =
      __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN;
  int size;
  if ((hub.tep = tep_alloc()) == NULL) return tc_errf(err, -ENOMEM, "transitions: out of memory");
  tep_set_file_bigendian(hub.tep, host);
  tep_set_local_bigendian(hub.tep, host);
  tep_set_page_size(hub.tep, getpagesize());
  char *buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
  int rc = buf != NULL && size > 0 ? tep_parse_header_page(hub.tep, buf, size, sizeof(long)) : -1;
  free(buf);
  if (rc != 0) return tc_errf(err, -EIO, "transitions: cannot read events/header_page of tracefs");
  for (size_t i = 0; i < sizeof traced / sizeof traced[0]; i++) {
    const char *sys = traced[i][0], *name = traced[i][1];
    if ((buf = tracefs_event_file_read(NULL, sys, name, "format", &size)) == NULL)
      return tc_errf(err, -ENOENT, "transitions: this kernel has no event %s:%s", sys, name);
    rc = tep_parse_event(hub.tep, buf, (unsigned long)size, sys);
    free(buf);
    if (rc != 0)
      return tc_errf(err, -EPROTO, "transitions: cannot parse the format of %s:%s", sys, name);
  }
  return 0;
}

static int enable(const char *system, const char *name, const char *filter, tc_err *err) {
  if (!tracefs_event_file_exists(hub.inst, system, name, "enable"))
    return tc_errf(err, -ENOENT, "transitions: instance %s has no event %s:%s", hub.name, system,
                   name);
  if (filter[0] != '\0' && tracefs_event_file_write(hub.inst, system, name, "filter", filter) < 0) {
    int e = errno ? errno : EINVAL;
    return tc_errf(err, -e, "transitions: the kernel refused filter '%s' on %s:%s: %s", filter,
                   system, name, strerror(e));
  }
  if (tracefs_event_enable(hub.inst, system, name) < 0) {
    int e = errno ? errno : EIO;
    return tc_errf(err, -e, "transitions: cannot enable %s:%s: %s", system, name, strerror(e));
  }
  return 0;
}

/* Only inet_sock_set_state covers other protocols. Ports are not filtered
 * in the kernel: a filter is the same for every trace, and changing it as
 * cases come and go waits for every CPU each time. */
static int enable_all(tc_err *err) {
  char tcp[32];
  snprintf(tcp, sizeof tcp, "protocol == %d", IPPROTO_TCP);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < sizeof traced / sizeof traced[0]; i++)
    rc = enable(traced[i][0], traced[i][1], i == 0 ? tcp : "", err);
  return rc;
}

/* One CPU's buffer, opened close-on-exec, which tracefs_cpu_open() cannot
 * do: the runner starts processes while the hub is open, and a reader one
 * of them inherited would keep the instance from being removed (rmdir:
 * EBUSY) and leak into the programs under test. */
static struct tracefs_cpu *open_cpu(int cpu, int *fd) {
  char file[64];
  snprintf(file, sizeof file, "per_cpu/cpu%d/trace_pipe_raw", cpu);
  char *path = tracefs_instance_get_file(hub.inst, file);
  *fd = path != NULL ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
  tracefs_put_tracing_file(path);
  struct tracefs_cpu *c = *fd >= 0 ? tracefs_cpu_alloc_fd(*fd, getpagesize(), true) : NULL;
  if (c == NULL && *fd >= 0) close(*fd);
  if (c == NULL) *fd = -1;
  return c;
}

/* Non-blocking readers of every possible CPU's buffer (an offline CPU has
 * none, and writes nothing). */
static int open_cpus(tc_err *err) {
  long n = sysconf(_SC_NPROCESSORS_CONF);
  hub.ncpu = n > 0 ? (int)n : 1;
  hub.cpu = calloc((size_t)hub.ncpu, sizeof *hub.cpu);
  hub.cpu_fd = malloc((size_t)hub.ncpu * sizeof *hub.cpu_fd);
  if (hub.cpu == NULL || hub.cpu_fd == NULL)
    return tc_errf(err, -ENOMEM, "transitions: out of memory");
  int size = 0;
  for (int c = 0; c < hub.ncpu; c++)
    if ((hub.cpu[c] = open_cpu(c, &hub.cpu_fd[c])) != NULL && size == 0)
      size = tracefs_cpu_read_size(hub.cpu[c]);
  /* The kernel writes its buffers in its own long size and byte order: the host's. */
  hub.kbuf = kbuffer_alloc(KBUFFER_LSIZE_SAME_AS_HOST, KBUFFER_ENDIAN_SAME_AS_HOST);
  if (size <= 0 || hub.kbuf == NULL || (hub.page = malloc((size_t)size)) == NULL)
    return tc_errf(err, -EIO, "transitions: cannot read the per-CPU buffers of %s", hub.name);
  return 0;
}

static void hub_close(void) {
  for (int c = 0; hub.cpu != NULL && c < hub.ncpu; c++)
    if (hub.cpu[c] != NULL) {
      tracefs_cpu_free_fd(hub.cpu[c]);
      close(hub.cpu_fd[c]);
    }
  free(hub.cpu);
  free(hub.cpu_fd);
  free(hub.page);
  if (hub.kbuf != NULL) kbuffer_free(hub.kbuf);
  remove_instance(hub.inst);
  if (hub.tep != NULL) tep_free(hub.tep);
  hub.cpu = NULL, hub.cpu_fd = NULL, hub.page = NULL, hub.kbuf = NULL;
  hub.inst = NULL, hub.tep = NULL, hub.ncpu = 0;
}

static int hub_open(tc_err *err) {
  char dir[512];
  if (tracefs_mount_point(dir, sizeof dir) < 0)
    return tc_errf(err, -ENOENT,
                   "transitions: tracefs is not mounted "
                   "(as root: mount -t tracefs nodev /sys/kernel/tracing)");
  int rc = create_instance(dir, err);
  if (rc == 0) rc = configure(err);
  if (rc == 0) rc = load_formats(err);
  if (rc == 0) rc = enable_all(err);
  if (rc == 0) rc = open_cpus(err);
  if (rc == 0 && tracefs_trace_on(hub.inst) < 0)
    rc = tc_errf(err, -EIO, "transitions: cannot turn tracing on in %s", hub.name);
  if (rc < 0) hub_close();
  return rc;
}

/* ---- joining ---- */

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int tc__hub_join(struct tc__trace_sub *s, tc_err *err) {
  pthread_mutex_lock(&hub.lock);
  int rc = hub.nsub == 0 ? hub_open(err) : 0;
  if (rc == 0 && tc__grow(&hub.sub, &hub.cap, hub.nsub + 1, 32, sizeof *hub.sub) < 0)
    rc = tc_errf(err, -ENOMEM, "transitions: out of memory");
  if (rc == 0) {
    s->since_us = mono_us();
    hub.sub[hub.nsub++] = s;
  } else if (hub.nsub == 0 && hub.inst != NULL) {
    hub_close();
  }
  pthread_mutex_unlock(&hub.lock);
  return rc;
}

void tc__hub_leave(struct tc__trace_sub *s) {
  pthread_mutex_lock(&hub.lock);
  for (size_t i = 0; i < hub.nsub; i++)
    if (hub.sub[i] == s) {
      hub.sub[i] = hub.sub[--hub.nsub];
      if (hub.nsub == 0) hub_close();
      break;
    }
  pthread_mutex_unlock(&hub.lock);
  free(s->box.ev);
  s->box = (struct tc__trace_box){0};
}

/* ---- reading ---- */

/* Whether e may be s's: the trace keeps what is its own (trace_event.c). */
static int concerns(const struct tc__trace_sub *s, const struct tc_trace_event *e) {
  if (e->t_us < s->since_us) return 0;
  if (e->tuple.local.port == s->port || e->tuple.remote.port == s->port) return 1;
  /* a socket reset by SO_LINGER{1,0} is destroyed with its peer port cleared */
  return e->kind == TC_TRACE_DESTROY && e->sk != 0 && e->tuple.remote.port == 0;
}

static void deliver(struct tc__trace_sub *s, int rc, const struct tc_trace_event *e,
                    const tc_err *why) {
  struct tc__trace_box *b = &s->box;
  tc_err nomem;
  b->records++;
  if (rc == 0 && tc__grow(&b->ev, &b->cap, b->n + 1, 64, sizeof *b->ev) < 0) {
    rc = tc_errf(&nomem, -ENOMEM, "transitions: out of memory");
    why = &nomem;
  }
  if (rc == 0) {
    b->ev[b->n++] = *e;
  } else if (b->failed == 0) {
    b->failed = rc;
    b->why = *why;
  }
}

/* One record, to every trace it may concern. A record that cannot be
 * decoded concerns every trace: whose it was cannot be known. */
static void on_record(struct tep_record *rec) {
  struct tc_trace_event e;
  tc_err why;
  for (size_t i = 0; rec->missed_events != 0 && i < hub.nsub; i++)
    hub.sub[i]->box.missed += rec->missed_events > 0 ? rec->missed_events : 1;
  struct tep_event *ev = tep_find_event(hub.tep, tep_data_type(hub.tep, rec));
  if (ev == NULL) return; /* an event type the hub did not load: not enabled by it */
  int rc = tc__trace_decode(ev, rec, &e, &why);
  if (rc == -ENOENT) return; /* not a TCP event tcpclose traces */
  for (size_t i = 0; i < hub.nsub; i++)
    if (rc < 0 || concerns(hub.sub[i], &e)) deliver(hub.sub[i], rc, &e, &why);
}

/* Every record waiting in one CPU's buffer, a sub-buffer at a time. */
static int read_cpu(int c, tc_err *err) {
  int n;
  while ((n = tracefs_cpu_read(hub.cpu[c], hub.page, true)) > 0) {
    if (kbuffer_load_subbuffer(hub.kbuf, hub.page) < 0) continue;
    int missed = kbuffer_missed_events(hub.kbuf);
    unsigned long long ts;
    for (void *data = kbuffer_read_event(hub.kbuf, &ts); data != NULL;
         data = kbuffer_next_event(hub.kbuf, &ts)) {
      struct tep_record rec = {.ts = ts,
                               .cpu = c,
                               .data = data,
                               .size = kbuffer_event_size(hub.kbuf),
                               .missed_events = missed};
      missed = 0;
      on_record(&rec);
    }
  }
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != 0)
    return tc_errf(err, -errno, "transitions: cannot read the buffer of CPU %d in %s: %s", c,
                   hub.name, strerror(errno));
  return 0;
}

int tc__hub_poll(struct tc__trace_sub *s, struct tc__trace_box *out, tc_err *err) {
  int rc = 0;
  pthread_mutex_lock(&hub.lock);
  for (int c = 0; hub.inst != NULL && c < hub.ncpu; c++) {
    int r = hub.cpu[c] != NULL ? read_cpu(c, err) : 0;
    if (r < 0 && rc == 0) rc = r;
  }
  struct tc__trace_box mine = s->box;
  s->box = (struct tc__trace_box){.ev = out->ev, .cap = out->cap};
  *out = mine;
  pthread_mutex_unlock(&hub.lock);
  return rc;
}

const char *tc__hub_name(void) { return hub.name; }

int tc__hub_buffer_kb(void) { return TC__HUB_BUFFER_KB; }

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

int tc__hub_reap_stale(void) {
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
