// Runtime errors (see err.h): messages are formatted into the event arena
// and the innermost trap takes over.
// SPDX-License-Identifier: MIT
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "run.h"

vp_trap *vp_trap_top;

_Noreturn static void unwind(const char *kind, vp_str message) {
  vp_trap *t = vp_trap_top;
  if (!t) {
    // Every evaluation runs under a trap; reaching here is a runtime bug.
    fprintf(stderr, "[ERROR] internal: untrapped %s: %.*s\n", kind,
            (int)message.n, message.p);
    exit(70);
  }
  vp_trap_top = t->prev;
  t->kind = kind;
  t->message = message;
  longjmp(t->jb, 1);
}

static vp_str format_message(const char *fmt, va_list ap) {
  char small[256];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    n = 0;
  char *p = vp_arena_alloc(vp_event_arena, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return (vp_str){ p, n };
}

_Noreturn void vp_raise(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vp_str m = format_message(fmt, ap);
  va_end(ap);
  unwind("error", m);
}

_Noreturn void vp_raise_crash(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vp_str m = format_message(fmt, ap);
  va_end(ap);
  unwind("crash", m);
}

_Noreturn void vp_raise_str(const char *kind, vp_str message) {
  unwind(kind, message);
}
