/* uml-xstate-shim.c - lets Debian's user-mode Linux 6.1 run on hosts whose
 * XSAVE area is larger than UML knows (AVX-512, PKRU, AMX).
 *
 * Contract: scripts/run-uml compiles this into a shared object and starts
 * linux.uml with it in LD_PRELOAD. It wraps glibc's ptrace() in the UML
 * process only (its guests are exec'd by the UML kernel, not by the host,
 * and never see it) and changes exactly one call: PTRACE_SETREGSET with
 * NT_X86_XSTATE. Every other request goes to glibc unchanged.
 *
 * Why: UML 6.1 moves its guests' FPU state with a buffer of the size of
 * struct _xstate (832 bytes: x87/SSE, header, AVX). Since Linux 5.14 the
 * host's xstateregs_set() takes only a whole XSAVE buffer (count equal to
 * fpu_user_cfg.max_size, e.g. 2696 bytes with AVX-512) and fails shorter
 * ones with EFAULT, so the first guest process dies with "userspace -
 * ptrace set fp regs failed, errno = 14" and the kernel panics. The shim
 * reads the target's whole current state, lays UML's buffer over its start
 * and writes the whole back: what UML keeps is restored as UML meant, the
 * components it cannot hold keep the values the host process already has.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define FULL_MAX 16384 /* larger than any XSAVE area so far (AMX: 11008) */

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

static long real_ptrace(int req, pid_t pid, void *addr, void *data) {
  static ptrace_fn real;
  if (real == NULL) real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  return real(req, pid, addr, data);
}

/* A short xstate write padded with the target's current state. */
static long set_xstate(pid_t pid, void *addr, const struct iovec *short_iov) {
  static unsigned char full[FULL_MAX] __attribute__((aligned(64)));
  struct iovec iov = {full, sizeof full};
  if (real_ptrace(PTRACE_GETREGSET, pid, addr, &iov) < 0) return -1;
  if (iov.iov_len <= short_iov->iov_len)
    return real_ptrace(PTRACE_SETREGSET, pid, addr, (void *)short_iov);
  memcpy(full, short_iov->iov_base, short_iov->iov_len);
  return real_ptrace(PTRACE_SETREGSET, pid, addr, &iov);
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (request == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data != NULL)
    return set_xstate(pid, addr, data);
  return real_ptrace((int)request, pid, addr, data);
}
