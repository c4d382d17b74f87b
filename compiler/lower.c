// Lowering of streams (LANGUAGE.md 5): each stream's operator chain is
// checked against the element type flowing through it and becomes a list
// of stages; `.concurrent` ... `.collect` become regions with their merged
// supervision settings (6.1). codegen.c turns the stages into C.
// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "parse.h"
#include "sema_int.h"

// Values of the runtime's enums (runtime/region.h), which generated code
// uses by name; the compiler only needs to keep them apart.
enum { STRATEGY_HASH, STRATEGY_ROUND_ROBIN, STRATEGY_BROADCAST };
// An invalid strategy, already reported: no further checks on it.
enum { STRATEGY_NONE = -1 };
enum { ORDER_COMPLETION, ORDER_INPUT };

static vpc_sema *S;
static vp_sup_config program_sup;

// Constant option values: literals and negated numbers.
typedef struct constant {
  enum { C_NONE, C_INT, C_FLOAT, C_STR, C_BOOL, C_DURATION } kind;
  int64_t i;
  double f;
  const char *s;
} constant;

static constant const_value(vpc_node *n) {
  constant c = { C_NONE, 0, 0, NULL };
  bool neg = n->kind == VPC_NODE_UNARY && n->op == VPC_TK_MINUS;
  vpc_node *v = neg ? n->a : n;
  switch (v->kind) {
  case VPC_NODE_INT:
    c.kind = C_INT;
    c.i = neg ? -v->ival : v->ival;
    c.f = (double)c.i;
    break;
  case VPC_NODE_FLOAT:
    c.kind = C_FLOAT;
    c.f = neg ? -v->fval : v->fval;
    break;
  case VPC_NODE_DURATION:
    c.kind = C_DURATION;
    c.i = neg ? -v->ival : v->ival;
    break;
  case VPC_NODE_STR:
    if (!neg) {
      c.kind = C_STR;
      c.s = v->str;
    }
    break;
  case VPC_NODE_BOOL:
    if (!neg) {
      c.kind = C_BOOL;
      c.i = v->ival;
    }
    break;
  default:
    break;
  }
  return c;
}

static const char *const op_later[] = { "within", "not", "pattern", "on",
                                        "forecast", "enrich", "score",
                                        "trend_aggregate", "fork", "any",
                                        "all" };
static const char *const op_known[] = { "where", "filter", "select", "emit",
                                        "map", "process", "partition_by",
                                        "concurrent", "on_error",
                                        "collect", "context", "print", "log",
                                        "to", "window", "aggregate",
                                        "having", "distinct", "limit",
                                        "first", "order_by", "watermark",
                                        "allowed_lateness", "tap" };

static bool in_names(const char *name, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(names[i], name))
      return true;
  return false;
}

#define IN(name, arr) in_names(name, arr, sizeof arr / sizeof arr[0])

static void unknown_operator(vpc_node *op) {
  const char *best = NULL;
  int best_d = 3;
  for (size_t i = 0; i < sizeof op_known / sizeof op_known[0]; i++) {
    int d = vpc_edit_distance(op->name, op_known[i]);
    if (d < best_d) {
      best_d = d;
      best = op_known[i];
    }
  }
  if (best)
    vpc_error_hint(op->name_pos, vpc_format("did you mean '%s'?", best),
                   "unknown operator '.%s'", op->name);
  else
    vpc_error(op->name_pos, "unknown operator '.%s'", op->name);
}

// Reports operators this version does not run; returns true if op is one.
static bool unsupported_operator(vpc_node *op) {
  if (IN(op->name, op_later)) {
    vpc_error(op->name_pos, "'.%s' is not supported yet (planned: later)",
              op->name);
    return true;
  }
  if (!strcmp(op->name, "from")) {
    vpc_error(op->name_pos, "'.from(C)' must follow the event type, as in "
                            "E.from(C)");
    return true;
  }
  if (!IN(op->name, op_known)) {
    unknown_operator(op);
    return true;
  }
  return false;
}

// The state of a stream's chain while its operators are lowered.
typedef struct chain {
  vpc_stream *st;
  vpc_type *cur;       // element type, always a RECORD
  const char *name;    // run-time type name of the element (5.1)
  vpc_region *region;  // the open region, or NULL
  bool keyed;          // a partition key is set
  int scope_start;     // first stage an outer .on_error would cover
  bool has_process, has_collect, has_emit, has_to, has_print;
  vpc_node *key_expr;  // the partition key
  bool key_crossed;    // a region lies between the key and here
  vpc_stage *window, *aggregate;
} chain;

static vpc_stage *add_stage(chain *ch, vpc_stage_kind kind, vpc_node *op) {
  vpc_stage *st = vpc_alloc(sizeof *st);
  st->kind = kind;
  st->op = op;
  st->in = st->out = ch->cur;
  st->in_name = st->out_name = ch->name;
  st->region = ch->region;
  st->index = ch->st->stages.n;
  vpc_list_push(&ch->st->stages, st);
  return st;
}

static vpc_node *single_arg(vpc_node *op) {
  if (op->list.n != 1) {
    vpc_error(op->name_pos, "'.%s' expects 1 argument, got %d", op->name,
              op->list.n);
    return NULL;
  }
  vpc_node *arg = op->list.items[0];
  if (arg->name) {
    vpc_error(arg->name_pos, "'.%s' takes no named arguments", op->name);
    return NULL;
  }
  return arg->a;
}

static void operator_ctx(chain *ch, vpc_ctx *cx, vpc_scope *sc) {
  memset(cx, 0, sizeof *cx);
  vpc_push_scope(cx, sc);
  cx->implicit = ch->cur->event;
  cx->in_region = ch->region != NULL;
}

// In a lambda, a path that ends without a value beside paths that end in
// a Result counts as Ok(null) (4.5).
static vpc_type *unify_lambda_paths(vpc_type *a, vpc_type *b) {
  if (a->kind == VPC_TY_NULL && b->kind == VPC_TY_RESULT)
    return b->elem ? b : vpc_result_of(&ty_null);
  if (b->kind == VPC_TY_NULL && a->kind == VPC_TY_RESULT)
    return a->elem ? a : vpc_result_of(&ty_null);
  return vpc_unify(a, b);
}

// Checks a lambda whose parameters get the given types; returns the type
// of its result (the unified return values and block value, 4.7).
static vpc_type *check_lambda(chain *ch, vpc_node *lam, vpc_type **ptypes,
                              int np, bool handler, vpc_type **emits) {
  if (lam->list.n != np) {
    vpc_error(lam->pos, "this lambda takes %d parameter%s, got %d", np,
              np == 1 ? "" : "s", lam->list.n);
    return &ty_error;
  }
  vpc_ctx cx = { 0 };
  vpc_scope sc;
  vpc_push_scope(&cx, &sc);
  cx.in_body = true;
  cx.result_ok = true;
  cx.in_region = ch->region != NULL && !handler;
  cx.in_handler = handler;
  cx.emit_ok = emits != NULL;
  for (int i = 0; i < np; i++) {
    vpc_node *p = lam->list.items[i];
    p->sym = vpc_declare_local(&cx, p->name, ptypes[i], 0, p->pos);
  }
  vpc_type *value;
  if (lam->a->kind == VPC_NODE_BLOCK)
    value = vpc_check_block(&cx, lam->a);
  else
    value = vpc_check_expr(&cx, lam->a);
  vpc_type *u = value;
  if (cx.inferred)
    u = value ? unify_lambda_paths(cx.inferred, value) : cx.inferred;
  if (!u && value) {
    vpc_mismatch(lam->pos, cx.inferred, value);
    u = &ty_error;
  }
  lam->type = u ? u : &ty_null;
  if (emits)
    *emits = cx.emits;
  return lam->type;
}

// The record a lambda produces: R from R, Result<R>, R? (4.5, 5.4), or
// NULL when it produces none.
static vpc_type *produced_record(vpc_node *where, vpc_type *t,
                                 const char *opname) {
  if (t->kind == VPC_TY_RESULT)
    t = t->elem ? t->elem : &ty_null;
  if (t->kind == VPC_TY_OPTIONAL)
    t = t->elem;
  if (t->kind == VPC_TY_RECORD || t->kind == VPC_TY_ERROR)
    return t;
  if (t->kind == VPC_TY_NULL)
    return NULL;
  vpc_error(where->pos, "'.%s' must produce a record, got %s", opname,
            vpc_type_name(t));
  return &ty_error;
}

// A record keeps its run-time name when a lambda returns its own
// parameter (or Ok of it); a constructed record is named after its type.
static bool returns_param(vpc_node *lam) {
  vpc_node *e = lam->a;
  if (e->kind == VPC_NODE_BLOCK) {
    if (!e->list.n)
      return false;
    vpc_node *last = e->list.items[e->list.n - 1];
    if (last->kind != VPC_NODE_EXPR_STMT)
      return false;
    e = last->a;
  }
  if (e->kind == VPC_NODE_CALL && e->op == 'b' && !strcmp(e->name, "Ok") &&
      e->list.n == 1)
    e = ((vpc_node *)e->list.items[0])->a;
  return e->kind == VPC_NODE_NAME && lam->list.n &&
         e->sym == ((vpc_node *)lam->list.items[0])->sym;
}

