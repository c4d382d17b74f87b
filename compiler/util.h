// Memory and small containers for the compiler. One compilation allocates
// its AST, types and strings from one arena and frees nothing piecemeal;
// xmalloc aborts on exhaustion because a compiler cannot go on without
// memory.
// SPDX-License-Identifier: MIT
#ifndef VPC_UTIL_H
#define VPC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

// Arena allocation for everything that lives as long as the compilation.
void *vpc_alloc(size_t n);  // zeroed
char *vpc_strndup(const char *s, size_t n);
char *vpc_strdup(const char *s);
char *vpc_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *vpc_vformat(const char *fmt, va_list ap);
void vpc_free_all(void);

// A growable array of pointers, allocated from the arena.
typedef struct vpc_list {
  void **items;
  int n;
  int cap;
} vpc_list;

void vpc_list_push(vpc_list *l, void *item);

// A growable string, malloc'd.
typedef struct vpc_sbuf {
  char *p;
  size_t n;
  size_t cap;
} vpc_sbuf;

void vpc_sbuf_add(vpc_sbuf *b, const char *s, size_t n);
void vpc_sbuf_puts(vpc_sbuf *b, const char *s);
void vpc_sbuf_printf(vpc_sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vpc_sbuf_free(vpc_sbuf *b);

// Levenshtein distance of two short names (99 for long ones), for
// "did you mean" hints.
int vpc_edit_distance(const char *a, const char *b);

// Keeps the closest of the names offered so far: call with each candidate,
// then read best (NULL when none is within distance 2).
typedef struct vpc_closest {
  const char *target;
  const char *best;
  int distance;
} vpc_closest;

void vpc_closest_offer(vpc_closest *c, const char *candidate);

#define vpc_unreachable() __builtin_unreachable()

// FNV-1a 64 of n bytes: the fingerprint of a generated program (7.3).
uint64_t vpc_fnv1a64(const void *p, size_t n);

#endif
