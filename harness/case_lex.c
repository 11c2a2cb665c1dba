/* case_lex.c - tokenizer for case files (see case_lex.h). */
#include "case_lex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Reads a quoted token starting after the opening quote at line[*i];
 * unescapes into out->buf at *o. */
static int lex_quoted(const char *line, size_t len, size_t *i, size_t *o, struct tc__lex_line *out,
                      char *why, size_t whylen) {
  for (; *i < len; (*i)++) {
    char c = line[*i];
    if (c == '"') {
      (*i)++;
      return 0;
    }
    if (c == '\\' && *i + 1 < len) {
      char e = line[++(*i)];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      if (e != 'n' && e != 't' && e != 'r' && e != '"' && e != '\\') {
        snprintf(why, whylen, "unknown escape '\\%c' in string", e);
        return -EINVAL;
      }
    }
    out->buf[(*o)++] = c;
  }
  snprintf(why, whylen, "unterminated string (missing '\"')");
  return -EINVAL;
}

/* Whether the tokens so far are a lone about/source keyword. */
static int free_text_follows(const struct tc__lex_line *out) {
  const struct tc__token *t = &out->tok[0];
  return out->ntok == 1 && !t->quoted &&
         (strcmp(t->s, "about") == 0 || strcmp(t->s, "source") == 0);
}

/* Takes line[*i..] up to a '#' as one token, trailing blanks trimmed. */
static size_t lex_free_text(const char *line, size_t len, size_t i, size_t *o,
                            struct tc__lex_line *out) {
  const char *hash = memchr(line + i, '#', len - i);
  size_t end = hash ? (size_t)(hash - line) : len, stop = end;
  while (end > i && is_space(line[end - 1])) end--;
  if (end > i) {
    struct tc__token *t = &out->tok[out->ntok++];
    t->s = out->buf + *o;
    t->quoted = 0;
    t->len = end - i;
    memcpy(t->s, line + i, t->len);
    *o += t->len;
    out->buf[(*o)++] = '\0';
  }
  return stop;
}

int tc__lex(const char *line, size_t len, struct tc__lex_line *out, char *why, size_t whylen) {
  size_t i = 0, o = 0, end = len;
  out->ntok = 0;
  if (len >= TC__LEX_LINE_MAX) {
    snprintf(why, whylen, "line longer than %d bytes", TC__LEX_LINE_MAX - 1);
    return -EINVAL;
  }
  while (i < len) {
    while (i < len && is_space(line[i])) i++;
    if (i < len && free_text_follows(out)) {
      end = lex_free_text(line, len, i, &o, out);
      break;
    }
    if (i >= len || line[i] == '#') {
      end = i;
      break;
    }
    if (out->ntok == TC__LEX_MAX_TOKENS) {
      snprintf(why, whylen, "more than %d words", TC__LEX_MAX_TOKENS);
      return -EINVAL;
    }
    struct tc__token *t = &out->tok[out->ntok++];
    t->s = out->buf + o;
    t->quoted = line[i] == '"';
    if (t->quoted) {
      i++;
      int rc = lex_quoted(line, len, &i, &o, out, why, whylen);
      if (rc < 0) return rc;
      if (i < len && !is_space(line[i]) && line[i] != '#' && line[i] != '&') {
        snprintf(why, whylen, "text after closing quote");
        return -EINVAL;
      }
    } else {
      while (i < len && !is_space(line[i]) && line[i] != '#') out->buf[o++] = line[i++];
    }
    t->len = (size_t)(out->buf + o - t->s);
    out->buf[o++] = '\0';
  }
  while (end > 0 && is_space(line[end - 1])) end--;
  size_t start = 0;
  while (start < end && is_space(line[start])) start++;
  memcpy(out->stmt, line + start, end - start);
  out->stmt[end - start] = '\0';
  return 0;
}
