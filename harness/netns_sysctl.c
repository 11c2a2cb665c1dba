/* netns_sysctl.c - reading and writing sysctls through /proc/sys (see
 * netns.h). Plain file I/O in the caller's network namespace: the holder
 * sets the case's, the runner reads the host's when there is no namespace
 * (and never writes them). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netns.h"

/* net.ipv4.tcp_fin_timeout -> /proc/sys/net/ipv4/tcp_fin_timeout */
static void sysctl_path(const char *name, char *path, size_t len) {
  snprintf(path, len, "/proc/sys/%s", name);
  for (char *p = path + strlen("/proc/sys/"); *p; p++)
    if (*p == '.') *p = '/';
}

int tc__sysctl_get(const char *name, char *value, size_t len) {
  char path[256];
  sysctl_path(name, path, sizeof path);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -errno;
  int ok = fgets(value, (int)len, f) != NULL;
  fclose(f);
  if (!ok) return -EIO;
  value[strcspn(value, "\n")] = '\0';
  for (char *p = value; *p; p++)
    if (*p == '\t') *p = ' ';
  return 0;
}

int tc__sysctl_set(const char *name, const char *value) {
  char path[256];
  sysctl_path(name, path, sizeof path);
  FILE *f = fopen(path, "w");
  if (f == NULL) return -errno;
  int rc = fputs(value, f) < 0 ? -errno : 0;
  if (fclose(f) != 0 && rc == 0) rc = -errno;
  return rc;
}
