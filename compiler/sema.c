// Semantic analysis (see sema.h). Declarations are collected first, so
// types, streams and functions may be used before they are declared (2.12);
// globals are checked in order; then function bodies and streams. Errors
// are reported and checking goes on with the ERROR type, which absorbs
// every later check on the same value so one mistake gives one message.
// SPDX-License-Identifier: MIT
#include "sema.h"

#include <string.h>

#include "builtins.h"
#include "parse.h"
#include "sema_int.h"

vpc_type ty_error = { VPC_TY_ERROR, NULL, NULL };
vpc_type ty_null = { VPC_TY_NULL, NULL, NULL };
vpc_type ty_bool = { VPC_TY_BOOL, NULL, NULL };
vpc_type ty_int = { VPC_TY_INT, NULL, NULL };
vpc_type ty_float = { VPC_TY_FLOAT, NULL, NULL };
vpc_type ty_str = { VPC_TY_STR, NULL, NULL };
vpc_type ty_timestamp = { VPC_TY_TIMESTAMP, NULL, NULL };
vpc_type ty_duration = { VPC_TY_DURATION, NULL, NULL };
vpc_type ty_stream_error = { VPC_TY_STREAM_ERROR, NULL, NULL };
vpc_type ty_any = { VPC_TY_ANY, NULL, NULL };
// Err(m) before it meets the Result it belongs to.
vpc_type ty_result_any = { VPC_TY_RESULT, NULL, NULL };

static vpc_sema *S;

// Interned compound types, so that codegen declares each C type once.
static vpc_type *intern(vpc_list *list, vpc_type_kind kind, vpc_type *elem) {
  for (int i = 0; i < list->n; i++) {
    vpc_type *t = list->items[i];
    if (vpc_type_equal(t->elem, elem))
      return t;
  }
  vpc_type *t = vpc_alloc(sizeof *t);
  t->kind = kind;
  t->elem = elem;
  vpc_list_push(list, t);
  return t;
}

vpc_type *vpc_result_of(vpc_type *elem) {
  if (elem->kind == VPC_TY_ERROR)
    return &ty_error;
  return intern(&S->results, VPC_TY_RESULT, elem);
}

vpc_type *vpc_optional_of(vpc_type *elem) {
  if (elem->kind == VPC_TY_ERROR || elem->kind == VPC_TY_OPTIONAL ||
      elem->kind == VPC_TY_NULL || elem->kind == VPC_TY_ANY)
    return elem;
  return intern(&S->optionals, VPC_TY_OPTIONAL, elem);
}

vpc_type *vpc_array_of(vpc_type *elem) {
  if (elem->kind == VPC_TY_ERROR)
    return elem;
  return intern(&S->arrays, VPC_TY_ARRAY, elem);
}

vpc_type *vpc_map_of(vpc_type *elem) {
  if (elem->kind == VPC_TY_ERROR)
    return elem;
  return intern(&S->maps, VPC_TY_MAP, elem);
}

bool vpc_is_scalar(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_BOOL:
  case VPC_TY_INT:
  case VPC_TY_FLOAT:
  case VPC_TY_STR:
  case VPC_TY_TIMESTAMP:
  case VPC_TY_DURATION:
  case VPC_TY_NULL:
  case VPC_TY_ERROR:
  case VPC_TY_ANY:
    return true;
  case VPC_TY_OPTIONAL:
    return vpc_is_scalar(t->elem);
  default:
    return false;
  }
}

bool vpc_is_boxed(const vpc_type *t) {
  return t->kind == VPC_TY_ANY || t->kind == VPC_TY_ARRAY ||
         t->kind == VPC_TY_MAP;
}

vpc_type *vpc_dynamic_record(void) {
  static vpc_event ev = { .name = "record", .dynamic = true,
                          .time_field = -1, .cname = "vp_dynrec",
                          .resolved = true };
  return vpc_record_type(&ev);
}

bool vpc_is_dynamic(const vpc_type *t) {
  return t->kind == VPC_TY_RECORD && t->event->dynamic;
}

