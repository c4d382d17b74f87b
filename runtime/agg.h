// Aggregate state (LANGUAGE.md 5.6): one small struct per aggregate item,
// updated event by event over a released batch. "Numeric values" are ints
// and floats other than NaN; stddev alone also takes NaN (Welford's method
// over every int/float value).
// SPDX-License-Identifier: MIT
#ifndef VP_AGG_H
#define VP_AGG_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "partition.h"
#include "value.h"

// Each aggregate call has its own state and uses one member of the union:
// folding windows keep one per call and key, so it is kept small.
typedef struct vp_agg {
  int64_t n;  // numeric values seen (stddev: int/float values)
  union {
    double sum;                   // sum, avg
    struct { double min, max; };  // min, max
    struct { double mean, m2; };  // stddev (Welford)
    struct { double ema, k; };    // ema
  };
} vp_agg;

void vp_agg_init(vp_agg *a);
void vp_agg_ema_init(vp_agg *a, int64_t n);  // k = 2 / (n + 1)

// Updates with one value; the _any forms skip non-numeric values. The
// numeric forms run for every event of a window: inline.
static inline void vp_agg_sum(vp_agg *a, double v) {  // also avg
  if (isnan(v))
    return;
  a->sum += v;
  a->n++;
}

static inline void vp_agg_minmax(vp_agg *a, double v) {
  if (isnan(v))
    return;
  if (a->n == 0 || v < a->min)
    a->min = v;
  if (a->n == 0 || v > a->max)
    a->max = v;
  a->n++;
}

static inline void vp_agg_stddev(vp_agg *a, double v) {
  a->n++;
  double delta = v - a->mean;
  a->mean += delta / (double)a->n;
  a->m2 += delta * (v - a->mean);
}

static inline void vp_agg_ema(vp_agg *a, double v) {
  if (isnan(v))
    return;
  a->ema = a->n == 0 ? v : v * a->k + a->ema * (1.0 - a->k);
  a->n++;
}

void vp_agg_sum_any(vp_agg *a, vp_value v);
void vp_agg_minmax_any(vp_agg *a, vp_value v);
void vp_agg_stddev_any(vp_agg *a, vp_value v);
void vp_agg_ema_any(vp_agg *a, vp_value v);

// Results; the nullable ones as any (null when 5.6 says so).
double vp_agg_sum_result(const vp_agg *a);
vp_value vp_agg_avg_result(const vp_agg *a);
vp_value vp_agg_min_result(const vp_agg *a);
vp_value vp_agg_max_result(const vp_agg *a);
vp_value vp_agg_stddev_result(const vp_agg *a);
vp_value vp_agg_ema_result(const vp_agg *a);

// count_distinct: a set of canonical encodings (5.4), malloc'd, with an
// open-addressing index over their hashes.
typedef struct vp_agg_set {
  uint64_t *hashes;
  uint8_t **keys;
  size_t *lens;
  size_t n, cap;
  int64_t *index;  // slot -> entry, -1 empty
  size_t nindex;
} vp_agg_set;

// Adds an encoded key (with the hash it was set with); returns true if it
// was new.
bool vp_agg_set_add(vp_agg_set *s, const vp_key *k);
void vp_agg_set_clear(vp_agg_set *s);
void vp_agg_set_free(vp_agg_set *s);

#endif
