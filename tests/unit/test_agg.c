// Unit tests for agg.c (the state of each aggregate of LANGUAGE.md 5.6,
// expected values worked out by hand) and window.c (the release rules of
// 5.5, per-key state, fates and end of input).
// SPDX-License-Identifier: MIT
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "arena.h"
#include "distinct.h"
#include "partition.h"
#include "run.h"
#include "window.h"

static vp_value vint(int64_t i) {
  vp_value v = { .kind = VP_KIND_INT };
  v.u.i = i;
  return v;
}

static vp_value vfloat(double f) {
  vp_value v = { .kind = VP_KIND_FLOAT };
  v.u.f = f;
  return v;
}

static vp_value vstr(const char *s) {
  vp_value v = { .kind = VP_KIND_STR };
  v.u.s = (vp_str){ s, (int64_t)strlen(s) };
  return v;
}

static void test_agg_sum_avg_skip_nan_and_non_numeric(void **state) {
  vp_agg a;
  vp_agg_init(&a);
  assert_true(vp_agg_sum_result(&a) == 0.0);
  assert_int_equal(vp_agg_avg_result(&a).kind, VP_KIND_NULL);
  vp_agg_sum_any(&a, vint(2));
  vp_agg_sum_any(&a, vstr("7"));
  vp_agg_sum_any(&a, vfloat(NAN));
  vp_agg_sum_any(&a, vfloat(0.5));
  vp_agg_sum(&a, 1.5);
  assert_true(vp_agg_sum_result(&a) == 4.0);
  vp_value avg = vp_agg_avg_result(&a);
  assert_int_equal(avg.kind, VP_KIND_FLOAT);
  assert_true(avg.u.f == 4.0 / 3.0);
}

static void test_agg_min_max(void **state) {
  vp_agg a;
  vp_agg_init(&a);
  assert_int_equal(vp_agg_min_result(&a).kind, VP_KIND_NULL);
  assert_int_equal(vp_agg_max_result(&a).kind, VP_KIND_NULL);
  vp_agg_minmax_any(&a, vint(3));
  vp_agg_minmax_any(&a, vfloat(NAN));
  vp_agg_minmax_any(&a, vfloat(-1.25));
  vp_agg_minmax_any(&a, vint(10));
  vp_agg_minmax_any(&a, vstr("x"));
  assert_true(vp_agg_min_result(&a).u.f == -1.25);
  assert_true(vp_agg_max_result(&a).u.f == 10.0);
}

static void test_agg_stddev_sample_welford(void **state) {
  vp_agg a;
  vp_agg_init(&a);
  vp_agg_stddev(&a, 4.0);
  assert_int_equal(vp_agg_stddev_result(&a).kind, VP_KIND_NULL);
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squares sum 32, sample var 32/7.
  vp_agg_init(&a);
  double xs[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
  for (int i = 0; i < 8; i++)
    vp_agg_stddev_any(&a, i % 2 ? vfloat(xs[i]) : vint((int64_t)xs[i]));
  vp_agg_stddev_any(&a, vstr("skip"));
  assert_true(fabs(vp_agg_stddev_result(&a).u.f - sqrt(32.0 / 7.0)) < 1e-12);
  // NaN is not skipped by stddev (5.6).
  vp_agg_stddev(&a, NAN);
  assert_true(isnan(vp_agg_stddev_result(&a).u.f));
}

static void test_agg_ema(void **state) {
  vp_agg a;
  vp_agg_ema_init(&a, 3);  // k = 0.5
  assert_int_equal(vp_agg_ema_result(&a).kind, VP_KIND_NULL);
  vp_agg_ema_any(&a, vstr("no"));
  vp_agg_ema_any(&a, vint(4));  // seeds: 4
  vp_agg_ema(&a, NAN);          // skipped
  vp_agg_ema(&a, 8.0);          // 8 * 0.5 + 4 * 0.5 = 6
  vp_agg_ema(&a, 2.0);          // 2 * 0.5 + 6 * 0.5 = 4
  assert_true(vp_agg_ema_result(&a).u.f == 4.0);
  vp_agg_ema_init(&a, 1);  // k = 1: the last value
  vp_agg_ema(&a, 3.0);
  vp_agg_ema(&a, 5.0);
  assert_true(vp_agg_ema_result(&a).u.f == 5.0);
}

static void test_agg_count_distinct_by_encoding(void **state) {
  vp_agg_set s = { 0 };
  vp_key k = { 0 };
  vp_key_i64(&k, VP_KEY_INT, 1);
  assert_true(vp_agg_set_add(&s, &k));
  assert_false(vp_agg_set_add(&s, &k));
  vp_key_float(&k, 1.0);
  assert_true(vp_agg_set_add(&s, &k));
  vp_key_float(&k, -0.0);
  assert_true(vp_agg_set_add(&s, &k));
  vp_key_float(&k, 0.0);  // -0.0 and 0.0 are one key
  assert_false(vp_agg_set_add(&s, &k));
  vp_key_str(&k, VP_STR_LIT("1"));
  assert_true(vp_agg_set_add(&s, &k));
  vp_key_null(&k);
  assert_true(vp_agg_set_add(&s, &k));
  assert_false(vp_agg_set_add(&s, &k));
  assert_int_equal(s.n, 5);  // 1, 1.0, 0.0, "1", null
  vp_agg_set_clear(&s);
  assert_int_equal(s.n, 0);
  // After a clear the set starts empty; many values, each twice.
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < 10000; i++) {
      vp_key_i64(&k, VP_KEY_INT, i);
      assert_true(vp_agg_set_add(&s, &k) == (round == 0));
    }
  assert_int_equal(s.n, 10000);
  vp_agg_set_free(&s);
  free(k.p);
}

