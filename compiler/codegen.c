// C code generation (see codegen.h). Expressions become C expressions,
// using GNU statement expressions where VPL needs a temporary (the '?'
// operator, '??', optional members); runtime errors unwind through
// vp_raise, so generated functions return plain values. Each stream stage
// is one static function that hands its output to the next stage.
// SPDX-License-Identifier: MIT
#include "codegen.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "builtins.h"
#include "parse.h"
#include "sema_int.h"
#include "version.h"

typedef struct gen {
  vpc_sema *s;
  vpc_sbuf *out;
  const char *c_name;
  int lines;          // newlines in out up to `counted`
  size_t counted;
  int tmp;            // counter for temporaries
  // The function being generated: how return and '?' leave it.
  enum { BODY_FN, BODY_PRODUCER, BODY_VALUE } body;
  vpc_type *ret;      // BODY_FN, BODY_VALUE: the declared result type
  const char *out_ptr;  // BODY_PRODUCER: name of the record out-parameter
  vpc_type *out_type;   // BODY_PRODUCER: the record type produced
  const char *implicit;  // C expression of the implicit element (5.1)
  bool implicit_dynamic;  // ... a record of an undeclared type
  const char *agg_base;   // where aggregate state lives: "acc->" in folding
                          // windows, NULL for the locals of a batch
} gen;

static void emit(gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void emit(gen *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vpc_vformat(fmt, ap);
  va_end(ap);
  vpc_sbuf_puts(g->out, s);
}

static int current_line(gen *g) {
  for (; g->counted < g->out->n; g->counted++)
    if (g->out->p[g->counted] == '\n')
      g->lines++;
  return g->lines + 1;
}

// A C string literal's contents for text; every byte that is not plain
// printable ASCII becomes a three-digit octal escape, and '?' is escaped
// so that no trigraph can form.
static const char *c_escape(const char *text, size_t n) {
  vpc_sbuf b = { 0 };
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)text[i];
    char tmp[8];
    if (c == '"' || c == '\\' || c == '?') {
      tmp[0] = '\\';
      tmp[1] = (char)c;
      vpc_sbuf_add(&b, tmp, 2);
    } else if (c >= 0x20 && c < 0x7f) {
      vpc_sbuf_add(&b, (const char *)&c, 1);
    } else {
      snprintf(tmp, sizeof tmp, "\\%03o", c);
      vpc_sbuf_add(&b, tmp, 4);
    }
  }
  const char *s = vpc_strdup(b.p ? b.p : "");
  vpc_sbuf_free(&b);
  return s;
}

static const char *str_literal(const char *text, size_t n) {
  return vpc_format("((vp_str){ \"%s\", %zu })", c_escape(text, n), n);
}

// The run-time type name of a record (5.1): known statically, or carried
// by a dynamic record itself when emit made it (name is NULL then).
static const char *type_name_code(const char *name, const char *rec_ptr) {
  if (!name)
    return vpc_format("(%s)->type", rec_ptr);
  return str_literal(name, strlen(name));
}

static void line_to_vpl(gen *g, vpc_pos pos) {
  if (pos.line <= 0 || pos.file < 0)
    return;
  const char *path = vpc_diag_path(pos.file);
  emit(g, "#line %d \"%s\"\n", pos.line, c_escape(path, strlen(path)));
}

static void line_to_c(gen *g) {
  int line = current_line(g);
  emit(g, "#line %d \"%s\"\n", line + 1,
       c_escape(g->c_name, strlen(g->c_name)));
}

static const char *tmp_name(gen *g) {
  return vpc_format("t%d", ++g->tmp);
}

// C types and the names that stand for VPL types in C identifiers.

static const char *mangle(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_INT:
    return "i";
  case VPC_TY_FLOAT:
    return "f";
  case VPC_TY_BOOL:
    return "b";
  case VPC_TY_STR:
    return "s";
  case VPC_TY_TIMESTAMP:
    return "t";
  case VPC_TY_DURATION:
    return "d";
  case VPC_TY_RECORD:
    return t->event->cname;
  case VPC_TY_RESULT:
    return vpc_format("R_%s", t->elem ? mangle(t->elem) : "n");
  case VPC_TY_OPTIONAL:
    return vpc_format("O_%s", mangle(t->elem));
  case VPC_TY_STREAM_ERROR:
    return "e";
  case VPC_TY_ANY:
    return "a";
  case VPC_TY_ARRAY:
    return vpc_format("A_%s", mangle(t->elem));
  case VPC_TY_MAP:
    return vpc_format("M_%s", mangle(t->elem));
  default:
    return "n";
  }
}

static const char *ctype(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_INT:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    return "int64_t";
  case VPC_TY_FLOAT:
    return "double";
  case VPC_TY_BOOL:
    return "bool";
  case VPC_TY_STR:
    return "vp_str";
  case VPC_TY_RECORD:
    return t->event->cname;
  case VPC_TY_RESULT:
    return t->elem ? vpc_format("res_%s", mangle(t->elem)) : "res_any";
  case VPC_TY_OPTIONAL:
    return vpc_format("opt_%s", mangle(t->elem));
  case VPC_TY_STREAM_ERROR:
    return "const vp_stream_error *";
  case VPC_TY_ANY:
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
    return "vp_value";
  default:
    return "int";
  }
}

static const char *zero_of(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_RECORD:
  case VPC_TY_RESULT:
  case VPC_TY_OPTIONAL:
    return vpc_format("((%s){ 0 })", ctype(t));
  case VPC_TY_STR:
    return "((vp_str){ \"\", 0 })";
  case VPC_TY_STREAM_ERROR:
    return "NULL";
  case VPC_TY_ANY:
    return "vp_box_null()";
  case VPC_TY_ARRAY:
    return "vp_array_new(0)";
  case VPC_TY_MAP:
    return "vp_map_new(0)";
  default:
    return "0";
  }
}

// Converts code of type from into type to (4.2: widening, null and values
// into optionals, Result element widening).
static const char *box(gen *g, const char *code, vpc_type *from);
static const char *unbox(gen *g, const char *code, vpc_type *to);

static const char *convert(gen *g, const char *code, vpc_type *from,
                           vpc_type *to) {
  if (!to || vpc_type_equal(from, to) || to->kind == VPC_TY_ERROR ||
      from->kind == VPC_TY_ERROR)
    return code;
  if (vpc_is_boxed(from) && vpc_is_boxed(to) && from->kind != VPC_TY_ANY)
    return code;  // [T] and {str: V} are already vp_values
  if (to->kind == VPC_TY_ANY)
    return box(g, code, from);
  if (from->kind == VPC_TY_ANY)
    return unbox(g, code, to);
  if (from->kind == VPC_TY_INT && to->kind == VPC_TY_FLOAT)
    return vpc_format("((double)(%s))", code);
  if (to->kind == VPC_TY_OPTIONAL) {
    if (from->kind == VPC_TY_NULL)  // panic(...) and print(...) are null too
      return vpc_format("((void)(%s), %s)", code, zero_of(to));
    if (from->kind == VPC_TY_OPTIONAL) {
      const char *t = tmp_name(g);
      return vpc_format("({ %s %s = %s; (%s){ %s.has, %s.has ? %s : %s }; })",
                        ctype(from), t, code, ctype(to), t, t,
                        convert(g, vpc_format("%s.v", t), from->elem,
                                to->elem),
                        zero_of(to->elem));
    }
    return vpc_format("((%s){ true, %s })", ctype(to),
                      convert(g, code, from, to->elem));
  }
  if (from->kind == VPC_TY_RESULT && to->kind == VPC_TY_RESULT) {
    const char *t = tmp_name(g);
    if (!from->elem)
      return vpc_format("({ res_any %s = %s; (%s){ .ok = false, .err = "
                        "%s.err }; })",
                        t, code, ctype(to), t);
    return vpc_format("({ %s %s = %s; (%s){ .ok = %s.ok, .err = %s.err, .v = "
                      "%s.ok ? %s : %s }; })",
                      ctype(from), t, code, ctype(to), t, t, t,
                      convert(g, vpc_format("%s.v", t), from->elem, to->elem),
                      zero_of(to->elem));
  }
  return code;
}

// A typed value as an any (4.2): timestamps and durations box as their
// integer nanoseconds.
static const char *box(gen *g, const char *code, vpc_type *from) {
  switch (from->kind) {
  case VPC_TY_INT:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    return vpc_format("vp_box_int(%s)", code);
  case VPC_TY_FLOAT:
    return vpc_format("vp_box_float(%s)", code);
  case VPC_TY_BOOL:
    return vpc_format("vp_box_bool(%s)", code);
  case VPC_TY_STR:
    return vpc_format("vp_box_str(%s)", code);
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
    return code;
  case VPC_TY_OPTIONAL: {
    const char *t = tmp_name(g);
    return vpc_format("({ %s %s = %s; %s.has ? %s : vp_box_null(); })",
                      ctype(from), t, code, t,
                      box(g, vpc_format("%s.v", t), from->elem));
  }
  default:
    return vpc_format("((void)(%s), vp_box_null())", code);
  }
}

// An any as a typed value, checked: "type mismatch: expected T, got U".
static const char *unbox(gen *g, const char *code, vpc_type *to) {
  switch (to->kind) {
  case VPC_TY_INT:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    return vpc_format("vp_any_int(%s)", code);
  case VPC_TY_FLOAT:
    return vpc_format("vp_any_float(%s)", code);
  case VPC_TY_BOOL:
    return vpc_format("vp_any_bool(%s)", code);
  case VPC_TY_STR:
    return vpc_format("vp_any_str(%s)", code);
  case VPC_TY_ARRAY:
    return vpc_format("vp_any_list(%s, VP_KIND_ARRAY)", code);
  case VPC_TY_MAP:
    return vpc_format("vp_any_list(%s, VP_KIND_MAP)", code);
  case VPC_TY_OPTIONAL: {
    const char *t = tmp_name(g);
    return vpc_format("({ vp_value %s = %s; %s.kind == VP_KIND_NULL ? %s : "
                      "(%s){ true, %s }; })",
                      t, code, t, zero_of(to), ctype(to),
                      unbox(g, t, to->elem));
  }
  default:
    return code;
  }
}

static const char *gen_expr(gen *g, vpc_node *n);

// A synthetic name node for C code that already holds a value of type t,
// so that the expression generators can work on it.
static vpc_node *value_node(const char *code, vpc_type *t) {
  vpc_sym *sym = vpc_alloc(sizeof *sym);
  sym->kind = VPC_SYM_LOCAL;
  sym->cname = code;
  vpc_node *n = vpc_node_new(VPC_NODE_NAME, (vpc_pos){ .file = -1 });
  n->type = t;
  n->sym = sym;
  return n;
}

static const char *gen_as(gen *g, vpc_node *n, vpc_type *to) {
  // Ok(...) and Err(...) are built directly in the Result they flow into.
  if (to && to->kind == VPC_TY_RESULT && n->kind == VPC_NODE_CALL &&
      n->op == 'b') {
    const vpc_builtin *b = n->sym;
    vpc_node *arg = ((vpc_node *)n->list.items[0])->a;
    if (b->id == VPC_B_OK)
      return vpc_format("((%s){ .ok = true, .v = %s })", ctype(to),
                        to->elem ? gen_as(g, arg, to->elem) : "0");
    if (b->id == VPC_B_ERR)
      return vpc_format("((%s){ .ok = false, .err = %s })", ctype(to),
                        gen_expr(g, arg));
  }
  return convert(g, gen_expr(g, n), n->type, to);
}

static const char *gen_int_literal(int64_t v) {
  if (v == INT64_MIN)
    return "INT64_MIN";
  return vpc_format("INT64_C(%" PRId64 ")", v);
}

static const char *gen_float_literal(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", v);
  if (!strpbrk(buf, ".eEn"))
    strcat(buf, ".0");
  return vpc_strdup(buf);
}

static const char *gen_name(gen *g, vpc_node *n) {
  vpc_sym *s = n->sym;
  if (s->kind == VPC_SYM_FIELD && g->implicit_dynamic)
    return vpc_format("vp_dyn_get(%s, \"%s\", %zu)", g->implicit, s->name,
                      strlen(s->name));
  if (s->kind == VPC_SYM_FIELD)
    return vpc_format("%s->f_%s", g->implicit, s->name);
  return s->cname;
}

static const char *stream_error_member(const char *e, const char *name) {
  if (!strcmp(name, "kind"))
    return vpc_format("vp_cstr(%s->kind)", e);
  if (!strcmp(name, "stream"))
    return vpc_format("vp_cstr(%s->stream)", e);
  if (!strcmp(name, "message"))
    return vpc_format("%s->message", e);
  if (!strcmp(name, "seq"))
    return vpc_format("%s->origin.seq", e);
  return vpc_format("%s->%s", e, name);
}

static const char *gen_member(gen *g, vpc_node *n) {
  vpc_type *rt = n->a->type;
  const char *a = gen_expr(g, n->a);
  size_t len = strlen(n->name);
  if (rt->kind == VPC_TY_ANY)
    return vpc_format("vp_any_member(%s, \"%s\", %zu)", a, n->name, len);
  if (rt->kind == VPC_TY_MAP)
    return convert(g, vpc_format("vp_map_at(%s, %s)", a,
                                 str_literal(n->name, len)),
                   &ty_any, n->type);
  if (vpc_is_dynamic(rt)) {
    const char *t = tmp_name(g);
    return vpc_format("({ vp_dynrec %s = %s; vp_dyn_get(&%s, \"%s\", %zu); "
                      "})",
                      t, a, t, n->name, len);
  }
  if (n->kind == VPC_NODE_MEMBER) {
    if (rt->kind == VPC_TY_STREAM_ERROR)
      return stream_error_member(a, n->name);
    return vpc_format("(%s).f_%s", a, n->name);
  }
  // a?.f: null when a is null (4.4).
  vpc_type *inner = rt->kind == VPC_TY_OPTIONAL ? rt->elem : rt;
  const char *t = tmp_name(g);
  const char *recv = rt->kind == VPC_TY_OPTIONAL ? vpc_format("%s.v", t) : t;
  const char *has = rt->kind == VPC_TY_OPTIONAL ? vpc_format("%s.has", t)
                                                : "true";
  const char *value;
  if (inner->kind == VPC_TY_MAP) {
    value = convert(g, vpc_format("vp_map_at(%s, %s)", recv,
                                  str_literal(n->name, len)),
                    &ty_any, n->type);
  } else if (vpc_is_dynamic(inner)) {
    value = vpc_format("vp_dyn_get(&%s, \"%s\", %zu)", recv, n->name, len);
  } else {
    vpc_field *f = vpc_event_field(inner->event, n->name, NULL);
    value = convert(g, vpc_format("%s.f_%s", recv, n->name), f->type,
                    n->type);
  }
  return vpc_format("({ %s %s = %s; %s ? %s : %s; })", ctype(rt), t, a, has,
                    value, zero_of(n->type));
}

static const char *gen_propagate(gen *g, vpc_node *n) {
  vpc_type *rt = n->a->type;
  const char *t = tmp_name(g);
  const char *leave;
  if (g->body == BODY_FN)
    leave = vpc_format("return (%s){ .ok = false, .err = %s.err };",
                       ctype(g->ret), t);
  else
    leave = vpc_format("vp_raise_str(\"error\", %s.err);", t);
  const char *value = rt->elem ? vpc_format("%s.v", t) : "0";
  return vpc_format("({ %s %s = %s; if (!%s.ok) %s %s; })", ctype(rt), t,
                    gen_expr(g, n->a), t, leave, value);
}

static bool is_float(const vpc_type *t) {
  return t->kind == VPC_TY_FLOAT;
}

// An int, float, bool or str, not optional: a value with one plain C
// representation, which readers, writers and stores take as it is.
static bool is_flat(const vpc_type *t) {
  return t->kind == VPC_TY_INT || t->kind == VPC_TY_FLOAT ||
         t->kind == VPC_TY_BOOL || t->kind == VPC_TY_STR;
}

static const char *op_text(int op) {
  switch (op) {
  case VPC_TK_PLUS:
    return "+";
  case VPC_TK_MINUS:
    return "-";
  case VPC_TK_STAR:
    return "*";
  case VPC_TK_SLASH:
    return "/";
  default:
    return "%";
  }
}

static const char *gen_arith(gen *g, int op, vpc_node *an, vpc_node *bn,
                             vpc_type *result) {
  vpc_type *at = an->type, *bt = bn->type;
  if (result->kind == VPC_TY_ANY)
    return vpc_format("vp_any_arith(\"%s\", %s, %s)", op_text(op),
                      gen_as(g, an, &ty_any), gen_as(g, bn, &ty_any));
  if (result->kind == VPC_TY_STR)
    return vpc_format("vp_str_concat(%s, %s)", gen_expr(g, an),
                      gen_expr(g, bn));
  if (result->kind == VPC_TY_FLOAT &&
      !(at->kind == VPC_TY_DURATION || bt->kind == VPC_TY_DURATION)) {
    const char *a = gen_as(g, an, &ty_float), *b = gen_as(g, bn, &ty_float);
    switch (op) {
    case VPC_TK_PLUS:
      return vpc_format("(%s + %s)", a, b);
    case VPC_TK_MINUS:
      return vpc_format("(%s - %s)", a, b);
    case VPC_TK_STAR:
      return vpc_format("(%s * %s)", a, b);
    case VPC_TK_SLASH:
      return vpc_format("vp_div_f64(%s, %s)", a, b);
    case VPC_TK_PERCENT:
      return vpc_format("vp_mod_f64(%s, %s)", a, b);
    default:
      return vpc_format("pow(%s, %s)", a, b);
    }
  }
  const char *a = at->kind == VPC_TY_ANY ? gen_as(g, an, &ty_int)
                                         : gen_expr(g, an);
  const char *b = bt->kind == VPC_TY_ANY ? gen_as(g, bn, &ty_int)
                                         : gen_expr(g, bn);
  if (at->kind == VPC_TY_DURATION && bt->kind == VPC_TY_DURATION &&
      op == VPC_TK_SLASH)
    return vpc_format("vp_div_f64((double)%s, (double)%s)", a, b);
  if (at->kind == VPC_TY_DURATION && is_float(bt))
    return vpc_format("vp_dur_mul_f64(%s, %s)", a, b);
  switch (op) {
  case VPC_TK_PLUS:
    return vpc_format("vp_add_i64(%s, %s)", a, b);
  case VPC_TK_MINUS:
    return vpc_format("vp_sub_i64(%s, %s)", a, b);
  case VPC_TK_STAR:
    return vpc_format("vp_mul_i64(%s, %s)", a, b);
  case VPC_TK_SLASH:
    return vpc_format("vp_div_i64(%s, %s)", a, b);
  case VPC_TK_PERCENT:
    return vpc_format("vp_mod_i64(%s, %s)", a, b);
  case VPC_TK_POW:
    return vpc_format("vp_pow_i64(%s, %s)", a, b);
  case VPC_TK_AMP:
    return vpc_format("(%s & %s)", a, b);
  case VPC_TK_PIPE:
    return vpc_format("(%s | %s)", a, b);
  case VPC_TK_CARET:
    return vpc_format("(%s ^ %s)", a, b);
  case VPC_TK_SHL:
    return vpc_format("vp_shl_i64(%s, %s)", a, b);
  default:
    return vpc_format("vp_shr_i64(%s, %s)", a, b);
  }
}

static const char *c_relop(int op) {
  switch (op) {
  case VPC_TK_LT:
    return "<";
  case VPC_TK_LE:
    return "<=";
  case VPC_TK_GT:
    return ">";
  case VPC_TK_GE:
    return ">=";
  case VPC_TK_NE:
    return "!=";
  default:
    return "==";
  }
}

// Equality of two non-null values of (widened) type t.
static const char *eq_code(const vpc_type *t, const char *a, const char *b) {
  switch (t->kind) {
  case VPC_TY_FLOAT:
    return vpc_format("vp_f64_eq(%s, %s)", a, b);
  case VPC_TY_STR:
    return vpc_format("vp_str_eq(%s, %s)", a, b);
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
  case VPC_TY_ANY:
    return vpc_format("vp_any_eq(%s, %s)", a, b);
  default:
    return vpc_format("(%s == %s)", a, b);
  }
}

static vpc_type *strip_optional(vpc_type *t) {
  return t->kind == VPC_TY_OPTIONAL ? t->elem : t;
}

static vpc_type *common_type(vpc_type *a, vpc_type *b) {
  a = strip_optional(a);
  b = strip_optional(b);
  if (a->kind == VPC_TY_NULL)
    return b;
  if (b->kind == VPC_TY_NULL)
    return a;
  if (a->kind == VPC_TY_FLOAT || b->kind == VPC_TY_FLOAT)
    return vpc_is_numeric(a) && vpc_is_numeric(b) ? &ty_float : a;
  return a;
}

// == and != with nulls allowed on either side (4.4).
static const char *gen_equality(gen *g, vpc_node *n) {
  vpc_type *at = n->a->type, *bt = n->b->type;
  vpc_type *ct = common_type(at, bt);
  const char *neg = n->op == VPC_TK_NE ? "!" : "";
  if (vpc_is_boxed(at) || vpc_is_boxed(bt))
    return vpc_format("(%svp_any_eq(%s, %s))", neg, gen_as(g, n->a, &ty_any),
                      gen_as(g, n->b, &ty_any));
  bool a_opt = at->kind == VPC_TY_OPTIONAL, b_opt = bt->kind == VPC_TY_OPTIONAL;
  bool a_null = at->kind == VPC_TY_NULL, b_null = bt->kind == VPC_TY_NULL;
  // Operands are evaluated even when their types decide the answer.
  if (a_null && b_null)
    return vpc_format("((void)(%s), (void)(%s), %s1)", gen_expr(g, n->a),
                      gen_expr(g, n->b), neg);
  if (a_null || b_null) {
    vpc_node *other = a_null ? n->b : n->a;
    vpc_node *null_side = a_null ? n->a : n->b;
    if (other->type->kind != VPC_TY_OPTIONAL)
      return vpc_format("((void)(%s), (void)(%s), %s0)", gen_expr(g, other),
                        gen_expr(g, null_side), neg);
    return vpc_format("((void)(%s), %s!(%s).has)", gen_expr(g, null_side),
                      neg, gen_expr(g, other));
  }
  if (!a_opt && !b_opt)
    return vpc_format("(%s%s)", neg,
                      eq_code(ct, gen_as(g, n->a, ct), gen_as(g, n->b, ct)));
  vpc_type *ot = vpc_optional_of(ct);
  const char *ta = tmp_name(g), *tb = tmp_name(g);
  return vpc_format("(%s({ %s %s = %s; %s %s = %s; %s.has == %s.has && "
                    "(!%s.has || %s); }))",
                    neg, ctype(ot), ta, gen_as(g, n->a, ot), ctype(ot), tb,
                    gen_as(g, n->b, ot), ta, tb, ta,
                    eq_code(ct, vpc_format("%s.v", ta),
                            vpc_format("%s.v", tb)));
}

static const char *gen_ordering(gen *g, vpc_node *n) {
  if (n->a->type->kind == VPC_TY_ANY || n->b->type->kind == VPC_TY_ANY)
    return vpc_format("vp_any_order(\"%s\", %s, %s)", c_relop(n->op),
                      gen_as(g, n->a, &ty_any), gen_as(g, n->b, &ty_any));
  vpc_type *ct = common_type(n->a->type, n->b->type);
  const char *a = gen_as(g, n->a, ct), *b = gen_as(g, n->b, ct);
  if (ct->kind == VPC_TY_STR)
    return vpc_format("(vp_str_cmp(%s, %s) %s 0)", a, b, c_relop(n->op));
  return vpc_format("(%s %s %s)", a, c_relop(n->op), b);
}

static const char *gen_is(gen *g, vpc_node *n) {
  vpc_type *t = n->a->type;
  if (t->kind == VPC_TY_ANY) {
    // The run-time kind decides (4.4); any has no timestamp or duration.
    const char *kind = !n->name                  ? "null"
                       : !strcmp(n->name, "str") ? "string"
                                                 : n->name;
    return vpc_format("vp_str_eq(vp_type_of(%s), VP_STR_LIT(\"%s\"))",
                      gen_expr(g, n->a), kind);
  }
  if (!n->name) {  // e is null
    if (t->kind == VPC_TY_NULL)
      return "1";
    if (t->kind != VPC_TY_OPTIONAL)
      return vpc_format("((void)(%s), 0)", gen_expr(g, n->a));
    return vpc_format("(!(%s).has)", gen_expr(g, n->a));
  }
  vpc_type *inner = strip_optional(t);
  bool same = !strcmp(vpc_type_name(inner), n->name);
  if (!same)
    return vpc_format("((void)(%s), 0)", gen_expr(g, n->a));
  if (t->kind == VPC_TY_OPTIONAL)
    return vpc_format("((%s).has)", gen_expr(g, n->a));
  return vpc_format("((void)(%s), 1)", gen_expr(g, n->a));
}

static const char *gen_coalesce(gen *g, vpc_node *n) {
  vpc_type *at = n->a->type;
  if (at->kind == VPC_TY_ANY) {
    const char *t = tmp_name(g);
    return vpc_format("({ vp_value %s = %s; %s.kind == VP_KIND_NULL ? %s : "
                      "%s; })",
                      t, gen_expr(g, n->a), t, gen_as(g, n->b, n->type),
                      convert(g, t, &ty_any, n->type));
  }
  if (at->kind == VPC_TY_NULL)
    return gen_as(g, n->b, n->type);
  if (at->kind != VPC_TY_OPTIONAL)
    return gen_as(g, n->a, n->type);
  const char *t = tmp_name(g);
  return vpc_format("({ %s %s = %s; %s.has ? %s : %s; })", ctype(at), t,
                    gen_expr(g, n->a), t,
                    convert(g, vpc_format("%s.v", t), at->elem, n->type),
                    gen_as(g, n->b, n->type));
}

