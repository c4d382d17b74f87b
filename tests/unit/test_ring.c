// Unit tests for ring.c: records of every size across wraparound, full and
// empty rings, commit publishing several records at once, the early wrap
// while the consumer keeps up, and a producer and consumer in two
// processes moving a million records.
// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ring.h"

static void fill(uint8_t *p, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(seed * 31 + i * 7);
}

static int check(const uint8_t *p, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (uint8_t)(seed * 31 + i * 7))
      return 0;
  return 1;
}

static void test_ring_create_rejects_bad_capacity(void **state) {
  assert_null(vp_ring_create(0));
  assert_null(vp_ring_create(32));
  assert_null(vp_ring_create(1000));
  vp_ring *r = vp_ring_create(1024);
  assert_non_null(r);
  assert_int_equal(vp_ring_max_record(r), 504);
  vp_ring_destroy(r);
}

static void test_ring_empty_peek_returns_null(void **state) {
  vp_ring *r = vp_ring_create(256);
  uint64_t cur = 0;
  size_t len = 99;
  assert_null(vp_ring_peek(r, &cur, &len));
  assert_int_equal(cur, 0);
  assert_int_equal(len, 99);
  assert_false(vp_ring_ready(r, 0));
  vp_ring_destroy(r);
}

static void test_ring_reserve_fails_when_full_then_succeeds_after_release(
    void **state) {
  vp_ring *r = vp_ring_create(256);
  void *p;
  // 8-byte payloads take 16 bytes each: exactly 16 fit.
  for (int i = 0; i < 16; i++) {
    assert_int_equal(vp_ring_reserve(r, 8, &p), 0);
    memcpy(p, &i, sizeof i);
  }
  assert_int_equal(vp_ring_reserve(r, 8, &p), -EAGAIN);
  assert_int_equal(vp_ring_reserve(r, 1, &p), -EAGAIN);
  vp_ring_commit(r);
  assert_int_equal(vp_ring_reserved(r), 256);

  // Peeking alone frees nothing.
  uint64_t cur = 0;
  size_t len;
  const void *q = vp_ring_peek(r, &cur, &len);
  assert_non_null(q);
  assert_int_equal(len, 8);
  assert_int_equal(cur, 16);
  assert_int_equal(vp_ring_reserve(r, 8, &p), -EAGAIN);

  // Releasing one record makes room for exactly one more.
  vp_ring_release(r, cur);
  assert_int_equal(vp_ring_head(r), 16);
  assert_int_equal(vp_ring_reserve(r, 8, &p), 0);
  assert_int_equal(vp_ring_reserve(r, 8, &p), -EAGAIN);
  vp_ring_destroy(r);
}

static void test_ring_rejects_oversized_record(void **state) {
  vp_ring *r = vp_ring_create(1024);
  void *p;
  assert_int_equal(vp_ring_reserve(r, 505, &p), -EMSGSIZE);
  assert_int_equal(vp_ring_reserve(r, 504, &p), 0);
  vp_ring_destroy(r);
}

static void test_ring_commit_publishes_several_records(void **state) {
  vp_ring *r = vp_ring_create(1024);
  void *p;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(vp_ring_reserve(r, (size_t)(i + 1) * 10, &p), 0);
    fill(p, (size_t)(i + 1) * 10, (uint32_t)i);
  }
  uint64_t cur = 0;
  size_t len;
  assert_null(vp_ring_peek(r, &cur, &len));  // nothing before the commit
  vp_ring_commit(r);
  for (int i = 0; i < 3; i++) {
    const uint8_t *q = vp_ring_peek(r, &cur, &len);
    assert_non_null(q);
    assert_int_equal(len, (size_t)(i + 1) * 10);
    assert_true(check(q, len, (uint32_t)i));
  }
  assert_null(vp_ring_peek(r, &cur, &len));
  // 8+10 -> 24, 8+20 -> 32, 8+30 -> 40 bytes.
  assert_int_equal(cur, 96);
  vp_ring_destroy(r);
}

