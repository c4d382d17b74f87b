// Unit tests for partition.c: exact FNV-1a hashes of canonical key encodings
// (expected values computed independently from LANGUAGE.md 5.4), jump hash
// values, balance over many keys, and jump's minimal movement as N grows.
// SPDX-License-Identifier: MIT
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "partition.h"

static void test_partition_fnv_reference_vectors(void **state) {
  assert_int_equal(vp_fnv1a64(VP_FNV_OFFSET, "", 0), 0xcbf29ce484222325ULL);
  assert_int_equal(vp_fnv1a64(VP_FNV_OFFSET, "a", 1), 0xaf63dc4c8601ec8cULL);
  // Piecewise hashing equals hashing the concatenation.
  uint64_t h = vp_fnv1a64(VP_FNV_OFFSET, "acc", 3);
  assert_int_equal(vp_fnv1a64(h, "t-42", 4),
                   vp_fnv1a64(VP_FNV_OFFSET, "acct-42", 7));
}

static void test_partition_key_hash_exact_values(void **state) {
  assert_int_equal(vp_key_hash_null(), 0xaf63bd4c8601b7dfULL);
  assert_int_equal(vp_key_hash_bool(true), 0x082f2307b4e88e77ULL);
  assert_int_equal(vp_key_hash_bool(false), 0x082f2207b4e88cc4ULL);
  assert_int_equal(vp_key_hash_int(0), 0x0cd92cf54dc615e5ULL);
  assert_int_equal(vp_key_hash_int(1), 0xedde65ec42d6cbc4ULL);
  assert_int_equal(vp_key_hash_int(-1), 0xaf94b0dfc57cce5dULL);
  assert_int_equal(vp_key_hash_int(123456789), 0x9a33ba6012e93cb9ULL);
  assert_int_equal(vp_key_hash_float(1.0), 0x79384a97b8fca0cbULL);
  assert_int_equal(vp_key_hash_float(0.0), 0x796ed797b92b1fd2ULL);
  assert_int_equal(vp_key_hash_float(-2.5), 0x797c2f97b9363fb6ULL);
  assert_int_equal(vp_key_hash_float(NAN), 0x79538a97b913d543ULL);
  assert_int_equal(vp_key_hash_str(VP_STR_LIT("")), 0xaf63b94c8601b113ULL);
  assert_int_equal(vp_key_hash_str(VP_STR_LIT("1")), 0x0824ff07b4dffcc6ULL);
  assert_int_equal(vp_key_hash_str(VP_STR_LIT("acct-42")),
                   0x12cde3620e2e5a21ULL);
  assert_int_equal(vp_key_hash_str(VP_STR_LIT("caf\xc3\xa9")),
                   0x9b45aa9af1cab4a7ULL);
  assert_int_equal(
      vp_key_hash_tagged_i64(VP_KEY_TIMESTAMP, 1700000000000000000LL),
      0xa600edc23265a4f0ULL);
  assert_int_equal(vp_key_hash_tagged_i64(VP_KEY_DURATION, 1000000000LL),
                   0x9e7d144140904aa0ULL);
}

static void test_partition_float_canonical_zero_and_nan(void **state) {
  assert_int_equal(vp_key_hash_float(-0.0), vp_key_hash_float(0.0));
  double other_nan;
  uint64_t bits = 0xfff0000000000123ULL;  // a negative signalling NaN
  memcpy(&other_nan, &bits, sizeof bits);
  assert_int_equal(vp_key_hash_float(other_nan), vp_key_hash_float(NAN));
  assert_int_equal(vp_key_hash_float(-NAN), vp_key_hash_float(NAN));
}

static void test_partition_kinds_are_distinct_keys(void **state) {
  uint64_t i = vp_key_hash_int(1), f = vp_key_hash_float(1.0),
           s = vp_key_hash_str(VP_STR_LIT("1"));
  assert_true(i != f && f != s && i != s);
  assert_true(vp_key_hash_int(5) !=
              vp_key_hash_tagged_i64(VP_KEY_TIMESTAMP, 5));
  assert_int_equal(vp_key_hash_int(5), vp_key_hash_tagged_i64(VP_KEY_INT, 5));
}

static void test_partition_jump_exact_values(void **state) {
  assert_int_equal(vp_jump_hash(0, 1), 0);
  assert_int_equal(vp_jump_hash(0, 10), 0);
  assert_int_equal(vp_jump_hash(1, 10), 6);
  assert_int_equal(vp_jump_hash(0xdeadbeefULL, 100), 87);
  assert_int_equal(vp_jump_hash(UINT64_MAX, 1000), 313);
  assert_int_equal(vp_jump_hash(123456789, INT32_MAX), 1234790967);
  // Slots of known keys, for N = 1, 2, 4, 8, 1024.
  static const int32_t ns[] = { 1, 2, 4, 8, 1024 };
  static const int32_t null_slots[] = { 0, 0, 3, 4, 762 };
  static const int32_t acct_slots[] = { 0, 0, 0, 0, 877 };
  static const int32_t int1_slots[] = { 0, 1, 3, 3, 219 };
  for (int k = 0; k < 5; k++) {
    assert_int_equal(vp_jump_hash(vp_key_hash_null(), ns[k]), null_slots[k]);
    assert_int_equal(
        vp_jump_hash(vp_key_hash_str(VP_STR_LIT("acct-42")), ns[k]),
        acct_slots[k]);
    assert_int_equal(vp_jump_hash(vp_key_hash_int(1), ns[k]), int1_slots[k]);
  }
}

static void test_partition_jump_is_stable(void **state) {
  for (int64_t k = 0; k < 1000; k++) {
    uint64_t h = vp_key_hash_int(k);
    assert_int_equal(vp_jump_hash(h, 8), vp_jump_hash(h, 8));
    assert_true(vp_jump_hash(h, 8) >= 0 && vp_jump_hash(h, 8) < 8);
  }
}

static void test_partition_balance_over_ten_thousand_keys(void **state) {
  static const int32_t ns[] = { 2, 4, 8 };
  for (int k = 0; k < 3; k++) {
    int32_t n = ns[k];
    int counts[8] = { 0 };
    for (int i = 0; i < 10000; i++) {
      char key[32];
      int len = snprintf(key, sizeof key, "user-%d", i);
      counts[vp_jump_hash(vp_key_hash_str((vp_str){ key, len }), n)]++;
    }
    int ideal = 10000 / n;
    for (int b = 0; b < n; b++) {
      assert_in_range(counts[b], ideal - ideal / 10, ideal + ideal / 10);
    }
  }
}

// Growing N from n to n + 1 moves a key only into the new bucket n.
static void test_partition_jump_moves_keys_only_to_new_bucket(void **state) {
  for (int i = 0; i < 10000; i++) {
    uint64_t h = vp_key_hash_int(i);
    int32_t prev = vp_jump_hash(h, 1);
    for (int32_t n = 2; n <= 64; n++) {
      int32_t b = vp_jump_hash(h, n);
      if (b != prev)
        assert_int_equal(b, n - 1);
      prev = b;
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_partition_fnv_reference_vectors),
    cmocka_unit_test(test_partition_key_hash_exact_values),
    cmocka_unit_test(test_partition_float_canonical_zero_and_nan),
    cmocka_unit_test(test_partition_kinds_are_distinct_keys),
    cmocka_unit_test(test_partition_jump_exact_values),
    cmocka_unit_test(test_partition_jump_is_stable),
    cmocka_unit_test(test_partition_balance_over_ten_thousand_keys),
    cmocka_unit_test(test_partition_jump_moves_keys_only_to_new_bucket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
