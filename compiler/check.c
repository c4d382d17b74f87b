// Type checking of expressions, statements and function bodies
// (LANGUAGE.md 3 and 4). Every node gets its type in node->type and every
// name its symbol in node->sym, which is all codegen.c needs.
// SPDX-License-Identifier: MIT
#include <string.h>

#include "builtins.h"
#include "lex.h"
#include "parse.h"
#include "sema_int.h"

static vpc_node *arg_node(vpc_node *call, int i);

static vpc_type *err_type(void) {
  return &ty_error;
}

void vpc_push_scope(vpc_ctx *cx, vpc_scope *sc) {
  memset(sc, 0, sizeof *sc);
  sc->up = cx->scope;
  cx->scope = sc;
}

void vpc_pop_scope(vpc_ctx *cx) {
  cx->scope = cx->scope->up;
}

static vpc_sym *find_local(vpc_ctx *cx, const char *name, bool innermost) {
  for (vpc_scope *sc = cx->scope; sc; sc = sc->up) {
    for (int i = sc->syms.n - 1; i >= 0; i--) {
      vpc_sym *s = sc->syms.items[i];
      if (!strcmp(s->name, name))
        return s;
    }
    if (innermost)
      break;
  }
  return NULL;
}

vpc_sym *vpc_declare_local(vpc_ctx *cx, const char *name, vpc_type *type,
                           int binding, vpc_pos pos) {
  static int counter;
  if (find_local(cx, name, true))
    vpc_error(pos, "'%s' is already declared in this block", name);
  vpc_sym *s = vpc_alloc(sizeof *s);
  s->kind = VPC_SYM_LOCAL;
  s->name = name;
  s->type = type;
  s->binding = binding;
  s->pos = pos;
  s->cname = vpc_format("l_%s_%d", name, ++counter);
  vpc_list_push(&cx->scope->syms, s);
  return s;
}

vpc_field *vpc_event_field(const vpc_event *ev, const char *name, int *index) {
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    if (!strcmp(f->name, name)) {
      if (index)
        *index = i;
      return f;
    }
  }
  return NULL;
}

static const char *field_list(const vpc_event *ev) {
  vpc_sbuf b = { 0 };
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    vpc_sbuf_printf(&b, "%s%s", i ? ", " : "", f->name);
  }
  const char *s = vpc_strdup(b.p ? b.p : "");
  vpc_sbuf_free(&b);
  return s;
}

static void no_such_field(vpc_pos pos, const vpc_event *ev, const char *f) {
  const char *hint = vpc_format("fields are: %s", field_list(ev));
  if (ev->declared)
    vpc_error_hint(pos, hint, "event '%s' has no field '%s'", ev->name, f);
  else
    vpc_error_hint(pos, hint, "record has no field '%s'", f);
}

// Region code may not reach a global var (2.5), also through functions:
// a function remembers the first one it touches for its callers.
static void note_global_var(vpc_ctx *cx, vpc_sym *g, vpc_pos pos,
                            const vpc_fn *via) {
  if (cx->fn && !cx->fn->global_var) {
    cx->fn->global_var = g;
    cx->fn->global_var_pos = via ? via->global_var_pos : pos;
  }
  if (!cx->in_region)
    return;
  vpc_error(pos,
            "global var '%s' is not accessible inside a concurrent region",
            g->name);
  if (via)
    vpc_note(via->global_var_pos, "'%s' reaches '%s' here", via->name,
             g->name);
}

// The local or global whose name is closest to name, for hints.
static const char *closest_name(vpc_ctx *cx, const char *name) {
  vpc_closest c = { .target = name };
  for (vpc_scope *sc = cx->scope; sc; sc = sc->up)
    for (int i = 0; i < sc->syms.n; i++)
      vpc_closest_offer(&c, ((vpc_sym *)sc->syms.items[i])->name);
  vpc_sema *sema = vpc_current_sema();
  for (int i = 0; i < sema->globals.n; i++)
    vpc_closest_offer(&c, ((vpc_sym *)sema->globals.items[i])->name);
  return c.best;
}

// A bare name: local, then (in operator arguments) a field of the current
// element, then a global (5.1, 2.5).
static vpc_type *check_name(vpc_ctx *cx, vpc_node *n) {
  vpc_sym *s = find_local(cx, n->name, false);
  if (s) {
    n->sym = s;
    return s->type;
  }
  if (cx->implicit && cx->implicit->dynamic && !vpc_find_global(n->name)) {
    // Every other name is a field of an undeclared event type (5.1).
    vpc_sym *fs = vpc_alloc(sizeof *fs);
    fs->kind = VPC_SYM_FIELD;
    fs->name = n->name;
    fs->type = &ty_any;
    n->sym = fs;
    return &ty_any;
  }
  if (cx->implicit) {
    int index;
    vpc_field *f = vpc_event_field(cx->implicit, n->name, &index);
    if (f && vpc_find_global(n->name))
      vpc_warning(n->pos, "field '%s' hides the global of that name",
                  n->name);
    if (f) {
      vpc_sym *fs = vpc_alloc(sizeof *fs);
      fs->kind = VPC_SYM_FIELD;
      fs->name = f->name;
      fs->type = f->type;
      n->sym = fs;
      return f->type;
    }
  }
  vpc_sym *g = vpc_find_global(n->name);
  if (g && g->type) {
    if (g->binding == VPC_TK_VAR)
      note_global_var(cx, g, n->pos, NULL);
    n->sym = g;
    return g->type;
  }
  if (cx->probe && !cx->implicit) {
    // Any other bare name makes the function event-bound (2.6).
    if (!cx->fn->event_bound) {
      cx->fn->field_name = n->name;
      cx->fn->field_pos = n->pos;
      cx->fn->field_hint = closest_name(cx, n->name);
    }
    cx->fn->event_bound = true;
    return err_type();
  }
  if (cx->implicit && !cx->implicit->dynamic) {
    no_such_field(n->pos, cx->implicit, n->name);
    return err_type();
  }
  const char *best = closest_name(cx, n->name);
  if (best)
    vpc_error_hint(n->pos, vpc_format("did you mean '%s'?", best),
                   "unknown name '%s'", n->name);
  else
    vpc_error(n->pos, "unknown name '%s'", n->name);
  return err_type();
}

static vpc_type *stream_error_field(vpc_node *n) {
  static const char *const strs[] = { "kind", "message", "stream" };
  static const char *const ints[] = { "worker", "attempt", "seq" };
  for (int i = 0; i < 3; i++) {
    if (!strcmp(n->name, strs[i]))
      return &ty_str;
    if (!strcmp(n->name, ints[i]))
      return &ty_int;
  }
  vpc_error_hint(n->name_pos,
                 "fields are: kind, message, worker, attempt, stream, seq",
                 "StreamError has no field '%s'", n->name);
  return err_type();
}

static vpc_type *record_field(vpc_node *n, vpc_type *rt) {
  vpc_field *f = vpc_event_field(rt->event, n->name, NULL);
  if (!f) {
    no_such_field(n->name_pos, rt->event, n->name);
    return err_type();
  }
  return f->type;
}

// E.f where E names the current element's type reads field f (5.1).
static bool is_type_qualified_field(vpc_ctx *cx, vpc_node *n) {
  return n->a->kind == VPC_NODE_NAME && cx->implicit &&
         !find_local(cx, n->a->name, false) &&
         !strcmp(n->a->name, cx->implicit->name);
}