vpc_type *vpc_record_type(vpc_event *ev) {
  if (!ev->type) {
    ev->type = vpc_alloc(sizeof *ev->type);
    ev->type->kind = VPC_TY_RECORD;
    ev->type->event = ev;
  }
  return ev->type;
}

bool vpc_type_equal(const vpc_type *a, const vpc_type *b) {
  if (a == b)
    return true;
  if (!a || !b || a->kind != b->kind)
    return false;
  switch (a->kind) {
  case VPC_TY_RECORD:
    return a->event == b->event;
  case VPC_TY_RESULT:
  case VPC_TY_OPTIONAL:
  case VPC_TY_ARRAY:
  case VPC_TY_MAP:
    return vpc_type_equal(a->elem, b->elem);
  default:
    return true;
  }
}

// S is assignable to T (4.2).
bool vpc_assignable(const vpc_type *s, const vpc_type *t) {
  if (s->kind == VPC_TY_ERROR || t->kind == VPC_TY_ERROR)
    return true;
  // any is checked at run time, both ways (4.2); records are not values
  // of any in this version.
  if (s->kind == VPC_TY_ANY || t->kind == VPC_TY_ANY) {
    const vpc_type *other = s->kind == VPC_TY_ANY ? t : s;
    return other->kind != VPC_TY_RECORD && other->kind != VPC_TY_RESULT &&
           other->kind != VPC_TY_STREAM_ERROR;
  }
  // Arrays and maps are invariant, but hold any as any element (4.2).
  if (s->kind == t->kind &&
      (s->kind == VPC_TY_ARRAY || s->kind == VPC_TY_MAP))
    return vpc_type_equal(s->elem, t->elem) ||
           t->elem->kind == VPC_TY_ANY || s->elem->kind == VPC_TY_ANY;
  if (vpc_type_equal(s, t))
    return true;
  if (s->kind == VPC_TY_INT && t->kind == VPC_TY_FLOAT)
    return true;
  if (t->kind == VPC_TY_OPTIONAL) {
    if (s->kind == VPC_TY_NULL)
      return true;
    const vpc_type *se = s->kind == VPC_TY_OPTIONAL ? s->elem : s;
    return vpc_assignable(se, t->elem);
  }
  if (s->kind == VPC_TY_RESULT && t->kind == VPC_TY_RESULT)
    return !s->elem || (t->elem && vpc_assignable(s->elem, t->elem));
  return false;
}

// The type both a and b fit, or NULL (if branches, Results, 4.2).
vpc_type *vpc_unify(vpc_type *a, vpc_type *b) {
  if (a->kind == VPC_TY_ERROR)
    return b;
  if (b->kind == VPC_TY_ERROR)
    return a;
  if (vpc_type_equal(a, b))
    return a;
  if ((a->kind == VPC_TY_ANY && vpc_assignable(b, a)) ||
      (b->kind == VPC_TY_ANY && vpc_assignable(a, b)))
    return &ty_any;
  // An empty literal ([any], {str: any}) fits any array or map.
  if (a->kind == b->kind && (a->kind == VPC_TY_ARRAY || a->kind == VPC_TY_MAP))
    return a->elem->kind == VPC_TY_ANY   ? b
           : b->elem->kind == VPC_TY_ANY ? a
                                         : NULL;
  if (a->kind == VPC_TY_RESULT && b->kind == VPC_TY_RESULT) {
    if (!a->elem)
      return b;
    if (!b->elem)
      return a;
    vpc_type *e = vpc_unify(a->elem, b->elem);
    return e ? vpc_result_of(e) : NULL;
  }
  if ((a->kind == VPC_TY_INT && b->kind == VPC_TY_FLOAT) ||
      (a->kind == VPC_TY_FLOAT && b->kind == VPC_TY_INT))
    return &ty_float;
  if (a->kind == VPC_TY_NULL)
    return vpc_optional_of(b);
  if (b->kind == VPC_TY_NULL)
    return vpc_optional_of(a);
  if (a->kind == VPC_TY_OPTIONAL || b->kind == VPC_TY_OPTIONAL) {
    vpc_type *ae = a->kind == VPC_TY_OPTIONAL ? a->elem : a;
    vpc_type *be = b->kind == VPC_TY_OPTIONAL ? b->elem : b;
    vpc_type *e = vpc_unify(ae, be);
    return e ? vpc_optional_of(e) : NULL;
  }
  return NULL;
}

