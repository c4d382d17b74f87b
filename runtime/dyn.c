// Dynamic values (see dyn.h).
// SPDX-License-Identifier: MIT
#include "dyn.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "err.h"
#include "ops.h"
#include "partition.h"
#include "run.h"

vp_dynrec vp_dynrec_of_event(const vp_event *ev) {
  vp_dynrec r = { ev->type, ev->nfields, ev->names, ev->values };
  return r;
}

vp_value vp_dyn_get(const vp_dynrec *r, const char *name, size_t len) {
  for (int64_t i = 0; i < r->n; i++)
    if ((size_t)r->names[i].n == len && !memcmp(r->names[i].p, name, len))
      return r->values[i];
  return vp_box_null();
}

void vp_w_dynrec_fields(vp_out *o, const vp_dynrec *r, bool skip_timestamp) {
  for (int64_t i = 0; i < r->n; i++) {
    vp_str name = r->names[i];
    if (skip_timestamp && name.n == 9 && !memcmp(name.p, "timestamp", 9))
      continue;
    vp_w_key(o, name.p, (size_t)name.n);
    vp_w_value(o, &r->values[i]);
  }
}

void vp_w_dynrec(vp_out *o, const vp_dynrec *r, vp_str type, bool has_time,
                 int64_t time_ns) {
  vp_w_begin(o, type, has_time, time_ns);
  vp_w_dynrec_fields(o, r, has_time);
  vp_w_end(o);
}

void vp_pack_value(vp_buf *b, const vp_value *v) {
  vp_buf_u8(b, (uint8_t)v->kind);
  switch (v->kind) {
  case VP_KIND_NULL:
    break;
  case VP_KIND_BOOL:
    vp_buf_u8(b, v->u.b);
    break;
  case VP_KIND_INT:
    vp_buf_i64(b, v->u.i);
    break;
  case VP_KIND_FLOAT:
    vp_buf_f64(b, v->u.f);
    break;
  case VP_KIND_STR:
    vp_buf_str(b, v->u.s);
    break;
  case VP_KIND_ARRAY:
  case VP_KIND_MAP:
    vp_buf_i64(b, v->u.list->n);
    for (int64_t i = 0; i < v->u.list->n; i++) {
      if (v->kind == VP_KIND_MAP)
        vp_buf_str(b, v->u.list->keys[i]);
      vp_pack_value(b, &v->u.list->items[i]);
    }
    break;
  }
}

vp_value vp_unpack_value(vp_rd *rd) {
  vp_value v = { .kind = (vp_kind)vp_rd_u8(rd) };
  switch (v.kind) {
  case VP_KIND_NULL:
    break;
  case VP_KIND_BOOL:
    v.u.b = vp_rd_u8(rd) != 0;
    break;
  case VP_KIND_INT:
    v.u.i = vp_rd_i64(rd);
    break;
  case VP_KIND_FLOAT:
    v.u.f = vp_rd_f64(rd);
    break;
  case VP_KIND_STR:
    v.u.s = vp_rd_str(rd);
    break;
  case VP_KIND_ARRAY:
  case VP_KIND_MAP: {
    int64_t n = vp_rd_i64(rd);
    vp_list *l = vp_arena_alloc(vp_event_arena, sizeof *l);
    l->n = n;
    l->items = vp_arena_alloc(vp_event_arena, sizeof(vp_value) * (size_t)n);
    l->keys = v.kind == VP_KIND_MAP
                  ? vp_arena_alloc(vp_event_arena, sizeof(vp_str) * (size_t)n)
                  : NULL;
    for (int64_t i = 0; i < n; i++) {
      if (l->keys)
        l->keys[i] = vp_rd_str(rd);
      l->items[i] = vp_unpack_value(rd);
    }
    v.u.list = l;
    break;
  }
  }
  return v;
}

void vp_pack_dynrec(vp_buf *b, const vp_dynrec *r) {
  vp_buf_str(b, r->type);
  vp_buf_i64(b, r->n);
  for (int64_t i = 0; i < r->n; i++) {
    vp_buf_str(b, r->names[i]);
    vp_pack_value(b, &r->values[i]);
  }
}

