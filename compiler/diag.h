// Diagnostics: every message of the compiler goes through here and prints
// "file:line:col: error: message", the source line and a caret with '~'
// under the rest of the token (LANGUAGE.md 4.10). Lines and columns count
// from 1, columns in code points.
// SPDX-License-Identifier: MIT
#ifndef VPC_DIAG_H
#define VPC_DIAG_H

#include <stddef.h>

// A place in a source file; len is the token's width in code points (0 or 1
// draws a lone caret).
typedef struct vpc_pos {
  int file;
  int line;
  int col;
  int len;
} vpc_pos;

// Registers a source text and returns its file id for positions. The text
// must outlive the compilation.
int vpc_diag_add_source(const char *path, const char *text, size_t len);
const char *vpc_diag_path(int file);

void vpc_error(vpc_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vpc_warning(vpc_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vpc_note(vpc_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// A warning with a hint line (the hint may be NULL).
void vpc_warning_hint(vpc_pos pos, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// An error with a hint line ("hint: did you mean 'where'?").
void vpc_error_hint(vpc_pos pos, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int vpc_error_count(void);

// While muted, diagnostics are neither printed nor counted (a silent
// first pass over a function body).
void vpc_diag_mute(int on);

// -Werror: warnings count as errors.
void vpc_diag_set_werror(int on);

// Compilation stops after this many errors.
#define VPC_MAX_ERRORS 20

// True once VPC_MAX_ERRORS errors were reported; later ones are dropped.
int vpc_diag_saturated(void);

#endif
