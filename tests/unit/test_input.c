// Unit tests of the input readers (runtime/input.c with json.c, evt.c and
// civil.c): every example of LANGUAGE.md 8.3 and 8.4, malformed lines and
// their messages, event time (8.5), positions, limits (8.2) and the vp_as_*
// decoders.
// SPDX-License-Identifier: MIT
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evtfast.h"
#include "input.h"

static vp_arena arena;
static vp_input *in;

static int teardown_each(void **state) {
  vp_input_close(in);
  in = NULL;
  vp_arena_free(&arena);
  return 0;
}

static void open_text(const char *text, vp_format fmt) {
  vp_input_close(in);
  in = vp_input_open_mem(text, strlen(text), "t.evt", fmt);
  assert_non_null(in);
}

// Reads the next record, which must parse.
static vp_event next_record(void) {
  vp_event ev;
  const char *msg = NULL;
  vp_read_status st = vp_input_next(in, &arena, &ev, &msg);
  if (st != VP_READ_RECORD)
    fail_msg("expected a record, got status %d (%s)", st, msg ? msg : "");
  return ev;
}

// Reads the next record, which must be malformed with message want.
static vp_event next_malformed(const char *want) {
  vp_event ev;
  const char *msg = NULL;
  vp_read_status st = vp_input_next(in, &arena, &ev, &msg);
  if (st != VP_READ_MALFORMED)
    fail_msg("expected '%s', got status %d", want, st);
  assert_string_equal(msg, want);
  return ev;
}

static void expect_end(void) {
  vp_event ev;
  const char *msg;
  assert_int_equal(vp_input_next(in, &arena, &ev, &msg), VP_READ_END);
}

static void expect_str_eq(vp_str s, const char *want) {
  if ((size_t)s.n != strlen(want) || memcmp(s.p, want, (size_t)s.n) != 0)
    fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p, want);
}

static const vp_value *field(const vp_event *ev, const char *name) {
  const vp_value *v = vp_event_get(ev, name, strlen(name));
  if (!v)
    fail_msg("no field %s", name);
  return v;
}

static void expect_str(const vp_event *ev, const char *name, const char *s) {
  const vp_value *v = field(ev, name);
  assert_int_equal(v->kind, VP_KIND_STR);
  expect_str_eq(v->u.s, s);
}

static void expect_int(const vp_event *ev, const char *name, int64_t i) {
  const vp_value *v = field(ev, name);
  assert_int_equal(v->kind, VP_KIND_INT);
  assert_int_equal(v->u.i, i);
}

static void expect_float(const vp_event *ev, const char *name, double f) {
  const vp_value *v = field(ev, name);
  assert_int_equal(v->kind, VP_KIND_FLOAT);
  assert_true(v->u.f == f);
}

static void expect_names(const vp_event *ev, const char *const *names,
                         int n) {
  assert_int_equal(ev->nfields, n);
  for (int i = 0; i < n; i++)
    expect_str_eq(ev->names[i], names[i]);
}

static void expect_time(const vp_event *ev, int64_t ms, bool from_data) {
  assert_int_equal(ev->time_ns, ms * 1000000);
  assert_int_equal(ev->time_from_data, from_data);
}

