// Shared state of the line parsers json.c and evt.c, used by input.c: the
// cursor over one line, the limits of LANGUAGE.md 8.2, a scratch stack that
// holds the members of open containers, and map building with duplicate
// keys merged (first position, last value).
// SPDX-License-Identifier: MIT
#ifndef VP_SCAN_H
#define VP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "value.h"

enum {
  VP_SCAN_MAX_LINE = 1024 * 1024,  // bytes, without the line break
  VP_SCAN_MAX_DEPTH = 32,          // nested maps and arrays
  VP_SCAN_MAX_FIELDS = 1024,       // members of one map
};

typedef struct vp_scan {
  const char *p;     // cursor in the line (a NUL-terminated arena copy)
  const char *end;   // end of the line
  vp_arena *a;       // where values of the record go
  const char *err;   // first error, a static message
  int depth;         // containers open

  // Members of open containers, innermost last.
  vp_str *keys;
  vp_value *vals;
  int64_t n;
  int64_t cap;

  // Hash slots for merging duplicate keys of large maps.
  uint32_t *slots;
  size_t nslots;
} vp_scan;

// Points s at line[0..n) (line[n] must be NUL), allocating into a.
void vp_scan_start(vp_scan *s, const char *line, size_t n, vp_arena *a);

void vp_scan_free(vp_scan *s);

// Records msg as the error unless one is recorded; returns false.
bool vp_scan_fail(vp_scan *s, const char *msg);

static inline void vp_scan_skip_ws(vp_scan *s) {
  while (s->p < s->end &&
         (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
    s->p++;
}

// Enters a container; fails when that exceeds the depth limit.
bool vp_scan_enter(vp_scan *s);

static inline void vp_scan_leave(vp_scan *s) {
  s->depth--;
}

// Makes room for more members on the scratch stack (vp_scan_push's slow
// path).
void vp_scan_grow(vp_scan *s);

// Pushes one member (key.p is NULL in arrays) on the scratch stack.
static inline void vp_scan_push(vp_scan *s, vp_str key, const vp_value *v) {
  if (s->n == s->cap)
    vp_scan_grow(s);
  s->keys[s->n] = key;
  s->vals[s->n] = *v;
  s->n++;
}

// Pops the members above base into an arena list: an array, or a map with
// duplicate keys merged, which fails beyond limit members (the top-level
// JSON object may hold its type key besides VP_SCAN_MAX_FIELDS fields).
bool vp_scan_pop_array(vp_scan *s, int64_t base, vp_value *out);
bool vp_scan_pop_map(vp_scan *s, int64_t base, int64_t limit,
                     vp_value *out);

// Like vp_scan_pop_map for the outermost map of a line, without copying:
// out's keys and items point into the scratch stack, valid until the next
// vp_scan_start or vp_scan_free on s.
bool vp_scan_pop_map_view(vp_scan *s, int64_t base, int64_t limit,
                          vp_list *out);

// Whether p[0..n) is an optional sign and digits that fit int64, the
// spelling of an int; sets *out then.
bool vp_scan_int(const char *p, size_t n, int64_t *out);

// Classifies a bare .evt word: true, false, null, nil, int, float, or else
// the string itself.
void vp_scan_word(vp_scan *s, const char *p, size_t n, vp_value *out);

// Returns true when p[0..n) is valid UTF-8 (no overlongs, no surrogates).
bool vp_utf8_valid(const char *p, size_t n);

// FNV-1a 32 over the bytes of a name, for hash slots.
uint32_t vp_scan_hash(const char *p, size_t n);

#endif
