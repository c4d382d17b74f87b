// Memory and small containers for the compiler (see util.h).
// SPDX-License-Identifier: MIT
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void) {
  fputs("vpc: out of memory\n", stderr);
  exit(70);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    out_of_memory();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    out_of_memory();
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p)
    out_of_memory();
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

// The arena is a chain of blocks; big requests get a block of their own.
typedef struct block {
  struct block *next;
  size_t used, size;
  _Alignas(16) char data[];
} block;

static block *arena_head;

void *vpc_alloc(size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!arena_head || arena_head->size - arena_head->used < n) {
    size_t size = n > 60000 ? n : 65536 - sizeof(block);
    block *b = xmalloc(sizeof(block) + size);
    b->used = 0;
    b->size = size;
    b->next = arena_head;
    arena_head = b;
  }
  void *p = arena_head->data + arena_head->used;
  arena_head->used += n;
  memset(p, 0, n);
  return p;
}

void vpc_free_all(void) {
  while (arena_head) {
    block *next = arena_head->next;
    free(arena_head);
    arena_head = next;
  }
}

char *vpc_strndup(const char *s, size_t n) {
  char *p = vpc_alloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *vpc_strdup(const char *s) {
  return vpc_strndup(s, strlen(s));
}

char *vpc_vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  char *p = vpc_alloc((size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char *vpc_format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = vpc_vformat(fmt, ap);
  va_end(ap);
  return p;
}

void vpc_list_push(vpc_list *l, void *item) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 4;
    void **items = vpc_alloc(sizeof(void *) * (size_t)cap);
    if (l->n)
      memcpy(items, l->items, sizeof(void *) * (size_t)l->n);
    l->items = items;
    l->cap = cap;
  }
  l->items[l->n++] = item;
}

void vpc_sbuf_add(vpc_sbuf *b, const char *s, size_t n) {
  if (b->cap - b->n < n + 1) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < n + 1)
      cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

void vpc_sbuf_puts(vpc_sbuf *b, const char *s) {
  vpc_sbuf_add(b, s, strlen(s));
}

void vpc_sbuf_printf(vpc_sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vpc_vformat(fmt, ap);
  va_end(ap);
  vpc_sbuf_puts(b, s);
}

void vpc_sbuf_free(vpc_sbuf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

int vpc_edit_distance(const char *a, const char *b) {
  size_t n = strlen(b);
  if (strlen(a) > 32 || n > 32)
    return 99;
  int row[34];
  for (size_t j = 0; j <= n; j++)
    row[j] = (int)j;
  for (size_t i = 1; a[i - 1]; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= n; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[n];
}

void vpc_closest_offer(vpc_closest *c, const char *candidate) {
  if (!strcmp(candidate, c->target))
    return;
  int d = vpc_edit_distance(c->target, candidate);
  if (d <= 2 && (!c->best || d < c->distance)) {
    c->best = candidate;
    c->distance = d;
  }
}

uint64_t vpc_fnv1a64(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ULL;
  }
  return h;
}
