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

// The JSON text of a value, strings quoted (the data of .log).
vp_str vp_any_to_json(vp_value v);

// Writes "[PRINT] text" and a line break to stderr in one write (5.4).
void vp_print_line(vp_str text);

// Arrays and maps (LANGUAGE.md 4.4, 4.9, 9). Values are immutable: each
// operation that changes one returns a new value, in the event arena.
vp_value vp_array_new(int64_t n);

// An any as an array or a map, checked (4.2).
vp_value vp_any_list(vp_value v, vp_kind kind);

// a[k] on an any: an array by int, a map by str, a string by int.
vp_value vp_any_index(vp_value a, vp_value k);

// Built-ins on any, decided by the run-time kind (9): len of a string
// (bytes), array or map; abs of a number; to_int and to_float of a number,
// string or bool; x in a string, array or map; get of an array or map.
int64_t vp_any_len(vp_value v);
vp_value vp_any_abs(vp_value v);
int64_t vp_any_to_int(vp_value v);
double vp_any_to_float(vp_value v);
bool vp_any_in(vp_value container, vp_value x);
vp_value vp_any_get(vp_value container, vp_value key);

// Global vars outlive the event whose values they take (2.5): assigning
// one keeps a copy in memory of its own and releases the old value. A
// released value may still be read by the code that is running (a local
// took it), so it is freed only by vp_release_pending, which generated
// code calls as each stream starts on a record.
vp_str vp_str_keep(vp_str s);
void vp_str_release(vp_str s);
vp_value vp_value_keep(vp_value v);
void vp_value_release(vp_value v);
void vp_release_pending(void);

// Decodes an input value as a declared [T] field (8.6): an array whose
// items have kind elem (ints widen to float); false when one does not.
bool vp_as_array_of(const vp_value *v, vp_kind elem, vp_value *out);
bool vp_as_map_of(const vp_value *v, vp_kind elem, vp_value *out);
vp_value vp_map_new(int64_t n);
int64_t vp_list_len(vp_value v);

// a[i] (negative i counts from the end) and m[k]; out of range raises
// "index out of range: I (length N)", a missing key "key not found: K".
vp_value vp_index(vp_value a, int64_t i);
vp_value vp_map_at(vp_value m, vp_str k);
vp_str vp_str_at(vp_str s, int64_t i);  // one code point

// a[i:j] with both ends clamped, negative ones counted from the end.
vp_value vp_slice(vp_value a, bool has_i, int64_t i, bool has_j, int64_t j);
vp_str vp_str_slice(vp_str s, bool has_i, int64_t i, bool has_j, int64_t j);

// a..b or a..=b as an array; more than 10,000,000 items raises.
vp_value vp_range_array(int64_t a, int64_t b, bool inclusive);

bool vp_array_has(vp_value a, vp_value x);
bool vp_map_has(vp_value m, vp_str k);

// The k-th entry of a map as the pair [key, value] (for loops, 3).
vp_value vp_map_pair(vp_value m, int64_t k);

// Built-in functions of section 9 over arrays, maps and strings.
vp_value vp_get_index(vp_value a, int64_t i);   // null when out of range
vp_value vp_get_key(vp_value m, vp_str k);      // null when missing
vp_value vp_set_index(vp_value a, int64_t i, vp_value v);
vp_value vp_set_key(vp_value m, vp_str k, vp_value v);
vp_value vp_push(vp_value a, vp_value x);
vp_value vp_pop(vp_value a);
vp_value vp_first(vp_value a);
vp_value vp_last(vp_value a);
vp_value vp_sort(vp_value a);
vp_value vp_keys(vp_value m);
vp_value vp_values(vp_value m);
double vp_sum(vp_value a);
double vp_avg(vp_value a);
vp_value vp_split(vp_str s, vp_str sep);
vp_str vp_join(vp_value a, vp_str sep);
vp_value vp_reverse(vp_value a);
vp_str vp_str_reverse(vp_str s);
vp_str vp_substring(vp_str s, int64_t start, bool has_end, int64_t end);
vp_str vp_str_replace(vp_str s, vp_str from, vp_str to);
vp_str vp_type_of(vp_value v);
bool vp_try_int(vp_str s, int64_t *out);
bool vp_try_float(vp_str s, double *out);

#endif