static void test_key_encoding_hashes_like_partition(void **state) {
  vp_key k = { 0 };
  vp_key_str(&k, VP_STR_LIT("acct-42"));
  assert_int_equal(vp_key_hash(&k), vp_key_hash_str(VP_STR_LIT("acct-42")));
  vp_key_i64(&k, VP_KEY_INT, -1);
  assert_int_equal(vp_key_hash(&k), vp_key_hash_int(-1));
  vp_key_float(&k, NAN);
  assert_int_equal(vp_key_hash(&k), vp_key_hash_float(NAN));
  vp_key_bool(&k, true);
  assert_int_equal(vp_key_hash(&k), vp_key_hash_bool(true));
  vp_key_null(&k);
  assert_int_equal(vp_key_hash(&k), vp_key_hash_null());
  free(k.p);
}

// Windows: each event's bytes are its id; a release records its batch.

static char released[64][64];
static int nreleased;
static int64_t release_outputs = 1;

static void record_release(const vp_win_batch *b) {
  char *s = released[nreleased++];
  s[0] = 0;
  for (size_t i = 0; i < b->n; i++) {
    strncat(s, (const char *)b->bytes + b->items[i].off, b->items[i].len);
    b->out[i] = release_outputs;
  }
}

static void reset(void) {
  nreleased = 0;
  release_outputs = 1;
  memset(vp_counts, 0, 2 * sizeof *vp_counts);
}

static void add(vp_window *w, const vp_key *k, int64_t t, const char *id) {
  vp_window_add(w, k, t, id, strlen(id));
}

static void test_window_count_tumbling_and_held(void **state) {
  reset();
  vp_window *w = vp_window_new(VP_WIN_COUNT, 2, 0, 0, 0, record_release);
  add(w, NULL, 0, "a");
  assert_int_equal(nreleased, 0);
  add(w, NULL, 0, "b");
  add(w, NULL, 0, "c");
  assert_int_equal(nreleased, 1);
  assert_string_equal(released[0], "ab");
  vp_window_finish(w, false, NULL);
  assert_int_equal(nreleased, 1);
  assert_int_equal(vp_counts[0].passed, 2);
  assert_int_equal(vp_counts[0].held, 1);
  vp_window_free(w);
}

static void test_window_time_tumbling_boundaries(void **state) {
  reset();
  vp_window *w = vp_window_new(VP_WIN_TIME, 0, 10, 0, 0, record_release);
  add(w, NULL, 100, "a");
  add(w, NULL, 109, "b");
  add(w, NULL, 95, "c");   // before start: joins
  add(w, NULL, 110, "d");  // start + D: next window
  assert_int_equal(nreleased, 1);
  assert_string_equal(released[0], "abc");
  vp_window_watermark(w, 119);
  assert_int_equal(nreleased, 1);
  vp_window_watermark(w, 120);  // W >= start + D
  assert_int_equal(nreleased, 2);
  assert_string_equal(released[1], "d");
  vp_window_free(w);
}

static void test_window_session_strict_gap(void **state) {
  reset();
  vp_window *w = vp_window_new(VP_WIN_SESSION, 0, 5, 0, 0, record_release);
  add(w, NULL, 0, "a");
  add(w, NULL, 5, "b");   // gap == G: same session
  add(w, NULL, 11, "c");  // gap 6 > G
  assert_int_equal(nreleased, 1);
  assert_string_equal(released[0], "ab");
  vp_window_watermark(w, 16);  // 16 - 11 = 5: not strictly greater
  assert_int_equal(nreleased, 1);
  vp_window_finish(w, false, NULL);  // sessions flush at end of input
  assert_int_equal(nreleased, 2);
  assert_string_equal(released[1], "c");
  assert_int_equal(vp_counts[0].held, 0);
  vp_window_free(w);
}

