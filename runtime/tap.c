// .tap counters (see tap.h).
// SPDX-License-Identifier: MIT
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckpt.h"
#include "dyn.h"
#include "pack.h"
#include "partition.h"
#include "run.h"

typedef struct tap_entry {
  const char *counter, *stream;
  int nlabels;
  const char *const *names;
  uint8_t *key;  // counter, stream, then the packed label values
  size_t keylen, values_at;
  uint64_t hash;
  int64_t count;
  struct tap_entry *chain;
} tap_entry;

static tap_entry **entries;
static size_t nentries, capentries;
static tap_entry *buckets[1024];
static vp_buf keybuf;

// A new entry for the key in keybuf, its label values from byte at on.
static tap_entry *add_entry(uint64_t h, size_t at) {
  tap_entry *e = calloc(1, sizeof *e);
  if (!e || !(e->key = malloc(keybuf.n)))
    vp_arena_oom();
  memcpy(e->key, keybuf.p, keybuf.n);
  e->keylen = keybuf.n;
  e->values_at = at;
  e->hash = h;
  tap_entry **b = &buckets[h & 1023];
  e->chain = *b;
  *b = e;
  if (nentries == capentries) {
    capentries = capentries ? capentries * 2 : 16;
    entries = realloc(entries, capentries * sizeof *entries);
    if (!entries)
      vp_arena_oom();
  }
  entries[nentries++] = e;
  return e;
}

void vp_tap(const char *counter, const char *stream, int nlabels,
            const char *const *names, const vp_value *values) {
  keybuf.n = 0;
  vp_buf_put(&keybuf, counter, strlen(counter) + 1);
  vp_buf_put(&keybuf, stream, strlen(stream) + 1);
  size_t at = keybuf.n;
  for (int i = 0; i < nlabels; i++)
    vp_pack_value(&keybuf, &values[i]);
  uint64_t h = vp_fnv1a64(VP_FNV_OFFSET, keybuf.p, keybuf.n);
  tap_entry **b = &buckets[h & 1023];
  for (tap_entry *e = *b; e; e = e->chain) {
    if (e->hash == h && e->keylen == keybuf.n &&
        !memcmp(e->key, keybuf.p, keybuf.n)) {
      e->count++;
      return;
    }
  }
  tap_entry *e = add_entry(h, at);
  e->counter = counter;
  e->stream = stream;
  e->nlabels = nlabels;
  e->names = names;
  e->count = 1;
}

void vp_taps_write(vp_out *o) {
  for (size_t i = 0; i < nentries; i++) {
    tap_entry *e = entries[i];
    vp_w_obj_begin(o);
    vp_w_key(o, "counter", 7);
    vp_w_str(o, (vp_str){ e->counter, (int64_t)strlen(e->counter) });
    vp_w_key(o, "stream", 6);
    vp_w_str(o, (vp_str){ e->stream, (int64_t)strlen(e->stream) });
    vp_w_key(o, "labels", 6);
    vp_w_obj_begin(o);
    vp_rd rd = { e->key + e->values_at, e->key + e->keylen };
    for (int j = 0; j < e->nlabels; j++) {
      vp_value v = vp_unpack_value(&rd);
      vp_w_key(o, e->names[j], strlen(e->names[j]));
      vp_w_value(o, &v);
    }
    vp_w_obj_end(o);
    vp_w_key(o, "count", 5);
    vp_w_int(o, e->count);
    vp_w_obj_end(o);
  }
}

// Checkpoints (7.3): each entry as its key, label names and count. A
// loaded entry owns copies of its names, which live for the run.

void vp_taps_save(vp_buf *b) {
  vp_buf_i64(b, (int64_t)nentries);
  for (size_t i = 0; i < nentries; i++) {
    const tap_entry *e = entries[i];
    vp_buf_str(b, (vp_str){ (const char *)e->key, (int64_t)e->keylen });
    vp_buf_i64(b, (int64_t)e->values_at);
    vp_buf_i64(b, e->nlabels);
    for (int j = 0; j < e->nlabels; j++)
      vp_buf_str(b, (vp_str){ e->names[j], (int64_t)strlen(e->names[j]) });
    vp_buf_i64(b, e->count);
  }
}

static char *dup_str(vp_str s) {
  char *p = malloc((size_t)s.n + 1);
  if (!p)
    vp_arena_oom();
  memcpy(p, s.p, (size_t)s.n);
  p[s.n] = 0;
  return p;
}

static void load_entry(vp_rd *r) {
  vp_str key = vp_ckpt_str(r);
  int64_t at = vp_ckpt_i64(r);
  int64_t nlabels = vp_ckpt_i64(r);
  keybuf.n = 0;
  vp_buf_put(&keybuf, key.p, (size_t)key.n);
  // The key starts with the counter and stream names, each ending in 0.
  size_t c = strnlen((const char *)keybuf.p, keybuf.n);
  if (c + 1 >= keybuf.n || at < 0 || (size_t)at > keybuf.n || nlabels < 0)
    vp_ckpt_corrupt();
  tap_entry *e = add_entry(vp_fnv1a64(VP_FNV_OFFSET, keybuf.p, keybuf.n),
                           (size_t)at);
  e->counter = (const char *)e->key;
  e->stream = (const char *)e->key + c + 1;
  e->nlabels = (int)nlabels;
  const char **names = calloc((size_t)nlabels + 1, sizeof *names);
  if (!names)
    vp_arena_oom();
  for (int64_t j = 0; j < nlabels; j++)
    names[j] = dup_str(vp_ckpt_str(r));
  e->names = names;
  e->count = vp_ckpt_i64(r);
}

void vp_taps_load(vp_rd *r) {
  int64_t n = vp_ckpt_i64(r);
  for (int64_t i = 0; i < n; i++)
    load_entry(r);
}