static void lower_where(chain *ch, vpc_node *op) {
  vpc_node *e = single_arg(op);
  if (!e)
    return;
  vpc_stage *st = add_stage(ch, VPC_STAGE_WHERE, op);
  st->expr = e;
  vpc_type *t;
  if (e->kind == VPC_NODE_LAMBDA) {
    vpc_type *p = ch->cur;
    t = check_lambda(ch, e, &p, 1, false, NULL);
  } else {
    vpc_ctx cx;
    vpc_scope sc;
    operator_ctx(ch, &cx, &sc);
    t = vpc_check_expr(&cx, e);
  }
  if (!vpc_assignable(t, &ty_bool))
    vpc_mismatch(e->pos, &ty_bool, t);
}

static vpc_event *new_record(const char *name, vpc_pos pos) {
  vpc_event *ev = vpc_alloc(sizeof *ev);
  ev->name = name;
  ev->pos = pos;
  ev->time_field = -1;
  ev->cname = vpc_format("rec_%s_%d", name, S->records.n);
  ev->resolved = true;
  vpc_list_push(&S->records, ev);
  return ev;
}

static bool is_context(const char *name) {
  for (int i = 0; i < S->contexts.n; i++)
    if (!strcmp(((vpc_node *)S->contexts.items[i])->name, name))
      return true;
  return false;
}

// .context(name): accepted and without effect (2.10), but the name must be
// a declared context.
static void check_context_op(vpc_node *op) {
  vpc_node *e = single_arg(op);
  if (!e)
    return;
  if (e->kind != VPC_NODE_NAME || !is_context(e->name))
    vpc_error(e->pos, "'.context' takes the name of a declared context");
}

// .select(items) and .emit(items): the items become a record (5.4).
static void lower_projection(chain *ch, vpc_node *op, vpc_stage_kind kind) {
  vpc_stage *st = add_stage(ch, kind, op);
  if (kind == VPC_STAGE_EMIT)
    ch->has_emit = true;
  if (kind == VPC_STAGE_EMIT && op->list.n == 0) {
    // .emit() writes the record unchanged but, like every .emit, under the
    // stream's name (5.4).
    st->out_name = ch->name = op->str ? op->str : ch->st->name;
    return;
  }
  const char *type_name = op->str ? op->str : ch->st->name;
  vpc_event *declared = op->str ? vpc_find_event(op->str) : NULL;
  vpc_event *rec = declared ? declared : new_record(type_name, op->pos);
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *item = op->list.items[i];
    // .emit(context: c, ...) names a declared context: dropped (5.4).
    if (item->name && !strcmp(item->name, "context") &&
        item->a->kind == VPC_NODE_NAME && is_context(item->a->name)) {
      item->flag = true;
      continue;
    }
    if (!item->name) {
      if (item->a->kind != VPC_NODE_NAME) {
        vpc_error(item->pos, "an item without a name must be a field name");
        continue;
      }
      item->name = item->a->name;
      item->name_pos = item->a->pos;
    }
    vpc_type *t = vpc_check_expr(&cx, item->a);
    if (declared) {
      vpc_field *f = vpc_event_field(declared, item->name, NULL);
      if (!f)
        vpc_error(item->name_pos, "event '%s' has no field '%s'",
                  declared->name, item->name);
      else if (!vpc_assignable(t, f->type))
        vpc_mismatch(item->a->pos, f->type, t);
      continue;
    }
    if (!strcmp(item->name, "event_type")) {
      vpc_error(item->name_pos, "the field name 'event_type' is reserved");
      continue;
    }
    if (vpc_event_field(rec, item->name, NULL)) {
      vpc_error(item->name_pos, "duplicate field '%s'", item->name);
      continue;
    }
    if (t->kind == VPC_TY_NULL)
      t = &ty_any;  // a null item stays null in the output
    if (t->kind == VPC_TY_RESULT || t->kind == VPC_TY_RECORD ||
        t->kind == VPC_TY_STREAM_ERROR) {
      vpc_error(item->a->pos, "a field cannot hold %s", vpc_type_name(t));
      t = &ty_error;
    }
    if (!strcmp(item->name, "timestamp") && t->kind != VPC_TY_TIMESTAMP &&
        t->kind != VPC_TY_ERROR && t->kind != VPC_TY_ANY)
      vpc_error(item->a->pos, "the field 'timestamp' must have type "
                              "timestamp");
    vpc_field *f = vpc_alloc(sizeof *f);
    f->name = item->name;
    f->type = t;
    f->pos = item->name_pos;
    vpc_list_push(&rec->fields, f);
  }
  if (declared) {
    for (int i = 0; i < declared->fields.n; i++) {
      vpc_field *f = declared->fields.items[i];
      bool given = false;
      for (int j = 0; j < op->list.n; j++)
        given = given || !strcmp(((vpc_node *)op->list.items[j])->name,
                                 f->name);
      if (!given && f->type->kind != VPC_TY_OPTIONAL)
        vpc_error(op->name_pos, "missing field '%s' for event '%s'",
                  f->name, declared->name);
    }
  }
  st->record = rec;
  ch->cur = st->out = vpc_record_type(rec);
  ch->name = st->out_name = type_name;
}

// The run-time name of a record an operator made (5.1): a declared type's
// name, the stream's for an anonymous record, and NULL for a dynamic one,
// which carries the name emit gave it.
static const char *made_record_name(vpc_type *rec, vpc_stream *st) {
  if (vpc_is_dynamic(rec))
    return NULL;
  return rec->event->declared ? rec->event->name : st->name;
}

// .process(e), the runtime's form: e is evaluated with the fields in
// scope, only its emitted records are outputs, and an Err fails the event
// (5.4).
static void lower_process_expression(chain *ch, vpc_node *op, vpc_node *e) {
  vpc_stage *st = add_stage(ch, VPC_STAGE_PROCESS, op);
  st->expr = e;
  ch->has_process = true;
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  cx.emit_ok = true;
  vpc_check_expr(&cx, e);
  if (!cx.emits) {
    vpc_error(e->pos, "'.process(expression)' must emit records; this one "
                      "emits none");
    return;
  }
  st->emits = true;
  ch->name = made_record_name(cx.emits, ch->st);
  ch->cur = st->out = cx.emits;
  st->out_name = ch->name;
}

// .map(x => e) and .process(x => body): one lambda over the element.
static void lower_lambda_op(chain *ch, vpc_node *op, vpc_stage_kind kind) {
  vpc_node *lam = single_arg(op);
  if (!lam)
    return;
  if (lam->kind != VPC_NODE_LAMBDA && kind == VPC_STAGE_PROCESS) {
    lower_process_expression(ch, op, lam);
    return;
  }
  if (lam->kind != VPC_NODE_LAMBDA) {
    vpc_error(lam->pos, "'.map' takes a lambda, as in .map(x => ...)");
    return;
  }
  vpc_stage *st = add_stage(ch, kind, op);
  st->expr = lam;
  if (kind == VPC_STAGE_PROCESS)
    ch->has_process = true;
  vpc_type *p = ch->cur;
  vpc_type *emitted = NULL;
  vpc_type *t = check_lambda(ch, lam, &p, 1, false,
                             kind == VPC_STAGE_PROCESS ? &emitted : NULL);
  st->param = lam->list.n ? ((vpc_node *)lam->list.items[0])->sym : NULL;
  st->emits = emitted != NULL;
  vpc_type *rec = produced_record(lam, t, op->name);
  if (rec && emitted && rec->kind == VPC_TY_RECORD &&
      !vpc_type_equal(rec, emitted))
    vpc_error(lam->pos, "this .process emits %s but returns %s; this "
                        "version of vpc needs one record type",
              vpc_type_name(emitted), vpc_type_name(rec));
  if (!rec)
    rec = emitted;
  if (!rec) {
    if (kind == VPC_STAGE_MAP)
      vpc_error(lam->pos, "'.map' must produce a record, got null");
    return;
  }
  if (rec->kind == VPC_TY_ERROR)
    return;
  if (!returns_param(lam))
    ch->name = made_record_name(rec, ch->st);
  ch->cur = st->out = rec;
  st->out_name = ch->name;
}


static void check_key(chain *ch, vpc_stage *st, vpc_node *e) {
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  cx.in_region = false;  // the key is evaluated on the main thread
  vpc_type *t = vpc_check_expr(&cx, e);
  if (!vpc_is_scalar(t))
    vpc_error(e->pos, "a partition key must be a scalar, got %s",
              vpc_type_name(t));
  st->expr = e;
}

static void lower_partition(chain *ch, vpc_node *op) {
  vpc_node *e = single_arg(op);
  if (!e)
    return;
  vpc_stage *st = add_stage(ch, VPC_STAGE_PARTITION, op);
  check_key(ch, st, e);
  ch->keyed = true;
  ch->key_expr = e;
  ch->key_crossed = false;
}

// Supervision (6.1, 6.2): defaults, then the top-level block, then the
// region's, applied key by key; nested blocks merge the same way.

static bool want_kind(vpc_node *item, constant c, int kind, const char *key,
                      const char *what) {
  if ((int)c.kind == kind || (kind == C_FLOAT && c.kind == C_INT))
    return true;
  vpc_error(item->a->pos, "option '%s': expected %s", key, what);
  return false;
}

static vp_backoff_kind backoff_kind(vpc_node *item, const char *s,
                                    const char *key) {
  if (!strcmp(s, "exponential"))
    return VP_BACKOFF_EXPONENTIAL;
  if (!strcmp(s, "fixed"))
    return VP_BACKOFF_FIXED;
  if (!strcmp(s, "none"))
    return VP_BACKOFF_NONE;
  vpc_error(item->a->pos, "option '%s': expected \"exponential\", "
                          "\"fixed\" or \"none\"",
            key);
  return VP_BACKOFF_EXPONENTIAL;
}