vp_dynrec vp_unpack_dynrec(vp_rd *rd) {
  vp_dynrec r;
  r.type = vp_rd_str(rd);
  r.n = vp_rd_i64(rd);
  vp_str *names = vp_arena_alloc(vp_event_arena, sizeof(vp_str) * (size_t)r.n);
  vp_value *values =
      vp_arena_alloc(vp_event_arena, sizeof(vp_value) * (size_t)r.n);
  for (int64_t i = 0; i < r.n; i++) {
    names[i] = vp_rd_str(rd);
    values[i] = vp_unpack_value(rd);
  }
  r.names = names;
  r.values = values;
  return r;
}

static _Noreturn void mismatch(const char *want, vp_value v) {
  vp_raise("type mismatch: expected %s, got %s", want, vp_kind_name(v.kind));
}

int64_t vp_any_int(vp_value v) {
  if (v.kind != VP_KIND_INT)
    mismatch("int", v);
  return v.u.i;
}

double vp_any_float(vp_value v) {
  if (v.kind == VP_KIND_INT)
    return (double)v.u.i;
  if (v.kind != VP_KIND_FLOAT)
    mismatch("float", v);
  return v.u.f;
}

bool vp_any_bool(vp_value v) {
  if (v.kind != VP_KIND_BOOL)
    mismatch("bool", v);
  return v.u.b;
}

vp_str vp_any_str(vp_value v) {
  if (v.kind != VP_KIND_STR)
    mismatch("str", v);
  return v.u.s;
}

static bool is_number(vp_value v) {
  return v.kind == VP_KIND_INT || v.kind == VP_KIND_FLOAT;
}

static void check_operands(const char *op, vp_value a, vp_value b) {
  if (a.kind == VP_KIND_NULL || b.kind == VP_KIND_NULL)
    vp_raise("null operand: %s", op);
}

static vp_value int_arith(char op, int64_t a, int64_t b) {
  switch (op) {
  case '+':
    return vp_box_int(vp_add_i64(a, b));
  case '-':
    return vp_box_int(vp_sub_i64(a, b));
  case '*':
    return vp_box_int(vp_mul_i64(a, b));
  case '/':
    return vp_box_int(vp_div_i64(a, b));
  default:
    return vp_box_int(vp_mod_i64(a, b));
  }
}

static vp_value float_arith(char op, double a, double b) {
  switch (op) {
  case '+':
    return vp_box_float(a + b);
  case '-':
    return vp_box_float(a - b);
  case '*':
    return vp_box_float(a * b);
  case '/':
    return vp_box_float(vp_div_f64(a, b));
  default:
    return vp_box_float(vp_mod_f64(a, b));
  }
}

vp_value vp_any_arith(const char *op, vp_value a, vp_value b) {
  check_operands(op, a, b);
  if (op[0] == '+' && a.kind == VP_KIND_STR && b.kind == VP_KIND_STR)
    return vp_box_str(vp_str_concat(a.u.s, b.u.s));
  if (!is_number(a))
    mismatch("float", a);
  if (!is_number(b))
    mismatch("float", b);
  if (a.kind == VP_KIND_INT && b.kind == VP_KIND_INT)
    return int_arith(op[0], a.u.i, b.u.i);
  return float_arith(op[0], vp_any_float(a), vp_any_float(b));
}

vp_value vp_any_neg(vp_value a) {
  if (a.kind == VP_KIND_NULL)
    vp_raise("null operand: -");
  if (a.kind == VP_KIND_INT)
    return vp_box_int(vp_neg_i64(a.u.i));
  return vp_box_float(-vp_any_float(a));
}

bool vp_any_order(const char *op, vp_value a, vp_value b) {
  check_operands(op, a, b);
  int c;
  if (is_number(a) && is_number(b)) {
    if (a.kind == VP_KIND_INT && b.kind == VP_KIND_INT) {
      c = (a.u.i > b.u.i) - (a.u.i < b.u.i);
    } else {
      double x = vp_any_float(a), y = vp_any_float(b);
      if (x != x || y != y)
        return false;  // ordering with NaN is false (4.4)
      c = (x > y) - (x < y);
    }
  } else if (a.kind == VP_KIND_STR && b.kind == VP_KIND_STR) {
    c = vp_str_cmp(a.u.s, b.u.s);
  } else if (is_number(a) != is_number(b)) {
    // A number beside something else: the something else is wrong.
    mismatch("float", is_number(a) ? b : a);
  } else if (a.kind == VP_KIND_STR || b.kind == VP_KIND_STR) {
    mismatch("str", a.kind == VP_KIND_STR ? b : a);
  } else {
    mismatch("float", a);
  }
  if (op[0] == '<')
    return op[1] == '=' ? c <= 0 : c < 0;
  return op[1] == '=' ? c >= 0 : c > 0;
}