static vpc_type *check_member(vpc_ctx *cx, vpc_node *n) {
  if (is_type_qualified_field(cx, n)) {
    n->kind = VPC_NODE_NAME;
    n->pos = n->name_pos;
    return check_name(cx, n);
  }
  vpc_type *t = vpc_check_expr(cx, n->a);
  bool optional = n->kind == VPC_NODE_OPT_MEMBER;
  if (t->kind == VPC_TY_ERROR)
    return t;
  if (t->kind == VPC_TY_OPTIONAL) {
    if (!optional) {
      vpc_error(n->name_pos, "'%s' may be null; use ?. or ??",
                vpc_type_name(t));
      return err_type();
    }
    t = t->elem;
  }
  vpc_type *ft;
  if (vpc_is_dynamic(t) || t->kind == VPC_TY_ANY)
    ft = &ty_any;
  else if (t->kind == VPC_TY_MAP)
    ft = t->elem;  // m.f is m["f"] (4.4)
  else if (t->kind == VPC_TY_RECORD)
    ft = record_field(n, t);
  else if (t->kind == VPC_TY_STREAM_ERROR)
    ft = stream_error_field(n);
  else {
    vpc_error(n->name_pos, "type %s has no field '%s'", vpc_type_name(t),
              n->name);
    return err_type();
  }
  return optional ? vpc_optional_of(ft) : ft;
}

// Operands of arithmetic and ordering may not be nullable (4.4).
static bool reject_nullable(vpc_node *operand, vpc_type *t) {
  if (t->kind != VPC_TY_OPTIONAL && t->kind != VPC_TY_NULL)
    return false;
  const char *what = operand->kind == VPC_NODE_NAME     ? operand->name
                     : operand->kind == VPC_NODE_MEMBER ? operand->name
                                                        : "operand";
  vpc_error(operand->pos, "'%s' may be null; use ?? to give a default",
            what);
  return true;
}

static vpc_type *arith_type(vpc_node *n, vpc_type *a, vpc_type *b) {
  int op = n->op;
  if (a->kind == VPC_TY_ERROR || b->kind == VPC_TY_ERROR)
    return err_type();
  // With an any operand the kinds meet at run time (4.4).
  if (a->kind == VPC_TY_ANY || b->kind == VPC_TY_ANY) {
    vpc_type *other = a->kind == VPC_TY_ANY ? b : a;
    if (other->kind == VPC_TY_ANY || other->kind == VPC_TY_INT ||
        other->kind == VPC_TY_FLOAT || other->kind == VPC_TY_STR)
      return &ty_any;
  }
  if (op == VPC_TK_PLUS && a->kind == VPC_TY_STR && b->kind == VPC_TY_STR)
    return &ty_str;
  if (vpc_is_numeric(a) && vpc_is_numeric(b)) {
    if (a->kind == VPC_TY_INT && b->kind == VPC_TY_INT)
      return &ty_int;
    return &ty_float;
  }
  // Time arithmetic (4.4).
  vpc_type_kind ak = a->kind, bk = b->kind;
  if (op == VPC_TK_PLUS || op == VPC_TK_MINUS) {
    if (ak == VPC_TY_TIMESTAMP && bk == VPC_TY_DURATION)
      return &ty_timestamp;
    if (op == VPC_TK_MINUS && ak == VPC_TY_TIMESTAMP &&
        bk == VPC_TY_TIMESTAMP)
      return &ty_duration;
    if (ak == VPC_TY_DURATION && bk == VPC_TY_DURATION)
      return &ty_duration;
  }
  if (op == VPC_TK_STAR && ak == VPC_TY_DURATION && vpc_is_numeric(b))
    return &ty_duration;
  if (op == VPC_TK_SLASH && ak == VPC_TY_DURATION && bk == VPC_TY_INT)
    return &ty_duration;
  if (op == VPC_TK_SLASH && ak == VPC_TY_DURATION && bk == VPC_TY_DURATION)
    return &ty_float;
  vpc_error(n->pos, "operator %s cannot take %s and %s",
            vpc_token_name(op), vpc_type_name(a), vpc_type_name(b));
  return err_type();
}

static bool comparable(vpc_type *a, vpc_type *b, bool ordering) {
  if (a->kind == VPC_TY_ERROR || b->kind == VPC_TY_ERROR)
    return true;
  if (a->kind == VPC_TY_ANY || b->kind == VPC_TY_ANY)
    return vpc_assignable(a, b);
  if (vpc_is_numeric(a) && vpc_is_numeric(b))
    return true;
  if (!ordering) {
    if (a->kind == VPC_TY_NULL || b->kind == VPC_TY_NULL)
      return true;
    vpc_type *ae = a->kind == VPC_TY_OPTIONAL ? a->elem : a;
    vpc_type *be = b->kind == VPC_TY_OPTIONAL ? b->elem : b;
    if (vpc_is_numeric(ae) && vpc_is_numeric(be))
      return true;
    if (ae->kind == be->kind &&
        (ae->kind == VPC_TY_ARRAY || ae->kind == VPC_TY_MAP))
      return vpc_assignable(ae, be) || vpc_assignable(be, ae);
    return vpc_type_equal(ae, be) && ae->kind != VPC_TY_RESULT;
  }
  if (a->kind != b->kind)
    return false;
  return a->kind == VPC_TY_STR || a->kind == VPC_TY_TIMESTAMP ||
         a->kind == VPC_TY_DURATION;
}

static vpc_type *check_binary(vpc_ctx *cx, vpc_node *n) {
  int op = n->op;
  vpc_type *a = vpc_check_expr(cx, n->a);
  if (op == VPC_TK_IS) {
    if (n->name && strcmp(n->name, "int") && strcmp(n->name, "float") &&
        strcmp(n->name, "bool") && strcmp(n->name, "str") &&
        strcmp(n->name, "timestamp") && strcmp(n->name, "duration"))
      vpc_error(n->name_pos, "'is' takes null or one of int, float, bool, "
                             "str, timestamp, duration");
    return &ty_bool;
  }
  vpc_type *b = vpc_check_expr(cx, n->b);
  switch (op) {
  case VPC_TK_AND:
  case VPC_TK_OR:
    if (!vpc_assignable(a, &ty_bool))
      vpc_mismatch(n->a->pos, &ty_bool, a);
    if (!vpc_assignable(b, &ty_bool))
      vpc_mismatch(n->b->pos, &ty_bool, b);
    return &ty_bool;
  case VPC_TK_COALESCE: {
    if (a->kind == VPC_TY_ANY)
      return vpc_assignable(b, &ty_any) ? &ty_any : b;
    if (a->kind != VPC_TY_OPTIONAL && a->kind != VPC_TY_NULL &&
        a->kind != VPC_TY_ERROR)
      return vpc_unify(a, b) ? vpc_unify(a, b) : a;
    vpc_type *ae = a->kind == VPC_TY_OPTIONAL ? a->elem : b;
    vpc_type *u = vpc_unify(ae, b);
    if (!u) {
      vpc_mismatch(n->b->pos, ae, b);
      return err_type();
    }
    return u;
  }
  case VPC_TK_EQ:
  case VPC_TK_NE:
    if (!comparable(a, b, false))
      vpc_error(n->pos, "cannot compare %s with %s", vpc_type_name(a),
                vpc_type_name(b));
    return &ty_bool;
  case VPC_TK_LT:
  case VPC_TK_LE:
  case VPC_TK_GT:
  case VPC_TK_GE:
    if (reject_nullable(n->a, a) || reject_nullable(n->b, b))
      return &ty_bool;
    if (!comparable(a, b, true))
      vpc_error(n->pos, "cannot order %s and %s", vpc_type_name(a),
                vpc_type_name(b));
    return &ty_bool;
  case VPC_TK_IN:
    if (b->kind == VPC_TY_STR || b->kind == VPC_TY_MAP) {
      if (!vpc_assignable(a, &ty_str))
        vpc_mismatch(n->a->pos, &ty_str, a);
    } else if (b->kind == VPC_TY_ARRAY) {
      if (!comparable(a, b->elem, false))
        vpc_mismatch(n->a->pos, b->elem, a);
    } else if (b->kind != VPC_TY_ERROR && b->kind != VPC_TY_ANY) {
      vpc_error(n->b->pos, "'in' needs an array, a map or a str, got %s",
                vpc_type_name(b));
    }
    return &ty_bool;
  case VPC_TK_AMP:
  case VPC_TK_PIPE:
  case VPC_TK_CARET:
  case VPC_TK_SHL:
  case VPC_TK_SHR:
    if (reject_nullable(n->a, a) || reject_nullable(n->b, b))
      return err_type();
    if (!vpc_assignable(a, &ty_int) || a->kind == VPC_TY_FLOAT)
      vpc_mismatch(n->a->pos, &ty_int, a);
    if (!vpc_assignable(b, &ty_int) || b->kind == VPC_TY_FLOAT)
      vpc_mismatch(n->b->pos, &ty_int, b);
    return &ty_int;
  case VPC_TK_POW:
    if (reject_nullable(n->a, a) || reject_nullable(n->b, b))
      return err_type();
    if (!vpc_is_numeric(a) || !vpc_is_numeric(b)) {
      vpc_error(n->pos, "operator '**' takes numbers");
      return err_type();
    }
    return a->kind == VPC_TY_INT && b->kind == VPC_TY_INT ? &ty_int
                                                          : &ty_float;
  default:
    if (reject_nullable(n->a, a) || reject_nullable(n->b, b))
      return err_type();
    return arith_type(n, a, b);
  }
}

