// Folding windows (see fold.h).
// SPDX-License-Identifier: MIT
#include "fold.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckpt.h"
#include "err.h"
#include "run.h"

// What a key needs only now and then, allocated when first needed.
typedef struct fold_extra {
  uint8_t *key;        // a key longer than fslot.small
  vp_buf first, last;  // the open window's packed first and last events
  char *err_kind, *err_message;  // the first error an update raised
  size_t err_len;
} fold_extra;

// A key's slot; its state follows at STATE_OFFSET.
typedef struct fslot {
  uint64_t hash;
  int64_t n;  // events in the open window
  fold_extra *extra;
  uint32_t keylen;
  bool used;
  bool failed;  // an update raised in the open window: extra->err_*
  uint8_t small[16];  // keys of up to 16 bytes
} fslot;

#define ROUND_UP(x, a) (((x) + (a) - 1) / (a) * (a))
#define STATE_OFFSET ROUND_UP(sizeof(fslot), alignof(max_align_t))
#define SLOTS_ALIGN 64  // a cache line

struct vp_fold {
  int64_t n;
  int stream;
  vp_fold_release release;
  const void *init;
  size_t state_size;
  size_t slot_size;  // header and state
  bool keeps_first;
  // Whether a window's last event is kept: only a window released at the
  // end of input needs it after its event (--flush-windows-at-eof).
  bool keeps_last;
  // The slots themselves form the key table (open addressing), so that
  // finding a key's state takes one access to memory, not two: with as
  // many keys as in the benchmarks, the table does not stay in the
  // caches while the input streams through them.
  uint8_t *slots;  // tcap slots
  size_t tcap;
  size_t *order;  // the slot of each key, in first-seen order
  size_t nkeys, capkeys;
  fslot *cur;  // the slot of the event in hand
};

vp_fold *vp_fold_new(int64_t n, int stream, const void *init,
                     size_t state_size, bool keeps_first,
                     vp_fold_release release) {
  vp_fold *f = calloc(1, sizeof *f);
  if (!f)
    vp_arena_oom();
  f->n = n;
  f->stream = stream;
  f->release = release;
  f->init = init;
  f->state_size = state_size;
  f->slot_size = ROUND_UP(STATE_OFFSET + state_size, alignof(max_align_t));
  f->keeps_first = keeps_first;
  f->keeps_last = vp_flush_windows;
  return f;
}

static fslot *slot_at(const vp_fold *f, size_t i) {
  return (fslot *)(f->slots + i * f->slot_size);
}

static void *state_of(fslot *s) {
  return (uint8_t *)s + STATE_OFFSET;
}

static const uint8_t *key_of(const fslot *s) {
  return s->keylen <= sizeof s->small ? s->small : s->extra->key;
}

static fold_extra *extra_of(fslot *s) {
  if (!s->extra) {
    s->extra = calloc(1, sizeof *s->extra);
    if (!s->extra)
      vp_arena_oom();
  }
  return s->extra;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    vp_arena_oom();
  return p;
}

static char *copy_text(const char *p, size_t n) {
  char *c = xmalloc(n + 1);
  if (n)
    memcpy(c, p, n);
  c[n] = 0;
  return c;
}

static void clear_error(fslot *s) {
  if (!s->failed)
    return;
  free(s->extra->err_kind);
  free(s->extra->err_message);
  s->extra->err_kind = s->extra->err_message = NULL;
  s->extra->err_len = 0;
  s->failed = false;
}

void vp_fold_free(vp_fold *f) {
  if (!f)
    return;
  for (size_t i = 0; i < f->nkeys; i++) {
    fslot *s = slot_at(f, f->order[i]);
    clear_error(s);
    if (s->extra) {
      free(s->extra->key);
      vp_buf_free(&s->extra->first);
      vp_buf_free(&s->extra->last);
      free(s->extra);
    }
  }
  free(f->slots);
  free(f->order);
  free(f);
}

static uint8_t *new_slots(size_t n, size_t slot_size) {
  size_t size = ROUND_UP(n * slot_size, SLOTS_ALIGN);
  uint8_t *p = aligned_alloc(SLOTS_ALIGN, size);
  if (!p)
    vp_arena_oom();
  memset(p, 0, size);
  return p;
}

static size_t free_slot(const vp_fold *f, uint64_t h) {
  size_t mask = f->tcap - 1, i = (size_t)h & mask;
  while (slot_at(f, i)->used)
    i = (i + 1) & mask;
  return i;
}