bool vp_any_eq(vp_value a, vp_value b) {
  if (is_number(a) && is_number(b)) {
    if (a.kind == VP_KIND_INT && b.kind == VP_KIND_INT)
      return a.u.i == b.u.i;
    return vp_f64_eq(vp_any_float(a), vp_any_float(b));
  }
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case VP_KIND_NULL:
    return true;
  case VP_KIND_BOOL:
    return a.u.b == b.u.b;
  case VP_KIND_STR:
    return vp_str_eq(a.u.s, b.u.s);
  default: {
    const vp_list *x = a.u.list, *y = b.u.list;
    if (x->n != y->n)
      return false;
    for (int64_t i = 0; i < x->n; i++) {
      if (x->keys && !vp_str_eq(x->keys[i], y->keys[i]))
        return false;
      if (!vp_any_eq(x->items[i], y->items[i]))
        return false;
    }
    return true;
  }
  }
}

vp_value vp_any_member(vp_value a, const char *name, size_t len) {
  if (a.kind == VP_KIND_NULL)
    vp_raise("null field access: %.*s", (int)len, name);
  if (a.kind != VP_KIND_MAP)
    return vp_box_null();
  for (int64_t i = 0; i < a.u.list->n; i++) {
    vp_str k = a.u.list->keys[i];
    if ((size_t)k.n == len && !memcmp(k.p, name, len))
      return a.u.list->items[i];
  }
  return vp_box_null();
}

uint64_t vp_any_key_hash(vp_value v) {
  switch (v.kind) {
  case VP_KIND_NULL:
    return vp_key_hash_null();
  case VP_KIND_BOOL:
    return vp_key_hash_bool(v.u.b);
  case VP_KIND_INT:
    return vp_key_hash_int(v.u.i);
  case VP_KIND_FLOAT:
    return vp_key_hash_float(v.u.f);
  case VP_KIND_STR:
    return vp_key_hash_str(v.u.s);
  default:
    vp_raise("invalid argument: partition_by: a key must be a scalar, got %s",
             vp_kind_name(v.kind));
  }
}

// JSON text of a value, in the event arena (8.7 formats).
typedef struct text {
  char *p;
  size_t n, cap;
} text;

static void text_add(text *t, const char *s, size_t n) {
  if (t->cap - t->n < n) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    while (cap - t->n < n)
      cap *= 2;
    char *p = vp_arena_alloc(vp_event_arena, cap);
    if (t->n)
      memcpy(p, t->p, t->n);
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->n, s, n);
  t->n += n;
}

static void text_json_str(text *t, vp_str s) {
  text_add(t, "\"", 1);
  for (int64_t i = 0; i < s.n; i++) {
    unsigned char c = (unsigned char)s.p[i];
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      text_add(t, esc, 2);
    } else if (c < 0x20) {
      int n = c == '\n'   ? snprintf(esc, sizeof esc, "\\n")
              : c == '\r' ? snprintf(esc, sizeof esc, "\\r")
              : c == '\t' ? snprintf(esc, sizeof esc, "\\t")
              : c == '\b' ? snprintf(esc, sizeof esc, "\\b")
              : c == '\f' ? snprintf(esc, sizeof esc, "\\f")
                          : snprintf(esc, sizeof esc, "\\u%04x", c);
      text_add(t, esc, (size_t)n);
    } else {
      text_add(t, (const char *)&s.p[i], 1);
    }
  }
  text_add(t, "\"", 1);
}

