// Partition keys (see partition.h): FNV-1a 64 over the canonical encoding of
// LANGUAGE.md 5.4 and jump consistent hashing of 5.7. Generated code hashes
// the routing key on the main thread and region.c maps the hash to a slot.
// SPDX-License-Identifier: MIT
#include "partition.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dyn.h"
#include "err.h"
#include "output.h"
#include "run.h"

#define FNV_PRIME 1099511628211ULL

uint64_t vp_fnv1a64(uint64_t h, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) {
    h ^= s[i];
    h *= FNV_PRIME;
  }
  return h;
}

static uint64_t hash_tag(int tag) {
  unsigned char t = (unsigned char)tag;
  return vp_fnv1a64(VP_FNV_OFFSET, &t, 1);
}

// Feeds v as 8 little-endian bytes, whatever the host's byte order.
static uint64_t hash_le64(uint64_t h, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  return vp_fnv1a64(h, b, sizeof b);
}

uint64_t vp_key_hash_null(void) {
  return hash_tag(VP_KEY_NULL);
}

uint64_t vp_key_hash_bool(bool v) {
  unsigned char b = v ? 1 : 0;
  return vp_fnv1a64(hash_tag(VP_KEY_BOOL), &b, 1);
}

uint64_t vp_key_hash_int(int64_t v) {
  return vp_key_hash_tagged_i64(VP_KEY_INT, v);
}

uint64_t vp_key_hash_tagged_i64(int tag, int64_t v) {
  return hash_le64(hash_tag(tag), (uint64_t)v);
}

uint64_t vp_key_hash_float(double v) {
  uint64_t bits;
  if (isnan(v)) {
    bits = 0x7ff8000000000000ULL;  // the one canonical quiet NaN
  } else {
    if (v == 0.0)
      v = 0.0;  // -0.0 and 0.0 are one key
    memcpy(&bits, &v, sizeof bits);
  }
  return hash_le64(hash_tag(VP_KEY_FLOAT), bits);
}

uint64_t vp_key_hash_str(vp_str s) {
  return vp_fnv1a64(hash_tag(VP_KEY_STR), s.p, (size_t)s.n);
}

// Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm".
// The division is done in integers: (b + 1) * 2^31 < 2^63 for any int32 n,
// so the floor is exact where the paper's double arithmetic could round.
int32_t vp_jump_hash(uint64_t key, int32_t n) {
  int64_t b = -1, j = 0;
  while (j < n) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = (int64_t)(((uint64_t)(b + 1) << 31) / ((key >> 33) + 1));
  }
  return (int32_t)b;
}

// Keys as bytes: the canonical encoding itself, for keyed state.

static void key_reserve(vp_key *k, size_t n) {
  if (k->cap >= n)
    return;
  size_t cap = k->cap ? k->cap : 32;
  while (cap < n)
    cap *= 2;
  uint8_t *p = realloc(k->p, cap);
  if (!p)
    vp_arena_oom();
  k->p = p;
  k->cap = cap;
}

static void key_tag(vp_key *k, int tag, size_t extra) {
  key_reserve(k, 1 + extra);
  k->p[0] = (uint8_t)tag;
  k->n = 1;
}

static void key_le64(vp_key *k, uint64_t v) {
  for (int i = 0; i < 8; i++)
    k->p[k->n++] = (uint8_t)(v >> (8 * i));
}

// Every setter ends here: the hash is computed once per key.
static void key_done(vp_key *k) {
  k->hash = vp_fnv1a64(VP_FNV_OFFSET, k->p, k->n);
}

void vp_key_null(vp_key *k) {
  key_tag(k, VP_KEY_NULL, 0);
  key_done(k);
}

void vp_key_bool(vp_key *k, bool v) {
  key_tag(k, VP_KEY_BOOL, 1);
  k->p[k->n++] = v ? 1 : 0;
  key_done(k);
}

void vp_key_i64(vp_key *k, int tag, int64_t v) {
  key_tag(k, tag, 8);
  key_le64(k, (uint64_t)v);
  key_done(k);
}

void vp_key_float(vp_key *k, double v) {
  uint64_t bits;
  if (isnan(v)) {
    bits = 0x7ff8000000000000ULL;
  } else {
    if (v == 0.0)
      v = 0.0;
    memcpy(&bits, &v, sizeof bits);
  }
  key_tag(k, VP_KEY_FLOAT, 8);
  key_le64(k, bits);
  key_done(k);
}

void vp_key_str(vp_key *k, vp_str s) {
  key_tag(k, VP_KEY_STR, (size_t)s.n);
  memcpy(k->p + 1, s.p, (size_t)s.n);
  k->n += (size_t)s.n;
  key_done(k);
}

void vp_key_any(vp_key *k, vp_value v) {
  switch (v.kind) {
  case VP_KIND_NULL:
    vp_key_null(k);
    break;
  case VP_KIND_BOOL:
    vp_key_bool(k, v.u.b);
    break;
  case VP_KIND_INT:
    vp_key_i64(k, VP_KEY_INT, v.u.i);
    break;
  case VP_KIND_FLOAT:
    vp_key_float(k, v.u.f);
    break;
  case VP_KIND_STR:
    vp_key_str(k, v.u.s);
    break;
  default:
    vp_raise("invalid argument: partition_by: a key must be a scalar, got %s",
             vp_kind_name(v.kind));
  }
}

void vp_key_value(vp_key *k, vp_value v) {
  if (v.kind != VP_KIND_ARRAY && v.kind != VP_KIND_MAP) {
    vp_key_any(k, v);
    return;
  }
  vp_buf b = { 0 };
  vp_pack_value(&b, &v);
  key_tag(k, 7, b.n);
  memcpy(k->p + 1, b.p, b.n);
  k->n += b.n;
  vp_buf_free(&b);
  key_done(k);
}

void vp_key_set(vp_key *k, const void *p, size_t n) {
  key_reserve(k, n ? n : 1);
  if (n)
    memcpy(k->p, p, n);
  k->n = n;
  key_done(k);
}

vp_key vp_key_view(const void *p, size_t n) {
  vp_key k = { (uint8_t *)p, n, 0, 0 };
  key_done(&k);
  return k;
}

static int64_t rd_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return (int64_t)v;
}

vp_str vp_key_text(const uint8_t *p, size_t n) {
  char buf[48];
  int len = 0;
  if (!p || n == 0)
    return VP_STR_LIT("null");
  switch (p[0]) {
  case VP_KEY_BOOL:
    return p[1] ? VP_STR_LIT("true") : VP_STR_LIT("false");
  case VP_KEY_INT:
  case VP_KEY_DURATION:
    len = snprintf(buf, sizeof buf, "%lld", (long long)rd_le64(p + 1));
    break;
  case VP_KEY_FLOAT: {
    int64_t bits = rd_le64(p + 1);
    double v;
    memcpy(&v, &bits, sizeof v);
    len = vp_fmt_float(buf, v);
    break;
  }
  case VP_KEY_TIMESTAMP:
    len = vp_fmt_time(buf, rd_le64(p + 1));
    break;
  case VP_KEY_STR:
    return (vp_str){ vp_arena_dup(vp_event_arena, p + 1, n - 1),
                     (int64_t)(n - 1) };
  default:
    return VP_STR_LIT("null");
  }
  return (vp_str){ vp_arena_dup(vp_event_arena, buf, (size_t)len), len };
}