static void test_ring_abort_discards_uncommitted(void **state) {
  vp_ring *r = vp_ring_create(256);
  void *p;
  assert_int_equal(vp_ring_reserve(r, 4, &p), 0);
  vp_ring_commit(r);
  assert_int_equal(vp_ring_reserve(r, 4, &p), 0);
  vp_ring_abort(r);
  assert_int_equal(vp_ring_reserved(r), 16);
  uint64_t cur = 0;
  size_t len;
  assert_non_null(vp_ring_peek(r, &cur, &len));
  assert_null(vp_ring_peek(r, &cur, &len));
  vp_ring_destroy(r);
}

static void put_one(vp_ring *r, uint32_t seed) {
  void *p;
  assert_int_equal(vp_ring_reserve(r, 16, &p), 0);
  fill(p, 16, seed);
  vp_ring_commit(r);
}

// The consumer keeps the tail it last loaded: records published after it
// are found once the records it covers are read, and a consumer whose
// cursor is past that view (one that took over) loads tail again.
static void test_ring_peek_and_ready_reload_a_used_up_tail(void **state) {
  vp_ring *r = vp_ring_create(1024);
  uint64_t cur = 0;
  size_t len;
  assert_false(vp_ring_ready(r, cur));
  put_one(r, 1);
  put_one(r, 2);
  assert_true(vp_ring_ready(r, cur));
  const uint8_t *q = vp_ring_peek(r, &cur, &len);
  assert_true(q && check(q, len, 1));
  put_one(r, 3);
  q = vp_ring_peek(r, &cur, &len);
  assert_true(q && check(q, len, 2));
  q = vp_ring_peek(r, &cur, &len);
  assert_true(q && check(q, len, 3));
  assert_false(vp_ring_ready(r, cur));
  assert_null(vp_ring_peek(r, &cur, &len));

  // A second consumer with its own cursor, ahead of the view left behind.
  put_one(r, 4);
  put_one(r, 5);
  uint64_t late = cur + 24;  // at record 5, past the view (records 1-3)
  cur = 0;
  assert_non_null(vp_ring_peek(r, &cur, &len));  // the view still serves
  put_one(r, 6);
  q = vp_ring_peek(r, &late, &len);
  assert_true(q && check(q, len, 5));
  q = vp_ring_peek(r, &late, &len);
  assert_true(q && check(q, len, 6));
  assert_null(vp_ring_peek(r, &late, &len));
  assert_int_equal(late, 144);
  vp_ring_destroy(r);
}

// Every payload size from 1 byte to the maximum, many laps, so records land
// at every offset and wrap with padding records.
static void test_ring_wraparound_varying_sizes(void **state) {
  vp_ring *r = vp_ring_create(1024);
  size_t max = vp_ring_max_record(r);
  uint64_t cur = 0;
  uint32_t produced = 0, consumed = 0;
  for (int lap = 0; lap < 3; lap++) {
    for (size_t n = 1; n <= max; n++) {
      void *p;
      int rc;
      while ((rc = vp_ring_reserve(r, n, &p)) == -EAGAIN) {
        // Full: consume one record, check it, release it.
        size_t len;
        const uint8_t *q = vp_ring_peek(r, &cur, &len);
        assert_non_null(q);
        size_t want = (size_t)(consumed % max) + 1;
        assert_int_equal(len, want);
        assert_true(check(q, len, consumed));
        consumed++;
        vp_ring_release(r, cur);
      }
      assert_int_equal(rc, 0);
      fill(p, n, produced++);
      vp_ring_commit(r);
    }
  }
  size_t len;
  const uint8_t *q;
  while ((q = vp_ring_peek(r, &cur, &len)) != NULL) {
    assert_int_equal(len, (size_t)(consumed % max) + 1);
    assert_true(check(q, len, consumed));
    consumed++;
    vp_ring_release(r, cur);
  }
  assert_int_equal(consumed, produced);
  assert_int_equal(produced, 3 * 504);
  assert_int_equal(cur, vp_ring_reserved(r));
  vp_ring_destroy(r);
}