static void test_input_evt_spec_example(void **state) {
  open_text("# offsets 0, 250, 250 and 2000 ms\n"
            "Scan { parcel: \"P1\", hub: HAM, kg: 2.5 }\n"
            "BATCH 250\n"
            "Scan { parcel: \"P2\", hub: 'BER', kg: 4, tags: [\"fragile\", "
            "\"cold\"] }\n"
            "Scan(P3, MUC, 1.0)\n"
            "@2s Scan { parcel: \"P4\", hub: HAM, kg: 0.7, dims: {l: 10, w: "
            "20} };\n",
            VP_FORMAT_AUTO);

  vp_event ev = next_record();
  expect_str_eq(ev.type, "Scan");
  assert_int_equal(ev.origin.seq, 0);
  assert_int_equal(ev.origin.line, 2);
  assert_string_equal(ev.origin.input, "t.evt");
  expect_str_eq(ev.raw, "Scan { parcel: \"P1\", hub: HAM, kg: 2.5 }");
  expect_names(&ev, (const char *[]){ "parcel", "hub", "kg" }, 3);
  expect_str(&ev, "parcel", "P1");
  expect_str(&ev, "hub", "HAM");
  expect_float(&ev, "kg", 2.5);
  expect_time(&ev, 0, false);

  ev = next_record();
  assert_int_equal(ev.origin.seq, 1);
  assert_int_equal(ev.origin.line, 4);
  expect_str(&ev, "hub", "BER");
  expect_int(&ev, "kg", 4);
  const vp_value *tags = field(&ev, "tags");
  assert_int_equal(tags->kind, VP_KIND_ARRAY);
  assert_int_equal(tags->u.list->n, 2);
  expect_str_eq(tags->u.list->items[0].u.s, "fragile");
  expect_str_eq(tags->u.list->items[1].u.s, "cold");
  expect_time(&ev, 250, true);

  ev = next_record();
  assert_int_equal(ev.origin.seq, 2);
  expect_names(&ev, (const char *[]){ "field_0", "field_1", "field_2" }, 3);
  expect_str(&ev, "field_0", "P3");
  expect_str(&ev, "field_1", "MUC");
  expect_float(&ev, "field_2", 1.0);
  expect_time(&ev, 250, true);

  ev = next_record();
  assert_int_equal(ev.origin.line, 6);
  expect_float(&ev, "kg", 0.7);
  const vp_value *dims = field(&ev, "dims");
  assert_int_equal(dims->kind, VP_KIND_MAP);
  assert_int_equal(dims->u.list->n, 2);
  expect_str_eq(dims->u.list->keys[0], "l");
  assert_int_equal(dims->u.list->items[0].u.i, 10);
  expect_str_eq(dims->u.list->keys[1], "w");
  assert_int_equal(dims->u.list->items[1].u.i, 20);
  expect_time(&ev, 2000, true);
  expect_end();
}

static void test_input_evt_values(void **state) {
  open_text("V { q: 'a, b', d: \"x\\\"y\\n\\t\\\\z\\q\", s: 'it\\'s', n: nil, "
            "z: null, t: true, f: false, i: -7, p: +7, h: .5, e: 1.5e3, "
            "inf: inf, nan: nan, w: hello world, x: 0x10, a: [], "
            "m: {}, nest: [[1], {k: 'v'}], }\n",
            VP_FORMAT_AUTO);
  vp_event ev = next_record();
  expect_str(&ev, "q", "a, b");
  expect_str(&ev, "d", "x\"y\n\t\\z\\q");
  expect_str(&ev, "s", "it's");
  assert_int_equal(field(&ev, "n")->kind, VP_KIND_NULL);
  assert_int_equal(field(&ev, "z")->kind, VP_KIND_NULL);
  assert_int_equal(field(&ev, "t")->kind, VP_KIND_BOOL);
  assert_true(field(&ev, "t")->u.b);
  assert_false(field(&ev, "f")->u.b);
  expect_int(&ev, "i", -7);
  expect_int(&ev, "p", 7);
  expect_float(&ev, "h", 0.5);
  expect_float(&ev, "e", 1500.0);
  assert_int_equal(field(&ev, "inf")->kind, VP_KIND_FLOAT);
  assert_true(field(&ev, "inf")->u.f > 1e308);
  assert_int_equal(field(&ev, "nan")->kind, VP_KIND_FLOAT);
  assert_true(field(&ev, "nan")->u.f != field(&ev, "nan")->u.f);
  expect_str(&ev, "w", "hello world");
  expect_str(&ev, "x", "0x10");
  assert_int_equal(field(&ev, "a")->u.list->n, 0);
  assert_int_equal(field(&ev, "m")->kind, VP_KIND_MAP);
  assert_int_equal(field(&ev, "m")->u.list->n, 0);
  const vp_list *nest = field(&ev, "nest")->u.list;
  assert_int_equal(nest->n, 2);
  assert_int_equal(nest->items[0].u.list->items[0].u.i, 1);
  expect_str_eq(nest->items[1].u.list->items[0].u.s, "v");
  assert_int_equal(ev.nfields, 18);
  expect_end();
}

static void test_input_evt_int_range(void **state) {
  open_text("N(9223372036854775807, -9223372036854775808, "
            "9223372036854775808, 99999999999999999999)\n",
            VP_FORMAT_EVT);
  vp_event ev = next_record();
  expect_int(&ev, "field_0", INT64_MAX);
  expect_int(&ev, "field_1", INT64_MIN);
  expect_float(&ev, "field_2", 9223372036854775808.0);
  expect_float(&ev, "field_3", 1e20);
}

