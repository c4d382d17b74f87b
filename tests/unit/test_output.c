// Unit tests of the JSON Lines writers (runtime/output.c): float, string and
// timestamp formatting of LANGUAGE.md 8.7, record layout, the dead-letter
// line of 8.8 and the lazily created dead-letter file.
// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "output.h"
#include "scratch.h"

// Opens a writer on a fresh file; finish() closes it and returns the text.
static vp_out *start(void) {
  vp_out *o = vp_out_open(scratch_path("out.jsonl"), false);
  assert_non_null(o);
  return o;
}

static const char *finish(vp_out *o) {
  assert_int_equal(vp_out_close(o), 0);
  return slurp(scratch_path("out.jsonl"));
}

static void test_output_float_table(void **state) {
  static const struct {
    double v;
    const char *want;
  } cases[] = {
    { 0.1, "0.1" },
    { 100.0, "100.0" },
    { 6.0, "6.0" },
    { 1500.0, "1500.0" },
    { 2.5, "2.5" },
    { 0.0, "0.0" },
    { -0.0, "-0.0" },
    { 1e16, "1e+16" },
    { 1.5e16, "1.5e+16" },
    { 9999999999999998.0, "9999999999999998.0" },
    { 1e20, "1e+20" },
    { 1e-05, "1e-05" },
    { 0.0001, "0.0001" },
    { 0.00012345, "0.00012345" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e+308, "1.7976931348623157e+308" },
    { 2.2250738585072014e-308, "2.2250738585072014e-308" },
    { 1306.8000000000002, "1306.8000000000002" },
    { 0.30000000000000004, "0.30000000000000004" },
    { -123.456, "-123.456" },
    { 123456789012345680.0, "1.2345678901234568e+17" },
    { 9007199254740993.0, "9007199254740992.0" },
    { 1e100, "1e+100" },
    { 1.25e-7, "1.25e-07" },
  };
  char buf[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = vp_fmt_float(buf, cases[i].v);
    assert_string_equal(buf, cases[i].want);
    assert_int_equal(n, (int)strlen(cases[i].want));
  }
}

static void test_output_float_nan_and_inf_are_null(void **state) {
  char buf[64];
  vp_fmt_float(buf, NAN);
  assert_string_equal(buf, "null");
  vp_fmt_float(buf, INFINITY);
  assert_string_equal(buf, "null");
  vp_fmt_float(buf, -INFINITY);
  assert_string_equal(buf, "null");

  vp_out *o = start();
  vp_w_begin(o, VP_STR_LIT("T"), false, 0);
  vp_w_key(o, "x", 1);
  vp_w_float(o, NAN);
  vp_w_end(o);
  assert_string_equal(finish(o), "{\"event_type\":\"T\",\"x\":null}\n");
}

static void test_output_time_fraction_groups(void **state) {
  static const struct {
    int64_t ns;
    const char *want;
  } cases[] = {
    { 0, "1970-01-01T00:00:00Z" },
    { 250000000, "1970-01-01T00:00:00.250Z" },
    { 1500000000, "1970-01-01T00:00:01.500Z" },
    { 1000, "1970-01-01T00:00:00.000001Z" },
    { 120000, "1970-01-01T00:00:00.000120Z" },
    { 1, "1970-01-01T00:00:00.000000001Z" },
    { -1, "1969-12-31T23:59:59.999999999Z" },
    { 1709210096789000000, "2024-02-29T12:34:56.789Z" },
    { 951782400000000000, "2000-02-29T00:00:00Z" },
    { INT64_MAX, "2262-04-11T23:47:16.854775807Z" },
    { INT64_MIN, "1677-09-21T00:12:43.145224192Z" },
  };
  char buf[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = vp_fmt_time(buf, cases[i].ns);
    assert_string_equal(buf, cases[i].want);
    assert_int_equal(n, (int)strlen(cases[i].want));
  }
}

