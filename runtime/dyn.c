// Dynamic values (see dyn.h).
// SPDX-License-Identifier: MIT
#include "dyn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
  } else if (is_number(a) || a.kind == VP_KIND_STR) {
    mismatch(a.kind == VP_KIND_STR ? "str" : "float", b);
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

vp_str vp_any_to_str(vp_value v) {
  if (v.kind == VP_KIND_STR)
    return v.u.s;
  text t = { 0 };
  text_value(&t, v);
  return (vp_str){ t.p, (int64_t)t.n };
}
