// Folding windows (LANGUAGE.md 5.5, 5.6): a tumbling count window of n
// events per key that an aggregate follows, when every call of the
// aggregate can be updated event by event. Instead of the events, each key
// keeps the aggregate's running state (state_size bytes of generated code,
// copied from init when a window opens), its first event when first() is
// used, its last event when windows are released at the end of input, and
// the first error an update raised. A key's count, hash, short key and
// state share one slot of an array, so an event touches one slot, and the
// memory per key does not grow with n.
// SPDX-License-Identifier: MIT
#ifndef VP_FOLD_H
#define VP_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pack.h"
#include "partition.h"
#include "value.h"

// A closed window.
typedef struct vp_fold_batch {
  int64_t n;  // its events
  const void *state;
  // The kept events, packed as vp_meta then the record; last is NULL when
  // it is the event in hand.
  const uint8_t *first, *last;
  size_t first_len, last_len;
  // The first error an update raised, or NULL: the window is dead-lettered
  // with it, as the same error raised over the kept events would have.
  const char *err_kind;
  vp_str err_message;
  const uint8_t *key;  // the key's encoding, NULL when not partitioned
  size_t keylen;
} vp_fold_batch;

// Runs the rest of the stream on a closed window; returns how many
// outputs it produced, or -1 when it was dead-lettered.
typedef int64_t (*vp_fold_release)(const vp_fold_batch *b);

typedef struct vp_fold vp_fold;

// Fates go to vp_counts[stream], as for vp_window.
vp_fold *vp_fold_new(int64_t n, int stream, const void *init,
                     size_t state_size, bool keeps_first,
                     vp_fold_release release);
void vp_fold_free(vp_fold *f);

// One event of key k (NULL: the stream's one window) joins its window:
// vp_fold_add returns the window's state for the caller to update with
// the event, or NULL when an update raised in this window already. When
// vp_fold_wants_event says so, the caller hands the event, packed as
// vp_meta then the record, to vp_fold_keep. It reports an update's error
// with vp_fold_fail, and ends the event with vp_fold_done, which releases
// the window once it holds n events, the event in hand being its last.
// The state stays where it is until the next vp_fold_add.
void *vp_fold_add(vp_fold *f, const vp_key *k);
bool vp_fold_wants_event(const vp_fold *f);
void vp_fold_keep(vp_fold *f, const void *bytes, size_t len);
void vp_fold_fail(vp_fold *f, const char *kind, vp_str message);
void vp_fold_done(vp_fold *f);

// End of input, as vp_window_finish: releases the open windows when all
// is set, else counts their events as held.
bool vp_fold_finish(vp_fold *f, bool all, bool (*enough)(void));

// Checkpoints (7.3).
void vp_fold_save(const vp_fold *f, vp_buf *b);
void vp_fold_load(vp_fold *f, vp_rd *r);

#endif
