// Semantic analysis: builds the tables of event types, functions, globals
// and streams from the AST of parse.c, resolves every name, infers and
// checks types (LANGUAGE.md 2-5), and lowers each stream into the stage
// list that codegen.c turns into C.
// SPDX-License-Identifier: MIT
#ifndef VPC_SEMA_H
#define VPC_SEMA_H

#include "ast.h"
#include "supconfig.h"

typedef enum vpc_type_kind {
  VPC_TY_ERROR,  // after a reported error; absorbs further checks
  VPC_TY_NULL,
  VPC_TY_BOOL,
  VPC_TY_INT,
  VPC_TY_FLOAT,
  VPC_TY_STR,
  VPC_TY_TIMESTAMP,
  VPC_TY_DURATION,
  VPC_TY_RECORD,       // a declared event type or an anonymous record
  VPC_TY_RESULT,       // Result<elem>
  VPC_TY_OPTIONAL,     // elem?
  VPC_TY_STREAM_ERROR,
  VPC_TY_ANY,          // known at run time only; checked where used (4.2)
  VPC_TY_ARRAY,        // [elem]
  VPC_TY_MAP,          // {str: elem}
} vpc_type_kind;

typedef struct vpc_event vpc_event;

struct vpc_type {
  vpc_type_kind kind;
  vpc_type *elem;    // RESULT, OPTIONAL
  vpc_event *event;  // RECORD
};

typedef struct vpc_field {
  const char *name;
  vpc_type *type;
  vpc_pos pos;
} vpc_field;

// A record type: a declared event, or the anonymous record of a .select or
// .emit (named after its stream).
struct vpc_event {
  const char *name;
  vpc_pos pos;
  bool declared;
  bool dynamic;        // the one `record` type: fields known at run time
  vpc_list fields;     // vpc_field *, parents first
  int time_field;      // index of the event-time field, or -1 (2.3)
  const char *cname;   // C struct name
  bool used;           // codegen emits its helpers
  vpc_node *decl;
  vpc_type *type;      // the RECORD type of this event
  bool resolving, resolved;
};

typedef enum vpc_sym_kind {
  VPC_SYM_LOCAL,   // let/var/const local, parameter or loop variable
  VPC_SYM_GLOBAL,
  VPC_SYM_FIELD,   // a field of the implicit element (operator arguments)
  VPC_SYM_FN,
} vpc_sym_kind;

typedef struct vpc_fn vpc_fn;

typedef struct vpc_sym {
  vpc_sym_kind kind;
  const char *name;
  vpc_type *type;
  int binding;       // VPC_TK_LET/VAR/CONST, or 0 for parameters
  const char *cname; // C name of the variable
  vpc_pos pos;
  vpc_node *decl;
} vpc_sym;

struct vpc_fn {
  const char *name;
  vpc_node *decl;
  vpc_list params;   // vpc_sym *
  vpc_type *ret;
  bool ret_declared;
  bool checking, checked;
  const char *cname;
  vpc_type *emits;   // record type its emit statements make (3), or NULL
  bool uses_dlq;     // calls emit_to_dlq, directly or not (6.11)
  vpc_list callees;  // vpc_fn * it calls, for the recursion limit (2.6)
  bool event_bound;     // reads fields of the current element (2.6)
  const char *field_name;  // the first name it reads as a field
  vpc_pos field_pos;
  const char *field_hint;  // a local or global spelled like it
  vpc_event *bound_to;  // ... of this element type
  vpc_sym *global_var;  // a global var it reaches, directly or not (2.5)
  vpc_pos global_var_pos;
};

// Stage kinds of a lowered stream.
typedef enum vpc_stage_kind {
  VPC_STAGE_WHERE,
  VPC_STAGE_SELECT,
  VPC_STAGE_EMIT,
  VPC_STAGE_MAP,
  VPC_STAGE_PROCESS,
  VPC_STAGE_PARTITION,
  VPC_STAGE_CONCURRENT,
  VPC_STAGE_ON_ERROR,
  VPC_STAGE_COLLECT,
  VPC_STAGE_PRINT,
  VPC_STAGE_LOG,
  VPC_STAGE_TO,
  VPC_STAGE_WINDOW,
  VPC_STAGE_AGGREGATE,
  VPC_STAGE_LIMIT,
  VPC_STAGE_DISTINCT,
  VPC_STAGE_ORDER_BY,
  VPC_STAGE_TAP,
} vpc_stage_kind;

// Window forms (5.5), as the runtime's vp_win_kind.
enum { VPC_WIN_COUNT, VPC_WIN_COUNT_SLIDING, VPC_WIN_TIME,
       VPC_WIN_TIME_SLIDING, VPC_WIN_SESSION };

// Aggregate functions (5.6).
typedef enum vpc_agg_fn {
  VPC_AGG_COUNT,
  VPC_AGG_SUM,
  VPC_AGG_AVG,
  VPC_AGG_MIN,
  VPC_AGG_MAX,
  VPC_AGG_FIRST,
  VPC_AGG_LAST,
  VPC_AGG_STDDEV,
  VPC_AGG_COUNT_DISTINCT,
  VPC_AGG_EMA,
} vpc_agg_fn;