static vpc_type *check_unary(vpc_ctx *cx, vpc_node *n) {
  // -9223372036854775808 is one literal (1.4): the lexer gives its digits
  // as INT64_MIN, valid only here.
  if (n->op == VPC_TK_MINUS && n->a->kind == VPC_NODE_INT)
    n->a->flag = true;
  vpc_type *a = vpc_check_expr(cx, n->a);
  if (a->kind == VPC_TY_ERROR)
    return a;
  if (n->op == VPC_TK_NOT) {
    if (!vpc_assignable(a, &ty_bool))
      vpc_mismatch(n->a->pos, &ty_bool, a);
    return &ty_bool;
  }
  if (a->kind == VPC_TY_ANY && n->op == VPC_TK_MINUS)
    return a;
  if (reject_nullable(n->a, a))
    return err_type();
  if (n->op == VPC_TK_TILDE) {
    if (a->kind != VPC_TY_INT && a->kind != VPC_TY_ANY)
      vpc_mismatch(n->a->pos, &ty_int, a);
    return &ty_int;
  }
  if (a->kind == VPC_TY_INT || a->kind == VPC_TY_FLOAT ||
      a->kind == VPC_TY_DURATION)
    return a;
  vpc_error(n->pos, "operator '-' cannot take %s", vpc_type_name(a));
  return err_type();
}

static vpc_type *check_if_expr(vpc_ctx *cx, vpc_node *n) {
  vpc_type *c = vpc_check_expr(cx, n->a);
  if (!vpc_assignable(c, &ty_bool))
    vpc_mismatch(n->a->pos, &ty_bool, c);
  vpc_type *a = vpc_check_expr(cx, n->b);
  vpc_type *b = vpc_check_expr(cx, n->c);
  vpc_type *u = vpc_unify(a, b);
  if (!u) {
    vpc_mismatch(n->c->pos, a, b);
    return err_type();
  }
  return u;
}

static vpc_type *check_propagate(vpc_ctx *cx, vpc_node *n) {
  vpc_type *t = vpc_check_expr(cx, n->a);
  if (!cx->result_ok) {
    vpc_error(n->pos, "'?' needs an enclosing function returning Result");
    return err_type();
  }
  if (t->kind == VPC_TY_ERROR)
    return t;
  if (t->kind != VPC_TY_RESULT) {
    vpc_error(n->pos, "'?' needs a Result, got %s", vpc_type_name(t));
    return err_type();
  }
  return t->elem ? t->elem : &ty_null;
}

// Checks each argument of a call; named arguments are errors here.
static void check_positional(vpc_ctx *cx, vpc_node *call, vpc_type **types,
                             int max) {
  for (int i = 0; i < call->list.n && i < max; i++) {
    vpc_node *arg = call->list.items[i];
    if (arg->name)
      vpc_error(arg->pos, "'%s' takes positional arguments only",
                call->name);
    types[i] = vpc_check_expr(cx, arg->a);
    arg->type = types[i];
  }
}

static bool check_arity(vpc_node *call, int min, int max) {
  int n = call->list.n;
  if (n >= min && (max < 0 || n <= max))
    return true;
  if (min == max)
    vpc_error(call->name_pos, "'%s' expects %d argument%s, got %d",
              call->name, min, min == 1 ? "" : "s", n);
  else
    vpc_error(call->name_pos, "'%s' expects %d to %d arguments, got %d",
              call->name, min, max, n);
  return false;
}

static void want(vpc_node *call, int i, vpc_type *got, vpc_type *t) {
  if (!vpc_assignable(got, t))
    vpc_mismatch(((vpc_node *)call->list.items[i])->a->pos, t, got);
}

static void want_numeric(vpc_node *call, int i, vpc_type *got) {
  if (!vpc_is_numeric(got))
    vpc_mismatch(((vpc_node *)call->list.items[i])->a->pos, &ty_float, got);
}

// E(f: e, ...) builds a record of the declared event E (4.8).
static vpc_type *check_construct(vpc_ctx *cx, vpc_node *call, vpc_event *ev) {
  bool *given = vpc_alloc(sizeof(bool) * (size_t)(ev->fields.n + 1));
  for (int i = 0; i < call->list.n; i++) {
    vpc_node *arg = call->list.items[i];
    vpc_type *t = vpc_check_expr(cx, arg->a);
    if (!arg->name) {
      vpc_error(arg->pos, "'%s(...)' takes named fields, as in %s(f: value)",
                ev->name, ev->name);
      continue;
    }
    int index;
    vpc_field *f = vpc_event_field(ev, arg->name, &index);
    if (!f) {
      no_such_field(arg->name_pos, ev, arg->name);
      continue;
    }
    if (given[index])
      vpc_error(arg->name_pos, "field '%s' is given twice", arg->name);
    given[index] = true;
    if (!vpc_assignable(t, f->type))
      vpc_mismatch(arg->a->pos, f->type, t);
  }
  for (int i = 0; i < ev->fields.n; i++) {
    vpc_field *f = ev->fields.items[i];
    if (!given[i] && f->type->kind != VPC_TY_OPTIONAL)
      vpc_error(call->name_pos, "missing field '%s' for event '%s'", f->name,
                ev->name);
  }
  return vpc_record_type(ev);
}

// update(r, f: e, ...) copies r with fields replaced (4.8).
static vpc_type *check_update(vpc_ctx *cx, vpc_node *call) {
  vpc_node *first = call->list.items[0];
  vpc_type *rt = vpc_check_expr(cx, first->a);
  if (rt->kind != VPC_TY_RECORD) {
    if (rt->kind != VPC_TY_ERROR)
      vpc_error(first->a->pos, "'update' needs a record, got %s",
                vpc_type_name(rt));
    return err_type();
  }
  for (int i = 1; i < call->list.n; i++) {
    vpc_node *arg = call->list.items[i];
    vpc_type *t = vpc_check_expr(cx, arg->a);
    if (!arg->name) {
      vpc_error(arg->pos, "'update' takes named fields after the record");
      continue;
    }
    vpc_field *f = vpc_event_field(rt->event, arg->name, NULL);
    if (!f && rt->event->dynamic)
      vpc_error_hint(arg->name_pos,
                     "declare the event type, with its fields, to update them",
                     "'update' cannot replace field '%s' of a record whose "
                     "fields are known only at run time",
                     arg->name);
    else if (!f)
      no_such_field(arg->name_pos, rt->event, arg->name);
    else if (!vpc_assignable(t, f->type))
      vpc_mismatch(arg->a->pos, f->type, t);
  }
  return rt;
}

