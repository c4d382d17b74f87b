// Strings and dynamic values. Generated code holds declared fields in typed C
// variables; vp_value carries what only the input knows: members of input
// records before they are decoded, and values of static type any.
// SPDX-License-Identifier: MIT
#ifndef VP_VALUE_H
#define VP_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Immutable UTF-8 text; not NUL-terminated in general.
typedef struct vp_str {
  const char *p;
  int64_t n;
} vp_str;

#define VP_STR_LIT(s) ((vp_str){ (s), (int64_t)sizeof(s) - 1 })

typedef enum vp_kind {
  VP_KIND_NULL,
  VP_KIND_BOOL,
  VP_KIND_INT,
  VP_KIND_FLOAT,
  VP_KIND_STR,
  VP_KIND_ARRAY,
  VP_KIND_MAP,
} vp_kind;

typedef struct vp_value vp_value;

// Arrays keep items in order; maps keep keys[i] -> items[i] in insertion
// order (keys is NULL for arrays).
typedef struct vp_list {
  int64_t n;
  vp_value *items;
  vp_str *keys;
} vp_list;

struct vp_value {
  vp_kind kind;
  union {
    bool b;
    int64_t i;
    double f;
    vp_str s;
    vp_list *list;
  } u;
};

bool vp_str_eq(vp_str a, vp_str b);

// "int", "float", "str", "bool", "null", "array", "map": the kind's name as
// diagnostics spell types (LANGUAGE.md 4.10).
const char *vp_kind_name(vp_kind k);

#endif
