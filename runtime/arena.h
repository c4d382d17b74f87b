// Bump allocators. A run keeps one arena per input record (reset when the
// record has been handled) so per-event work never calls malloc, and one
// arena for the whole run. Nothing allocated from an arena is freed alone.
// SPDX-License-Identifier: MIT
#ifndef VP_ARENA_H
#define VP_ARENA_H

#include <stddef.h>

typedef struct vp_arena_block vp_arena_block;

typedef struct vp_arena {
  vp_arena_block *head;  // block being filled; older blocks follow it
  char *cur;             // next free byte in head
  char *end;             // one past the last byte of head
} vp_arena;

// Called when memory runs out, before the process exits with status 70; a
// worker sets it to turn the exhaustion into a crash (it may longjmp).
extern void (*vp_arena_oom_hook)(void);

// Reports memory exhaustion the way vp_arena_alloc does: calls the hook,
// then exits with status 70. For other modules that malloc.
_Noreturn void vp_arena_oom(void);

// Returns n bytes aligned to 16, never NULL: running out of memory ends the
// process with exit status 70 ("out of memory", LANGUAGE.md 4.10).
void *vp_arena_alloc(vp_arena *a, size_t n);

// Copies n bytes into the arena and adds a NUL after them.
char *vp_arena_dup(vp_arena *a, const void *p, size_t n);

// Forgets everything allocated but keeps the first block for reuse.
void vp_arena_reset(vp_arena *a);

// Gives every block back to the system.
void vp_arena_free(vp_arena *a);

#endif
