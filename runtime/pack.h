// Flat byte encoding of records. Generated code packs an event before it
// enters a concurrent region (the bytes travel through a shared-memory ring)
// and unpacks it in the worker; strings unpack as views into the bytes, so
// nothing is copied twice.
// SPDX-License-Identifier: MIT
#ifndef VP_PACK_H
#define VP_PACK_H

#include <stdint.h>
#include <string.h>

#include "value.h"

// A growable byte buffer owned by its user (malloc'd, reused across events).
typedef struct vp_buf {
  uint8_t *p;
  size_t n;
  size_t cap;
} vp_buf;

void vp_buf_grow(vp_buf *b, size_t extra);
void vp_buf_free(vp_buf *b);

static inline void vp_buf_put(vp_buf *b, const void *src, size_t n) {
  if (n == 0)
    return;  // src may be NULL then (an empty buffer's bytes)
  if (b->cap - b->n < n)
    vp_buf_grow(b, n);
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

static inline void vp_buf_i64(vp_buf *b, int64_t v) {
  vp_buf_put(b, &v, sizeof v);
}

static inline void vp_buf_f64(vp_buf *b, double v) {
  vp_buf_put(b, &v, sizeof v);
}

static inline void vp_buf_u8(vp_buf *b, uint8_t v) {
  vp_buf_put(b, &v, 1);
}

static inline void vp_buf_str(vp_buf *b, vp_str s) {
  vp_buf_i64(b, s.n);
  vp_buf_put(b, s.p, (size_t)s.n);
}

// A reader over packed bytes. The bytes were written by the same program, so
// the reader trusts them.
typedef struct vp_rd {
  const uint8_t *p;
  const uint8_t *end;
} vp_rd;

static inline int64_t vp_rd_i64(vp_rd *r) {
  int64_t v;
  memcpy(&v, r->p, sizeof v);
  r->p += sizeof v;
  return v;
}

static inline double vp_rd_f64(vp_rd *r) {
  double v;
  memcpy(&v, r->p, sizeof v);
  r->p += sizeof v;
  return v;
}

static inline uint8_t vp_rd_u8(vp_rd *r) {
  return *r->p++;
}

static inline vp_str vp_rd_str(vp_rd *r) {
  vp_str s;
  s.n = vp_rd_i64(r);
  s.p = (const char *)r->p;
  r->p += s.n;
  return s;
}

#endif
