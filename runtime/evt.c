// .evt parser (see evt.h). Values are typed by their spelling: quotes make a
// string, brackets an array or map, and any other text up to the next comma
// or closing bracket is a word that reads as a literal, a number or a string.
// SPDX-License-Identifier: MIT
#include "evt.h"

#include <stdio.h>
#include <string.h>

const bool vp_evt_name_chars[256] = {
  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
  ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
  ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
  ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
  ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
  ['y'] = 1, ['z'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
  ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
  ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
  ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
  ['Y'] = 1, ['Z'] = 1,
};

static inline bool is_name_char(char c) {
  return vp_evt_name_chars[(unsigned char)c];
}

static bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

// Reads digits into *v (milliseconds) with overflow checks.
static bool read_ms(const char **pp, const char *end, int64_t *v) {
  const char *p = *pp;
  int64_t ms = 0;
  if (p >= end || *p < '0' || *p > '9')
    return false;
  while (p < end && *p >= '0' && *p <= '9') {
    int d = *p++ - '0';
    if (ms > (INT64_MAX / 1000000 - d) / 10)
      return false;
    ms = ms * 10 + d;
  }
  *pp = p;
  *v = ms;
  return true;
}

bool vp_evt_batch(const char *p, size_t n, bool *has_offset,
                  int64_t *offset_ns, const char **err) {
  if (n < 5 || memcmp(p, "BATCH", 5) != 0 || (n > 5 && !is_ws(p[5])))
    return false;
  *has_offset = false;
  *err = NULL;

  const char *q = p + 5, *end = p + n;
  while (q < end && is_ws(*q))
    q++;
  if (q == end)
    return true;
  int64_t ms;
  if (!read_ms(&q, end, &ms) || q != end) {
    *err = "invalid BATCH offset (expected milliseconds)";
    return true;
  }
  *has_offset = true;
  *offset_ns = ms * 1000000;
  return true;
}

bool vp_evt_parse_at(vp_scan *s, int64_t *offset_ns) {
  const char *p = s->p + 1;
  int64_t ms, scale = 1;
  if (!read_ms(&p, s->end, &ms))
    return vp_scan_fail(s, "invalid @ offset (expected digits)");
  if (p + 1 < s->end && p[0] == 'm' && p[1] == 's') {
    p += 2;
  } else if (p < s->end && *p == 's') {
    scale = 1000;
    p++;
  } else if (p < s->end && *p == 'm') {
    scale = 60000;
    p++;
  }
  if (ms > INT64_MAX / 1000000 / scale)
    return vp_scan_fail(s, "invalid @ offset (too large)");
  if (p >= s->end || !is_ws(*p))
    return vp_scan_fail(s, "invalid @ offset (digits, then ms, s or m, "
                           "then whitespace)");
  s->p = p;
  vp_scan_skip_ws(s);
  *offset_ns = ms * scale * 1000000;
  return true;
}

static bool parse_value(vp_scan *s, char closer, vp_value *out);

// A quoted string with escapes \n \t \" \' \\; other pairs stay as written.
static bool parse_quoted(vp_scan *s, vp_value *out) {
  char q = *s->p++;
  const char *start = s->p, *p = start;
  bool escaped = false;
  while (p < s->end && *p != q) {
    if (*p == '\\' && p + 1 < s->end) {
      escaped = true;
      p++;
    }
    p++;
  }
  if (p >= s->end)
    return vp_scan_fail(s, "unterminated string");
  s->p = p + 1;
  out->kind = VP_KIND_STR;
  if (!escaped) {
    out->u.s = (vp_str){ start, p - start };
    return true;
  }

  char *buf = vp_arena_alloc(s->a, (size_t)(p - start));
  char *o = buf;
  for (const char *r = start; r < p; r++) {
    if (*r != '\\') {
      *o++ = *r;
      continue;
    }
    char c = *++r;
    if (c == 'n')
      *o++ = '\n';
    else if (c == 't')
      *o++ = '\t';
    else if (c == '"' || c == '\'' || c == '\\')
      *o++ = c;
    else {
      *o++ = '\\';
      *o++ = c;
    }
  }
  out->u.s = (vp_str){ buf, o - buf };
  return true;
}

// A bare word: everything up to a comma or the closer, trimmed.
static bool parse_word(vp_scan *s, char closer, vp_value *out) {
  const char *start = s->p, *p = start;
  while (p < s->end && *p != ',' && *p != closer)
    p++;
  s->p = p;
  while (p > start && is_ws(p[-1]))
    p--;
  if (p == start)
    return vp_scan_fail(s, "expected a value");
  vp_scan_word(s, start, (size_t)(p - start), out);
  return true;
}

// Skips whitespace and eats sep if it comes next.
static bool eat(vp_scan *s, char sep) {
  vp_scan_skip_ws(s);
  if (s->p < s->end && *s->p == sep) {
    s->p++;
    return true;
  }
  return false;
}

// fname := name chars or a quoted string
static bool parse_fname(vp_scan *s, vp_str *name) {
  if (s->p < s->end && (*s->p == '"' || *s->p == '\'')) {
    vp_value v;
    if (!parse_quoted(s, &v))
      return false;
    *name = v.u.s;
    return true;
  }
  const char *start = s->p;
  while (s->p < s->end && is_name_char(*s->p))
    s->p++;
  if (s->p == start)
    return vp_scan_fail(s, "expected a field name");
  *name = (vp_str){ start, s->p - start };
  return true;
}

// "{" [field ("," field)* [","]] "}" with the cursor on the "{". The
// members stay on the scratch stack above *base for the caller to pop.
static bool parse_members(vp_scan *s, int64_t *base) {
  if (!vp_scan_enter(s))
    return false;
  *base = s->n;
  s->p++;
  for (;;) {
    if (eat(s, '}'))
      break;
    vp_str name = { NULL, 0 };
    vp_value v;
    if (!parse_fname(s, &name))
      return false;
    if (!eat(s, ':'))
      return vp_scan_fail(s, "expected ':' after field name");
    if (!parse_value(s, '}', &v))
      return false;
    vp_scan_push(s, name, &v);
    if (eat(s, ','))
      continue;
    if (eat(s, '}'))
      break;
    if (s->p >= s->end)
      return vp_scan_fail(s, "expected '}' at end of record");
    return vp_scan_fail(s, "expected ',' or '}' after field value");
  }
  vp_scan_leave(s);
  return true;
}

// A nested map: "{" ... "}" as a value.
static bool parse_fields(vp_scan *s, vp_value *out) {
  int64_t base;
  return parse_members(s, &base) &&
         vp_scan_pop_map(s, base, VP_SCAN_MAX_FIELDS, out);
}

// "[" [value ("," value)*] "]" with the cursor on the "[".
static bool parse_array(vp_scan *s, vp_value *out) {
  if (!vp_scan_enter(s))
    return false;
  int64_t base = s->n;
  s->p++;
  if (!eat(s, ']')) {
    for (;;) {
      vp_value v;
      if (!parse_value(s, ']', &v))
        return false;
      vp_scan_push(s, (vp_str){ NULL, 0 }, &v);
      if (eat(s, ','))
        continue;
      if (eat(s, ']'))
        break;
      return vp_scan_fail(s, "expected ',' or ']' in array");
    }
  }
  vp_scan_leave(s);
  return vp_scan_pop_array(s, base, out);
}

static bool parse_value(vp_scan *s, char closer, vp_value *out) {
  vp_scan_skip_ws(s);
  if (s->p >= s->end)
    return vp_scan_fail(s, "expected a value");
  switch (*s->p) {
  case '"':
  case '\'':
    return parse_quoted(s, out);
  case '[':
    return parse_array(s, out);
  case '{':
    return parse_fields(s, out);
  default:
    return parse_word(s, closer, out);
  }
}

static vp_str positional_name(vp_scan *s, int64_t i) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "field_%lld", (long long)i);
  return (vp_str){ vp_arena_dup(s->a, buf, (size_t)n), n };
}