static vpc_type *check_result_builtin(vpc_node *call, vpc_builtin_id id,
                                      vpc_type **a) {
  switch (id) {
  case VPC_B_OK:
    if (a[0]->kind == VPC_TY_RESULT) {
      vpc_error(call->pos, "a Result cannot hold a Result");
      return err_type();
    }
    return vpc_result_of(a[0]);
  case VPC_B_ERR:
    want(call, 0, a[0], &ty_str);
    return &ty_result_any;
  case VPC_B_IS_OK:
  case VPC_B_IS_ERR:
    if (a[0]->kind != VPC_TY_RESULT)
      vpc_error(arg_node(call, 0)->pos, "'%s' needs a Result, got %s",
                call->name, vpc_type_name(a[0]));
    return &ty_bool;
  default:  // unwrap_or
    if (a[0]->kind != VPC_TY_RESULT || !a[0]->elem) {
      vpc_error(arg_node(call, 0)->pos, "'unwrap_or' needs a Result, got %s",
                vpc_type_name(a[0]));
      return err_type();
    }
    want(call, 1, a[1], a[0]->elem);
    return a[0]->elem;
  }
}

static vpc_type *check_num_builtin(vpc_node *call, vpc_builtin_id id,
                                   vpc_type **a) {
  int n = call->list.n;
  for (int i = 0; i < n; i++)
    want_numeric(call, i, a[i]);
  bool all_int = true;
  for (int i = 0; i < n; i++)
    all_int = all_int && a[i]->kind == VPC_TY_INT;
  switch (id) {
  case VPC_B_ABS:
    return a[0]->kind == VPC_TY_INT   ? &ty_int
           : a[0]->kind == VPC_TY_ANY ? &ty_any
                                      : &ty_float;
  case VPC_B_MIN:
  case VPC_B_MAX:
  case VPC_B_CLAMP:
    return all_int ? &ty_int : &ty_float;
  case VPC_B_ROUND:
    if (n == 2) {
      if (a[1]->kind != VPC_TY_INT)
        vpc_mismatch(((vpc_node *)call->list.items[1])->a->pos, &ty_int,
                     a[1]);
      return &ty_float;
    }
    return &ty_int;
  case VPC_B_FLOOR:
  case VPC_B_CEIL:
    return &ty_int;
  case VPC_B_POW:
    return all_int ? &ty_int : &ty_float;
  default:
    return &ty_float;
  }
}

static vpc_type *check_keyed(vpc_node *call, vpc_builtin_id id,
                             vpc_type **a);

// String builtins; len and contains also take arrays and maps (9).
static vpc_type *check_str_builtin(vpc_node *call, vpc_builtin_id id,
                                   vpc_type **a) {
  bool list = a[0]->kind == VPC_TY_ARRAY || a[0]->kind == VPC_TY_MAP;
  if (id == VPC_B_LEN && (list || a[0]->kind == VPC_TY_ANY))
    return &ty_int;
  if (id == VPC_B_CONTAINS && list)
    return check_keyed(call, id, a);
  for (int i = 0; i < call->list.n; i++)
    want(call, i, a[i], &ty_str);
  switch (id) {
  case VPC_B_LEN:
    return &ty_int;
  case VPC_B_CONTAINS:
  case VPC_B_STARTS_WITH:
  case VPC_B_ENDS_WITH:
    return &ty_bool;
  default:
    return &ty_str;
  }
}


static void note_dlq(vpc_ctx *cx, vpc_pos pos);

static vpc_type *check_misc_builtin(vpc_ctx *cx, vpc_node *call,
                                    vpc_builtin_id id, vpc_type **a) {
  switch (id) {
  case VPC_B_LOG_ERROR:
    return &ty_null;
  case VPC_B_EMIT_TO_DLQ:
    note_dlq(cx, call->name_pos);
    if (a[0]->kind != VPC_TY_RECORD && a[0]->kind != VPC_TY_ERROR)
      vpc_mismatch(call->pos, &ty_null, a[0]);
    return &ty_null;
  case VPC_B_PANIC:
    want(call, 0, a[0], &ty_str);
    return &ty_null;
  case VPC_B_SLEEP:
    want(call, 0, a[0], &ty_duration);
    return &ty_null;
  case VPC_B_PRINT:
    for (int i = 0; i < call->list.n; i++)
      if (!vpc_assignable(a[i], &ty_any))
        vpc_error(arg_node(call, i)->pos, "'print' cannot show %s",
                  vpc_type_name(a[i]));
    return &ty_null;
  case VPC_B_TO_STRING:
    if (!vpc_is_scalar(a[0]) && !vpc_is_boxed(a[0]))
      vpc_error(arg_node(call, 0)->pos, "'%s' of %s is not supported by this version of "
                           "vpc",
                call->name, vpc_type_name(a[0]));
    return &ty_str;
  case VPC_B_TO_INT:
  case VPC_B_TO_FLOAT:
    if (a[0]->kind != VPC_TY_INT && a[0]->kind != VPC_TY_FLOAT &&
        a[0]->kind != VPC_TY_STR && a[0]->kind != VPC_TY_BOOL &&
        a[0]->kind != VPC_TY_ERROR && a[0]->kind != VPC_TY_ANY)
      vpc_mismatch(call->pos, &ty_str, a[0]);
    return id == VPC_B_TO_INT ? &ty_int : &ty_float;
  case VPC_B_IS_NULL:
    return &ty_bool;
  default: {  // coalesce, if_null
    vpc_type *u = a[0]->kind == VPC_TY_OPTIONAL ? a[0]->elem : a[0];
    for (int i = 1; i < call->list.n; i++) {
      vpc_type *ai = a[i]->kind == VPC_TY_OPTIONAL ? a[i]->elem : a[i];
      vpc_type *next = vpc_unify(u, ai);
      if (!next) {
        vpc_mismatch(((vpc_node *)call->list.items[i])->a->pos, u, a[i]);
        return err_type();
      }
      u = next;
    }
    vpc_type *last = a[call->list.n - 1];
    return last->kind == VPC_TY_OPTIONAL || last->kind == VPC_TY_NULL
               ? vpc_optional_of(u)
               : u;
  }
  }
}

static vpc_node *arg_node(vpc_node *call, int i) {
  return ((vpc_node *)call->list.items[i])->a;
}

// Requires argument i to be an array (or any); returns its element type.
static vpc_type *want_array(vpc_node *call, int i, vpc_type *t) {
  if (t->kind == VPC_TY_ARRAY)
    return t->elem;
  if (t->kind != VPC_TY_ANY)
    vpc_error(arg_node(call, i)->pos, "'%s' needs an array, got %s",
              call->name, vpc_type_name(t));
  return &ty_any;
}

static vpc_type *want_map(vpc_node *call, int i, vpc_type *t) {
  if (t->kind == VPC_TY_MAP)
    return t->elem;
  if (t->kind != VPC_TY_ANY)
    vpc_error(arg_node(call, i)->pos, "'%s' needs a map, got %s", call->name,
              vpc_type_name(t));
  return &ty_any;
}

static vpc_type *array_like(vpc_type *t) {
  return t->kind == VPC_TY_ANY ? vpc_array_of(&ty_any) : t;
}

