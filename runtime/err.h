// Runtime errors of LANGUAGE.md 4.10. Code that evaluates VPL runs under a
// trap; vp_raise unwinds to the innermost one with the error's kind and
// message. Per-event memory lives in arenas, so unwinding leaks nothing.
// SPDX-License-Identifier: MIT
#ifndef VP_ERR_H
#define VP_ERR_H

#include <setjmp.h>

#include "value.h"

typedef struct vp_trap {
  jmp_buf jb;
  struct vp_trap *prev;
  const char *kind;  // set by vp_raise: "error" or "crash"
  vp_str message;    // set by vp_raise, in the current event arena
} vp_trap;

extern vp_trap *vp_trap_top;

static inline void vp_trap_push(vp_trap *t) {
  t->prev = vp_trap_top;
  vp_trap_top = t;
}

// Leaves the trap on the normal path; vp_raise leaves it on the other.
static inline void vp_trap_pop(vp_trap *t) {
  vp_trap_top = t->prev;
}

// if (VP_TRY(t)) { ...; vp_trap_pop(&t); } else { t.kind, t.message }
#define VP_TRY(t) (vp_trap_push(&(t)), setjmp((t).jb) == 0)

// Raises a runtime error of kind "error" with a printf-style message.
_Noreturn void vp_raise(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

// Raises a crash (kind "crash"), as panic() and the recursion limit do.
_Noreturn void vp_raise_crash(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

// Raises an error whose message is the given text (Err(m) of a .process).
_Noreturn void vp_raise_str(const char *kind, vp_str message);

#endif