static void test_input_json_forms(void **state) {
  open_text("{\"event_type\":\"A\",\"type\":\"x\",\"v\":1}\n"
            "{\"type\":\"B\",\"v\":2}\n"
            "{\"v\":3,\"event_type\":\"C\",\"data\":{\"a\":1,\"b\":[true]},"
            "\"timestamp\":\"1970-01-01T00:00:01Z\",\"other\":2}\n"
            "{\"event_type\":\"D\",\"data\":5}\n"
            "  { \"event_type\" : \"E\" , \"s\" : \"\\u00e9\\ud83d\\ude00\\/\" "
            "}  \n",
            VP_FORMAT_JSONL);
  vp_event ev = next_record();
  expect_str_eq(ev.type, "A");
  expect_names(&ev, (const char *[]){ "type", "v" }, 2);
  expect_str(&ev, "type", "x");

  ev = next_record();
  expect_str_eq(ev.type, "B");
  expect_names(&ev, (const char *[]){ "v" }, 1);
  expect_int(&ev, "v", 2);

  ev = next_record();
  expect_str_eq(ev.type, "C");
  expect_names(&ev, (const char *[]){ "a", "b" }, 2);
  expect_time(&ev, 1000, true);

  ev = next_record();
  expect_names(&ev, (const char *[]){ "data" }, 1);
  expect_int(&ev, "data", 5);

  ev = next_record();
  expect_str_eq(ev.type, "E");
  expect_str(&ev, "s", "\xc3\xa9\xf0\x9f\x98\x80/");
  expect_end();
}

static void test_input_json_numbers(void **state) {
  open_text("{\"event_type\":\"N\",\"a\":9223372036854775807,"
            "\"b\":-9223372036854775808,\"c\":9223372036854775808,"
            "\"d\":1.0,\"e\":1e2,\"f\":-0,\"g\":0.5e-3,\"h\":-12}\n",
            VP_FORMAT_AUTO);
  vp_event ev = next_record();
  expect_int(&ev, "a", INT64_MAX);
  expect_int(&ev, "b", INT64_MIN);
  expect_float(&ev, "c", 9223372036854775808.0);
  expect_float(&ev, "d", 1.0);
  expect_float(&ev, "e", 100.0);
  expect_int(&ev, "f", 0);
  expect_float(&ev, "g", 0.0005);
  expect_int(&ev, "h", -12);
}

static void test_input_duplicate_keys_keep_first_position(void **state) {
  open_text("{\"event_type\":\"D\",\"a\":1,\"b\":2,\"a\":3}\n"
            "D { a: 1, b: 2, a: 3 }\n"
            "{\"event_type\":\"D\",\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,"
            "\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k1\":11,\"k8\":18,"
            "\"k9\":9}\n",
            VP_FORMAT_AUTO);
  for (int i = 0; i < 2; i++) {
    vp_event ev = next_record();
    expect_names(&ev, (const char *[]){ "a", "b" }, 2);
    expect_int(&ev, "a", 3);
    expect_int(&ev, "b", 2);
  }
  vp_event ev = next_record();
  assert_int_equal(ev.nfields, 10);
  expect_str_eq(ev.names[1], "k1");
  expect_int(&ev, "k1", 11);
  expect_str_eq(ev.names[8], "k8");
  expect_int(&ev, "k8", 18);
  expect_str_eq(ev.names[9], "k9");
}