static void test_output_string_escapes(void **state) {
  vp_out *o = start();
  static const char s[] = "q\" b\\ n\n r\r t\t b\b f\f c\x01\x1f del\x7f "
                          "\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 /";
  vp_w_begin(o, VP_STR_LIT("T"), false, 0);
  vp_w_key(o, "s", 1);
  vp_w_str(o, (vp_str){ s, sizeof s - 1 });
  vp_w_key(o, "nul", 3);
  vp_w_str(o, (vp_str){ "a\0b", 3 });
  vp_w_end(o);
  assert_string_equal(finish(o),
                      "{\"event_type\":\"T\",\"s\":\"q\\\" b\\\\ n\\n r\\r "
                      "t\\t b\\b f\\f c\\u0001\\u001f del\x7f \xc3\xa9 "
                      "\xe4\xb8\xad \xf0\x9f\x98\x80 /\",\"nul\":"
                      "\"a\\u0000b\"}\n");
}

static void test_output_invalid_utf8_becomes_replacement(void **state) {
  vp_out *o = start();
  vp_w_obj_begin(o);
  vp_w_key(o, "raw", 3);
  vp_w_str(o, VP_STR_LIT("a\xff" "b\xc3"));
  vp_w_obj_end(o);
  assert_string_equal(finish(o), "{\"raw\":\"a\\ufffdb\\ufffd\"}\n");
}

static void test_output_record_layout(void **state) {
  vp_out *o = start();
  vp_w_begin(o, VP_STR_LIT("Heavy"), true, 250000000);
  vp_w_key(o, "parcel", 6);
  vp_w_str(o, VP_STR_LIT("P2"));
  vp_w_key(o, "kg", 2);
  vp_w_float(o, 4.0);
  vp_w_end(o);
  vp_w_begin(o, VP_STR_LIT("Mixed"), false, 0);
  vp_w_key(o, "n", 1);
  vp_w_int(o, INT64_MIN);
  vp_w_key(o, "ok", 2);
  vp_w_bool(o, true);
  vp_w_key(o, "d", 1);
  vp_w_duration(o, 250000000);
  vp_w_key(o, "at", 2);
  vp_w_time(o, 0);
  vp_w_key(o, "a", 1);
  vp_w_arr_begin(o);
  vp_w_int(o, 1);
  vp_w_null(o);
  vp_w_arr_begin(o);
  vp_w_arr_end(o);
  vp_w_obj_begin(o);
  vp_w_key(o, "k", 1);
  vp_w_bool(o, false);
  vp_w_obj_end(o);
  vp_w_arr_end(o);
  vp_w_key(o, "e", 1);
  vp_w_obj_begin(o);
  vp_w_obj_end(o);
  vp_w_end(o);
  assert_int_equal(vp_out_records(o), 2);
  assert_string_equal(
      finish(o),
      "{\"event_type\":\"Heavy\",\"timestamp\":\"1970-01-01T00:00:00.250Z\","
      "\"parcel\":\"P2\",\"kg\":4.0}\n"
      "{\"event_type\":\"Mixed\",\"n\":-9223372036854775808,\"ok\":true,"
      "\"d\":250000000,\"at\":\"1970-01-01T00:00:00Z\","
      "\"a\":[1,null,[],{\"k\":false}],\"e\":{}}\n");
}

static void test_output_value_nested(void **state) {
  vp_value items[3] = {
    { .kind = VP_KIND_FLOAT, .u.f = 1.5 },
    { .kind = VP_KIND_STR, .u.s = VP_STR_LIT("x") },
    { .kind = VP_KIND_NULL },
  };
  vp_list arr = { 3, items, NULL };
  vp_value members[2] = {
    { .kind = VP_KIND_ARRAY, .u.list = &arr },
    { .kind = VP_KIND_BOOL, .u.b = false },
  };
  vp_str keys[2] = { VP_STR_LIT("b"), VP_STR_LIT("a") };
  vp_list map = { 2, members, keys };
  vp_value v = { .kind = VP_KIND_MAP, .u.list = &map };

  vp_out *o = start();
  vp_w_begin(o, VP_STR_LIT("T"), false, 0);
  vp_w_key(o, "m", 1);
  vp_w_value(o, &v);
  vp_w_end(o);
  assert_string_equal(finish(o), "{\"event_type\":\"T\",\"m\":{\"b\":[1.5,"
                                 "\"x\",null],\"a\":false}}\n");
}

