// The abstract syntax tree. The parser (grammar/parser.y through parse.c)
// builds it, sema.c resolves names and fills in types, codegen.c walks it.
// One node struct serves every kind; the comment on each kind says which of
// the generic slots it uses. Nodes live in the compilation arena.
// SPDX-License-Identifier: MIT
#ifndef VPC_AST_H
#define VPC_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "util.h"

typedef struct vpc_type vpc_type;
typedef struct vpc_node vpc_node;

typedef enum vpc_node_kind {
  // Expressions.
  VPC_NODE_INT,        // ival
  VPC_NODE_FLOAT,      // fval
  VPC_NODE_STR,        // str, slen
  VPC_NODE_BOOL,       // ival (0 or 1)
  VPC_NODE_NULL,
  VPC_NODE_DURATION,   // ival (ns)
  VPC_NODE_TIMESTAMP,  // ival (ns since the epoch)
  VPC_NODE_NAME,       // name
  VPC_NODE_UNARY,      // op (token kind), a
  VPC_NODE_BINARY,     // op (token kind), a, b
  VPC_NODE_CALL,       // name (callee), list: args (VPC_NODE_ARG)
  VPC_NODE_MEMBER,     // a . name
  VPC_NODE_OPT_MEMBER, // a ?. name
  VPC_NODE_INDEX,      // a [ b ]
  VPC_NODE_SLICE,      // a [ b : c ] (b, c may be NULL)
  VPC_NODE_PROPAGATE,  // a ?
  VPC_NODE_IF_EXPR,    // if a then b else c
  VPC_NODE_LAMBDA,     // list: params (VPC_NODE_NAME), a: body expr or BLOCK
  VPC_NODE_ARRAY,      // list: elements
  VPC_NODE_MAP,        // list: entries (VPC_NODE_ARG with name)
  VPC_NODE_RANGE,      // a .. b; flag: inclusive (..=)
  VPC_NODE_ARG,        // [name :] a; name NULL for positional
  VPC_NODE_OPTBLOCK,   // an indented option block: list of VPC_NODE_ARG

  // Statements.
  VPC_NODE_BLOCK,      // list: statements
  VPC_NODE_LET,        // op: VPC_TK_LET/VAR/CONST, name, b: type or NULL,
                       // a: value
  VPC_NODE_ASSIGN,     // op: ASSIGN/WALRUS/PLUS_ASSIGN..., name, a: value
  VPC_NODE_IF,         // list: branches (VPC_NODE_ELIF), c: else BLOCK
  VPC_NODE_ELIF,       // a: condition, b: BLOCK
  VPC_NODE_FOR,        // name, a: iterable, b: BLOCK
  VPC_NODE_WHILE,      // a: condition, b: BLOCK
  VPC_NODE_BREAK,
  VPC_NODE_CONTINUE,
  VPC_NODE_RETURN,     // a: value or NULL
  VPC_NODE_EMIT,       // name: event type, list: args (VPC_NODE_ARG)
  VPC_NODE_EXPR_STMT,  // a

  // Types, as written.
  VPC_NODE_TYPE,       // name, list: type arguments; flag: optional ('?')
  VPC_NODE_TYPE_ARRAY, // a: element; flag: optional
  VPC_NODE_TYPE_MAP,   // a: key, b: value; flag: optional

  // Declarations.
  VPC_NODE_EVENT,      // name, str: parent name or NULL, list: FIELD
  VPC_NODE_FIELD,      // name, b: type
  VPC_NODE_TYPE_ALIAS, // name, b: type
  VPC_NODE_GLOBAL,     // as VPC_NODE_LET, at top level
  VPC_NODE_FN,         // name, list: PARAM, b: return type or NULL,
                       // a: body BLOCK
  VPC_NODE_PARAM,      // name, b: type
  VPC_NODE_STREAM,     // name, b: declared type or NULL, a: source
                       // (NAME or CALL for E.from), list: OP
  VPC_NODE_OP,         // name (operator), list: args (VPC_NODE_ARG)
  VPC_NODE_SUPERVISION,// list: items (VPC_NODE_ARG)
  VPC_NODE_CONFIG,     // name (NULL for the block form), list: items
  VPC_NODE_CONTEXT,    // name, list: args
  VPC_NODE_CONNECTOR,  // name, a: CALL of the kind
  VPC_NODE_IMPORT,     // str: path, name: alias or NULL
  VPC_NODE_PATTERN,    // name
} vpc_node_kind;

struct vpc_node {
  vpc_node_kind kind;
  vpc_pos pos;
  int op;
  bool flag;
  const char *name;
  vpc_pos name_pos;
  const char *str;
  int slen;
  int64_t ival;
  double fval;
  vpc_node *a, *b, *c;
  vpc_list list;

  // Filled in by sema.
  vpc_type *type;
  void *sym;   // what a NAME, CALL or EMIT refers to (sema.h)
  int slot;    // codegen's temporary or local number
};

typedef struct vpc_program {
  vpc_list decls;  // in source order, imports first (2.1)
} vpc_program;

vpc_node *vpc_node_new(vpc_node_kind kind, vpc_pos pos);

#endif