static const char *gen_binary(gen *g, vpc_node *n) {
  switch (n->op) {
  case VPC_TK_AND:
    return vpc_format("(%s && %s)", gen_as(g, n->a, &ty_bool),
                      gen_as(g, n->b, &ty_bool));
  case VPC_TK_OR:
    return vpc_format("(%s || %s)", gen_as(g, n->a, &ty_bool),
                      gen_as(g, n->b, &ty_bool));
  case VPC_TK_COALESCE:
    return gen_coalesce(g, n);
  case VPC_TK_EQ:
  case VPC_TK_NE:
    return gen_equality(g, n);
  case VPC_TK_LT:
  case VPC_TK_LE:
  case VPC_TK_GT:
  case VPC_TK_GE:
    return gen_ordering(g, n);
  case VPC_TK_IN: {
    const char *neg = n->flag ? "!" : "";
    vpc_type_kind k = n->b->type->kind;
    if (k == VPC_TY_ARRAY || k == VPC_TY_ANY)
      return vpc_format("(%svp_any_in(%s, %s))", neg, gen_expr(g, n->b),
                        gen_as(g, n->a, &ty_any));
    if (k == VPC_TY_MAP)
      return vpc_format("(%svp_map_has(%s, %s))", neg, gen_expr(g, n->b),
                        gen_as(g, n->a, &ty_str));
    return vpc_format("(%svp_str_contains(%s, %s))", neg,
                      gen_as(g, n->b, &ty_str), gen_as(g, n->a, &ty_str));
  }
  case VPC_TK_IS:
    return gen_is(g, n);
  default:
    return gen_arith(g, n->op, n->a, n->b, n->type);
  }
}

static const char *gen_unary(gen *g, vpc_node *n) {
  if (n->op == VPC_TK_NOT)
    return vpc_format("(!%s)", gen_as(g, n->a, &ty_bool));
  const char *a = gen_expr(g, n->a);
  if (n->type->kind == VPC_TY_ANY)
    return vpc_format("vp_any_neg(%s)", a);
  if (n->op == VPC_TK_TILDE)
    return vpc_format("(~%s)", gen_as(g, n->a, &ty_int));
  if (n->type->kind == VPC_TY_FLOAT)
    return vpc_format("(-%s)", a);
  // -9223372036854775808 is one literal (1.4).
  if (n->a->kind == VPC_NODE_INT && n->a->ival == INT64_MIN)
    return "INT64_MIN";
  return vpc_format("vp_neg_i64(%s)", a);
}

static vpc_node *arg_at(vpc_node *call, int i) {
  return ((vpc_node *)call->list.items[i])->a;
}

// The record for emit_to_dlq and dead letters: the writer of its type and
// the values it needs (see dlq_ref in the generated preamble).
static const char *gen_dlq(gen *g, vpc_node *call) {
  vpc_node *ev = arg_at(call, 0);
  vpc_type *t = ev->type;
  const char *tmp = tmp_name(g);
  return vpc_format("({ %s %s = %s; handler_dead_letter(write_any_%s, &%s); "
                    "0; })",
                    ctype(t), tmp, gen_expr(g, ev), t->event->cname, tmp);
}

static const char *gen_to_string(gen *g, vpc_node *arg) {
  vpc_type *t = arg->type;
  const char *a = gen_expr(g, arg);
  switch (t->kind) {
  case VPC_TY_STR:
    return a;
  case VPC_TY_INT:
    return vpc_format("vp_int_to_str(%s)", a);
  case VPC_TY_FLOAT:
    return vpc_format("vp_float_to_str(%s)", a);
  case VPC_TY_BOOL:
    return vpc_format("vp_bool_to_str(%s)", a);
  case VPC_TY_TIMESTAMP:
    return vpc_format("vp_time_to_str(%s)", a);
  case VPC_TY_DURATION:
    return vpc_format("vp_duration_to_str(%s)", a);
  case VPC_TY_ANY:
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
    return vpc_format("vp_any_to_str(%s)", a);
  case VPC_TY_OPTIONAL: {
    const char *t2 = tmp_name(g);
    return vpc_format("({ %s %s = %s; %s.has ? %s : VP_STR_LIT(\"null\"); })",
                      ctype(t), t2, a, t2,
                      gen_to_string(g, value_node(vpc_format("%s.v", t2),
                                                  t->elem)));
  }
  default:
    return "VP_STR_LIT(\"null\")";
  }
}

static const char *gen_num_builtin(gen *g, vpc_node *call,
                                   const vpc_builtin *b) {
  vpc_type *rt = call->type;
  const char *a0 = gen_as(g, arg_at(call, 0), rt->kind == VPC_TY_INT &&
                                                      b->id != VPC_B_FLOOR &&
                                                      b->id != VPC_B_CEIL &&
                                                      b->id != VPC_B_ROUND
                                                  ? &ty_int
                                                  : &ty_float);
  const char *t = tmp_name(g);
  switch (b->id) {
  case VPC_B_ABS:
    if (rt->kind == VPC_TY_ANY)
      return vpc_format("vp_any_abs(%s)", gen_expr(g, arg_at(call, 0)));
    if (rt->kind == VPC_TY_INT)
      return vpc_format("({ int64_t %s = %s; %s < 0 ? vp_neg_i64(%s) : %s; })",
                        t, a0, t, t, t);
    return vpc_format("fabs(%s)", a0);
  case VPC_B_MATH1:
    return vpc_format("%s(%s)", b->cname, a0);
  case VPC_B_FLOOR:
    return vpc_format("vp_floor_i64(%s)", a0);
  case VPC_B_CEIL:
    return vpc_format("vp_ceil_i64(%s)", a0);
  case VPC_B_ROUND:
    if (call->list.n == 2)
      return vpc_format("vp_round_places(%s, %s)", a0,
                        gen_expr(g, arg_at(call, 1)));
    return vpc_format("vp_round_i64(%s)", a0);
  case VPC_B_POW:
    if (rt->kind == VPC_TY_INT)
      return vpc_format("vp_pow_i64(%s, %s)", a0, gen_expr(g, arg_at(call, 1)));
    return vpc_format("pow(%s, %s)", a0, gen_as(g, arg_at(call, 1), rt));
  default:
    break;
  }
  const char *a1 = gen_as(g, arg_at(call, 1), rt);
  const char *u = tmp_name(g);
  if (b->id == VPC_B_MIN)
    return vpc_format("({ %s %s = %s, %s = %s; %s < %s ? %s : %s; })",
                      ctype(rt), t, a0, u, a1, u, t, u, t);
  if (b->id == VPC_B_MAX)
    return vpc_format("({ %s %s = %s, %s = %s; %s > %s ? %s : %s; })",
                      ctype(rt), t, a0, u, a1, u, t, u, t);
  // clamp(x, lo, hi) = max(lo, min(x, hi))
  const char *a2 = gen_as(g, arg_at(call, 2), rt);
  const char *v = tmp_name(g);
  return vpc_format("({ %s %s = %s, %s = %s, %s = %s; %s = %s < %s ? %s : %s; "
                    "%s > %s ? %s : %s; })",
                    ctype(rt), t, a0, u, a1, v, a2, t, v, t, v, t, u, t, u,
                    t);
}

// Argument i converted to the type the builtin takes (an any is checked).
static const char *arg_as(gen *g, vpc_node *call, int i, vpc_type *t) {
  return gen_as(g, arg_at(call, i), t);
}

static const char *gen_concat(gen *g, vpc_node *call) {
  const char *acc = arg_as(g, call, 0, &ty_str);
  for (int i = 1; i < call->list.n; i++)
    acc = vpc_format("vp_str_concat(%s, %s)", acc, arg_as(g, call, i, &ty_str));
  return acc;
}

static const char *gen_coalesce_call(gen *g, vpc_node *call) {
  // coalesce(a, b, c) = a ?? (b ?? c)
  vpc_type *rt = call->type;
  int n = call->list.n;
  const char *acc = gen_as(g, arg_at(call, n - 1), rt);
  for (int i = n - 2; i >= 0; i--) {
    vpc_node *a = arg_at(call, i);
    if (a->type->kind == VPC_TY_NULL)
      continue;  // a null argument is skipped
    if (a->type->kind != VPC_TY_OPTIONAL) {
      acc = gen_as(g, a, rt);
      continue;
    }
    const char *t = tmp_name(g);
    acc = vpc_format("({ %s %s = %s; %s.has ? %s : %s; })", ctype(a->type), t,
                     gen_expr(g, a), t,
                     convert(g, vpc_format("%s.v", t), a->type->elem, rt),
                     acc);
  }
  return acc;
}

static const char *gen_update(gen *g, vpc_node *call) {
  vpc_type *rt = call->type;
  const char *t = tmp_name(g);
  vpc_sbuf b = { 0 };
  vpc_sbuf_printf(&b, "({ %s %s = %s; ", ctype(rt), t,
                  gen_expr(g, arg_at(call, 0)));
  for (int i = 1; i < call->list.n; i++) {
    vpc_node *arg = call->list.items[i];
    vpc_field *f = vpc_event_field(rt->event, arg->name, NULL);
    vpc_sbuf_printf(&b, "%s.f_%s = %s; ", t, arg->name,
                    gen_as(g, arg->a, f->type));
  }
  vpc_sbuf_printf(&b, "%s; })", t);
  const char *s = vpc_strdup(b.p);
  vpc_sbuf_free(&b);
  return s;
}

// The spelling of type_of for a value of static type t (9), or NULL when
// only the run-time value knows.
static const char *static_type_of(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_INT:
    return "int";
  case VPC_TY_FLOAT:
    return "float";
  case VPC_TY_BOOL:
    return "bool";
  case VPC_TY_STR:
    return "string";
  case VPC_TY_TIMESTAMP:
    return "timestamp";
  case VPC_TY_DURATION:
    return "duration";
  case VPC_TY_NULL:
    return "null";
  case VPC_TY_ARRAY:
    return "array";
  case VPC_TY_MAP:
    return "map";
  case VPC_TY_RECORD:
    return "record";
  case VPC_TY_RESULT:
    return "result";
  default:
    return NULL;
  }
}

static const char *gen_type_of(gen *g, vpc_node *a0) {
  const char *known = static_type_of(a0->type);
  if (known)
    return vpc_format("((void)(%s), VP_STR_LIT(\"%s\"))", gen_expr(g, a0),
                      known);
  return vpc_format("vp_type_of(%s)", gen_as(g, a0, &ty_any));
}

static const char *gen_try(gen *g, vpc_node *call, bool is_int) {
  const char *t = tmp_name(g);
  return vpc_format("({ %s %s = { 0 }; %s.has = vp_try_%s(%s, &%s.v); %s; })",
                    ctype(call->type), t, t, is_int ? "int" : "float",
                    arg_as(g, call, 0, &ty_str), t, t);
}

// Arrays and maps are vp_values; results come back as any and convert to
// the call's static type.
static const char *gen_collection_builtin(gen *g, vpc_node *call,
                                          const vpc_builtin *b) {
  vpc_node *a0 = arg_at(call, 0);
  const char *x = gen_expr(g, a0);
  const char *code;
  switch (b->id) {
  case VPC_B_FIRST:
    return convert(g, vpc_format("vp_first(%s)", x), &ty_any, call->type);
  case VPC_B_LAST:
    return convert(g, vpc_format("vp_last(%s)", x), &ty_any, call->type);
  case VPC_B_PUSH:
    return vpc_format("vp_push(%s, %s)", x,
                      gen_as(g, arg_at(call, 1), &ty_any));
  case VPC_B_POP:
    return vpc_format("vp_pop(%s)", x);
  case VPC_B_SORT:
    return vpc_format("vp_sort(%s)", x);
  case VPC_B_KEYS:
    return vpc_format("vp_keys(%s)", x);
  case VPC_B_VALUES:
    return vpc_format("vp_values(%s)", x);
  case VPC_B_GET:
    if (a0->type->kind == VPC_TY_ANY)
      return vpc_format("vp_any_get(%s, %s)", x, arg_as(g, call, 1, &ty_any));
    code = a0->type->kind == VPC_TY_MAP
               ? vpc_format("vp_get_key(%s, %s)", x,
                            gen_as(g, arg_at(call, 1), &ty_str))
               : vpc_format("vp_get_index(%s, %s)", x,
                            gen_as(g, arg_at(call, 1), &ty_int));
    return convert(g, code, &ty_any, call->type);
  case VPC_B_SET:
    if (a0->type->kind == VPC_TY_MAP)
      return vpc_format("vp_set_key(%s, %s, %s)", x,
                        gen_as(g, arg_at(call, 1), &ty_str),
                        gen_as(g, arg_at(call, 2), &ty_any));
    return vpc_format("vp_set_index(%s, %s, %s)", x,
                      gen_as(g, arg_at(call, 1), &ty_int),
                      gen_as(g, arg_at(call, 2), &ty_any));
  case VPC_B_RANGE:
    if (call->list.n == 1)
      return vpc_format("vp_range_array(0, %s, false)",
                        arg_as(g, call, 0, &ty_int));
    return vpc_format("vp_range_array(%s, %s, false)",
                      arg_as(g, call, 0, &ty_int), arg_as(g, call, 1, &ty_int));
  case VPC_B_SUM:
    return vpc_format("vp_sum(%s)", x);
  case VPC_B_AVG:
    return vpc_format("vp_avg(%s)", x);
  case VPC_B_SPLIT:
    return vpc_format("vp_split(%s, %s)", arg_as(g, call, 0, &ty_str),
                      arg_as(g, call, 1, &ty_str));
  case VPC_B_JOIN:
    return vpc_format("vp_join(%s, %s)", x, arg_as(g, call, 1, &ty_str));
  case VPC_B_REVERSE:
    if (a0->type->kind == VPC_TY_STR)
      return vpc_format("vp_str_reverse(%s)", x);
    return vpc_format("vp_reverse(%s)", x);
  case VPC_B_SUBSTRING:
    if (call->list.n == 2)
      return vpc_format("vp_substring(%s, %s, false, 0)",
                        arg_as(g, call, 0, &ty_str),
                        arg_as(g, call, 1, &ty_int));
    return vpc_format("vp_substring(%s, %s, true, %s)",
                      arg_as(g, call, 0, &ty_str), arg_as(g, call, 1, &ty_int),
                      arg_as(g, call, 2, &ty_int));
  case VPC_B_REPLACE:
    return vpc_format("vp_str_replace(%s, %s, %s)", arg_as(g, call, 0, &ty_str),
                      arg_as(g, call, 1, &ty_str), arg_as(g, call, 2, &ty_str));
  case VPC_B_TYPE_OF:
    return gen_type_of(g, a0);
  case VPC_B_IS_KIND:
    return vpc_format("vp_str_eq(%s, VP_STR_LIT(\"%s\"))",
                      gen_type_of(g, a0), b->cname);
  case VPC_B_TRY_INT:
    return gen_try(g, call, true);
  default:
    return gen_try(g, call, false);
  }
}

static const char *print_text(gen *g, vpc_list *args);

static const char *gen_builtin(gen *g, vpc_node *call) {
  const vpc_builtin *b = call->sym;
  if (b->group == VPC_BG_COLLECTION)
    return gen_collection_builtin(g, call, b);
  vpc_node *a0 = call->list.n ? arg_at(call, 0) : NULL;
  switch (b->id) {
  case VPC_B_OK:
  case VPC_B_ERR:
    return gen_as(g, call, call->type->elem ? call->type : &ty_result_any);
  case VPC_B_IS_OK:
    return vpc_format("(%s).ok", gen_expr(g, a0));
  case VPC_B_IS_ERR:
    return vpc_format("(!(%s).ok)", gen_expr(g, a0));
  case VPC_B_UNWRAP_OR: {
    const char *t = tmp_name(g);
    return vpc_format("({ %s %s = %s; %s.ok ? %s.v : %s; })",
                      ctype(a0->type), t, gen_expr(g, a0), t, t,
                      gen_as(g, arg_at(call, 1), call->type));
  }
  case VPC_B_LOG_ERROR:
    if (a0->type->kind == VPC_TY_STREAM_ERROR)
      return vpc_format("(vp_log_stream_error(%s), 0)", gen_expr(g, a0));
    {
      const char *t = tmp_name(g);
      return vpc_format("({ vp_str %s = %s; vp_log_write(VP_LOG_ERROR, "
                        "\"%%.*s\", (int)%s.n, %s.p); 0; })",
                        t, gen_to_string(g, a0), t, t);
    }
  case VPC_B_EMIT_TO_DLQ:
    return gen_dlq(g, call);
  case VPC_B_PRINT:
    return vpc_format("(vp_print_line(%s), 0)", print_text(g, &call->list));
  case VPC_B_PANIC: {
    const char *t = tmp_name(g);
    return vpc_format("({ vp_str %s = %s; vp_raise_crash(\"panic: %%.*s\", "
                      "(int)%s.n, %s.p); 0; })",
                      t, gen_expr(g, a0), t, t);
  }
  case VPC_B_SLEEP:
    return vpc_format("(vp_sleep_ns(%s), 0)", gen_expr(g, a0));
  case VPC_B_LEN:
    if (a0->type->kind == VPC_TY_ANY)
      return vpc_format("vp_any_len(%s)", gen_expr(g, a0));
    if (vpc_is_boxed(a0->type))
      return vpc_format("vp_list_len(%s)", gen_expr(g, a0));
    return vpc_format("vp_str_len(%s)", gen_expr(g, a0));
  case VPC_B_UPPER:
    return vpc_format("vp_str_upper(%s)", arg_as(g, call, 0, &ty_str));
  case VPC_B_LOWER:
    return vpc_format("vp_str_lower(%s)", arg_as(g, call, 0, &ty_str));
  case VPC_B_TRIM:
    return vpc_format("vp_str_trim(%s)", arg_as(g, call, 0, &ty_str));
  case VPC_B_CONTAINS:
    if (a0->type->kind == VPC_TY_ARRAY || a0->type->kind == VPC_TY_ANY)
      return vpc_format("vp_any_in(%s, %s)", gen_expr(g, a0),
                        arg_as(g, call, 1, &ty_any));
    if (a0->type->kind == VPC_TY_MAP)
      return vpc_format("vp_map_has(%s, %s)", gen_expr(g, a0),
                        arg_as(g, call, 1, &ty_str));
    return vpc_format("vp_str_contains(%s, %s)", gen_expr(g, a0),
                      arg_as(g, call, 1, &ty_str));
  case VPC_B_STARTS_WITH:
    return vpc_format("vp_str_starts_with(%s, %s)",
                      arg_as(g, call, 0, &ty_str), arg_as(g, call, 1, &ty_str));
  case VPC_B_ENDS_WITH:
    return vpc_format("vp_str_ends_with(%s, %s)", arg_as(g, call, 0, &ty_str),
                      arg_as(g, call, 1, &ty_str));
  case VPC_B_CONCAT:
    return gen_concat(g, call);
  case VPC_B_TO_STRING:
    return gen_to_string(g, a0);
  case VPC_B_TO_INT:
    if (a0->type->kind == VPC_TY_ANY)
      return vpc_format("vp_any_to_int(%s)", gen_expr(g, a0));
    if (a0->type->kind == VPC_TY_STR)
      return vpc_format("vp_str_to_int(%s)", gen_expr(g, a0));
    if (a0->type->kind == VPC_TY_FLOAT)
      return vpc_format("vp_f64_to_int(trunc(%s), \"to_int\")",
                        gen_expr(g, a0));
    return vpc_format("((int64_t)(%s))", gen_expr(g, a0));
  case VPC_B_TO_FLOAT:
    if (a0->type->kind == VPC_TY_ANY)
      return vpc_format("vp_any_to_float(%s)", gen_expr(g, a0));
    if (a0->type->kind == VPC_TY_STR)
      return vpc_format("vp_str_to_float(%s)", gen_expr(g, a0));
    return vpc_format("((double)(%s))", gen_expr(g, a0));
  case VPC_B_COALESCE:
    return gen_coalesce_call(g, call);
  case VPC_B_IS_NULL: {
    vpc_node fake = { .kind = VPC_NODE_BINARY, .op = VPC_TK_IS, .a = a0 };
    return gen_is(g, &fake);
  }
  case VPC_B_UPDATE:
    return gen_update(g, call);
  default:
    return gen_num_builtin(g, call, b);
  }
}

static const char *gen_construct(gen *g, vpc_node *call) {
  vpc_event *ev = call->sym;
  vpc_sbuf b = { 0 };
  vpc_sbuf_printf(&b, "((%s){ ", ev->cname);
  for (int i = 0; i < call->list.n; i++) {
    vpc_node *arg = call->list.items[i];
    vpc_field *f = vpc_event_field(ev, arg->name, NULL);
    vpc_sbuf_printf(&b, ".f_%s = %s, ", arg->name,
                    gen_as(g, arg->a, f->type));
  }
  vpc_sbuf_puts(&b, "})");
  const char *s = vpc_strdup(b.p);
  vpc_sbuf_free(&b);
  return s;
}

static const char *gen_call(gen *g, vpc_node *call) {
  if (call->op == 'b')
    return gen_builtin(g, call);
  if (call->op == 'e')
    return gen_construct(g, call);
  vpc_fn *f = call->sym;
  vpc_sbuf b = { 0 };
  vpc_sbuf_printf(&b, "%s(", f->cname);
  bool any = false;
  if (f->bound_to) {
    vpc_sbuf_printf(&b, "%s", g->implicit);
    any = true;
  }
  for (int i = 0; i < call->list.n; i++) {
    vpc_sym *p = f->params.items[i];
    vpc_sbuf_printf(&b, "%s%s", any ? ", " : "",
                    gen_as(g, arg_at(call, i), p->type));
    any = true;
  }
  vpc_sbuf_puts(&b, ")");
  const char *s = vpc_strdup(b.p);
  vpc_sbuf_free(&b);
  return s;
}

// [a, b] and {k: v}: items boxed into a new list.
static const char *gen_list_literal(gen *g, vpc_node *n) {
  bool map = n->kind == VPC_NODE_MAP;
  const char *t = tmp_name(g);
  vpc_sbuf b = { 0 };
  vpc_sbuf_printf(&b, "({ vp_value %s = vp_%s_new(%d); ", t,
                  map ? "map" : "array", n->list.n);
  for (int i = 0; i < n->list.n; i++) {
    vpc_node *item = n->list.items[i];
    vpc_node *e = map ? item->a : item;
    if (map)
      vpc_sbuf_printf(&b, "%s.u.list->keys[%d] = %s; ", t, i,
                      str_literal(item->name, strlen(item->name)));
    vpc_sbuf_printf(&b, "%s.u.list->items[%d] = %s; ", t, i,
                    gen_as(g, e, &ty_any));
  }
  vpc_sbuf_printf(&b, "%s; })", t);
  const char *code = vpc_strdup(b.p);
  vpc_sbuf_free(&b);
  return code;
}

static const char *gen_index(gen *g, vpc_node *n) {
  vpc_type *t = n->a->type;
  const char *a = gen_expr(g, n->a);
  switch (t->kind) {
  case VPC_TY_STR:
    return vpc_format("vp_str_at(%s, %s)", a, gen_expr(g, n->b));
  case VPC_TY_ARRAY:
    return convert(g, vpc_format("vp_index(%s, %s)", a, gen_expr(g, n->b)),
                   &ty_any, t->elem);
  case VPC_TY_MAP:
    return convert(g, vpc_format("vp_map_at(%s, %s)", a, gen_expr(g, n->b)),
                   &ty_any, t->elem);
  default:
    return vpc_format("vp_any_index(%s, %s)", a, gen_as(g, n->b, &ty_any));
  }
}

static const char *gen_slice(gen *g, vpc_node *n) {
  const char *i = n->b ? gen_expr(g, n->b) : "0";
  const char *j = n->c ? gen_expr(g, n->c) : "0";
  return vpc_format("%s(%s, %s, %s, %s, %s)",
                    n->a->type->kind == VPC_TY_STR ? "vp_str_slice"
                                                   : "vp_slice",
                    gen_expr(g, n->a), n->b ? "true" : "false", i,
                    n->c ? "true" : "false", j);
}

static const char *gen_expr(gen *g, vpc_node *n) {
  switch (n->kind) {
  case VPC_NODE_INT:
  case VPC_NODE_DURATION:
  case VPC_NODE_TIMESTAMP:
    return gen_int_literal(n->ival);
  case VPC_NODE_FLOAT:
    return gen_float_literal(n->fval);
  case VPC_NODE_STR:
    return str_literal(n->str, (size_t)n->slen);
  case VPC_NODE_BOOL:
    return n->ival ? "true" : "false";
  case VPC_NODE_NULL:
    return "0";
  case VPC_NODE_NAME:
    return gen_name(g, n);
  case VPC_NODE_MEMBER:
  case VPC_NODE_OPT_MEMBER:
    return gen_member(g, n);
  case VPC_NODE_BINARY:
    return gen_binary(g, n);
  case VPC_NODE_UNARY:
    return gen_unary(g, n);
  case VPC_NODE_IF_EXPR:
    return vpc_format("(%s ? %s : %s)", gen_as(g, n->a, &ty_bool),
                      gen_as(g, n->b, n->type), gen_as(g, n->c, n->type));
  case VPC_NODE_PROPAGATE:
    return gen_propagate(g, n);
  case VPC_NODE_CALL:
    return gen_call(g, n);
  case VPC_NODE_ARRAY:
  case VPC_NODE_MAP:
    return gen_list_literal(g, n);
  case VPC_NODE_INDEX:
    return gen_index(g, n);
  case VPC_NODE_SLICE:
    return gen_slice(g, n);
  case VPC_NODE_RANGE:
    return vpc_format("vp_range_array(%s, %s, %s)", gen_as(g, n->a, &ty_int),
                      gen_as(g, n->b, &ty_int), n->flag ? "true" : "false");
  default:
    vpc_unreachable();
  }
}