static void text_value(text *t, vp_value v) {
  char buf[48];
  int n;
  switch (v.kind) {
  case VP_KIND_NULL:
    text_add(t, "null", 4);
    break;
  case VP_KIND_BOOL:
    text_add(t, v.u.b ? "true" : "false", v.u.b ? 4 : 5);
    break;
  case VP_KIND_INT:
    n = snprintf(buf, sizeof buf, "%lld", (long long)v.u.i);
    text_add(t, buf, (size_t)n);
    break;
  case VP_KIND_FLOAT:
    text_add(t, buf, (size_t)vp_fmt_float(buf, v.u.f));
    break;
  case VP_KIND_STR:
    text_json_str(t, v.u.s);
    break;
  case VP_KIND_ARRAY:
  case VP_KIND_MAP:
    text_add(t, v.kind == VP_KIND_MAP ? "{" : "[", 1);
    for (int64_t i = 0; i < v.u.list->n; i++) {
      if (i)
        text_add(t, ",", 1);
      if (v.kind == VP_KIND_MAP) {
        text_json_str(t, v.u.list->keys[i]);
        text_add(t, ":", 1);
      }
      text_value(t, v.u.list->items[i]);
    }
    text_add(t, v.kind == VP_KIND_MAP ? "}" : "]", 1);
    break;
  }
}

vp_str vp_any_to_json(vp_value v) {
  text t = { 0 };
  text_value(&t, v);
  return (vp_str){ t.p, (int64_t)t.n };
}

void vp_print_line(vp_str s) {
  text t = { 0 };
  text_add(&t, "[PRINT] ", 8);
  text_add(&t, s.p, (size_t)s.n);
  text_add(&t, "\n", 1);
  size_t off = 0;
  while (off < t.n) {
    ssize_t w = write(2, t.p + off, t.n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    off += (size_t)w;
  }
}

vp_str vp_any_to_str(vp_value v) {
  if (v.kind == VP_KIND_STR)
    return v.u.s;
  text t = { 0 };
  text_value(&t, v);
  return (vp_str){ t.p, (int64_t)t.n };
}

// Arrays and maps.

static vp_list *new_list(int64_t n, bool keyed) {
  vp_list *l = vp_arena_alloc(vp_event_arena, sizeof *l);
  l->n = n;
  l->items = vp_arena_alloc(vp_event_arena,
                            sizeof(vp_value) * (size_t)(n ? n : 1));
  l->keys = keyed ? vp_arena_alloc(vp_event_arena,
                                   sizeof(vp_str) * (size_t)(n ? n : 1))
                  : NULL;
  return l;
}

vp_value vp_array_new(int64_t n) {
  vp_value v = { .kind = VP_KIND_ARRAY, .u.list = new_list(n, false) };
  return v;
}

vp_value vp_map_new(int64_t n) {
  vp_value v = { .kind = VP_KIND_MAP, .u.list = new_list(n, true) };
  return v;
}

int64_t vp_list_len(vp_value v) {
  return v.kind == VP_KIND_ARRAY || v.kind == VP_KIND_MAP ? v.u.list->n : 0;
}

static vp_list *list_of(vp_value v, vp_kind kind) {
  if (v.kind != kind)
    mismatch(kind == VP_KIND_ARRAY ? "array" : "map", v);
  return v.u.list;
}

vp_value vp_index(vp_value a, int64_t i) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  int64_t at = i < 0 ? l->n + i : i;
  if (at < 0 || at >= l->n)
    vp_raise("index out of range: %lld (length %lld)", (long long)i,
             (long long)l->n);
  return l->items[at];
}

static int64_t key_slot(const vp_list *l, vp_str k) {
  for (int64_t i = 0; i < l->n; i++)
    if (vp_str_eq(l->keys[i], k))
      return i;
  return -1;
}

vp_value vp_map_at(vp_value m, vp_str k) {
  vp_list *l = list_of(m, VP_KIND_MAP);
  int64_t slot = key_slot(l, k);
  if (slot < 0)
    vp_raise("key not found: %.*s", (int)k.n, k.p);
  return l->items[slot];
}

// Byte offsets of the code points of s: offsets[i] for i in [0, n].
static int64_t *code_points(vp_str s, int64_t *n) {
  int64_t *off = vp_arena_alloc(vp_event_arena,
                                sizeof(int64_t) * (size_t)(s.n + 1));
  int64_t k = 0;
  for (int64_t i = 0; i < s.n; i++)
    if (((unsigned char)s.p[i] & 0xc0) != 0x80)
      off[k++] = i;
  off[k] = s.n;
  *n = k;
  return off;
}

