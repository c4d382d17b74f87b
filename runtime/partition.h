// Partitioning of a concurrent region's events over its worker slots
// (LANGUAGE.md 5.4 canonical key encoding, 5.7 routing). Stable across runs
// and machines: the slot of a key depends only on its bytes and N.
// SPDX-License-Identifier: MIT
#ifndef VP_PARTITION_H
#define VP_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "value.h"

// Canonical key encoding: a tag byte then the value's bytes. Each function
// writes into buf (at least 9 bytes, or 1 + s.n for a string, which is
// written as a view: the caller passes buf for the tag only and the string
// bytes follow by hashing). To keep hashing allocation-free, keys are hashed
// piecewise: start with vp_key_hash_init, feed the encoding, finish.
enum {
  VP_KEY_NULL = 0,
  VP_KEY_BOOL = 1,
  VP_KEY_INT = 2,
  VP_KEY_FLOAT = 3,
  VP_KEY_STR = 4,
  VP_KEY_TIMESTAMP = 5,
  VP_KEY_DURATION = 6,
};

// FNV-1a 64 over bytes, continuing from h (start with VP_FNV_OFFSET).
#define VP_FNV_OFFSET 14695981039346656037ULL
uint64_t vp_fnv1a64(uint64_t h, const void *p, size_t n);

// Hash of the canonical encoding of one scalar key.
uint64_t vp_key_hash_null(void);
uint64_t vp_key_hash_bool(bool v);
uint64_t vp_key_hash_int(int64_t v);        // also VP_KEY_TIMESTAMP/DURATION
uint64_t vp_key_hash_tagged_i64(int tag, int64_t v);
uint64_t vp_key_hash_float(double v);       // -0.0 -> 0.0, one NaN
uint64_t vp_key_hash_str(vp_str s);

// A partition key's canonical encoding (5.4): a tag byte and the value's
// bytes. Generated code fills one per partition stage.
typedef struct vp_key {
  uint8_t *p;
  size_t n, cap;
  uint64_t hash;  // of the encoding, set with it: keyed state and
                  // dispatch both need it for every event
} vp_key;

void vp_key_null(vp_key *k);
void vp_key_bool(vp_key *k, bool v);
void vp_key_i64(vp_key *k, int tag, int64_t v);  // int, timestamp, duration
void vp_key_float(vp_key *k, double v);
void vp_key_str(vp_key *k, vp_str s);
void vp_key_any(vp_key *k, vp_value v);  // scalars only, else raises
// Any value: a scalar's encoding, else the tag 7 and the packed value.
void vp_key_value(vp_key *k, vp_value v);
// A key of the n bytes of an encoding at p, which it points at.
vp_key vp_key_view(const void *p, size_t n);

static inline uint64_t vp_key_hash(const vp_key *k) {
  return k->hash;
}

// Whether the encodings a and b, both n bytes long, are equal. Keyed state
// compares one for every event, and most keys are short: 4 to 16 bytes are
// compared as two overlapping words, without a call.
static inline bool vp_key_same(const uint8_t *a, const uint8_t *b, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    memcpy(&a1, a + n - 8, 8);
    memcpy(&b1, b + n - 8, 8);
    return a0 == b0 && a1 == b1;
  }
  if (n >= 4 && n < 8) {
    uint32_t a0, a1, b0, b1;
    memcpy(&a0, a, 4);
    memcpy(&b0, b, 4);
    memcpy(&a1, a + n - 4, 4);
    memcpy(&b1, b + n - 4, 4);
    return a0 == b0 && a1 == b1;
  }
  return n == 0 || !memcmp(a, b, n);
}
// Sets k to an encoding made elsewhere (a region's worker, 5.7).
void vp_key_set(vp_key *k, const void *p, size_t n);
// The canonical string of an encoded key (5.4), in the event arena.
vp_str vp_key_text(const uint8_t *p, size_t n);

// Lamping-Veach jump consistent hash: a bucket in [0, n) for n >= 1.
int32_t vp_jump_hash(uint64_t key, int32_t n);

#endif
