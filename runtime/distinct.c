// LRU sets of keys for .distinct (see distinct.h).
// SPDX-License-Identifier: MIT
#include "distinct.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckpt.h"
#include "partition.h"

typedef struct entry {
  uint64_t hash;
  uint8_t *key;
  size_t len;
  int64_t prev, next;  // recency list, -1 ends
  int64_t chain;       // next entry in the same bucket, -1 ends
} entry;

typedef struct lru {
  entry *e;
  size_t n, cap;
  int64_t *buckets;
  size_t nbuckets;
  int64_t head, tail;  // most and least recently seen
} lru;

typedef struct part {
  uint64_t hash;
  uint8_t *key;
  size_t len;
  lru set;
  struct part *next;
} part;

struct vp_distinct {
  size_t capacity;
  lru one;
  part **parts;
  size_t nparts, nbuckets;
};

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    vp_arena_oom();
  return p;
}

vp_distinct *vp_distinct_new(size_t capacity) {
  vp_distinct *d = xcalloc(1, sizeof *d);
  d->capacity = capacity;
  return d;
}

static void lru_init(lru *s, size_t capacity) {
  s->nbuckets = 1;
  while (s->nbuckets < capacity)
    s->nbuckets *= 2;
  if (s->nbuckets > 1024)
    s->nbuckets = 1024;  // grows with the set
  s->buckets = malloc(s->nbuckets * sizeof *s->buckets);
  if (!s->buckets)
    vp_arena_oom();
  memset(s->buckets, 0xff, s->nbuckets * sizeof *s->buckets);
  s->head = s->tail = -1;
}

static void unlink_entry(lru *s, int64_t i) {
  entry *e = &s->e[i];
  if (e->prev >= 0)
    s->e[e->prev].next = e->next;
  else
    s->head = e->next;
  if (e->next >= 0)
    s->e[e->next].prev = e->prev;
  else
    s->tail = e->prev;
}

static void push_front(lru *s, int64_t i) {
  s->e[i].prev = -1;
  s->e[i].next = s->head;
  if (s->head >= 0)
    s->e[s->head].prev = i;
  s->head = i;
  if (s->tail < 0)
    s->tail = i;
}

static void bucket_remove(lru *s, int64_t i) {
  int64_t *p = &s->buckets[s->e[i].hash & (s->nbuckets - 1)];
  while (*p != i)
    p = &s->e[*p].chain;
  *p = s->e[i].chain;
}

static void bucket_add(lru *s, int64_t i) {
  int64_t *b = &s->buckets[s->e[i].hash & (s->nbuckets - 1)];
  s->e[i].chain = *b;
  *b = i;
}

static void rehash(lru *s) {
  free(s->buckets);
  s->nbuckets *= 2;
  s->buckets = malloc(s->nbuckets * sizeof *s->buckets);
  if (!s->buckets)
    vp_arena_oom();
  memset(s->buckets, 0xff, s->nbuckets * sizeof *s->buckets);
  for (size_t i = 0; i < s->n; i++)
    bucket_add(s, (int64_t)i);
}

static bool lru_seen(lru *s, size_t capacity, const uint8_t *p, size_t n) {
  uint64_t h = vp_fnv1a64(VP_FNV_OFFSET, p, n);
  for (int64_t i = s->buckets[h & (s->nbuckets - 1)]; i >= 0;
       i = s->e[i].chain) {
    entry *e = &s->e[i];
    if (e->hash == h && e->len == n && !memcmp(e->key, p, n)) {
      unlink_entry(s, i);
      push_front(s, i);
      return true;
    }
  }
  int64_t i;
  if (s->n >= capacity) {
    // Evict the least recently seen key and reuse its slot.
    i = s->tail;
    unlink_entry(s, i);
    bucket_remove(s, i);
    free(s->e[i].key);
  } else {
    if (s->n == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 16;
      s->e = realloc(s->e, s->cap * sizeof *s->e);
      if (!s->e)
        vp_arena_oom();
    }
    if (s->n >= s->nbuckets)
      rehash(s);
    i = (int64_t)s->n++;
  }
  entry *e = &s->e[i];
  e->hash = h;
  e->key = malloc(n ? n : 1);
  if (!e->key)
    vp_arena_oom();
  memcpy(e->key, p, n);
  e->len = n;
  bucket_add(s, i);
  push_front(s, i);
  return false;
}

