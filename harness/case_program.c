/* case_program.c - a role played by the user's program:
 *   ROLE exec "COMMAND" [port=N]
 *   ROLE signal NAME
 *   ROLE kill
 * Once a role is a program, the script can only signal or kill it and
 * check it: its sockets are its own business, found through the kernel.
 * The command is kept as written, {addr} and {port} included; the runner
 * fills them in. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_parse.h"

static const struct {
  const char *name;
  int signo;
} signals[] = {
    {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},   {"QUIT", SIGQUIT},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"KILL", SIGKILL}, {"STOP", SIGSTOP},
    {"CONT", SIGCONT}, {"ALRM", SIGALRM}, {"PIPE", SIGPIPE},
};

#define NSIGNALS (sizeof signals / sizeof signals[0])

int tc_signal_from_name(const char *name) {
  if (strncmp(name, "SIG", 3) == 0) name += 3;
  for (size_t i = 0; i < NSIGNALS; i++)
    if (strcmp(signals[i].name, name) == 0) return signals[i].signo;
  return 0;
}

const char *tc_signal_name(int signo) {
  for (size_t i = 0; i < NSIGNALS; i++)
    if (signals[i].signo == signo) return signals[i].name;
  return "?";
}

const struct tc_action_step *tc_case_program(const tc_case *c, enum tc_role role) {
  if ((unsigned)role >= TC_ROLE_COUNT || c->program_line[role] == 0) return NULL;
  for (size_t i = 0; i < c->nsteps; i++) {
    const struct tc_step *st = &c->steps[i];
    if (st->kind == TC_STEP_ACTION && st->u.act.action == TC_ACT_EXEC && st->u.act.role == role)
      return &st->u.act;
  }
  return NULL;
}

static int parse_exec_option(struct tc__parser *p, const char *t, struct tc_action_step *a) {
  const char *v = tc__option_value(t, "port");
  long n;
  if (v == NULL) return tc__perr(p, "unknown option '%s' for exec (expected port=N)", t);
  if (a->role != TC_SERVER)
    return tc__perr(p, "port=N is for a server program (the port it listens on)");
  if (tc__parse_count(v, 65535, &n) < 0 || n == 0)
    return tc__perr(p, "port must be a number from 1 to 65535, not '%s'", v);
  a->port = (unsigned)n;
  return 0;
}

int tc__parse_exec(struct tc__parser *p, struct tc_action_step *a) {
  if (p->lx.ntok < 3 || !p->lx.tok[2].quoted || p->lx.tok[2].len == 0)
    return tc__perr(p, "exec needs the command in quotes (e.g. %s exec \"./prog {addr} {port}\")",
                    tc_role_name(a->role));
  for (size_t i = 3; i < p->lx.ntok; i++) {
    int rc = parse_exec_option(p, p->lx.tok[i].s, a);
    if (rc < 0) return rc;
  }
  a->command = strdup(p->lx.tok[2].s);
  return a->command ? 0 : -ENOMEM;
}

int tc__parse_signal(struct tc__parser *p, struct tc_action_step *a) {
  if (p->lx.ntok < 3) return tc__perr(p, "signal needs a name (e.g. TERM, INT, HUP, USR1)");
  a->signo = tc_signal_from_name(p->lx.tok[2].s);
  if (a->signo == 0)
    return tc__perr(p,
                    "unknown signal '%s' (expected TERM, INT, HUP, QUIT, USR1, USR2, KILL, "
                    "STOP, CONT, ALRM or PIPE)",
                    p->lx.tok[2].s);
  return tc__no_more(p, 3, "the signal name");
}

/* exec: the role's first action. A server program listens from then on,
 * so that client steps may connect to it; a client program needs the
 * scripted server's port. */
static int check_exec(struct tc__parser *p, const struct tc_action_step *a) {
  struct tc__role_track *r = &p->role[a->role];
  const char *role = tc_role_name(a->role);
  if (r->first_line)
    return tc__perr(p,
                    "%s exec after %s's first action at line %d: a role is a program from its "
                    "first action",
                    role, role, r->first_line);
  if (a->role == TC_CLIENT && !p->role[TC_SERVER].listen_line)
    return tc__perr(p, "client exec before server listen ({port} is the server's port)");
  p->c->program_line[a->role] = p->line;
  if (a->role == TC_SERVER) {
    r->listen_line = p->line;
    r->listener_open = 1;
  }
  return 0;
}

/* Called for every action before the ordering rules of scripted peers. */
int tc__check_program(struct tc__parser *p, const struct tc_action_step *a) {
  struct tc__role_track *r = &p->role[a->role];
  const char *role = tc_role_name(a->role), *act = tc_action_name(a->action);
  int prog = p->c->program_line[a->role];
  if (a->action == TC_ACT_EXEC) return check_exec(p, a);
  if (prog && a->action != TC_ACT_SIGNAL && a->action != TC_ACT_KILL)
    return tc__perr(p,
                    "the %s is a program (exec at line %d): only signal and kill apply to it, "
                    "not '%s'",
                    role, prog, act);
  if (!prog && a->action == TC_ACT_SIGNAL)
    return tc__perr(p,
                    "%s signal: the %s is not a program (signal applies to a role started with "
                    "exec)",
                    role, role);
  if (r->gone_line && prog)
    return tc__perr(p, "%s %s after the %s process ended at line %d", role, act, role,
                    r->gone_line);
  if (prog && a->action == TC_ACT_KILL) r->gone_line = p->line;
  return 0;
}

int tc_exec_expand(const char *command, const char *addr, unsigned port, char *buf, size_t len) {
  char portbuf[8];
  size_t o = 0;
  snprintf(portbuf, sizeof portbuf, "%u", port);
  for (const char *c = command; *c != '\0';) {
    const char *with = strncmp(c, "{addr}", 6) == 0   ? addr
                       : strncmp(c, "{port}", 6) == 0 ? portbuf
                                                      : NULL;
    size_t n = with ? strlen(with) : 1;
    if (o + n >= len) return -ENOSPC;
    memcpy(buf + o, with ? with : c, n);
    o += n;
    c += with ? 6 : 1;
  }
  if (len == 0) return -ENOSPC;
  buf[o] = '\0';
  return (int)o;
}
