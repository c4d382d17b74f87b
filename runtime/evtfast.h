// Reading a .evt record straight into a declared event's C struct.
//
// Generated code parses the common shape of a record of a declared type,
// `Name { field: value, ... }` with every field declared and plain
// values, field by field into its struct, without building the generic
// name/value list that input.c makes and the decoder then searches. Each
// helper returns false for anything outside that shape (escapes, null,
// non-ASCII bytes, unknown fields, a value of another type, nested
// values); the record is then read again by the generic parser, which
// gives the same result or the parse error. So these helpers only ever
// accept text that the generic path reads into the same values.
// SPDX-License-Identifier: MIT
#ifndef VP_EVTFAST_H
#define VP_EVTFAST_H

#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evt.h"
#include "num.h"
#include "scan.h"
#include "value.h"

typedef struct vp_fx {
  const char *p;
  const char *end;
} vp_fx;

// Space between tokens, as vp_scan_skip_ws skips it.
static inline void vp_fx_skip_ws(vp_fx *c) {
  const uint64_t ws = UINT64_C(1) << ' ' | UINT64_C(1) << '\t' |
                      UINT64_C(1) << '\r' | UINT64_C(1) << '\n';
  const char *p = c->p;
  while (p < c->end && (unsigned char)*p <= ' ' &&
         (ws >> (unsigned char)*p & 1))
    p++;
  c->p = p;
}

// Space trimmed off the end of a bare word, as evt.c trims it.
static inline bool vp_fx_is_trailing_ws(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool vp_fx_eat(vp_fx *c, char ch) {
  vp_fx_skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return true;
  }
  return false;
}

static inline bool vp_fx_is_name_char(char c) {
  return vp_evt_name_chars[(unsigned char)c];
}

// A field name and its ':'; quoted names are left to the generic parser.
static inline bool vp_fx_name(vp_fx *c, const char **name, size_t *len) {
  vp_fx_skip_ws(c);
  const char *start = c->p;
  while (c->p < c->end && vp_fx_is_name_char(*c->p))
    c->p++;
  *name = start;
  *len = (size_t)(c->p - start);
  return *len > 0 && vp_fx_eat(c, ':');
}

// The field name expected next, name[0..len), and its ':'. Nothing is
// consumed when the name differs.
static inline bool vp_fx_lit(vp_fx *c, const char *name, size_t len) {
  vp_fx_skip_ws(c);
  const char *p = c->p;
  if ((size_t)(c->end - p) <= len || memcmp(p, name, len) != 0 ||
      vp_fx_is_name_char(p[len]))
    return false;
  c->p = p + len;
  if (vp_fx_eat(c, ':'))
    return true;
  c->p = p;
  return false;
}

// A bare word as evt.c reads one: up to ',' or '}', trailing space
// trimmed.
static inline bool vp_fx_word(vp_fx *c, const char **w, size_t *n) {
  vp_fx_skip_ws(c);
  const char *start = c->p, *p = start;
  while (p < c->end && *p != ',' && *p != '}')
    p++;
  c->p = p;
  while (p > start && vp_fx_is_trailing_ws(p[-1]))
    p--;
  *w = start;
  *n = (size_t)(p - start);
  return *n > 0;
}

// Whether a number that ended at p also ends its word: trailing space,
// then ',' or '}'.
static inline bool vp_fx_word_ends(const vp_fx *c, const char *p) {
  while (p < c->end && vp_fx_is_trailing_ws(*p))
    p++;
  return p < c->end && (*p == ',' || *p == '}');
}

// A number with up to 15 digits and no exponent, in one pass: m / 10^k is
// exact for such a number, as in vp_num_parse_float. *dot says whether
// it had a '.'. Anything else is for the word-based readers.
static inline bool vp_fx_short_number(vp_fx *c, bool *neg, int64_t *m,
                                      int *frac, bool *dot) {
  const char *p = c->p;
  *neg = p < c->end && *p == '-';
  if (p < c->end && (*p == '-' || *p == '+'))
    p++;
  // Unsigned: a longer number wraps here, harmlessly, before it is refused.
  uint64_t v = 0;
  int digits = 0, after = 0;
  for (; p < c->end && (unsigned)(*p - '0') <= 9; p++, digits++)
    v = v * 10 + (unsigned)(*p - '0');
  *dot = p < c->end && *p == '.';
  if (*dot)
    for (p++; p < c->end && (unsigned)(*p - '0') <= 9; p++, after++)
      v = v * 10 + (unsigned)(*p - '0');
  if (digits + after == 0 || digits + after > 15 || !vp_fx_word_ends(c, p))
    return false;
  c->p = p;
  *m = (int64_t)v;
  *frac = after;
  return true;
}

