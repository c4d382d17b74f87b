// Bounded single-producer/single-consumer ring of variable-length records in
// memory shared across fork(). region.c puts one between the parent and each
// worker in both directions; the split of reserve/commit on the producer side
// and peek/release on the consumer side is the commit protocol of
// ARCHITECTURE.md 3.
// SPDX-License-Identifier: MIT
#ifndef VP_RING_H
#define VP_RING_H

#include <stddef.h>
#include <stdint.h>

// Positions (head, tail, cursors) are byte offsets that only grow; a record
// at position p lives at p mod capacity, 8-byte aligned, as
// [u32 len][u32 flags][payload]. A record that would not fit before the end
// of the buffer is preceded by a padding record that consumers skip.
typedef struct vp_ring vp_ring;

// Maps a ring of cap bytes (a power of two, at least 64) with
// mmap(MAP_SHARED | MAP_ANONYMOUS), so that processes forked later share it.
// Returns NULL with errno set when cap is invalid or memory is short.
vp_ring *vp_ring_create(size_t cap);

// Unmaps the ring (in the calling process only).
void vp_ring_destroy(vp_ring *r);

// The largest payload one record may have: half the capacity less the record
// header, so that a record always fits once the ring has drained.
size_t vp_ring_max_record(const vp_ring *r);

// Producer: reserves room for one record of len bytes and stores a pointer to
// its payload (8-byte aligned) in *out. Returns 0, -EAGAIN when there is not
// enough free space now, or -EMSGSIZE when len exceeds
// vp_ring_max_record (it never fits). Nothing is visible to the consumer until
// vp_ring_commit.
int vp_ring_reserve(vp_ring *r, size_t len, void **out);

// Producer: publishes every record reserved since the last commit at once.
void vp_ring_commit(vp_ring *r);

// Producer: forgets the records reserved since the last commit. A producer
// that takes over from a dead one calls it before reserving.
void vp_ring_abort(vp_ring *r);

// Producer: the position just after the last reserved record.
uint64_t vp_ring_reserved(const vp_ring *r);

// Consumer: returns the payload of the published record at *cursor and its
// length in *len, and moves *cursor past it; returns NULL when nothing is
// published at *cursor. The cursor is the caller's own: peeking frees
// nothing, so several cursors may read ahead of the head.
const void *vp_ring_peek(vp_ring *r, uint64_t *cursor, size_t *len);

// Consumer: the position up to which records are published now. Records
// before it can then be read with vp_ring_next without touching the
// producer's line again.
uint64_t vp_ring_tail(vp_ring *r);

// Consumer: as vp_ring_peek, but only up to end, a value vp_ring_tail
// returned (or any published position): returns NULL when *cursor is end.
const void *vp_ring_next(const vp_ring *r, uint64_t *cursor, uint64_t end,
                         size_t *len);

// Consumer: frees everything before position cursor (a value that
// vp_ring_peek produced) for the producer to reuse.
void vp_ring_release(vp_ring *r, uint64_t cursor);

// Consumer: the position up to which records have been released, where a
// new consumer starts reading.
uint64_t vp_ring_head(const vp_ring *r);

// True when a record is published at cursor (the consumer's "not empty").
int vp_ring_ready(vp_ring *r, uint64_t cursor);

#endif
