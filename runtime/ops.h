// Operations of VPL values for generated code (LANGUAGE.md 4.4): checked
// integer arithmetic, division, shifts, string helpers and the conversions
// of built-in functions. Each failure raises the runtime error of 4.10.
// SPDX-License-Identifier: MIT
#ifndef VP_OPS_H
#define VP_OPS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "input.h"
#include "value.h"

static inline int64_t vp_add_i64(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    vp_raise("integer overflow");
  return r;
}

static inline int64_t vp_sub_i64(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    vp_raise("integer overflow");
  return r;
}

static inline int64_t vp_mul_i64(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    vp_raise("integer overflow");
  return r;
}

static inline int64_t vp_neg_i64(int64_t a) {
  if (a == INT64_MIN)
    vp_raise("integer overflow");
  return -a;
}

// Truncating division; the remainder has the sign of the dividend.
static inline int64_t vp_div_i64(int64_t a, int64_t b) {
  if (b == 0)
    vp_raise("division by zero");
  if (a == INT64_MIN && b == -1)
    vp_raise("integer overflow");
  return a / b;
}

static inline int64_t vp_mod_i64(int64_t a, int64_t b) {
  if (b == 0)
    vp_raise("division by zero");
  if (b == -1)
    return 0;
  return a % b;
}

static inline double vp_div_f64(double a, double b) {
  if (b == 0.0)
    vp_raise("division by zero");
  return a / b;
}

static inline double vp_mod_f64(double a, double b) {
  if (b == 0.0)
    vp_raise("division by zero");
  return fmod(a, b);
}

static inline int64_t vp_shl_i64(int64_t a, int64_t n) {
  if (n < 0 || n > 63)
    vp_raise("invalid shift");
  return (int64_t)((uint64_t)a << n);
}

static inline int64_t vp_shr_i64(int64_t a, int64_t n) {
  if (n < 0 || n > 63)
    vp_raise("invalid shift");
  return a >> n;
}

int64_t vp_pow_i64(int64_t a, int64_t b);

// sleep(d) of 6.11: blocks for d nanoseconds (nothing when d <= 0).
void vp_sleep_ns(int64_t ns);

// A duration times a float, rounded toward zero (4.4).
int64_t vp_dur_mul_f64(int64_t d, double f);

// == on floats: NaN equals NaN, -0.0 equals 0.0 (4.4).
static inline bool vp_f64_eq(double a, double b) {
  return a == b || (a != a && b != b);
}

int vp_str_cmp(vp_str a, vp_str b);
vp_str vp_str_concat(vp_str a, vp_str b);
bool vp_str_contains(vp_str hay, vp_str needle);
bool vp_str_starts_with(vp_str s, vp_str p);
bool vp_str_ends_with(vp_str s, vp_str p);
vp_str vp_str_upper(vp_str s);
vp_str vp_str_lower(vp_str s);
vp_str vp_str_trim(vp_str s);
int64_t vp_str_len(vp_str s);  // UTF-8 bytes (9)

static inline vp_str vp_cstr(const char *s) {
  return (vp_str){ s, (int64_t)strlen(s) };
}

// to_string of scalars (9): floats and times as in the output format.
vp_str vp_int_to_str(int64_t v);
vp_str vp_float_to_str(double v);
vp_str vp_bool_to_str(bool v);
vp_str vp_time_to_str(int64_t ns);
vp_str vp_duration_to_str(int64_t ns);

// to_int and to_float of strings (9); raise "conversion failed".
int64_t vp_str_to_int(vp_str s);
double vp_str_to_float(vp_str s);
int64_t vp_f64_to_int(double v, const char *fn);  // trunc, floor, ...

// round half away from zero, to an int; non-finite raises (9).
int64_t vp_round_i64(double v);

// round(x, n): x rounded half away from zero to n decimals (9).
double vp_round_places(double v, int64_t n);
int64_t vp_floor_i64(double v);
int64_t vp_ceil_i64(double v);

// The parse_error message of 8.6 for field f whose value does not
// convert to want.
const char *vp_field_mismatch(const char *field, const char *want,
                              const vp_value *v);
const char *vp_field_missing(const char *field);

#endif