vp_str vp_str_at(vp_str s, int64_t i) {
  int64_t n;
  int64_t *off = code_points(s, &n);
  int64_t at = i < 0 ? n + i : i;
  if (at < 0 || at >= n)
    vp_raise("index out of range: %lld (length %lld)", (long long)i,
             (long long)n);
  return (vp_str){ s.p + off[at], off[at + 1] - off[at] };
}

// Clamped slice bounds of a sequence of n items (4.4).
static void slice_bounds(int64_t n, bool has_i, int64_t i, bool has_j,
                         int64_t j, int64_t *lo, int64_t *hi) {
  *lo = has_i ? (i < 0 ? n + i : i) : 0;
  *hi = has_j ? (j < 0 ? n + j : j) : n;
  *lo = *lo < 0 ? 0 : *lo > n ? n : *lo;
  *hi = *hi < 0 ? 0 : *hi > n ? n : *hi;
  if (*hi < *lo)
    *hi = *lo;
}

vp_value vp_slice(vp_value a, bool has_i, int64_t i, bool has_j, int64_t j) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  int64_t lo, hi;
  slice_bounds(l->n, has_i, i, has_j, j, &lo, &hi);
  vp_value r = vp_array_new(hi - lo);
  memcpy(r.u.list->items, l->items + lo, sizeof(vp_value) * (size_t)(hi - lo));
  return r;
}

vp_str vp_str_slice(vp_str s, bool has_i, int64_t i, bool has_j, int64_t j) {
  int64_t n;
  int64_t *off = code_points(s, &n);
  int64_t lo, hi;
  slice_bounds(n, has_i, i, has_j, j, &lo, &hi);
  return (vp_str){ s.p + off[lo], off[hi] - off[lo] };
}

vp_value vp_range_array(int64_t a, int64_t b, bool inclusive) {
  int64_t n = 0;
  if (a < b || (inclusive && a == b)) {
    double span = (double)b - (double)a + (inclusive ? 1.0 : 0.0);
    if (span > 10000000.0)
      vp_raise("range too large");
    n = (int64_t)span;
  }
  vp_value r = vp_array_new(n);
  for (int64_t k = 0; k < n; k++)
    r.u.list->items[k] = vp_box_int(a + k);
  return r;
}

bool vp_array_has(vp_value a, vp_value x) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  for (int64_t i = 0; i < l->n; i++)
    if (vp_any_eq(l->items[i], x))
      return true;
  return false;
}

bool vp_map_has(vp_value m, vp_str k) {
  return key_slot(list_of(m, VP_KIND_MAP), k) >= 0;
}

vp_value vp_map_pair(vp_value m, int64_t k) {
  vp_list *l = list_of(m, VP_KIND_MAP);
  vp_value pair = vp_array_new(2);
  pair.u.list->items[0] = vp_box_str(l->keys[k]);
  pair.u.list->items[1] = l->items[k];
  return pair;
}

vp_value vp_get_index(vp_value a, int64_t i) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  int64_t at = i < 0 ? l->n + i : i;
  return at < 0 || at >= l->n ? vp_box_null() : l->items[at];
}

vp_value vp_get_key(vp_value m, vp_str k) {
  vp_list *l = list_of(m, VP_KIND_MAP);
  int64_t slot = key_slot(l, k);
  return slot < 0 ? vp_box_null() : l->items[slot];
}

static vp_value copy_list(vp_value v, int64_t extra) {
  vp_list *l = v.u.list;
  vp_value r = v.kind == VP_KIND_MAP ? vp_map_new(l->n + extra)
                                     : vp_array_new(l->n + extra);
  memcpy(r.u.list->items, l->items, sizeof(vp_value) * (size_t)l->n);
  if (l->keys)
    memcpy(r.u.list->keys, l->keys, sizeof(vp_str) * (size_t)l->n);
  return r;
}

vp_value vp_set_index(vp_value a, int64_t i, vp_value v) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  int64_t at = i < 0 ? l->n + i : i;
  if (at < 0 || at >= l->n)
    vp_raise("index out of range: %lld (length %lld)", (long long)i,
             (long long)l->n);
  vp_value r = copy_list(a, 0);
  r.u.list->items[at] = v;
  return r;
}

vp_value vp_set_key(vp_value m, vp_str k, vp_value v) {
  vp_list *l = list_of(m, VP_KIND_MAP);
  int64_t slot = key_slot(l, k);
  vp_value r = copy_list(m, slot < 0 ? 1 : 0);
  if (slot < 0) {
    slot = l->n;
    r.u.list->keys[slot] = k;
  }
  r.u.list->items[slot] = v;
  return r;
}