static void test_input_malformed_messages(void **state) {
  static const struct {
    const char *line;
    const char *msg;
  } cases[] = {
    { "Scan { parcel \"P9\" }", "expected ':' after field name" },
    { "Scan", "expected '{' or '(' after record name" },
    { "Scan { a: 1", "expected '}' at end of record" },
    { "Scan(1, 2", "expected ')' at end of record" },
    { "Scan { a: \"x }", "unterminated string" },
    { "Scan { a: 1 } trailing", "unexpected text after record" },
    { "Scan { a: 1, , }", "expected a field name" },
    { "Scan { a: }", "expected a value" },
    { "Scan { a: [1, \"x\" 2] }", "expected ',' or ']' in array" },
    { "9lives { }", "expected a record name" },
    { "[1, 2]", "expected a record name" },
    { "BATCH x", "invalid BATCH offset (expected milliseconds)" },
    { "@x Scan { }", "invalid @ offset (expected digits)" },
    { "@5Scan { }", "invalid @ offset (digits, then ms, s or m, then "
                    "whitespace)" },
    { "@1h Scan { }", "invalid @ offset (digits, then ms, s or m, then "
                      "whitespace)" },
    { "@1.5s Scan { }", "invalid @ offset (digits, then ms, s or m, then "
                        "whitespace)" },
    { "{\"event_type\":\"A\",}", "expected a string key in object" },
    { "{\"event_type\":\"A\" \"b\":1}", "expected ',' or '}' in object" },
    { "{\"event_type\" 1}", "expected ':' after object key" },
    { "{\"event_type\":\"A\",\"b\":01}", "invalid number (leading zero)" },
    { "{\"event_type\":\"A\",\"b\":1.}", "invalid number" },
    { "{\"event_type\":\"A\",\"b\":tru}",
      "invalid literal (expected a value)" },
    { "{\"event_type\":\"A\",\"b\":[1,]}", "expected a value" },
    { "{\"event_type\":\"A\"} x", "unexpected text after JSON object" },
    { "{\"event_type\":\"A\",\"s\":\"\x01\"}", "control character in string" },
    { "{\"event_type\":\"A\",\"s\":\"\\q\"}", "invalid escape in string" },
    { "{\"event_type\":\"A\",\"s\":\"\\u12\"}",
      "invalid \\u escape in string" },
    { "{\"event_type\":\"A\",\"s\":\"\\ud800\"}",
      "unpaired surrogate in \\u escape" },
    { "{\"event_type\":\"A\",\"s\":\"abc", "unterminated string" },
    { "{\"v\":1}", "missing event_type" },
    { "{\"event_type\":5}", "event_type must be a string" },
    { "{\"type\":null}", "type must be a string" },
    { "Scan { s: \"\xc3\x28\" }", "invalid UTF-8" },
    { "Scan { s: \"\xed\xa0\x80\" }", "invalid UTF-8" },
    { "Scan { s: \"\xc0\xaf\" }", "invalid UTF-8" },
  };
  enum { N = sizeof cases / sizeof cases[0] };

  char text[4096] = "";
  for (int i = 0; i < N; i++) {
    strcat(text, cases[i].line);
    strcat(text, "\n");
  }
  open_text(text, VP_FORMAT_AUTO);
  for (int i = 0; i < N; i++) {
    vp_event ev = next_malformed(cases[i].msg);
    assert_int_equal(ev.origin.seq, i);
    assert_int_equal(ev.origin.line, i + 1);
    expect_str_eq(ev.raw, cases[i].line);
    assert_int_equal(ev.nfields, 0);
  }
  expect_end();
}

static void test_input_format_modes(void **state) {
  open_text("{\"event_type\":\"A\"}\nA { }\n", VP_FORMAT_EVT);
  next_malformed("JSON object in .evt input (--format evt)");
  vp_event ev = next_record();
  expect_str_eq(ev.type, "A");
  expect_end();

  open_text("\n  \nA { }\n# comment\nBATCH 5\n{\"event_type\":\"A\"}\n",
            VP_FORMAT_JSONL);
  ev = next_malformed("expected a JSON object");
  assert_int_equal(ev.origin.line, 3);
  next_malformed("expected a JSON object");
  next_malformed("expected a JSON object");
  ev = next_record();
  assert_int_equal(ev.origin.seq, 3);
  assert_int_equal(ev.origin.line, 6);
  expect_time(&ev, 0, false);
  expect_end();
}

static void test_input_event_time_rules(void **state) {
  open_text("A { }\n"
            "@5 A { }\n"
            "A { }\n"
            "BATCH 100\n"
            "A { }\n"
            "@1m A { }\n"
            "@250ms A { }\n"
            "A { timestamp: \"2024-01-01T00:00:00Z\" }\n"
            "A { timestamp: 1500 }\n"
            "A { timestamp: \"garbage\" }\n"
            "BATCH\n"
            "{\"event_type\":\"A\"}\n"
            "@3s {\"event_type\":\"A\"}\n",
            VP_FORMAT_AUTO);
  vp_event ev = next_record();
  expect_time(&ev, 0, false);
  ev = next_record();
  expect_time(&ev, 5, true);
  ev = next_record();
  expect_time(&ev, 5, false);
  ev = next_record();
  expect_time(&ev, 100, true);
  ev = next_record();
  expect_time(&ev, 60000, true);
  ev = next_record();
  expect_time(&ev, 250, true);
  ev = next_record();
  expect_time(&ev, 1704067200000, true);
  ev = next_record();
  expect_time(&ev, 1500, true);
  ev = next_record();
  expect_time(&ev, 100, true);
  ev = next_record();
  expect_time(&ev, 100, true);
  ev = next_record();
  expect_time(&ev, 3000, true);
  expect_end();
}