// Statements. Bodies end in a "tail": the value of the last statement is
// what a function returns (2.6) or what a producer lambda outputs (5.4).

static void indent(gen *g, int depth) {
  for (int i = 0; i < depth; i++)
    emit(g, "  ");
}

static const char *null_value(vpc_type *t) {
  if (t->kind == VPC_TY_RESULT)
    return vpc_format("((%s){ .ok = true })", ctype(t));
  return zero_of(t);
}

// Leaves a producer with the value code of type t: a record is output, a
// null adds nothing, an Err fails the event (5.4).
static void producer_tail(gen *g, const char *code, vpc_type *t, int depth) {
  const char *tmp = tmp_name(g);
  indent(g, depth);
  switch (t->kind) {
  case VPC_TY_RECORD:
    emit(g, "*%s = %s;\n", g->out_ptr, convert(g, code, t, g->out_type));
    indent(g, depth);
    emit(g, "return true;\n");
    return;
  case VPC_TY_OPTIONAL:
    emit(g, "{ %s %s = %s; if (!%s.has) return false; *%s = %s.v; "
            "return true; }\n",
         ctype(t), tmp, code, tmp, g->out_ptr, tmp);
    return;
  case VPC_TY_RESULT:
    emit(g, "{ %s %s = %s; if (!%s.ok) vp_raise_str(\"error\", %s.err); ",
         ctype(t), tmp, code, tmp, tmp);
    if (t->elem && t->elem->kind == VPC_TY_RECORD)
      emit(g, "*%s = %s.v; return true; }\n", g->out_ptr, tmp);
    else if (t->elem && t->elem->kind == VPC_TY_OPTIONAL)
      emit(g, "if (!%s.v.has) return false; *%s = %s.v.v; return true; }\n",
           tmp, g->out_ptr, tmp);
    else
      emit(g, "return false; }\n");
    return;
  default:
    emit(g, "(void)(%s);\n", code);
    indent(g, depth);
    emit(g, "return false;\n");
  }
}

static void value_tail(gen *g, vpc_node *e, int depth) {
  if (g->body == BODY_PRODUCER) {
    producer_tail(g, gen_expr(g, e), e->type, depth);
    return;
  }
  indent(g, depth);
  emit(g, "return %s;\n", gen_as(g, e, g->ret));
}

static void null_tail(gen *g, int depth) {
  indent(g, depth);
  if (g->body == BODY_PRODUCER)
    emit(g, "return false;\n");
  else
    emit(g, "return %s;\n", null_value(g->ret));
}

static void gen_block(gen *g, vpc_node *block, bool tail, int depth);

// emit T(f: e, ...) for an undeclared T: a dynamic record named T whose
// members are the boxed values, in the order given.
static void gen_dynamic_emit(gen *g, vpc_node *s, const char *var, int depth) {
  int n = s->list.n;
  indent(g, depth);
  emit(g, "vp_str *%s_names = vp_arena_alloc(vp_event_arena, %d * sizeof "
          "(vp_str));\n",
       var, n ? n : 1);
  indent(g, depth);
  emit(g, "vp_value *%s_values = vp_arena_alloc(vp_event_arena, %d * sizeof "
          "(vp_value));\n",
       var, n ? n : 1);
  for (int i = 0; i < n; i++) {
    vpc_node *arg = s->list.items[i];
    indent(g, depth);
    emit(g, "%s_names[%d] = %s;\n", var, i,
         str_literal(arg->name, strlen(arg->name)));
    indent(g, depth);
    emit(g, "%s_values[%d] = %s;\n", var, i, gen_as(g, arg->a, &ty_any));
  }
  indent(g, depth);
  emit(g, "vp_dynrec %s = { %s, %d, %s_names, %s_values };\n", var,
       str_literal(s->name, strlen(s->name)), n, var, var);
}

static void gen_if(gen *g, vpc_node *s, bool tail, int depth) {
  for (int i = 0; i < s->list.n; i++) {
    vpc_node *br = s->list.items[i];
    indent(g, depth);
    emit(g, "%sif (%s) {\n", i ? "} else " : "", gen_as(g, br->a, &ty_bool));
    gen_block(g, br->b, tail, depth + 1);
  }
  if (s->c) {
    indent(g, depth);
    emit(g, "} else {\n");
    gen_block(g, s->c, tail, depth + 1);
  }
  indent(g, depth);
  emit(g, "}\n");
  if (tail && !s->c)
    null_tail(g, depth);
}

static void gen_for(gen *g, vpc_node *s, int depth) {
  vpc_sym *v = s->sym;
  vpc_node *it = s->a;
  const char *i = tmp_name(g), *h = tmp_name(g), *go = tmp_name(g);
  indent(g, depth);
  if (it->kind == VPC_NODE_RANGE && it->flag)
    // Inclusive ranges may end at INT64_MAX; step only while below it.
    emit(g, "for (int64_t %s = %s, %s = %s, %s = %s <= %s; %s; "
            "%s = %s < %s, %s += %s) {\n",
         i, gen_expr(g, it->a), h, gen_expr(g, it->b), go, i, h, go, go, i,
         h, i, go);
  else if (it->kind == VPC_NODE_RANGE)
    emit(g, "for (int64_t %s = %s, %s = %s; %s < %s; %s++) {\n", i,
         gen_expr(g, it->a), h, gen_expr(g, it->b), i, h, i);
  else if (vpc_is_boxed(it->type))
    // The iterated value is fixed when the loop starts (3).
    emit(g, "for (vp_value %s = %s, %s = vp_box_int(0); %s.u.i < "
            "vp_list_len(%s); %s.u.i++) {\n",
         h, gen_expr(g, it), i, i, h, i);
  else
    emit(g, "for (int64_t %s = 0, %s = %s; %s < %s; %s++) {\n", i, h,
         gen_expr(g, it), i, h, i);
  indent(g, depth + 1);
  if (it->type && it->type->kind == VPC_TY_MAP)
    emit(g, "const vp_value %s = vp_map_pair(%s, %s.u.i);\n", v->cname, h, i);
  else if (it->type && it->type->kind == VPC_TY_ARRAY)
    emit(g, "const %s %s = %s;\n", ctype(v->type), v->cname,
         convert(g, vpc_format("%s.u.list->items[%s.u.i]", h, i), &ty_any,
                 v->type));
  else
    emit(g, "const int64_t %s = %s;\n", v->cname, i);
  indent(g, depth + 1);
  emit(g, "(void)%s;\n", v->cname);
  gen_block(g, s->b, false, depth + 1);
  indent(g, depth);
  emit(g, "}\n");
}

// A global var keeps its strings and lists in memory of its own, as they
// must outlive the event they came from (2.5).
static const char *global_keep(const char *value, const vpc_type *t) {
  if (t->kind == VPC_TY_STR)
    return vpc_format("vp_str_keep(%s)", value);
  if (vpc_is_boxed(t))
    return vpc_format("vp_value_keep(%s)", value);
  if (t->kind == VPC_TY_OPTIONAL && t->elem->kind == VPC_TY_STR)
    return vpc_format("({ opt_s k = %s; if (k.has) k.v = vp_str_keep(k.v); "
                      "k; })",
                      value);
  if (t->kind == VPC_TY_OPTIONAL && vpc_is_boxed(t->elem))
    return vpc_format("({ %s k = %s; if (k.has) k.v = vp_value_keep(k.v); "
                      "k; })",
                      ctype(t), value);
  return value;
}

static const char *global_release(const char *var, const vpc_type *t) {
  if (t->kind == VPC_TY_STR)
    return vpc_format("vp_str_release(%s)", var);
  if (vpc_is_boxed(t))
    return vpc_format("vp_value_release(%s)", var);
  if (t->kind == VPC_TY_OPTIONAL && t->elem->kind == VPC_TY_STR)
    return vpc_format("if (%s.has) vp_str_release(%s.v)", var, var);
  if (t->kind == VPC_TY_OPTIONAL && vpc_is_boxed(t->elem))
    return vpc_format("if (%s.has) vp_value_release(%s.v)", var, var);
  return "(void)0";
}

static void gen_assign(gen *g, vpc_node *s, int depth) {
  vpc_sym *target = s->sym;
  const char *value;
  if (s->op == VPC_TK_ASSIGN || s->op == VPC_TK_WALRUS) {
    value = gen_as(g, s->a, target->type);
  } else {
    int op = s->op == VPC_TK_PLUS_ASSIGN    ? VPC_TK_PLUS
             : s->op == VPC_TK_MINUS_ASSIGN ? VPC_TK_MINUS
             : s->op == VPC_TK_STAR_ASSIGN  ? VPC_TK_STAR
             : s->op == VPC_TK_SLASH_ASSIGN ? VPC_TK_SLASH
                                            : VPC_TK_PERCENT;
    vpc_node self = { .kind = VPC_NODE_NAME, .type = target->type };
    self.sym = target;
    value = gen_arith(g, op, &self, s->a, target->type);
  }
  indent(g, depth);
  if (target->kind == VPC_SYM_GLOBAL)
    emit(g, "{ %s t = %s; %s; %s = t; }\n", ctype(target->type),
         global_keep(value, target->type),
         global_release(target->cname, target->type), target->cname);
  else
    emit(g, "%s = %s;\n", target->cname, value);
}

static void gen_stmt(gen *g, vpc_node *s, bool tail, int depth) {
  line_to_vpl(g, s->pos);
  switch (s->kind) {
  case VPC_NODE_LET: {
    vpc_sym *v = s->sym;
    indent(g, depth);
    emit(g, "%s%s %s = %s;\n", v->binding == VPC_TK_VAR ? "" : "const ",
         ctype(v->type), v->cname, gen_as(g, s->a, v->type));
    indent(g, depth);
    emit(g, "(void)%s;\n", v->cname);
    break;
  }
  case VPC_NODE_ASSIGN:
    gen_assign(g, s, depth);
    break;
  case VPC_NODE_IF:
    gen_if(g, s, tail, depth);
    return;
  case VPC_NODE_FOR:
    gen_for(g, s, depth);
    break;
  case VPC_NODE_WHILE:
    indent(g, depth);
    emit(g, "while (%s) {\n", gen_as(g, s->a, &ty_bool));
    gen_block(g, s->b, false, depth + 1);
    indent(g, depth);
    emit(g, "}\n");
    break;
  case VPC_NODE_BREAK:
    indent(g, depth);
    emit(g, "break;\n");
    break;
  case VPC_NODE_CONTINUE:
    indent(g, depth);
    emit(g, "continue;\n");
    break;
  case VPC_NODE_RETURN:
    if (s->a)
      value_tail(g, s->a, depth);
    else
      null_tail(g, depth);
    return;
  case VPC_NODE_EMIT: {
    vpc_event *ev = s->sym;
    const char *t = tmp_name(g);
    if (!ev) {
      indent(g, depth);
      emit(g, "{\n");
      gen_dynamic_emit(g, s, t, depth + 1);
      indent(g, depth + 1);
      emit(g, "pack_vp_dynrec(&emit_buf, &%s);\n", t);
      indent(g, depth);
      emit(g, "}\n");
      break;
    }
    indent(g, depth);
    emit(g, "{\n");
    indent(g, depth + 1);
    emit(g, "%s %s = %s;\n", ev->cname, t, gen_construct(g, s));
    indent(g, depth + 1);
    emit(g, "pack_%s(&emit_buf, &%s);\n", ev->cname, t);
    indent(g, depth);
    emit(g, "}\n");
    break;
  }
  case VPC_NODE_EXPR_STMT:
    if (tail && s->a->type->kind != VPC_TY_NULL) {
      value_tail(g, s->a, depth);
      return;
    }
    indent(g, depth);
    emit(g, "(void)(%s);\n", gen_expr(g, s->a));
    break;
  default:
    break;
  }
  if (tail)
    null_tail(g, depth);
}

static void gen_block(gen *g, vpc_node *block, bool tail, int depth) {
  for (int i = 0; i < block->list.n; i++)
    gen_stmt(g, block->list.items[i], tail && i == block->list.n - 1, depth);
  if (tail && block->list.n == 0)
    null_tail(g, depth);
}

// Record types: C struct, pack/unpack for the rings and the queue, writer
// for the outputs (8.7) and the dead-letter output.

static bool is_scalar(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_INT:
  case VPC_TY_FLOAT:
  case VPC_TY_BOOL:
  case VPC_TY_STR:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    return true;
  default:
    return false;
  }
}

static void gen_record_struct(gen *g, vpc_event *ev) {
  emit(g, "typedef struct %s {\n", ev->cname);
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    emit(g, "  %s f_%s;\n", ctype(f->type), f->name);
  }
  if (!ev->fields.n)
    emit(g, "  char empty;\n");
  emit(g, "} %s;\n\n", ev->cname);
}

static void pack_scalar(gen *g, const vpc_type *t, const char *v) {
  switch (t->kind) {
  case VPC_TY_ANY:
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
    emit(g, "  vp_pack_value(b, &%s);\n", v);
    break;
  case VPC_TY_FLOAT:
    emit(g, "  vp_buf_f64(b, %s);\n", v);
    break;
  case VPC_TY_BOOL:
    emit(g, "  vp_buf_u8(b, %s);\n", v);
    break;
  case VPC_TY_STR:
    emit(g, "  vp_buf_str(b, %s);\n", v);
    break;
  default:
    emit(g, "  vp_buf_i64(b, %s);\n", v);
  }
}

static const char *unpack_scalar(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_ANY:
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
    return "vp_unpack_value(rd)";
  case VPC_TY_FLOAT:
    return "vp_rd_f64(rd)";
  case VPC_TY_BOOL:
    return "vp_rd_u8(rd) != 0";
  case VPC_TY_STR:
    return "vp_rd_str(rd)";
  default:
    return "vp_rd_i64(rd)";
  }
}

static const char *write_scalar(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_FLOAT:
    return "vp_w_float";
  case VPC_TY_BOOL:
    return "vp_w_bool";
  case VPC_TY_STR:
    return "vp_w_str";
  case VPC_TY_TIMESTAMP:
    return "vp_w_time";
  case VPC_TY_DURATION:
    return "vp_w_duration";
  default:
    return "vp_w_int";
  }
}

// Whether records of ev can be written in one piece (vp_out_room): flat
// fields of bounded text (an any field when it holds a flat value), and
// no field that is the event time.
static bool has_direct_writer(const vpc_event *ev) {
  for (int i = 0; i < ev->fields.n; i++) {
    const vpc_field *f = ev->fields.items[i];
    if (!strcmp(f->name, "timestamp") ||
        (!is_flat(f->type) && f->type->kind != VPC_TY_ANY))
      return false;
  }
  return true;
}

// Writes out the literal text gathered so far as one copy.
static void flush_lit(gen *g, vpc_sbuf *lit) {
  if (!lit->n)
    return;
  emit(g, "      memcpy(d, \"%s\", %zu);\n      d += %zu;\n",
       c_escape(lit->p, lit->n), lit->n, lit->n);
  lit->n = 0;
}

// The one-piece writer of a record: the literal text between values goes
// out in single copies; strings that need escapes, event times and record
// ids take the general writer below it.
static void gen_direct_writer(gen *g, vpc_event *ev) {
  size_t fixed = sizeof "{\"event_type\":\"\"}";
  vpc_sbuf size = { 0 };
  emit(g, "  if (!m->time_from_data && !(vp_record_ids && stream) && "
          "vp_str_plain(type)");
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    fixed += strlen(f->name) + 6;  // ,"name":"" at most
    switch (f->type->kind) {
    case VPC_TY_STR:
      emit(g, " &&\n      vp_str_plain(r->f_%s)", f->name);
      vpc_sbuf_printf(&size, " + (size_t)r->f_%s.n", f->name);
      break;
    case VPC_TY_ANY:
      emit(g, " &&\n      vp_value_flat(&r->f_%s)", f->name);
      vpc_sbuf_printf(&size, " + (r->f_%s.kind == VP_KIND_STR ? "
                             "(size_t)r->f_%s.u.s.n : 0)",
                      f->name, f->name);
      fixed += 32;
      break;
    case VPC_TY_FLOAT:
      fixed += 32;
      break;
    default:
      fixed += 24;
    }
  }
  emit(g, ") {\n    char *d = vp_out_room(o, %zu + (size_t)type.n%s);\n"
          "    if (d) {\n",
       fixed, size.n ? size.p : "");
  vpc_sbuf lit = { 0 };
  vpc_sbuf_puts(&lit, "{\"event_type\":\"");
  flush_lit(g, &lit);
  emit(g, "      memcpy(d, type.p, (size_t)type.n);\n"
          "      d += type.n;\n");
  vpc_sbuf_puts(&lit, "\"");
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    vpc_sbuf_puts(&lit, vpc_format(",\"%s\":", f->name));
    switch (f->type->kind) {
    case VPC_TY_STR:
      vpc_sbuf_puts(&lit, "\"");
      flush_lit(g, &lit);
      emit(g, "      memcpy(d, r->f_%s.p, (size_t)r->f_%s.n);\n"
              "      d += r->f_%s.n;\n",
           f->name, f->name, f->name);
      vpc_sbuf_puts(&lit, "\"");
      break;
    case VPC_TY_BOOL:
      flush_lit(g, &lit);
      emit(g, "      if (r->f_%s) {\n        memcpy(d, \"true\", 4);\n"
              "        d += 4;\n      } else {\n"
              "        memcpy(d, \"false\", 5);\n        d += 5;\n      }\n",
           f->name);
      break;
    case VPC_TY_FLOAT:
      flush_lit(g, &lit);
      emit(g, "      d += vp_fmt_float(d, r->f_%s);\n", f->name);
      break;
    case VPC_TY_ANY:
      flush_lit(g, &lit);
      emit(g, "      d = vp_put_flat(d, &r->f_%s);\n", f->name);
      break;
    default:
      flush_lit(g, &lit);
      emit(g, "      d += vp_num_format_i64(d, r->f_%s);\n", f->name);
    }
  }
  vpc_sbuf_puts(&lit, "}");
  flush_lit(g, &lit);
  emit(g, "      vp_out_room_done(o, d);\n      return;\n    }\n  }\n");
  vpc_sbuf_free(&lit);
  vpc_sbuf_free(&size);
}

static void gen_record_helpers(gen *g, vpc_event *ev) {
  const char *c = ev->cname;
  emit(g, "static void pack_%s(vp_buf *b, const %s *r) {\n", c, c);
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    const char *v = vpc_format("r->f_%s", f->name);
    if (f->type->kind == VPC_TY_OPTIONAL) {
      emit(g, "  vp_buf_u8(b, %s.has);\n", v);
      pack_scalar(g, f->type->elem, vpc_format("%s.v", v));
    } else {
      pack_scalar(g, f->type, v);
    }
  }
  emit(g, "  (void)b;\n  (void)r;\n}\n\n");

  emit(g, "static void unpack_%s(vp_rd *rd, %s *r) {\n", c, c);
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    if (f->type->kind == VPC_TY_OPTIONAL) {
      emit(g, "  r->f_%s.has = vp_rd_u8(rd) != 0;\n", f->name);
      emit(g, "  r->f_%s.v = %s;\n", f->name, unpack_scalar(f->type->elem));
    } else {
      emit(g, "  r->f_%s = %s;\n", f->name, unpack_scalar(f->type));
    }
  }
  emit(g, "  (void)rd;\n  (void)r;\n}\n\n");

  // A field named timestamp is the event time, written once (8.7).
  // stream names the record's stream for its id (--record-ids, 7.3);
  // NULL where a record is written without one (dead letters, logs).
  emit(g, "static void write_%s(vp_out *o, const %s *r, vp_str type, "
          "const vp_meta *m, const char *stream) {\n",
       c, c);
  if (has_direct_writer(ev))
    gen_direct_writer(g, ev);
  emit(g, "  vp_w_begin(o, type, m->time_from_data, m->time_ns);\n"
          "  if (vp_record_ids && stream)\n"
          "    vp_w_record_id(o, vp_record_seq, stream);\n");
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    if (!strcmp(f->name, "timestamp"))
      continue;
    // Field names are identifiers: as JSON keys they need no escapes.
    emit(g, "  vp_w_key_lit(o, \"\\\"%s\\\":\", %zu);\n", f->name,
         strlen(f->name) + 3);
    if (f->type->kind == VPC_TY_OPTIONAL && vpc_is_boxed(f->type->elem))
      emit(g, "  if (r->f_%s.has)\n    vp_w_value(o, &r->f_%s.v);\n"
              "  else\n    vp_w_null(o);\n",
           f->name, f->name);
    else if (f->type->kind == VPC_TY_OPTIONAL)
      emit(g, "  if (r->f_%s.has)\n    %s(o, r->f_%s.v);\n  else\n"
              "    vp_w_null(o);\n",
           f->name, write_scalar(f->type->elem), f->name);
    else if (vpc_is_boxed(f->type))
      emit(g, "  vp_w_value(o, &r->f_%s);\n", f->name);
    else
      emit(g, "  %s(o, r->f_%s);\n", write_scalar(f->type), f->name);
  }
  emit(g, "  (void)r;\n  vp_w_end(o);\n}\n\n");

  emit(g, "static void write_any_%s(vp_out *o, const void *p) {\n", c);
  emit(g, "  const dlq_ref *d = p;\n");
  emit(g, "  write_%s(o, d->rec, d->type, d->meta, NULL);\n}\n\n", c);
}

static const char *list_item_kind(const vpc_type *elem) {
  switch (elem->kind) {
  case VPC_TY_INT:
    return "VP_KIND_INT";
  case VPC_TY_FLOAT:
    return "VP_KIND_FLOAT";
  case VPC_TY_BOOL:
    return "VP_KIND_BOOL";
  case VPC_TY_STR:
    return "VP_KIND_STR";
  case VPC_TY_ARRAY:
    return "VP_KIND_ARRAY";
  case VPC_TY_MAP:
    return "VP_KIND_MAP";
  default:
    return "VP_KIND_NULL";  // any item
  }
}

// The test that converts input value v into a field of type t at dst.
static const char *decode_call(const vpc_type *t, const char *dst) {
  static const char *const conv[] = {
    [VPC_TY_INT] = "vp_as_int", [VPC_TY_FLOAT] = "vp_as_float",
    [VPC_TY_BOOL] = "vp_as_bool", [VPC_TY_STR] = "vp_as_str",
    [VPC_TY_TIMESTAMP] = "vp_as_timestamp",
    [VPC_TY_DURATION] = "vp_as_duration",
  };
  switch (t->kind) {
  case VPC_TY_ANY:
    return vpc_format("(*%s = *v, true)", dst);
  case VPC_TY_ARRAY:
    return vpc_format("vp_as_array_of(v, %s, %s)", list_item_kind(t->elem),
                      dst);
  case VPC_TY_MAP:
    return vpc_format("vp_as_map_of(v, %s, %s)", list_item_kind(t->elem),
                      dst);
  case VPC_TY_INT:
  case VPC_TY_FLOAT:
  case VPC_TY_BOOL:
  case VPC_TY_STR:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    return vpc_format("%s(v, %s)", conv[t->kind], dst);
  default:
    // sema rejects every other field type (nested records among them).
    assert(!"a field type codegen cannot decode");
    vpc_unreachable();
  }
}

// The decoder of a declared event (8.6): each field from the input record,
// converted to its declared type; a failure is the record's parse_error.
static void gen_decoder(gen *g, vpc_event *ev) {
  const char *c = ev->cname;
  emit(g, "static const char *decode_%s(const vp_event *e, %s *r, "
          "vp_meta *m) {\n  const vp_value *v;\n",
       c, c);
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    bool opt = f->type->kind == VPC_TY_OPTIONAL;
    vpc_type *t = opt ? f->type->elem : f->type;
    const char *dst = opt ? vpc_format("&r->f_%s.v", f->name)
                          : vpc_format("&r->f_%s", f->name);
    // Each field remembers where the last record had it (input.h).
    emit(g, "  static int32_t hint_%d;\n"
            "  v = vp_event_get_hint(e, \"%s\", %zu, &hint_%d);\n",
         i, f->name, strlen(f->name), i);
    emit(g, "  if (!v)\n    v = vp_event_get(e, \"field_%d\", %zu);\n", i,
         strlen(vpc_format("field_%d", i)));
    emit(g, "  if (!v || v->kind == VP_KIND_NULL) {\n");
    if (opt)
      emit(g, "    r->f_%s.has = false;\n  } else {\n", f->name);
    else
      emit(g, "    return vp_field_missing(\"%s\");\n  } else {\n", f->name);
    emit(g, "    if (!%s)\n      return vp_field_mismatch(\"%s\", \"%s\", "
            "v);\n",
         decode_call(t, dst), f->name, vpc_type_name(t));
    if (opt)
      emit(g, "    r->f_%s.has = true;\n", f->name);
    emit(g, "  }\n");
  }
  if (ev->time_field >= 0) {
    vpc_field *f = ev->fields.items[ev->time_field];
    if (f->type->kind == VPC_TY_OPTIONAL)
      emit(g, "  if (r->f_%s.has) {\n    m->time_ns = r->f_%s.v;\n"
              "    m->time_from_data = true;\n"
              "    vp_note_event_time(m->time_ns);\n  }\n",
           f->name, f->name);
    else
      emit(g, "  m->time_ns = r->f_%s;\n  m->time_from_data = true;\n"
              "  vp_note_event_time(m->time_ns);\n",
           f->name);
  }
  emit(g, "  (void)m;\n  return NULL;\n}\n\n");
}

