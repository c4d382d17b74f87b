// Parse state shared by json.c and evt.c (see scan.h). Containers collect
// their members on one scratch stack owned by the input, so parsing a line
// allocates only the final lists, in the record's arena.
// SPDX-License-Identifier: MIT
#include "scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

void vp_scan_start(vp_scan *s, const char *line, size_t n, vp_arena *a) {
  s->p = line;
  s->end = line + n;
  s->a = a;
  s->err = NULL;
  s->depth = 0;
  s->n = 0;
}

void vp_scan_free(vp_scan *s) {
  free(s->keys);
  free(s->vals);
  free(s->slots);
  s->keys = NULL;
  s->vals = NULL;
  s->slots = NULL;
  s->n = s->cap = 0;
  s->nslots = 0;
}

bool vp_scan_fail(vp_scan *s, const char *msg) {
  if (!s->err)
    s->err = msg;
  return false;
}

bool vp_scan_enter(vp_scan *s) {
  if (s->depth >= VP_SCAN_MAX_DEPTH)
    return vp_scan_fail(s, "nesting too deep (limit 32)");
  s->depth++;
  return true;
}

void vp_scan_grow(vp_scan *s) {
  int64_t cap = s->cap ? s->cap * 2 : 256;
  vp_str *k = realloc(s->keys, (size_t)cap * sizeof *k);
  if (!k)
    vp_arena_oom();
  s->keys = k;
  vp_value *vals = realloc(s->vals, (size_t)cap * sizeof *vals);
  if (!vals)
    vp_arena_oom();
  s->vals = vals;
  s->cap = cap;
}

static vp_list *new_list(vp_scan *s, int64_t n, bool map) {
  vp_list *l = vp_arena_alloc(s->a, sizeof *l);
  l->n = n;
  l->items = n ? vp_arena_alloc(s->a, (size_t)n * sizeof *l->items) : NULL;
  l->keys = NULL;
  if (map)
    l->keys = vp_arena_alloc(s->a, (size_t)(n ? n : 1) * sizeof *l->keys);
  return l;
}

bool vp_scan_pop_array(vp_scan *s, int64_t base, vp_value *out) {
  int64_t n = s->n - base;
  vp_list *l = new_list(s, n, false);
  if (n)
    memcpy(l->items, s->vals + base, (size_t)n * sizeof *l->items);
  s->n = base;
  out->kind = VP_KIND_ARRAY;
  out->u.list = l;
  return true;
}

static inline bool same_key(vp_str a, vp_str b) {
  return a.n == b.n && (a.n == 0 || (a.p[0] == b.p[0] &&
                                     memcmp(a.p, b.p, (size_t)a.n) == 0));
}

// Merges duplicates among few keys by comparing each with the kept ones.
static int64_t merge_small(vp_str *keys, vp_value *vals, int64_t n) {
  int64_t kept = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t j = 0;
    while (j < kept && !same_key(keys[j], keys[i]))
      j++;
    if (j == kept)
      keys[kept++] = keys[i];
    vals[j] = vals[i];
  }
  return kept;
}

// Merges duplicates among many keys through an open-addressing table of
// kept indexes plus one (0 marks a free slot).
static int64_t merge_large(vp_scan *s, vp_str *keys, vp_value *vals,
                           int64_t n) {
  size_t want = 16;
  while (want < (size_t)n * 2)
    want *= 2;
  if (s->nslots < want) {
    free(s->slots);
    s->slots = malloc(want * sizeof *s->slots);
    if (!s->slots)
      vp_arena_oom();
    s->nslots = want;
  }
  memset(s->slots, 0, want * sizeof *s->slots);

  int64_t kept = 0;
  for (int64_t i = 0; i < n; i++) {
    size_t h = vp_scan_hash(keys[i].p, (size_t)keys[i].n) & (want - 1);
    while (s->slots[h] && !same_key(keys[s->slots[h] - 1], keys[i]))
      h = (h + 1) & (want - 1);
    if (!s->slots[h]) {
      s->slots[h] = (uint32_t)(kept + 1);
      keys[kept++] = keys[i];
    }
    vals[s->slots[h] - 1] = vals[i];
  }
  return kept;
}

// A cheap fingerprint of a key, one of 64 bits.
static inline uint64_t key_bit(vp_str k) {
  size_t h = (size_t)k.n * 7;
  if (k.n)
    h += (unsigned char)k.p[0] * 3 + (unsigned char)k.p[k.n - 1];
  return (uint64_t)1 << (h & 63);
}