static void test_window_sliding_fates(void **state) {
  reset();
  vp_window *w = vp_window_new(VP_WIN_TIME_SLIDING, 0, 10, 5, 0,
                               record_release);
  release_outputs = 0;  // nothing comes out: events end filtered
  add(w, NULL, 0, "a");   // first event releases at once
  add(w, NULL, 3, "b");
  add(w, NULL, 20, "c");  // a and b leave
  assert_int_equal(nreleased, 2);
  assert_string_equal(released[1], "c");
  assert_int_equal(vp_counts[0].filtered, 2);
  vp_window_finish(w, false, NULL);
  assert_int_equal(vp_counts[0].filtered, 3);  // c was released
  assert_int_equal(vp_counts[0].held, 0);
  vp_window_free(w);
}

static void test_window_keys_kept_apart(void **state) {
  reset();
  vp_window *w = vp_window_new(VP_WIN_COUNT, 2, 0, 0, 0, record_release);
  vp_key k = { 0 };
  char id[16];
  // Many keys, each with its own window: none releases until its second
  // event, and then with its own events only.
  for (int i = 0; i < 20000; i++) {
    vp_key_i64(&k, VP_KEY_INT, i);
    snprintf(id, sizeof id, "%c", 'a' + i % 26);
    vp_window_add(w, &k, 0, id, 1);
  }
  assert_int_equal(nreleased, 0);
  vp_key_i64(&k, VP_KEY_INT, 7);
  add(w, &k, 0, "z");
  assert_int_equal(nreleased, 1);
  assert_string_equal(released[0], "hz");
  // The string "7" is another key than the int 7.
  vp_key_str(&k, VP_STR_LIT("7"));
  add(w, &k, 0, "q");
  assert_int_equal(nreleased, 1);
  free(k.p);
  vp_window_free(w);
}

static bool seen(vp_distinct *d, const vp_key *part, const char *key) {
  return vp_distinct_seen(d, part, (const uint8_t *)key, strlen(key));
}

static void test_distinct_lru_evicts_least_recent(void **state) {
  vp_distinct *d = vp_distinct_new(3);
  assert_false(seen(d, NULL, "a"));
  assert_false(seen(d, NULL, "b"));
  assert_false(seen(d, NULL, "c"));
  assert_true(seen(d, NULL, "a"));   // refreshes a: b is now the oldest
  assert_false(seen(d, NULL, "d"));  // evicts b
  assert_true(seen(d, NULL, "a"));
  assert_true(seen(d, NULL, "c"));
  assert_false(seen(d, NULL, "b"));  // was evicted; evicts d
  assert_false(seen(d, NULL, "d"));
  // Partitions have their own sets.
  vp_key p1 = { 0 }, p2 = { 0 };
  vp_key_str(&p1, VP_STR_LIT("p1"));
  vp_key_str(&p2, VP_STR_LIT("p2"));
  assert_false(seen(d, &p1, "a"));
  assert_false(seen(d, &p2, "a"));
  assert_true(seen(d, &p1, "a"));
  // Many keys in one set: growth keeps every key findable.
  vp_distinct *big = vp_distinct_new(100000);
  char k[16];
  for (int i = 0; i < 50000; i++) {
    snprintf(k, sizeof k, "k%d", i);
    assert_false(seen(big, NULL, k));
  }
  for (int i = 0; i < 50000; i += 97) {
    snprintf(k, sizeof k, "k%d", i);
    assert_true(seen(big, NULL, k));
  }
  free(p1.p);
  free(p2.p);
  vp_distinct_free(d);
  vp_distinct_free(big);
}

int main(void) {
  static vp_arena arena;
  vp_event_arena = &arena;
  vp_counts = calloc(2, sizeof *vp_counts);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_agg_sum_avg_skip_nan_and_non_numeric),
    cmocka_unit_test(test_agg_min_max),
    cmocka_unit_test(test_agg_stddev_sample_welford),
    cmocka_unit_test(test_agg_ema),
    cmocka_unit_test(test_agg_count_distinct_by_encoding),
    cmocka_unit_test(test_key_encoding_hashes_like_partition),
    cmocka_unit_test(test_window_count_tumbling_and_held),
    cmocka_unit_test(test_window_time_tumbling_boundaries),
    cmocka_unit_test(test_window_session_strict_gap),
    cmocka_unit_test(test_window_sliding_fates),
    cmocka_unit_test(test_window_keys_kept_apart),
    cmocka_unit_test(test_distinct_lru_evicts_least_recent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