static void test_input_rule_four_after_declared_time(void **state) {
  open_text("A { }\nA { }\n", VP_FORMAT_AUTO);
  next_record();
  vp_input_set_time(in, 42000000);
  vp_event ev = next_record();
  expect_time(&ev, 42, false);
}

static void test_input_crlf_and_unterminated_last_line(void **state) {
  open_text("A { v: 1 }\r\n\r\nB { v: 'x' }", VP_FORMAT_AUTO);
  vp_event ev = next_record();
  expect_str_eq(ev.raw, "A { v: 1 }");
  expect_int(&ev, "v", 1);
  ev = next_record();
  expect_str_eq(ev.type, "B");
  assert_int_equal(ev.origin.line, 3);
  expect_str_eq(ev.raw, "B { v: 'x' }");
  expect_end();
  assert_int_equal(vp_input_bytes(in), 26);
}

// Builds '{"event_type":"L",' + body + '}' in a malloc'd string.
static char *json_line(const char *body) {
  size_t n = strlen(body) + 64;
  char *s = malloc(n);
  snprintf(s, n, "{\"event_type\":\"L\",%s}\n", body);
  return s;
}

static void test_input_depth_limit(void **state) {
  char body[256], *p;
  // The object is depth 1: 31 nested arrays reach 32.
  p = body + sprintf(body, "\"a\":");
  for (int i = 0; i < 31; i++)
    *p++ = '[';
  for (int i = 0; i < 31; i++)
    *p++ = ']';
  *p = '\0';
  char *ok = json_line(body);

  p = body + sprintf(body, "\"a\":");
  for (int i = 0; i < 32; i++)
    *p++ = '[';
  for (int i = 0; i < 32; i++)
    *p++ = ']';
  *p = '\0';
  char *deep = json_line(body);

  char text[1024];
  snprintf(text, sizeof text, "%s%s", ok, deep);
  open_text(text, VP_FORMAT_AUTO);
  next_record();
  next_malformed("nesting too deep (limit 32)");
  free(ok);
  free(deep);
}

// A JSON record with n fields f0..f(n-1), and the same in .evt.
static char *wide_record(int n, bool json) {
  char *s = malloc((size_t)n * 24 + 64);
  char *p = s + sprintf(s, json ? "{\"event_type\":\"W\"" : "W {");
  for (int i = 0; i < n; i++) {
    if (json)
      p += sprintf(p, ",\"f%d\":%d", i, i);
    else
      p += sprintf(p, "%sf%d: %d", i ? ", " : " ", i, i);
  }
  strcpy(p, json ? "}\n" : " }\n");
  return s;
}

static void test_input_field_limit(void **state) {
  for (int json = 0; json < 2; json++) {
    char *ok = wide_record(1024, json), *wide = wide_record(1025, json);
    size_t n = strlen(ok) + strlen(wide) + 1;
    char *text = malloc(n);
    snprintf(text, n, "%s%s", ok, wide);
    open_text(text, VP_FORMAT_AUTO);
    vp_event ev = next_record();
    assert_int_equal(ev.nfields, 1024);
    expect_int(&ev, "f1023", 1023);
    next_malformed("too many fields (limit 1024)");
    expect_end();
    vp_input_close(in);
    in = NULL;
    free(text);
    free(ok);
    free(wide);
  }
}

static void test_input_line_length_limit(void **state) {
  enum { LIMIT = 1024 * 1024 };
  // "L { s: '" + x... + "' }" = exactly LIMIT bytes, then LIMIT + 1.
  size_t n = 2 * LIMIT + 64;
  char *text = malloc(n);
  char *p = text;
  for (int extra = 0; extra < 2; extra++) {
    p += sprintf(p, "L { s: '");
    size_t fill = LIMIT - 8 - 3 + (size_t)extra;
    memset(p, 'x', fill);
    p += fill;
    p += sprintf(p, "' }\n");
  }
  p += sprintf(p, "After { }\n");

  // Through a file, so the reader's buffer refills mid-line.
  char path[] = "/tmp/vp_test_input_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, (size_t)(p - text)), p - text);
  close(fd);

  const char *paths[] = { path };
  char why[256];
  in = vp_input_open(paths, 1, VP_FORMAT_AUTO, why, sizeof why);
  assert_non_null(in);
  vp_event ev = next_record();
  assert_int_equal(ev.raw.n, LIMIT);
  assert_int_equal(field(&ev, "s")->u.s.n, LIMIT - 11);
  ev = next_malformed("line too long (limit 1 MiB)");
  assert_int_equal(ev.raw.n, LIMIT);
  assert_int_equal(ev.origin.line, 2);
  ev = next_record();
  expect_str_eq(ev.type, "After");
  assert_int_equal(ev.origin.line, 3);
  assert_int_equal(ev.origin.seq, 2);
  expect_end();
  assert_int_equal(vp_input_bytes(in), p - text);
  unlink(path);
  free(text);
}

