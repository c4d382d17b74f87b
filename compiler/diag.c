// Diagnostics (see diag.h). The source line is printed as it is, and the
// caret line is padded with one space per code point before the column, so
// the caret stands under the token in a terminal.
// SPDX-License-Identifier: MIT
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

typedef struct source {
  const char *path;
  const char *text;
  size_t len;
} source;

static vpc_list sources;
static int errors, werror, muted;

void vpc_diag_mute(int on) {
  muted = on;
}

int vpc_diag_add_source(const char *path, const char *text, size_t len) {
  source *s = vpc_alloc(sizeof *s);
  s->path = vpc_strdup(path);
  s->text = text;
  s->len = len;
  vpc_list_push(&sources, s);
  return sources.n - 1;
}

const char *vpc_diag_path(int file) {
  return ((source *)sources.items[file])->path;
}

// Finds line `line` (from 1) of s; returns its start and sets *n to its
// length without the line break.
static const char *find_line(const source *s, int line, size_t *n) {
  const char *p = s->text, *end = s->text + s->len;
  for (int i = 1; i < line && p < end; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return NULL;
    p = nl + 1;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  *n = (size_t)((nl ? nl : end) - p);
  if (*n && p[*n - 1] == '\r')
    (*n)--;
  return p;
}

#define MAX_EXCERPT 160

// Code points in the first n bytes of line.
static int columns_before(const char *line, size_t n) {
  int cols = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)line[i] & 0xc0) != 0x80)
      cols++;
  return cols;
}

// The byte offset of column col (from 1) in line.
static size_t byte_of_column(const char *line, size_t n, int col) {
  size_t i = 0;
  for (int c = 1; i < n; i++) {
    if (((unsigned char)line[i] & 0xc0) != 0x80 && c++ == col)
      return i;
  }
  return n;
}

static void print_excerpt(vpc_pos pos) {
  if (pos.file < 0 || pos.file >= sources.n || pos.line < 1)
    return;
  size_t n;
  const char *line = find_line(sources.items[pos.file], pos.line, &n);
  if (!line)
    return;
  // A very long line is shown as a window around the column.
  int col = pos.col;
  size_t start = 0;
  if (n > MAX_EXCERPT) {
    size_t at = byte_of_column(line, n, col);
    start = at > MAX_EXCERPT / 2 ? at - MAX_EXCERPT / 2 : 0;
    while (start > 0 && ((unsigned char)line[start] & 0xc0) == 0x80)
      start--;
    size_t end = start + MAX_EXCERPT < n ? start + MAX_EXCERPT : n;
    col = pos.col - columns_before(line, start);
    line += start;
    n = end - start;
  }
  fprintf(stderr, "%.*s\n", (int)n, line);
  for (int i = 1; i < col; i++)
    fputc(line[0] == '\t' && i == 1 ? '\t' : ' ', stderr);
  fputc('^', stderr);
  for (int i = 1; i < pos.len; i++)
    fputc('~', stderr);
  fputc('\n', stderr);
}

static void report(const char *severity, vpc_pos pos, const char *hint,
                   const char *fmt, va_list ap) {
  if (pos.file >= 0 && pos.file < sources.n)
    fprintf(stderr, "%s:%d:%d: ", vpc_diag_path(pos.file), pos.line,
            pos.col);
  else
    fputs("vpc: ", stderr);
  fprintf(stderr, "%s: ", severity);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  print_excerpt(pos);
  if (hint)
    fprintf(stderr, "hint: %s\n", hint);
}

int vpc_diag_saturated(void) {
  return errors >= VPC_MAX_ERRORS;
}

static void error_v(vpc_pos pos, const char *hint, const char *fmt,
                    va_list ap) {
  if (vpc_diag_saturated() || muted)
    return;
  errors++;
  report("error", pos, hint, fmt, ap);
  if (vpc_diag_saturated())
    fprintf(stderr, "vpc: too many errors; stopping\n");
}

void vpc_error(vpc_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  error_v(pos, NULL, fmt, ap);
  va_end(ap);
}

void vpc_error_hint(vpc_pos pos, const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  error_v(pos, hint, fmt, ap);
  va_end(ap);
}

static void warning_v(vpc_pos pos, const char *hint, const char *fmt,
                      va_list ap) {
  if (muted)
    return;
  if (werror) {
    error_v(pos, hint, fmt, ap);
    return;
  }
  report("warning", pos, hint, fmt, ap);
}

void vpc_warning(vpc_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  warning_v(pos, NULL, fmt, ap);
  va_end(ap);
}

void vpc_warning_hint(vpc_pos pos, const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  warning_v(pos, hint, fmt, ap);
  va_end(ap);
}

void vpc_note(vpc_pos pos, const char *fmt, ...) {
  if (muted)
    return;
  va_list ap;
  va_start(ap, fmt);
  report("note", pos, NULL, fmt, ap);
  va_end(ap);
}

int vpc_error_count(void) {
  return errors;
}

void vpc_diag_set_werror(int on) {
  werror = on;
}
