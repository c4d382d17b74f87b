// .distinct (LANGUAGE.md 5.4): the most recently seen keys, as an LRU of
// a fixed capacity (100 000), one per partition key after .partition_by.
// Keys are byte strings (canonical encodings); equal bytes, equal keys.
// SPDX-License-Identifier: MIT
#ifndef VP_DISTINCT_H
#define VP_DISTINCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "window.h"

typedef struct vp_distinct vp_distinct;

vp_distinct *vp_distinct_new(size_t capacity);
void vp_distinct_free(vp_distinct *d);

// Whether key (n bytes at p) was seen in partition part (NULL: the one
// LRU); a repeat refreshes it, a new key is added and may evict the least
// recently seen one.
bool vp_distinct_seen(vp_distinct *d, const vp_key *part, const uint8_t *p,
                      size_t n);

// Checkpoints (7.3): appends the sets to b; loads them into a new one.
void vp_distinct_save(const vp_distinct *d, vp_buf *b);
void vp_distinct_load(vp_distinct *d, vp_rd *r);

#endif