// An option given twice is an error: which one wins would be a guess.
// Checked after the options themselves, so that the errors about each
// come first, in source order.
static void check_options_once(const vpc_list *items, const char *what) {
  for (int i = 0; items && i < items->n; i++) {
    vpc_node *it = items->items[i];
    for (int j = 0; it->name && j < i; j++) {
      vpc_node *before = items->items[j];
      if (before->name && !strcmp(before->name, it->name)) {
        vpc_error(it->name_pos, "duplicate option '%s' for '%s'", it->name,
                  what);
        break;
      }
    }
  }
}

static vpc_list *option_items(vpc_node *v) {
  if (v->kind == VPC_NODE_OPTBLOCK || v->kind == VPC_NODE_MAP ||
      v->kind == VPC_NODE_SUPERVISION)
    return &v->list;
  return NULL;
}

// A nested option (backoff, circuit_breaker, health_check) must be a
// block or a map literal.
static vpc_list *want_block(vpc_node *value, const char *key) {
  vpc_list *items = option_items(value);
  if (!items)
    vpc_error(value->pos, "option '%s': expected a block of options", key);
  return items;
}

static void unknown_sup_key(vpc_node *it, const char *key,
                            const char *known) {
  vpc_error_hint(it->name_pos, vpc_format("the options are: %s", known),
                 "unknown option '%s' for 'supervision'", key);
}

static void apply_backoff(vp_sup_config *s, vpc_node *block) {
  vpc_list *items = option_items(block);
  for (int i = 0; items && i < items->n; i++) {
    vpc_node *it = items->items[i];
    constant c = const_value(it->a);
    const char *key = vpc_format("backoff.%s", it->name);
    if (!strcmp(it->name, "kind")) {
      if (want_kind(it, c, C_STR, key, "a string"))
        s->backoff = backoff_kind(it, c.s, key);
    } else if (!strcmp(it->name, "initial")) {
      if (want_kind(it, c, C_DURATION, key, "a duration"))
        s->backoff_initial_ns = c.i;
    } else if (!strcmp(it->name, "max")) {
      if (want_kind(it, c, C_DURATION, key, "a duration"))
        s->backoff_max_ns = c.i;
    } else if (!strcmp(it->name, "multiplier")) {
      if (want_kind(it, c, C_FLOAT, key, "a float"))
        s->backoff_multiplier = c.f;
    } else if (!strcmp(it->name, "jitter")) {
      if (want_kind(it, c, C_FLOAT, key, "a float"))
        s->backoff_jitter = c.f;
    } else {
      unknown_sup_key(it, key, "kind, initial, max, multiplier, jitter");
    }
  }
  check_options_once(items, "backoff");
}

static void apply_breaker(vp_sup_config *s, vpc_node *block) {
  vpc_list *items = want_block(block, "circuit_breaker");
  s->breaker_enabled = true;
  for (int i = 0; items && i < items->n; i++) {
    vpc_node *it = items->items[i];
    constant c = const_value(it->a);
    const char *key = vpc_format("circuit_breaker.%s", it->name);
    if (!strcmp(it->name, "enabled")) {
      if (want_kind(it, c, C_BOOL, key, "a bool"))
        s->breaker_enabled = c.i;
    } else if (!strcmp(it->name, "failure_threshold")) {
      if (want_kind(it, c, C_INT, key, "an int"))
        s->breaker_failure_threshold = c.i;
    } else if (!strcmp(it->name, "timeout")) {
      if (want_kind(it, c, C_DURATION, key, "a duration"))
        s->breaker_timeout_ns = c.i;
    } else if (!strcmp(it->name, "half_open_requests")) {
      if (want_kind(it, c, C_INT, key, "an int"))
        s->breaker_half_open_requests = c.i;
    } else if (!strcmp(it->name, "count_errors")) {
      if (want_kind(it, c, C_BOOL, key, "a bool"))
        s->breaker_count_errors = c.i;
    } else {
      unknown_sup_key(it, key, "enabled, failure_threshold, timeout, "
                               "half_open_requests, count_errors");
    }
  }
  check_options_once(items, "circuit_breaker");
}

static void apply_health(vp_sup_config *s, vpc_node *block) {
  vpc_list *items = want_block(block, "health_check");
  s->health_enabled = true;
  for (int i = 0; items && i < items->n; i++) {
    vpc_node *it = items->items[i];
    constant c = const_value(it->a);
    const char *key = vpc_format("health_check.%s", it->name);
    if (!strcmp(it->name, "enabled")) {
      if (want_kind(it, c, C_BOOL, key, "a bool"))
        s->health_enabled = c.i;
    } else if (!strcmp(it->name, "interval")) {
      if (want_kind(it, c, C_DURATION, key, "a duration"))
        s->health_interval_ns = c.i;
    } else if (!strcmp(it->name, "timeout")) {
      if (want_kind(it, c, C_DURATION, key, "a duration"))
        s->health_timeout_ns = c.i;
    } else {
      unknown_sup_key(it, key, "enabled, interval, timeout");
    }
  }
  check_options_once(items, "health_check");
}

static vp_restart restart_policy(vpc_node *it, constant c) {
  if (c.kind == C_STR && !strcmp(c.s, "always"))
    return VP_RESTART_ALWAYS;
  if (c.kind == C_STR && !strcmp(c.s, "on_failure"))
    return VP_RESTART_ON_FAILURE;
  if (c.kind == C_STR && !strcmp(c.s, "never"))
    return VP_RESTART_NEVER;
  vpc_error(it->a->pos, "option '%s': expected \"always\", \"on_failure\" "
                        "or \"never\"",
            it->name);
  return VP_RESTART_ALWAYS;
}

static void apply_sup_item(vp_sup_config *s, vpc_node *it) {
  constant c = const_value(it->a);
  const char *k = it->name;
  if (!strcmp(k, "restart") || !strcmp(k, "restart_policy")) {
    s->restart = restart_policy(it, c);
  } else if (!strcmp(k, "max_restarts")) {
    if (want_kind(it, c, C_INT, k, "an int"))
      s->max_restarts = c.i;
  } else if (!strcmp(k, "restart_window")) {
    if (want_kind(it, c, C_DURATION, k, "a duration"))
      s->restart_window_ns = c.i;
  } else if (!strcmp(k, "backoff")) {
    if (c.kind == C_STR)
      s->backoff = backoff_kind(it, c.s, "backoff");
    else if (option_items(it->a))
      apply_backoff(s, it->a);
    else
      vpc_error(it->a->pos, "option 'backoff': expected a string or a "
                            "block");
  } else if (!strcmp(k, "circuit_breaker")) {
    apply_breaker(s, it->a);
  } else if (!strcmp(k, "health_check")) {
    apply_health(s, it->a);
  } else {
    unknown_sup_key(it, k, "restart (or restart_policy), max_restarts, "
                           "restart_window, backoff, circuit_breaker, "
                           "health_check");
  }
}

static void apply_sup_block(vp_sup_config *s, vpc_node *block) {
  vpc_list *items = option_items(block);
  if (!items) {
    vpc_error(block->pos, "option 'supervision': expected a block");
    return;
  }
  bool restart = false, restart_policy_seen = false;
  for (int i = 0; i < items->n; i++) {
    vpc_node *it = items->items[i];
    restart = restart || !strcmp(it->name, "restart");
    restart_policy_seen =
        restart_policy_seen || !strcmp(it->name, "restart_policy");
    if (restart && restart_policy_seen) {
      vpc_error(it->name_pos, "'restart' and 'restart_policy' are the same "
                              "option; give one");
      restart_policy_seen = false;
    }
    apply_sup_item(s, it);
  }
  check_options_once(items, "supervision");
}

static void check_sup_ranges(const vp_sup_config *s, vpc_pos at) {
  if (s->max_restarts < 0)
    vpc_error(at, "option 'max_restarts': expected an int >= 0");
  if (s->restart_window_ns <= 0)
    vpc_error(at, "option 'restart_window': expected a duration > 0");
  if (s->backoff_initial_ns < 0)
    vpc_error(at, "option 'backoff.initial': expected a duration >= 0");
  if (s->backoff_max_ns < s->backoff_initial_ns)
    vpc_error(at, "option 'backoff.max': expected a duration >= "
                  "backoff.initial");
  if (s->backoff_multiplier < 1.0)
    vpc_error(at, "option 'backoff.multiplier': expected a float >= 1.0");
  if (s->backoff_jitter < 0.0 || s->backoff_jitter >= 1.0)
    vpc_error(at, "option 'backoff.jitter': expected a float in [0, 1)");
  if (s->breaker_failure_threshold < 1)
    vpc_error(at, "option 'circuit_breaker.failure_threshold': expected an "
                  "int >= 1");
  if (s->breaker_timeout_ns <= 0)
    vpc_error(at, "option 'circuit_breaker.timeout': expected a duration > "
                  "0");
  if (s->breaker_half_open_requests < 1)
    vpc_error(at, "option 'circuit_breaker.half_open_requests': expected an "
                  "int >= 1");
  if (s->health_interval_ns <= 0)
    vpc_error(at, "option 'health_check.interval': expected a duration > 0");
  if (s->health_timeout_ns <= 0)
    vpc_error(at, "option 'health_check.timeout': expected a duration > 0");
}

