// Out-of-line operations for generated code (see ops.h).
// SPDX-License-Identifier: MIT
#include "ops.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "output.h"
#include "run.h"

int64_t vp_pow_i64(int64_t a, int64_t b) {
  if (b < 0)
    vp_raise("negative exponent");
  int64_t r = 1;
  while (b > 0) {
    if (b & 1)
      r = vp_mul_i64(r, a);
    b >>= 1;
    if (b)
      a = vp_mul_i64(a, a);
  }
  return r;
}

void vp_sleep_ns(int64_t ns) {
  struct timespec ts = { ns / 1000000000, ns % 1000000000 };
  while (ns > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

int64_t vp_dur_mul_f64(int64_t d, double f) {
  double r = trunc((double)d * f);
  if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
    vp_raise("integer overflow");
  return (int64_t)r;
}

int vp_str_cmp(vp_str a, vp_str b) {
  int64_t n = a.n < b.n ? a.n : b.n;
  int c = n ? memcmp(a.p, b.p, (size_t)n) : 0;
  if (c)
    return c;
  return a.n < b.n ? -1 : a.n > b.n;
}

vp_str vp_str_concat(vp_str a, vp_str b) {
  char *p = vp_arena_alloc(vp_event_arena, (size_t)(a.n + b.n) + 1);
  memcpy(p, a.p, (size_t)a.n);
  memcpy(p + a.n, b.p, (size_t)b.n);
  p[a.n + b.n] = '\0';
  return (vp_str){ p, a.n + b.n };
}

bool vp_str_contains(vp_str hay, vp_str needle) {
  if (needle.n == 0)
    return true;
  for (int64_t i = 0; i + needle.n <= hay.n; i++)
    if (hay.p[i] == needle.p[0] &&
        !memcmp(hay.p + i, needle.p, (size_t)needle.n))
      return true;
  return false;
}

bool vp_str_starts_with(vp_str s, vp_str p) {
  return s.n >= p.n && !memcmp(s.p, p.p, (size_t)p.n);
}

bool vp_str_ends_with(vp_str s, vp_str p) {
  return s.n >= p.n && !memcmp(s.p + s.n - p.n, p.p, (size_t)p.n);
}

// Simple one-to-one case mapping (LANGUAGE.md 9), independent of the
// locale, for the scripts whose pairs follow a fixed offset: ASCII,
// Latin-1, Latin Extended-A, Greek and Cyrillic. Other code points, and
// letters without a one-to-one partner such as 'ß', keep their bytes.
static uint32_t map_code_point(uint32_t c, bool upper) {
  if (upper) {
    if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7) ||
        (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) ||
        (c >= 0x430 && c <= 0x44f))
      return c - 32;
    if (c >= 0x450 && c <= 0x45f)
      return c - 80;
    if (c == 0xff)
      return 0x178;
    if (c >= 0x100 && c <= 0x17f && c != 0x131 && c != 0x138 &&
        c != 0x149 && c != 0x17f &&
        ((c < 0x139 || c > 0x148) ? (c & 1) : !(c & 1)) && c < 0x178)
      return c - 1;
    if (c == 0x17a || c == 0x17c || c == 0x17e)
      return c - 1;
    return c;
  }
  if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
      (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) || (c >= 0x410 && c <= 0x42f))
    return c + 32;
  if (c >= 0x400 && c <= 0x40f)
    return c + 80;
  if (c == 0x178)
    return 0xff;
  if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x138 &&
      c != 0x149 && ((c < 0x139 || c > 0x148) ? !(c & 1) : (c & 1)) &&
      c < 0x178)
    return c + 1;
  if (c == 0x179 || c == 0x17b || c == 0x17d)
    return c + 1;
  return c;
}

// Decodes the UTF-8 sequence at p (n bytes left); sets *len. Invalid
// bytes decode as themselves, one at a time.
static uint32_t decode_utf8(const unsigned char *p, int64_t n, int *len) {
  unsigned char b = p[0];
  int need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  if (need == 1 || need > n) {
    *len = 1;
    return b;
  }
  uint32_t c = b & (0x7f >> need);
  for (int i = 1; i < need; i++) {
    if ((p[i] & 0xc0) != 0x80) {
      *len = 1;
      return b;
    }
    c = (c << 6) | (p[i] & 0x3f);
  }
  *len = need;
  return c;
}

static int encode_utf8(uint32_t c, char *out) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xc0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  out[0] = (char)(0xe0 | (c >> 12));
  out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
  out[2] = (char)(0x80 | (c & 0x3f));
  return 3;
}