vp_value vp_push(vp_value a, vp_value x) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  vp_value r = copy_list(a, 1);
  r.u.list->items[l->n] = x;
  return r;
}

vp_value vp_pop(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  if (l->n == 0)
    vp_raise("index out of range: -1 (length 0)");
  vp_value r = copy_list(a, 0);
  r.u.list->n--;
  return r;
}

vp_value vp_first(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  return l->n ? l->items[0] : vp_box_null();
}

vp_value vp_last(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  return l->n ? l->items[l->n - 1] : vp_box_null();
}

// Stable insertion-merge sort by vp_any_order ("<"), which raises on
// elements that cannot be ordered.
static void merge_sort(vp_value *v, vp_value *tmp, int64_t n) {
  if (n < 2)
    return;
  int64_t h = n / 2;
  merge_sort(v, tmp, h);
  merge_sort(v + h, tmp, n - h);
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = vp_any_order("<", v[j], v[i]) ? v[j++] : v[i++];
  while (i < h)
    tmp[k++] = v[i++];
  while (j < n)
    tmp[k++] = v[j++];
  memcpy(v, tmp, sizeof(vp_value) * (size_t)n);
}

vp_value vp_sort(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  vp_value r = copy_list(a, 0);
  vp_value *tmp = vp_arena_alloc(vp_event_arena,
                                 sizeof(vp_value) * (size_t)(l->n + 1));
  merge_sort(r.u.list->items, tmp, l->n);
  return r;
}

vp_value vp_keys(vp_value m) {
  vp_list *l = list_of(m, VP_KIND_MAP);
  vp_value r = vp_array_new(l->n);
  for (int64_t i = 0; i < l->n; i++)
    r.u.list->items[i] = vp_box_str(l->keys[i]);
  return r;
}

vp_value vp_values(vp_value m) {
  vp_list *l = list_of(m, VP_KIND_MAP);
  vp_value r = vp_array_new(l->n);
  memcpy(r.u.list->items, l->items, sizeof(vp_value) * (size_t)l->n);
  return r;
}

double vp_sum(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  double s = 0.0;
  for (int64_t i = 0; i < l->n; i++)
    s += vp_any_float(l->items[i]);
  return s;
}

double vp_avg(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  return l->n ? vp_sum(a) / (double)l->n : 0.0;
}

vp_value vp_split(vp_str s, vp_str sep) {
  if (sep.n == 0)
    vp_raise("invalid argument: split: empty separator");
  int64_t parts = 1;
  for (int64_t i = 0; i + sep.n <= s.n; i++)
    if (!memcmp(s.p + i, sep.p, (size_t)sep.n)) {
      parts++;
      i += sep.n - 1;
    }
  vp_value r = vp_array_new(parts);
  int64_t start = 0, k = 0;
  for (int64_t i = 0; i + sep.n <= s.n; i++)
    if (!memcmp(s.p + i, sep.p, (size_t)sep.n)) {
      r.u.list->items[k++] = vp_box_str((vp_str){ s.p + start, i - start });
      i += sep.n - 1;
      start = i + 1;
    }
  r.u.list->items[k] = vp_box_str((vp_str){ s.p + start, s.n - start });
  return r;
}

vp_str vp_join(vp_value a, vp_str sep) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  text t = { 0 };
  for (int64_t i = 0; i < l->n; i++) {
    if (i)
      text_add(&t, sep.p, (size_t)sep.n);
    vp_str part = vp_any_to_str(l->items[i]);
    text_add(&t, part.p, (size_t)part.n);
  }
  return (vp_str){ t.p ? t.p : "", (int64_t)t.n };
}

vp_value vp_reverse(vp_value a) {
  vp_list *l = list_of(a, VP_KIND_ARRAY);
  vp_value r = vp_array_new(l->n);
  for (int64_t i = 0; i < l->n; i++)
    r.u.list->items[i] = l->items[l->n - 1 - i];
  return r;
}