static int strategy_of(vpc_node *it, constant c) {
  if (c.kind == C_STR && !strcmp(c.s, "consistent_hash"))
    return STRATEGY_HASH;
  if (c.kind == C_STR && !strcmp(c.s, "round_robin"))
    return STRATEGY_ROUND_ROBIN;
  if (c.kind == C_STR && !strcmp(c.s, "broadcast"))
    return STRATEGY_BROADCAST;
  vpc_error(it->a->pos, "option 'strategy': expected \"consistent_hash\", "
                        "\"round_robin\" or \"broadcast\"");
  return STRATEGY_NONE;
}

static void concurrent_option(chain *ch, vpc_region *r, vpc_stage *st,
                              vpc_node *it, bool *strategy_set) {
  constant c = const_value(it->a);
  const char *k = it->name;
  if (!strcmp(k, "max_workers")) {
    if (want_kind(it, c, C_INT, k, "an int from 1 to 1024") &&
        (c.i < 1 || c.i > 1024))
      vpc_error(it->a->pos, "option 'max_workers': expected an int from 1 "
                            "to 1024");
    r->max_workers = (int)c.i;
  } else if (!strcmp(k, "strategy")) {
    r->strategy = strategy_of(it, c);
    *strategy_set = true;
  } else if (!strcmp(k, "key")) {
    check_key(ch, st, it->a);
    r->key = it->a;
  } else if (!strcmp(k, "queue_capacity")) {
    if (want_kind(it, c, C_INT, k, "an int >= 1") && c.i < 1)
      vpc_error(it->a->pos, "option 'queue_capacity': expected an int >= 1");
    r->queue_capacity = c.i > 1 << 20 ? 1 << 20 : (int)c.i;
  } else if (!strcmp(k, "isolation")) {
    if (c.kind == C_STR && !strcmp(c.s, "thread"))
      vpc_error(it->a->pos, "'isolation: \"thread\"' is not supported yet "
                            "(planned: P2)");
    else if (c.kind != C_STR || strcmp(c.s, "process"))
      vpc_error(it->a->pos, "option 'isolation': expected \"process\"");
  } else if (!strcmp(k, "recycle_after")) {
    if (want_kind(it, c, C_INT, k, "an int >= 0") && c.i < 0)
      vpc_error(it->a->pos, "option 'recycle_after': expected an int >= 0");
    r->recycle_after = c.i;
  } else if (!strcmp(k, "supervision")) {
    r->sup_node = it->a;
  } else {
    vpc_error(it->name_pos, "unknown option '%s' for '.concurrent'", k);
  }
}

static void lower_concurrent(chain *ch, vpc_node *op) {
  if (ch->region) {
    vpc_error(op->name_pos, "nested '.concurrent'");
    return;
  }
  vpc_region *r = vpc_alloc(sizeof *r);
  r->id = S->regions.n;
  r->max_workers = 4;
  r->queue_capacity = 1024;
  r->pos = op->name_pos;
  r->entry = ch->cur;
  r->entry_name = ch->name;
  vpc_stage *st = add_stage(ch, VPC_STAGE_CONCURRENT, op);
  st->region = r;
  bool strategy_set = false;
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *it = op->list.items[i];
    if (!it->name) {
      vpc_error(it->pos, "'.concurrent' takes named options");
      continue;
    }
    concurrent_option(ch, r, st, it, &strategy_set);
  }
  check_options_once(&op->list, ".concurrent");
  if (!strategy_set)
    r->strategy = ch->keyed || r->key ? STRATEGY_HASH : STRATEGY_ROUND_ROBIN;
  if (r->strategy == STRATEGY_HASH && !ch->keyed && !r->key)
    vpc_error(op->name_pos, "'consistent_hash' needs a key: use "
                            ".partition_by(...) or key: ...");
  if (r->strategy == STRATEGY_BROADCAST)
    vpc_warning(op->name_pos, "broadcast: each output is produced once per "
                              "worker");
  r->sup = program_sup;
  if (r->sup_node)
    apply_sup_block(&r->sup, r->sup_node);
  check_sup_ranges(&r->sup, op->name_pos);
  // A region's events are the stream's own only when nothing before it
  // can turn one event into several: a .process, a broadcast region, a
  // region whose keyed state releases records on its own, or, in a stream
  // that has an earlier region, an .on_error handler anywhere before this
  // one (it may emit records; conservative).
  r->counts_fates = true;
  for (int i = 0; i < st->index; i++) {
    vpc_stage *before = ch->st->stages.items[i];
    vpc_region *rb = before->kind == VPC_STAGE_CONCURRENT ? before->region
                                                          : NULL;
    if (before->kind == VPC_STAGE_PROCESS ||
        (rb && (rb->strategy == STRATEGY_BROADCAST || rb->keyed_state)) ||
        (before->kind == VPC_STAGE_ON_ERROR && ch->st->regions.n > 0))
      r->counts_fates = false;
  }
  r->first = st->index + 1;
  ch->region = r;
  vpc_list_push(&S->regions, r);
  vpc_list_push(&ch->st->regions, r);
}

static vpc_node *synthetic_name(const char *name, vpc_pos pos) {
  vpc_node *n = vpc_node_new(VPC_NODE_NAME, pos);
  n->name = name;
  n->name_pos = pos;
  return n;
}

// .on_error(f) names a function of (StreamError, T) or (StreamError):
// it is the lambda (err, ev) => f(err, ev) (5.7). Anything else stays as
// written.
static vpc_node *handler_lambda(vpc_node *h) {
  vpc_fn *f = h->kind == VPC_NODE_NAME ? vpc_find_fn(h->name) : NULL;
  if (!f || f->params.n < 1 || f->params.n > 2)
    return h;
  vpc_node *lam = vpc_node_new(VPC_NODE_LAMBDA, h->pos);
  vpc_node *call = vpc_node_new(VPC_NODE_CALL, h->pos);
  call->name = f->name;
  call->name_pos = h->pos;
  static const char *const params[] = { "err", "ev" };
  for (int i = 0; i < f->params.n; i++) {
    vpc_list_push(&lam->list, synthetic_name(params[i], h->pos));
    vpc_node *arg = vpc_node_new(VPC_NODE_ARG, h->pos);
    arg->a = synthetic_name(params[i], h->pos);
    vpc_list_push(&call->list, arg);
  }
  lam->a = call;
  return lam;
}

// .on_error outside regions covers the operators since the previous
// handler (or the stream's start); ev is the element where that scope
// starts (5.7).
static void lower_outer_on_error(chain *ch, vpc_node *op, vpc_node *h) {
  if (h->kind != VPC_NODE_LAMBDA) {
    vpc_error(h->pos, "'.on_error' takes a lambda, as in .on_error((err, "
                      "ev) => ...), or a function's name");
    return;
  }
  int start = ch->scope_start;
  for (int i = start; i < ch->st->stages.n; i++) {
    vpc_stage *sg = ch->st->stages.items[i];
    if (sg->kind == VPC_STAGE_CONCURRENT) {
      vpc_error(op->name_pos, "'.on_error' around a concurrent region is "
                              "not supported by this version of vpc; give "
                              "the region an .on_error of its own");
      return;
    }
  }
  vpc_type *scope_in = start < ch->st->stages.n
                           ? ((vpc_stage *)ch->st->stages.items[start])->in
                           : ch->cur;
  const char *scope_name =
      start < ch->st->stages.n
          ? ((vpc_stage *)ch->st->stages.items[start])->in_name
          : ch->name;
  vpc_stage *st = add_stage(ch, VPC_STAGE_ON_ERROR, op);
  st->expr = h;
  st->scope_start = start;
  st->scope_in = scope_in;
  st->scope_name = scope_name;
  vpc_type *ptypes[2] = { &ty_stream_error, scope_in };
  int np = h->list.n == 1 ? 1 : 2;
  vpc_type *emitted = NULL;
  vpc_type *t = check_lambda(ch, h, ptypes, np, true, &emitted);
  st->emits = emitted != NULL;
  vpc_type *rec = produced_record(h, t, "on_error");
  if (emitted && !vpc_type_equal(emitted, ch->cur))
    vpc_error(h->pos, "a handler's records must have the stream's type %s "
                      "here, got %s",
              vpc_type_name(ch->cur), vpc_type_name(emitted));
  else if (rec && rec->kind == VPC_TY_RECORD && !vpc_type_equal(rec, ch->cur))
    vpc_error(h->pos, "a handler's record must have the stream's type %s "
                      "here, got %s",
              vpc_type_name(ch->cur), vpc_type_name(rec));
  ch->scope_start = st->index + 1;
}

// .on_error((err, ev) => ...), err => ..., or a function's name (5.7).
static void lower_on_error(chain *ch, vpc_node *op) {
  vpc_node *h = single_arg(op);
  if (!h)
    return;
  h = handler_lambda(h);
  if (!ch->region) {
    lower_outer_on_error(ch, op, h);
    return;
  }
  vpc_stage *st = add_stage(ch, VPC_STAGE_ON_ERROR, op);
  st->expr = h;
  ch->region->handler = st;
  vpc_type *ptypes[2] = { &ty_stream_error, ch->region->entry };
  if (h->kind != VPC_NODE_LAMBDA) {
    vpc_error(h->pos, "'.on_error' takes a lambda, as in .on_error((err, "
                      "ev) => ...), or a function's name");
    return;
  }
  int np = h->list.n == 1 ? 1 : 2;
  vpc_type *emitted = NULL;
  vpc_type *t = check_lambda(ch, h, ptypes, np, true, &emitted);
  st->emits = emitted != NULL;
  if (emitted && !vpc_type_equal(emitted, ch->cur))
    vpc_error(h->pos, "a handler's records must have the region's output "
                      "type %s, got %s",
              vpc_type_name(ch->cur), vpc_type_name(emitted));
  if (h->list.n >= 1)
    st->param = ((vpc_node *)h->list.items[0])->sym;
  if (h->list.n >= 2)
    st->param2 = ((vpc_node *)h->list.items[1])->sym;
  vpc_type *rec = produced_record(h, t, "on_error");
  if (rec && rec->kind == VPC_TY_RECORD && !vpc_type_equal(rec, ch->cur))
    vpc_error(h->pos, "a handler's record must have the region's output "
                      "type %s, got %s",
              vpc_type_name(ch->cur), vpc_type_name(rec));
}