// Doubles the table, moving each slot whole in first-seen order: nothing
// points into a slot but cur, which is set after.
static void grow(vp_fold *f) {
  uint8_t *old = f->slots;
  size_t slot_size = f->slot_size;
  f->tcap = f->tcap ? f->tcap * 2 : 64;
  f->slots = new_slots(f->tcap, slot_size);
  for (size_t i = 0; i < f->nkeys; i++) {
    const fslot *s = (const fslot *)(old + f->order[i] * slot_size);
    size_t j = free_slot(f, s->hash);
    memcpy(slot_at(f, j), s, slot_size);
    f->order[i] = j;
  }
  free(old);
}

static fslot *add_slot(vp_fold *f, uint64_t h, const uint8_t *key,
                       size_t len) {
  if (len > UINT32_MAX)
    vp_raise("invalid argument: partition key of %zu bytes", len);
  if ((f->nkeys + 1) * 2 > f->tcap)
    grow(f);
  if (f->nkeys == f->capkeys) {
    f->capkeys = f->capkeys ? f->capkeys * 2 : 64;
    f->order = realloc(f->order, f->capkeys * sizeof *f->order);
    if (!f->order)
      vp_arena_oom();
  }
  size_t i = free_slot(f, h);
  f->order[f->nkeys++] = i;
  fslot *s = slot_at(f, i);
  s->used = true;
  s->hash = h;
  s->keylen = (uint32_t)len;
  if (len > sizeof s->small) {
    extra_of(s)->key = xmalloc(len);
    memcpy(s->extra->key, key, len);
  } else if (len) {
    memcpy(s->small, key, len);
  }
  return s;
}

// The slot of the key of len bytes at key with hash h (vp_key_hash; 0 for
// the stream's one window), added when new.
static fslot *find_slot(vp_fold *f, const uint8_t *key, size_t len,
                        uint64_t h) {
  if (f->tcap) {
    size_t mask = f->tcap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
      fslot *s = slot_at(f, i);
      if (!s->used)
        break;
      if (s->hash == h && s->keylen == len &&
          vp_key_same(key_of(s), key, len))
        return s;
    }
  }
  return add_slot(f, h, key, len);
}

static fslot *slot_of(vp_fold *f, const vp_key *k) {
  return k ? find_slot(f, k->p, k->n, k->hash) : find_slot(f, NULL, 0, 0);
}

static void put_packed(vp_buf *b, const void *bytes, size_t len) {
  b->n = 0;
  vp_buf_put(b, bytes, len);
}

void *vp_fold_add(vp_fold *f, const vp_key *k) {
  fslot *s = slot_of(f, k);
  f->cur = s;
  if (s->n++ == 0)
    memcpy(state_of(s), f->init, f->state_size);
  return s->failed ? NULL : state_of(s);
}

bool vp_fold_wants_event(const vp_fold *f) {
  return f->keeps_last || (f->keeps_first && f->cur->n == 1);
}

void vp_fold_keep(vp_fold *f, const void *bytes, size_t len) {
  fslot *s = f->cur;
  if (f->keeps_first && s->n == 1)
    put_packed(&extra_of(s)->first, bytes, len);
  if (f->keeps_last)
    put_packed(&extra_of(s)->last, bytes, len);
}

void vp_fold_fail(vp_fold *f, const char *kind, vp_str message) {
  fslot *s = f->cur;
  fold_extra *x = extra_of(s);
  x->err_kind = copy_text(kind, strlen(kind));
  x->err_message = copy_text(message.p, (size_t)message.n);
  x->err_len = (size_t)message.n;
  s->failed = true;
}

// Runs the rest of the stream on s's window, whose last event is last
// (NULL: the event in hand), and counts the fates of its events (8.9), all
// alike: the window's outputs are theirs together.
static void close_window(vp_fold *f, fslot *s, const uint8_t *last,
                         size_t last_len) {
  fold_extra *x = s->extra;
  vp_fold_batch b = {
    .n = s->n,
    .state = state_of(s),
    .first = f->keeps_first ? x->first.p : NULL,
    .first_len = f->keeps_first ? x->first.n : 0,
    .last = last,
    .last_len = last_len,
    .err_kind = s->failed ? x->err_kind : NULL,
    .err_message = { s->failed ? x->err_message : NULL,
                     s->failed ? (int64_t)x->err_len : 0 },
    .key = s->keylen ? key_of(s) : NULL,
    .keylen = s->keylen,
  };
  int64_t out = f->release(&b);
  vp_stream_counts *c = &vp_counts[f->stream];
  if (out < 0)
    c->dead_lettered += s->n;
  else if (out > 0)
    c->passed += s->n;
  else
    c->filtered += s->n;
  s->n = 0;
  clear_error(s);
}