const char *vpc_type_name(const vpc_type *t) {
  switch (t->kind) {
  case VPC_TY_ERROR:
    return "<error>";
  case VPC_TY_NULL:
    return "null";
  case VPC_TY_BOOL:
    return "bool";
  case VPC_TY_INT:
    return "int";
  case VPC_TY_FLOAT:
    return "float";
  case VPC_TY_STR:
    return "str";
  case VPC_TY_TIMESTAMP:
    return "timestamp";
  case VPC_TY_DURATION:
    return "duration";
  case VPC_TY_RECORD:
    return t->event->declared ? t->event->name : "record";
  case VPC_TY_RESULT:
    return t->elem ? vpc_format("Result<%s>", vpc_type_name(t->elem))
                   : "Result";
  case VPC_TY_OPTIONAL:
    return vpc_format("%s?", vpc_type_name(t->elem));
  case VPC_TY_STREAM_ERROR:
    return "StreamError";
  case VPC_TY_ANY:
    return "any";
  case VPC_TY_ARRAY:
    return vpc_format("[%s]", vpc_type_name(t->elem));
  case VPC_TY_MAP:
    return vpc_format("{str: %s}", vpc_type_name(t->elem));
  }
  vpc_unreachable();
}

void vpc_mismatch(vpc_pos pos, const vpc_type *want, const vpc_type *got) {
  if (want->kind == VPC_TY_ERROR || got->kind == VPC_TY_ERROR)
    return;
  vpc_error(pos, "type mismatch: expected %s, got %s", vpc_type_name(want),
            vpc_type_name(got));
}

bool vpc_is_numeric(const vpc_type *t) {
  return t->kind == VPC_TY_INT || t->kind == VPC_TY_FLOAT ||
         t->kind == VPC_TY_ERROR || t->kind == VPC_TY_ANY;
}

// Lookups in the declaration tables.

vpc_event *vpc_find_event(const char *name) {
  for (int i = 0; i < S->events.n; i++) {
    vpc_event *ev = S->events.items[i];
    if (!strcmp(ev->name, name))
      return ev;
  }
  return NULL;
}

vpc_fn *vpc_find_fn(const char *name) {
  for (int i = 0; i < S->fns.n; i++) {
    vpc_fn *f = S->fns.items[i];
    if (!strcmp(f->name, name))
      return f;
  }
  return NULL;
}

vpc_stream *vpc_find_stream(const char *name) {
  for (int i = 0; i < S->streams.n; i++) {
    vpc_stream *s = S->streams.items[i];
    if (!strcmp(s->name, name))
      return s;
  }
  return NULL;
}

static vpc_node *find_alias(const char *name) {
  for (int i = 0; i < S->prog->decls.n; i++) {
    vpc_node *d = S->prog->decls.items[i];
    if (d->kind == VPC_NODE_TYPE_ALIAS && !strcmp(d->name, name))
      return d;
  }
  return NULL;
}

vpc_sym *vpc_find_global(const char *name) {
  for (int i = 0; i < S->globals.n; i++) {
    vpc_sym *g = S->globals.items[i];
    if (!strcmp(g->name, name))
      return g;
  }
  return NULL;
}

// Types as written (4.1).

static vpc_type *scalar_type(const char *name) {
  static const struct {
    const char *name;
    vpc_type *type;
  } names[] = {
    { "int", &ty_int },           { "float", &ty_float },
    { "bool", &ty_bool },         { "str", &ty_str },
    { "timestamp", &ty_timestamp }, { "duration", &ty_duration },
    { "null", &ty_null },         { "StreamError", &ty_stream_error },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(names[i].name, name))
      return names[i].type;
  return NULL;
}