static void lower_collect(chain *ch, vpc_node *op) {
  vpc_region *r = ch->region;
  if (!r) {
    vpc_error(op->name_pos, "'.collect()' without '.concurrent'");
    return;
  }
  vpc_stage *st = add_stage(ch, VPC_STAGE_COLLECT, op);
  st->region = r;
  r->last = st->index;
  r->exit = ch->cur;
  r->order = ORDER_COMPLETION;
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *it = op->list.items[i];
    constant c = const_value(it->a);
    if (it->name && !strcmp(it->name, "order")) {
      if (c.kind == C_STR && !strcmp(c.s, "input"))
        r->order = ORDER_INPUT;
      else if (c.kind == C_STR && !strcmp(c.s, "event_time"))
        vpc_error(it->a->pos, "'order: \"event_time\"' is not supported yet "
                              "(planned: P2)");
      else if (c.kind != C_STR || strcmp(c.s, "completion"))
        vpc_error(it->a->pos, "option 'order': expected \"completion\" or "
                              "\"input\"");
    } else if (it->name && !strcmp(it->name, "max_pending")) {
      if (c.kind != C_INT || c.i < 1)
        vpc_error(it->a->pos, "option 'max_pending': expected an int >= 1");
    } else {
      vpc_error(it->name ? it->name_pos : it->pos,
                "unknown option '%s' for '.collect'",
                it->name ? it->name : "(positional)");
    }
  }
  check_options_once(&op->list, ".collect");
  if (r->strategy == STRATEGY_ROUND_ROBIN && ch->keyed &&
      r->order == ORDER_COMPLETION)
    vpc_warning(r->pos, "round_robin with order \"completion\" does not "
                        "keep per-key order");
  ch->region = NULL;
  ch->key_crossed = ch->keyed;
  ch->has_collect = true;
}

// .print(e, ...): one stderr line per event (5.4).
static void lower_print(chain *ch, vpc_node *op) {
  vpc_stage *st = add_stage(ch, VPC_STAGE_PRINT, op);
  ch->has_print = true;
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    if (arg->name)
      vpc_error(arg->name_pos, "'.print' takes positional arguments");
    vpc_type *t = vpc_check_expr(&cx, arg->a);
    if (!vpc_assignable(t, &ty_any) && t->kind != VPC_TY_ERROR)
      vpc_error(arg->a->pos, "'.print' cannot show %s", vpc_type_name(t));
  }
  (void)st;
}

static int log_level(vpc_node *e) {
  static const char *const names[] = { "error", "warn",  "info",
                                       "debug", "trace", "warning" };
  static const int levels[] = { 0, 1, 2, 3, 4, 1 };
  if (e->kind == VPC_NODE_STR)
    for (int i = 0; i < 6; i++)
      if (!strcmp(e->str, names[i]))
        return levels[i];
  vpc_error(e->pos, "option 'level': expected \"error\", \"warn\", "
                    "\"info\", \"debug\" or \"trace\"");
  return 2;
}

// .log(level: s, message: s, data: f): a log line per event (5.4).
static void lower_log(chain *ch, vpc_node *op) {
  vpc_stage *st = add_stage(ch, VPC_STAGE_LOG, op);
  ch->has_print = true;
  st->log_level = 2;  // info
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    if (!arg->name) {
      vpc_error(arg->pos, "'.log' takes level:, message: and data:");
    } else if (!strcmp(arg->name, "level")) {
      st->log_level = log_level(arg->a);
    } else if (!strcmp(arg->name, "message")) {
      vpc_type *t = vpc_check_expr(&cx, arg->a);
      if (!vpc_assignable(t, &ty_str))
        vpc_mismatch(arg->a->pos, &ty_str, t);
    } else if (!strcmp(arg->name, "data")) {
      vpc_type *t = vpc_check_expr(&cx, arg->a);
      if (!vpc_assignable(t, &ty_any) && t->kind != VPC_TY_ERROR)
        vpc_error(arg->a->pos, "'.log' cannot show %s", vpc_type_name(t));
    } else {
      vpc_error(arg->name_pos, "unknown option '%s' for '.log'", arg->name);
    }
  }
}

static vpc_connector *find_connector(const char *name) {
  for (int i = 0; i < S->connectors.n; i++) {
    vpc_connector *c = S->connectors.items[i];
    if (!strcmp(c->name, name))
      return c;
  }
  return NULL;
}

// .to(C [, k: v]): each event goes to connector C as well (5.4, 2.11).
static void lower_to(chain *ch, vpc_node *op) {
  vpc_node *first = op->list.n ? op->list.items[0] : NULL;
  if (!first || first->name || first->a->kind != VPC_NODE_NAME) {
    vpc_error(first ? first->pos : op->name_pos,
              "'.to' takes the name of a connector");
    return;
  }
  vpc_connector *c = find_connector(first->a->name);
  if (!c) {
    vpc_error(first->a->pos, "unknown connector '%s'", first->a->name);
    return;
  }
  for (int i = 1; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    vpc_warning(arg->pos, "'%s' is ignored for %s connectors",
                arg->name ? arg->name : "argument",
                c->to_stdout ? "stdout" : "file");
  }
  vpc_stage *st = add_stage(ch, VPC_STAGE_TO, op);
  st->sink = c;
  c->written = true;
  ch->has_to = true;
}

static bool is_orderable(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_INT:
  case VPC_TY_FLOAT:
  case VPC_TY_STR:
  case VPC_TY_BOOL:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
  case VPC_TY_ANY:
  case VPC_TY_ERROR:
    return true;
  default:
    return false;
  }
}

// Windows, aggregates and the other stateful operators (5.4-5.6, 7.2).

static vpc_stage *last_stage(chain *ch) {
  return ch->st->stages.n ? ch->st->stages.items[ch->st->stages.n - 1] : NULL;
}

static bool keyed_here(chain *ch, vpc_node *op) {
  if (!ch->keyed)
    return false;
  if (ch->key_crossed) {
    vpc_error(op->name_pos, "'.%s' after a concurrent region of a "
                            "partitioned stream is not supported by this "
                            "version of vpc; set .partition_by again after "
                            "the region",
              op->name);
    return false;
  }
  ch->st->keyed_state = true;
  return true;
}

static void lower_window(chain *ch, vpc_node *op) {
  if (ch->window) {
    vpc_error(op->name_pos, "a stream has at most one '.window'");
    return;
  }
  vpc_stage *st = add_stage(ch, VPC_STAGE_WINDOW, op);
  ch->window = st;
  // Released batches run on outside the event that entered the window:
  // an outer .on_error after it covers only the operators after it.
  ch->scope_start = st->index + 1;
  st->keyed = keyed_here(ch, op);
  vpc_node *size = NULL, *slide = NULL, *gap = NULL;
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    if (!arg->name && !size && i == 0)
      size = arg->a;
    else if (arg->name && !strcmp(arg->name, "sliding"))
      slide = arg->a;
    else if (arg->name && !strcmp(arg->name, "session"))
      gap = arg->a;
    else if (arg->name && !strcmp(arg->name, "policy"))
      ;  // accepted and ignored (5.5)
    else
      vpc_error(arg->pos, "'.window' takes a size, sliding: and session: "
                          "arguments");
  }
  if (gap) {
    constant c = const_value(gap);
    if (size || slide)
      vpc_error(op->name_pos, "a session window takes only session: G");
    if (c.kind != C_DURATION || c.i <= 0) {
      vpc_error(gap->pos, "session: expects a positive duration constant");
      return;
    }
    st->win_kind = VPC_WIN_SESSION;
    st->win_dur = c.i;
    return;
  }
  if (!size) {
    vpc_error(op->name_pos, "'.window' needs a size: an int (events) or a "
                            "duration");
    return;
  }
  constant c = const_value(size);
  constant s = slide ? const_value(slide) : (constant){ C_NONE, 0, 0, NULL };
  if (c.kind == C_INT) {
    if (c.i < 1) {
      vpc_error(size->pos, "a count window needs at least 1 event");
      return;
    }
    st->win_kind = VPC_WIN_COUNT;
    st->win_n = c.i;
    if (slide) {
      if (s.kind != C_INT || s.i < 1 || s.i > c.i) {
        vpc_error(slide->pos, "sliding: expects an int constant from 1 to "
                              "the window size %lld",
                  (long long)c.i);
        return;
      }
      st->win_kind = VPC_WIN_COUNT_SLIDING;
      st->win_slide = s.i;
    }
  } else if (c.kind == C_DURATION) {
    if (c.i <= 0) {
      vpc_error(size->pos, "a time window needs a positive duration");
      return;
    }
    st->win_kind = VPC_WIN_TIME;
    st->win_dur = c.i;
    if (slide) {
      if (s.kind != C_DURATION || s.i <= 0) {
        vpc_error(slide->pos, "sliding: expects a positive duration "
                              "constant, as the window size");
        return;
      }
      st->win_kind = VPC_WIN_TIME_SLIDING;
      st->win_slide = s.i;
    }
  } else {
    vpc_error(size->pos, "a window size must be an int or a duration "
                         "constant");
  }
}