void vp_fold_done(vp_fold *f) {
  if (f->cur->n >= f->n)
    close_window(f, f->cur, NULL, 0);
}

bool vp_fold_finish(vp_fold *f, bool all, bool (*enough)(void)) {
  for (size_t i = 0; i < f->nkeys; i++) {
    fslot *s = slot_at(f, f->order[i]);
    if (s->n == 0)
      continue;
    if (enough && enough())
      return false;
    if (all) {
      // all is --flush-windows-at-eof, so the last event was kept.
      close_window(f, s, s->extra->last.p, s->extra->last.n);
      continue;
    }
    vp_counts[f->stream].held += s->n;
    s->n = 0;
    clear_error(s);
  }
  return true;
}

// Checkpoints: every key, and for an open window its count, state, kept
// events and error. A kept event names its input by reference (run.c),
// as the events of vp_window do.

static void save_packed(const vp_buf *rec, vp_buf *b) {
  vp_meta m;
  memcpy(&m, rec->p, sizeof m);
  vp_buf_i64(b, vp_ckpt_input_ref(m.origin.input));
  vp_buf_str(b, (vp_str){ (const char *)rec->p, (int64_t)rec->n });
}

static void load_packed(vp_buf *rec, vp_rd *r) {
  const char *input = vp_ckpt_input_at(vp_ckpt_i64(r));
  vp_str bytes = vp_ckpt_str(r);
  if ((size_t)bytes.n < sizeof(vp_meta))
    vp_ckpt_corrupt();
  put_packed(rec, bytes.p, (size_t)bytes.n);
  memcpy(rec->p + offsetof(vp_meta, origin.input), &input, sizeof input);
}

static void save_slot(const vp_fold *f, fslot *s, vp_buf *b) {
  vp_buf_str(b, (vp_str){ (const char *)key_of(s), (int64_t)s->keylen });
  vp_buf_i64(b, s->n);
  if (s->n == 0)
    return;
  vp_buf_put(b, state_of(s), f->state_size);
  if (f->keeps_first)
    save_packed(&s->extra->first, b);
  if (f->keeps_last)
    save_packed(&s->extra->last, b);
  vp_buf_u8(b, s->failed);
  if (s->failed) {
    const fold_extra *x = s->extra;
    vp_buf_str(b, (vp_str){ x->err_kind, (int64_t)strlen(x->err_kind) });
    vp_buf_str(b, (vp_str){ x->err_message, (int64_t)x->err_len });
  }
}

void vp_fold_save(const vp_fold *f, vp_buf *b) {
  vp_buf_i64(b, (int64_t)f->nkeys);
  for (size_t i = 0; i < f->nkeys; i++)
    save_slot(f, slot_at(f, f->order[i]), b);
}

static void load_slot(vp_fold *f, fslot *s, vp_rd *r) {
  int64_t n = vp_ckpt_i64(r);
  if (n < 0 || n >= f->n)
    vp_ckpt_corrupt();
  s->n = n;
  if (n == 0)
    return;
  vp_ckpt_need(r, f->state_size);
  memcpy(state_of(s), r->p, f->state_size);
  r->p += f->state_size;
  if (f->keeps_first)
    load_packed(&extra_of(s)->first, r);
  if (f->keeps_last)
    load_packed(&extra_of(s)->last, r);
  vp_ckpt_need(r, 1);
  if (vp_rd_u8(r)) {
    vp_str kind = vp_ckpt_str(r), message = vp_ckpt_str(r);
    fold_extra *x = extra_of(s);
    x->err_kind = copy_text(kind.p, (size_t)kind.n);
    x->err_message = copy_text(message.p, (size_t)message.n);
    x->err_len = (size_t)message.n;
    s->failed = true;
  }
}

void vp_fold_load(vp_fold *f, vp_rd *r) {
  int64_t nkeys = vp_ckpt_i64(r);
  for (int64_t i = 0; i < nkeys; i++) {
    vp_str key = vp_ckpt_str(r);
    vp_key k = vp_key_view(key.p, (size_t)key.n);
    load_slot(f, slot_of(f, key.n ? &k : NULL), r);
  }
}
