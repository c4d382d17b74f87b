// Windows (LANGUAGE.md 5.5) and the keyed state behind them: every
// partition key has its own window, found in a hash table by the key's
// canonical encoding (5.4), so keys whose hashes collide stay apart. The
// window holds its events packed (vp_meta then the record, as generated
// code packs them) and hands released batches to a callback of generated
// code, which runs the rest of the stream and reports, per event, whether
// it produced or contributed to an output (8.9 fates).
// SPDX-License-Identifier: MIT
#ifndef VP_WINDOW_H
#define VP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pack.h"
#include "partition.h"
#include "value.h"

// Records a keyed region's workers exchange with the main thread besides
// events (5.7): the end-of-input marker, the fates of an outcome, the dead
// letter of a record that failed after the marker released it, and the
// checkpoint barrier (7.3), on which a worker saves its state.
#define VP_FINISH_SEQ (INT64_MIN + 1)
#define VP_FATES_SEQ INT64_MIN
#define VP_DEAD_SEQ (INT64_MIN + 2)
#define VP_CKPT_SEQ (INT64_MIN + 3)

typedef enum vp_win_kind {
  VP_WIN_COUNT,          // .window(N)
  VP_WIN_COUNT_SLIDING,  // .window(N, sliding: S)
  VP_WIN_TIME,           // .window(D), data-aligned
  VP_WIN_TIME_SLIDING,   // .window(D, sliding: S)
  VP_WIN_SESSION,        // .window(session: G)
} vp_win_kind;

// One kept event: its time and where its packed bytes lie.
typedef struct vp_win_item {
  int64_t time_ns;
  size_t off, len;
  bool released;  // was part of a released batch
  bool passed;    // ... that produced an output
  bool done;      // its fate is counted (dead-lettered)
} vp_win_item;

// A released batch: items[0..n) of one key, in arrival order; the record
// bytes of item i are bytes + items[i].off. The callback stores in out[i]
// the number of outputs event i produced or contributed to, or -1 when it
// was dead-lettered.
typedef struct vp_win_batch {
  const vp_win_item *items;
  size_t n;
  const uint8_t *bytes;
  const uint8_t *key;  // the key's encoding, NULL when not partitioned
  size_t keylen;
  int64_t *out;
} vp_win_batch;

typedef void (*vp_win_release)(const vp_win_batch *b);

typedef struct vp_window vp_window;

// A window of the given kind: n and slide for count windows, dur and slide
// for time windows (ns), dur as the gap for sessions. Fates go to
// vp_counts[stream].
vp_window *vp_window_new(vp_win_kind kind, int64_t n, int64_t dur,
                         int64_t slide, int stream, vp_win_release release);

void vp_window_free(vp_window *w);

// Adds one event (already packed) of key k (NULL: the stream's one window)
// at event time t, and releases what the rules of 5.5 release.
void vp_window_add(vp_window *w, const vp_key *k, int64_t t,
                   const void *bytes, size_t len);

// Releases tumbling windows and sessions that the watermark wm closes
// (5.5, 7.2).
void vp_window_watermark(vp_window *w, int64_t wm);

// End of input: releases sessions, and every other window when all is
// set (--flush-windows-at-eof); counts what stays as held (8.9). Keys are
// finished one at a time; when enough is given and returns true before a
// key, the call stops there and returns false, and a later call goes on
// with the keys left. Returns true when every key is finished.
bool vp_window_finish(vp_window *w, bool all, bool (*enough)(void));

// Checkpoints (7.3): appends the window's state to b; loads such state
// into a new window of the same kind.
void vp_window_save(const vp_window *w, vp_buf *b);
void vp_window_load(vp_window *w, vp_rd *r);

// The message of a late event's dead letter (7.2), in the event arena.
vp_str vp_window_late_message(int64_t t, int64_t wm, int64_t lateness);

// Orderings for .order_by (5.4): -1, 0 or 1; NaN after numbers, nulls
// first, values of different kinds by kind.
int vp_window_cmp_f64(double a, double b);
int vp_window_cmp_str(vp_str a, vp_str b);
int vp_window_cmp_any(vp_value a, vp_value b);

#endif