// "(" [value ("," value)*] ")" with the cursor on the "(", members left
// on the scratch stack above *base.
static bool parse_positional(vp_scan *s, int64_t *base) {
  if (!vp_scan_enter(s))
    return false;
  *base = s->n;
  s->p++;
  if (!eat(s, ')')) {
    for (int64_t i = 0;; i++) {
      vp_value v;
      if (!parse_value(s, ')', &v))
        return false;
      if (i >= VP_SCAN_MAX_FIELDS)
        return vp_scan_fail(s, "too many fields (limit 1024)");
      vp_scan_push(s, positional_name(s, i), &v);
      if (eat(s, ','))
        continue;
      if (eat(s, ')'))
        break;
      if (s->p >= s->end)
        return vp_scan_fail(s, "expected ')' at end of record");
      return vp_scan_fail(s, "expected ',' or ')' after value");
    }
  }
  vp_scan_leave(s);
  return true;
}

bool vp_evt_parse_record(vp_scan *s, vp_str *type, vp_list *fields) {
  const char *start = s->p;
  while (s->p < s->end && is_name_char(*s->p))
    s->p++;
  if (s->p == start || (*start >= '0' && *start <= '9'))
    return vp_scan_fail(s, "expected a record name");
  *type = (vp_str){ start, s->p - start };

  vp_scan_skip_ws(s);
  bool ok;
  int64_t base;
  if (s->p < s->end && *s->p == '{')
    ok = parse_members(s, &base);
  else if (s->p < s->end && *s->p == '(')
    ok = parse_positional(s, &base);
  else
    return vp_scan_fail(s, "expected '{' or '(' after record name");
  if (!ok || !vp_scan_pop_map_view(s, base, VP_SCAN_MAX_FIELDS, fields))
    return false;

  eat(s, ';');
  vp_scan_skip_ws(s);
  if (s->p < s->end)
    return vp_scan_fail(s, "unexpected text after record");
  return true;
}