vp_str vp_str_reverse(vp_str s) {
  int64_t n;
  int64_t *off = code_points(s, &n);
  char *p = vp_arena_alloc(vp_event_arena, (size_t)s.n + 1);
  int64_t w = 0;
  for (int64_t k = n - 1; k >= 0; k--) {
    memcpy(p + w, s.p + off[k], (size_t)(off[k + 1] - off[k]));
    w += off[k + 1] - off[k];
  }
  return (vp_str){ p, w };
}

vp_str vp_substring(vp_str s, int64_t start, bool has_end, int64_t end) {
  int64_t n;
  int64_t *off = code_points(s, &n);
  if (!has_end)
    end = n;
  if (start < 0 || start > end || end > n)
    vp_raise("index out of range: %lld (length %lld)",
             (long long)(start < 0 || start > n ? start : end), (long long)n);
  return (vp_str){ s.p + off[start], off[end] - off[start] };
}

vp_str vp_str_replace(vp_str s, vp_str from, vp_str to) {
  if (from.n == 0)
    vp_raise("invalid argument: replace: empty pattern");
  text t = { 0 };
  int64_t i = 0;
  while (i < s.n) {
    if (i + from.n <= s.n && !memcmp(s.p + i, from.p, (size_t)from.n)) {
      text_add(&t, to.p, (size_t)to.n);
      i += from.n;
    } else {
      text_add(&t, s.p + i, 1);
      i++;
    }
  }
  return (vp_str){ t.p ? t.p : "", (int64_t)t.n };
}

vp_str vp_type_of(vp_value v) {
  switch (v.kind) {
  case VP_KIND_NULL:
    return VP_STR_LIT("null");
  case VP_KIND_BOOL:
    return VP_STR_LIT("bool");
  case VP_KIND_INT:
    return VP_STR_LIT("int");
  case VP_KIND_FLOAT:
    return VP_STR_LIT("float");
  case VP_KIND_STR:
    return VP_STR_LIT("string");
  case VP_KIND_ARRAY:
    return VP_STR_LIT("array");
  default:
    return VP_STR_LIT("map");
  }
}

bool vp_try_int(vp_str s, int64_t *out) {
  char buf[32];
  if (s.n == 0 || s.n >= (int64_t)sizeof buf)
    return false;
  memcpy(buf, s.p, (size_t)s.n);
  buf[s.n] = '\0';
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (errno || *end || buf[0] == ' ')
    return false;
  *out = v;
  return true;
}

bool vp_try_float(vp_str s, double *out) {
  char buf[128];
  if (s.n == 0 || s.n >= (int64_t)sizeof buf)
    return false;
  memcpy(buf, s.p, (size_t)s.n);
  buf[s.n] = '\0';
  char *end;
  double v = strtod(buf, &end);
  if (*end || buf[0] == ' ')
    return false;
  *out = v;
  return true;
}

vp_value vp_any_list(vp_value v, vp_kind kind) {
  list_of(v, kind);
  return v;
}

vp_value vp_any_index(vp_value a, vp_value k) {
  if (a.kind == VP_KIND_MAP)
    return vp_map_at(a, vp_any_str(k));
  if (a.kind == VP_KIND_STR)
    return vp_box_str(vp_str_at(a.u.s, vp_any_int(k)));
  return vp_index(a, vp_any_int(k));
}

// Checks (and widens) the items of an input list for a declared field.
static bool items_of_kind(const vp_value *v, vp_kind kind, vp_kind elem,
                          vp_value *out) {
  if (v->kind != kind)
    return false;
  const vp_list *l = v->u.list;
  vp_value r = kind == VP_KIND_MAP ? vp_map_new(l->n) : vp_array_new(l->n);
  for (int64_t i = 0; i < l->n; i++) {
    vp_value item = l->items[i];
    if (elem == VP_KIND_FLOAT && item.kind == VP_KIND_INT)
      item = vp_box_float((double)item.u.i);
    if (item.kind != elem && elem != VP_KIND_NULL)
      return false;
    r.u.list->items[i] = item;
    if (l->keys)
      r.u.list->keys[i] = l->keys[i];
  }
  *out = r;
  return true;
}

bool vp_as_array_of(const vp_value *v, vp_kind elem, vp_value *out) {
  return items_of_kind(v, VP_KIND_ARRAY, elem, out);
}

bool vp_as_map_of(const vp_value *v, vp_kind elem, vp_value *out) {
  return items_of_kind(v, VP_KIND_MAP, elem, out);
}