// get, set and contains take an array with an int or a map with a str.
static vpc_type *check_keyed(vpc_node *call, vpc_builtin_id id,
                             vpc_type **a) {
  if (a[0]->kind == VPC_TY_ANY && id != VPC_B_SET)
    return id == VPC_B_CONTAINS ? &ty_bool : &ty_any;
  bool map = a[0]->kind == VPC_TY_MAP;
  vpc_type *elem = map ? want_map(call, 0, a[0]) : want_array(call, 0, a[0]);
  if (id == VPC_B_CONTAINS) {
    if (!vpc_assignable(a[1], map ? &ty_str : elem))
      vpc_mismatch(arg_node(call, 1)->pos, map ? &ty_str : elem, a[1]);
    return &ty_bool;
  }
  want(call, 1, a[1], map ? &ty_str : &ty_int);
  if (id == VPC_B_GET)
    return vpc_optional_of(elem);
  want(call, 2, a[2], elem);
  return a[0]->kind == VPC_TY_ANY ? &ty_any : a[0];
}

static vpc_type *check_collection_builtin(vpc_node *call, vpc_builtin_id id,
                                          vpc_type **a) {
  switch (id) {
  case VPC_B_FIRST:
  case VPC_B_LAST:
    return vpc_optional_of(want_array(call, 0, a[0]));
  case VPC_B_PUSH:
    want(call, 1, a[1], want_array(call, 0, a[0]));
    return array_like(a[0]);
  case VPC_B_POP:
  case VPC_B_SORT:
    want_array(call, 0, a[0]);
    return array_like(a[0]);
  case VPC_B_KEYS:
    want_map(call, 0, a[0]);
    return vpc_array_of(&ty_str);
  case VPC_B_VALUES:
    return vpc_array_of(want_map(call, 0, a[0]));
  case VPC_B_GET:
  case VPC_B_SET:
    return check_keyed(call, id, a);
  case VPC_B_RANGE:
    for (int i = 0; i < call->list.n; i++)
      want(call, i, a[i], &ty_int);
    return vpc_array_of(&ty_int);
  case VPC_B_SUM:
  case VPC_B_AVG:
    if (!vpc_is_numeric(want_array(call, 0, a[0])))
      vpc_error(arg_node(call, 0)->pos, "'%s' needs numbers, got %s",
                call->name, vpc_type_name(a[0]));
    return &ty_float;
  case VPC_B_SPLIT:
    want(call, 0, a[0], &ty_str);
    want(call, 1, a[1], &ty_str);
    return vpc_array_of(&ty_str);
  case VPC_B_JOIN:
    want_array(call, 0, a[0]);
    want(call, 1, a[1], &ty_str);
    return &ty_str;
  case VPC_B_REVERSE:
    if (a[0]->kind == VPC_TY_STR)
      return &ty_str;
    want_array(call, 0, a[0]);
    return array_like(a[0]);
  case VPC_B_SUBSTRING:
    want(call, 0, a[0], &ty_str);
    for (int i = 1; i < call->list.n; i++)
      want(call, i, a[i], &ty_int);
    return &ty_str;
  case VPC_B_REPLACE:
    for (int i = 0; i < 3; i++)
      want(call, i, a[i], &ty_str);
    return &ty_str;
  case VPC_B_TYPE_OF:
    return &ty_str;
  case VPC_B_IS_KIND:
    return &ty_bool;
  case VPC_B_TRY_INT:
    want(call, 0, a[0], &ty_str);
    return vpc_optional_of(&ty_int);
  default:  // try_float
    want(call, 0, a[0], &ty_str);
    return vpc_optional_of(&ty_float);
  }
}

static vpc_type *check_builtin(vpc_ctx *cx, vpc_node *call,
                               const vpc_builtin *b) {
  if (!check_arity(call, b->min_args, b->max_args))
    return err_type();
  if (b->id == VPC_B_UPDATE)
    return check_update(cx, call);
  vpc_type **a = vpc_alloc(sizeof(vpc_type *) * (size_t)(call->list.n + 1));
  check_positional(cx, call, a, call->list.n);
  for (int i = 0; i < call->list.n; i++)
    if (a[i]->kind == VPC_TY_ERROR && b->id != VPC_B_EMIT_TO_DLQ)
      return err_type();
  switch (b->group) {
  case VPC_BG_RESULT:
    return check_result_builtin(call, b->id, a);
  case VPC_BG_NUMBER:
    return check_num_builtin(call, b->id, a);
  case VPC_BG_STRING:
    return check_str_builtin(call, b->id, a);
  case VPC_BG_COLLECTION:
    return check_collection_builtin(call, b->id, a);
  default:
    return check_misc_builtin(cx, call, b->id, a);
  }
}

// Records what emit statements make. A function passes them on to its
// callers; only .process and .on_error lambdas may finally receive them
// (3), and this version needs them all of one record type.
static void note_emit(vpc_ctx *cx, vpc_type *t, vpc_pos pos) {
  vpc_type **slot = cx->fn ? &cx->fn->emits : &cx->emits;
  if (!cx->fn && !cx->emit_ok) {
    vpc_error(pos, "emit outside .process/.on_error");
    return;
  }
  if (*slot && !vpc_type_equal(*slot, t)) {
    vpc_error(pos, "records of different types (%s and %s) are emitted "
                   "here; this version of vpc needs one type",
              vpc_type_name(*slot), vpc_type_name(t));
    return;
  }
  *slot = t;
}

static void note_dlq(vpc_ctx *cx, vpc_pos pos) {
  if (cx->fn)
    cx->fn->uses_dlq = true;
  else if (!cx->in_handler)
    vpc_error(pos, "emit_to_dlq outside .on_error");
}

static bool bind_fn(vpc_fn *f, vpc_event *element, vpc_node *call);

// An event-bound function may be called from implicit operator arguments
// and from other event-bound functions (2.6); it sees the caller's element.
static bool call_event_bound(vpc_ctx *cx, vpc_node *call, vpc_fn *f) {
  vpc_event *element = cx->fn ? cx->fn->bound_to : cx->implicit;
  if (cx->fn && cx->probe && !cx->fn->bound_to) {
    cx->fn->event_bound = true;  // it passes its element on
    return true;
  }
  if (!element || (cx->fn && !cx->fn->event_bound)) {
    vpc_error(call->name_pos, "function '%s' reads event fields; call it "
                              "from an operator argument",
              f->name);
    return false;
  }
  call->flag = true;  // codegen passes the element along
  return bind_fn(f, element, call);
}

static vpc_type *check_user_call(vpc_ctx *cx, vpc_node *call, vpc_fn *f) {
  if (cx->fn)
    vpc_list_push(&cx->fn->callees, f);
  vpc_check_fn(f);
  if (f->event_bound && !call_event_bound(cx, call, f)) {
    for (int i = 0; i < call->list.n; i++)
      vpc_check_expr(cx, ((vpc_node *)call->list.items[i])->a);
    return err_type();
  }
  if (f->emits)
    note_emit(cx, f->emits, call->name_pos);
  if (f->uses_dlq)
    note_dlq(cx, call->name_pos);
  if (f->global_var)
    note_global_var(cx, f->global_var, call->name_pos, f);
  if (!check_arity(call, f->params.n, f->params.n)) {
    for (int i = 0; i < call->list.n; i++)
      vpc_check_expr(cx, ((vpc_node *)call->list.items[i])->a);
    return f->ret ? f->ret : err_type();
  }
  vpc_type **a = vpc_alloc(sizeof(vpc_type *) * (size_t)(call->list.n + 1));
  check_positional(cx, call, a, call->list.n);
  for (int i = 0; i < call->list.n; i++) {
    vpc_sym *p = f->params.items[i];
    want(call, i, a[i], p->type);
  }
  if (!f->ret) {
    vpc_error(call->name_pos,
              "function '%s' is recursive; give it a return type", f->name);
    return err_type();
  }
  return f->ret;
}