static const struct {
  const char *name;
  vpc_agg_fn fn;
} agg_names[] = {
  { "count", VPC_AGG_COUNT },   { "sum", VPC_AGG_SUM },
  { "avg", VPC_AGG_AVG },       { "min", VPC_AGG_MIN },
  { "max", VPC_AGG_MAX },       { "first", VPC_AGG_FIRST },
  { "last", VPC_AGG_LAST },     { "stddev", VPC_AGG_STDDEV },
  { "count_distinct", VPC_AGG_COUNT_DISTINCT }, { "ema", VPC_AGG_EMA },
};

static int agg_fn_of(const char *name) {
  for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
    if (!strcmp(agg_names[i].name, name))
      return (int)agg_names[i].fn;
  return -1;
}

typedef struct agg_ctx {
  chain *ch;
  vpc_stage *st;
  vpc_ctx *items;  // the scope of aggregate results
  vpc_ctx *args;   // arguments: the element's fields
} agg_ctx;

static vpc_type *agg_result_type(vpc_agg_fn fn) {
  switch (fn) {
  case VPC_AGG_COUNT:
  case VPC_AGG_COUNT_DISTINCT:
    return &ty_int;
  case VPC_AGG_SUM:
    return &ty_float;
  default:
    return &ty_any;  // may be null (5.6)
  }
}

static bool agg_numeric_arg(vpc_type *t) {
  if (t->kind == VPC_TY_OPTIONAL)
    t = t->elem;
  return t->kind == VPC_TY_INT || t->kind == VPC_TY_FLOAT ||
         t->kind == VPC_TY_ANY || t->kind == VPC_TY_ERROR ||
         t->kind == VPC_TY_NULL;
}

static void rewrite_agg_expr(agg_ctx *a, vpc_node *n);

// The first aggregate call inside expression n, or NULL: an aggregate's
// argument is evaluated per event, where no batch is in sight.
static vpc_node *nested_aggregate(vpc_node *n) {
  if (!n)
    return NULL;
  if (n->kind == VPC_NODE_CALL && !n->a && agg_fn_of(n->name) >= 0)
    return n;
  vpc_node *inner = NULL;
  for (int i = 0; !inner && i < n->list.n; i++)
    inner = nested_aggregate(n->list.items[i]);
  if (!inner)
    inner = nested_aggregate(n->a);
  if (!inner)
    inner = nested_aggregate(n->b);
  return inner ? inner : nested_aggregate(n->c);
}

static void rewrite_agg_call(agg_ctx *a, vpc_node *n, int fn) {
  vpc_agg_call *c = vpc_alloc(sizeof *c);
  c->fn = (vpc_agg_fn)fn;
  int nargs = n->list.n;
  vpc_node *arg = nargs ? ((vpc_node *)n->list.items[0])->a : NULL;
  if (c->fn == VPC_AGG_COUNT && arg && arg->kind == VPC_NODE_CALL &&
      !strcmp(arg->name, "distinct") && arg->list.n == 1) {
    c->fn = VPC_AGG_COUNT_DISTINCT;
    arg = ((vpc_node *)arg->list.items[0])->a;
  }
  for (int i = 0; i < nargs; i++)
    if (((vpc_node *)n->list.items[i])->name)
      vpc_error(n->pos, "'%s' takes no named arguments", n->name);
  if (c->fn == VPC_AGG_EMA) {
    vpc_node *nn = nargs == 2 ? ((vpc_node *)n->list.items[1])->a : NULL;
    constant k = nn ? const_value(nn) : (constant){ C_NONE, 0, 0, NULL };
    if (k.kind != C_INT || k.i < 1)
      vpc_error(n->pos, "ema(e, n) needs n: an int constant >= 1");
    c->ema_n = k.i;
  } else if (c->fn == VPC_AGG_COUNT) {
    if (nargs > 1)
      vpc_error(n->pos, "count takes at most 1 argument, got %d", nargs);
  } else if (nargs != 1) {
    vpc_error(n->pos, "'%s' takes 1 argument, got %d", n->name, nargs);
  }
  vpc_node *inner = nested_aggregate(arg);
  if (inner) {
    vpc_error(inner->name_pos, "'%s' inside the argument of '%s': "
                               "aggregates do not nest",
              inner->name, n->name);
    arg = NULL;
  }
  if (c->fn == VPC_AGG_COUNT) {
    if (arg)
      vpc_check_expr(a->args, arg);  // checked, then ignored (5.6)
    arg = NULL;
  }
  c->arg = arg;
  if (arg) {
    vpc_type *t = vpc_check_expr(a->args, arg);
    bool numeric = c->fn == VPC_AGG_SUM || c->fn == VPC_AGG_AVG ||
                   c->fn == VPC_AGG_MIN || c->fn == VPC_AGG_MAX ||
                   c->fn == VPC_AGG_STDDEV || c->fn == VPC_AGG_EMA;
    if (numeric && !agg_numeric_arg(t))
      vpc_error(arg->pos, "'%s' needs a numeric argument, got %s", n->name,
                vpc_type_name(t));
    if (c->fn == VPC_AGG_COUNT_DISTINCT && !vpc_is_scalar(t) &&
        !vpc_is_boxed(t))
      vpc_error(arg->pos, "count_distinct of %s is not supported by this "
                          "version of vpc (scalars only)",
                vpc_type_name(t));
  }
  const char *local = vpc_format("agg%d", a->st->aggs.n);
  c->sym = vpc_declare_local(a->items, local, agg_result_type(c->fn), 0,
                             n->pos);
  vpc_list_push(&a->st->aggs, c);
  memset(&n->list, 0, sizeof n->list);
  n->kind = VPC_NODE_NAME;
  n->name = local;
}

static void rewrite_agg_expr(agg_ctx *a, vpc_node *n) {
  if (!n)
    return;
  switch (n->kind) {
  case VPC_NODE_CALL: {
    int fn = n->a ? -1 : agg_fn_of(n->name);
    if (fn >= 0) {
      rewrite_agg_call(a, n, fn);
      return;
    }
    // A function planned for later (median, percentile...) is reported
    // as such by the checker; its arguments would only add errors.
    if (!n->a && !vpc_find_builtin(n->name) && vpc_builtin_phase(n->name))
      return;
    break;
  }
  case VPC_NODE_NAME: {
    vpc_event *ev = a->ch->cur->event;
    bool field = ev && (ev->dynamic
                            ? !vpc_find_global(n->name)
                            : vpc_event_field(ev, n->name, NULL) != NULL);
    if (!field)
      return;
    if (a->st->key_field && !strcmp(a->st->key_field, n->name)) {
      if (!a->st->key_sym) {
        vpc_ctx cx;
        vpc_scope sc;
        operator_ctx(a->ch, &cx, &sc);
        vpc_node key = *n;
        vpc_type *t = vpc_check_expr(&cx, &key);
        a->st->key_sym = vpc_declare_local(a->items, "key", t, 0, n->pos);
      }
      n->name = "key";
      return;
    }
    vpc_error(n->pos, "'%s' is a field: in '.aggregate' a field is read "
                      "through an aggregate such as last(%s)",
              n->name, n->name);
    // Read on as last(field), as the message suggests, so that the rest
    // of the item is checked without errors that follow from this one.
    vpc_node *name = vpc_node_new(VPC_NODE_NAME, n->pos);
    name->name = n->name;
    vpc_node *arg = vpc_node_new(VPC_NODE_ARG, n->pos);
    arg->a = name;
    n->kind = VPC_NODE_CALL;
    n->name = "last";
    n->name_pos = n->pos;
    vpc_list_push(&n->list, arg);
    rewrite_agg_call(a, n, VPC_AGG_LAST);
    return;
  }
  default:
    break;
  }
  rewrite_agg_expr(a, n->a);
  rewrite_agg_expr(a, n->b);
  rewrite_agg_expr(a, n->c);
  for (int i = 0; i < n->list.n; i++)
    rewrite_agg_expr(a, n->list.items[i]);
}