static vpc_type *resolve_named_type(vpc_node *n, int depth) {
  vpc_type *t = scalar_type(n->name);
  if (t)
    return t;
  if (!strcmp(n->name, "Result")) {
    if (n->list.n != 1) {
      vpc_error(n->pos, "'Result' takes one type argument");
      return &ty_error;
    }
    return vpc_result_of(vpc_resolve_type(n->list.items[0], depth + 1));
  }
  if (!strcmp(n->name, "any"))
    return &ty_any;
  if (!strcmp(n->name, "record"))
    return vpc_dynamic_record();
  vpc_event *ev = vpc_find_event(n->name);
  if (ev)
    return vpc_record_type(ev);
  vpc_node *alias = find_alias(n->name);
  if (alias) {
    if (depth > 32) {
      vpc_error(n->pos, "type alias '%s' is recursive", n->name);
      return &ty_error;
    }
    return vpc_resolve_type(alias->b, depth + 1);
  }
  vpc_error(n->pos, "unknown type '%s'", n->name);
  return &ty_error;
}

vpc_type *vpc_resolve_type(vpc_node *n, int depth) {
  vpc_type *t;
  if (n->kind == VPC_NODE_TYPE) {
    t = resolve_named_type(n, depth);
  } else if (n->kind == VPC_NODE_TYPE_ARRAY) {
    t = vpc_array_of(vpc_resolve_type(n->a, depth + 1));
  } else {
    vpc_type *k = vpc_resolve_type(n->a, depth + 1);
    if (k->kind != VPC_TY_STR && k->kind != VPC_TY_ERROR)
      vpc_error(n->a->pos, "map keys must be str");
    t = vpc_map_of(vpc_resolve_type(n->b, depth + 1));
  }
  return n->flag ? vpc_optional_of(t) : t;
}

vpc_sema *vpc_current_sema(void) {
  return S;
}

static bool reserved_constructor(vpc_node *d) {
  if (strcmp(d->name, "Ok") && strcmp(d->name, "Err"))
    return false;
  vpc_error(d->name_pos, "'%s' is a predeclared constructor", d->name);
  return true;
}

// A name in the type namespace (2.12): events, aliases, streams,
// connectors, contexts.
static vpc_list type_names;

static void declare_type_name(vpc_node *d) {
  for (int i = 0; i < type_names.n; i++) {
    vpc_node *o = type_names.items[i];
    if (!strcmp(o->name, d->name)) {
      vpc_error(d->name_pos, "duplicate declaration of '%s'", d->name);
      vpc_note(o->name_pos, "'%s' was declared here", o->name);
      return;
    }
  }
  vpc_list_push(&type_names, d);
}

static void collect_event(vpc_node *d) {
  if (reserved_constructor(d))
    return;
  declare_type_name(d);
  vpc_event *ev = vpc_alloc(sizeof *ev);
  ev->name = d->name;
  ev->pos = d->name_pos;
  ev->declared = true;
  ev->decl = d;
  ev->time_field = -1;
  ev->cname = vpc_format("vpl_%s", d->name);
  vpc_list_push(&S->events, ev);
  vpc_list_push(&S->records, ev);
}

static void add_field(vpc_event *ev, const char *name, vpc_type *t,
                      vpc_pos pos) {
  if (!strcmp(name, "event_type")) {
    vpc_error(pos, "the field name 'event_type' is reserved");
    return;
  }
  if (vpc_event_field(ev, name, NULL)) {
    vpc_error(pos, "duplicate field '%s' in event '%s'", name, ev->name);
    return;
  }
  vpc_field *f = vpc_alloc(sizeof *f);
  f->name = name;
  f->type = t;
  f->pos = pos;
  vpc_list_push(&ev->fields, f);
}