static void unknown_function(vpc_node *call) {
  vpc_closest c = { .target = call->name };
  vpc_sema *s = vpc_current_sema();
  for (int i = 0; i < s->fns.n; i++)
    vpc_closest_offer(&c, ((vpc_fn *)s->fns.items[i])->name);
  for (int i = 0; vpc_builtin_at(i); i++)
    vpc_closest_offer(&c, vpc_builtin_at(i)->name);
  if (c.best)
    vpc_error_hint(call->name_pos, vpc_format("did you mean '%s'?", c.best),
                   "unknown function '%s'", call->name);
  else
    vpc_error(call->name_pos, "unknown function '%s'", call->name);
}

static vpc_type *check_call(vpc_ctx *cx, vpc_node *call) {
  for (int i = 0; i < call->list.n; i++) {
    vpc_node *arg = call->list.items[i];
    if (arg->kind == VPC_NODE_ARG && arg->op == 1)
      vpc_error(arg->a->pos, "asc and desc are allowed only in .order_by");
  }
  call->sym = NULL;
  if (call->a) {
    vpc_error(call->name_pos, "method calls such as '.%s(...)' are not part "
                              "of VPL; call %s(x, ...)",
              call->name, call->name);
    return err_type();
  }
  vpc_fn *f = vpc_find_fn(call->name);
  if (f) {
    call->sym = f;
    call->op = 'f';
    return check_user_call(cx, call, f);
  }
  const vpc_builtin *b = vpc_find_builtin(call->name);
  if (b) {
    call->sym = (void *)b;
    call->op = 'b';
    return check_builtin(cx, call, b);
  }
  vpc_event *ev = vpc_find_event(call->name);
  if (ev) {
    call->sym = ev;
    call->op = 'e';
    return check_construct(cx, call, ev);
  }
  const char *phase = vpc_builtin_phase(call->name);
  if (phase)
    vpc_error(call->name_pos, "'%s' is not supported yet (planned: %s)",
              call->name, phase);
  else
    unknown_function(call);
  for (int i = 0; i < call->list.n; i++)
    vpc_check_expr(cx, ((vpc_node *)call->list.items[i])->a);
  return err_type();
}

// Arrays and maps (4.9).

// The element type of a literal: what all items fit, int and float mixed
// give float, other mixes any, and an empty literal any (4.2).
static vpc_type *element_type(vpc_type *acc, vpc_type *t) {
  if (!acc)
    return t->kind == VPC_TY_NULL ? vpc_optional_of(&ty_any) : t;
  vpc_type *u = vpc_unify(acc, t);
  return u ? u : &ty_any;
}

static bool storable(vpc_type *t) {
  return t->kind != VPC_TY_RESULT && t->kind != VPC_TY_RECORD &&
         t->kind != VPC_TY_STREAM_ERROR;
}

static vpc_type *check_array(vpc_ctx *cx, vpc_node *n) {
  vpc_type *elem = NULL;
  for (int i = 0; i < n->list.n; i++) {
    vpc_node *e = n->list.items[i];
    vpc_type *t = vpc_check_expr(cx, e);
    if (!storable(t)) {
      vpc_error(e->pos, "an array cannot hold %s", vpc_type_name(t));
      t = err_type();
    }
    elem = element_type(elem, t);
  }
  return vpc_array_of(elem ? elem : &ty_any);
}

static vpc_type *check_map(vpc_ctx *cx, vpc_node *n) {
  vpc_type *elem = NULL;
  for (int i = 0; i < n->list.n; i++) {
    vpc_node *e = n->list.items[i];
    for (int j = 0; j < i; j++)
      if (!strcmp(((vpc_node *)n->list.items[j])->name, e->name))
        vpc_error(e->name_pos, "duplicate key '%s'", e->name);
    vpc_type *t = vpc_check_expr(cx, e->a);
    if (!storable(t)) {
      vpc_error(e->a->pos, "a map cannot hold %s", vpc_type_name(t));
      t = err_type();
    }
    elem = element_type(elem, t);
  }
  return vpc_map_of(elem ? elem : &ty_any);
}

static vpc_type *want_int(vpc_ctx *cx, vpc_node *e) {
  vpc_type *t = vpc_check_expr(cx, e);
  if (!vpc_assignable(t, &ty_int))
    vpc_mismatch(e->pos, &ty_int, t);
  return t;
}

static vpc_type *check_range(vpc_ctx *cx, vpc_node *n) {
  want_int(cx, n->a);
  want_int(cx, n->b);
  return vpc_array_of(&ty_int);
}

static vpc_type *check_index(vpc_ctx *cx, vpc_node *n) {
  vpc_type *t = vpc_check_expr(cx, n->a);
  switch (t->kind) {
  case VPC_TY_ARRAY:
    want_int(cx, n->b);
    return t->elem;
  case VPC_TY_STR:
    want_int(cx, n->b);
    return &ty_str;
  case VPC_TY_MAP: {
    vpc_type *k = vpc_check_expr(cx, n->b);
    if (!vpc_assignable(k, &ty_str))
      vpc_mismatch(n->b->pos, &ty_str, k);
    return t->elem;
  }
  case VPC_TY_ANY:
    vpc_check_expr(cx, n->b);
    return &ty_any;
  case VPC_TY_ERROR:
    return t;
  default:
    vpc_error(n->pos, "%s cannot be indexed", vpc_type_name(t));
    return err_type();
  }
}

static vpc_type *check_slice(vpc_ctx *cx, vpc_node *n) {
  vpc_type *t = vpc_check_expr(cx, n->a);
  if (n->b)
    want_int(cx, n->b);
  if (n->c)
    want_int(cx, n->c);
  if (t->kind == VPC_TY_ARRAY || t->kind == VPC_TY_STR ||
      t->kind == VPC_TY_ERROR)
    return t;
  vpc_error(n->pos, "%s cannot be sliced", vpc_type_name(t));
  return err_type();
}

// Expressions nest at most this deep: generated C and the C compiler
// handle that comfortably, and a clear error beats exhausting either.
#define MAX_EXPR_DEPTH 1000

static vpc_type *check_expr_kind(vpc_ctx *cx, vpc_node *n);

vpc_type *vpc_check_expr(vpc_ctx *cx, vpc_node *n) {
  static int depth;
  static bool reported;
  if (depth >= MAX_EXPR_DEPTH) {
    if (!reported)
      vpc_error(n->pos, "expression nested too deeply (more than %d levels)",
                MAX_EXPR_DEPTH);
    reported = true;
    return n->type = &ty_error;
  }
  if (depth == 0)
    reported = false;
  depth++;
  vpc_type *t = check_expr_kind(cx, n);
  depth--;
  return t;
}