static void test_input_files_in_order_with_positions(void **state) {
  char p1[] = "/tmp/vp_test_input_XXXXXX", p2[] = "/tmp/vp_test_input_XXXXXX";
  int f1 = mkstemp(p1), f2 = mkstemp(p2);
  static const char t1[] = "# first\nBATCH 7\nA { }\n\nA { }";
  static const char t2[] = "// second\nA { }\n";
  assert_int_equal(write(f1, t1, sizeof t1 - 1), sizeof t1 - 1);
  assert_int_equal(write(f2, t2, sizeof t2 - 1), sizeof t2 - 1);
  close(f1);
  close(f2);

  const char *paths[] = { p1, p2 };
  char why[256];
  in = vp_input_open(paths, 2, VP_FORMAT_AUTO, why, sizeof why);
  assert_non_null(in);
  vp_event ev = next_record();
  assert_string_equal(ev.origin.input, p1);
  assert_int_equal(ev.origin.line, 3);
  assert_int_equal(ev.origin.seq, 0);
  expect_time(&ev, 7, true);
  ev = next_record();
  assert_int_equal(ev.origin.line, 5);
  assert_int_equal(ev.origin.seq, 1);
  ev = next_record();
  assert_string_equal(ev.origin.input, p2);
  assert_int_equal(ev.origin.line, 2);
  assert_int_equal(ev.origin.seq, 2);
  // BATCH offsets belong to their file; the time carries over by rule 4.
  expect_time(&ev, 7, false);
  expect_end();
  assert_int_equal(vp_input_error(in), 0);
  unlink(p1);
  unlink(p2);
}

static void test_input_open_reports_missing_file(void **state) {
  const char *paths[] = { "/nonexistent/input.evt" };
  char why[256];
  assert_null(vp_input_open(paths, 1, VP_FORMAT_AUTO, why, sizeof why));
  assert_string_equal(why, "cannot open input /nonexistent/input.evt: No "
                           "such file or directory");
  const char *dirs[] = { "/tmp" };
  assert_null(vp_input_open(dirs, 1, VP_FORMAT_AUTO, why, sizeof why));
  assert_string_equal(why, "cannot open input /tmp: Is a directory");
}

static void test_input_as_timestamp(void **state) {
  static const struct {
    const char *s;
    int64_t ns;
  } good[] = {
    { "1970-01-01T00:00:00Z", 0 },
    { "1970-01-01T00:00:00.250Z", 250000000 },
    { "@1970-01-01T00:00:01", 1000000000 },
    { "2024-05-01T12:00:00Z", 1714564800000000000 },
    { "2024-05-01T12:00:00.123456789+02:00", 1714557600123456789 },
    { "2024-05-01t12:00:00-01:30", 1714570200000000000 },
    { "2024-05-01 12:00:00", 1714564800000000000 },
    { "2024-05-01", 1714521600000000000 },
    { "2024-02-29T00:00:00Z", 1709164800000000000 },
    { "1969-12-31T23:59:59.999999999Z", -1 },
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    vp_value v = { .kind = VP_KIND_STR,
                   .u.s = { good[i].s, (int64_t)strlen(good[i].s) } };
    int64_t ns = 0;
    if (!vp_as_timestamp(&v, &ns))
      fail_msg("rejected %s", good[i].s);
    assert_int_equal(ns, good[i].ns);
  }

  static const char *const bad[] = {
    "2024-13-01", "2024-02-30", "2023-02-29T00:00:00Z", "2024-05-01T25:00:00Z",
    "2024-05-01T12:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+2",
    "x", "", "2024-05-01T12:00:00Zjunk", "3000-01-01T00:00:00Z",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vp_value v = { .kind = VP_KIND_STR,
                   .u.s = { bad[i], (int64_t)strlen(bad[i]) } };
    int64_t ns;
    if (vp_as_timestamp(&v, &ns))
      fail_msg("accepted %s", bad[i]);
  }

  vp_value ms = { .kind = VP_KIND_INT, .u.i = 1500 };
  int64_t ns;
  assert_true(vp_as_timestamp(&ms, &ns));
  assert_int_equal(ns, 1500000000);
  vp_value huge = { .kind = VP_KIND_INT, .u.i = INT64_MAX / 1000 };
  assert_false(vp_as_timestamp(&huge, &ns));
  vp_value f = { .kind = VP_KIND_FLOAT, .u.f = 1.0 };
  assert_false(vp_as_timestamp(&f, &ns));
  assert_false(vp_as_timestamp(NULL, &ns));
}

