// The built-in functions of LANGUAGE.md 9 that this version implements,
// with their names (synonyms included). check.c types their calls and
// codegen.c expands them.
// SPDX-License-Identifier: MIT
#ifndef VPC_BUILTINS_H
#define VPC_BUILTINS_H

typedef enum vpc_builtin_id {
  VPC_B_OK,
  VPC_B_ERR,
  VPC_B_IS_OK,
  VPC_B_IS_ERR,
  VPC_B_UNWRAP_OR,
  VPC_B_LOG_ERROR,
  VPC_B_EMIT_TO_DLQ,
  VPC_B_PANIC,
  VPC_B_PRINT,
  VPC_B_SLEEP,
  VPC_B_ABS,
  VPC_B_MIN,
  VPC_B_MAX,
  VPC_B_CLAMP,
  VPC_B_MATH1,     // sqrt exp log log10 sin cos tan: (num) -> float
  VPC_B_FLOOR,
  VPC_B_CEIL,
  VPC_B_ROUND,
  VPC_B_POW,
  VPC_B_LEN,
  VPC_B_UPPER,
  VPC_B_LOWER,
  VPC_B_TRIM,
  VPC_B_CONTAINS,
  VPC_B_STARTS_WITH,
  VPC_B_ENDS_WITH,
  VPC_B_CONCAT,
  VPC_B_TO_STRING,
  VPC_B_TO_INT,
  VPC_B_TO_FLOAT,
  VPC_B_COALESCE,
  VPC_B_IS_NULL,
  VPC_B_UPDATE,
  VPC_B_FIRST,
  VPC_B_LAST,
  VPC_B_PUSH,
  VPC_B_POP,
  VPC_B_SORT,
  VPC_B_KEYS,
  VPC_B_VALUES,
  VPC_B_GET,
  VPC_B_SET,
  VPC_B_RANGE,
  VPC_B_SUM,
  VPC_B_AVG,
  VPC_B_SPLIT,
  VPC_B_JOIN,
  VPC_B_REVERSE,
  VPC_B_SUBSTRING,
  VPC_B_REPLACE,
  VPC_B_TYPE_OF,
  VPC_B_IS_KIND,   // is_int, is_float, ...: cname holds the kind's name
  VPC_B_TRY_INT,
  VPC_B_TRY_FLOAT,
} vpc_builtin_id;

// How check.c and codegen.c treat a builtin's arguments.
typedef enum vpc_builtin_group {
  VPC_BG_RESULT,      // Ok, Err and the Result tests
  VPC_BG_NUMBER,      // numbers in, a number out
  VPC_BG_STRING,      // strings in (len and contains also take lists)
  VPC_BG_COLLECTION,  // arrays, maps, and the string functions of 9 that
                      // return them or take positions
  VPC_BG_OTHER,
} vpc_builtin_group;

typedef struct vpc_builtin {
  const char *name;
  vpc_builtin_id id;
  vpc_builtin_group group;
  int min_args;
  int max_args;  // -1: any number
  const char *cname;  // C function for VPC_B_MATH1
} vpc_builtin;

// The i-th builtin, or NULL past the last (for hints).
const vpc_builtin *vpc_builtin_at(int i);

// Returns the builtin called name, or NULL.
const vpc_builtin *vpc_find_builtin(const char *name);

// The phase ("P2" or "later") of builtins that later versions implement:
// calling one is a "not supported yet" error, not an unknown function.
const char *vpc_builtin_phase(const char *name);

#endif
