// JSON parser (see json.h): recursive descent over a NUL-terminated line
// copy. Members of open objects sit on the scan's scratch stack; duplicates
// are merged when the object closes, as LANGUAGE.md 8.4 asks.
// SPDX-License-Identifier: MIT
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "num.h"

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool read_hex4(vp_scan *s, const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    if (p + i >= s->end)
      return false;
    int d = hex_digit(p[i]);
    if (d < 0)
      return false;
    v = v * 16 + (unsigned)d;
  }
  *out = v;
  return true;
}

static char *put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

// Decodes a \uXXXX escape (with its pair when it is a high surrogate) at
// *pp, just after the 'u'.
static bool decode_u(vp_scan *s, const char **pp, char **op) {
  unsigned cp;
  const char *p = *pp;
  if (!read_hex4(s, p, &cp))
    return vp_scan_fail(s, "invalid \\u escape in string");
  p += 4;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    return vp_scan_fail(s, "unpaired surrogate in \\u escape");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    unsigned lo;
    if (p + 1 >= s->end || p[0] != '\\' || p[1] != 'u' ||
        !read_hex4(s, p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
      return vp_scan_fail(s, "unpaired surrogate in \\u escape");
    p += 6;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  }
  *op = put_utf8(*op, cp);
  *pp = p;
  return true;
}

// Decodes a string with escapes, from start (after the quote) to the
// closing quote at close.
static bool decode_string(vp_scan *s, const char *start, const char *close,
                          vp_str *out) {
  char *buf = vp_arena_alloc(s->a, (size_t)(close - start) + 1);
  char *o = buf;
  const char *p = start;
  while (p < close) {
    if (*p != '\\') {
      *o++ = *p++;
      continue;
    }
    p++;
    char c = *p++;
    switch (c) {
    case '"':
    case '\\':
    case '/':
      *o++ = c;
      break;
    case 'b':
      *o++ = '\b';
      break;
    case 'f':
      *o++ = '\f';
      break;
    case 'n':
      *o++ = '\n';
      break;
    case 'r':
      *o++ = '\r';
      break;
    case 't':
      *o++ = '\t';
      break;
    case 'u':
      if (!decode_u(s, &p, &o))
        return false;
      break;
    default:
      return vp_scan_fail(s, "invalid escape in string");
    }
  }
  *out = (vp_str){ buf, o - buf };
  return true;
}

// string := '"' chars '"'; the cursor is on the opening quote.
static bool parse_string(vp_scan *s, vp_str *out) {
  const char *start = ++s->p;
  const char *p = start;
  bool escaped = false;
  for (;;) {
    if (p >= s->end)
      return vp_scan_fail(s, "unterminated string");
    unsigned char c = (unsigned char)*p;
    if (c == '"')
      break;
    if (c < 0x20)
      return vp_scan_fail(s, "control character in string");
    if (c == '\\') {
      escaped = true;
      if (p + 1 >= s->end)
        return vp_scan_fail(s, "unterminated string");
      p += 2;
      continue;
    }
    p++;
  }
  s->p = p + 1;
  if (!escaped) {
    *out = (vp_str){ start, p - start };
    return true;
  }
  return decode_string(s, start, p, out);
}

// number := '-'? ('0' | [1-9][0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)?
static bool parse_number(vp_scan *s, vp_value *out) {
  const char *p = s->p;
  const char *start = p;
  bool neg = *p == '-';
  if (neg)
    p++;
  if (p >= s->end || *p < '0' || *p > '9')
    return vp_scan_fail(s, "invalid number");

  uint64_t v = 0;
  bool overflow = false;
  const char *digits = p;
  while (p < s->end && *p >= '0' && *p <= '9') {
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      overflow = true;
    else
      v = v * 10 + d;
    p++;
  }
  if (*digits == '0' && p - digits > 1)
    return vp_scan_fail(s, "invalid number (leading zero)");

  bool is_float = false;
  if (p < s->end && *p == '.') {
    p++;
    if (p >= s->end || *p < '0' || *p > '9')
      return vp_scan_fail(s, "invalid number");
    while (p < s->end && *p >= '0' && *p <= '9')
      p++;
    is_float = true;
  }
  if (p < s->end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < s->end && (*p == '+' || *p == '-'))
      p++;
    if (p >= s->end || *p < '0' || *p > '9')
      return vp_scan_fail(s, "invalid number");
    while (p < s->end && *p >= '0' && *p <= '9')
      p++;
    is_float = true;
  }
  s->p = p;

  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if (!is_float && !overflow && v <= limit) {
    out->kind = VP_KIND_INT;
    out->u.i = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
  }
  // The JSON grammar is a subset of vp_num_parse_float's, so this always
  // succeeds; strtod is the safety net (the line copy is NUL-terminated
  // and the number ends before any byte strtod would take).
  out->kind = VP_KIND_FLOAT;
  if (!vp_num_parse_float(start, (size_t)(p - start), &out->u.f))
    out->u.f = strtod(start, NULL);
  return true;
}