static void test_input_as_duration(void **state) {
  static const struct {
    const char *s;
    int64_t ns;
  } good[] = {
    { "250ms", 250000000 }, { "1s", 1000000000 },     { "5m", 300000000000 },
    { "2h", 7200000000000 }, { "1d", 86400000000000 }, { "10ns", 10 },
    { "3us", 3000 },         { "-4s", -4000000000 },   { "0s", 0 },
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    vp_value v = { .kind = VP_KIND_STR,
                   .u.s = { good[i].s, (int64_t)strlen(good[i].s) } };
    int64_t ns = 0;
    if (!vp_as_duration(&v, &ns))
      fail_msg("rejected %s", good[i].s);
    assert_int_equal(ns, good[i].ns);
  }
  static const char *const bad[] = { "1.5s", "5sec", "s", "",
                                     "1h30m", "9999999999999999999d" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vp_value v = { .kind = VP_KIND_STR,
                   .u.s = { bad[i], (int64_t)strlen(bad[i]) } };
    int64_t ns;
    if (vp_as_duration(&v, &ns))
      fail_msg("accepted %s", bad[i]);
  }
  vp_value i = { .kind = VP_KIND_INT, .u.i = 7 };
  int64_t ns;
  assert_true(vp_as_duration(&i, &ns));
  assert_int_equal(ns, 7);
}

static void test_input_as_scalars(void **state) {
  vp_value i = { .kind = VP_KIND_INT, .u.i = 3 };
  vp_value f = { .kind = VP_KIND_FLOAT, .u.f = 2.5 };
  vp_value b = { .kind = VP_KIND_BOOL, .u.b = true };
  vp_value s = { .kind = VP_KIND_STR, .u.s = VP_STR_LIT("x") };
  vp_value n = { .kind = VP_KIND_NULL };
  int64_t iv;
  double fv;
  bool bv;
  vp_str sv;

  assert_true(vp_as_int(&i, &iv));
  assert_int_equal(iv, 3);
  assert_false(vp_as_int(&f, &iv));
  assert_false(vp_as_int(&s, &iv));
  assert_true(vp_as_float(&i, &fv));
  assert_true(fv == 3.0);
  assert_true(vp_as_float(&f, &fv));
  assert_true(fv == 2.5);
  assert_false(vp_as_float(&n, &fv));
  assert_true(vp_as_bool(&b, &bv));
  assert_true(bv);
  assert_false(vp_as_bool(&i, &bv));
  assert_true(vp_as_str(&s, &sv));
  expect_str_eq(sv, "x");
  assert_false(vp_as_str(&n, &sv));
  assert_false(vp_as_str(NULL, &sv));
}

// The hint only orders the search: right, wrong and out-of-range hints
// all find the same member, and a search leaves the hint on it.
static void test_input_event_get_hint(void **state) {
  open_text("A { x: 1, y: 2.5, z: \"s\" }\nA { z: \"t\", x: 3 }\n",
            VP_FORMAT_EVT);
  vp_event ev = next_record();
  int32_t hint = 0;
  const vp_value *v = vp_event_get_hint(&ev, "y", 1, &hint);
  assert_non_null(v);
  assert_true(v->kind == VP_KIND_FLOAT && v->u.f == 2.5);
  assert_int_equal(hint, 1);
  assert_ptr_equal(vp_event_get_hint(&ev, "y", 1, &hint), v);
  hint = 99;
  assert_ptr_equal(vp_event_get_hint(&ev, "y", 1, &hint), v);
  assert_null(vp_event_get_hint(&ev, "w", 1, &hint));
  assert_ptr_equal(vp_event_get(&ev, "z", 1), &ev.values[2]);

  ev = next_record();
  hint = 0;
  v = vp_event_get_hint(&ev, "x", 1, &hint);
  assert_true(v->kind == VP_KIND_INT && v->u.i == 3);
  assert_int_equal(hint, 1);
  assert_ptr_equal(vp_event_get(&ev, "x", 1), v);
  assert_ptr_equal(vp_event_get(&ev, "z", 1), &ev.values[0]);
  assert_null(vp_event_get(&ev, "y", 1));
}

