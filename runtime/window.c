// Windows and keyed window state (see window.h).
// SPDX-License-Identifier: MIT
#include "window.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckpt.h"
#include "dyn.h"
#include "err.h"
#include "output.h"
#include "partition.h"
#include "run.h"

// Per-key state.

// The fields every event reads come first, in the key's first cache line.
typedef struct wkey {
  uint64_t hash;
  uint8_t *key;  // short keys point at small
  size_t keylen;
  size_t n;
  uint8_t small[24];
  bool kept;  // keeps its buffers between windows (keep_buffers)
  vp_win_item *items;
  size_t cap;
  vp_buf bytes;
  int64_t start;         // TIME: start of the open window
  int64_t last;          // SESSION: latest event time
  int64_t last_release;  // TIME_SLIDING
  bool released_once;
  int64_t since;         // COUNT_SLIDING: arrivals since the last release
} wkey;

// A slot of the key table: the hash is kept next to the key's address so
// that probing past other keys does not touch them.
typedef struct wslot {
  uint64_t hash;
  wkey *e;  // NULL when free
} wslot;

struct vp_window {
  vp_win_kind kind;
  int64_t n, dur, slide;
  int stream;
  vp_win_release release;
  wkey **keys;  // in first-seen order
  size_t nkeys, capkeys;
  wslot *table;  // open addressing
  size_t tcap;
  size_t kept;  // bytes of buffers kept by idle keys
  int64_t *out;
  size_t outcap;
};

vp_window *vp_window_new(vp_win_kind kind, int64_t n, int64_t dur,
                         int64_t slide, int stream, vp_win_release release) {
  vp_window *w = calloc(1, sizeof *w);
  if (!w)
    vp_arena_oom();
  w->kind = kind;
  w->n = n;
  w->dur = dur;
  w->slide = slide;
  w->stream = stream;
  w->release = release;
  return w;
}

void vp_window_free(vp_window *w) {
  if (!w)
    return;
  for (size_t i = 0; i < w->nkeys; i++) {
    wkey *e = w->keys[i];
    if (e->key != e->small)
      free(e->key);
    free(e->items);
    vp_buf_free(&e->bytes);
    free(e);
  }
  free(w->keys);
  free(w->table);
  free(w->out);
  free(w);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    vp_arena_oom();
  return q;
}

static void table_insert(vp_window *w, wkey *e) {
  size_t mask = w->tcap - 1;
  size_t i = (size_t)e->hash & mask;
  while (w->table[i].e)
    i = (i + 1) & mask;
  w->table[i] = (wslot){ e->hash, e };
}

static wkey *find_key(vp_window *w, const vp_key *k) {
  uint64_t h = k ? vp_key_hash(k) : 0;
  size_t len = k ? k->n : 0;
  if (w->tcap) {
    size_t mask = w->tcap - 1;
    for (size_t i = (size_t)h & mask; w->table[i].e; i = (i + 1) & mask) {
      if (w->table[i].hash != h)
        continue;
      wkey *e = w->table[i].e;
      if (e->keylen == len && (len == 0 || vp_key_same(e->key, k->p, len)))
        return e;
    }
  }
  wkey *e = calloc(1, sizeof *e);
  if (!e)
    vp_arena_oom();
  e->hash = h;
  if (k && k->n) {
    e->key = k->n <= sizeof e->small ? e->small : xrealloc(NULL, k->n);
    memcpy(e->key, k->p, k->n);
    e->keylen = k->n;
  }
  if (w->nkeys == w->capkeys) {
    w->capkeys = w->capkeys ? w->capkeys * 2 : 16;
    w->keys = xrealloc(w->keys, w->capkeys * sizeof *w->keys);
  }
  w->keys[w->nkeys++] = e;
  if ((w->nkeys + 1) * 2 > w->tcap) {
    free(w->table);
    w->tcap = w->tcap ? w->tcap * 2 : 64;
    w->table = calloc(w->tcap, sizeof *w->table);
    if (!w->table)
      vp_arena_oom();
    for (size_t i = 0; i < w->nkeys; i++)
      table_insert(w, w->keys[i]);
  } else {
    table_insert(w, e);
  }
  return e;
}

