// Partition keys (see partition.h): FNV-1a 64 over the canonical encoding of
// LANGUAGE.md 5.4 and jump consistent hashing of 5.7. Generated code hashes
// the routing key on the main thread and region.c maps the hash to a slot.
// SPDX-License-Identifier: MIT
#include "partition.h"

#include <math.h>
#include <string.h>

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