// The longer forms, out of line so that the short path inlines well.
__attribute__((noinline)) static bool vp_fx_int_word(vp_fx *c, int64_t *out) {
  const char *w;
  size_t n;
  return vp_fx_word(c, &w, &n) && vp_scan_int(w, n, out);
}

__attribute__((noinline)) static bool vp_fx_float_word(vp_fx *c,
                                                       double *out) {
  const char *w;
  size_t n;
  if (!vp_fx_word(c, &w, &n))
    return false;
  int64_t i;
  if (vp_scan_int(w, n, &i)) {
    *out = (double)i;
    return true;
  }
  return vp_num_parse_float(w, n, out);
}

static inline bool vp_fx_int(vp_fx *c, int64_t *out) {
  vp_fx_skip_ws(c);
  bool neg, dot;
  int64_t m;
  int frac;
  if (vp_fx_short_number(c, &neg, &m, &frac, &dot)) {
    *out = neg ? -m : m;
    return !dot;
  }
  return vp_fx_int_word(c, out);
}

// An int or a decimal float; inf, nan and the like take the generic path.
static inline bool vp_fx_float(vp_fx *c, double *out) {
  static const double exact_pow10[16] = { 1e0,  1e1,  1e2,  1e3,
                                          1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15 };
  vp_fx_skip_ws(c);
  bool neg, dot;
  int64_t m;
  int frac;
  if (vp_fx_short_number(c, &neg, &m, &frac, &dot)) {
    if (!dot) {
      *out = (double)(neg ? -m : m);  // an int: -0 is 0
      return true;
    }
#if FLT_EVAL_METHOD == 0
    double d = (double)m / exact_pow10[frac];
    *out = neg ? -d : d;
    return true;
#else
    return false;  // no exact double division to rely on
#endif
  }
  return vp_fx_float_word(c, out);
}

static inline bool vp_fx_bool(vp_fx *c, bool *out) {
  const char *w;
  size_t n;
  if (!vp_fx_word(c, &w, &n))
    return false;
  if (n == 4 && w[0] == 't' && w[1] == 'r' && w[2] == 'u' && w[3] == 'e')
    *out = true;
  else if (n == 5 && w[0] == 'f' && w[1] == 'a' && w[2] == 'l' &&
           w[3] == 's' && w[4] == 'e')
    *out = false;
  else
    return false;
  return true;
}

// A quoted string of ASCII without escapes, pointing into the line.
static inline bool vp_fx_str(vp_fx *c, vp_str *out) {
  vp_fx_skip_ws(c);
  if (c->p >= c->end || (*c->p != '"' && *c->p != '\''))
    return false;
  char q = *c->p;
  const char *start = c->p + 1, *p = start;
  while (p < c->end && *p != q) {
    if (*p == '\\' || (unsigned char)*p >= 0x80)
      return false;
    p++;
  }
  if (p >= c->end)
    return false;
  *out = (vp_str){ start, (int64_t)(p - start) };
  c->p = p + 1;
  return true;
}

// After a value: a ',' (eaten) or the closing '}' (left for vp_fx_close).
static inline bool vp_fx_next(vp_fx *c) {
  vp_fx_skip_ws(c);
  if (c->p < c->end && *c->p == ',') {
    c->p++;
    return true;
  }
  return c->p < c->end && *c->p == '}';
}

// The record's end: '}', an optional ';', and nothing else.
static inline bool vp_fx_finish(vp_fx *c) {
  vp_fx_eat(c, ';');
  vp_fx_skip_ws(c);
  return c->p == c->end;
}

#endif