static vpc_type *check_expr_kind(vpc_ctx *cx, vpc_node *n) {
  vpc_type *t;
  switch (n->kind) {
  case VPC_NODE_INT:
    if (n->ival == INT64_MIN && !n->flag)
      vpc_error(n->pos, "integer literal is too large");
    t = &ty_int;
    break;
  case VPC_NODE_FLOAT:
    t = &ty_float;
    break;
  case VPC_NODE_STR:
    t = &ty_str;
    break;
  case VPC_NODE_BOOL:
    t = &ty_bool;
    break;
  case VPC_NODE_NULL:
    t = &ty_null;
    break;
  case VPC_NODE_DURATION:
    t = &ty_duration;
    break;
  case VPC_NODE_TIMESTAMP:
    t = &ty_timestamp;
    break;
  case VPC_NODE_NAME:
    t = check_name(cx, n);
    break;
  case VPC_NODE_MEMBER:
  case VPC_NODE_OPT_MEMBER:
    t = check_member(cx, n);
    break;
  case VPC_NODE_BINARY:
    t = check_binary(cx, n);
    break;
  case VPC_NODE_UNARY:
    t = check_unary(cx, n);
    break;
  case VPC_NODE_IF_EXPR:
    t = check_if_expr(cx, n);
    break;
  case VPC_NODE_PROPAGATE:
    t = check_propagate(cx, n);
    break;
  case VPC_NODE_CALL:
    t = check_call(cx, n);
    break;
  case VPC_NODE_LAMBDA:
    vpc_error(n->pos, "lambdas are allowed only as arguments of .map, "
                      ".filter, .process and .on_error");
    t = err_type();
    break;
  case VPC_NODE_RANGE:
    t = check_range(cx, n);
    break;
  case VPC_NODE_ARRAY:
    t = check_array(cx, n);
    break;
  case VPC_NODE_MAP:
    t = check_map(cx, n);
    break;
  case VPC_NODE_INDEX:
    t = check_index(cx, n);
    break;
  case VPC_NODE_SLICE:
    t = check_slice(cx, n);
    break;
  default:
    vpc_unreachable();  // the grammar makes no other expression
  }
  n->type = t;
  return t;
}

// Statements (LANGUAGE.md 3). Each returns the statement's value type for
// the block-value rule of 2.6: ty_null when it has none, NULL for a block
// that ends in return (it yields no value of its own).

static vpc_type *unify_values(vpc_type *a, vpc_type *b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return vpc_unify(a, b);
}

static vpc_type *check_stmt(vpc_ctx *cx, vpc_node *s);

static vpc_type *check_let(vpc_ctx *cx, vpc_node *s) {
  vpc_type *t = vpc_check_expr(cx, s->a);
  if (s->b) {
    vpc_type *decl = vpc_resolve_type(s->b, 0);
    if (!vpc_assignable(t, decl))
      vpc_mismatch(s->a->pos, decl, t);
    t = decl;
  } else if (t->kind == VPC_TY_NULL) {
    t = vpc_optional_of(&ty_null);
  } else if (t->kind == VPC_TY_RESULT && !t->elem) {
    vpc_error(s->a->pos, "the type of '%s' is unknown; write let %s: "
                         "Result<T> = ...",
              s->name, s->name);
    t = err_type();
  }
  s->sym = vpc_declare_local(cx, s->name, t, s->op, s->name_pos);
  return &ty_null;
}

static const char *binding_word(int binding) {
  return binding == VPC_TK_LET     ? "let"
         : binding == VPC_TK_CONST ? "const"
                                   : "parameter";
}

static vpc_type *check_assign(vpc_ctx *cx, vpc_node *s) {
  vpc_type *t = vpc_check_expr(cx, s->a);
  vpc_sym *target = find_local(cx, s->name, false);
  if (!target)
    target = vpc_find_global(s->name);
  if (!target) {
    vpc_error(s->name_pos, "unknown name '%s'", s->name);
    return &ty_null;
  }
  s->sym = target;
  if (target->binding != VPC_TK_VAR) {
    if (target->binding == 0)
      vpc_error(s->name_pos, "cannot assign to '%s' (parameter)", s->name);
    else
      vpc_error(s->name_pos, "cannot assign to '%s' (declared with %s)",
                s->name, binding_word(target->binding));
    return &ty_null;
  }
  if (target->kind == VPC_SYM_GLOBAL)
    note_global_var(cx, target, s->name_pos, NULL);
  vpc_type *value = t;
  if (s->op != VPC_TK_ASSIGN && s->op != VPC_TK_WALRUS) {
    vpc_node fake = { .kind = VPC_NODE_BINARY, .pos = s->pos };
    fake.op = s->op == VPC_TK_PLUS_ASSIGN    ? VPC_TK_PLUS
              : s->op == VPC_TK_MINUS_ASSIGN ? VPC_TK_MINUS
              : s->op == VPC_TK_STAR_ASSIGN  ? VPC_TK_STAR
              : s->op == VPC_TK_SLASH_ASSIGN ? VPC_TK_SLASH
                                             : VPC_TK_PERCENT;
    value = arith_type(&fake, target->type, t);
  }
  if (!vpc_assignable(value, target->type))
    vpc_mismatch(s->a->pos, target->type, value);
  return &ty_null;
}

static vpc_type *check_cond(vpc_ctx *cx, vpc_node *e) {
  vpc_type *t = vpc_check_expr(cx, e);
  if (!vpc_assignable(t, &ty_bool))
    vpc_mismatch(e->pos, &ty_bool, t);
  return t;
}

static vpc_type *check_scoped_block(vpc_ctx *cx, vpc_node *block) {
  vpc_scope sc;
  vpc_push_scope(cx, &sc);
  vpc_type *t = vpc_check_block(cx, block);
  vpc_pop_scope(cx);
  return t;
}

static vpc_type *check_if(vpc_ctx *cx, vpc_node *s) {
  vpc_type *value = NULL;
  bool mixed = false;
  for (int i = 0; i < s->list.n; i++) {
    vpc_node *br = s->list.items[i];
    check_cond(cx, br->a);
    vpc_type *t = check_scoped_block(cx, br->b);
    vpc_type *u = unify_values(value, t);
    mixed = mixed || (value && t && !u);
    value = u ? u : value;
  }
  vpc_type *e = s->c ? check_scoped_block(cx, s->c) : &ty_null;
  vpc_type *u = unify_values(value, e);
  mixed = mixed || (value && e && !u);
  if (mixed)
    return err_type();
  return u ? u : value;
}

static vpc_type *check_for(vpc_ctx *cx, vpc_node *s) {
  vpc_node *it = s->a;
  vpc_scope sc;
  vpc_type *elem = &ty_int;
  if (it->kind == VPC_NODE_RANGE) {
    vpc_type *lo = vpc_check_expr(cx, it->a);
    vpc_type *hi = vpc_check_expr(cx, it->b);
    if (lo->kind != VPC_TY_INT && lo->kind != VPC_TY_ERROR)
      vpc_mismatch(it->a->pos, &ty_int, lo);
    if (hi->kind != VPC_TY_INT && hi->kind != VPC_TY_ERROR)
      vpc_mismatch(it->b->pos, &ty_int, hi);
    it->type = &ty_int;
    elem = &ty_int;
  } else {
    vpc_type *t = vpc_check_expr(cx, it);
    if (t->kind == VPC_TY_ARRAY)
      elem = t->elem;
    else if (t->kind == VPC_TY_MAP)
      elem = vpc_array_of(&ty_any);  // [key, value] pairs (3)
    else if (t->kind != VPC_TY_INT && t->kind != VPC_TY_ERROR)
      vpc_error(it->pos, "'for' cannot iterate over %s", vpc_type_name(t));
  }
  vpc_push_scope(cx, &sc);
  s->sym = vpc_declare_local(cx, s->name, elem, VPC_TK_LET, s->name_pos);
  cx->loops++;
  vpc_check_block(cx, s->b);
  cx->loops--;
  vpc_pop_scope(cx);
  return &ty_null;
}

static vpc_type *check_return(vpc_ctx *cx, vpc_node *s) {
  vpc_type *t = s->a ? vpc_check_expr(cx, s->a) : &ty_null;
  if (cx->ret) {
    if (!vpc_assignable(t, cx->ret)) {
      if (cx->ret->kind == VPC_TY_RESULT && t->kind != VPC_TY_RESULT)
        vpc_error_hint(s->a ? s->a->pos : s->pos, "wrap it in Ok(...)",
                       "type mismatch: expected %s, got %s",
                       vpc_type_name(cx->ret), vpc_type_name(t));
      else
        vpc_mismatch(s->a ? s->a->pos : s->pos, cx->ret, t);
    }
  } else {
    vpc_type *u = cx->inferred ? vpc_unify(cx->inferred, t) : t;
    if (!u)
      vpc_mismatch(s->a ? s->a->pos : s->pos, cx->inferred, t);
    else
      cx->inferred = u;
  }
  return &ty_null;
}