static bool is_time_type(const vpc_type *t) {
  return t->kind == VPC_TY_TIMESTAMP ||
         (t->kind == VPC_TY_OPTIONAL && t->elem->kind == VPC_TY_TIMESTAMP);
}

// Fields of an event: the parent's first (2.3).
static void resolve_event(vpc_event *ev) {
  if (ev->resolved)
    return;
  if (ev->resolving) {
    vpc_error(ev->pos, "event '%s' extends itself", ev->name);
    return;
  }
  ev->resolving = true;
  vpc_node *d = ev->decl;
  if (d->str) {
    vpc_event *parent = vpc_find_event(d->str);
    if (!parent) {
      vpc_error(d->c->pos, "unknown event '%s' after extends", d->str);
    } else {
      resolve_event(parent);
      for (int i = 0; i < parent->fields.n; i++) {
        vpc_field *f = parent->fields.items[i];
        add_field(ev, f->name, f->type, f->pos);
      }
    }
  }
  for (int i = 0; i < d->list.n; i++) {
    vpc_node *f = d->list.items[i];
    vpc_type *t = vpc_resolve_type(f->b, 0);
    if (t->kind == VPC_TY_RESULT || t->kind == VPC_TY_STREAM_ERROR)
      vpc_error(f->b->pos, "a field cannot have type %s", vpc_type_name(t));
    if (t->kind == VPC_TY_RECORD ||
        (t->kind == VPC_TY_OPTIONAL && t->elem->kind == VPC_TY_RECORD))
      vpc_error(f->b->pos, "nested record fields are not supported by this "
                           "version of vpc");
    if (!strcmp(f->name, "timestamp") && !is_time_type(t) &&
        t->kind != VPC_TY_ERROR)
      vpc_error(f->b->pos, "the field 'timestamp' must have type timestamp");
    add_field(ev, f->name, t, f->name_pos);
  }
  for (int i = 0; i < ev->fields.n && ev->time_field < 0; i++) {
    vpc_field *f = ev->fields.items[i];
    if (!strcmp(f->name, "timestamp"))
      ev->time_field = i;
  }
  for (int i = 0; i < ev->fields.n && ev->time_field < 0; i++)
    if (is_time_type(((vpc_field *)ev->fields.items[i])->type))
      ev->time_field = i;
  ev->resolving = false;
  ev->resolved = true;
}

static void collect_fn(vpc_node *d) {
  if (reserved_constructor(d))
    return;
  if (vpc_find_fn(d->name) || vpc_find_global(d->name)) {
    vpc_error(d->name_pos, "duplicate declaration of '%s'", d->name);
    return;
  }
  if (vpc_find_builtin(d->name))
    vpc_warning(d->name_pos, "function '%s' hides the builtin of that name",
                d->name);
  vpc_fn *f = vpc_alloc(sizeof *f);
  f->name = d->name;
  f->decl = d;
  f->cname = vpc_format("fn_%s", d->name);
  vpc_list_push(&S->fns, f);
}

static void resolve_fn_signature(vpc_fn *f) {
  vpc_node *d = f->decl;
  for (int i = 0; i < d->list.n; i++) {
    vpc_node *p = d->list.items[i];
    for (int j = 0; j < i; j++)
      if (!strcmp(((vpc_node *)d->list.items[j])->name, p->name))
        vpc_error(p->name_pos, "duplicate parameter '%s'", p->name);
    vpc_sym *s = vpc_alloc(sizeof *s);
    s->kind = VPC_SYM_LOCAL;
    s->name = p->name;
    s->type = vpc_resolve_type(p->b, 0);
    s->pos = p->name_pos;
    s->cname = vpc_format("p_%s", p->name);
    vpc_list_push(&f->params, s);
  }
  if (d->b) {
    f->ret = vpc_resolve_type(d->b, 0);
    f->ret_declared = true;
  }
}