// Helpers for records of undeclared types, named as those of declared
// ones so that the stages need not tell them apart.
static void gen_dynrec_helpers(gen *g) {
  emit(g, "static void pack_vp_dynrec(vp_buf *b, const vp_dynrec *r) {\n"
          "  vp_pack_dynrec(b, r);\n}\n\n"
          "static void unpack_vp_dynrec(vp_rd *rd, vp_dynrec *r) {\n"
          "  *r = vp_unpack_dynrec(rd);\n}\n\n"
          "static void write_vp_dynrec(vp_out *o, const vp_dynrec *r, vp_str "
          "type, const vp_meta *m, const char *stream) {\n"
          "  vp_w_begin(o, type, m->time_from_data, m->time_ns);\n"
          "  if (vp_record_ids && stream)\n"
          "    vp_w_record_id(o, vp_record_seq, stream);\n"
          "  vp_w_dynrec_fields(o, r, m->time_from_data);\n"
          "  vp_w_end(o);\n}\n\n"
          "static void write_any_vp_dynrec(vp_out *o, const void *p) {\n"
          "  const dlq_ref *d = p;\n"
          "  write_vp_dynrec(o, d->rec, d->type, d->meta, NULL);\n}\n\n");
}

static void gen_types(gen *g) {
  vpc_sema *s = g->s;
  emit(g, "typedef struct res_any {\n  bool ok;\n  vp_str err;\n} res_any;"
          "\n\n");
  static const char *const scalars[][2] = {
    { "i", "int64_t" }, { "f", "double" }, { "b", "bool" },
    { "s", "vp_str" },  { "t", "int64_t" }, { "d", "int64_t" },
  };
  for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
    emit(g, "typedef struct opt_%s {\n  bool has;\n  %s v;\n} opt_%s;\n\n",
         scalars[i][0], scalars[i][1], scalars[i][0]);
  for (int i = 0; i < s->optionals.n; i++) {
    vpc_type *t = s->optionals.items[i];
    if (vpc_is_boxed(t->elem))
      emit(g, "typedef struct %s {\n  bool has;\n  %s v;\n} %s;\n\n",
           ctype(t), ctype(t->elem), ctype(t));
  }
  for (int i = 0; i < s->records.n; i++)
    gen_record_struct(g, s->records.items[i]);
  for (int i = 0; i < s->optionals.n; i++) {
    vpc_type *t = s->optionals.items[i];
    if (!is_scalar(t->elem) && !vpc_is_boxed(t->elem))
      emit(g, "typedef struct %s {\n  bool has;\n  %s v;\n} %s;\n\n",
           ctype(t), ctype(t->elem), ctype(t));
  }
  for (int i = 0; i < s->results.n; i++) {
    vpc_type *t = s->results.items[i];
    const char *elem = t->elem->kind == VPC_TY_NULL ? "int" : ctype(t->elem);
    emit(g, "typedef struct %s {\n  bool ok;\n  vp_str err;\n  %s v;\n} "
            "%s;\n\n",
         ctype(t), elem, ctype(t));
  }
  emit(g, "// A record for the dead-letter writer: what write_any_T needs.\n"
          "typedef struct dlq_ref {\n  const void *rec;\n  vp_str type;\n"
          "  const vp_meta *meta;\n} dlq_ref;\n\n");
}

// Globals and functions.

static void gen_handler_support(gen *g) {
  emit(g, "// The error an .on_error handler is handling, for emit_to_dlq.\n"
          "static const vp_stream_error *cur_error;\n"
          "static const vp_meta *cur_meta;\n"
          "static vp_str cur_type;\n"
          "static bool cur_dead_lettered;\n\n"
          "static void handler_dead_letter(vp_event_writer w, const void "
          "*rec) {\n"
          "  dlq_ref d = { rec, cur_type, cur_meta };\n"
          "  vp_dead_letter(cur_error, w, &d, NULL);\n"
          "  cur_dead_lettered = true;\n}\n\n"
          "// Depth of recursive calls (2.6), reset as each event starts.\n"
          "static int call_depth;\n"
          "// An outer .on_error dead-lettered the stream's event.\n"
          "static bool scope_dead_lettered;\n"
          "static vp_worker *cur_worker;\n"
          "// Standard error as a record writer, for .print and .log.\n"
          "static vp_out *err_out(void) {\n"
          "  static vp_out *out;\n"
          "  if (!out)\n    out = vp_out_open_fd(2);\n"
          "  return out;\n}\n\n"
          "static vp_buf pack_buf;\n"
          "static vp_key key_tmp;\n"
          "// An error of a batch released in a region's worker (5.7).\n"
          "static const char *win_err_kind;\n"
          "static vp_str win_err_message;\n"
          "// A keyed region's worker runs the end-of-input marker; the main\n"
          "// side learns that a worker has more to release (5.7).\n"
          "static bool finishing;\n"
          "static bool finish_more;\n"
          "static vp_buf dead_buf;\n"
          "static bool worker_half_full(void) {\n"
          "  return vp_worker_half_full(cur_worker);\n}\n"
          "// Records made by emit statements during one .process call.\n"
          "static vp_buf emit_buf;\n\n"
          "// Takes the emitted records out of emit_buf, which the stages "
          "they\n// go on to may reuse.\n"
          "static vp_rd take_emitted(void) {\n"
          "  uint8_t *p = vp_arena_dup(vp_event_arena, emit_buf.p, "
          "emit_buf.n);\n"
          "  vp_rd rd = { p, p + emit_buf.n };\n"
          "  emit_buf.n = 0;\n"
          "  return rd;\n}\n\n");
}

// An event-bound function takes its element first, as `ev` (2.6).
static const char *fn_signature(vpc_fn *f) {
  vpc_sbuf b = { 0 };
  vpc_sbuf_printf(&b, "static %s %s(", ctype(f->ret), f->cname);
  bool any = false;
  if (f->bound_to) {
    vpc_sbuf_printf(&b, "const %s *ev", ctype(vpc_record_type(f->bound_to)));
    any = true;
  }
  for (int i = 0; i < f->params.n; i++) {
    vpc_sym *p = f->params.items[i];
    vpc_sbuf_printf(&b, "%s%s %s", any ? ", " : "", ctype(p->type), p->cname);
    any = true;
  }
  vpc_sbuf_puts(&b, any ? ")" : "void)");
  const char *s = vpc_strdup(b.p);
  vpc_sbuf_free(&b);
  return s;
}

// Whether f lies on a cycle of the call graph: only such functions count
// toward the recursion limit (2.6).
static bool reaches(const vpc_fn *from, const vpc_fn *target, vpc_list *seen) {
  for (int i = 0; i < from->callees.n; i++) {
    vpc_fn *c = from->callees.items[i];
    if (c == target)
      return true;
    bool visited = false;
    for (int j = 0; j < seen->n && !visited; j++)
      visited = seen->items[j] == c;
    if (visited)
      continue;
    vpc_list_push(seen, c);
    if (reaches(c, target, seen))
      return true;
  }
  return false;
}

static bool is_recursive(const vpc_fn *f) {
  vpc_list seen = { 0 };
  return reaches(f, f, &seen);
}

// A recursive function runs through a guard that counts the depth; a
// crash unwinds past the decrement, so each event's entry resets it.
static void gen_recursion_guard(gen *g, vpc_fn *f) {
  emit(g, "%s {\n  if (++call_depth > 1000)\n"
          "    vp_raise_crash(\"recursion limit exceeded\");\n"
          "  %s r = %s_body(%s",
       fn_signature(f), ctype(f->ret), f->cname, f->bound_to ? "ev" : "");
  for (int i = 0; i < f->params.n; i++)
    emit(g, "%s%s", i || f->bound_to ? ", " : "",
         ((vpc_sym *)f->params.items[i])->cname);
  emit(g, ");\n  call_depth--;\n  return r;\n}\n\n");
}

static void gen_functions(gen *g) {
  vpc_sema *s = g->s;
  for (int i = 0; i < s->globals.n; i++) {
    vpc_sym *v = s->globals.items[i];
    emit(g, "static %s %s;\n", ctype(v->type), v->cname);
  }
  emit(g, "\n");
  for (int i = 0; i < s->fns.n; i++) {
    vpc_fn *f = s->fns.items[i];
    if (f->event_bound && !f->bound_to)
      continue;
    emit(g, "%s;\n", fn_signature(f));
    if (is_recursive(f)) {
      const char *plain = f->cname;
      f->cname = vpc_format("%s_body", plain);
      emit(g, "%s;\n", fn_signature(f));
      f->cname = plain;
    }
  }
  emit(g, "\n");
  for (int i = 0; i < s->fns.n; i++) {
    vpc_fn *f = s->fns.items[i];
    if (f->event_bound && !f->bound_to)
      continue;
    bool guarded = is_recursive(f);
    if (guarded) {
      gen_recursion_guard(g, f);
      const char *plain = f->cname;
      f->cname = vpc_format("%s_body", plain);
      emit(g, "%s {\n", fn_signature(f));
      f->cname = plain;
    } else {
      emit(g, "%s {\n", fn_signature(f));
    }
    for (int j = 0; j < f->params.n; j++)
      emit(g, "  (void)%s;\n", ((vpc_sym *)f->params.items[j])->cname);
    g->body = BODY_FN;
    g->ret = f->ret;
    g->implicit = f->bound_to ? "ev" : NULL;
    g->implicit_dynamic = f->bound_to && f->bound_to->dynamic;
    gen_block(g, f->decl->a, true, 1);
    line_to_c(g);
    emit(g, "}\n\n");
  }
}

// File and stdout connectors (2.11): opened before any input, flushed at
// exit.
static void gen_connectors(gen *g) {
  vpc_sema *s = g->s;
  for (int i = 0; i < s->connectors.n; i++)
    emit(g, "static vp_out *conn_%s;\n",
         ((vpc_connector *)s->connectors.items[i])->name);
  emit(g, "\nstatic void close_connectors(void) {\n");
  for (int i = 0; i < s->connectors.n; i++)
    emit(g, "  vp_out_close(conn_%s);\n",
         ((vpc_connector *)s->connectors.items[i])->name);
  emit(g, "}\n\nstatic void open_connectors(void) {\n");
  for (int i = 0; i < s->connectors.n; i++) {
    vpc_connector *c = s->connectors.items[i];
    if (!c->written)
      continue;  // a source only: read, never opened for writing
    if (c->to_stdout) {
      emit(g, "  conn_%s = vp_out_open_fd(1);\n", c->name);
      continue;
    }
    const char *path = str_literal(c->path, strlen(c->path));
    emit(g, "  conn_%s = %s;\n"
            "  if (!conn_%s) {\n"
            "    fprintf(stderr, \"[ERROR] cannot open connector %s file "
            "%%s: %%s\\n\", %s.p, strerror(errno));\n"
            "    exit(1);\n  }\n",
         c->name,
         vpc_format("vp_sink_open(%s.p, %s)", path,
                    c->append ? "true" : "false"),
         c->name, c->name, path);
  }
  emit(g, "  atexit(close_connectors);\n}\n\n");
}

static void gen_init(gen *g) {
  vpc_sema *s = g->s;
  gen_connectors(g);
  emit(g, "static void program_init(void) {\n"
          "  open_connectors();\n"
          "  static const char *current;\n"
          "  vp_trap t;\n"
          "  if (!VP_TRY(t)) {\n"
          "    fprintf(stderr, \"init error: %%s: %%.*s\\n\", current, "
          "(int)t.message.n, t.message.p);\n"
          "    exit(1);\n  }\n");
  g->body = BODY_FN;
  for (int i = 0; i < s->globals.n; i++) {
    vpc_sym *v = s->globals.items[i];
    line_to_vpl(g, v->pos);
    const char *value = gen_as(g, v->decl->a, v->type);
    if (v->binding == VPC_TK_VAR)
      value = global_keep(value, v->type);
    emit(g, "  current = \"%s\";\n  %s = %s;\n", v->name, v->cname, value);
  }
  line_to_c(g);
  emit(g, "  vp_trap_pop(&t);\n}\n\n");
}

// Streams. Stage i of stream S is s_S_i(m, ev): it takes one element and
// returns how many outputs reached the end of the stream, or -1 when the
// element went into a region, whose collector decides its fate later.

static const char *stage_fn(vpc_stream *st, int i) {
  return vpc_format("s_%s_%d", st->name, i);
}

static vpc_stage *stage_at(vpc_stream *st, int i) {
  return st->stages.items[i];
}

static bool is_outer_handler(const vpc_stage *sg) {
  return sg->kind == VPC_STAGE_ON_ERROR && !sg->region;
}

// The function an element entering stage j goes to: the stage itself, or
// the trap of an outer .on_error whose scope starts there.
static const char *entry_fn(vpc_stream *st, int j) {
  if (j >= st->stages.n)
    return vpc_format("s_%s_end", st->name);
  for (int h = j; h < st->stages.n; h++) {
    vpc_stage *sg = stage_at(st, h);
    if (is_outer_handler(sg) && sg->scope_start == j && h > j)
      return vpc_format("s_%s_scope%d", st->name, h);
  }
  return stage_fn(st, j);
}

// The function an element goes to after stage i.
static const char *next_fn(vpc_stream *st, int i) {
  vpc_stage *cur = stage_at(st, i);
  int j = i + 1;
  while (j < st->stages.n && stage_at(st, j)->kind == VPC_STAGE_ON_ERROR &&
         stage_at(st, j)->region)
    j++;
  if (cur->region && cur->kind != VPC_STAGE_COLLECT &&
      cur->kind != VPC_STAGE_CONCURRENT && j == cur->region->last)
    return vpc_format("s_%s_r%d_out", st->name, cur->region->id);
  if (cur->kind == VPC_STAGE_CONCURRENT && j == cur->region->last)
    return vpc_format("s_%s_r%d_out", st->name, cur->region->id);
  return entry_fn(st, j);
}

static void stage_head(gen *g, vpc_stream *st, vpc_stage *sg) {
  emit(g, "static int64_t %s(const vp_meta *m, const %s *ev) {\n",
       stage_fn(st, sg->index), ctype(sg->in));
  emit(g, "  (void)m;\n  (void)ev;\n");
  g->implicit = "ev";
  g->implicit_dynamic = vpc_is_dynamic(sg->in);
  g->body = BODY_VALUE;
  line_to_vpl(g, sg->op->name_pos);
}

// A lambda argument becomes a function of its own; for map, process and
// on_error a producer that stores its record in *out and says whether it
// made one.
static void gen_lambda(gen *g, const char *name, vpc_node *lam,
                       vpc_type **ptypes, vpc_type *out) {
  vpc_sbuf params = { 0 };
  for (int i = 0; i < lam->list.n; i++) {
    vpc_sym *p = ((vpc_node *)lam->list.items[i])->sym;
    vpc_sbuf_printf(&params, "%s%s %s", i ? ", " : "", ctype(ptypes[i]),
                    p->cname);
  }
  if (out)
    emit(g, "static bool %s(%s%s%s *out) {\n", name, params.p ? params.p : "",
         lam->list.n ? ", " : "", ctype(out));
  else
    emit(g, "static bool %s(%s) {\n", name, params.p ? params.p : "void");
  vpc_sbuf_free(&params);
  for (int i = 0; i < lam->list.n; i++)
    emit(g, "  (void)%s;\n",
         ((vpc_sym *)((vpc_node *)lam->list.items[i])->sym)->cname);
  g->implicit = NULL;
  g->implicit_dynamic = false;
  if (out) {
    g->body = BODY_PRODUCER;
    g->out_ptr = "out";
    g->out_type = out;
  } else {
    g->body = BODY_VALUE;
    g->ret = &ty_bool;
  }
  line_to_vpl(g, lam->pos);
  if (lam->a->kind == VPC_NODE_BLOCK)
    gen_block(g, lam->a, true, 1);
  else if (out)
    producer_tail(g, gen_expr(g, lam->a), lam->a->type, 1);
  else
    emit(g, "  return %s;\n", gen_as(g, lam->a, &ty_bool));
  line_to_c(g);
  emit(g, "}\n\n");
}

static void gen_where(gen *g, vpc_stream *st, vpc_stage *sg) {
  const char *lam = vpc_format("%s_fn", stage_fn(st, sg->index));
  bool is_lambda = sg->expr->kind == VPC_NODE_LAMBDA;
  if (is_lambda)
    gen_lambda(g, lam, sg->expr, &sg->in, NULL);
  stage_head(g, st, sg);
  const char *test = is_lambda ? vpc_format("%s(*ev)", lam)
                               : gen_as(g, sg->expr, &ty_bool);
  emit(g, "  if (!(%s))\n    return 0;\n", test);
  line_to_c(g);
  emit(g, "  return %s(m, ev);\n}\n\n", next_fn(st, sg->index));
}

static void gen_projection(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  const char *rec = "ev";
  if (sg->record) {
    vpc_event *r = sg->record;
    emit(g, "  %s rec = { 0 };\n", r->cname);
    for (int i = 0; i < sg->op->list.n; i++) {
      vpc_node *item = sg->op->list.items[i];
      if (item->flag)
        continue;  // a context item, dropped
      vpc_field *f = vpc_event_field(r, item->name, NULL);
      emit(g, "  rec.f_%s = %s;\n", item->name, gen_as(g, item->a, f->type));
    }
    rec = "&rec";
  }
  line_to_c(g);
  if (sg->kind == VPC_STAGE_EMIT) {
    emit(g, "  write_%s(vp_main_out(), %s, %s, m, \"%s\");\n",
         sg->out->event->cname, rec, type_name_code(sg->out_name, rec),
         st->name);
  }
  emit(g, "  return %s(m, %s);\n}\n\n", next_fn(st, sg->index), rec);
}

// .process(e): e runs for its emitted records; an Err value fails the
// event, any other value is dropped (5.4).
static void gen_process_expression(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  const char *c = sg->out->event->cname;
  vpc_node *e = sg->expr;
  emit(g, "  emit_buf.n = 0;\n");
  if (e->type->kind == VPC_TY_RESULT) {
    const char *t = tmp_name(g);
    emit(g, "  %s %s = %s;\n  if (!%s.ok)\n"
            "    vp_raise_str(\"error\", %s.err);\n",
         ctype(e->type), t, gen_expr(g, e), t, t);
  } else {
    emit(g, "  (void)(%s);\n", gen_expr(g, e));
  }
  line_to_c(g);
  emit(g, "  vp_rd rd = take_emitted();\n"
          "  int64_t n = 0;\n"
          "  while (rd.p < rd.end) {\n"
          "    %s one;\n    unpack_%s(&rd, &one);\n"
          "    n += %s(m, &one);\n  }\n"
          "  return n;\n}\n\n",
       c, c, next_fn(st, sg->index));
}

static void gen_producer_stage(gen *g, vpc_stream *st, vpc_stage *sg) {
  if (sg->expr->kind != VPC_NODE_LAMBDA) {
    gen_process_expression(g, st, sg);
    return;
  }
  const char *lam = vpc_format("%s_fn", stage_fn(st, sg->index));
  gen_lambda(g, lam, sg->expr, &sg->in, sg->out);
  stage_head(g, st, sg);
  emit(g, "  %s rec;\n", ctype(sg->out));
  if (sg->emits) {
    // Emitted records first, in emission order, then the returned one
    // (5.4); an Err unwinds past this and the emitted ones are dropped.
    const char *c = sg->out->event->cname;
    emit(g, "  emit_buf.n = 0;\n"
            "  bool got = %s(*ev, &rec);\n"
            "  vp_rd rd = take_emitted();\n"
            "  int64_t n = 0;\n"
            "  while (rd.p < rd.end) {\n"
            "    %s one;\n    unpack_%s(&rd, &one);\n"
            "    n += %s(m, &one);\n  }\n",
         lam, c, c, next_fn(st, sg->index));
    line_to_c(g);
    emit(g, "  return got ? n + %s(m, &rec) : n;\n}\n\n",
         next_fn(st, sg->index));
    return;
  }
  if (sg->kind == VPC_STAGE_MAP)
    emit(g, "  if (!%s(*ev, &rec))\n"
            "    vp_raise(\"invalid argument: map: null result\");\n",
         lam);
  else
    emit(g, "  if (!%s(*ev, &rec))\n    return 0;\n", lam);
  line_to_c(g);
  emit(g, "  return %s(m, &rec);\n}\n\n", next_fn(st, sg->index));
}

// The tag an integer-like key is encoded with (5.4), or NULL.
static const char *int_key_tag(int kind) {
  switch (kind) {
  case VPC_TY_INT:
    return "VP_KEY_INT";
  case VPC_TY_TIMESTAMP:
    return "VP_KEY_TIMESTAMP";
  case VPC_TY_DURATION:
    return "VP_KEY_DURATION";
  default:
    return NULL;
  }
}

// The canonical-key hash of a partition key (5.4).
static const char *key_hash(gen *g, vpc_node *key) {
  vpc_type *t = key->type;
  const char *k = gen_expr(g, key);
  switch (t->kind) {
  case VPC_TY_STR:
    return vpc_format("vp_key_hash_str(%s)", k);
  case VPC_TY_INT:
    return vpc_format("vp_key_hash_int(%s)", k);
  case VPC_TY_FLOAT:
    return vpc_format("vp_key_hash_float(%s)", k);
  case VPC_TY_BOOL:
    return vpc_format("vp_key_hash_bool(%s)", k);
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    return vpc_format("vp_key_hash_tagged_i64(%s, %s)", int_key_tag(t->kind),
                      k);
  case VPC_TY_ANY:
    return vpc_format("vp_any_key_hash(%s)", k);
  case VPC_TY_OPTIONAL: {
    const char *t2 = tmp_name(g);
    return vpc_format("({ %s %s = %s; %s.has ? %s : vp_key_hash_null(); })",
                      ctype(t), t2, k, t2,
                      key_hash(g, value_node(vpc_format("%s.v", t2),
                                             t->elem)));
  }
  default:
    return vpc_format("((void)(%s), vp_key_hash_null())", k);
  }
}

static void gen_key_encode(gen *g, const char *kv, vpc_node *key);
static const char *key_var(vpc_stream *st);

static void gen_partition(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  if (st->keyed_state) {
    gen_key_encode(g, key_var(st), sg->expr);
    line_to_c(g);
    emit(g, "  vp_meta keyed = *m;\n  keyed.key_hash = vp_key_hash(&%s);\n"
            "  return %s(&keyed, ev);\n}\n\n",
         key_var(st), next_fn(st, sg->index));
    return;
  }
  emit(g, "  vp_meta keyed = *m;\n  keyed.key_hash = %s;\n",
       key_hash(g, sg->expr));
  line_to_c(g);
  emit(g, "  return %s(&keyed, ev);\n}\n\n", next_fn(st, sg->index));
}

// Under broadcast each copy of an event is an event of its own (8.9).
static const char *broadcast_copies(vpc_stream *st, vpc_region *r) {
  if (r->strategy != 2 || !r->counts_fates)
    return "";
  return vpc_format("  vp_region_stats rs;\n"
                    "  vp_region_get_stats(vp_regions[%d], &rs);\n"
                    "  vp_counts[%d].in += rs.workers - 1;\n",
                    r->id, st->id);
}

static void gen_submit(gen *g, vpc_stream *st, vpc_stage *sg) {
  vpc_region *r = sg->region;
  stage_head(g, st, sg);
  const char *hash = r->key ? key_hash(g, r->key) : "m->key_hash";
  emit(g, "  uint64_t hash = %s;\n", hash);
  line_to_c(g);
  // Keyed state in the region: the key's encoding follows the record.
  const char *key = "";
  if (r->keyed_state) {
    const char *kv = key_var(st);
    key = vpc_format(
        "  vp_buf_i64(&pack_buf, (int64_t)%s.n);\n"
        "  vp_buf_put(&pack_buf, %s.p, %s.n);\n"
        "  if (!keys_r%d) {\n"
        "    vp_region_stats ks;\n"
        "    vp_region_get_stats(vp_regions[%d], &ks);\n"
        "    keys_r%d_n = (int32_t)ks.workers;\n"
        "    keys_r%d = calloc((size_t)ks.workers, sizeof *keys_r%d);\n"
        "    if (!keys_r%d)\n      vp_arena_oom();\n  }\n"
        "  vp_agg_set_add(&keys_r%d[vp_jump_hash(hash, keys_r%d_n)], &%s);\n",
        kv, kv, kv, r->id, r->id, r->id, r->id, r->id, r->id, r->id, r->id,
        kv);
  }
  emit(g, "  pack_buf.n = 0;\n"
          "  vp_buf_put(&pack_buf, m, sizeof *m);\n"
          "  pack_%s(&pack_buf, ev);\n"
          "%s%s"
          "  vp_region_submit(vp_regions[%d], &m->origin, hash, pack_buf.p, "
          "pack_buf.n);\n"
          "  return %d;\n}\n\n",
       r->entry->event->cname, key, broadcast_copies(st, r), r->id,
       r->counts_fates ? -1 : 1);
}

static void gen_collect(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  line_to_c(g);
  emit(g, "  return %s(m, ev);\n}\n\n", next_fn(st, sg->index));
}

static const char *region_fn(vpc_stream *st, vpc_region *r, const char *what) {
  return vpc_format("s_%s_r%d_%s", st->name, r->id, what);
}

static void unpack_meta_and(gen *g, const char *cname, const char *var) {
  emit(g, "  vp_meta m;\n  memcpy(&m, rd.p, sizeof m);\n  rd.p += sizeof m;\n"
          "  %s %s;\n  unpack_%s(&rd, &%s);\n",
       cname, var, cname, var);
}

static void dead_letter_call(gen *g, const char *err, const char *cname,
                             const char *rec, const char *name,
                             const char *handler_error) {
  emit(g, "    dlq_ref d = { %s, %s, &m };\n"
          "    vp_dead_letter(%s, write_any_%s, &d, %s);\n",
       rec, type_name_code(name, rec), err, cname, handler_error);
}

static const char *win_var(vpc_stream *st, vpc_stage *sg);
static const char *finish_dead_letters(vpc_stream *st, vpc_region *r);