static bool parse_literal(vp_scan *s, const char *word, size_t n) {
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
    return vp_scan_fail(s, "invalid literal (expected a value)");
  s->p += n;
  return true;
}

// object := '{' [string ':' value (',' string ':' value)*] '}'
static bool parse_object(vp_scan *s, vp_value *out) {
  if (!vp_scan_enter(s))
    return false;
  int64_t base = s->n;
  s->p++;
  vp_scan_skip_ws(s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    vp_scan_leave(s);
    return vp_scan_pop_map(s, base, VP_SCAN_MAX_FIELDS, out);
  }
  for (;;) {
    vp_str key;
    vp_value v;
    vp_scan_skip_ws(s);
    if (s->p >= s->end || *s->p != '"')
      return vp_scan_fail(s, "expected a string key in object");
    if (!parse_string(s, &key))
      return false;
    vp_scan_skip_ws(s);
    if (s->p >= s->end || *s->p != ':')
      return vp_scan_fail(s, "expected ':' after object key");
    s->p++;
    if (!vp_json_parse_value(s, &v))
      return false;
    vp_scan_push(s, key, &v);
    vp_scan_skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == '}')
      break;
    return vp_scan_fail(s, "expected ',' or '}' in object");
  }
  s->p++;
  vp_scan_leave(s);
  return vp_scan_pop_map(s, base, VP_SCAN_MAX_FIELDS + (s->depth == 0), out);
}

// array := '[' [value (',' value)*] ']'
static bool parse_array(vp_scan *s, vp_value *out) {
  if (!vp_scan_enter(s))
    return false;
  int64_t base = s->n;
  s->p++;
  vp_scan_skip_ws(s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    vp_scan_leave(s);
    return vp_scan_pop_array(s, base, out);
  }
  for (;;) {
    vp_value v;
    if (!vp_json_parse_value(s, &v))
      return false;
    vp_scan_push(s, (vp_str){ NULL, 0 }, &v);
    vp_scan_skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == ']')
      break;
    return vp_scan_fail(s, "expected ',' or ']' in array");
  }
  s->p++;
  vp_scan_leave(s);
  return vp_scan_pop_array(s, base, out);
}

bool vp_json_parse_value(vp_scan *s, vp_value *out) {
  vp_scan_skip_ws(s);
  if (s->p >= s->end)
    return vp_scan_fail(s, "expected a value");
  switch (*s->p) {
  case '{':
    return parse_object(s, out);
  case '[':
    return parse_array(s, out);
  case '"':
    out->kind = VP_KIND_STR;
    return parse_string(s, &out->u.s);
  case 't':
    out->kind = VP_KIND_BOOL;
    out->u.b = true;
    return parse_literal(s, "true", 4);
  case 'f':
    out->kind = VP_KIND_BOOL;
    out->u.b = false;
    return parse_literal(s, "false", 5);
  case 'n':
    out->kind = VP_KIND_NULL;
    return parse_literal(s, "null", 4);
  default:
    if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
      return parse_number(s, out);
    return vp_scan_fail(s, "expected a value");
  }
}

bool vp_json_parse_object(vp_scan *s, vp_value *out) {
  vp_scan_skip_ws(s);
  if (s->p >= s->end || *s->p != '{')
    return vp_scan_fail(s, "expected a JSON object");
  if (!parse_object(s, out))
    return false;
  vp_scan_skip_ws(s);
  if (s->p < s->end)
    return vp_scan_fail(s, "unexpected text after JSON object");
  return true;
}