// The fast reader's values (evtfast.h): what it takes, and where it
// leaves the text to the generic parser.
static bool fx_int(const char *text, int64_t *v) {
  vp_fx c = { text, text + strlen(text) };
  return vp_fx_int(&c, v);
}

static bool fx_float(const char *text, double *v) {
  vp_fx c = { text, text + strlen(text) };
  return vp_fx_float(&c, v);
}

static void test_input_fast_reader_values(void **state) {
  (void)state;
  int64_t i;
  double d;
  assert_true(fx_int(" 42 ,", &i));
  assert_int_equal(i, 42);
  assert_true(fx_int("-007}", &i));
  assert_int_equal(i, -7);
  assert_true(fx_int("+123456789012345678,", &i));  // 18 digits
  assert_int_equal(i, 123456789012345678);
  assert_true(fx_int("1234567890123456789,", &i));  // 19: the word form
  assert_int_equal(i, 1234567890123456789);
  assert_true(fx_int("-9223372036854775808,", &i));
  assert_true(i == INT64_MIN);
  assert_false(fx_int("9223372036854775808,", &i));  // beyond: generic
  assert_false(fx_int("99999999999999999999999999,", &i));
  assert_false(fx_int("1.5,", &i));
  assert_false(fx_int("1 2,", &i));
  assert_false(fx_int("\"3\",", &i));
  // At the end of the text a number is a word of its own; vp_fx_next then
  // finds no ',' or '}' and the record goes to the generic parser.
  assert_true(fx_int("3", &i));
  assert_int_equal(i, 3);
  assert_false(fx_int("null,", &i));

  assert_true(fx_float("19.99 }", &d));
  assert_true(d == 19.99);
  assert_true(fx_float("-0,", &d));  // an int: 0, not -0
  assert_true(d == 0.0 && !signbit(d));
  assert_true(fx_float("-0.0,", &d));
  assert_true(d == 0.0 && signbit(d));
  assert_true(fx_float("1.,", &d));
  assert_true(d == 1.0);
  assert_true(fx_float(".5,", &d));
  assert_true(d == 0.5);
  assert_true(fx_float("1e3,", &d));
  assert_true(d == 1000.0);
  assert_true(fx_float("12345678901234567890.5,", &d));
  assert_true(d == 12345678901234567890.5);
  assert_false(fx_float("inf,", &d));
  assert_false(fx_float(".,", &d));
  assert_false(fx_float("1.5.3,", &d));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown(test_input_evt_spec_example, teardown_each),
    cmocka_unit_test_teardown(test_input_evt_values, teardown_each),
    cmocka_unit_test(test_input_fast_reader_values),
    cmocka_unit_test_teardown(test_input_evt_int_range, teardown_each),
    cmocka_unit_test_teardown(test_input_json_forms, teardown_each),
    cmocka_unit_test_teardown(test_input_json_numbers, teardown_each),
    cmocka_unit_test_teardown(test_input_duplicate_keys_keep_first_position,
                              teardown_each),
    cmocka_unit_test_teardown(test_input_malformed_messages, teardown_each),
    cmocka_unit_test_teardown(test_input_format_modes, teardown_each),
    cmocka_unit_test_teardown(test_input_event_time_rules, teardown_each),
    cmocka_unit_test_teardown(test_input_rule_four_after_declared_time,
                              teardown_each),
    cmocka_unit_test_teardown(test_input_crlf_and_unterminated_last_line,
                              teardown_each),
    cmocka_unit_test_teardown(test_input_depth_limit, teardown_each),
    cmocka_unit_test_teardown(test_input_field_limit, teardown_each),
    cmocka_unit_test_teardown(test_input_line_length_limit, teardown_each),
    cmocka_unit_test_teardown(test_input_files_in_order_with_positions,
                              teardown_each),
    cmocka_unit_test_teardown(test_input_open_reports_missing_file,
                              teardown_each),
    cmocka_unit_test(test_input_as_timestamp),
    cmocka_unit_test(test_input_as_duration),
    cmocka_unit_test(test_input_as_scalars),
    cmocka_unit_test(test_input_event_get_hint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