static void test_output_dlq_example_line(void **state) {
  vp_out *o = start();
  static const char msg[] = "expected ':' after field name";
  static const char raw[] = "Scan { parcel \"P9\" }";
  vp_dlq_head h = {
    .kind = "parse_error",
    .message = { msg, sizeof msg - 1 },
    .stream = NULL,
    .worker = -1,
    .attempt = 0,
    .origin = { 6, "scans.evt", 7 },
  };
  vp_dlq_begin(o, &h);
  vp_w_null(o);
  vp_str r = { raw, sizeof raw - 1 };
  vp_dlq_end(o, &r, NULL);
  assert_int_equal(vp_out_records(o), 1);
  assert_string_equal(
      finish(o),
      "{\"kind\":\"parse_error\",\"message\":\"expected ':' after field "
      "name\",\"stream\":null,\"worker\":-1,\"attempt\":0,\"seq\":6,"
      "\"input\":\"scans.evt\",\"line\":7,\"event\":null,\"raw\":\"Scan { "
      "parcel \\\"P9\\\" }\"}\n");
}

static void test_output_dlq_event_and_handler_error(void **state) {
  vp_out *o = start();
  vp_dlq_head h = {
    .kind = "error",
    .message = VP_STR_LIT("division by zero"),
    .stream = "Scored",
    .worker = 2,
    .attempt = 1,
    .origin = { 41, "pay.jsonl", 42 },
  };
  vp_str herr = VP_STR_LIT("handler failed");
  vp_dlq_begin(o, &h);
  vp_w_begin(o, VP_STR_LIT("Payment"), true, 1000000);
  vp_w_key(o, "amount", 6);
  vp_w_float(o, -3.0);
  vp_w_end(o);
  vp_dlq_end(o, NULL, &herr);
  assert_int_equal(vp_out_records(o), 1);
  assert_string_equal(
      finish(o),
      "{\"kind\":\"error\",\"message\":\"division by zero\",\"stream\":"
      "\"Scored\",\"worker\":2,\"attempt\":1,\"seq\":41,\"input\":"
      "\"pay.jsonl\",\"line\":42,\"event\":{\"event_type\":\"Payment\","
      "\"timestamp\":\"1970-01-01T00:00:00.001Z\",\"amount\":-3.0},"
      "\"handler_error\":\"handler failed\"}\n");
}

static void test_output_lazy_file_created_on_first_record(void **state) {
  const char *path = scratch_path("lazy.dlq.jsonl");
  struct stat st;
  unlink(path);
  vp_out *o = vp_out_open(path, true);
  assert_non_null(o);
  assert_int_equal(stat(path, &st), -1);
  assert_int_equal(vp_out_close(o), 0);
  assert_int_equal(stat(path, &st), -1);

  o = vp_out_open(path, true);
  vp_w_obj_begin(o);
  vp_w_key(o, "a", 1);
  vp_w_int(o, 1);
  vp_w_obj_end(o);
  assert_int_equal(vp_out_close(o), 0);
  assert_string_equal(slurp(path), "{\"a\":1}\n");
}

static void test_output_lazy_file_truncated_at_open(void **state) {
  const char *path = scratch_path("old.dlq.jsonl");
  FILE *f = fopen(path, "w");
  fputs("old contents\n", f);
  fclose(f);

  vp_out *o = vp_out_open(path, true);
  assert_non_null(o);
  assert_string_equal(slurp(path), "");
  assert_int_equal(vp_out_close(o), 0);
  assert_string_equal(slurp(path), "");
}

static void test_output_open_fails_in_missing_directory(void **state) {
  errno = 0;
  assert_null(vp_out_open(scratch_path("missing/dir/x.jsonl"), true));
  assert_int_equal(errno, ENOENT);
  errno = 0;
  assert_null(vp_out_open(scratch_path("missing/dir/x.jsonl"), false));
  assert_int_equal(errno, ENOENT);
}