// One aggregate call inside an .aggregate item; the call's node became a
// name of the local `sym` holding its result.
typedef struct vpc_agg_call {
  vpc_agg_fn fn;
  vpc_node *arg;   // NULL for count()
  int64_t ema_n;
  struct vpc_sym *sym;
} vpc_agg_call;

// A file or stdout connector (2.11), a sink for .to or a source for
// E.from(C).
typedef struct vpc_connector {
  const char *name;
  bool to_stdout;
  const char *path;
  bool append;
  const char *format;  // "auto", "evt" or "jsonl", for sources
  bool written;        // some .to(...) writes it: opened as a sink
  vpc_node *decl;
} vpc_connector;

typedef struct vpc_region vpc_region;

typedef struct vpc_stage {
  vpc_stage_kind kind;
  vpc_node *op;
  vpc_node *expr;     // predicate, key, lambda body or select record
  vpc_sym *param;     // lambda parameter (element)
  vpc_sym *param2;    // on_error: the event parameter
  vpc_type *in;       // element type entering the stage
  vpc_type *out;      // element type leaving it
  const char *in_name;   // run-time type name entering the stage (5.1)
  const char *out_name;
  vpc_event *record;  // SELECT/EMIT: the record built
  vpc_region *region; // stages inside a region, and its CONCURRENT
  int index;
  bool emits;         // PROCESS: its lambda runs emit statements
  vpc_connector *sink;  // TO
  int log_level;        // LOG: VP_LOG_* of the runtime
  // ON_ERROR outside regions: the first stage it covers, and the element
  // type and run-time name there (its handler's ev).
  int scope_start;
  vpc_type *scope_in;
  const char *scope_name;
  // WINDOW: form and constants; AGGREGATE: its window stage, or NULL.
  int win_kind;
  int64_t win_n, win_dur, win_slide;
  struct vpc_stage *window;
  bool keyed;            // WINDOW, AGGREGATE, DISTINCT: per partition key
  vpc_list aggs;         // AGGREGATE: vpc_agg_call *
  struct vpc_sym *key_sym;  // AGGREGATE: the key field's local, or NULL
  const char *key_field;
  int64_t limit;         // LIMIT
  vpc_list order;        // ORDER_BY: vpc_node * keys; flag set = desc
  bool sorted;           // WINDOW/AGGREGATE: an ORDER_BY follows
  const char *tap_name;  // TAP
  int tap_id;
} vpc_stage;

struct vpc_region {
  int id;
  vp_sup_config sup;  // after the merge of LANGUAGE.md 6.1
  int max_workers;
  int strategy;      // VP_STRATEGY_* values of the runtime
  int order;         // VP_ORDER_*
  int queue_capacity;
  int64_t recycle_after;
  vpc_node *sup_node;  // the region's supervision option, or NULL
  int first, last;   // stage indexes inside the region (last excl.)
  vpc_stage *handler;  // ON_ERROR in the region, or NULL
  vpc_type *entry;     // element type entering the region
  const char *entry_name;
  vpc_type *exit;      // element type leaving it
  vpc_node *key;       // partition key, or NULL
  bool counts_fates;   // its events are the stream's own, one to one
  bool keyed_state;    // holds .window, .aggregate or .distinct (5.7)
  vpc_pos pos;
};

typedef struct vpc_stream {
  const char *name;
  vpc_node *decl;
  int id;
  vpc_event *source_event;         // source is a declared event type
  const char *source_type;         // the source's event type name
  struct vpc_connector *from;      // E.from(C): read from this connector
  struct vpc_stream *source_stream; // or another stream
  vpc_list stages;   // vpc_stage *
  vpc_list regions;  // vpc_region *
  vpc_type *out;     // final element type
  const char *out_name;
  bool writes_output;  // final outputs go to the main output (5.1)
  bool has_effect;  // has .emit, .to, .print or .log (5.1)
  bool lowering, lowered;
  vpc_list subscribers;  // struct vpc_stream *
  bool keyed_state;  // a window, aggregate or distinct uses the key
  int64_t out_of_order_ns;  // .watermark(out_of_order: D), or -1
  int64_t lateness_ns;      // .allowed_lateness(L), or -1
} vpc_stream;

typedef struct vpc_sema {
  vpc_program *prog;
  vpc_list events;   // vpc_event *, declared ones
  vpc_list records;  // every record type, anonymous ones included
  vpc_list fns;      // vpc_fn *
  vpc_list globals;  // vpc_sym *, in declaration order
  vpc_list streams;  // vpc_stream *
  vpc_list regions;  // vpc_region *, over all streams
  vpc_node *supervision;  // top-level supervision block
  vpc_list results;  // vpc_type * of every Result<T> used
  vpc_list optionals;  // vpc_type * of every T? used
  vpc_list arrays;     // vpc_type * of every [T] used
  vpc_list maps;       // vpc_type * of every {str: V} used
  const char *config_output, *config_dlq, *config_format;
  vpc_list contexts;    // context declarations, accepted and ignored
  vpc_list connectors;  // vpc_connector *
  bool has_global_vars;  // their old values are released between events
  bool context_warned;
} vpc_sema;

// Checks the program; errors go to diag.c. Returns NULL when it found any.
vpc_sema *vpc_sema_program(vpc_program *prog);

// Spells a type as in source ("int", "[int]", "Order", "Result<float>").
const char *vpc_type_name(const vpc_type *t);

#endif