// emit T(f: e, ...): T must be a declared event; the record is an output
// of the enclosing .process or .on_error (3).
static vpc_type *check_emit(vpc_ctx *cx, vpc_node *s) {
  vpc_event *ev = vpc_find_event(s->name);
  if (ev) {
    s->sym = ev;
    note_emit(cx, check_construct(cx, s, ev), s->pos);
    return &ty_null;
  }
  // An undeclared type: a record of type `record`, its fields any (4.2).
  for (int i = 0; i < s->list.n; i++) {
    vpc_node *arg = s->list.items[i];
    vpc_type *t = vpc_check_expr(cx, arg->a);
    if (!arg->name)
      vpc_error(arg->pos, "'%s(...)' takes named fields, as in %s(f: value)",
                s->name, s->name);
    else if (!vpc_assignable(t, &ty_any))
      vpc_error(arg->a->pos, "a field of '%s' cannot hold %s", s->name,
                vpc_type_name(t));
    for (int j = 0; j < i && arg->name; j++) {
      vpc_node *prev = s->list.items[j];
      if (prev->name && !strcmp(prev->name, arg->name))
        vpc_error(arg->name_pos, "field '%s' is given twice", arg->name);
    }
  }
  s->sym = NULL;
  note_emit(cx, vpc_dynamic_record(), s->pos);
  return &ty_null;
}

static vpc_type *check_stmt(vpc_ctx *cx, vpc_node *s) {
  switch (s->kind) {
  case VPC_NODE_LET:
    return check_let(cx, s);
  case VPC_NODE_ASSIGN:
    return check_assign(cx, s);
  case VPC_NODE_IF:
    return check_if(cx, s);
  case VPC_NODE_FOR:
    return check_for(cx, s);
  case VPC_NODE_WHILE:
    check_cond(cx, s->a);
    cx->loops++;
    check_scoped_block(cx, s->b);
    cx->loops--;
    return &ty_null;
  case VPC_NODE_BREAK:
  case VPC_NODE_CONTINUE:
    if (!cx->loops)
      vpc_error(s->pos, "'%s' outside a loop",
                s->kind == VPC_NODE_BREAK ? "break" : "continue");
    return &ty_null;
  case VPC_NODE_RETURN:
    return check_return(cx, s);
  case VPC_NODE_EMIT:
    return check_emit(cx, s);
  case VPC_NODE_EXPR_STMT:
    return vpc_check_expr(cx, s->a);
  default:
    vpc_unreachable();  // the grammar makes no other statement
  }
}

vpc_type *vpc_check_block(vpc_ctx *cx, vpc_node *block) {
  vpc_type *last = &ty_null;
  for (int i = 0; i < block->list.n; i++) {
    vpc_node *s = block->list.items[i];
    last = check_stmt(cx, s);
    // A block that ends in return has no value of its own.
    if (s->kind == VPC_NODE_RETURN)
      last = NULL;
  }
  block->type = last;
  return last;
}

// Checks that every path of block ends in a value of type want or in a
// return (2.6, 4.5).
void vpc_check_tail(vpc_ctx *cx, vpc_node *block, vpc_type *want,
                    vpc_pos where) {
  bool may_be_null = want->kind == VPC_TY_OPTIONAL ||
                     want->kind == VPC_TY_NULL || want->kind == VPC_TY_ERROR;
  vpc_node *last = block->list.n ? block->list.items[block->list.n - 1] : NULL;
  if (!last) {
    if (!may_be_null)
      vpc_error(where, "missing return value");
    return;
  }
  switch (last->kind) {
  case VPC_NODE_RETURN:
    return;
  case VPC_NODE_EXPR_STMT: {
    vpc_type *t = last->a->type;
    if (vpc_assignable(t, want))
      return;
    if (want->kind == VPC_TY_RESULT && t->kind != VPC_TY_RESULT &&
        t->kind != VPC_TY_NULL)
      vpc_error_hint(last->a->pos, "wrap it in Ok(...)",
                     "type mismatch: expected %s, got %s",
                     vpc_type_name(want), vpc_type_name(t));
    else if (t->kind == VPC_TY_NULL && !may_be_null)
      vpc_error(last->a->pos, "missing return value");
    else
      vpc_mismatch(last->a->pos, want, t);
    return;
  }
  case VPC_NODE_IF:
    for (int i = 0; i < last->list.n; i++)
      vpc_check_tail(cx, ((vpc_node *)last->list.items[i])->b, want, where);
    if (last->c)
      vpc_check_tail(cx, last->c, want, where);
    else if (!may_be_null)
      vpc_error(last->pos, "missing return value");
    return;
  default:
    if (!may_be_null)
      vpc_error(last->pos, "missing return value");
  }
}

// Checks f's body with the fields of element (NULL for none) in scope. An
// undeclared result type is unknown until the body is checked, which is
// what makes a recursive call without one an error (2.6).
static void check_fn_body(vpc_fn *f, vpc_event *element, bool probe) {
  if (!f->ret_declared)
    f->ret = NULL;
  vpc_ctx cx = { 0 };
  vpc_scope sc;
  vpc_push_scope(&cx, &sc);
  for (int i = 0; i < f->params.n; i++) {
    vpc_sym *p = f->params.items[i];
    vpc_list_push(&sc.syms, p);
  }
  cx.in_body = true;
  cx.fn = f;
  cx.implicit = element;
  cx.probe = probe;
  cx.ret = f->ret_declared ? f->ret : NULL;
  cx.result_ok = f->ret_declared && f->ret->kind == VPC_TY_RESULT;
  vpc_type *tail = vpc_check_block(&cx, f->decl->a);
  if (f->ret_declared) {
    vpc_check_tail(&cx, f->decl->a, f->ret, f->decl->name_pos);
    return;
  }
  vpc_type *u = unify_values(cx.inferred, tail);
  if (!cx.inferred && !tail)
    u = &ty_null;
  if (!u) {
    vpc_error(f->decl->name_pos, "the return values of '%s' have "
                                 "different types; declare -> T",
              f->name);
    u = err_type();
  }
  f->ret = u;
}

// Checks a function's body once; called on first use so that a caller
// learns an inferred return type (2.6). A first, silent pass finds out
// whether the body reads event fields: such an event-bound function is
// checked when an operator argument first calls it, with that element's
// fields in scope.
void vpc_check_fn(vpc_fn *f) {
  if (f->checked || f->checking || f->event_bound)
    return;
  f->checking = true;
  vpc_diag_mute(1);
  check_fn_body(f, NULL, true);
  vpc_diag_mute(0);
  if (!f->event_bound)
    check_fn_body(f, NULL, false);
  f->checking = false;
  f->checked = !f->event_bound;
}

// Binds an event-bound function to the element type of its first caller.
static bool bind_fn(vpc_fn *f, vpc_event *element, vpc_node *call) {
  if (f->bound_to == element)
    return true;
  if (f->bound_to) {
    vpc_error(call->name_pos, "function '%s' is called on events of types "
                              "%s and %s; this version of vpc binds it to "
                              "one",
              f->name, f->bound_to->name, element->name);
    return false;
  }
  f->bound_to = element;
  f->checking = true;
  check_fn_body(f, element, false);
  f->checking = false;
  f->checked = true;
  return true;
}