// Fates (8.9): an event is counted once, when it leaves the window.
static void count_fate(vp_window *w, const vp_win_item *it, bool held) {
  vp_stream_counts *c = &vp_counts[w->stream];
  if (it->passed)
    c->passed++;
  else if (it->released || !held)
    c->filtered++;
  else
    c->held++;
}

// Releases items[from, from + n) of e as one batch.
static void release(vp_window *w, wkey *e, size_t from, size_t n) {
  if (n == 0)
    return;
  if (w->outcap < n) {
    w->outcap = n;
    w->out = xrealloc(w->out, n * sizeof *w->out);
  }
  memset(w->out, 0, n * sizeof *w->out);
  vp_win_batch b = { e->items + from, n, e->bytes.p, e->key, e->keylen,
                     w->out };
  w->release(&b);
  for (size_t i = 0; i < n; i++) {
    vp_win_item *it = &e->items[from + i];
    it->released = true;
    if (it->done)
      continue;
    if (w->out[i] < 0) {
      vp_counts[w->stream].dead_lettered++;
      it->done = true;
    } else if (w->out[i] > 0) {
      it->passed = true;
    }
  }
}

// Removes the items for which drop[i] is set, counting their fates, and
// compacts the bytes.
static void remove_items(vp_window *w, wkey *e, const bool *drop) {
  size_t j = 0, off = 0;
  for (size_t i = 0; i < e->n; i++) {
    vp_win_item it = e->items[i];
    if (drop[i]) {
      if (!it.done)
        count_fate(w, &it, false);
      continue;
    }
    size_t len = it.len;
    if (len && it.off != off)
      memmove(e->bytes.p + off, e->bytes.p + it.off, len);
    it.off = off;
    off += len;
    e->items[j++] = it;
  }
  e->n = j;
  e->bytes.n = off;
}

// Whether an idle key keeps its buffers for its next window. Keys that
// fill count windows one after the other would otherwise allocate and
// free them for every window; keys seen once keep only their small
// header. What idle keys keep is bounded over the whole window.
#define KEPT_LIMIT ((size_t)8 << 20)

static bool keep_buffers(vp_window *w, wkey *e) {
  if (e->kept)
    return true;
  size_t size = e->cap * sizeof *e->items + e->bytes.cap;
  if (w->kind != VP_WIN_COUNT || w->kept + size > KEPT_LIMIT)
    return false;
  w->kept += size;
  e->kept = true;
  return true;
}

static void clear_all(vp_window *w, wkey *e, size_t keep_last) {
  bool stack[64] = { false };
  bool *drop = e->n <= 64 ? stack : xrealloc(NULL, e->n);
  for (size_t i = 0; i < e->n; i++)
    drop[i] = i + keep_last < e->n;
  remove_items(w, e, drop);
  if (drop != stack)
    free(drop);
  if (e->n == 0 && !keep_buffers(w, e)) {
    free(e->items);
    e->items = NULL;
    e->cap = 0;
    vp_buf_free(&e->bytes);
  }
}

static void push(wkey *e, int64_t t, const void *bytes, size_t len) {
  if (e->n == e->cap) {
    // Most keys hold few events at a time: start small (memory per key).
    e->cap = e->cap ? e->cap * 2 : 1;
    e->items = xrealloc(e->items, e->cap * sizeof *e->items);
  }
  vp_win_item it = { t, e->bytes.n, len, false, false, false };
  e->items[e->n++] = it;
  vp_buf_put(&e->bytes, bytes, len);
}

