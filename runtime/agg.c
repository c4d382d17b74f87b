// Aggregate state (see agg.h).
// SPDX-License-Identifier: MIT
#include "agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "partition.h"

void vp_agg_init(vp_agg *a) {
  memset(a, 0, sizeof *a);
}

void vp_agg_ema_init(vp_agg *a, int64_t n) {
  vp_agg_init(a);
  a->k = 2.0 / ((double)n + 1.0);
}

static bool numeric(vp_value v, double *d) {
  if (v.kind == VP_KIND_INT) {
    *d = (double)v.u.i;
    return true;
  }
  if (v.kind == VP_KIND_FLOAT) {
    *d = v.u.f;
    return true;
  }
  return false;
}

void vp_agg_sum_any(vp_agg *a, vp_value v) {
  double d;
  if (numeric(v, &d))
    vp_agg_sum(a, d);
}

void vp_agg_minmax_any(vp_agg *a, vp_value v) {
  double d;
  if (numeric(v, &d))
    vp_agg_minmax(a, d);
}

void vp_agg_stddev_any(vp_agg *a, vp_value v) {
  double d;
  if (numeric(v, &d))
    vp_agg_stddev(a, d);
}

void vp_agg_ema_any(vp_agg *a, vp_value v) {
  double d;
  if (numeric(v, &d))
    vp_agg_ema(a, d);
}

static vp_value fval(double d) {
  vp_value v;
  v.kind = VP_KIND_FLOAT;
  v.u.f = d;
  return v;
}

static vp_value null_value(void) {
  vp_value v;
  memset(&v, 0, sizeof v);
  v.kind = VP_KIND_NULL;
  return v;
}

double vp_agg_sum_result(const vp_agg *a) {
  return a->sum;
}

vp_value vp_agg_avg_result(const vp_agg *a) {
  return a->n ? fval(a->sum / (double)a->n) : null_value();
}

vp_value vp_agg_min_result(const vp_agg *a) {
  return a->n ? fval(a->min) : null_value();
}

vp_value vp_agg_max_result(const vp_agg *a) {
  return a->n ? fval(a->max) : null_value();
}

vp_value vp_agg_stddev_result(const vp_agg *a) {
  return a->n >= 2 ? fval(sqrt(a->m2 / (double)(a->n - 1))) : null_value();
}

vp_value vp_agg_ema_result(const vp_agg *a) {
  return a->n ? fval(a->ema) : null_value();
}

static void set_reindex(vp_agg_set *s) {
  free(s->index);
  s->nindex = s->nindex ? s->nindex * 2 : 64;
  s->index = malloc(s->nindex * sizeof *s->index);
  if (!s->index)
    vp_arena_oom();
  memset(s->index, 0xff, s->nindex * sizeof *s->index);
  for (size_t i = 0; i < s->n; i++) {
    size_t j = (size_t)s->hashes[i] & (s->nindex - 1);
    while (s->index[j] >= 0)
      j = (j + 1) & (s->nindex - 1);
    s->index[j] = (int64_t)i;
  }
}

bool vp_agg_set_add(vp_agg_set *s, const vp_key *k) {
  if ((s->n + 1) * 2 > s->nindex)
    set_reindex(s);
  const uint8_t *p = k->p;
  size_t n = k->n;
  uint64_t h = vp_key_hash(k);
  size_t j = (size_t)h & (s->nindex - 1);
  for (; s->index[j] >= 0; j = (j + 1) & (s->nindex - 1)) {
    size_t i = (size_t)s->index[j];
    if (s->hashes[i] == h && s->lens[i] == n && !memcmp(s->keys[i], p, n))
      return false;
  }
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->hashes = realloc(s->hashes, s->cap * sizeof *s->hashes);
    s->keys = realloc(s->keys, s->cap * sizeof *s->keys);
    s->lens = realloc(s->lens, s->cap * sizeof *s->lens);
    if (!s->hashes || !s->keys || !s->lens)
      vp_arena_oom();
  }
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy)
    vp_arena_oom();
  memcpy(copy, p, n);
  s->hashes[s->n] = h;
  s->keys[s->n] = copy;
  s->lens[s->n] = n;
  s->index[j] = (int64_t)s->n;
  s->n++;
  return true;
}

void vp_agg_set_free(vp_agg_set *s) {
  vp_agg_set_clear(s);
  free(s->hashes);
  free(s->keys);
  free(s->lens);
  free(s->index);
  memset(s, 0, sizeof *s);
}

void vp_agg_set_clear(vp_agg_set *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->keys[i]);
  s->n = 0;
  if (s->index)
    memset(s->index, 0xff, s->nindex * sizeof *s->index);
}
