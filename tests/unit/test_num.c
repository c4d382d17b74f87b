// Unit tests of number text (runtime/num.c): shortest round-trip digits in
// the repr layout of LANGUAGE.md 8.7 against a fixed table taken from
// Python's repr, integer digits, and exact decimal parsing against a table
// taken from Python's float(). tests/check-num.py compares millions more.
// SPDX-License-Identifier: MIT
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "num.h"

static double from_bits(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof v);
  return v;
}

static uint64_t to_bits(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

// Subnormals, the normal boundary, powers of two, integers near 2^53, exact
// midpoints, the positional/exponent switch, and random bit patterns.
static const struct {
  uint64_t bits;
  const char *repr;
} float_cases[] = {
  { 0x0000000000000001u, "5e-324" },
  { 0x0000000000000002u, "1e-323" },
  { 0x000000000000000au, "5e-323" },
  { 0x0000000000000014u, "1e-322" },
  { 0x000fffffffffffffu, "2.225073858507201e-308" },
  { 0x0010000000000000u, "2.2250738585072014e-308" },
  { 0x7fefffffffffffffu, "1.7976931348623157e+308" },
  { 0x3ff0000000000000u, "1.0" },
  { 0x3fe0000000000000u, "0.5" },
  { 0x3cb0000000000000u, "2.220446049250313e-16" },
  { 0x4340000000000000u, "9007199254740992.0" },
  { 0x433fffffffffffffu, "9007199254740991.0" },
  { 0x43c5757239bd3aa2u, "3.092535278770144e+18" },
  { 0xc30fa36fd398d412u, "-1113178120592002.2" },
  { 0x3fb999999999999au, "0.1" },
  { 0x3fd3333333333333u, "0.3" },
  { 0x3f1a36e2eb1c432du, "0.0001" },
  { 0x3f1a36e2eb1c432cu, "9.999999999999999e-05" },
  { 0x3ee4f8b588e368f1u, "1e-05" },
  { 0x4341c37937e08000u, "1e+16" },
  { 0x4341c37937e07fffu, "9999999999999998.0" },
  { 0x4415af1d78b58c40u, "1e+20" },
  { 0x4480f0cf064dd592u, "1e+22" },
  { 0x44b52d02c7e14af6u, "1e+23" },
  { 0x437b69b4ba630f35u, "1.2345678901234568e+17" },
  { 0x4059000000000000u, "100.0" },
  { 0x4097700000000000u, "1500.0" },
  { 0x404dfc28f5c28f5cu, "59.97" },
  { 0x41b016265eee147bu, "269887070.93" },
  // Around the few-decimals path: up to 6 places below 1e9, and the values
  // just outside it that need the general algorithm.
  { 0x3fd3333333333334u, "0.30000000000000004" },
  { 0x40ab57dc28f5c290u, "3499.9300000000003" },
  { 0x41cdcd64fffffff8u, "999999999.999999" },
  { 0x40fe240c9fcb0c02u, "123456.789012" },
  { 0x3f201f31f46ed246u, "0.000123" },
  { 0x3e7ad7f29abcaf48u, "1e-07" },
  { 0x3fecccccccccccccu, "0.8999999999999999" },
  { 0x41cdcd64ffc00000u, "999999999.5" },
  { 0x41cdcd6500400000u, "1000000000.5" },
  { 0x7953a6f252e6b438u, "2.7216092808335446e+276" },
  { 0x32899387269e0d37u, "3.035766360112293e-65" },
  { 0x062e3fe8a6a3a450u, "6.665830898196862e-279" },
  { 0x691f8412128b2f33u, "2.3558459513947972e+198" },
  { 0x0c0c7408892f902bu, "1.2418970069620836e-250" },
  { 0x4a98cc2e5d9dc9f8u, "2.319469273766672e+51" },
  { 0x74712eca0ed90475u, "7.873531487934826e+252" },
  { 0x1b7b3ae681e74ef5u, "2.6878898238430084e-176" },
  { 0x0b0051ad099950d8u, "1.086847153644306e-255" },
  { 0x3586aa4d6f03675au, "7.572358053192185e-51" },
  { 0x1ece0b9211e20b8fu, "2.6713290337373985e-160" },
  { 0x4688b7671738f7d9u, "6.266356115726005e+31" },
};

static void test_num_format_float_matches_repr(void **state) {
  char buf[40];
  for (size_t i = 0; i < sizeof float_cases / sizeof float_cases[0]; i++) {
    int n = vp_num_format_float(buf, from_bits(float_cases[i].bits));
    assert_string_equal(buf, float_cases[i].repr);
    assert_int_equal(n, (int)strlen(float_cases[i].repr));
  }
}

static void test_num_format_float_special_values(void **state) {
  char buf[40];
  vp_num_format_float(buf, 0.0);
  assert_string_equal(buf, "0.0");
  vp_num_format_float(buf, -0.0);
  assert_string_equal(buf, "-0.0");
  vp_num_format_float(buf, -2.5);
  assert_string_equal(buf, "-2.5");
  vp_num_format_float(buf, NAN);
  assert_string_equal(buf, "null");
  vp_num_format_float(buf, -INFINITY);
  assert_string_equal(buf, "null");
}

static void test_num_shortest_strips_trailing_zeros(void **state) {
  uint64_t digits;
  int e;
  vp_num_shortest(1500.0, &digits, &e);
  assert_int_equal(digits, 15);
  assert_int_equal(e, 2);
  vp_num_shortest(0.25, &digits, &e);
  assert_int_equal(digits, 25);
  assert_int_equal(e, -2);
}

static void test_num_format_integers(void **state) {
  char buf[24];
  assert_int_equal(vp_num_format_i64(buf, 0), 1);
  assert_memory_equal(buf, "0", 1);
  assert_int_equal(vp_num_format_i64(buf, -42), 3);
  assert_memory_equal(buf, "-42", 3);
  assert_int_equal(vp_num_format_i64(buf, INT64_MIN), 20);
  assert_memory_equal(buf, "-9223372036854775808", 20);
  assert_int_equal(vp_num_format_u64(buf, UINT64_MAX), 20);
  assert_memory_equal(buf, "18446744073709551615", 20);
  assert_int_equal(vp_num_format_u64(buf, 1000000), 7);
  assert_memory_equal(buf, "1000000", 7);
}

// Fast path and strtod fallback alike must give Python's float().
static const struct {
  const char *text;
  uint64_t bits;
} parse_cases[] = {
  { "19.99", 0x4033fd70a3d70a3du },
  { "-0.5", 0xbfe0000000000000u },
  { "1e-3", 0x3f50624dd2f1a9fcu },
  { "0.1", 0x3fb999999999999au },
  { ".5", 0x3fe0000000000000u },
  { "5.", 0x4014000000000000u },
  { "-.5e-3", 0xbf40624dd2f1a9fcu },
  { "1.5E+3", 0x4097700000000000u },
  { "-0.0", 0x8000000000000000u },
  { "9007199254740993", 0x4340000000000000u },
  { "9007199254740993.0", 0x4340000000000000u },
  { "123456789012345678901234567890", 0x45f8ee90ff6c373eu },
  { "1e23", 0x44b52d02c7e14af6u },
  { "8.98846567431158e307", 0x7fe0000000000000u },
  { "2.2250738585072011e-308", 0x000fffffffffffffu },
  { "4.9e-324", 0x0000000000000001u },
  { "1e-400", 0x0000000000000000u },
  { "0.000001", 0x3eb0c6f7a0b5ed8du },
  { "3.14159265358979323846", 0x400921fb54442d18u },
  { "1e37", 0x479e17b84357691bu },
  { "123456789e30", 0x47d7383a694e0c79u },
  { "1e400", 0x7ff0000000000000u },
};

static void test_num_parse_float_is_exact(void **state) {
  for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
    double v = 1;
    const char *t = parse_cases[i].text;
    assert_true(vp_num_parse_float(t, strlen(t), &v));
    assert_int_equal(to_bits(v), parse_cases[i].bits);
  }
}

static void test_num_parse_float_rejects_other_text(void **state) {
  static const char *const bad[] = { "", "-", ".", "e5", "1e", "1e+", "+.e1",
                                     "1x", "0x1p3", "inf", "nan", "1.5 ",
                                     "--1", "1..2" };
  double v;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false(vp_num_parse_float(bad[i], strlen(bad[i]), &v));
}

static void test_num_parse_float_reads_only_its_span(void **state) {
  double v;
  assert_true(vp_num_parse_float("2.5e3xyz", 5, &v));
  assert_true(v == 2.5e3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_num_format_float_matches_repr),
    cmocka_unit_test(test_num_format_float_special_values),
    cmocka_unit_test(test_num_shortest_strips_trailing_zeros),
    cmocka_unit_test(test_num_format_integers),
    cmocka_unit_test(test_num_parse_float_is_exact),
    cmocka_unit_test(test_num_parse_float_rejects_other_text),
    cmocka_unit_test(test_num_parse_float_reads_only_its_span),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