// vp_ring_next reads up to one loaded tail: records committed later stay
// unseen until the tail is loaded again, and padding is skipped.
static void test_ring_next_reads_up_to_loaded_tail(void **state) {
  vp_ring *r = vp_ring_create(256);
  void *p;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(vp_ring_reserve(r, 8, &p), 0);
    memcpy(p, &i, sizeof i);
  }
  vp_ring_commit(r);
  uint64_t end = vp_ring_tail(r), cur = 0;
  assert_int_equal(end, 48);
  assert_int_equal(vp_ring_reserve(r, 8, &p), 0);
  vp_ring_commit(r);

  size_t len;
  const int *q;
  for (int i = 0; i < 3; i++) {
    q = vp_ring_next(r, &cur, end, &len);
    assert_non_null(q);
    assert_int_equal(*q, i);
  }
  assert_null(vp_ring_next(r, &cur, end, &len));
  assert_int_equal(cur, 48);
  end = vp_ring_tail(r);
  assert_non_null(vp_ring_next(r, &cur, end, &len));
  assert_null(vp_ring_next(r, &cur, end, &len));

  // A record that does not fit before the end follows a padding record.
  vp_ring_release(r, cur);
  assert_int_equal(vp_ring_reserve(r, 120, &p), 0);  // 64 + 128 = 192
  vp_ring_commit(r);
  assert_non_null(vp_ring_next(r, &cur, vp_ring_tail(r), &len));
  vp_ring_release(r, cur);
  assert_int_equal(vp_ring_reserve(r, 64, &p), 0);  // pads 64, then 72
  memset(p, 7, 64);
  vp_ring_commit(r);
  const uint8_t *b = vp_ring_next(r, &cur, vp_ring_tail(r), &len);
  assert_non_null(b);
  assert_int_equal(len, 64);
  assert_int_equal(b[63], 7);
  assert_int_equal(cur, 256 + 72);
  vp_ring_destroy(r);
}

// The producer's copy of head goes stale between releases; a full ring
// still finds the room the consumer freed, and never more.
static void test_ring_reserve_sees_release_after_full(void **state) {
  vp_ring *r = vp_ring_create(128);
  void *p;
  uint64_t cur = 0;
  size_t len;
  for (int lap = 0; lap < 50; lap++) {
    int n = 0;
    while (vp_ring_reserve(r, 8, &p) == 0)
      n++;
    assert_int_equal(n, lap == 0 ? 8 : 1 + lap % 3);
    vp_ring_commit(r);
    // Free 1 + (lap + 1) % 3 records for the next lap.
    for (int k = 0; k < 1 + (lap + 1) % 3; k++)
      assert_non_null(vp_ring_peek(r, &cur, &len));
    vp_ring_release(r, cur);
  }
  vp_ring_destroy(r);
}

// A maximal record fits once the ring has drained, whatever the offset.
static void test_ring_max_record_fits_at_every_offset(void **state) {
  vp_ring *r = vp_ring_create(512);
  size_t max = vp_ring_max_record(r);
  uint64_t cur = 0;
  for (int off = 0; off < 512 / 8; off++) {
    void *p;
    assert_int_equal(vp_ring_reserve(r, max, &p), 0);
    fill(p, max, (uint32_t)off);
    vp_ring_commit(r);
    size_t len;
    const uint8_t *q = vp_ring_peek(r, &cur, &len);
    assert_non_null(q);
    assert_int_equal(len, max);
    assert_true(check(q, max, (uint32_t)off));
    vp_ring_release(r, cur);
    // Shift the next record by 8 bytes.
    assert_int_equal(vp_ring_reserve(r, 0, &p), 0);
    vp_ring_commit(r);
    assert_non_null(vp_ring_peek(r, &cur, &len));
    assert_int_equal(len, 0);
    vp_ring_release(r, cur);
  }
  vp_ring_destroy(r);
}

#define STRESS_N 1000000u

static uint64_t stress_sum(uint32_t i, size_t n) {
  return (uint64_t)i * 1000003u + n;
}