int64_t vp_any_len(vp_value v) {
  if (v.kind == VP_KIND_STR)
    return v.u.s.n;
  if (v.kind == VP_KIND_ARRAY || v.kind == VP_KIND_MAP)
    return v.u.list->n;
  mismatch("str", v);
}

vp_value vp_any_abs(vp_value v) {
  if (v.kind == VP_KIND_INT)
    return vp_box_int(v.u.i < 0 ? vp_neg_i64(v.u.i) : v.u.i);
  return vp_box_float(fabs(vp_any_float(v)));
}

int64_t vp_any_to_int(vp_value v) {
  switch (v.kind) {
  case VP_KIND_INT:
    return v.u.i;
  case VP_KIND_FLOAT:
    return vp_f64_to_int(trunc(v.u.f), "to_int");
  case VP_KIND_STR:
    return vp_str_to_int(v.u.s);
  case VP_KIND_BOOL:
    return v.u.b;
  default:
    mismatch("str", v);
  }
}

double vp_any_to_float(vp_value v) {
  switch (v.kind) {
  case VP_KIND_STR:
    return vp_str_to_float(v.u.s);
  case VP_KIND_BOOL:
    return v.u.b;
  default:
    return vp_any_float(v);
  }
}

bool vp_any_in(vp_value container, vp_value x) {
  switch (container.kind) {
  case VP_KIND_STR:
    return vp_str_contains(container.u.s, vp_any_str(x));
  case VP_KIND_MAP:
    return vp_map_has(container, vp_any_str(x));
  default:
    return vp_array_has(container, x);
  }
}

vp_value vp_any_get(vp_value container, vp_value key) {
  if (container.kind == VP_KIND_MAP)
    return vp_get_key(container, vp_any_str(key));
  return vp_get_index(container, vp_any_int(key));
}

vp_str vp_str_keep(vp_str s) {
  char *p = malloc((size_t)s.n + 1);
  if (!p)
    vp_arena_oom();
  memcpy(p, s.p, (size_t)s.n);
  p[s.n] = '\0';
  return (vp_str){ p, s.n };
}

// Memory released by global vars, freed at the next vp_release_pending.
static void **pending;
static size_t npending, cap_pending;

static void release_later(void *p) {
  if (npending == cap_pending) {
    size_t cap = cap_pending ? cap_pending * 2 : 64;
    void **grown = realloc(pending, cap * sizeof *grown);
    if (!grown)
      vp_arena_oom();
    pending = grown;
    cap_pending = cap;
  }
  pending[npending++] = p;
}

void vp_release_pending(void) {
  for (size_t i = 0; i < npending; i++)
    free(pending[i]);
  npending = 0;
}

void vp_str_release(vp_str s) {
  release_later((char *)s.p);
}

vp_value vp_value_keep(vp_value v) {
  if (v.kind == VP_KIND_STR) {
    v.u.s = vp_str_keep(v.u.s);
    return v;
  }
  if (v.kind != VP_KIND_ARRAY && v.kind != VP_KIND_MAP)
    return v;
  const vp_list *from = v.u.list;
  vp_list *l = malloc(sizeof *l);
  vp_value *items = malloc(sizeof(vp_value) * (size_t)(from->n + 1));
  vp_str *keys = from->keys ? malloc(sizeof(vp_str) * (size_t)(from->n + 1))
                            : NULL;
  if (!l || !items || (from->keys && !keys))
    vp_arena_oom();
  for (int64_t i = 0; i < from->n; i++) {
    items[i] = vp_value_keep(from->items[i]);
    if (keys)
      keys[i] = vp_str_keep(from->keys[i]);
  }
  l->n = from->n;
  l->items = items;
  l->keys = keys;
  v.u.list = l;
  return v;
}

void vp_value_release(vp_value v) {
  if (v.kind == VP_KIND_STR) {
    vp_str_release(v.u.s);
    return;
  }
  if (v.kind != VP_KIND_ARRAY && v.kind != VP_KIND_MAP)
    return;
  vp_list *l = v.u.list;
  for (int64_t i = 0; i < l->n; i++) {
    vp_value_release(l->items[i]);
    if (l->keys)
      vp_str_release(l->keys[i]);
  }
  release_later(l->items);
  release_later(l->keys);
  release_later(l);
}