// A region with keyed state (5.7): the worker takes the key's encoding
// along with the event, and reports the fates its windows decided as a
// last record of the outcome (origin.seq VP_FATES_SEQ: passed, filtered,
// dead-lettered and held deltas, and whether the event's own fate is
// left to a window). The end-of-input marker (VP_FINISH_SEQ) finishes
// the worker's windows, as much as half an outcome holds: the fates record
// says when there is more, and the main side sends the marker again.
static void gen_keyed_work(gen *g, vpc_stream *st, vpc_region *r,
                           int first) {
  const char *entry_c = r->entry->event->cname;
  emit(g, "  vp_meta m;\n  memcpy(&m, rd.p, sizeof m);\n  rd.p += sizeof m;\n"
          "  cur_worker = w;\n  call_depth = 0;\n"
          "  vp_stream_counts before = vp_counts[%d];\n"
          "  int64_t n = -1;\n  bool done = true;\n"
          "  finishing = m.origin.seq == VP_FINISH_SEQ;\n"
          "  if (m.origin.seq == VP_CKPT_SEQ) {\n"
          "    vp_worker_save_state(w);\n"
          "  } else if (finishing) {\n",
       st->id);
  for (int i = r->first; i < r->last; i++) {
    vpc_stage *sg = stage_at(st, i);
    if (sg->kind == VPC_STAGE_WINDOW)
      emit(g, "    if (done && %s)\n"
              "      done = vp_window_finish(%s, m.key_hash != 0, "
              "worker_half_full);\n",
           win_var(st, sg), win_var(st, sg));
  }
  emit(g, "    finishing = false;\n  } else {\n"
          "    %s ev;\n    unpack_%s(&rd, &ev);\n"
          "    int64_t kn = vp_rd_i64(&rd);\n"
          "    vp_key_set(&%s, rd.p, (size_t)kn);\n"
          "    n = %s(&m, &ev);\n  }\n"
          "  const vp_stream_counts *c = &vp_counts[%d];\n"
          "  int64_t d[6] = { c->passed - before.passed,\n"
          "                   c->filtered - before.filtered,\n"
          "                   c->dead_lettered - before.dead_lettered,\n"
          "                   c->held - before.held, n < 0, !done };\n"
          "  if (d[0] || d[1] || d[2] || d[3] || d[4] || d[5]) {\n"
          "    vp_meta fm;\n    memset(&fm, 0, sizeof fm);\n"
          "    fm.origin.seq = VP_FATES_SEQ;\n"
          "    pack_buf.n = 0;\n"
          "    vp_buf_put(&pack_buf, &fm, sizeof fm);\n"
          "    vp_buf_put(&pack_buf, d, sizeof d);\n"
          "    vp_worker_emit(w, pack_buf.p, pack_buf.n);\n  }\n}\n\n",
       entry_c, entry_c, key_var(st),
       first < r->last ? stage_fn(st, first) : region_fn(st, r, "out"),
       st->id);
}

static bool plain_stage(const vpc_stage *sg);

// Whether the workers of region r can run what follows its .collect()
// themselves, writing the stream's records into their outcomes for the
// collector to copy out: the stream feeds no other stream and, after the
// region, only filters, projects and emits to the main output, with
// expressions that cannot raise. Nothing there then needs the main
// thread's state or order: the collector writes the bytes where it would
// have run those stages. --record-ids numbers records on the main thread,
// so the generated code checks that at run time.
static bool workers_write_output(vpc_stream *st, vpc_region *r) {
  if (r->keyed_state || st->subscribers.n)
    return false;
  for (int i = r->last + 1; i < st->stages.n; i++)
    if (!plain_stage(stage_at(st, i)))
      return false;
  return true;
}

// Worker side: unpack the event and run the region's operators on it.
static void gen_region_worker(gen *g, vpc_stream *st, vpc_region *r) {
  const char *exit_c = r->exit->event->cname;
  emit(g, "static int64_t %s(const vp_meta *m, const %s *rec) {\n",
       region_fn(st, r, "out"), exit_c);
  // A written record: how many records reached the stream's end, then
  // what vp_out_take gives. It counts against the outcome's limits as the
  // packed record would, with or without --record-ids.
  if (workers_write_output(st, r))
    emit(g, "  if (!vp_record_ids) {\n"
            "    pack_buf.n = 0;\n"
            "    vp_buf_put(&pack_buf, m, sizeof *m);\n"
            "    pack_%s(&pack_buf, rec);\n"
            "    size_t packed = pack_buf.n;\n"
            "    int64_t n = %s(m, rec);\n"
            "    pack_buf.n = 0;\n"
            "    vp_buf_i64(&pack_buf, n);\n"
            "    vp_out_take(vp_main_out(), &pack_buf);\n"
            "    vp_worker_emit_counted(cur_worker, pack_buf.p, pack_buf.n, "
            "packed);\n"
            "    return 1;\n  }\n",
         exit_c, stage_fn(st, r->last));
  emit(g, "  pack_buf.n = 0;\n"
          "  vp_buf_put(&pack_buf, m, sizeof *m);\n"
          "  pack_%s(&pack_buf, rec);\n"
          "  vp_worker_emit(cur_worker, pack_buf.p, pack_buf.n);\n"
          "  return 1;\n}\n\n",
       exit_c);
  const char *entry_c = r->entry->event->cname;
  int first = r->first;
  while (first < r->last && stage_at(st, first)->kind == VPC_STAGE_ON_ERROR)
    first++;
  emit(g, "static void %s(vp_worker *w, const uint8_t *in, size_t len) {\n"
          "  vp_rd rd = { in, in + len };\n",
       region_fn(st, r, "work"));
  if (r->keyed_state) {
    gen_keyed_work(g, st, r, first);
    return;
  }
  unpack_meta_and(g, entry_c, "ev");
  emit(g, "  cur_worker = w;\n  call_depth = 0;\n  %s(&m, &ev);\n}\n\n",
       first < r->last ? stage_fn(st, first) : region_fn(st, r, "out"));
}

static bool stages_cannot_raise(vpc_stream *st, int first);

// Main side: what follows the region, under a trap of its own, so that an
// error after the region dead-letters the record it happened on; no trap
// when nothing after the region can raise.
static void gen_region_continuation(gen *g, vpc_stream *st, vpc_region *r) {
  const char *exit_c = r->exit->event->cname;
  vpc_stage *collect = stage_at(st, r->last);
  if (stages_cannot_raise(st, r->last)) {
    emit(g, "static int64_t %s(const vp_meta *m, const %s *rec, bool *failed) "
            "{\n"
            "  (void)failed;\n"
            "  call_depth = 0;\n"
            "  return %s(m, rec);\n}\n\n",
         region_fn(st, r, "cont"), exit_c, stage_fn(st, r->last));
    return;
  }
  emit(g, "static int64_t %s(const vp_meta *m, const %s *rec, bool *failed) "
          "{\n"
          "  vp_trap t;\n"
          "  call_depth = 0;\n"
          "  if (VP_TRY(t)) {\n"
          "    int64_t n = %s(m, rec);\n"
          "    vp_trap_pop(&t);\n"
          "    return n;\n  }\n"
          "  vp_stream_error err = { t.kind, t.message, -1, 1, \"%s\", "
          "m->origin };\n"
          "  dlq_ref d = { rec, %s, m };\n"
          "  vp_dead_letter(&err, write_any_%s, &d, NULL);\n"
          "  *failed = true;\n  return 0;\n}\n\n",
       region_fn(st, r, "cont"), exit_c, stage_fn(st, r->last), st->name,
       type_name_code(collect->in_name, "rec"), exit_c);
}

static void count_fate(gen *g, vpc_stream *st, vpc_region *r,
                       const char *failed, const char *n) {
  if (!r->counts_fates) {
    emit(g, "  (void)%s;\n  (void)%s;\n", failed, n);
    return;
  }
  // n < 0: a window downstream holds the records and counts later.
  emit(g, "  if (%s)\n    vp_counts[%d].dead_lettered++;\n"
          "  else if (%s > 0)\n    vp_counts[%d].passed++;\n"
          "  else if (%s == 0)\n    vp_counts[%d].filtered++;\n",
       failed, st->id, n, st->id, n, st->id);
}

static void gen_region_result(gen *g, vpc_stream *st, vpc_region *r) {
  const char *exit_c = r->exit->event->cname;
  emit(g, "static void %s(const vp_origin *origin, vp_rd *records, int64_t "
          "nrecords) {\n"
          "  int64_t n = 0;\n  bool failed = false;\n  (void)origin;\n"
          "  bool deferred = false;\n  (void)deferred;\n"
          "  for (int64_t i = 0; i < nrecords; i++) {\n"
          "    int64_t len = vp_rd_i64(records);\n"
          "    vp_rd rd = { records->p, records->p + len };\n"
          "    records->p += len;\n"
          "%s"
          "    vp_meta m;\n    memcpy(&m, rd.p, sizeof m);\n"
          "    rd.p += sizeof m;\n"
          "%s"
          "    %s rec;\n    unpack_%s(&rd, &rec);\n"
          "    n += %s(&m, &rec, &failed);\n  }\n",
       region_fn(st, r, "result"),
       workers_write_output(st, r)
           ? vpc_format("    if (!vp_record_ids) {\n"
                        "      int64_t k = vp_rd_i64(&rd);\n"
                        "      vp_counts[%d].out += k;\n"
                        "      vp_out_put_taken(vp_main_out(), &rd);\n"
                        "      n += k;\n"
                        "      continue;\n    }\n",
                        st->id)
           : "",
       r->keyed_state
           ? vpc_format("    if (m.origin.seq == VP_FATES_SEQ) {\n"
                        "      int64_t d[6];\n"
                        "      memcpy(d, rd.p, sizeof d);\n"
                        "      vp_counts[%d].passed += d[0];\n"
                        "      vp_counts[%d].filtered += d[1];\n"
                        "      vp_counts[%d].dead_lettered += d[2];\n"
                        "      vp_counts[%d].held += d[3];\n"
                        "      deferred = d[4] != 0;\n"
                        "      finish_more = finish_more || d[5] != 0;\n"
                        "      continue;\n    }\n"
                        "%s",
                        st->id, st->id, st->id, st->id,
                        finish_dead_letters(st, r))
           : "",
       exit_c, exit_c, region_fn(st, r, "cont"));
  if (r->keyed_state) {
    emit(g, "  if (deferred)\n    return;\n");
  }
  count_fate(g, st, r, "failed", "n");
  emit(g, "}\n\n");
}

static void gen_region_error(gen *g, vpc_stream *st, vpc_region *r) {
  const char *entry_c = r->entry->event->cname;
  const char *exit_c = r->exit->event->cname;
  vpc_stage *h = r->handler;
  const char *hname = region_fn(st, r, "handler");
  if (h) {
    vpc_type *ptypes[2] = { &ty_stream_error, r->entry };
    gen_lambda(g, hname, h->expr, ptypes, r->exit);
  }
  emit(g, "static void %s(const vp_stream_error *err, const uint8_t *in, "
          "size_t len) {\n  vp_rd rd = { in, in + len };\n",
       region_fn(st, r, "error"));
  // The end-of-input marker failed: its worker crashed or an outcome
  // overflowed, and what that worker's windows held is gone.
  if (r->keyed_state)
    emit(g, "  {\n    vp_meta mk;\n    memcpy(&mk, in, sizeof mk);\n"
            "    if (mk.origin.seq == VP_CKPT_SEQ) {\n"
            "      vp_ckpt_worker_failed(err);\n"
            "      return;\n    }\n"
            "    if (mk.origin.seq == VP_FINISH_SEQ) {\n"
            "      vp_log(VP_LOG_ERROR, \"stream %s: worker %%d failed at end "
            "of input, its windows are lost: %%s: %%.*s\", err->worker, "
            "err->kind, (int)err->message.n, err->message.p);\n"
            "      return;\n    }\n  }\n",
         st->name);
  unpack_meta_and(g, entry_c, "ev");
  const char *name = r->entry_name;
  if (!h) {
    emit(g, "  {\n");
    dead_letter_call(g, "err", entry_c, "&ev", name, "NULL");
    emit(g, "  }\n");
    if (r->counts_fates)
      emit(g, "  vp_counts[%d].dead_lettered++;\n", st->id);
    emit(g, "}\n\n");
    return;
  }
  const char *args = h->expr->list.n == 2 ? "err, ev, &rec" : "err, &rec";
  emit(g, "  cur_error = err;\n  cur_meta = &m;\n  cur_type = %s;\n"
          "  cur_dead_lettered = false;\n"
          "  %s rec;\n  bool recovered = false;\n"
          "  emit_buf.n = 0;\n"
          "  vp_trap t;\n"
          "  if (VP_TRY(t)) {\n"
          "    recovered = %s(%s);\n"
          "    vp_trap_pop(&t);\n"
          "  } else {\n",
       type_name_code(name, "&ev"), exit_c, hname, args);
  dead_letter_call(g, "err", entry_c, "&ev", name, "&t.message");
  if (r->counts_fates)
    emit(g, "    vp_counts[%d].dead_lettered++;\n", st->id);
  // Records the handler emitted, then the one it returned, are the
  // recovered outputs (5.7).
  emit(g, "    return;\n  }\n"
          "  bool failed = cur_dead_lettered;\n"
          "  int64_t n = 0;\n"
          "  vp_rd rd2 = take_emitted();\n"
          "  while (rd2.p < rd2.end) {\n"
          "    %s one;\n    unpack_%s(&rd2, &one);\n"
          "    n += %s(&m, &one, &failed);\n  }\n"
          "  if (recovered)\n    n += %s(&m, &rec, &failed);\n",
       exit_c, exit_c, region_fn(st, r, "cont"), region_fn(st, r, "cont"));
  count_fate(g, st, r, "failed", "n");
  emit(g, "}\n\n");
}

static void gen_stream_end(gen *g, vpc_stream *st) {
  const char *c = st->out->event->cname;
  emit(g, "static int64_t s_%s_end(const vp_meta *m, const %s *rec) {\n"
          "  vp_counts[%d].out++;\n",
       st->name, c, st->id);
  if (st->writes_output)
    emit(g, "  write_%s(vp_main_out(), rec, %s, m, \"%s\");\n", c,
         str_literal(st->name, strlen(st->name)), st->name);
  for (int i = 0; i < st->subscribers.n; i++) {
    vpc_stream *sub = st->subscribers.items[i];
    emit(g, "  vp_buf_i64(&queue, %d);\n"
            "  vp_buf_i64(&queue, vp_record_seq);\n"
            "  vp_buf_put(&queue, m, sizeof *m);\n"
            "  pack_%s(&queue, rec);\n",
         sub->id, c);
  }
  emit(g, "  (void)m;\n  (void)rec;\n  return 1;\n}\n\n");
}

static vpc_type *stream_input(const vpc_stream *st) {
  if (st->source_stream)
    return st->source_stream->out;
  if (st->source_event)
    return vpc_record_type(st->source_event);
  return vpc_dynamic_record();
}

// The fate of the event in hand, from what the stream's first stage
// returned (8.9).
static void gen_fate(gen *g, vpc_stream *st, const char *indent) {
  emit(g, "%sif (scope_dead_lettered)\n"
          "%s  vp_counts[%d].dead_lettered++;\n"
          "%selse if (n > 0)\n%s  vp_counts[%d].passed++;\n"
          "%selse if (n == 0)\n%s  vp_counts[%d].filtered++;\n",
       indent, indent, st->id, indent, indent, st->id, indent, indent,
       st->id);
}

// The stream's entry: counts the event in and gives it its fate (8.9); an
// error outside regions goes to the dead-letter output (6.12). A stream
// none of whose stages can raise needs no trap (a setjmp per event).
static void gen_stream_entry(gen *g, vpc_stream *st) {
  vpc_type *in = stream_input(st);
  const char *c = in->event->cname;
  const char *first = entry_fn(st, 0);
  const char *name = st->source_stream ? st->source_stream->name
                                       : st->source_type;
  emit(g, "static void s_%s_in(const vp_meta *m, const %s *ev) {\n"
          "  vp_counts[%d].in++;\n"
          "  scope_dead_lettered = false;\n"
          "  call_depth = 0;\n"
          "%s",
       st->name, c, st->id,
       g->s->has_global_vars ? "  vp_release_pending();\n" : "");
  if (stages_cannot_raise(st, 0)) {
    emit(g, "  int64_t n = %s(m, ev);\n", first);
    gen_fate(g, st, "  ");
    emit(g, "}\n\n");
    return;
  }
  emit(g, "  vp_trap t;\n"
          "  if (VP_TRY(t)) {\n"
          "    int64_t n = %s(m, ev);\n"
          "    vp_trap_pop(&t);\n",
       first);
  gen_fate(g, st, "    ");
  emit(g, "    return;\n  }\n"
          "  vp_stream_error err = { t.kind, t.message, -1, 1, \"%s\", "
          "m->origin };\n"
          "  dlq_ref d = { ev, %s, m };\n"
          "  vp_dead_letter(&err, write_any_%s, &d, NULL);\n"
          "  vp_counts[%d].dead_lettered++;\n}\n\n",
       st->name, str_literal(name, strlen(name)), c, st->id);
}

// Whether outer handler sg covers any operator: one right after a window
// or its aggregate, or after another handler, covers none, and only passes
// events on.
static bool has_scope(const vpc_stage *sg) {
  return sg->scope_start < sg->index;
}

// An outer .on_error (5.7): a trap around the operators of its scope, the
// handler that runs when one fails, and the stage that leads on past the
// handler, out of the scope's trap.

static void gen_outer_handler(gen *g, vpc_stream *st, vpc_stage *sg) {
  int h = sg->index;
  if (!has_scope(sg)) {
    emit(g, "static int64_t %s(const vp_meta *m, const %s *ev) {\n"
            "  return %s(m, ev);\n}\n\n",
         stage_fn(st, h), sg->in->event->cname, next_fn(st, h));
    return;
  }
  const char *in_c = sg->scope_in->event->cname;
  const char *out_c = sg->in->event->cname;
  const char *name = sg->scope_name;
  const char *next = next_fn(st, h);
  const char *lam = vpc_format("s_%s_%d_fn", st->name, h);
  vpc_type *ptypes[2] = { &ty_stream_error, sg->scope_in };
  gen_lambda(g, lam, sg->expr, ptypes, sg->in);
  const char *args = sg->expr->list.n == 2 ? "err, *ev, &rec" : "err, &rec";

  emit(g, "static vp_trap *s_%s_scope%d_trap;\n\n", st->name, h);
  emit(g, "static int64_t s_%s_handle%d(const vp_stream_error *err, "
          "const vp_meta *m, const %s *ev) {\n"
          "  cur_error = err;\n  cur_meta = m;\n  cur_type = %s;\n"
          "  cur_dead_lettered = false;\n"
          "  %s rec;\n  bool recovered = false;\n"
          "  emit_buf.n = 0;\n"
          "  vp_trap t;\n"
          "  if (VP_TRY(t)) {\n"
          "    recovered = %s(%s);\n"
          "    vp_trap_pop(&t);\n"
          "  } else {\n"
          "    dlq_ref d = { ev, %s, m };\n"
          "    vp_dead_letter(err, write_any_%s, &d, &t.message);\n"
          "    scope_dead_lettered = true;\n"
          "    return 0;\n  }\n"
          "  if (cur_dead_lettered)\n    scope_dead_lettered = true;\n"
          "  int64_t n = 0;\n"
          "  vp_rd rd = take_emitted();\n"
          "  while (rd.p < rd.end) {\n"
          "    %s one;\n    unpack_%s(&rd, &one);\n"
          "    n += %s(m, &one);\n  }\n"
          "  return recovered ? n + %s(m, &rec) : n;\n}\n\n",
       st->name, h, in_c, type_name_code(name, "ev"), out_c, lam, args,
       type_name_code(name, "ev"), in_c, out_c, out_c, next, next);

  emit(g, "static int64_t s_%s_scope%d(const vp_meta *m, const %s *ev) {\n"
          "  vp_trap *outer = s_%s_scope%d_trap;\n"
          "  vp_trap t;\n"
          "  if (VP_TRY(t)) {\n"
          "    s_%s_scope%d_trap = &t;\n"
          "    int64_t n = %s(m, ev);\n"
          "    vp_trap_pop(&t);\n"
          "    s_%s_scope%d_trap = outer;\n"
          "    return n;\n  }\n"
          "  s_%s_scope%d_trap = outer;\n"
          "  call_depth = 0;\n"
          "  vp_stream_error err = { t.kind, t.message, -1, 1, \"%s\", "
          "m->origin };\n"
          "  return s_%s_handle%d(&err, m, ev);\n}\n\n",
       st->name, h, in_c, st->name, h, st->name, h,
       stage_fn(st, sg->scope_start), st->name, h, st->name, h, st->name,
       st->name, h);

  // Operators after the handler are out of its scope: their errors go to
  // the trap that encloses the scope's.
  emit(g, "static int64_t %s(const vp_meta *m, const %s *ev) {\n"
          "  vp_trap *inner = vp_trap_top;\n"
          "  vp_trap_top = s_%s_scope%d_trap->prev;\n"
          "  int64_t n = %s(m, ev);\n"
          "  vp_trap_top = inner;\n"
          "  return n;\n}\n\n",
       stage_fn(st, h), out_c, st->name, h, next);
}

// The values of a .print or print(...) joined by single spaces, strings
// raw and others as JSON (5.4).
static const char *print_text(gen *g, vpc_list *args) {
  const char *acc = "VP_STR_LIT(\"\")";
  for (int i = 0; i < args->n; i++) {
    vpc_node *a = ((vpc_node *)args->items[i])->a;
    if (i)
      acc = vpc_format("vp_str_concat(%s, VP_STR_LIT(\" \"))", acc);
    acc = vpc_format("vp_str_concat(%s, %s)", acc, gen_to_string(g, a));
  }
  return acc;
}

static void gen_print(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  if (sg->op->list.n) {
    emit(g, "  vp_print_line(%s);\n", print_text(g, &sg->op->list));
  } else {
    // [PRINT] [Stream] Type: {record}
    const char *head = vpc_format("[PRINT] [%s] ", st->name);
    const char *type = type_name_code(sg->in_name, "ev");
    emit(g, "  vp_out_raw(err_out(), %s.p, %zu);\n"
            "  vp_out_raw(err_out(), %s.p, (size_t)%s.n);\n"
            "  vp_out_raw(err_out(), \": \", 2);\n"
            "  write_%s(err_out(), ev, %s, m, NULL);\n"
            "  vp_out_flush(err_out());\n",
         str_literal(head, strlen(head)), strlen(head), type, type,
         sg->in->event->cname, type);
  }
  line_to_c(g);
  emit(g, "  return %s(m, ev);\n}\n\n", next_fn(st, sg->index));
}

static vpc_node *named_arg(vpc_node *op, const char *name) {
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *a = op->list.items[i];
    if (a->name && !strcmp(a->name, name))
      return a->a;
  }
  return NULL;
}

// .log: "[LEVEL] Stream: message data" at or above --log-level (5.4).
static void gen_log(gen *g, vpc_stream *st, vpc_stage *sg) {
  static const char *const tags[] = { "ERROR", "WARN", "INFO", "DEBUG",
                                      "TRACE" };
  static const char *const levels[] = { "VP_LOG_ERROR", "VP_LOG_WARN",
                                        "VP_LOG_INFO", "VP_LOG_DEBUG",
                                        "VP_LOG_TRACE" };
  stage_head(g, st, sg);
  vpc_node *message = named_arg(sg->op, "message");
  vpc_node *data = named_arg(sg->op, "data");
  const char *head = vpc_format("[%s] %s: ", tags[sg->log_level], st->name);
  const char *text = message ? gen_as(g, message, &ty_str)
                             : type_name_code(sg->in_name, "ev");
  emit(g, "  if (%s <= vp_log_threshold) {\n"
          "    vp_str text = vp_str_concat(%s, %s);\n"
          "    vp_out_raw(err_out(), text.p, (size_t)text.n);\n"
          "    vp_out_raw(err_out(), \" \", 1);\n",
       levels[sg->log_level], str_literal(head, strlen(head)), text);
  if (data) {
    emit(g, "    vp_value data = %s;\n"
            "    vp_str json = vp_any_to_json(data);\n"
            "    vp_out_raw(err_out(), json.p, (size_t)json.n);\n"
            "    vp_out_raw(err_out(), \"\\n\", 1);\n",
         gen_as(g, data, &ty_any));
  } else {
    emit(g, "    write_%s(err_out(), ev, %s, m, NULL);\n",
         sg->in->event->cname,
         type_name_code(sg->in_name, "ev"));
  }
  emit(g, "    vp_out_flush(err_out());\n  }\n");
  line_to_c(g);
  emit(g, "  return %s(m, ev);\n}\n\n", next_fn(st, sg->index));
}

static void gen_to(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  line_to_c(g);
  // Records on a stdout connector carry no id: only files are resumed.
  emit(g, "  write_%s(conn_%s, ev, %s, m, %s);\n"
          "  return %s(m, ev);\n}\n\n",
       sg->in->event->cname, sg->sink->name,
       type_name_code(sg->in_name, "ev"),
       sg->sink->to_stdout ? "NULL" : vpc_format("\"%s\"", st->name),
       next_fn(st, sg->index));
}

// Windows, aggregates and the other stateful stages (5.4-5.6). A window
// keeps its events packed in the runtime (window.c), per partition key,
// and hands each released batch to s_S_i_release, which runs the rest of
// the stream on it: through the aggregate (s_S_j_agg) when one follows,
// else event by event, sorted first when an .order_by follows.

static const char *key_var(vpc_stream *st) {
  return vpc_format("key_%s", st->name);
}

