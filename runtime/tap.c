// .tap counters (see tap.h).
// SPDX-License-Identifier: MIT
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
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
  tap_entry *e = calloc(1, sizeof *e);
  if (!e || !(e->key = malloc(keybuf.n)))
    vp_arena_oom();
  memcpy(e->key, keybuf.p, keybuf.n);
  e->keylen = keybuf.n;
  e->values_at = at;
  e->hash = h;
  e->counter = counter;
  e->stream = stream;
  e->nlabels = nlabels;
  e->names = names;
  e->count = 1;
  e->chain = *b;
  *b = e;
  if (nentries == capentries) {
    capentries = capentries ? capentries * 2 : 16;
    entries = realloc(entries, capentries * sizeof *entries);
    if (!entries)
      vp_arena_oom();
  }
  entries[nentries++] = e;
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