static void lower_aggregate(chain *ch, vpc_node *op) {
  if (ch->aggregate) {
    vpc_error(op->name_pos, "a stream has at most one '.aggregate'");
    return;
  }
  vpc_stage *prev = last_stage(ch);
  vpc_stage *win = prev && prev->kind == VPC_STAGE_WINDOW ? prev : NULL;
  if (ch->window && !win) {
    vpc_error(op->name_pos, "'.aggregate' must follow its '.window' "
                            "directly in this version of vpc");
    return;
  }
  if (!win)
    vpc_warning(op->name_pos, "'.aggregate' without '.window': each event "
                              "is a batch of one");
  vpc_stage *st = add_stage(ch, VPC_STAGE_AGGREGATE, op);
  ch->aggregate = st;
  if (win)
    ch->scope_start = st->index + 1;
  st->window = win;
  st->keyed = win ? win->keyed : keyed_here(ch, op);
  if (st->keyed && ch->key_expr && ch->key_expr->kind == VPC_NODE_NAME)
    st->key_field = ch->key_expr->name;
  vpc_event *rec = new_record(ch->st->name, op->pos);
  if (st->keyed) {
    vpc_field *f = vpc_alloc(sizeof *f);
    f->name = "_partition";
    f->type = &ty_str;
    f->pos = op->pos;
    vpc_list_push(&rec->fields, f);
  }
  vpc_ctx items, args;
  vpc_scope isc, asc;
  memset(&items, 0, sizeof items);
  vpc_push_scope(&items, &isc);
  operator_ctx(ch, &args, &asc);
  agg_ctx a = { ch, st, &items, &args };
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *item = op->list.items[i];
    if (!item->name) {
      vpc_error(item->pos, "an '.aggregate' item needs a name, as in "
                           "total: sum(x)");
      continue;
    }
    rewrite_agg_expr(&a, item->a);
    vpc_type *t = vpc_check_expr(&items, item->a);
    if (t->kind == VPC_TY_NULL)
      t = &ty_any;
    if (vpc_event_field(rec, item->name, NULL) ||
        !strcmp(item->name, "event_type")) {
      vpc_error(item->name_pos, "duplicate or reserved field '%s'",
                item->name);
      continue;
    }
    if (t->kind == VPC_TY_RESULT || t->kind == VPC_TY_RECORD ||
        t->kind == VPC_TY_STREAM_ERROR) {
      vpc_error(item->a->pos, "a field cannot hold %s", vpc_type_name(t));
      t = &ty_error;
    }
    vpc_field *f = vpc_alloc(sizeof *f);
    f->name = item->name;
    f->type = t;
    f->pos = item->name_pos;
    vpc_list_push(&rec->fields, f);
  }
  st->record = rec;
  ch->cur = st->out = vpc_record_type(rec);
  ch->name = st->out_name = ch->st->name;
}

static void lower_having(chain *ch, vpc_node *op) {
  if (!ch->aggregate) {
    vpc_error(op->name_pos, "'.having' must come after '.aggregate'");
    return;
  }
  lower_where(ch, op);
}

static void lower_limit(chain *ch, vpc_node *op) {
  int64_t n = 1;
  if (!strcmp(op->name, "limit")) {
    vpc_node *e = single_arg(op);
    if (!e)
      return;
    constant c = const_value(e);
    if (c.kind != C_INT || c.i < 0) {
      vpc_error(e->pos, "'.limit' takes a non-negative int constant");
      return;
    }
    n = c.i;
  } else if (op->list.n) {
    vpc_error(op->name_pos, "'.first' takes no arguments");
    return;
  }
  vpc_stage *st = add_stage(ch, VPC_STAGE_LIMIT, op);
  st->limit = n;
}

static void lower_order_by(chain *ch, vpc_node *op) {
  vpc_stage *prev = last_stage(ch);
  if (!prev || (prev->kind != VPC_STAGE_WINDOW &&
                prev->kind != VPC_STAGE_AGGREGATE)) {
    vpc_error(op->name_pos, "'.order_by' must come directly after "
                            "'.window' or '.aggregate'");
    return;
  }
  // After .aggregate a batch is one record: the keys are only checked.
  vpc_stage *st = add_stage(ch, VPC_STAGE_ORDER_BY, op);
  if (prev->kind == VPC_STAGE_WINDOW || prev->window)
    ch->scope_start = st->index + 1;
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    if (arg->name) {
      vpc_error(arg->pos, "'.order_by' takes expressions, each optionally "
                          "followed by asc or desc");
      continue;
    }
    vpc_node *e = arg->a;
    vpc_type *t = vpc_check_expr(&cx, e);
    vpc_type *b = t->kind == VPC_TY_OPTIONAL ? t->elem : t;
    if (!is_orderable(b))
      vpc_error(e->pos, "'.order_by' cannot sort by %s", vpc_type_name(t));
    vpc_list_push(&st->order, arg);
  }
  if (!op->list.n)
    vpc_error(op->name_pos, "'.order_by' needs at least one key");
  prev->sorted = prev->kind == VPC_STAGE_WINDOW;
}

// .tap(counter: "n", labels: [f, ...]): labels are field names.
static void lower_tap(chain *ch, vpc_node *op) {
  vpc_stage *st = add_stage(ch, VPC_STAGE_TAP, op);
  vpc_ctx cx;
  vpc_scope sc;
  operator_ctx(ch, &cx, &sc);
  for (int i = 0; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    if (arg->name && !strcmp(arg->name, "counter")) {
      constant c = const_value(arg->a);
      if (c.kind != C_STR)
        vpc_error(arg->a->pos, "counter: expects a string constant");
      st->tap_name = c.s;
    } else if (arg->name && !strcmp(arg->name, "labels")) {
      if (arg->a->kind != VPC_NODE_ARRAY) {
        vpc_error(arg->a->pos, "labels: expects a list of field names");
        continue;
      }
      for (int j = 0; j < arg->a->list.n; j++) {
        vpc_node *e = arg->a->list.items[j];
        if (e->kind != VPC_NODE_NAME) {
          vpc_error(e->pos, "a tap label must be a field name");
          continue;
        }
        vpc_type *t = vpc_check_expr(&cx, e);
        if (!vpc_is_scalar(t))
          vpc_error(e->pos, "a tap label must be a scalar, got %s",
                    vpc_type_name(t));
        vpc_list_push(&st->order, e);
      }
    } else {
      vpc_error(arg->pos, "'.tap' takes counter: and labels:");
    }
  }
  if (!st->tap_name)
    vpc_error(op->name_pos, "'.tap' needs counter: \"name\"");
}

static void lower_distinct(chain *ch, vpc_node *op) {
  vpc_node *e = NULL;
  if (op->list.n) {
    e = single_arg(op);
    if (!e)
      return;
  }
  vpc_stage *st = add_stage(ch, VPC_STAGE_DISTINCT, op);
  st->keyed = keyed_here(ch, op);
  st->expr = e;
  if (e) {
    vpc_ctx cx;
    vpc_scope sc;
    operator_ctx(ch, &cx, &sc);
    vpc_type *t = vpc_check_expr(&cx, e);
    if (t->kind == VPC_TY_RESULT || t->kind == VPC_TY_STREAM_ERROR ||
        t->kind == VPC_TY_RECORD)
      vpc_error(e->pos, "'.distinct' cannot compare %s", vpc_type_name(t));
  }
}

static void lower_watermark(chain *ch, vpc_node *op, bool lateness) {
  vpc_node *e = NULL;
  if (lateness) {
    e = single_arg(op);
  } else if (op->list.n == 1 && ((vpc_node *)op->list.items[0])->name &&
             !strcmp(((vpc_node *)op->list.items[0])->name, "out_of_order")) {
    e = ((vpc_node *)op->list.items[0])->a;
  } else {
    vpc_error(op->name_pos, "'.watermark' takes out_of_order: D");
    return;
  }
  if (!e)
    return;
  constant c = const_value(e);
  if (c.kind != C_DURATION || c.i < 0) {
    vpc_error(e->pos, "'.%s' takes a non-negative duration constant",
              op->name);
    return;
  }
  if (ch->st->source_stream || ch->st->stages.n) {
    vpc_error(op->name_pos, "'.%s' must come first in a stream that reads "
                            "an event type, in this version of vpc",
              op->name);
    return;
  }
  if (lateness)
    ch->st->lateness_ns = c.i;
  else
    ch->st->out_of_order_ns = c.i;
}

// Keyed state inside a region (5.7): routed by the partition key, so that
// each key's state lives in the one worker that owns it.
static bool keyed_region_ok(chain *ch, vpc_node *op) {
  vpc_region *r = ch->region;
  if (r->strategy != STRATEGY_HASH) {
    vpc_error(op->name_pos, "'.%s' in a region: keyed state needs "
                            "consistent_hash",
              op->name);
    return false;
  }
  if (r->key || !ch->keyed) {
    vpc_error(op->name_pos, "'.%s' in a region: the region must be routed "
                            "by the partition key (.partition_by before "
                            ".concurrent, and no key: option)",
              op->name);
    return false;
  }
  if (!r->counts_fates || r != ch->st->regions.items[0]) {
    vpc_error(op->name_pos, "'.%s' in a region after a '.process' or "
                            "another region is not supported by this "
                            "version of vpc",
              op->name);
    return false;
  }
  if (r->recycle_after > 0) {
    vpc_error(op->name_pos, "'.%s' in a region with recycle_after is not "
                            "supported by this version of vpc (a recycled "
                            "worker would lose its keys)",
              op->name);
    return false;
  }
  r->keyed_state = true;
  ch->st->keyed_state = true;  // the worker receives the key's encoding
  return true;
}

static bool allowed_in_region(const char *name) {
  return !strcmp(name, "window") || !strcmp(name, "aggregate") ||
         !strcmp(name, "having") || !strcmp(name, "distinct") ||
         !strcmp(name, "process") || !strcmp(name, "map") ||
         !strcmp(name, "filter") || !strcmp(name, "where") ||
         !strcmp(name, "select") || !strcmp(name, "on_error") ||
         !strcmp(name, "collect") || !strcmp(name, "concurrent");
}

