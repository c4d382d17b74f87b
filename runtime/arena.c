// Bump allocators (see arena.h). Blocks grow geometrically, and a reset keeps
// only the newest, largest block, so after a few records a run's event arena
// settles on one block and never calls malloc again.
// SPDX-License-Identifier: MIT
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vp_arena_block {
  vp_arena_block *next;
  size_t size;  // usable bytes after the header
  max_align_t align[];
};

enum { MIN_BLOCK = 64 * 1024, MAX_GROWTH = 64 * 1024 * 1024 };

void (*vp_arena_oom_hook)(void);

_Noreturn void vp_arena_oom(void) {
  static const char msg[] = "[ERROR] out of memory\n";

  if (vp_arena_oom_hook)
    vp_arena_oom_hook();
  // Not through vp_log: formatting may need memory we do not have.
  ssize_t r = write(2, msg, sizeof msg - 1);
  (void)r;
  exit(70);
}

static void new_block(vp_arena *a, size_t need) {
  size_t size = MIN_BLOCK;
  if (a->head) {
    size = a->head->size * 2;
    if (size > MAX_GROWTH)
      size = a->head->size < MAX_GROWTH ? MAX_GROWTH : a->head->size;
  }
  if (size < need + 16)
    size = need + 16;

  vp_arena_block *b = malloc(sizeof *b + size);
  if (!b)
    vp_arena_oom();
  b->size = size;
  b->next = a->head;
  a->head = b;
  a->cur = (char *)b->align;
  a->end = a->cur + size;
}

void *vp_arena_alloc(vp_arena *a, size_t n) {
  if (n == 0)
    n = 1;
  uintptr_t p = ((uintptr_t)a->cur + 15) & ~(uintptr_t)15;
  if (!a->cur || n > (size_t)(a->end - a->cur) ||
      p + n > (uintptr_t)a->end) {
    if (n > SIZE_MAX / 2)
      vp_arena_oom();
    new_block(a, n);
    p = ((uintptr_t)a->cur + 15) & ~(uintptr_t)15;
  }
  a->cur = (char *)(p + n);
  return (void *)p;
}

char *vp_arena_dup(vp_arena *a, const void *p, size_t n) {
  char *s = vp_arena_alloc(a, n + 1);
  if (n)
    memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

void vp_arena_reset(vp_arena *a) {
  vp_arena_block *b = a->head;
  if (!b)
    return;

  // The newest block is the largest; keep it alone.
  vp_arena_block *old = b->next;
  while (old) {
    vp_arena_block *next = old->next;
    free(old);
    old = next;
  }
  b->next = NULL;
  a->cur = (char *)b->align;
  a->end = a->cur + b->size;
}

void vp_arena_free(vp_arena *a) {
  vp_arena_block *b = a->head;
  while (b) {
    vp_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->cur = NULL;
  a->end = NULL;
}