void vp_window_add(vp_window *w, const vp_key *k, int64_t t,
                   const void *bytes, size_t len) {
  wkey *e = find_key(w, k);
  bool was_empty = e->n == 0;
  push(e, t, bytes, len);
  switch (w->kind) {
  case VP_WIN_COUNT:
    if ((int64_t)e->n >= w->n) {
      release(w, e, 0, e->n);
      clear_all(w, e, 0);
    }
    break;
  case VP_WIN_COUNT_SLIDING:
    if ((int64_t)e->n > w->n)
      clear_all(w, e, (size_t)w->n);
    e->since++;
    if ((int64_t)e->n == w->n && e->since >= w->slide) {
      release(w, e, 0, e->n);
      e->since = 0;
    }
    break;
  case VP_WIN_TIME:
    if (was_empty) {
      e->start = t;
    } else if (t >= e->start + w->dur) {
      release(w, e, 0, e->n - 1);
      clear_all(w, e, 1);
      e->start = t;
    }
    break;
  case VP_WIN_TIME_SLIDING: {
    bool stack[64] = { false };
    bool *drop = e->n <= 64 ? stack : xrealloc(NULL, e->n);
    bool any = false;
    for (size_t i = 0; i < e->n; i++) {
      drop[i] = e->items[i].time_ns <= t - w->dur;
      any = any || drop[i];
    }
    if (any)
      remove_items(w, e, drop);
    if (drop != stack)
      free(drop);
    if (!e->released_once || t >= e->last_release + w->slide) {
      release(w, e, 0, e->n);
      e->released_once = true;
      e->last_release = t;
    }
    break;
  }
  case VP_WIN_SESSION:
    if (!was_empty && t - e->last > w->dur) {
      release(w, e, 0, e->n - 1);
      clear_all(w, e, 1);
      e->last = t;
    } else if (was_empty || t > e->last) {
      e->last = t;
    }
    break;
  }
}

void vp_window_watermark(vp_window *w, int64_t wm) {
  if (w->kind != VP_WIN_TIME && w->kind != VP_WIN_SESSION)
    return;
  for (size_t i = 0; i < w->nkeys; i++) {
    wkey *e = w->keys[i];
    if (e->n == 0)
      continue;
    bool close = w->kind == VP_WIN_TIME ? wm >= e->start + w->dur
                                        : wm - e->last > w->dur;
    if (close) {
      release(w, e, 0, e->n);
      clear_all(w, e, 0);
    }
  }
}

bool vp_window_finish(vp_window *w, bool all, bool (*enough)(void)) {
  for (size_t i = 0; i < w->nkeys; i++) {
    wkey *e = w->keys[i];
    if (e->n == 0)
      continue;
    if (enough && enough())
      return false;
    bool flush = all || w->kind == VP_WIN_SESSION;
    // A sliding window released its latest contents already unless
    // events arrived since.
    if (flush && w->kind == VP_WIN_COUNT_SLIDING && e->since == 0)
      flush = false;
    if (flush && w->kind == VP_WIN_TIME_SLIDING) {
      bool fresh = false;
      for (size_t j = 0; j < e->n; j++)
        fresh = fresh || !e->items[j].released;
      flush = fresh;
    }
    if (flush)
      release(w, e, 0, e->n);
    for (size_t j = 0; j < e->n; j++) {
      vp_win_item *it = &e->items[j];
      if (!it->done)
        count_fate(w, it, true);
    }
    e->n = 0;
    e->bytes.n = 0;
  }
  return true;
}

// Checkpoints (7.3): every key with its items, bytes and window marks.
// The origin at the head of each item's bytes points to an input name of
// this process; the saved copy names the input by its index instead.

static void save_key(const wkey *e, vp_buf *b) {
  vp_buf_str(b, (vp_str){ (const char *)e->key, (int64_t)e->keylen });
  vp_buf_i64(b, (int64_t)e->n);
  for (size_t i = 0; i < e->n; i++) {
    const vp_win_item *it = &e->items[i];
    vp_meta m;
    memcpy(&m, e->bytes.p + it->off, sizeof m);
    vp_buf_i64(b, it->time_ns);
    vp_buf_i64(b, vp_ckpt_input_ref(m.origin.input));
    vp_buf_u8(b, (uint8_t)(it->released | it->passed << 1 | it->done << 2));
    vp_buf_str(b, (vp_str){ (const char *)e->bytes.p + it->off,
                            (int64_t)it->len });
  }
  int64_t marks[4] = { e->start, e->last, e->last_release, e->since };
  vp_buf_put(b, marks, sizeof marks);
  vp_buf_u8(b, e->released_once);
}