// Merges the members above base in place; returns how many are kept.
static int64_t merge(vp_scan *s, int64_t base) {
  int64_t n = s->n - base;
  vp_str *keys = s->keys + base;
  vp_value *vals = s->vals + base;
  if (n <= 8) {
    // Distinct fingerprints prove that there is nothing to merge.
    uint64_t seen = 0;
    int64_t i = 0;
    for (; i < n; i++) {
      uint64_t b = key_bit(keys[i]);
      if (seen & b)
        break;
      seen |= b;
    }
    return i == n ? n : merge_small(keys, vals, n);
  }
  return merge_large(s, keys, vals, n);
}

bool vp_scan_pop_map_view(vp_scan *s, int64_t base, int64_t limit,
                          vp_list *out) {
  int64_t n = merge(s, base);
  s->n = base;
  if (n > limit)
    return vp_scan_fail(s, "too many fields (limit 1024)");
  out->n = n;
  out->keys = s->keys ? s->keys + base : NULL;
  out->items = s->vals ? s->vals + base : NULL;
  return true;
}

bool vp_scan_pop_map(vp_scan *s, int64_t base, int64_t limit,
                     vp_value *out) {
  vp_str *keys = s->keys + base;
  vp_value *vals = s->vals + base;
  int64_t n = merge(s, base);
  s->n = base;
  if (n > limit)
    return vp_scan_fail(s, "too many fields (limit 1024)");

  vp_list *l = new_list(s, n, true);
  if (n) {
    memcpy(l->items, vals, (size_t)n * sizeof *l->items);
    memcpy(l->keys, keys, (size_t)n * sizeof *l->keys);
  }
  out->kind = VP_KIND_MAP;
  out->u.list = l;
  return true;
}

bool vp_scan_int(const char *p, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (p[i] == '+' || p[i] == '-'))
    neg = p[i++] == '-';
  if (i == n)
    return false;

  uint64_t v = 0;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < n; i++) {
    unsigned d = (unsigned char)p[i] - '0';
    if (d > 9 || v > (limit - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

static bool lower_eq(const char *p, size_t n, const char *word) {
  size_t m = strlen(word);
  if (n != m)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return false;
  }
  return true;
}

// Returns true when p[0..n) reads as a decimal double, inf or nan (no hex
// floats, no nan(...) payloads).
static bool parse_float(vp_scan *s, const char *p, size_t n, double *out) {
  if (vp_num_parse_float(p, n, out))
    return true;

  // What is left: inf, infinity and nan in any case, with a sign.
  size_t i = (n > 0 && (p[0] == '+' || p[0] == '-')) ? 1 : 0;
  bool special = lower_eq(p + i, n - i, "inf") ||
                 lower_eq(p + i, n - i, "infinity") ||
                 lower_eq(p + i, n - i, "nan");
  if (!special) {
    bool digit = false;
    for (size_t j = i; j < n; j++) {
      char c = p[j];
      if (c >= '0' && c <= '9')
        digit = true;
      else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
        return false;
    }
    if (!digit)
      return false;
  }

  char small[64];
  char *copy = n < sizeof small ? small : vp_arena_alloc(s->a, n + 1);
  memcpy(copy, p, n);
  copy[n] = '\0';
  char *end;
  errno = 0;
  *out = strtod(copy, &end);
  return end == copy + n;
}

void vp_scan_word(vp_scan *s, const char *p, size_t n, vp_value *out) {
  if (n == 4 && memcmp(p, "true", 4) == 0) {
    out->kind = VP_KIND_BOOL;
    out->u.b = true;
  } else if (n == 5 && memcmp(p, "false", 5) == 0) {
    out->kind = VP_KIND_BOOL;
    out->u.b = false;
  } else if ((n == 4 && memcmp(p, "null", 4) == 0) ||
             (n == 3 && memcmp(p, "nil", 3) == 0)) {
    out->kind = VP_KIND_NULL;
  } else if (vp_scan_int(p, n, &out->u.i)) {
    out->kind = VP_KIND_INT;
  } else if (parse_float(s, p, n, &out->u.f)) {
    out->kind = VP_KIND_FLOAT;
  } else {
    out->kind = VP_KIND_STR;
    out->u.s = (vp_str){ p, (int64_t)n };
  }
}

// Checks one multi-byte sequence starting at p[i]; returns its length or 0.
static size_t utf8_seq(const unsigned char *p, size_t i, size_t n) {
  unsigned c = p[i];
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (n - i < len)
    return 0;
  if (p[i + 1] < lo || p[i + 1] > hi)
    return 0;
  for (size_t k = 2; k < len; k++) {
    if ((p[i + k] & 0xC0) != 0x80)
      return 0;
  }
  return len;
}

bool vp_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    // Skip ASCII eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL)
        break;
      i += 8;
    }
    if (i >= n)
      break;
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t len = utf8_seq(p, i, n);
    if (!len)
      return false;
    i += len;
  }
  return true;
}

uint32_t vp_scan_hash(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 16777619u;
  }
  return h;
}
