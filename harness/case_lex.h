/* case_lex.h - splits one line of a case file into tokens.
 *
 * Contract: whitespace separates tokens; "double quoted" text is one token
 * (escapes \" \\ \n \r \t), marked quoted; '#' outside quotes starts a comment.
 * After a first word "about" or "source", the rest of the line up to a '#'
 * is free text: one token, no quoting, no word limit.
 * Tokens point into a buffer owned by the tc__lex_line; nothing is allocated.
 * Internal to the case parser.
 */
#ifndef TCPCLOSE_CASE_LEX_H
#define TCPCLOSE_CASE_LEX_H

#include <stddef.h>

#define TC__LEX_MAX_TOKENS 32
#define TC__LEX_LINE_MAX 4096

struct tc__token {
  char *s;
  size_t len; /* quoted text may hold NUL-free bytes only; len is strlen */
  int quoted;
};

struct tc__lex_line {
  char buf[TC__LEX_LINE_MAX];
  char stmt[TC__LEX_LINE_MAX]; /* the statement as written, trimmed */
  struct tc__token tok[TC__LEX_MAX_TOKENS];
  size_t ntok;
};

/* Tokenizes `line` (no newline, len bytes). Returns 0, or a negative errno
 * with a reason (no file:line prefix) in why. */
int tc__lex(const char *line, size_t len, struct tc__lex_line *out, char *why, size_t whylen);

#endif