// Emits the encoding of the partition key into kv (5.4).
static void gen_key_encode(gen *g, const char *kv, vpc_node *key) {
  vpc_type *t = key->type;
  const char *k = gen_expr(g, key);
  bool opt = t->kind == VPC_TY_OPTIONAL;
  const char *v = k;
  if (opt) {
    const char *tmp = tmp_name(g);
    emit(g, "  %s %s = %s;\n", ctype(t), tmp, k);
    emit(g, "  if (!%s.has)\n    vp_key_null(&%s);\n  else\n", tmp, kv);
    v = vpc_format("%s.v", tmp);
    t = t->elem;
  }
  switch (t->kind) {
  case VPC_TY_STR:
    emit(g, "  vp_key_str(&%s, %s);\n", kv, v);
    break;
  case VPC_TY_INT:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
    emit(g, "  vp_key_i64(&%s, %s, %s);\n", kv, int_key_tag(t->kind), v);
    break;
  case VPC_TY_FLOAT:
    emit(g, "  vp_key_float(&%s, %s);\n", kv, v);
    break;
  case VPC_TY_BOOL:
    emit(g, "  vp_key_bool(&%s, %s);\n", kv, v);
    break;
  case VPC_TY_ANY:
    emit(g, "  vp_key_any(&%s, %s);\n", kv, v);
    break;
  default:
    emit(g, "  (void)(%s);\n  vp_key_null(&%s);\n", v, kv);
  }
}

// The dead letter of an error raised while a released batch runs on:
// the record `rec` (of the window's element type) carries it.
static const char *batch_dead_letter_code(vpc_stream *st, vpc_stage *win,
                                          const char *rec, const char *meta,
                                          const char *worker) {
  return vpc_format("    vp_stream_error err = { t.kind, t.message, %s, 1, "
                    "\"%s\", (%s)->origin };\n"
                    "    dlq_ref d = { %s, %s, %s };\n"
                    "    vp_dead_letter(&err, write_any_%s, &d, NULL);\n",
                    worker, st->name, meta, rec,
                    type_name_code(win->in_name, rec), meta,
                    win->in->event->cname);
}

// A record that failed in a batch the end-of-input marker released has no
// event in hand to fail with: the worker sends it to the main side as a
// VP_DEAD_SEQ record (the window's stage index in key_hash), with its
// meta, the worker, the error and the record.
static void send_dead_letter(gen *g, vpc_stage *win, const char *rec,
                             const char *meta) {
  emit(g, "    if (finishing) {\n"
          "      vp_meta dm;\n      memset(&dm, 0, sizeof dm);\n"
          "      dm.origin.seq = VP_DEAD_SEQ;\n"
          "      dm.key_hash = %d;\n"
          "      dead_buf.n = 0;\n"
          "      vp_buf_put(&dead_buf, &dm, sizeof dm);\n"
          "      vp_buf_put(&dead_buf, %s, sizeof dm);\n"
          "      vp_buf_i64(&dead_buf, vp_worker_slot(cur_worker));\n"
          "      vp_buf_i64(&dead_buf, (int64_t)strlen(t.kind) + 1);\n"
          "      vp_buf_put(&dead_buf, t.kind, strlen(t.kind) + 1);\n"
          "      vp_buf_str(&dead_buf, t.message);\n"
          "      pack_%s(&dead_buf, %s);\n"
          "      vp_worker_emit(cur_worker, dead_buf.p, dead_buf.n);\n"
          "    } else ",
       win->index, meta, win->in->event->cname, rec);
}

// Main side: the dead letters of send_dead_letter, for each window of
// region r.
static const char *finish_dead_letters(vpc_stream *st, vpc_region *r) {
  vpc_sbuf b = { 0 };
  vpc_sbuf_puts(&b, "");
  for (int i = r->first; i < r->last; i++) {
    vpc_stage *win = stage_at(st, i);
    if (win->kind != VPC_STAGE_WINDOW)
      continue;
    const char *c = win->in->event->cname;
    vpc_sbuf_printf(&b,
                    "    if (m.origin.seq == VP_DEAD_SEQ && m.key_hash == %d) "
                    "{\n"
                    "    vp_meta dm;\n    memcpy(&dm, rd.p, sizeof dm);\n"
                    "    rd.p += sizeof dm;\n"
                    "    int32_t worker = (int32_t)vp_rd_i64(&rd);\n"
                    "    int64_t kind_len = vp_rd_i64(&rd);\n"
                    "    struct { const char *kind; vp_str message; } t;\n"
                    "    t.kind = (const char *)rd.p;\n"
                    "    rd.p += kind_len;\n"
                    "    t.message = vp_rd_str(&rd);\n"
                    "    %s dead;\n    unpack_%s(&rd, &dead);\n"
                    "%s"
                    "    continue;\n    }\n",
                    win->index, c, c,
                    batch_dead_letter_code(st, win, "&dead", "&dm",
                                           "worker"));
  }
  const char *code = vpc_format("%s", b.p);
  vpc_sbuf_free(&b);
  return code;
}

// Inside a region (5.7) an error in a released batch becomes the error
// outcome of the event in hand, raised once the window is consistent.
static void batch_error(gen *g, vpc_stream *st, vpc_stage *win,
                        const char *rec, const char *meta) {
  if (!win->region) {
    emit(g, "%s", batch_dead_letter_code(st, win, rec, meta, "-1"));
    return;
  }
  send_dead_letter(g, win, rec, meta);
  emit(g, "if (!win_err_kind) {\n"
          "      win_err_kind = t.kind;\n      win_err_message = t.message;\n"
          "    }\n");
}

// A keyed window's release runs the rest of the stream under the batch's
// key, which the operators after the window (.distinct, another window)
// read from the stream's key variable: a batch released at the end of
// input, or by the watermark, is not the key of the event in hand. The
// key in hand is put back after.
static void gen_rekeyed_release(gen *g, vpc_stream *st, vpc_stage *win,
                                const char *batch_type, bool returns) {
  const char *fn = stage_fn(st, win->index), *kv = key_var(st);
  emit(g, "static %s %s_release(const %s *b) {\n"
          "  static vp_key in_hand;\n"
          "  bool rekey = b->key && !(%s.n == b->keylen && "
          "!memcmp(%s.p, b->key, b->keylen));\n"
          "  if (rekey) {\n"
          "    vp_key_set(&in_hand, %s.p, %s.n);\n"
          "    vp_key_set(&%s, b->key, b->keylen);\n  }\n"
          "  %s%s_batch(b);\n"
          "  if (rekey)\n    vp_key_set(&%s, in_hand.p, in_hand.n);\n"
          "%s}\n\n",
       returns ? "int64_t" : "void", fn, batch_type, kv, kv, kv, kv, kv,
       returns ? "int64_t n = " : "", fn, kv, returns ? "  return n;\n" : "");
}

// Runs `n = call;` on a released batch of window win whose last event is
// rec, under a trap of its own: an error dead-letters rec (batch_error).
// An .on_error after the aggregate that dead-letters the batch's record
// makes its fate -1; the event in hand (the one that filled the window)
// keeps its own.
static void gen_batch_run(gen *g, vpc_stream *st, vpc_stage *win,
                          const char *call, const char *rec,
                          const char *meta) {
  emit(g, "  int64_t n;\n"
          "  bool in_hand = scope_dead_lettered;\n"
          "  scope_dead_lettered = false;\n"
          "  vp_trap t;\n  if (VP_TRY(t)) {\n"
          "    n = %s;\n"
          "    vp_trap_pop(&t);\n"
          "    if (scope_dead_lettered)\n      n = -1;\n"
          "  } else {\n",
       call);
  batch_error(g, st, win, rec, meta);
  emit(g, "    n = -1;\n  }\n  scope_dead_lettered = in_hand;\n");
}

static const char *order_cmp_fn(vpc_stream *st, vpc_stage *ob) {
  return vpc_format("s_%s_%d_cmp", st->name, ob->index);
}

// Compares values a and b of type t for .order_by: nulls first (5.4).
static const char *order_cmp_code(gen *g, vpc_type *t, const char *a,
                                  const char *b) {
  if (t->kind == VPC_TY_OPTIONAL) {
    const char *inner = order_cmp_code(g, t->elem, vpc_format("%s.v", a),
                                       vpc_format("%s.v", b));
    return vpc_format("(!%s.has || !%s.has ? (int)%s.has - (int)%s.has : "
                      "%s)",
                      a, b, a, b, inner);
  }
  switch (t->kind) {
  case VPC_TY_STR:
    return vpc_format("vp_window_cmp_str(%s, %s)", a, b);
  case VPC_TY_ANY:
    return vpc_format("vp_window_cmp_any(%s, %s)", a, b);
  case VPC_TY_FLOAT:
    return vpc_format("vp_window_cmp_f64(%s, %s)", a, b);
  default:
    return vpc_format("((%s) < (%s) ? -1 : (%s) > (%s))", a, b, a, b);
  }
}

// The comparator of an .order_by over records of its input type, and the
// stable sort of an index array by it.
static void gen_order_cmp(gen *g, vpc_stream *st, vpc_stage *ob) {
  const char *c = ob->in->event->cname;
  emit(g, "static int %s(const %s *ea, const %s *eb) {\n", order_cmp_fn(st, ob),
       c, c);
  for (int i = 0; i < ob->order.n; i++) {
    vpc_node *arg = ob->order.items[i];
    vpc_node *e = arg->a;
    g->implicit = "ea";
    g->implicit_dynamic = vpc_is_dynamic(ob->in);
    const char *va = gen_expr(g, e);
    g->implicit = "eb";
    const char *vb = gen_expr(g, e);
    const char *ta = tmp_name(g), *tb = tmp_name(g);
    emit(g, "  {\n    %s %s = %s;\n    %s %s = %s;\n", ctype(e->type), ta, va,
         ctype(e->type), tb, vb);
    emit(g, "    int r = %s;\n    if (r)\n      return %sr;\n  }\n",
         order_cmp_code(g, e->type, ta, tb), arg->flag ? "-" : "");
  }
  emit(g, "  return 0;\n}\n\n");
  emit(g, "static void %s_sort(const %s *recs, size_t *idx, size_t n) {\n"
          "  for (size_t i = 1; i < n; i++) {\n"
          "    size_t x = idx[i], j = i;\n"
          "    while (j > 0 && %s(&recs[idx[j - 1]], &recs[x]) > 0) {\n"
          "      idx[j] = idx[j - 1];\n      j--;\n    }\n"
          "    idx[j] = x;\n  }\n}\n\n",
       order_cmp_fn(st, ob), c, order_cmp_fn(st, ob));
}

static bool reads_kept_event(const vpc_agg_call *c) {
  return c->fn == VPC_AGG_FIRST || c->fn == VPC_AGG_LAST;
}

// The state of aggregate call k. first() and last() always have a local
// of their own: a folding window reads them from its kept events.
static const char *agg_state(gen *g, const vpc_agg_call *c, int k) {
  bool local = !g->agg_base || reads_kept_event(c);
  return vpc_format("%sa%d", local ? "" : g->agg_base, k);
}

// The update of aggregate call k by the event `ev`.
static void gen_agg_update(gen *g, vpc_agg_call *c, int k) {
  const char *a = agg_state(g, c, k);
  if (c->fn == VPC_AGG_COUNT) {
    emit(g, "      %s.n++;\n", a);
    return;
  }
  if (c->fn == VPC_AGG_FIRST || c->fn == VPC_AGG_LAST) {
    emit(g, "      if (%s) {\n", c->fn == VPC_AGG_FIRST ? "j == 0"
                                                         : "j + 1 == n");
    vpc_type *t = c->arg->type;
    const char *v = gen_expr(g, c->arg);
    emit(g, "        %s_v = %s;\n      }\n", a,
         t->kind == VPC_TY_ANY ? v : box(g, v, t));
    return;
  }
  vpc_type *t = c->arg->type;
  const char *v = gen_expr(g, c->arg);
  if (c->fn == VPC_AGG_COUNT_DISTINCT && vpc_is_boxed(t)) {
    // Arrays, maps and any: a scalar's encoding, else tag 7 (5.4).
    emit(g, "      vp_key_value(&key_tmp, %s);\n"
            "      vp_agg_set_add(&%s_set, &key_tmp);\n",
         v, a);
    return;
  }
  if (c->fn == VPC_AGG_COUNT_DISTINCT) {
    const char *tmp = tmp_name(g);
    emit(g, "      {\n        %s %s = %s;\n", ctype(t), tmp, v);
    vpc_node name = { .kind = VPC_NODE_NAME, .type = t };
    vpc_sym sym = { .kind = VPC_SYM_LOCAL, .cname = tmp };
    name.sym = &sym;
    emit(g, "      {\n");
    gen_key_encode(g, "key_tmp", &name);
    emit(g, "      }\n        vp_agg_set_add(&%s_set, &key_tmp);\n"
            "      }\n", a);
    return;
  }
  const char *fn = c->fn == VPC_AGG_SUM || c->fn == VPC_AGG_AVG
                       ? "vp_agg_sum"
                   : c->fn == VPC_AGG_MIN || c->fn == VPC_AGG_MAX
                       ? "vp_agg_minmax"
                   : c->fn == VPC_AGG_STDDEV ? "vp_agg_stddev"
                                             : "vp_agg_ema";
  if (t->kind == VPC_TY_ANY) {
    emit(g, "      %s_any(&%s, %s);\n", fn, a, v);
  } else if (t->kind == VPC_TY_OPTIONAL) {
    const char *tmp = tmp_name(g);
    emit(g, "      {\n        %s %s = %s;\n        if (%s.has)\n"
            "          %s(&%s, (double)%s.v);\n      }\n",
         ctype(t), tmp, v, tmp, fn, a, tmp);
  } else if (t->kind == VPC_TY_NULL) {
    emit(g, "      (void)(%s);\n", v);
  } else {
    emit(g, "      %s(&%s, (double)(%s));\n", fn, a, v);
  }
}

static const char *agg_result(gen *g, vpc_agg_call *c, int k) {
  const char *a = agg_state(g, c, k);
  switch (c->fn) {
  case VPC_AGG_COUNT:
    return vpc_format("%s.n", a);
  case VPC_AGG_SUM:
    return vpc_format("vp_agg_sum_result(&%s)", a);
  case VPC_AGG_AVG:
    return vpc_format("vp_agg_avg_result(&%s)", a);
  case VPC_AGG_MIN:
    return vpc_format("vp_agg_min_result(&%s)", a);
  case VPC_AGG_MAX:
    return vpc_format("vp_agg_max_result(&%s)", a);
  case VPC_AGG_STDDEV:
    return vpc_format("vp_agg_stddev_result(&%s)", a);
  case VPC_AGG_EMA:
    return vpc_format("vp_agg_ema_result(&%s)", a);
  case VPC_AGG_COUNT_DISTINCT:
    return vpc_format("(int64_t)%s_set.n", a);
  default:
    return vpc_format("%s_v", a);
  }
}

static const char *agg_fn_name(vpc_stream *st, vpc_stage *sg) {
  return vpc_format("s_%s_%d_agg", st->name, sg->index);
}

// The end of an aggregate: the results of its calls, its record, and the
// call of the next stage with meta; last is the window's last event.
static void gen_agg_output(gen *g, vpc_stream *st, vpc_stage *sg,
                           const char *last, const char *meta) {
  for (int k = 0; k < sg->aggs.n; k++) {
    vpc_agg_call *c = sg->aggs.items[k];
    emit(g, "  %s %s = %s;\n  (void)%s;\n", ctype(c->sym->type),
         c->sym->cname, agg_result(g, c, k), c->sym->cname);
  }
  if (sg->key_sym) {
    vpc_node name = { .kind = VPC_NODE_NAME, .type = sg->key_sym->type };
    vpc_sym sym = { .kind = VPC_SYM_FIELD, .name = sg->key_field };
    name.sym = &sym;
    g->implicit = last;
    emit(g, "  %s %s = %s;\n", ctype(sg->key_sym->type), sg->key_sym->cname,
         gen_expr(g, &name));
  }
  g->implicit = NULL;
  emit(g, "  %s rec = { 0 };\n", sg->record->cname);
  if (sg->keyed)
    emit(g, "  rec.f__partition = vp_key_text(key, keylen);\n");
  line_to_vpl(g, sg->op->name_pos);
  for (int i = 0; i < sg->op->list.n; i++) {
    vpc_node *item = sg->op->list.items[i];
    if (!item->name)
      continue;
    vpc_field *f = vpc_event_field(sg->record, item->name, NULL);
    emit(g, "  rec.f_%s = %s;\n", item->name, gen_as(g, item->a, f->type));
  }
  line_to_c(g);
  emit(g, "  vp_meta m = %s;\n  return %s(&m, &rec);\n}\n\n", meta,
       next_fn(st, sg->index));
}

// s_S_i_agg(ms, recs, n, key): the aggregate record of a batch (5.6),
// passed on with the batch's last event's metadata.
static void gen_batch_aggregate(gen *g, vpc_stream *st, vpc_stage *sg) {
  const char *in_c = sg->in->event->cname;
  emit(g, "static int64_t %s(const vp_meta *ms, const %s *recs, size_t n, "
          "const uint8_t *key, size_t keylen) {\n"
          "  (void)key;\n  (void)keylen;\n",
       agg_fn_name(st, sg), in_c);
  for (int k = 0; k < sg->aggs.n; k++) {
    vpc_agg_call *c = sg->aggs.items[k];
    const char *a = agg_state(g, c, k);
    emit(g, "  vp_agg %s;\n", a);
    if (c->fn == VPC_AGG_EMA)
      emit(g, "  vp_agg_ema_init(&%s, %lld);\n", a, (long long)c->ema_n);
    else
      emit(g, "  vp_agg_init(&%s);\n", a);
    if (reads_kept_event(c))
      emit(g, "  vp_value %s_v = vp_box_null();\n", a);
    if (c->fn == VPC_AGG_COUNT_DISTINCT)
      emit(g, "  static vp_agg_set %s_set;\n"
              "  vp_agg_set_clear(&%s_set);\n",
           a, a);
  }
  emit(g, "  for (size_t j = 0; j < n; j++) {\n"
          "    const %s *ev = &recs[j];\n    (void)ev;\n",
       in_c);
  g->implicit = "ev";
  g->implicit_dynamic = vpc_is_dynamic(sg->in);
  line_to_vpl(g, sg->op->name_pos);
  for (int k = 0; k < sg->aggs.n; k++)
    gen_agg_update(g, sg->aggs.items[k], k);
  line_to_c(g);
  emit(g, "  }\n");
  gen_agg_output(g, st, sg, "(&recs[n - 1])", "ms[n - 1]");
}

static bool is_plain_field(const vpc_node *n) {
  const vpc_sym *s = n->kind == VPC_NODE_NAME ? n->sym : NULL;
  return s && s->kind == VPC_SYM_FIELD;
}

static bool calls_function(const vpc_node *n) {
  if (!n)
    return false;
  if (n->kind == VPC_NODE_CALL)
    return true;
  for (int i = 0; i < n->list.n; i++)
    if (calls_function(n->list.items[i]))
      return true;
  return calls_function(n->a) || calls_function(n->b) || calls_function(n->c);
}

// Folding windows (runtime/fold.c) keep the running state of the aggregate
// that follows them instead of its events. A window folds when it is a
// tumbling count window outside regions (whose errors travel with the
// event in hand, 5.7) over a declared type, and each call of the aggregate
// can be updated event by event, as its event arrives rather than when
// the window closes:
// - count_distinct's set is not kept per key;
// - an argument calls no function, whose effects on global variables
//   other streams could see at another moment;
// - first() and last() read their field from the window's kept first and
//   last events when it closes, so their argument must be a plain field,
//   which cannot raise: the first error of a window is then the one that
//   running the aggregate over all its events would raise.
static vpc_stage *folded_aggregate(vpc_stream *st, vpc_stage *win) {
  if (win->kind != VPC_STAGE_WINDOW || win->win_kind != VPC_WIN_COUNT ||
      win->region || vpc_is_dynamic(win->in) ||
      win->index + 1 >= st->stages.n)
    return NULL;
  vpc_stage *agg = stage_at(st, win->index + 1);
  if (agg->kind != VPC_STAGE_AGGREGATE)
    return NULL;
  for (int k = 0; k < agg->aggs.n; k++) {
    vpc_agg_call *c = agg->aggs.items[k];
    if (c->fn == VPC_AGG_COUNT_DISTINCT)
      return NULL;
    if (c->fn != VPC_AGG_COUNT && calls_function(c->arg))
      return NULL;
    if (reads_kept_event(c) && !is_plain_field(c->arg))
      return NULL;
  }
  return agg;
}

static bool aggregate_folds(vpc_stream *st, vpc_stage *agg) {
  return agg->window && folded_aggregate(st, agg->window) == agg;
}

static bool keeps_first_event(vpc_stage *agg) {
  for (int k = 0; k < agg->aggs.n; k++)
    if (((vpc_agg_call *)agg->aggs.items[k])->fn == VPC_AGG_FIRST)
      return true;
  return false;
}

static const char *fold_type(vpc_stream *st, vpc_stage *agg) {
  return vpc_format("fold_%s_%d", st->name, agg->index);
}

static const char *fold_fn_name(vpc_stream *st, vpc_stage *agg) {
  return vpc_format("s_%s_%d_fold", st->name, agg->index);
}

static const char *fold_fn_params(vpc_stage *agg) {
  const char *c = agg->in->event->cname;
  return vpc_format("const vp_meta *lm, const %s *last, const %s *first, "
                    "const vp_fold_batch *b",
                    c, c);
}

// The state type of a folding window's aggregate, its initial value and
// the prototype of the function that ends the aggregate.
static void gen_fold_declarations(gen *g, vpc_stream *st, vpc_stage *agg) {
  const char *type = fold_type(st, agg);
  emit(g, "typedef struct %s {\n", type);
  int kept = 0;
  for (int k = 0; k < agg->aggs.n; k++) {
    vpc_agg_call *c = agg->aggs.items[k];
    if (!reads_kept_event(c)) {
      emit(g, "  vp_agg a%d;\n", k);
      kept++;
    }
  }
  if (!kept)
    emit(g, "  char none;  // first() and last() only\n");
  emit(g, "} %s;\n\n", type);
  emit(g, "static %s %s_init;\n\n", type, type);
  emit(g, "static const %s *%s_start(void) {\n", type, type);
  for (int k = 0; k < agg->aggs.n; k++) {
    vpc_agg_call *c = agg->aggs.items[k];
    if (c->fn == VPC_AGG_EMA)
      emit(g, "  vp_agg_ema_init(&%s_init.a%d, %lld);\n", type, k,
           (long long)c->ema_n);
    else if (!reads_kept_event(c))
      emit(g, "  vp_agg_init(&%s_init.a%d);\n", type, k);
  }
  emit(g, "  return &%s_init;\n}\n\n", type);
  emit(g, "static int64_t %s(%s);\n", fold_fn_name(st, agg),
       fold_fn_params(agg));
}

// s_S_i_fold: the aggregate record of a folding window, from its state
// and its kept events; the error an update raised is raised here, in the
// release's trap, as it would have been over the kept events.
static void gen_fold_aggregate(gen *g, vpc_stream *st, vpc_stage *sg) {
  emit(g, "static int64_t %s(%s) {\n"
          "  if (b->err_kind)\n"
          "    vp_raise_str(b->err_kind, b->err_message);\n"
          "  const %s *acc = b->state;\n"
          "  const uint8_t *key = b->key;\n  size_t keylen = b->keylen;\n"
          "  (void)acc;\n  (void)first;\n  (void)key;\n  (void)keylen;\n",
       fold_fn_name(st, sg), fold_fn_params(sg), fold_type(st, sg));
  g->implicit_dynamic = false;
  g->agg_base = "acc->";
  for (int k = 0; k < sg->aggs.n; k++) {
    vpc_agg_call *c = sg->aggs.items[k];
    if (!reads_kept_event(c))
      continue;
    g->implicit = c->fn == VPC_AGG_FIRST ? "first" : "last";
    vpc_type *t = c->arg->type;
    const char *v = gen_expr(g, c->arg);
    emit(g, "  vp_value %s_v = %s;\n", agg_state(g, c, k),
         t->kind == VPC_TY_ANY ? v : box(g, v, t));
  }
  gen_agg_output(g, st, sg, "last", "*lm");
  g->agg_base = NULL;
}

static void gen_aggregate(gen *g, vpc_stream *st, vpc_stage *sg) {
  if (aggregate_folds(st, sg))
    gen_fold_aggregate(g, st, sg);
  else
    gen_batch_aggregate(g, st, sg);
  // Without a window, each event is a batch of one (5.6).
  stage_head(g, st, sg);
  line_to_c(g);
  if (sg->window)
    emit(g, "  abort();\n}\n\n");
  else if (sg->keyed)
    emit(g, "  return %s(m, ev, 1, %s.p, %s.n);\n}\n\n", agg_fn_name(st, sg),
         key_var(st), key_var(st));
  else
    emit(g, "  return %s(m, ev, 1, NULL, 0);\n}\n\n", agg_fn_name(st, sg));
}

static const char *win_var(vpc_stream *st, vpc_stage *sg) {
  return vpc_format("win_%s_%d", st->name, sg->index);
}

static const char *const win_kind_names[] = {
  "VP_WIN_COUNT", "VP_WIN_COUNT_SLIDING", "VP_WIN_TIME",
  "VP_WIN_TIME_SLIDING", "VP_WIN_SESSION",
};

// The runtime module of the window of stage sg: "window" or "fold".
static const char *window_kind(vpc_stream *st, vpc_stage *sg) {
  return folded_aggregate(st, sg) ? "fold" : "window";
}

// The call that makes the window of stage sg.
static const char *window_new(vpc_stream *st, vpc_stage *sg) {
  vpc_stage *agg = folded_aggregate(st, sg);
  if (agg)
    return vpc_format("vp_fold_new(%lld, %d, %s_start(), sizeof(%s), "
                      "%s, %s_release)",
                      (long long)sg->win_n, st->id, fold_type(st, agg),
                      fold_type(st, agg),
                      keeps_first_event(agg) ? "true" : "false",
                      stage_fn(st, sg->index));
  return vpc_format("vp_window_new(%s, %lld, %lld, %lld, %d, %s_release)",
                    win_kind_names[sg->win_kind], (long long)sg->win_n,
                    (long long)sg->win_dur, (long long)sg->win_slide, st->id,
                    stage_fn(st, sg->index));
}

