// Strings and dynamic values (see value.h): the few helpers that every
// module needs, kept apart from input and output so that both can use them.
// SPDX-License-Identifier: MIT
#include "value.h"

#include <string.h>

bool vp_str_eq(vp_str a, vp_str b) {
  return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, (size_t)a.n) == 0);
}

const char *vp_kind_name(vp_kind k) {
  switch (k) {
  case VP_KIND_NULL:
    return "null";
  case VP_KIND_BOOL:
    return "bool";
  case VP_KIND_INT:
    return "int";
  case VP_KIND_FLOAT:
    return "float";
  case VP_KIND_STR:
    return "str";
  case VP_KIND_ARRAY:
    return "array";
  case VP_KIND_MAP:
    return "map";
  }
  return "unknown";
}
