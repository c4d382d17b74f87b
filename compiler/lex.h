// The lexer: re2c scanner (grammar/lexer.re) plus the layout filter of
// LANGUAGE.md 1.6, which turns line structure into NEWLINE, INDENT and
// DEDENT tokens. The parser glue in parse.c pulls tokens one at a time.
// SPDX-License-Identifier: MIT
#ifndef VPC_LEX_H
#define VPC_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

// Token kinds are the VPC_TK_* numbers of the generated parse.h; 0 is the
// end of input.
//
// INT: the lexer cannot see a unary minus, so "9223372036854775808" (2^63)
// comes out as an INT with ival == INT64_MIN and no error; the parser must
// accept that value only as the operand of unary '-' and report
// "integer literal too large" otherwise. Larger values are lexer errors.
typedef struct vpc_token {
  int kind;
  vpc_pos pos;
  const char *text;  // the token's source bytes (not NUL-terminated)
  int len;
  int64_t ival;     // INT value; DURATION and TIMESTAMP in nanoseconds
  double fval;      // FLOAT value
  const char *str;  // STRING contents after escapes, NUL-terminated;
                    // for IDENT the name, NUL-terminated
  int slen;         // its length in bytes (may hold NUL bytes)
} vpc_token;

typedef struct vpc_lexer vpc_lexer;

// Lexes text (registered with vpc_diag_add_source as file). Errors go to
// diag.c; the lexer then skips ahead and goes on, so one run reports
// several problems.
vpc_lexer *vpc_lex_open(int file, const char *text, size_t len);

// Fills *tok with the next token and returns its kind (0 at the end, after
// the layout filter has closed every open block). Layout tokens: a block is
// INDENT line (NEWLINE line)* NEWLINE DEDENT, with the opening ':' or '=>'
// kept before the INDENT; blocks closing together give one NEWLINE, then
// one DEDENT each; no NEWLINE follows a DEDENT; the input ends with NEWLINE
// unless it ends with a DEDENT (empty input gives only 0). Inside brackets
// a DEDENT back to the bracket is followed by a COMMA unless ',' or a
// closing bracket comes next (rule L7). NEWLINE's position is just after
// the last token of its line.
int vpc_lex_next(vpc_lexer *lx, vpc_token *tok);

void vpc_lex_close(vpc_lexer *lx);

// The raw scanner of grammar/lexer.re, used only by lex.c: it returns
// ordinary tokens (no NEWLINE, INDENT or DEDENT; reserved words as their
// keywords, contextual words as IDENT) and 0 at the end of text. text[len]
// must be a NUL byte.
typedef struct vpc_scanner {
  const char *cur, *lim;
  int file;
  const char *tp, *tline_start;  // position tracker: tp is at tline:tcol
  int tline, tcol;
  const char *text;
  const char *line_start;  // first byte of the current physical line
  int line_seen;           // a token or comment was seen on that line
} vpc_scanner;

void vpc_lex_scan_init(vpc_scanner *sc, int file, const char *text, size_t len);
int vpc_lex_scan(vpc_scanner *sc, vpc_token *tok);

// Returns the printable name of a token kind ("'=>'", "identifier",
// "end of line") for parser messages.
const char *vpc_token_name(int kind);

#endif