// An int or a float, not optional: converting it to float cannot fail.
static bool is_plain_number(const vpc_type *t) {
  return t->kind == VPC_TY_INT || t->kind == VPC_TY_FLOAT;
}

static bool both_kind(const vpc_node *n, vpc_type_kind kind) {
  return n->a->type->kind == kind && n->b->type->kind == kind;
}

// Whether binary operator n, over operands that cannot raise, cannot raise
// either: float arithmetic but /, comparisons of numbers, strings or
// bools, and and/or.
static bool binary_cannot_raise(const vpc_node *n) {
  bool numbers = is_plain_number(n->a->type) && is_plain_number(n->b->type);
  switch (n->op) {
  case VPC_TK_PLUS:
  case VPC_TK_MINUS:
  case VPC_TK_STAR:
    return n->type->kind == VPC_TY_FLOAT && numbers;
  case VPC_TK_LT:
  case VPC_TK_LE:
  case VPC_TK_GT:
  case VPC_TK_GE:
    return numbers || both_kind(n, VPC_TY_STR);
  case VPC_TK_EQ:
  case VPC_TK_NE:
    return numbers || both_kind(n, VPC_TY_STR) || both_kind(n, VPC_TY_BOOL);
  case VPC_TK_AND:
  case VPC_TK_OR:
    return both_kind(n, VPC_TY_BOOL);
  default:
    return false;
  }
}

// Whether expression n never raises: literals, fields of a declared type,
// and the operators of binary_cannot_raise and `not` over them.
// Conservative: anything else may raise.
static bool cannot_raise(const vpc_node *n) {
  switch (n->kind) {
  case VPC_NODE_INT:
  case VPC_NODE_FLOAT:
  case VPC_NODE_BOOL:
  case VPC_NODE_STR:
    return true;
  case VPC_NODE_NAME:
    return is_plain_field(n);
  case VPC_NODE_UNARY:
    return n->op == VPC_TK_NOT && n->a->type->kind == VPC_TY_BOOL &&
           cannot_raise(n->a);
  case VPC_NODE_BINARY:
    return binary_cannot_raise(n) && cannot_raise(n->a) && cannot_raise(n->b);
  default:
    return false;
  }
}

// Whether no update of a folding window's aggregate can raise: then the
// updates need no trap of their own.
static bool updates_cannot_raise(vpc_stage *agg) {
  for (int k = 0; k < agg->aggs.n; k++) {
    vpc_agg_call *c = agg->aggs.items[k];
    if (c->arg && !reads_kept_event(c) && !cannot_raise(c->arg))
      return false;
  }
  return true;
}

// Whether a value of type from stored as type to cannot fail: the same
// flat kind, or an int widened to float.
static bool plain_store(const vpc_type *from, const vpc_type *to) {
  return is_flat(from) &&
         (from->kind == to->kind ||
          (from->kind == VPC_TY_INT && to->kind == VPC_TY_FLOAT));
}

static bool projection_cannot_raise(const vpc_stage *sg) {
  for (int i = 0; sg->record && i < sg->op->list.n; i++) {
    vpc_node *item = sg->op->list.items[i];
    if (item->flag)
      continue;
    vpc_field *f = vpc_event_field(sg->record, item->name, NULL);
    if (!cannot_raise(item->a) || !plain_store(item->a->type, f->type))
      return false;
  }
  return true;
}

// Whether sg filters or projects (.where, .select, .emit) with
// expressions that cannot raise.
static bool plain_stage(const vpc_stage *sg) {
  switch (sg->kind) {
  case VPC_STAGE_WHERE:
    return cannot_raise(sg->expr);
  case VPC_STAGE_SELECT:
  case VPC_STAGE_EMIT:
    return projection_cannot_raise(sg);
  default:
    return false;
  }
}

// Whether no stage of stream st from stage first on can raise for the
// record in hand, so that the code running them needs no trap.
// Conservative: only filters, projections and partitioning over
// expressions that cannot raise qualify; then a folding window whose
// updates cannot raise, after which the stream goes on in the window's
// release, under a trap of its own; or a region without keyed state that
// routes by a key that cannot raise, after which the stream goes on in its
// workers and its collector's callbacks, which trap their own errors.
static bool stages_cannot_raise(vpc_stream *st, int first) {
  for (int i = first; i < st->stages.n; i++) {
    vpc_stage *sg = stage_at(st, i);
    vpc_stage *agg = NULL;
    if (plain_stage(sg))
      continue;
    switch (sg->kind) {
    case VPC_STAGE_PARTITION:
      if (!cannot_raise(sg->expr) || !is_flat(sg->expr->type))
        return false;
      break;
    case VPC_STAGE_COLLECT:
      break;
    case VPC_STAGE_CONCURRENT:
      return !sg->region->keyed_state &&
             (!sg->region->key || (cannot_raise(sg->region->key) &&
                                   is_flat(sg->region->key->type)));
    case VPC_STAGE_WINDOW:
      agg = folded_aggregate(st, sg);
      return agg && updates_cannot_raise(agg);
    default:
      return false;
    }
  }
  return true;
}

static const char *fold_hand(vpc_stream *st, vpc_stage *win) {
  return vpc_format("hand_%s_%d", st->name, win->index);
}

// Declares the window's last event, last, and its metadata, lm: the kept
// copy, or the event in hand.
static void gen_last_event(gen *g, vpc_stream *st, vpc_stage *win) {
  const char *c = win->in->event->cname, *hand = fold_hand(st, win);
  emit(g, "  vp_meta lm;\n  %s last;\n"
          "  if (b->last) {\n"
          "    memcpy(&lm, b->last, sizeof lm);\n"
          "    vp_rd rd = { b->last + sizeof lm, b->last + b->last_len };\n"
          "    unpack_%s(&rd, &last);\n"
          "  } else {\n    lm = *%s_meta;\n    last = *%s;\n  }\n",
       c, c, hand, hand);
}

static void gen_first_event(gen *g, vpc_stage *win) {
  const char *c = win->in->event->cname;
  emit(g, "  %s first;\n"
          "  vp_rd rd = { b->first + sizeof(vp_meta), b->first + "
          "b->first_len };\n"
          "  unpack_%s(&rd, &first);\n",
       c, c);
}

// A folding window: its release function, which ends the aggregate or
// dead-letters the window with the error an update raised, and its stage,
// which updates the key's state with the event in hand.
static void gen_fold_window(gen *g, vpc_stream *st, vpc_stage *sg,
                            vpc_stage *agg) {
  const char *win = win_var(st, sg), *type = fold_type(st, agg);
  const char *c = sg->in->event->cname, *hand = fold_hand(st, sg);
  emit(g, "static vp_fold *%s;\n"
          "static const vp_meta *%s_meta;\n"
          "static const %s *%s;\n\n",
       win, hand, c, hand);
  emit(g, "static int64_t %s_%s(const vp_fold_batch *b) {\n",
       stage_fn(st, sg->index), sg->keyed ? "batch" : "release");
  gen_last_event(g, st, sg);
  if (keeps_first_event(agg))
    gen_first_event(g, sg);
  gen_batch_run(g, st, sg,
                vpc_format("%s(&lm, &last, %s, b)", fold_fn_name(st, agg),
                           keeps_first_event(agg) ? "&first" : "NULL"),
                "&last", "&lm");
  emit(g, "  return n;\n}\n\n");
  if (sg->keyed)
    gen_rekeyed_release(g, st, sg, "vp_fold_batch", true);
  stage_head(g, st, sg);
  line_to_c(g);
  emit(g, "  if (!%s)\n    %s = %s;\n"
          "  %s *acc = vp_fold_add(%s, %s);\n"
          "  if (vp_fold_wants_event(%s)) {\n"
          "    pack_buf.n = 0;\n"
          "    vp_buf_put(&pack_buf, m, sizeof *m);\n"
          "    pack_%s(&pack_buf, ev);\n"
          "    vp_fold_keep(%s, pack_buf.p, pack_buf.n);\n  }\n"
          "  if (acc) {\n",
       win, win, window_new(st, sg), type, win,
       sg->keyed ? vpc_format("&%s", key_var(st)) : "NULL", win, c, win);
  bool trap = !updates_cannot_raise(agg);
  if (trap)
    emit(g, "    vp_trap t;\n    if (VP_TRY(t)) {\n");
  g->agg_base = "acc->";
  line_to_vpl(g, agg->op->name_pos);
  for (int k = 0; k < agg->aggs.n; k++) {
    vpc_agg_call *call = agg->aggs.items[k];
    if (!reads_kept_event(call))
      gen_agg_update(g, call, k);
  }
  line_to_c(g);
  g->agg_base = NULL;
  if (trap)
    emit(g, "      vp_trap_pop(&t);\n    } else {\n"
            "      vp_fold_fail(%s, t.kind, t.message);\n    }\n",
         win);
  emit(g, "  }\n  %s_meta = m;\n  %s = ev;\n"
          "  vp_fold_done(%s);\n  return -1;\n}\n\n",
       hand, hand, win);
}

static void gen_window(gen *g, vpc_stream *st, vpc_stage *sg) {
  vpc_stage *folded = folded_aggregate(st, sg);
  if (folded) {
    gen_fold_window(g, st, sg, folded);
    return;
  }
  const char *c = sg->in->event->cname;
  vpc_stage *next = sg->index + 1 < st->stages.n ? stage_at(st, sg->index + 1)
                                                 : NULL;
  vpc_stage *agg = next && next->kind == VPC_STAGE_AGGREGATE ? next : NULL;
  vpc_stage *ob = sg->sorted ? next : NULL;
  if (ob)
    gen_order_cmp(g, st, ob);
  emit(g, "static vp_window *%s;\n\n", win_var(st, sg));
  emit(g, "static void %s_%s(const vp_win_batch *b) {\n"
          "  vp_meta *ms = vp_arena_alloc(vp_event_arena, b->n * sizeof *ms);\n"
          "  %s *recs = vp_arena_alloc(vp_event_arena, b->n * sizeof *recs);\n"
          "  for (size_t j = 0; j < b->n; j++) {\n"
          "    vp_rd rd = { b->bytes + b->items[j].off, b->bytes + "
          "b->items[j].off + b->items[j].len };\n"
          "    memcpy(&ms[j], rd.p, sizeof ms[j]);\n"
          "    rd.p += sizeof ms[j];\n"
          "    unpack_%s(&rd, &recs[j]);\n  }\n",
       stage_fn(st, sg->index), sg->keyed ? "batch" : "release", c, c);
  if (agg) {
    gen_batch_run(g, st, sg,
                  vpc_format("%s(ms, recs, b->n, b->key, b->keylen)",
                             agg_fn_name(st, agg)),
                  "&recs[b->n - 1]", "&ms[b->n - 1]");
    emit(g, "  for (size_t j = 0; j < b->n; j++)\n    b->out[j] = n;\n}\n\n");
  } else {
    emit(g, "  size_t *idx = vp_arena_alloc(vp_event_arena, b->n * sizeof "
            "*idx);\n"
            "  for (size_t j = 0; j < b->n; j++)\n    idx[j] = j;\n");
    if (ob)
      emit(g, "  %s_sort(recs, idx, b->n);\n", order_cmp_fn(st, ob));
    // A handler after the window takes the errors of each event's run
    // (entry_fn leads into its scope) and says when it dead-letters.
    emit(g, "  bool in_hand = scope_dead_lettered;\n"
            "  for (size_t k = 0; k < b->n; k++) {\n"
            "    size_t j = idx[k];\n"
            "    scope_dead_lettered = false;\n"
            "    vp_trap t;\n    if (VP_TRY(t)) {\n"
            "      b->out[j] = %s(&ms[j], &recs[j]);\n"
            "      vp_trap_pop(&t);\n"
            "      if (scope_dead_lettered)\n        b->out[j] = -1;\n"
            "    } else {\n",
         next_fn(st, ob ? ob->index : sg->index));
    batch_error(g, st, sg, "&recs[j]", "&ms[j]");
    emit(g, "      b->out[j] = -1;\n    }\n  }\n"
            "  scope_dead_lettered = in_hand;\n}\n\n");
  }
  if (sg->keyed)
    gen_rekeyed_release(g, st, sg, "vp_win_batch", false);
  stage_head(g, st, sg);
  line_to_c(g);
  emit(g, "  if (!%s)\n"
          "    %s = %s;\n"
          "  pack_buf.n = 0;\n"
          "  vp_buf_put(&pack_buf, m, sizeof *m);\n"
          "  pack_%s(&pack_buf, ev);\n"
          "  vp_window_add(%s, %s, m->time_ns, pack_buf.p, pack_buf.n);\n"
          "  if (win_err_kind) {\n"
          "    const char *kind = win_err_kind;\n"
          "    win_err_kind = NULL;\n"
          "    vp_raise_str(kind, win_err_message);\n  }\n"
          "  return -1;\n}\n\n",
       win_var(st, sg), win_var(st, sg), window_new(st, sg), c,
       win_var(st, sg), sg->keyed ? vpc_format("&%s", key_var(st)) : "NULL");
}

// .distinct([e]): an LRU of 100 000 keys per partition (5.4). A scalar's
// key is its canonical encoding; any other value's, and a whole record's,
// the tag 7 and its packed bytes.
static const char *distinct_var(vpc_stream *st, vpc_stage *sg) {
  return vpc_format("dist_%s_%d", st->name, sg->index);
}

static void gen_distinct(gen *g, vpc_stream *st, vpc_stage *sg) {
  const char *var = distinct_var(st, sg);
  emit(g, "static vp_distinct *%s;\n\n", var);
  stage_head(g, st, sg);
  emit(g, "  if (!%s)\n    %s = vp_distinct_new(100000);\n", var, var);
  const char *bytes = "key_tmp.p, key_tmp.n";
  vpc_node *e = sg->expr;
  if (!e) {
    emit(g, "  pack_buf.n = 0;\n  vp_buf_u8(&pack_buf, 7);\n"
            "  pack_%s(&pack_buf, ev);\n",
         sg->in->event->cname);
    bytes = "pack_buf.p, pack_buf.n";
  } else if (vpc_is_boxed(e->type)) {
    emit(g, "  vp_key_value(&key_tmp, %s);\n",
         e->type->kind == VPC_TY_ANY ? gen_expr(g, e)
                                     : box(g, gen_expr(g, e), e->type));
  } else {
    gen_key_encode(g, "key_tmp", e);
  }
  line_to_c(g);
  emit(g, "  if (vp_distinct_seen(%s, %s, %s))\n    return 0;\n"
          "  return %s(m, ev);\n}\n\n",
       var, sg->keyed ? vpc_format("&%s", key_var(st)) : "NULL", bytes,
       next_fn(st, sg->index));
}

// .tap: counts the event under its counter and label values (8.9).
static void gen_tap(gen *g, vpc_stream *st, vpc_stage *sg) {
  const char *names = vpc_format("tap_%s_%d_labels", st->name, sg->index);
  int n = sg->order.n;
  emit(g, "static const char *const %s[] = {", names);
  for (int i = 0; i < n; i++)
    emit(g, " \"%s\",", ((vpc_node *)sg->order.items[i])->name);
  emit(g, " NULL };\n\n");
  stage_head(g, st, sg);
  emit(g, "  vp_value vals[%d];\n", n ? n : 1);
  for (int i = 0; i < n; i++) {
    vpc_node *e = sg->order.items[i];
    const char *v = gen_expr(g, e);
    emit(g, "  vals[%d] = %s;\n", i,
         e->type->kind == VPC_TY_ANY ? v : box(g, v, e->type));
  }
  line_to_c(g);
  const char *counter = sg->tap_name ? sg->tap_name : "";
  emit(g, "  vp_tap(\"%s\", \"%s\", %d, %s, vals);\n"
          "  return %s(m, ev);\n}\n\n",
       c_escape(counter, strlen(counter)), st->name, n, names,
       next_fn(st, sg->index));
}

static const char *limit_var(vpc_stream *st, vpc_stage *sg) {
  return vpc_format("seen_%s_%d", st->name, sg->index);
}

// .limit(n) and .first(): one counter for the run (5.4).
static void gen_limit(gen *g, vpc_stream *st, vpc_stage *sg) {
  const char *seen = limit_var(st, sg);
  emit(g, "static int64_t %s;\n\n", seen);
  stage_head(g, st, sg);
  line_to_c(g);
  emit(g, "  if (%s >= %lld)\n    return 0;\n  %s++;\n"
          "  return %s(m, ev);\n}\n\n",
       seen, (long long)sg->limit, seen, next_fn(st, sg->index));
}

// .order_by after an aggregate sorts batches of one; after a window its
// work is done by the window's release.
static void gen_passthrough(gen *g, vpc_stream *st, vpc_stage *sg) {
  stage_head(g, st, sg);
  line_to_c(g);
  emit(g, "  return %s(m, ev);\n}\n\n", next_fn(st, sg->index));
}

// End of input (5.5): every window releases what the rules say and counts
// the rest as held. Upstream streams go first, and what a window releases
// reaches its readers before their own windows finish.
static int source_depth(const vpc_stream *st) {
  int d = 0;
  for (const vpc_stream *s = st->source_stream; s && d < 1000;
       s = s->source_stream)
    d++;
  return d;
}

static void gen_finish(gen *g) {
  vpc_sema *s = g->s;
  if (s->regions.n)
    // One marker per worker slot of a keyed region: a routing hash that
    // jump hashing sends to that slot (5.7).
    emit(g, "static void finish_region(int id, bool flush_windows) {\n"
            "  vp_region_stats rs;\n"
            "  vp_region_get_stats(vp_regions[id], &rs);\n"
            "  do {\n"
            "    finish_more = false;\n"
            "    for (int32_t slot = 0; slot < rs.workers; slot++) {\n"
            "      uint64_t h = 0;\n"
            "      while (vp_jump_hash(h, (int32_t)rs.workers) != slot)\n"
            "        h++;\n"
            "      vp_meta fm;\n      memset(&fm, 0, sizeof fm);\n"
            "      fm.origin.seq = VP_FINISH_SEQ;\n"
            "      fm.key_hash = flush_windows;\n"
            "      vp_region_submit(vp_regions[id], &fm.origin, h, "
            "(const uint8_t *)&fm, sizeof fm);\n    }\n"
            "    vp_region_drain(vp_regions[id]);\n"
            "  } while (finish_more);\n}\n\n");
  emit(g, "static void program_finish(bool flush_windows) {\n"
          "  (void)flush_windows;\n");
  int maxd = 0;
  for (int i = 0; i < s->streams.n; i++)
    if (source_depth(s->streams.items[i]) > maxd)
      maxd = source_depth(s->streams.items[i]);
  for (int d = 0; d <= maxd; d++) {
    for (int i = 0; i < s->streams.n; i++) {
      vpc_stream *st = s->streams.items[i];
      if (!st->out || source_depth(st) != d)
        continue;
      for (int j = 0; j < st->regions.n; j++) {
        vpc_region *r = st->regions.items[j];
        if (r->keyed_state)
          emit(g, "  finish_region(%d, flush_windows);\n"
                  "  program_flush();\n"
                  "  if (keys_r%d_reset)\n"
                  "    vp_log(VP_LOG_WARN, \"region %s: keys reset by worker "
                  "restarts: %%lld\", "
                  "(long long)keys_r%d_reset);\n",
               r->id, r->id, st->name, r->id);
      }
      for (int j = 0; j < st->stages.n; j++) {
        vpc_stage *sg = stage_at(st, j);
        if (sg->kind == VPC_STAGE_WINDOW && !sg->region)
          emit(g, "  if (%s)\n    vp_%s_finish(%s, flush_windows, NULL);\n"
                  "  program_flush();\n",
               win_var(st, sg), window_kind(st, sg), win_var(st, sg));
      }
    }
  }
  emit(g, "  program_flush();\n}\n\n");
}

// Checkpoints (7.3): save and load functions for the state outside
// regions (global vars, windows, distinct sets, limit counters,
// watermarks) and, per keyed region, for the state its workers hold. Both
// walk the same list in the same order.

enum { PART_MAIN = -1 };  // the main process's stages, not a region's

// Saves or loads global var v.
static void gen_global_state(gen *g, vpc_sym *v, bool save) {
  const vpc_type *t = v->type;
  const vpc_type *inner = t->kind == VPC_TY_OPTIONAL ? t->elem : t;
  bool str = inner->kind == VPC_TY_STR, boxed = vpc_is_boxed(inner);
  const char *x = v->cname;
  if (!str && !boxed) {
    if (save)
      emit(g, "  vp_buf_put(b, &%s, sizeof %s);\n", x, x);
    else
      emit(g, "  vp_ckpt_need(r, sizeof %s);\n  memcpy(&%s, r->p, sizeof "
              "%s);\n  r->p += sizeof %s;\n",
           x, x, x, x);
    return;
  }
  const char *val = t->kind == VPC_TY_OPTIONAL ? vpc_format("%s.v", x) : x;
  if (save) {
    if (t->kind == VPC_TY_OPTIONAL)
      emit(g, "  vp_buf_u8(b, %s.has);\n  if (%s.has)\n  ", x, x);
    emit(g, str ? "  vp_buf_str(b, %s);\n" : "  vp_pack_value(b, &%s);\n",
         val);
    return;
  }
  emit(g, "  %s;\n", global_release(x, t));
  if (t->kind == VPC_TY_OPTIONAL)
    emit(g, "  vp_ckpt_need(r, 1);\n  %s.has = vp_rd_u8(r);\n  if (%s.has)\n  ",
         x, x);
  emit(g, str ? "  %s = vp_str_keep(vp_ckpt_str(r));\n"
              : "  %s = vp_value_keep(vp_unpack_value(r));\n",
       val);
}

// Saves or loads a window or distinct set, which exists once the stage
// saw its first event: a flag says whether it did.
static void gen_object_state(gen *g, const char *var, const char *make,
                             const char *kind, bool save) {
  if (save) {
    emit(g, "  vp_buf_u8(b, %s != NULL);\n  if (%s)\n    vp_%s_save(%s, b);\n",
         var, var, kind, var);
    return;
  }
  emit(g, "  vp_ckpt_need(r, 1);\n  if (vp_rd_u8(r)) {\n"
          "    if (!%s)\n      %s = %s;\n    vp_%s_load(%s, r);\n  }\n",
       var, var, make, kind, var);
}

static void gen_stage_state(gen *g, vpc_stream *st, vpc_stage *sg, bool save) {
  if (sg->kind == VPC_STAGE_WINDOW) {
    gen_object_state(g, win_var(st, sg), window_new(st, sg),
                     window_kind(st, sg), save);
  } else if (sg->kind == VPC_STAGE_DISTINCT) {
    gen_object_state(g, distinct_var(st, sg), "vp_distinct_new(100000)",
                     "distinct", save);
  } else if (sg->kind == VPC_STAGE_LIMIT) {
    const char *v = limit_var(st, sg);
    if (save)
      emit(g, "  vp_buf_i64(b, %s);\n", v);
    else
      emit(g, "  %s = vp_ckpt_i64(r);\n", v);
  }
}

// The stages of every stream that run in part (a region id, or PART_MAIN).
static void gen_stages_state(gen *g, int part, bool save) {
  vpc_sema *s = g->s;
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (!st->out)
      continue;
    for (int j = 0; j < st->stages.n; j++) {
      vpc_stage *sg = stage_at(st, j);
      if ((sg->region ? sg->region->id : PART_MAIN) == part)
        gen_stage_state(g, st, sg, save);
    }
  }
}

static void gen_main_state(gen *g, bool save, int nwm) {
  vpc_sema *s = g->s;
  emit(g, save ? "static void program_save(vp_buf *b) {\n"
               : "static void program_load(vp_rd *r) {\n");
  for (int i = 0; i < s->globals.n; i++) {
    vpc_sym *v = s->globals.items[i];
    if (v->binding == VPC_TK_VAR)
      gen_global_state(g, v, save);
  }
  gen_stages_state(g, PART_MAIN, save);
  if (nwm && save)
    emit(g, "  vp_buf_put(b, wm_max, sizeof wm_max);\n"
            "  vp_buf_put(b, wm_seen, sizeof wm_seen);\n"
            "  vp_buf_i64(b, wm_cur);\n  vp_buf_i64(b, wm_done);\n");
  else if (nwm)
    emit(g, "  vp_ckpt_need(r, sizeof wm_max + sizeof wm_seen);\n"
            "  memcpy(wm_max, r->p, sizeof wm_max);\n"
            "  r->p += sizeof wm_max;\n"
            "  memcpy(wm_seen, r->p, sizeof wm_seen);\n"
            "  r->p += sizeof wm_seen;\n"
            "  wm_cur = vp_ckpt_i64(r);\n  wm_done = vp_ckpt_i64(r);\n");
  emit(g, "  (void)%s;\n}\n\n", save ? "b" : "r");
}

static void gen_region_state(gen *g, vpc_stream *st, vpc_region *r) {
  emit(g, "static void %s(vp_buf *b) {\n", region_fn(st, r, "save"));
  gen_stages_state(g, r->id, true);
  emit(g, "}\n\nstatic void %s(vp_rd *r) {\n", region_fn(st, r, "load"));
  gen_stages_state(g, r->id, false);
  emit(g, "}\n\n");
}

static void gen_state(gen *g, int nwm) {
  vpc_sema *s = g->s;
  gen_main_state(g, true, nwm);
  gen_main_state(g, false, nwm);
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    for (int j = 0; j < st->regions.n && st->out; j++)
      if (((vpc_region *)st->regions.items[j])->keyed_state)
        gen_region_state(g, st, st->regions.items[j]);
  }
}