// Returns false when the rest of the chain cannot be checked.
static bool lower_op(chain *ch, vpc_node *op) {
  if (unsupported_operator(op))
    return false;
  static const char *const keyed_ops[] = { "window", "aggregate", "having",
                                            "distinct" };
  if (ch->region && IN(op->name, keyed_ops) && !keyed_region_ok(ch, op))
    return false;
  if (ch->region && !allowed_in_region(op->name)) {
    vpc_error(op->name_pos, "'.%s' is not allowed inside a concurrent region",
              op->name);
    return false;
  }
  if (ch->region && ch->region->handler && strcmp(op->name, "collect")) {
    vpc_error(ch->region->handler->op->name_pos,
              "'.on_error' must be the last operator of a region");
    return false;
  }
  const char *n = op->name;
  for (int i = 0; i < op->list.n && strcmp(n, "order_by"); i++) {
    vpc_node *arg = op->list.items[i];
    if (arg->kind == VPC_NODE_ARG && arg->op == 1)
      vpc_error(arg->a->pos, "asc and desc are allowed only in .order_by");
  }
  if (!strcmp(n, "context"))
    check_context_op(op);
  else if (!strcmp(n, "where") || !strcmp(n, "filter"))
    lower_where(ch, op);
  else if (!strcmp(n, "select"))
    lower_projection(ch, op, VPC_STAGE_SELECT);
  else if (!strcmp(n, "emit"))
    lower_projection(ch, op, VPC_STAGE_EMIT);
  else if (!strcmp(n, "map"))
    lower_lambda_op(ch, op, VPC_STAGE_MAP);
  else if (!strcmp(n, "process"))
    lower_lambda_op(ch, op, VPC_STAGE_PROCESS);
  else if (!strcmp(n, "partition_by"))
    lower_partition(ch, op);
  else if (!strcmp(n, "concurrent"))
    lower_concurrent(ch, op);
  else if (!strcmp(n, "on_error"))
    lower_on_error(ch, op);
  else if (!strcmp(n, "print"))
    lower_print(ch, op);
  else if (!strcmp(n, "log"))
    lower_log(ch, op);
  else if (!strcmp(n, "to"))
    lower_to(ch, op);
  else if (!strcmp(n, "window"))
    lower_window(ch, op);
  else if (!strcmp(n, "aggregate"))
    lower_aggregate(ch, op);
  else if (!strcmp(n, "having"))
    lower_having(ch, op);
  else if (!strcmp(n, "limit") || !strcmp(n, "first"))
    lower_limit(ch, op);
  else if (!strcmp(n, "order_by"))
    lower_order_by(ch, op);
  else if (!strcmp(n, "watermark"))
    lower_watermark(ch, op, false);
  else if (!strcmp(n, "allowed_lateness"))
    lower_watermark(ch, op, true);
  else if (!strcmp(n, "distinct"))
    lower_distinct(ch, op);
  else if (!strcmp(n, "tap"))
    lower_tap(ch, op);
  else
    lower_collect(ch, op);
  return true;
}

static void lower_stream(vpc_stream *st);

// The source: a stream by that name, else an event type (5.2).
static bool resolve_source(vpc_stream *st, chain *ch) {
  vpc_node *src = st->decl->a;
  if (src->kind == VPC_NODE_PATTERN) {
    vpc_error(src->pos, "sequence patterns are not supported yet (planned: "
                        "later)");
    return false;
  }
  if (src->kind == VPC_NODE_CALL) {
    vpc_error(src->name_pos, "'%s(...)' sources are not supported yet "
                             "(planned: later)",
              src->name);
    return false;
  }
  vpc_stream *up = vpc_find_stream(src->name);
  if (up) {
    lower_stream(up);
    if (!up->out)
      return false;
    st->source_stream = up;
    vpc_list_push(&up->subscribers, st);
    ch->cur = up->out;
    ch->name = up->name;
    return true;
  }
  vpc_event *ev = vpc_find_event(src->name);
  if (!ev) {
    vpc_warning(src->pos, "event type '%s' is not declared; its fields are "
                          "dynamic",
                src->name);
    st->source_type = src->name;
    ch->cur = vpc_dynamic_record();
    ch->name = src->name;
    return true;
  }
  st->source_event = ev;
  st->source_type = ev->name;
  ch->cur = vpc_record_type(ev);
  ch->name = ev->name;
  return true;
}

// E.from(C [, k: v]): the stream reads records of type E from file
// connector C, and only those (5.2).
static bool resolve_connector_source(vpc_stream *st) {
  vpc_node *op = st->decl->list.n ? st->decl->list.items[0] : NULL;
  if (!op || strcmp(op->name, "from"))
    return false;
  if (st->source_stream) {
    vpc_error(op->name_pos, "'.from' reads event types, not streams");
    return true;
  }
  vpc_node *first = op->list.n ? op->list.items[0] : NULL;
  vpc_connector *c = NULL;
  if (first && !first->name && first->a->kind == VPC_NODE_NAME)
    c = find_connector(first->a->name);
  if (!c || c->to_stdout) {
    vpc_error(first ? first->pos : op->name_pos,
              "'.from' takes the name of a file connector");
    return true;
  }
  for (int i = 1; i < op->list.n; i++) {
    vpc_node *arg = op->list.items[i];
    vpc_warning(arg->pos, "'%s' is ignored for file connectors",
                arg->name ? arg->name : "argument");
  }
  st->from = c;
  return true;
}

static void report_cycle(vpc_stream *st) {
  vpc_sbuf b = { 0 };
  vpc_sbuf_puts(&b, st->name);
  for (vpc_stream *s = vpc_find_stream(st->decl->a->name); s;
       s = vpc_find_stream(s->decl->a->name)) {
    vpc_sbuf_printf(&b, " -> %s", s->name);
    if (s == st)
      break;
  }
  vpc_error(st->decl->name_pos, "stream cycle: %s", b.p);
  vpc_sbuf_free(&b);
}

static void lower_stream(vpc_stream *st) {
  if (st->out || st->lowered)
    return;
  if (st->lowering) {
    report_cycle(st);
    st->lowered = true;
    return;
  }
  st->lowering = true;
  chain ch = { .st = st };
  st->out_of_order_ns = st->lateness_ns = -1;
  if (resolve_source(st, &ch)) {
    bool ok = true;
    int first = resolve_connector_source(st) ? 1 : 0;
    for (int i = first; i < st->decl->list.n && ok; i++)
      ok = lower_op(&ch, st->decl->list.items[i]);
    if (ch.region && ok)
      vpc_error(ch.region->pos, "'.concurrent' has no matching '.collect()'");
    st->out = ch.cur;
    st->out_name = ch.name;
    st->writes_output = (ch.has_process || ch.has_collect) && !ch.has_emit &&
                        !ch.has_to;
    st->has_effect = ch.has_emit || ch.has_to || ch.has_print;
  }
  st->lowering = false;
  st->lowered = true;
}

// stream S: Stream<T> = ...: the final element type must fit T (2.7).
static void check_stream_annotation(vpc_stream *st) {
  vpc_node *ann = st->decl->b;
  if (ann->kind != VPC_NODE_TYPE || strcmp(ann->name, "Stream") ||
      ann->list.n != 1) {
    vpc_error(ann->pos, "a stream's type is written Stream<T>");
    return;
  }
  vpc_type *t = vpc_resolve_type(ann->list.items[0], 0);
  bool fits = vpc_assignable(st->out, t) ||
              (t->kind == VPC_TY_RECORD && vpc_is_dynamic(t));
  if (!fits)
    vpc_mismatch(ann->pos, t, st->out);
}

// Workers do not see the watermark: a tumbling time window or a session
// inside a region would not close on it (7.2), so that is refused.
static void check_region_windows(void) {
  bool wm = false;
  for (int i = 0; i < S->streams.n; i++)
    wm = wm || ((vpc_stream *)S->streams.items[i])->out_of_order_ns >= 0;
  for (int i = 0; wm && i < S->streams.n; i++) {
    vpc_stream *st = S->streams.items[i];
    for (int j = 0; j < st->stages.n; j++) {
      vpc_stage *sg = st->stages.items[j];
      if (sg->kind == VPC_STAGE_WINDOW && sg->region &&
          (sg->win_kind == VPC_WIN_TIME || sg->win_kind == VPC_WIN_SESSION))
        vpc_error(sg->op->name_pos, "a time window or session inside a "
                                    "concurrent region does not close on "
                                    "the watermark in this version of vpc; "
                                    "put it after '.collect'");
    }
  }
}

void vpc_lower_streams(vpc_sema *s) {
  S = s;
  // The program default: built-in values, then the top-level block (2.8,
  // 6.1), checked once; each region applies its own block over it and the
  // range checks apply to that merged result.
  vp_sup_config_default(&program_sup);
  if (S->supervision)
    apply_sup_block(&program_sup, S->supervision);
  for (int i = 0; i < S->prog->decls.n; i++) {
    vpc_node *d = S->prog->decls.items[i];
    if (d->kind != VPC_NODE_STREAM)
      continue;
    vpc_stream *st = vpc_alloc(sizeof *st);
    st->name = d->name;
    st->decl = d;
    st->id = S->streams.n;
    vpc_list_push(&S->streams, st);
  }
  for (int i = 0; i < S->streams.n; i++)
    lower_stream(S->streams.items[i]);
  if (S->streams.n == 0)
    vpc_warning((vpc_pos){ .file = 0, .line = 1, .col = 1 },
                "the program has no streams; its executable reads input "
                "and writes nothing");
  check_region_windows();
  for (int i = 0; i < S->streams.n; i++) {
    vpc_stream *st = S->streams.items[i];
    if (st->subscribers.n)
      st->writes_output = false;
    // After an error a stream may have been lowered only in part: the
    // warning would follow from the error, not from the program.
    if (st->out && !st->has_effect && !st->writes_output &&
        !st->subscribers.n && vpc_error_count() == 0)
      vpc_warning(st->decl->name_pos,
                  "stream '%s' has no effect (no .emit, .to or reader)",
                  st->name);
    if (st->decl->b && st->out)
      check_stream_annotation(st);
  }
}
