// The table of built-in functions (see builtins.h).
// SPDX-License-Identifier: MIT
#include "builtins.h"

#include <stddef.h>
#include <string.h>

static const vpc_builtin builtins[] = {
  { "Ok", VPC_B_OK, 1, 1, NULL },
  { "Err", VPC_B_ERR, 1, 1, NULL },
  { "is_ok", VPC_B_IS_OK, 1, 1, NULL },
  { "is_err", VPC_B_IS_ERR, 1, 1, NULL },
  { "unwrap_or", VPC_B_UNWRAP_OR, 2, 2, NULL },
  { "log_error", VPC_B_LOG_ERROR, 1, 1, NULL },
  { "emit_to_dlq", VPC_B_EMIT_TO_DLQ, 1, 1, NULL },
  { "panic", VPC_B_PANIC, 1, 1, NULL },
  { "print", VPC_B_PRINT, 0, -1, NULL },
  { "sleep", VPC_B_SLEEP, 1, 1, NULL },
  { "abs", VPC_B_ABS, 1, 1, NULL },
  { "min", VPC_B_MIN, 2, 2, NULL },
  { "max", VPC_B_MAX, 2, 2, NULL },
  { "clamp", VPC_B_CLAMP, 3, 3, NULL },
  { "sqrt", VPC_B_MATH1, 1, 1, "sqrt" },
  { "exp", VPC_B_MATH1, 1, 1, "exp" },
  { "log", VPC_B_MATH1, 1, 1, "log" },
  { "log10", VPC_B_MATH1, 1, 1, "log10" },
  { "sin", VPC_B_MATH1, 1, 1, "sin" },
  { "cos", VPC_B_MATH1, 1, 1, "cos" },
  { "tan", VPC_B_MATH1, 1, 1, "tan" },
  { "floor", VPC_B_FLOOR, 1, 1, NULL },
  { "ceil", VPC_B_CEIL, 1, 1, NULL },
  { "round", VPC_B_ROUND, 1, 2, NULL },
  { "pow", VPC_B_POW, 2, 2, NULL },
  { "len", VPC_B_LEN, 1, 1, NULL },
  { "upper", VPC_B_UPPER, 1, 1, NULL },
  { "to_upper", VPC_B_UPPER, 1, 1, NULL },
  { "uppercase", VPC_B_UPPER, 1, 1, NULL },
  { "lower", VPC_B_LOWER, 1, 1, NULL },
  { "to_lower", VPC_B_LOWER, 1, 1, NULL },
  { "lowercase", VPC_B_LOWER, 1, 1, NULL },
  { "trim", VPC_B_TRIM, 1, 1, NULL },
  { "contains", VPC_B_CONTAINS, 2, 2, NULL },
  { "starts_with", VPC_B_STARTS_WITH, 2, 2, NULL },
  { "ends_with", VPC_B_ENDS_WITH, 2, 2, NULL },
  { "concat", VPC_B_CONCAT, 1, -1, NULL },
  { "to_string", VPC_B_TO_STRING, 1, 1, NULL },
  { "str", VPC_B_TO_STRING, 1, 1, NULL },
  { "to_int", VPC_B_TO_INT, 1, 1, NULL },
  { "int", VPC_B_TO_INT, 1, 1, NULL },
  { "to_float", VPC_B_TO_FLOAT, 1, 1, NULL },
  { "float", VPC_B_TO_FLOAT, 1, 1, NULL },
  { "coalesce", VPC_B_COALESCE, 1, -1, NULL },
  { "if_null", VPC_B_COALESCE, 2, 2, NULL },
  { "is_null", VPC_B_IS_NULL, 1, 1, NULL },
  { "update", VPC_B_UPDATE, 1, -1, NULL },
  { "first", VPC_B_FIRST, 1, 1, NULL },
  { "last", VPC_B_LAST, 1, 1, NULL },
  { "push", VPC_B_PUSH, 2, 2, NULL },
  { "pop", VPC_B_POP, 1, 1, NULL },
  { "sort", VPC_B_SORT, 1, 1, NULL },
  { "keys", VPC_B_KEYS, 1, 1, NULL },
  { "values", VPC_B_VALUES, 1, 1, NULL },
  { "get", VPC_B_GET, 2, 2, NULL },
  { "set", VPC_B_SET, 3, 3, NULL },
  { "range", VPC_B_RANGE, 1, 2, NULL },
  { "sum", VPC_B_SUM, 1, 1, NULL },
  { "avg", VPC_B_AVG, 1, 1, NULL },
  { "split", VPC_B_SPLIT, 2, 2, NULL },
  { "join", VPC_B_JOIN, 2, 2, NULL },
  { "reverse", VPC_B_REVERSE, 1, 1, NULL },
  { "substring", VPC_B_SUBSTRING, 2, 3, NULL },
  { "replace", VPC_B_REPLACE, 3, 3, NULL },
  { "type_of", VPC_B_TYPE_OF, 1, 1, NULL },
  { "is_int", VPC_B_IS_KIND, 1, 1, "int" },
  { "is_float", VPC_B_IS_KIND, 1, 1, "float" },
  { "is_string", VPC_B_IS_KIND, 1, 1, "string" },
  { "is_bool", VPC_B_IS_KIND, 1, 1, "bool" },
  { "is_array", VPC_B_IS_KIND, 1, 1, "array" },
  { "is_map", VPC_B_IS_KIND, 1, 1, "map" },
  { "try_int", VPC_B_TRY_INT, 1, 1, NULL },
  { "try_float", VPC_B_TRY_FLOAT, 1, 1, NULL },
};

const vpc_builtin *vpc_builtin_at(int i) {
  return i >= 0 && (size_t)i < sizeof builtins / sizeof builtins[0]
             ? &builtins[i]
             : NULL;
}

const vpc_builtin *vpc_find_builtin(const char *name) {
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (!strcmp(builtins[i].name, name))
      return &builtins[i];
  return NULL;
}

const char *vpc_builtin_phase(const char *name) {
  static const char *const p1[] = { "" };
  static const char *const p2[] = {
    "regex_match", "now", "year", "month", "day", "hour", "minute",
    "second", "duration_between", "random", "uuid", "count", "stddev",
    "count_distinct", "ema",
  };
  static const char *const later[] = {
    "percentile", "median", "variance", "collect", "lag", "lead", "rank",
    "row_number", "unique", "flatten", "zip", "format", "parse",
  };
  for (size_t i = 0; i < sizeof p1 / sizeof p1[0]; i++)
    if (!strcmp(p1[i], name))
      return "P1";
  for (size_t i = 0; i < sizeof p2 / sizeof p2[0]; i++)
    if (!strcmp(p2[i], name))
      return "P2";
  for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
    if (!strcmp(later[i], name))
      return "later";
  return NULL;
}
