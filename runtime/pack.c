// Growth of pack buffers (see pack.h).
// SPDX-License-Identifier: MIT
#include "pack.h"

#include <stdio.h>
#include <stdlib.h>

void vp_buf_grow(vp_buf *b, size_t extra) {
  // A first allocation fits what it is for (window buffers hold one record
  // per key most of the time); later ones double.
  size_t cap = b->cap ? b->cap : (extra + 15) & ~(size_t)15;
  while (cap - b->n < extra)
    cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) {
    fputs("[ERROR] out of memory\n", stderr);
    exit(70);
  }
  b->p = p;
  b->cap = cap;
}

void vp_buf_free(vp_buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}