static void lru_free(lru *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->e[i].key);
  free(s->e);
  free(s->buckets);
}

void vp_distinct_free(vp_distinct *d) {
  if (!d)
    return;
  lru_free(&d->one);
  for (size_t i = 0; i < d->nbuckets; i++)
    for (part *q = d->parts[i], *next; q; q = next) {
      next = q->next;
      lru_free(&q->set);
      free(q->key);
      free(q);
    }
  free(d->parts);
  free(d);
}

static lru *find_part(vp_distinct *d, const vp_key *k) {
  if (!d->nbuckets) {
    d->nbuckets = 256;
    d->parts = xcalloc(d->nbuckets, sizeof *d->parts);
  }
  uint64_t h = vp_key_hash(k);
  part **b = &d->parts[h & (d->nbuckets - 1)];
  for (part *q = *b; q; q = q->next)
    if (q->hash == h && q->len == k->n && !memcmp(q->key, k->p, k->n))
      return &q->set;
  part *q = xcalloc(1, sizeof *q);
  q->hash = h;
  q->key = malloc(k->n ? k->n : 1);
  if (!q->key)
    vp_arena_oom();
  memcpy(q->key, k->p, k->n);
  q->len = k->n;
  q->next = *b;
  *b = q;
  lru_init(&q->set, 16);
  if (++d->nparts > d->nbuckets * 2) {
    size_t nb = d->nbuckets * 4;
    part **nt = xcalloc(nb, sizeof *nt);
    for (size_t i = 0; i < d->nbuckets; i++) {
      for (part *r = d->parts[i], *next; r; r = next) {
        next = r->next;
        r->next = nt[r->hash & (nb - 1)];
        nt[r->hash & (nb - 1)] = r;
      }
    }
    free(d->parts);
    d->parts = nt;
    d->nbuckets = nb;
  }
  return &q->set;
}

bool vp_distinct_seen(vp_distinct *d, const vp_key *k, const uint8_t *p,
                      size_t n) {
  lru *s;
  if (k) {
    s = find_part(d, k);
  } else {
    if (!d->one.buckets)
      lru_init(&d->one, 16);
    s = &d->one;
  }
  return lru_seen(s, d->capacity, p, n);
}

// Checkpoints (7.3): each set's keys from the least to the most recently
// seen, so that seeing them again in that order rebuilds the same LRU.

static void save_lru(const lru *s, vp_buf *b) {
  vp_buf_i64(b, (int64_t)s->n);
  for (int64_t i = s->n ? s->tail : -1; i >= 0; i = s->e[i].prev)
    vp_buf_str(b, (vp_str){ (const char *)s->e[i].key, (int64_t)s->e[i].len });
}

void vp_distinct_save(const vp_distinct *d, vp_buf *b) {
  save_lru(&d->one, b);
  vp_buf_i64(b, (int64_t)d->nparts);
  for (size_t i = 0; i < d->nbuckets; i++)
    for (const part *q = d->parts[i]; q; q = q->next) {
      vp_buf_str(b, (vp_str){ (const char *)q->key, (int64_t)q->len });
      save_lru(&q->set, b);
    }
}

static void load_lru(vp_distinct *d, const vp_key *k, vp_rd *r) {
  int64_t n = vp_ckpt_i64(r);
  for (int64_t i = 0; i < n; i++) {
    vp_str key = vp_ckpt_str(r);
    vp_distinct_seen(d, k, (const uint8_t *)key.p, (size_t)key.n);
  }
}

void vp_distinct_load(vp_distinct *d, vp_rd *r) {
  load_lru(d, NULL, r);
  int64_t nparts = vp_ckpt_i64(r);
  for (int64_t i = 0; i < nparts; i++) {
    vp_str key = vp_ckpt_str(r);
    vp_key k = vp_key_view(key.p, (size_t)key.n);
    load_lru(d, &k, r);
  }
}
