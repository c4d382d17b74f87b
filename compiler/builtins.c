// The table of built-in functions (see builtins.h).
// SPDX-License-Identifier: MIT
#include "builtins.h"

#include <stddef.h>
#include <string.h>

static const vpc_builtin builtins[] = {
  { "Ok", VPC_B_OK, VPC_BG_RESULT, 1, 1, NULL },
  { "Err", VPC_B_ERR, VPC_BG_RESULT, 1, 1, NULL },
  { "is_ok", VPC_B_IS_OK, VPC_BG_RESULT, 1, 1, NULL },
  { "is_err", VPC_B_IS_ERR, VPC_BG_RESULT, 1, 1, NULL },
  { "unwrap_or", VPC_B_UNWRAP_OR, VPC_BG_RESULT, 2, 2, NULL },
  { "log_error", VPC_B_LOG_ERROR, VPC_BG_OTHER, 1, 1, NULL },
  { "emit_to_dlq", VPC_B_EMIT_TO_DLQ, VPC_BG_OTHER, 1, 1, NULL },
  { "panic", VPC_B_PANIC, VPC_BG_OTHER, 1, 1, NULL },
  { "print", VPC_B_PRINT, VPC_BG_OTHER, 0, -1, NULL },
  { "sleep", VPC_B_SLEEP, VPC_BG_OTHER, 1, 1, NULL },
  { "abs", VPC_B_ABS, VPC_BG_NUMBER, 1, 1, NULL },
  { "min", VPC_B_MIN, VPC_BG_NUMBER, 2, 2, NULL },
  { "max", VPC_B_MAX, VPC_BG_NUMBER, 2, 2, NULL },
  { "clamp", VPC_B_CLAMP, VPC_BG_NUMBER, 3, 3, NULL },
  { "sqrt", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "sqrt" },
  { "exp", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "exp" },
  { "log", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "log" },
  { "log10", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "log10" },
  { "sin", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "sin" },
  { "cos", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "cos" },
  { "tan", VPC_B_MATH1, VPC_BG_NUMBER, 1, 1, "tan" },
  { "floor", VPC_B_FLOOR, VPC_BG_NUMBER, 1, 1, NULL },
  { "ceil", VPC_B_CEIL, VPC_BG_NUMBER, 1, 1, NULL },
  { "round", VPC_B_ROUND, VPC_BG_NUMBER, 1, 2, NULL },
  { "pow", VPC_B_POW, VPC_BG_NUMBER, 2, 2, NULL },
  { "len", VPC_B_LEN, VPC_BG_STRING, 1, 1, NULL },
  { "upper", VPC_B_UPPER, VPC_BG_STRING, 1, 1, NULL },
  { "to_upper", VPC_B_UPPER, VPC_BG_STRING, 1, 1, NULL },
  { "uppercase", VPC_B_UPPER, VPC_BG_STRING, 1, 1, NULL },
  { "lower", VPC_B_LOWER, VPC_BG_STRING, 1, 1, NULL },
  { "to_lower", VPC_B_LOWER, VPC_BG_STRING, 1, 1, NULL },
  { "lowercase", VPC_B_LOWER, VPC_BG_STRING, 1, 1, NULL },
  { "trim", VPC_B_TRIM, VPC_BG_STRING, 1, 1, NULL },
  { "contains", VPC_B_CONTAINS, VPC_BG_STRING, 2, 2, NULL },
  { "starts_with", VPC_B_STARTS_WITH, VPC_BG_STRING, 2, 2, NULL },
  { "ends_with", VPC_B_ENDS_WITH, VPC_BG_STRING, 2, 2, NULL },
  { "concat", VPC_B_CONCAT, VPC_BG_STRING, 1, -1, NULL },
  { "to_string", VPC_B_TO_STRING, VPC_BG_OTHER, 1, 1, NULL },
  { "str", VPC_B_TO_STRING, VPC_BG_OTHER, 1, 1, NULL },
  { "to_int", VPC_B_TO_INT, VPC_BG_OTHER, 1, 1, NULL },
  { "int", VPC_B_TO_INT, VPC_BG_OTHER, 1, 1, NULL },
  { "to_float", VPC_B_TO_FLOAT, VPC_BG_OTHER, 1, 1, NULL },
  { "float", VPC_B_TO_FLOAT, VPC_BG_OTHER, 1, 1, NULL },
  { "coalesce", VPC_B_COALESCE, VPC_BG_OTHER, 1, -1, NULL },
  { "if_null", VPC_B_COALESCE, VPC_BG_OTHER, 2, 2, NULL },
  { "is_null", VPC_B_IS_NULL, VPC_BG_OTHER, 1, 1, NULL },
  { "update", VPC_B_UPDATE, VPC_BG_OTHER, 1, -1, NULL },
  { "first", VPC_B_FIRST, VPC_BG_COLLECTION, 1, 1, NULL },
  { "last", VPC_B_LAST, VPC_BG_COLLECTION, 1, 1, NULL },
  { "push", VPC_B_PUSH, VPC_BG_COLLECTION, 2, 2, NULL },
  { "pop", VPC_B_POP, VPC_BG_COLLECTION, 1, 1, NULL },
  { "sort", VPC_B_SORT, VPC_BG_COLLECTION, 1, 1, NULL },
  { "keys", VPC_B_KEYS, VPC_BG_COLLECTION, 1, 1, NULL },
  { "values", VPC_B_VALUES, VPC_BG_COLLECTION, 1, 1, NULL },
  { "get", VPC_B_GET, VPC_BG_COLLECTION, 2, 2, NULL },
  { "set", VPC_B_SET, VPC_BG_COLLECTION, 3, 3, NULL },
  { "range", VPC_B_RANGE, VPC_BG_COLLECTION, 1, 2, NULL },
  { "sum", VPC_B_SUM, VPC_BG_COLLECTION, 1, 1, NULL },
  { "avg", VPC_B_AVG, VPC_BG_COLLECTION, 1, 1, NULL },
  { "split", VPC_B_SPLIT, VPC_BG_COLLECTION, 2, 2, NULL },
  { "join", VPC_B_JOIN, VPC_BG_COLLECTION, 2, 2, NULL },
  { "reverse", VPC_B_REVERSE, VPC_BG_COLLECTION, 1, 1, NULL },
  { "substring", VPC_B_SUBSTRING, VPC_BG_COLLECTION, 2, 3, NULL },
  { "replace", VPC_B_REPLACE, VPC_BG_COLLECTION, 3, 3, NULL },
  { "type_of", VPC_B_TYPE_OF, VPC_BG_COLLECTION, 1, 1, NULL },
  { "is_int", VPC_B_IS_KIND, VPC_BG_COLLECTION, 1, 1, "int" },
  { "is_float", VPC_B_IS_KIND, VPC_BG_COLLECTION, 1, 1, "float" },
  { "is_string", VPC_B_IS_KIND, VPC_BG_COLLECTION, 1, 1, "string" },
  { "is_bool", VPC_B_IS_KIND, VPC_BG_COLLECTION, 1, 1, "bool" },
  { "is_array", VPC_B_IS_KIND, VPC_BG_COLLECTION, 1, 1, "array" },
  { "is_map", VPC_B_IS_KIND, VPC_BG_COLLECTION, 1, 1, "map" },
  { "try_int", VPC_B_TRY_INT, VPC_BG_COLLECTION, 1, 1, NULL },
  { "try_float", VPC_B_TRY_FLOAT, VPC_BG_COLLECTION, 1, 1, NULL },
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
  static const char *const p2[] = {
    "regex_match", "now", "year", "month", "day", "hour", "minute",
    "second", "duration_between", "random", "uuid", "count", "stddev",
    "count_distinct", "ema",
  };
  static const char *const later[] = {
    "percentile", "median", "variance", "collect", "lag", "lead", "rank",
    "row_number", "unique", "flatten", "zip", "format", "parse",
  };
  for (size_t i = 0; i < sizeof p2 / sizeof p2[0]; i++)
    if (!strcmp(p2[i], name))
      return "P2";
  for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
    if (!strcmp(later[i], name))
      return "later";
  return NULL;
}