// The producer is a forked child; the consumer checks every byte and a
// checksum over lengths and indices.
static void test_ring_fork_stress_million_records(void **state) {
  alarm(120);
  vp_ring *r = vp_ring_create(1 << 16);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (uint32_t i = 0; i < STRESS_N; i++) {
      size_t n = 4 + (i * 2654435761u) % 300;
      void *p;
      while (vp_ring_reserve(r, n, &p) != 0)
        sched_yield();
      memcpy(p, &i, sizeof i);
      fill((uint8_t *)p + 4, n - 4, i);
      // Publish in batches of 1 to 4 records.
      if (i % 4 == 3 || i == STRESS_N - 1)
        vp_ring_commit(r);
    }
    _exit(0);
  }

  uint64_t cur = 0, sum = 0, want = 0;
  int bad = 0;
  for (uint32_t i = 0; i < STRESS_N; i++) {
    size_t len;
    const uint8_t *q;
    while ((q = vp_ring_peek(r, &cur, &len)) == NULL)
      sched_yield();
    uint32_t k;
    memcpy(&k, q, sizeof k);
    if (k != i || len != 4 + (i * 2654435761u) % 300 ||
        !check(q + 4, len - 4, i))
      bad++;
    sum += stress_sum(k, len);
    want += stress_sum(i, 4 + (i * 2654435761u) % 300);
    if (i % 7 == 0)
      vp_ring_release(r, cur);
  }
  vp_ring_release(r, cur);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_int_equal(bad, 0);
  assert_int_equal(sum, want);
  size_t len;
  assert_null(vp_ring_peek(r, &cur, &len));
  vp_ring_destroy(r);
  alarm(0);
}

// A consumer that keeps up finds every record in the first 256 KiB of a
// larger buffer: the producer pads to the end and starts over there. One
// that holds more than that leaves the producer to go on through the
// buffer, and the records stay intact either way.
static void test_ring_wraps_early_while_the_consumer_keeps_up(void **state) {
  enum { CAP = 1 << 20, HOT = 256 << 10, LEN = 1000 };
  vp_ring *r = vp_ring_create(CAP);
  assert_non_null(r);
  void *p;
  uint64_t cur = 0;
  size_t len;
  const uint8_t *first = NULL;
  ptrdiff_t furthest = 0;
  int starts = 0;
  for (uint32_t i = 0; i < 2000; i++) {
    assert_int_equal(vp_ring_reserve(r, LEN, &p), 0);
    fill(p, LEN, i);
    vp_ring_commit(r);
    const uint8_t *q = vp_ring_peek(r, &cur, &len);
    assert_ptr_equal(q, p);
    assert_int_equal(len, LEN);
    assert_true(check(q, LEN, i));
    vp_ring_release(r, cur);
    if (!first)
      first = q;
    starts += q == first;
    if (q - first > furthest)
      furthest = q - first;
  }
  assert_true(furthest < HOT);
  assert_true(starts >= 7);  // about 2 MB through 256 KiB

  vp_ring_destroy(r);

  // Held back from the start: 400 records, about 400 KB, not released.
  r = vp_ring_create(CAP);
  assert_non_null(r);
  cur = 0;
  first = NULL;
  const uint8_t *last = NULL;
  for (uint32_t i = 0; i < 400; i++) {
    assert_int_equal(vp_ring_reserve(r, LEN, &p), 0);
    fill(p, LEN, i);
    if (!first)
      first = p;
    last = p;
  }
  vp_ring_commit(r);
  assert_true(last - first > HOT);
  for (uint32_t i = 0; i < 400; i++) {
    const uint8_t *q = vp_ring_peek(r, &cur, &len);
    assert_non_null(q);
    assert_true(check(q, LEN, i));
  }
  vp_ring_destroy(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ring_create_rejects_bad_capacity),
    cmocka_unit_test(test_ring_empty_peek_returns_null),
    cmocka_unit_test(
        test_ring_reserve_fails_when_full_then_succeeds_after_release),
    cmocka_unit_test(test_ring_rejects_oversized_record),
    cmocka_unit_test(test_ring_commit_publishes_several_records),
    cmocka_unit_test(test_ring_abort_discards_uncommitted),
    cmocka_unit_test(test_ring_peek_and_ready_reload_a_used_up_tail),
    cmocka_unit_test(test_ring_wraparound_varying_sizes),
    cmocka_unit_test(test_ring_max_record_fits_at_every_offset),
    cmocka_unit_test(test_ring_next_reads_up_to_loaded_tail),
    cmocka_unit_test(test_ring_reserve_sees_release_after_full),
    cmocka_unit_test(test_ring_wraps_early_while_the_consumer_keeps_up),
    cmocka_unit_test(test_ring_fork_stress_million_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