static void gen_stage(gen *g, vpc_stream *st, vpc_stage *sg) {
  switch (sg->kind) {
  case VPC_STAGE_PRINT:
    gen_print(g, st, sg);
    break;
  case VPC_STAGE_LOG:
    gen_log(g, st, sg);
    break;
  case VPC_STAGE_TO:
    gen_to(g, st, sg);
    break;
  case VPC_STAGE_WHERE:
    gen_where(g, st, sg);
    break;
  case VPC_STAGE_SELECT:
  case VPC_STAGE_EMIT:
    gen_projection(g, st, sg);
    break;
  case VPC_STAGE_MAP:
  case VPC_STAGE_PROCESS:
    gen_producer_stage(g, st, sg);
    break;
  case VPC_STAGE_PARTITION:
    gen_partition(g, st, sg);
    break;
  case VPC_STAGE_CONCURRENT:
    gen_submit(g, st, sg);
    break;
  case VPC_STAGE_COLLECT:
    gen_collect(g, st, sg);
    break;
  case VPC_STAGE_ON_ERROR:
    if (is_outer_handler(sg))
      gen_outer_handler(g, st, sg);
    break;
  case VPC_STAGE_WINDOW:
    gen_window(g, st, sg);
    break;
  case VPC_STAGE_AGGREGATE:
    gen_aggregate(g, st, sg);
    break;
  case VPC_STAGE_LIMIT:
    gen_limit(g, st, sg);
    break;
  case VPC_STAGE_DISTINCT:
    gen_distinct(g, st, sg);
    break;
  case VPC_STAGE_TAP:
    gen_tap(g, st, sg);
    break;
  case VPC_STAGE_ORDER_BY:
    gen_passthrough(g, st, sg);
    break;
  }
}

static void gen_stream_prototypes(gen *g, vpc_stream *st) {
  if (st->keyed_state)
    emit(g, "static vp_key %s;\n", key_var(st));
  for (int i = 0; i < st->stages.n; i++) {
    vpc_stage *sg = stage_at(st, i);
    if (sg->kind == VPC_STAGE_AGGREGATE && aggregate_folds(st, sg))
      gen_fold_declarations(g, st, sg);
    else if (sg->kind == VPC_STAGE_AGGREGATE)
      emit(g, "static int64_t %s(const vp_meta *ms, const %s *recs, size_t "
              "n, const uint8_t *key, size_t keylen);\n",
           agg_fn_name(st, sg), sg->in->event->cname);
    if (sg->kind != VPC_STAGE_ON_ERROR || is_outer_handler(sg))
      emit(g, "static int64_t %s(const vp_meta *m, const %s *ev);\n",
           stage_fn(st, i), ctype(sg->in));
    if (is_outer_handler(sg) && has_scope(sg))
      emit(g, "static int64_t s_%s_scope%d(const vp_meta *m, const %s "
              "*ev);\n",
           st->name, i, ctype(sg->scope_in));
  }
  for (int i = 0; i < st->regions.n; i++) {
    vpc_region *r = st->regions.items[i];
    emit(g, "static int64_t %s(const vp_meta *m, const %s *rec);\n",
         region_fn(st, r, "out"), r->exit->event->cname);
    if (r->keyed_state)
      // The keys each worker slot holds state for, to count those a
      // restart empties (5.7).
      emit(g, "static vp_agg_set *keys_r%d;\nstatic int32_t keys_r%d_n;\n"
              "static int64_t keys_r%d_reset;\n",
           r->id, r->id, r->id);
  }
  emit(g, "static int64_t s_%s_end(const vp_meta *m, const %s *rec);\n",
       st->name, st->out->event->cname);
}

static void gen_stream(gen *g, vpc_stream *st) {
  emit(g, "// stream %s\n\n", st->name);
  for (int i = 0; i < st->stages.n; i++)
    gen_stage(g, st, stage_at(st, i));
  for (int i = 0; i < st->regions.n; i++) {
    vpc_region *r = st->regions.items[i];
    gen_region_worker(g, st, r);
    gen_region_continuation(g, st, r);
    gen_region_result(g, st, r);
    gen_region_error(g, st, r);
    if (r->keyed_state)
      emit(g, "static void %s(int slot) {\n"
              "  if (!keys_r%d || slot >= keys_r%d_n)\n    return;\n"
              "  keys_r%d_reset += (int64_t)keys_r%d[slot].n;\n"
              "  vp_agg_set_clear(&keys_r%d[slot]);\n}\n\n",
           region_fn(st, r, "restart"), r->id, r->id, r->id, r->id, r->id);
  }
  gen_stream_end(g, st);
  gen_stream_entry(g, st);
}

// Outputs of a stream feed the streams that read it through a FIFO queue,
// drained after each input record (5.1). Each round works on a copy, so
// the records it unpacks stay put while new ones are queued. A record is
// read with the input record it came from in hand (the SEQ of
// --record-ids): a region may release it while a later one is read.
static void gen_flush(gen *g) {
  vpc_sema *s = g->s;
  emit(g, "static void program_flush(void) {\n"
          "  int64_t in_hand = vp_record_seq;\n"
          "  while (queue.n) {\n"
          "    vp_buf work = queue_work;\n"
          "    queue_work = queue;\n"
          "    queue = work;\n"
          "    queue.n = 0;\n"
          "    vp_rd rd = { queue_work.p, queue_work.p + queue_work.n };\n"
          "    while (rd.p < rd.end) {\n"
          "      int64_t target = vp_rd_i64(&rd);\n"
          "      vp_record_seq = vp_rd_i64(&rd);\n"
          "      vp_meta m;\n"
          "      memcpy(&m, rd.p, sizeof m);\n"
          "      rd.p += sizeof m;\n"
          "      switch (target) {\n");
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (!st->source_stream || !st->out)
      continue;
    const char *c = st->source_stream->out->event->cname;
    emit(g, "      case %d: {\n        %s rec;\n        unpack_%s(&rd, &rec);"
            "\n        s_%s_in(&m, &rec);\n        break;\n      }\n",
         st->id, c, c, st->name);
  }
  emit(g, "      default:\n        abort();\n      }\n    }\n  }\n"
          "  vp_record_seq = in_hand;\n}\n\n");
}

static bool reads_type(const vpc_stream *st, const char *type) {
  return !st->source_stream && !st->from && st->out &&
         !strcmp(st->source_type, type);
}

// The head of a route: the record of `type` from input record e, decoded
// and checked when the type is declared (8.6).
static void gen_route_head(gen *g, const char *fn_name, const char *type) {
  vpc_event *ev = vpc_find_event(type);
  if (ev) {
    emit(g, "static void %s(const vp_event *e) {\n"
            "  %s rec = { 0 };\n"
            "  vp_meta m = { e->origin, e->time_ns, e->time_from_data, 0 };\n"
            "  const char *why = decode_%s(e, &rec, &m);\n"
            "  if (why) {\n    vp_parse_error(e, why);\n    return;\n  }\n",
         fn_name, ev->cname, ev->cname);
  } else {
    emit(g, "static void %s(const vp_event *e) {\n"
            "  vp_dynrec rec = vp_dynrec_of_event(e);\n"
            "  vp_meta m = { e->origin, e->time_ns, e->time_from_data, 0 };\n",
         fn_name);
  }
}

// Streams that read a file connector (E.from(C)) get a route of their own
// and a place in the sources table.
static int gen_sources(gen *g) {
  vpc_sema *s = g->s;
  int n = 0;
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (!st->from || !st->out)
      continue;
    n++;
    gen_route_head(g, vpc_format("source_%s", st->name), st->source_type);
    emit(g, "  s_%s_in(&m, &rec);\n}\n\n", st->name);
  }
  if (!n) {
    emit(g, "static const vp_source *const sources = NULL;\n\n");
    return 0;
  }
  emit(g, "static const vp_source sources[] = {\n");
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (!st->from || !st->out)
      continue;
    const char *fmt = !st->from->format ? "VP_FORMAT_AUTO"
                      : !strcmp(st->from->format, "evt")   ? "VP_FORMAT_EVT"
                      : !strcmp(st->from->format, "jsonl") ? "VP_FORMAT_JSONL"
                                                           : "VP_FORMAT_AUTO";
    emit(g, "  { \"%s\", %s, \"%s\", source_%s },\n",
         c_escape(st->from->path, strlen(st->from->path)), fmt,
         st->source_type, st->name);
  }
  emit(g, "};\n\n");
  return n;
}

// One route per event type some stream reads (5.1): a declared type is
// decoded and checked (8.6), an undeclared one passes as it is.
static bool has_watermark(vpc_sema *s) {
  for (int i = 0; i < s->streams.n; i++)
    if (((vpc_stream *)s->streams.items[i])->out_of_order_ns >= 0)
      return true;
  return false;
}

// Watermarks (7.2): per input type the largest event time seen minus the
// type's out_of_order; the program's W is the minimum over the types seen.
// When W passes a new high, tumbling windows and sessions may close.
static void gen_watermark(gen *g, vpc_list *types) {
  vpc_sema *s = g->s;
  emit(g, "static int64_t wm_max[%d], wm_delay[%d];\n"
          "static bool wm_seen[%d];\n"
          "static int64_t wm_cur = INT64_MIN, wm_done = INT64_MIN;\n\n",
       types->n, types->n, types->n);
  emit(g, "static void wm_note(int type, int64_t t) {\n");
  for (int i = 0; i < types->n; i++) {
    int64_t d = 0;
    for (int j = 0; j < s->streams.n; j++) {
      vpc_stream *st = s->streams.items[j];
      if (reads_type(st, types->items[i]) && st->out_of_order_ns > d)
        d = st->out_of_order_ns;
    }
    emit(g, "  wm_delay[%d] = %lld;\n", i, (long long)d);
  }
  emit(g, "  if (!wm_seen[type] || t > wm_max[type])\n"
          "    wm_max[type] = t;\n"
          "  wm_seen[type] = true;\n"
          "  int64_t w = INT64_MAX;\n"
          "  for (int i = 0; i < %d; i++)\n"
          "    if (wm_seen[i] && wm_max[i] - wm_delay[i] < w)\n"
          "      w = wm_max[i] - wm_delay[i];\n"
          "  wm_cur = w;\n"
          "  if (w <= wm_done)\n    return;\n"
          "  wm_done = w;\n",
       types->n);
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (!st->out)
      continue;
    for (int j = 0; j < st->stages.n; j++) {
      vpc_stage *sg = stage_at(st, j);
      if (sg->kind == VPC_STAGE_WINDOW &&
          (sg->win_kind == VPC_WIN_TIME || sg->win_kind == VPC_WIN_SESSION))
        emit(g, "  if (%s)\n    vp_window_watermark(%s, w);\n",
             win_var(st, sg), win_var(st, sg));
    }
  }
  emit(g, "}\n\n");
}

// Whether a declared type gets a fast .evt reader (evtfast.h): one that
// fills its fields straight from the text. Only plain field types can be
// read that way, and a field named timestamp also gives the event time
// (rule 2 of 8.5), which only the generic path works out.
static bool has_fast_reader(const vpc_event *ev) {
  if (!ev || ev->time_field >= 0 || ev->fields.n > 64)
    return false;
  for (int i = 0; i < ev->fields.n; i++) {
    const vpc_field *f = ev->fields.items[i];
    const vpc_type *t = f->type;
    if (t->kind == VPC_TY_OPTIONAL)
      t = t->elem;
    if (!strcmp(f->name, "timestamp") || !is_flat(t))
      return false;
  }
  return true;
}

static const char *fast_value_reader(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_INT:
    return "vp_fx_int";
  case VPC_TY_FLOAT:
    return "vp_fx_float";
  case VPC_TY_BOOL:
    return "vp_fx_bool";
  default:
    return "vp_fx_str";
  }
}

// The field names of one length, matched to their indexes; anything else
// leaves the record to the generic parser.
static void gen_fast_names_of_length(gen *g, const vpc_event *ev,
                                     size_t len) {
  emit(g, "      case %zu:\n", len);
  for (int i = 0; i < ev->fields.n; i++) {
    const vpc_field *f = ev->fields.items[i];
    if (strlen(f->name) == len)
      emit(g, "        if (!memcmp(name, \"%s\", %zu)) {\n"
              "          f = %d;\n          break;\n        }\n",
           f->name, len, i);
  }
  emit(g, "        return false;\n");
}

// The fast reader of a declared type: `{ field: value, ... }` after the
// type name, every required field present. Records mostly list their
// fields in the declared order, so the field after the last one read is
// tried first; any other name is looked up by length and bytes. A
// repeated field's last value counts, as in the generic parser.
static void gen_fast_reader(gen *g, const vpc_event *ev, const char *type) {
  uint64_t required = 0;
  bool lengths[256] = { false };
  for (int i = 0; i < ev->fields.n; i++) {
    const vpc_field *f = ev->fields.items[i];
    if (f->type->kind != VPC_TY_OPTIONAL)
      required |= UINT64_C(1) << i;
    if (strlen(f->name) < sizeof lengths)
      lengths[strlen(f->name)] = true;
  }
  emit(g, "static bool fast_%s(const vp_event *e, const char *body, "
          "const char *end) {\n"
          "  %s rec = { 0 };\n"
          "  uint64_t seen = 0;\n"
          "  int f = -1;\n"
          "  vp_fx c = { body, end };\n"
          "  if (!vp_fx_eat(&c, '{'))\n    return false;\n"
          "  while (!vp_fx_eat(&c, '}')) {\n"
          "    switch (f + 1) {\n",
       type, ev->cname);
  for (int i = 0; i < ev->fields.n; i++) {
    const vpc_field *f = ev->fields.items[i];
    emit(g, "    case %d:\n      f = vp_fx_lit(&c, \"%s\", %zu) ? %d : -1;\n"
            "      break;\n",
         i, f->name, strlen(f->name), i);
  }
  emit(g, "    default:\n      f = -1;\n    }\n"
          "    if (f < 0) {\n"
          "      const char *name;\n      size_t len;\n"
          "      if (!vp_fx_name(&c, &name, &len))\n        return false;\n"
          "      switch (len) {\n");
  for (size_t len = 1; len < sizeof lengths; len++)
    if (lengths[len])
      gen_fast_names_of_length(g, ev, len);
  emit(g, "      default:\n        return false;\n      }\n    }\n"
          "    switch (f) {\n");
  for (int i = 0; i < ev->fields.n; i++) {
    const vpc_field *f = ev->fields.items[i];
    bool opt = f->type->kind == VPC_TY_OPTIONAL;
    const vpc_type *t = opt ? f->type->elem : f->type;
    emit(g, "    case %d:\n      if (!%s(&c, &rec.f_%s%s))\n"
            "        return false;\n",
         i, fast_value_reader(t), f->name, opt ? ".v" : "");
    if (opt)
      emit(g, "      rec.f_%s.has = true;\n", f->name);
    emit(g, "      break;\n");
  }
  emit(g, "    }\n    seen |= UINT64_C(1) << f;\n"
          "    if (!vp_fx_next(&c))\n      return false;\n  }\n"
          "  if (!vp_fx_finish(&c) || (seen & UINT64_C(%llu)) != "
          "UINT64_C(%llu))\n    return false;\n"
          "  vp_meta m = { e->origin, e->time_ns, e->time_from_data, 0 };\n"
          "  deliver_%s(m, rec);\n  return true;\n}\n\n",
       (unsigned long long)required, (unsigned long long)required, type);
}

// What a route does with its record `rec` and metadata `m`.
static void gen_route_body(gen *g, const char *type, int index, bool wm) {
  vpc_sema *s = g->s;
  if (wm)
    emit(g, "  wm_note(%d, m.time_ns);\n", index);
  for (int j = 0; j < s->streams.n; j++) {
    vpc_stream *st = s->streams.items[j];
    if (!reads_type(st, type))
      continue;
    if (wm && st->lateness_ns >= 0) {
      // A late record goes to the dead-letter output instead (7.2).
      const char *c = stream_input(st)->event->cname;
      emit(g, "  if (wm_cur != INT64_MIN && m.time_ns < wm_cur - %lldLL) {\n"
              "    vp_counts[%d].in++;\n"
              "    vp_counts[%d].dead_lettered++;\n"
              "    vp_stream_error err = { \"late\", "
              "vp_window_late_message(m.time_ns, wm_cur, %lldLL), -1, 1, "
              "\"%s\", m.origin };\n"
              "    dlq_ref d = { &rec, %s, &m };\n"
              "    vp_dead_letter(&err, write_any_%s, &d, NULL);\n"
              "  } else {\n  ",
           (long long)st->lateness_ns, st->id, st->id,
           (long long)st->lateness_ns, st->name,
           type_name_code(type, "&rec"), c);
      emit(g, "  s_%s_in(&m, &rec);\n  }\n", st->name);
      continue;
    }
    emit(g, "  s_%s_in(&m, &rec);\n", st->name);
  }
}

// A route hands each record of its type to the streams reading it. A
// declared type's record is decoded, or read by its fast reader, and
// then delivered.
static void gen_route(gen *g, const char *type, int index, bool wm) {
  vpc_event *ev = vpc_find_event(type);
  if (!ev) {
    gen_route_head(g, vpc_format("route_%s", type), type);
    gen_route_body(g, type, index, wm);
    emit(g, "}\n\n");
    return;
  }
  emit(g, "static void deliver_%s(vp_meta m, %s rec) {\n", type, ev->cname);
  gen_route_body(g, type, index, wm);
  emit(g, "}\n\n");
  gen_route_head(g, vpc_format("route_%s", type), type);
  emit(g, "  deliver_%s(m, rec);\n}\n\n", type);
  if (has_fast_reader(ev))
    gen_fast_reader(g, ev, type);
}

static int gen_routes(gen *g) {
  vpc_sema *s = g->s;
  for (int i = 0; i < s->events.n; i++)
    gen_decoder(g, s->events.items[i]);
  vpc_list types = { 0 };
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (st->source_stream || st->from || !st->out)
      continue;
    bool seen = false;
    for (int j = 0; j < types.n && !seen; j++)
      seen = !strcmp(types.items[j], st->source_type);
    if (!seen)
      vpc_list_push(&types, (void *)st->source_type);
  }
  bool wm = has_watermark(s) && types.n;
  if (wm)
    gen_watermark(g, &types);
  for (int i = 0; i < types.n; i++)
    gen_route(g, types.items[i], i, wm);
  if (!types.n) {
    emit(g, "static const vp_route *const routes = NULL;\n\n");
    return 0;
  }
  emit(g, "static const vp_route routes[] = {\n");
  for (int i = 0; i < types.n; i++) {
    const char *t = types.items[i];
    if (has_fast_reader(vpc_find_event(t)))
      emit(g, "  { \"%s\", route_%s, fast_%s },\n", t, t, t);
    else
      emit(g, "  { \"%s\", route_%s, NULL },\n", t, t);
  }
  emit(g, "};\n\n");
  return types.n;
}

static const char *const strategy_names[] = {
  "VP_STRATEGY_CONSISTENT_HASH", "VP_STRATEGY_ROUND_ROBIN",
  "VP_STRATEGY_BROADCAST"
};
static const char *const restart_names[] = { "VP_RESTART_ALWAYS",
                                             "VP_RESTART_ON_FAILURE",
                                             "VP_RESTART_NEVER" };
static const char *const backoff_names[] = { "VP_BACKOFF_EXPONENTIAL",
                                             "VP_BACKOFF_FIXED",
                                             "VP_BACKOFF_NONE" };

static void gen_region_desc(gen *g, vpc_stream *st, vpc_region *r) {
  const vp_sup_config *u = &r->sup;
  emit(g, "  {\n    .id = %d,\n    .stream = \"%s\",\n"
          "    .max_workers = %d,\n"
          "    .strategy = %s,\n    .order = %s,\n"
          "    .queue_capacity = %d,\n    .recycle_after = %" PRId64 ",\n",
       r->id, st->name, r->max_workers, strategy_names[r->strategy],
       r->order ? "VP_ORDER_INPUT" : "VP_ORDER_COMPLETION", r->queue_capacity,
       r->recycle_after);
  emit(g, "    .sup = {\n      .restart = %s,\n"
          "      .max_restarts = %" PRId64 ",\n"
          "      .restart_window_ns = %" PRId64 ",\n"
          "      .backoff = %s,\n      .backoff_initial_ns = %" PRId64 ",\n"
          "      .backoff_max_ns = %" PRId64 ",\n"
          "      .backoff_multiplier = %s,\n      .backoff_jitter = %s,\n",
       restart_names[u->restart], u->max_restarts, u->restart_window_ns,
       backoff_names[u->backoff], u->backoff_initial_ns, u->backoff_max_ns,
       gen_float_literal(u->backoff_multiplier),
       gen_float_literal(u->backoff_jitter));
  emit(g, "      .breaker_enabled = %s,\n"
          "      .breaker_failure_threshold = %" PRId64 ",\n"
          "      .breaker_timeout_ns = %" PRId64 ",\n"
          "      .breaker_half_open_requests = %" PRId64 ",\n"
          "      .breaker_count_errors = %s,\n"
          "      .health_enabled = %s,\n"
          "      .health_interval_ns = %" PRId64 ",\n"
          "      .health_timeout_ns = %" PRId64 ",\n    },\n",
       u->breaker_enabled ? "true" : "false", u->breaker_failure_threshold,
       u->breaker_timeout_ns, u->breaker_half_open_requests,
       u->breaker_count_errors ? "true" : "false",
       u->health_enabled ? "true" : "false", u->health_interval_ns,
       u->health_timeout_ns);
  emit(g, "    .work = %s,\n    .on_result = %s,\n    .on_error = %s,\n"
          "    .on_restart = %s,\n    .save = %s,\n    .load = %s,\n  },\n",
       region_fn(st, r, "work"), region_fn(st, r, "result"),
       region_fn(st, r, "error"),
       r->keyed_state ? region_fn(st, r, "restart") : "NULL",
       r->keyed_state ? region_fn(st, r, "save") : "NULL",
       r->keyed_state ? region_fn(st, r, "load") : "NULL");
}

static void gen_program(gen *g, const char *vpl_path, int nroutes,
                        int nsources) {
  vpc_sema *s = g->s;
  if (s->regions.n) {
    emit(g, "static const vp_region_desc regions[] = {\n");
    for (int i = 0; i < s->streams.n; i++) {
      vpc_stream *st = s->streams.items[i];
      for (int j = 0; j < st->regions.n; j++)
        gen_region_desc(g, st, st->regions.items[j]);
    }
    emit(g, "};\n\n");
  }
  emit(g, "static const char *const stream_names[] = {\n");
  for (int i = 0; i < s->streams.n; i++)
    emit(g, "  \"%s\",\n", ((vpc_stream *)s->streams.items[i])->name);
  emit(g, "  NULL,\n};\n\n");
  const char *base = strrchr(vpl_path, '/') ? strrchr(vpl_path, '/') + 1
                                            : vpl_path;
  const char *fmt = !s->config_format                 ? "VP_FORMAT_AUTO"
                    : !strcmp(s->config_format, "evt") ? "VP_FORMAT_EVT"
                    : !strcmp(s->config_format, "jsonl")
                        ? "VP_FORMAT_JSONL"
                        : "VP_FORMAT_AUTO";
  emit(g, "int main(int argc, char **argv) {\n"
          "  static const vp_program program = {\n"
          "    .name = \"%s\",\n    .routes = routes,\n    .nroutes = %d,\n"
          "    .regions = %s,\n    .nregions = %d,\n"
          "    .sources = sources,\n    .nsources = %d,\n"
          "    .streams = stream_names,\n    .nstreams = %d,\n"
          "    .init = program_init,\n    .flush = program_flush,\n"
          "    .finish = program_finish,\n"
          "    .fingerprint = 0x%016" PRIx64 "ULL,\n"
          "    .save = program_save,\n    .load = program_load,\n"
          "    .default_format = %s,\n",
       c_escape(base, strlen(base)), nroutes,
       s->regions.n ? "regions" : "NULL", s->regions.n, nsources,
       s->streams.n, vpc_fnv1a64(g->out->p, g->out->n), fmt);
  emit(g, "    .default_output = %s,\n    .default_dlq = %s,\n  };\n"
          "  return vp_main(&program, argc, argv);\n}\n",
       s->config_output ? vpc_format("\"%s\"", c_escape(s->config_output,
                                                        strlen(
                                                            s->config_output)))
                        : "NULL",
       s->config_dlq
           ? vpc_format("\"%s\"", c_escape(s->config_dlq,
                                           strlen(s->config_dlq)))
           : "NULL");
}

void vpc_codegen(vpc_sema *s, const char *vpl_path, const char *c_name,
                 vpc_sbuf *out) {
  gen g = { .s = s, .out = out, .c_name = c_name };
  emit(&g, "// Generated by vpc " VPC_VERSION " from %s. Do not edit.\n"
           "#include \"vprt.h\"\n\n",
       c_escape(vpl_path, strlen(vpl_path)));
  gen_types(&g);
  for (int i = 0; i < s->records.n; i++)
    gen_record_helpers(&g, s->records.items[i]);
  gen_dynrec_helpers(&g);
  gen_handler_support(&g);
  emit(&g, "static vp_buf queue, queue_work;\n\n");
  gen_functions(&g);
  gen_init(&g);
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (st->out)
      gen_stream_prototypes(&g, st);
  }
  emit(&g, "\n");
  for (int i = 0; i < s->streams.n; i++) {
    vpc_stream *st = s->streams.items[i];
    if (st->out)
      gen_stream(&g, st);
  }
  gen_flush(&g);
  gen_finish(&g);
  int nroutes = gen_routes(&g);
  int nsources = gen_sources(&g);
  gen_state(&g, has_watermark(s) && nroutes);
  gen_program(&g, vpl_path, nroutes, nsources);
}