void vp_window_save(const vp_window *w, vp_buf *b) {
  vp_buf_i64(b, (int64_t)w->nkeys);
  for (size_t i = 0; i < w->nkeys; i++)
    save_key(w->keys[i], b);
}

static void load_item(wkey *e, vp_rd *r) {
  int64_t t = vp_ckpt_i64(r);
  const char *input = vp_ckpt_input_at(vp_ckpt_i64(r));
  vp_ckpt_need(r, 1);
  uint8_t flags = vp_rd_u8(r);
  vp_str bytes = vp_ckpt_str(r);
  if ((size_t)bytes.n < sizeof(vp_meta))
    vp_ckpt_corrupt();
  push(e, t, bytes.p, (size_t)bytes.n);
  vp_win_item *it = &e->items[e->n - 1];
  it->released = flags & 1;
  it->passed = flags >> 1 & 1;
  it->done = flags >> 2 & 1;
  memcpy(e->bytes.p + it->off + offsetof(vp_meta, origin.input), &input,
         sizeof input);
}

void vp_window_load(vp_window *w, vp_rd *r) {
  int64_t nkeys = vp_ckpt_i64(r);
  for (int64_t i = 0; i < nkeys; i++) {
    vp_str key = vp_ckpt_str(r);
    vp_key k = vp_key_view(key.p, (size_t)key.n);
    wkey *e = find_key(w, key.n ? &k : NULL);
    int64_t n = vp_ckpt_i64(r);
    for (int64_t j = 0; j < n; j++)
      load_item(e, r);
    int64_t marks[4];
    vp_ckpt_need(r, sizeof marks + 1);
    memcpy(marks, r->p, sizeof marks);
    r->p += sizeof marks;
    e->start = marks[0];
    e->last = marks[1];
    e->last_release = marks[2];
    e->since = marks[3];
    e->released_once = vp_rd_u8(r);
  }
}

// Orderings.

int vp_window_cmp_f64(double a, double b) {
  if (isnan(a) || isnan(b))
    return (int)isnan(a) - (int)isnan(b);
  return a < b ? -1 : a > b;
}

int vp_window_cmp_str(vp_str a, vp_str b) {
  int64_t n = a.n < b.n ? a.n : b.n;
  int c = memcmp(a.p, b.p, (size_t)n);
  if (c)
    return c < 0 ? -1 : 1;
  return a.n < b.n ? -1 : a.n > b.n;
}

int vp_window_cmp_any(vp_value a, vp_value b) {
  bool na = a.kind == VP_KIND_INT || a.kind == VP_KIND_FLOAT;
  bool nb = b.kind == VP_KIND_INT || b.kind == VP_KIND_FLOAT;
  if (na && nb) {
    if (a.kind == VP_KIND_INT && b.kind == VP_KIND_INT)
      return a.u.i < b.u.i ? -1 : a.u.i > b.u.i;
    double x = a.kind == VP_KIND_INT ? (double)a.u.i : a.u.f;
    double y = b.kind == VP_KIND_INT ? (double)b.u.i : b.u.f;
    return vp_window_cmp_f64(x, y);
  }
  int ka = na ? VP_KIND_INT : (int)a.kind, kb = nb ? VP_KIND_INT : (int)b.kind;
  if (ka != kb)
    return ka < kb ? -1 : 1;
  switch (a.kind) {
  case VP_KIND_BOOL:
    return (int)a.u.b - (int)b.u.b;
  case VP_KIND_STR:
    return vp_window_cmp_str(a.u.s, b.u.s);
  default:
    return 0;
  }
}

vp_str vp_window_late_message(int64_t t, int64_t wm, int64_t lateness) {
  char a[48], b[48], msg[200];
  a[vp_fmt_time(a, t)] = 0;
  b[vp_fmt_time(b, wm)] = 0;
  int n = snprintf(msg, sizeof msg,
                   "late event: event time %s is before the watermark %s "
                   "minus the allowed lateness (%lld ns)",
                   a, b, (long long)lateness);
  return (vp_str){ vp_arena_dup(vp_event_arena, msg, (size_t)n), n };
}
