// Declarations shared by the checking passes (sema.c, check.c, lower.c,
// builtins.c) and codegen.c; not part of the compiler's outside interface.
// SPDX-License-Identifier: MIT
#ifndef VPC_SEMA_INT_H
#define VPC_SEMA_INT_H

#include "sema.h"

extern vpc_type ty_error, ty_null, ty_bool, ty_int, ty_float, ty_str,
    ty_timestamp, ty_duration, ty_stream_error, ty_result_any, ty_any;

// The static type `record`: records of undeclared event types (4.2).
vpc_type *vpc_dynamic_record(void);
bool vpc_is_dynamic(const vpc_type *t);

vpc_type *vpc_result_of(vpc_type *elem);
vpc_type *vpc_optional_of(vpc_type *elem);
vpc_type *vpc_array_of(vpc_type *elem);
vpc_type *vpc_map_of(vpc_type *elem);
// Scalars, optional scalars and any: what a partition key or to_string
// takes (arrays and maps print too).
bool vpc_is_scalar(const vpc_type *t);
// Arrays, maps and any share one run-time form: a vp_value.
bool vpc_is_boxed(const vpc_type *t);
vpc_type *vpc_record_type(vpc_event *ev);
vpc_type *vpc_resolve_type(vpc_node *n, int depth);
bool vpc_type_equal(const vpc_type *a, const vpc_type *b);
bool vpc_assignable(const vpc_type *s, const vpc_type *t);
vpc_type *vpc_unify(vpc_type *a, vpc_type *b);
void vpc_mismatch(vpc_pos pos, const vpc_type *want, const vpc_type *got);
bool vpc_is_numeric(const vpc_type *t);

vpc_event *vpc_find_event(const char *name);
vpc_fn *vpc_find_fn(const char *name);
vpc_stream *vpc_find_stream(const char *name);
vpc_sym *vpc_find_global(const char *name);
vpc_field *vpc_event_field(const vpc_event *ev, const char *name, int *index);

// Scopes of locals; the innermost is searched first.
typedef struct vpc_scope {
  vpc_list syms;
  struct vpc_scope *up;
} vpc_scope;

// What the code being checked may do and see.
typedef struct vpc_ctx {
  vpc_scope *scope;
  vpc_event *implicit;   // bare names read fields of this record (5.1)
  vpc_type *ret;         // declared result type, or NULL while inferring
  vpc_type *inferred;    // union of return values seen while inferring
  bool in_body;          // inside a function or lambda: return allowed
  bool result_ok;        // '?' allowed here
  bool in_region;        // code that runs in a worker (2.5)
  bool in_handler;       // an .on_error handler (emit_to_dlq allowed)
  bool in_init;          // a global initialiser
  bool emit_ok;          // a .process or .on_error lambda: emit allowed
  bool probe;            // the silent first pass over a function (2.6)
  vpc_type *emits;       // record type emitted so far in this lambda
  int loops;
  vpc_fn *fn;
} vpc_ctx;

vpc_type *vpc_check_expr(vpc_ctx *cx, vpc_node *n);
vpc_type *vpc_check_block(vpc_ctx *cx, vpc_node *block);
void vpc_check_tail(vpc_ctx *cx, vpc_node *block, vpc_type *want,
                    vpc_pos where);
void vpc_check_fn(vpc_fn *f);
vpc_sym *vpc_declare_local(vpc_ctx *cx, const char *name, vpc_type *type,
                           int binding, vpc_pos pos);
void vpc_push_scope(vpc_ctx *cx, vpc_scope *sc);
void vpc_pop_scope(vpc_ctx *cx);

// Lowers every stream (lower.c).
void vpc_lower_streams(vpc_sema *s);
vpc_sema *vpc_current_sema(void);

#endif
