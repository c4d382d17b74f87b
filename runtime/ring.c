// SPSC record ring in a shared anonymous mapping (see ring.h). The producer
// writes records past tail and publishes them with one release store of tail;
// the consumer reads at private cursors and frees with a release store of
// head. region.c drives both ends; no locks, no syscalls.
// SPDX-License-Identifier: MIT
#include "ring.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#define VP_RING_PAD 1u  // flags bit: padding up to the end of the buffer
#define HDR_SIZE    8u
#define HOT_BYTES   ((uint64_t)256 << 10)  // see wrap_early

struct vp_ring {
  // Set at creation, then only read: on a line of their own, so that the
  // stores below never evict them from the other side's cache.
  _Alignas(64) uint64_t cap;
  uint64_t mask;
  size_t map_size;
  // Written by the consumer, read by the producer; then the consumer's
  // own: the tail it last loaded (tail only grows, so records before a
  // stale copy are published all the same).
  _Alignas(64) uint64_t head;
  uint64_t tail_seen;
  // Written by the producer, read by the consumer.
  _Alignas(64) uint64_t tail;
  // The producer's own: end of the reserved records, and the head it last
  // loaded (head only grows, so a stale copy understates the free space).
  // Shared so that a producer that takes over can discard a dead one's
  // reservations.
  _Alignas(64) uint64_t wpos;
  uint64_t head_seen;
  _Alignas(64) unsigned char data[];
};

typedef struct rec_hdr {
  uint32_t len;
  uint32_t flags;
} rec_hdr;

static uint64_t align8(uint64_t n) {
  return (n + 7) & ~(uint64_t)7;
}

vp_ring *vp_ring_create(size_t cap) {
  if (cap < 64 || (cap & (cap - 1)) != 0 || cap > ((size_t)1 << 32)) {
    errno = EINVAL;
    return NULL;
  }
  size_t size = sizeof(vp_ring) + cap;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED)
    return NULL;

  // The mapping starts zeroed: head = tail = wpos = head_seen = 0.
  vp_ring *r = p;
  r->cap = cap;
  r->mask = cap - 1;
  r->map_size = size;
  return r;
}

void vp_ring_destroy(vp_ring *r) {
  if (r)
    munmap(r, r->map_size);
}

size_t vp_ring_max_record(const vp_ring *r) {
  return r->cap / 2 - HDR_SIZE;
}

static void put_hdr(vp_ring *r, uint64_t pos, uint32_t len, uint32_t flags) {
  rec_hdr h = { len, flags };
  memcpy(r->data + (pos & r->mask), &h, sizeof h);
}

// Whether the producer may pad to the end of the buffer now and go on at
// its start: it is past the first HOT_BYTES (or half the buffer) and what
// the consumer has not freed, with the next record, fits in that much. A
// consumer that keeps up then finds every record in the same few hundred
// KiB, warm in both sides' caches, instead of a stream through all of a
// buffer sized for the largest record; and only those pages are touched.
// The padding counts as held until the consumer passes it, so right after
// an early wrap the ring has less room than its size, for as long as the
// consumer takes to read the few records before the padding.
static bool wrap_early(vp_ring *r, uint64_t wpos, uint64_t need) {
  uint64_t hot = r->cap / 2 < HOT_BYTES ? r->cap / 2 : HOT_BYTES;
  if ((wpos & r->mask) < hot)
    return false;
  if (wpos - r->head_seen + need > hot)
    r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
  return wpos - r->head_seen + need <= hot;
}

int vp_ring_reserve(vp_ring *r, size_t len, void **out) {
  if (len > vp_ring_max_record(r))
    return -EMSGSIZE;
  uint64_t need = align8(HDR_SIZE + len);
  uint64_t wpos = r->wpos;
  uint64_t to_end = r->cap - (wpos & r->mask);
  if (to_end != r->cap && wrap_early(r, wpos, need)) {
    put_hdr(r, wpos, (uint32_t)(to_end - HDR_SIZE), VP_RING_PAD);
    wpos += to_end;
    to_end = r->cap;
  }
  uint64_t total = need <= to_end ? need : to_end + need;

  // The head last seen usually leaves room; only when it does not is the
  // consumer's line read again.
  uint64_t avail = r->cap - (wpos - r->head_seen);
  if (total > avail) {
    // Acquire, paired with the release store of head in vp_ring_release:
    // the consumer's reads of the space we are about to reuse are complete.
    r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    avail = r->cap - (wpos - r->head_seen);
  }

  if (need <= to_end) {
    if (need > avail)
      return -EAGAIN;
  } else {
    // The record goes to the start of the buffer, after a padding record
    // that fills the rest of this lap (to_end is a multiple of 8, >= 8).
    if (to_end + need > avail)
      return -EAGAIN;
    put_hdr(r, wpos, (uint32_t)(to_end - HDR_SIZE), VP_RING_PAD);
    wpos += to_end;
  }
  put_hdr(r, wpos, (uint32_t)len, 0);
  *out = r->data + ((wpos + HDR_SIZE) & r->mask);
  r->wpos = wpos + need;
  return 0;
}

void vp_ring_commit(vp_ring *r) {
  // Release, paired with the acquire load of tail in vp_ring_peek and
  // vp_ring_ready: the records' bytes are visible before their publication.
  __atomic_store_n(&r->tail, r->wpos, __ATOMIC_RELEASE);
}

void vp_ring_abort(vp_ring *r) {
  r->wpos = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
}

uint64_t vp_ring_reserved(const vp_ring *r) {
  return r->wpos;
}

uint64_t vp_ring_tail(vp_ring *r) {
  // Acquire, paired with the release store of tail in vp_ring_commit: the
  // bytes of every record before the returned position are visible.
  return __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

const void *vp_ring_next(const vp_ring *r, uint64_t *cursor, uint64_t end,
                         size_t *len) {
  uint64_t pos = *cursor;
  for (;;) {
    if (pos == end)
      return NULL;
    rec_hdr h;
    memcpy(&h, r->data + (pos & r->mask), sizeof h);
    uint64_t step = align8(HDR_SIZE + h.len);
    if (h.flags & VP_RING_PAD) {
      pos += step;
      continue;
    }
    *len = h.len;
    *cursor = pos + step;
    return r->data + ((pos + HDR_SIZE) & r->mask);
  }
}

// The consumer loads tail, a line the producer writes on every commit,
// only when its last view of it is used up. A view below the cursor (left
// by a consumer that was replaced) is used up too.
static uint64_t published_end(vp_ring *r, uint64_t cursor) {
  uint64_t end = r->tail_seen;
  if (end <= cursor) {
    end = vp_ring_tail(r);
    r->tail_seen = end;
  }
  return end;
}

const void *vp_ring_peek(vp_ring *r, uint64_t *cursor, size_t *len) {
  return vp_ring_next(r, cursor, published_end(r, *cursor), len);
}

int vp_ring_ready(vp_ring *r, uint64_t cursor) {
  // A published padding record is always followed by a published record.
  return published_end(r, cursor) != cursor;
}

void vp_ring_release(vp_ring *r, uint64_t cursor) {
  // Release, paired with the acquire load of head in vp_ring_reserve: our
  // reads of the freed records happen before the producer overwrites them.
  __atomic_store_n(&r->head, cursor, __ATOMIC_RELEASE);
}

uint64_t vp_ring_head(const vp_ring *r) {
  return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);  // pairs as above
}
