// Dynamic values for generated code: records of undeclared event types,
// whose fields are known only at run time (LANGUAGE.md 5.1), and values of
// static type any, checked when they are used (4.2, 4.4, 4.10).
// SPDX-License-Identifier: MIT
#ifndef VP_DYN_H
#define VP_DYN_H

#include "input.h"
#include "output.h"
#include "pack.h"
#include "value.h"

// A record of an undeclared type: every member, in input order. Made from
// an input record without copying, or built by emit and .select.
typedef struct vp_dynrec {
  vp_str type;
  int64_t n;
  const vp_str *names;
  const vp_value *values;
} vp_dynrec;

vp_dynrec vp_dynrec_of_event(const vp_event *ev);

// The member called name, or null when there is none.
vp_value vp_dyn_get(const vp_dynrec *r, const char *name, size_t len);

// Writes r as an output record named type (8.7): members in order, a
// member named timestamp left out when the event time came from data.
void vp_w_dynrec(vp_out *o, const vp_dynrec *r, vp_str type, bool has_time,
                 int64_t time_ns);

// Writes the members of r as the rest of an object already begun.
void vp_w_dynrec_fields(vp_out *o, const vp_dynrec *r, bool skip_timestamp);

// Packing for rings and queues; unpacked strings and lists point into the
// packed bytes and the arena.
void vp_pack_value(vp_buf *b, const vp_value *v);
vp_value vp_unpack_value(vp_rd *rd);
void vp_pack_dynrec(vp_buf *b, const vp_dynrec *r);
vp_dynrec vp_unpack_dynrec(vp_rd *rd);

// Boxing of typed values into any.
static inline vp_value vp_box_null(void) {
  vp_value v = { .kind = VP_KIND_NULL };
  return v;
}

static inline vp_value vp_box_int(int64_t i) {
  vp_value v = { .kind = VP_KIND_INT, .u.i = i };
  return v;
}

static inline vp_value vp_box_float(double f) {
  vp_value v = { .kind = VP_KIND_FLOAT, .u.f = f };
  return v;
}

static inline vp_value vp_box_bool(bool b) {
  vp_value v = { .kind = VP_KIND_BOOL, .u.b = b };
  return v;
}

static inline vp_value vp_box_str(vp_str s) {
  vp_value v = { .kind = VP_KIND_STR, .u.s = s };
  return v;
}

// Checked unboxing: "type mismatch: expected T, got U" (4.2). Ints widen
// to float.
int64_t vp_any_int(vp_value v);
double vp_any_float(vp_value v);
bool vp_any_bool(vp_value v);
vp_str vp_any_str(vp_value v);

// Operators on any (4.4): ints stay ints, floats stay floats, a mix widens;
// null raises "null operand: OP"; other kinds raise a type mismatch.
// op is the operator's text: "+", "-", "*", "/", "%".
vp_value vp_any_arith(const char *op, vp_value a, vp_value b);
vp_value vp_any_neg(vp_value a);

// Ordering ("<", "<=", ">", ">=") and equality of any values; values of
// different kinds are unequal, but ints and floats compare as numbers.
bool vp_any_order(const char *op, vp_value a, vp_value b);
bool vp_any_eq(vp_value a, vp_value b);

// a.f on an any: a map's member (null when missing); a null receiver
// raises "null field access: f".
vp_value vp_any_member(vp_value a, const char *name, size_t len);

// The routing hash of an any used as a partition key (5.4); an array or
// map raises "invalid argument".
uint64_t vp_any_key_hash(vp_value v);

// to_string of any: strings raw, other values as JSON.
vp_str vp_any_to_str(vp_value v);

#endif