static void test_output_large_record_spans_buffers(void **state) {
  static char big[600 * 1024];
  memset(big, 'x', sizeof big);
  vp_out *o = start();
  for (int i = 0; i < 3; i++) {
    vp_w_begin(o, VP_STR_LIT("Big"), false, 0);
    vp_w_key(o, "s", 1);
    vp_w_str(o, (vp_str){ big, sizeof big });
    vp_w_end(o);
  }
  assert_int_equal(vp_out_records(o), 3);
  int64_t line = 28 + (int64_t)sizeof big;
  assert_int_equal(vp_out_bytes(o), 3 * line);
  assert_int_equal(vp_out_close(o), 0);

  struct stat st;
  assert_int_equal(stat(scratch_path("out.jsonl"), &st), 0);
  assert_int_equal(st.st_size, 3 * line);
}

// A worker's records travel as vp_out_take wrote them: a small one and one
// larger than the writer's buffer, then a second take after the first
// emptied the memory output.
static void test_output_memory_take_and_put(void **state) {
  static char big[600 * 1024];
  memset(big, 'y', sizeof big);
  vp_out *mem = vp_out_open_memory();
  vp_w_begin(mem, VP_STR_LIT("A"), false, 0);
  vp_w_key(mem, "n", 1);
  vp_w_int(mem, 7);
  vp_w_end(mem);
  vp_w_begin(mem, VP_STR_LIT("Big"), false, 0);
  vp_w_key(mem, "s", 1);
  vp_w_str(mem, (vp_str){ big, sizeof big });
  vp_w_end(mem);
  vp_buf b = { 0 };
  vp_out_take(mem, &b);
  vp_w_begin(mem, VP_STR_LIT("B"), false, 0);
  vp_w_end(mem);
  vp_out_take(mem, &b);
  vp_out_take(mem, &b);  // nothing since: no records, no bytes

  vp_out *o = start();
  vp_rd rd = { b.p, b.p + b.n };
  for (int i = 0; i < 3; i++)
    vp_out_put_taken(o, &rd);
  assert_ptr_equal(rd.p, rd.end);
  assert_int_equal(vp_out_records(o), 3);
  int64_t small = 25, line = 28 + (int64_t)sizeof big, last = 19;
  assert_int_equal(vp_out_bytes(o), small + line + last);
  const char *head = "{\"event_type\":\"A\",\"n\":7}\n"
                     "{\"event_type\":\"Big\",\"s\":\"yyy";
  assert_memory_equal(finish(o), head, strlen(head));

  char tail[32] = { 0 };
  FILE *f = fopen(scratch_path("out.jsonl"), "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  assert_int_equal(ftell(f), small + line + last);
  assert_int_equal(fseek(f, -(last + 3), SEEK_END), 0);
  assert_int_equal(fread(tail, 1, sizeof tail - 1, f), last + 3);
  fclose(f);
  assert_string_equal(tail, "\"}\n{\"event_type\":\"B\"}\n");
  vp_buf_free(&b);
  assert_int_equal(vp_out_close(mem), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_output_float_table),
    cmocka_unit_test(test_output_float_nan_and_inf_are_null),
    cmocka_unit_test(test_output_time_fraction_groups),
    cmocka_unit_test(test_output_string_escapes),
    cmocka_unit_test(test_output_invalid_utf8_becomes_replacement),
    cmocka_unit_test(test_output_record_layout),
    cmocka_unit_test(test_output_value_nested),
    cmocka_unit_test(test_output_dlq_example_line),
    cmocka_unit_test(test_output_dlq_event_and_handler_error),
    cmocka_unit_test(test_output_lazy_file_created_on_first_record),
    cmocka_unit_test(test_output_lazy_file_truncated_at_open),
    cmocka_unit_test(test_output_open_fails_in_missing_directory),
    cmocka_unit_test(test_output_large_record_spans_buffers),
    cmocka_unit_test(test_output_memory_take_and_put),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