static vp_str map_case(vp_str s, bool upper) {
  // Mapped letters keep their encoded length, except U+00FF <-> U+0178.
  char *p = vp_arena_alloc(vp_event_arena, (size_t)s.n * 2 + 1);
  int64_t w = 0;
  const unsigned char *in = (const unsigned char *)s.p;
  for (int64_t i = 0; i < s.n;) {
    int len;
    uint32_t c = decode_utf8(in + i, s.n - i, &len);
    // A stray byte (len 1, not ASCII) is not a code point: kept as is.
    uint32_t m = len == 1 && c >= 0x80 ? c : map_code_point(c, upper);
    if (m == c) {
      memcpy(p + w, in + i, (size_t)len);
      w += len;
    } else {
      w += encode_utf8(m, p + w);
    }
    i += len;
  }
  p[w] = '\0';
  return (vp_str){ p, w };
}

vp_str vp_str_upper(vp_str s) {
  return map_case(s, true);
}

vp_str vp_str_lower(vp_str s) {
  return map_case(s, false);
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

vp_str vp_str_trim(vp_str s) {
  while (s.n && is_space(s.p[0])) {
    s.p++;
    s.n--;
  }
  while (s.n && is_space(s.p[s.n - 1]))
    s.n--;
  return s;
}

int64_t vp_str_len(vp_str s) {
  return s.n;
}

static vp_str arena_text(const char *buf, int n) {
  return (vp_str){ vp_arena_dup(vp_event_arena, buf, (size_t)n), n };
}

vp_str vp_int_to_str(int64_t v) {
  char buf[32];
  return arena_text(buf, snprintf(buf, sizeof buf, "%lld", (long long)v));
}

vp_str vp_float_to_str(double v) {
  char buf[40];
  return arena_text(buf, vp_fmt_float(buf, v));
}

vp_str vp_bool_to_str(bool v) {
  return v ? VP_STR_LIT("true") : VP_STR_LIT("false");
}

vp_str vp_time_to_str(int64_t ns) {
  char buf[48];
  return arena_text(buf, vp_fmt_time(buf, ns));
}

vp_str vp_duration_to_str(int64_t ns) {
  return vp_int_to_str(ns);
}

static _Noreturn void conversion_failed(const char *fn, vp_str s) {
  vp_raise("conversion failed: %s(\"%.*s\")", fn, (int)s.n, s.p);
}

int64_t vp_str_to_int(vp_str s) {
  char buf[64];
  if (s.n == 0 || s.n >= (int64_t)sizeof buf)
    conversion_failed("to_int", s);
  memcpy(buf, s.p, (size_t)s.n);
  buf[s.n] = '\0';
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (errno || *end || is_space(buf[0]))
    conversion_failed("to_int", s);
  return v;
}

double vp_str_to_float(vp_str s) {
  char buf[128];
  if (s.n == 0 || s.n >= (int64_t)sizeof buf)
    conversion_failed("to_float", s);
  memcpy(buf, s.p, (size_t)s.n);
  buf[s.n] = '\0';
  char *end;
  double v = strtod(buf, &end);
  if (*end || is_space(buf[0]))
    conversion_failed("to_float", s);
  return v;
}

int64_t vp_f64_to_int(double v, const char *fn) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) {
    if (v != v || isinf(v))
      vp_raise("invalid argument: %s: not a finite number", fn);
    vp_raise("integer overflow");
  }
  return (int64_t)v;
}

int64_t vp_round_i64(double v) {
  return vp_f64_to_int(round(v), "round");
}

double vp_round_places(double v, int64_t n) {
  if (n < -308 || n > 308)
    vp_raise("invalid argument: round: %lld decimals",
             (long long)n);
  double scale = pow(10.0, (double)(n < 0 ? -n : n));
  if (n < 0)
    return round(v / scale) * scale;
  double r = round(v * scale) / scale;
  return isfinite(r) ? r : v;
}

int64_t vp_floor_i64(double v) {
  return vp_f64_to_int(floor(v), "floor");
}

int64_t vp_ceil_i64(double v) {
  return vp_f64_to_int(ceil(v), "ceil");
}

const char *vp_field_mismatch(const char *field, const char *want,
                              const vp_value *v) {
  const char *got = vp_kind_name(v->kind);
  // Digits beyond the int range read as a float: say why.
  if (!strcmp(want, "int") && v->kind == VP_KIND_FLOAT &&
      v->u.f == floor(v->u.f) && fabs(v->u.f) >= 0x1p63)
    got = "a whole number beyond the int range";
  size_t n = strlen(field) + strlen(want) + strlen(got) + 32;
  char *p = vp_arena_alloc(vp_event_arena, n);
  snprintf(p, n, "field %s: expected %s, got %s", field, want, got);
  return p;
}

const char *vp_field_missing(const char *field) {
  size_t n = strlen(field) + 20;
  char *p = vp_arena_alloc(vp_event_arena, n);
  snprintf(p, n, "missing field: %s", field);
  return p;
}