// Globals are checked in declaration order: each sees only earlier ones
// (2.5).
static void check_global(vpc_node *d) {
  if (reserved_constructor(d))
    return;
  if (vpc_find_fn(d->name) || vpc_find_global(d->name)) {
    vpc_error(d->name_pos, "duplicate declaration of '%s'", d->name);
    return;
  }
  vpc_ctx cx = { .in_init = true };
  vpc_type *t = vpc_check_expr(&cx, d->a);
  if (d->b) {
    vpc_type *decl = vpc_resolve_type(d->b, 0);
    if (!vpc_assignable(t, decl))
      vpc_mismatch(d->a->pos, decl, t);
    t = decl;
  }
  if (t->kind == VPC_TY_RESULT || t->kind == VPC_TY_NULL) {
    vpc_error(d->a->pos, "a global cannot hold %s", vpc_type_name(t));
    t = &ty_error;
  }
  // A var's values outlive their event; records are not copied out yet.
  if (d->op == VPC_TK_VAR && t->kind == VPC_TY_RECORD)
    vpc_error(d->a->pos, "a global var cannot hold a record in this version "
                         "of vpc; use let, or a var per field");
  vpc_sym *g = vpc_alloc(sizeof *g);
  g->kind = VPC_SYM_GLOBAL;
  g->name = d->name;
  g->type = t;
  g->binding = d->op;
  g->pos = d->name_pos;
  g->decl = d;
  g->cname = vpc_format("g_%s", d->name);
  d->sym = g;
  if (d->op == VPC_TK_VAR)
    S->has_global_vars = true;
  vpc_list_push(&S->globals, g);
}

static const char *const config_keys[] = { "input_format", "output", "dlq",
                                           "checkpoint_every" };

static void check_config(vpc_node *d) {
  if (d->name) {
    vpc_warning(d->pos, "'config %s { ... }' is deprecated and ignored",
                d->name);
    return;
  }
  for (int i = 0; i < d->list.n; i++) {
    vpc_node *item = d->list.items[i];
    bool known = false;
    for (size_t k = 0; k < sizeof config_keys / sizeof config_keys[0]; k++)
      known = known || !strcmp(item->name, config_keys[k]);
    if (!known) {
      vpc_warning(item->name_pos, "unknown config key '%s'", item->name);
      continue;
    }
    bool is_str = item->a->kind == VPC_NODE_STR;
    if (!strcmp(item->name, "checkpoint_every")) {
      if (item->a->kind != VPC_NODE_INT)
        vpc_error(item->a->pos, "option 'checkpoint_every': expected an int");
      continue;
    }
    if (!is_str) {
      vpc_error(item->a->pos, "option '%s': expected a string", item->name);
      continue;
    }
    if (!strcmp(item->name, "output"))
      S->config_output = item->a->str;
    else if (!strcmp(item->name, "dlq"))
      S->config_dlq = item->a->str;
    else if (strcmp(item->a->str, "auto") && strcmp(item->a->str, "evt") &&
             strcmp(item->a->str, "jsonl"))
      vpc_error(item->a->pos, "option 'input_format': expected \"auto\", "
                              "\"evt\" or \"jsonl\"");
    else
      S->config_format = item->a->str;
  }
}

static const char *connector_string(vpc_node *item) {
  if (item->a->kind != VPC_NODE_STR) {
    vpc_error(item->a->pos, "option '%s': expected a string", item->name);
    return NULL;
  }
  return item->a->str;
}

// connector N = file(path: ..., mode: ..., format: ...) or stdout() (2.11).
static void collect_connector(vpc_node *d) {
  vpc_node *call = d->a;
  vpc_connector *c = vpc_alloc(sizeof *c);
  c->name = d->name;
  c->decl = d;
  c->append = true;
  c->path = vpc_format("%s.jsonl", d->name);
  bool is_file = !strcmp(call->name, "file");
  c->to_stdout = !strcmp(call->name, "stdout") ||
                 !strcmp(call->name, "console");
  if (!is_file && !c->to_stdout) {
    vpc_error(call->pos, "connector kind '%s' is not supported yet "
                         "(supported: file, stdout)",
              call->name);
    return;
  }
  for (int i = 0; i < call->list.n; i++) {
    vpc_node *item = call->list.items[i];
    const char *v;
    if (!item->name || c->to_stdout) {
      vpc_error(item->pos, "unknown parameter for connector kind '%s'",
                call->name);
    } else if (!strcmp(item->name, "path")) {
      if ((v = connector_string(item)))
        c->path = v;
    } else if (!strcmp(item->name, "mode")) {
      if ((v = connector_string(item)) && strcmp(v, "append") &&
          strcmp(v, "truncate"))
        vpc_error(item->a->pos, "option 'mode': expected \"append\" or "
                                "\"truncate\"");
      c->append = !v || strcmp(v, "truncate");
    } else if (!strcmp(item->name, "format")) {
      if ((v = connector_string(item)) && strcmp(v, "auto") &&
          strcmp(v, "evt") && strcmp(v, "jsonl"))
        vpc_error(item->a->pos, "option 'format': expected \"auto\", "
                                "\"evt\" or \"jsonl\"");
      c->format = v;
    } else {
      vpc_error(item->name_pos, "unknown parameter '%s' for connector kind "
                                "'file'",
                item->name);
    }
  }
  vpc_list_push(&S->connectors, c);
}

static void collect_other(vpc_node *d) {
  switch (d->kind) {
  case VPC_NODE_TYPE_ALIAS:
    declare_type_name(d);
    break;
  case VPC_NODE_SUPERVISION:
    if (S->supervision)
      vpc_error(d->pos, "only one top-level supervision block is allowed");
    S->supervision = d;
    break;
  case VPC_NODE_CONFIG:
    check_config(d);
    break;
  case VPC_NODE_CONTEXT:
    // Accepted so that Varpulis programs compile, and ignored (2.10).
    declare_type_name(d);
    if (!S->context_warned)
      vpc_warning(d->pos, "contexts are ignored; use .concurrent(...) for "
                          "parallelism");
    S->context_warned = true;
    vpc_list_push(&S->contexts, d);
    break;
  case VPC_NODE_CONNECTOR:
    declare_type_name(d);
    collect_connector(d);
    break;
  case VPC_NODE_PATTERN:
    vpc_error(d->pos, "'pattern' is not supported yet (planned: later)");
    break;
  default:
    break;
  }
}

vpc_sema *vpc_sema_program(vpc_program *prog) {
  S = vpc_alloc(sizeof *S);
  S->prog = prog;
  int before = vpc_error_count();
  type_names.n = 0;

  for (int i = 0; i < prog->decls.n; i++) {
    vpc_node *d = prog->decls.items[i];
    if (d->kind == VPC_NODE_EVENT)
      collect_event(d);
    else if (d->kind == VPC_NODE_FN)
      collect_fn(d);
    else if (d->kind == VPC_NODE_STREAM)
      declare_type_name(d);
    else if (d->kind != VPC_NODE_GLOBAL)
      collect_other(d);
  }
  for (int i = 0; i < S->events.n; i++)
    resolve_event(S->events.items[i]);
  for (int i = 0; i < S->fns.n; i++)
    resolve_fn_signature(S->fns.items[i]);
  for (int i = 0; i < prog->decls.n; i++) {
    vpc_node *d = prog->decls.items[i];
    if (d->kind == VPC_NODE_GLOBAL)
      check_global(d);
  }
  for (int i = 0; i < S->fns.n; i++)
    vpc_check_fn(S->fns.items[i]);
  vpc_lower_streams(S);
  for (int i = 0; i < S->fns.n; i++) {
    vpc_fn *f = S->fns.items[i];
    if (f->event_bound && !f->bound_to)
      vpc_warning_hint(f->field_pos,
                       f->field_hint ? vpc_format("did you mean '%s'?",
                                                  f->field_hint)
                                     : NULL,
                       "'%s' is not a parameter, local or global, so '%s' "
                       "reads it as an event field, but no operator calls "
                       "'%s'",
                       f->field_name, f->name, f->name);
  }
  return vpc_error_count() > before ? NULL : S;
}
