// Unit tests for region.c with a fake region: the work function doubles an
// int64 and emits 0, 1 or 2 records, raises errors for some values and
// crashes on others. Checks each event's fate, ordering per strategy and
// collect mode, broadcast copies, and crash retry and delivery.
// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "partition.h"
#include "region.h"
#include "run.h"
#include "sup.h"

#define MAX_EVENTS 4000
#define NKEYS      16
#define V_ABORT    1000003  // abort() on every attempt
#define V_PANIC    1000004  // vp_raise_crash on every attempt
#define V_ONCE     1000010  // abort() on the first attempt only
#define V_FLOOD    1000011  // emits more records than an outcome holds
#define V_KILL     1000012  // SIGKILL on every attempt
#define V_HANG     1000013  // waits forever on every attempt

typedef struct fate {
  int ok, err;
  const char *kind;
  int64_t attempt, worker;
  char msg[128];
  unsigned slots;  // slots seen in emitted records
} fate;

static int64_t vals[MAX_EVENTS];
static fate fates[MAX_EVENTS];
static int64_t order[MAX_EVENTS * 8];
static int norder;
static int64_t last_seq[NKEYS];
static int fifo_violations, slot_violations, record_errors;
static int nworkers;
static vp_strategy cur_strategy;
static int *once_counter;  // shared with the workers

// Supervision that restarts at once and never escalates, so that the tests
// below see every crash retried as LANGUAGE.md 6.7 says.
static void supervise(vp_region_desc *d) {
  vp_sup_config_default(&d->sup);
  d->sup.backoff = VP_BACKOFF_NONE;
  d->sup.max_restarts = 1000000;
}

static int64_t key_of(int64_t v) {
  return v % NKEYS;
}

static void work(vp_worker *w, const uint8_t *in, size_t len) {
  int64_t v;
  memcpy(&v, in, sizeof v);
  if (v == V_ABORT)
    abort();
  if (v == V_PANIC)
    vp_raise_crash("panic: boom");
  if (v == V_KILL)
    raise(SIGKILL);
  if (v == V_HANG)
    for (;;)
      pause();
  if (v == V_ONCE && __atomic_fetch_add(once_counter, 1, __ATOMIC_SEQ_CST) == 0)
    abort();
  if (v == V_FLOOD) {
    for (int i = 0; i < 70000; i++)
      vp_worker_emit(w, &v, sizeof v);
  }
  if (v % 7 == 5)
    vp_raise("bad value %lld", (long long)v);
  for (int64_t k = 0; k < v % 3; k++) {
    int64_t rec[2] = { 2 * v + k, vp_worker_slot(w) };
    vp_worker_emit(w, rec, sizeof rec);
  }
}

static void on_result(const vp_origin *origin, vp_rd *records,
                      int64_t nrecords) {
  int64_t seq = origin->seq, v = vals[seq];
  fate *f = &fates[seq];
  f->ok++;
  order[norder++] = seq;
  if (strcmp(origin->input, "test") != 0 || origin->line != seq + 1)
    record_errors++;
  if (nrecords != v % 3)
    record_errors++;
  for (int64_t k = 0; k < nrecords; k++) {
    int64_t len = vp_rd_i64(records);
    int64_t val = vp_rd_i64(records), slot = vp_rd_i64(records);
    if (len != 16 || val != 2 * v + k)
      record_errors++;
    f->slots |= 1u << slot;
    if (cur_strategy == VP_STRATEGY_CONSISTENT_HASH &&
        slot != vp_jump_hash(vp_key_hash_int(key_of(v)), nworkers))
      slot_violations++;
  }
  if (records->p != records->end)
    record_errors++;
  if (cur_strategy != VP_STRATEGY_BROADCAST) {
    if (last_seq[key_of(v)] > seq)
      fifo_violations++;
    last_seq[key_of(v)] = seq;
  }
}

static void on_error(const vp_stream_error *err, const uint8_t *in,
                     size_t len) {
  int64_t seq = err->origin.seq;
  fate *f = &fates[seq];
  f->err++;
  f->kind = err->kind;
  f->attempt = err->attempt;
  f->worker = err->worker;
  snprintf(f->msg, sizeof f->msg, "%.*s", (int)err->message.n, err->message.p);
  order[norder++] = seq;
  if (len != sizeof(int64_t) || memcmp(in, &vals[seq], len) != 0)
    record_errors++;
  if (strcmp(err->stream, "S") != 0)
    record_errors++;
  int64_t key = key_of(vals[seq]);
  if (cur_strategy != VP_STRATEGY_BROADCAST) {
    if (last_seq[key] > seq)
      fifo_violations++;
    last_seq[key] = seq;
  }
}

// A region of stream S over this file's work and handlers.
static vp_region_desc region_desc(int workers, vp_strategy strategy,
                                  vp_order collect, int queue_capacity) {
  vp_region_desc d = { 0 };
  supervise(&d);
  d.stream = "S";
  d.max_workers = workers;
  d.strategy = strategy;
  d.order = collect;
  d.queue_capacity = queue_capacity;
  d.work = work;
  d.on_result = on_result;
  d.on_error = on_error;
  cur_strategy = strategy;
  return d;
}

// Adjusts the next region's description (supervision tests); reset by setup.
static void (*tune)(vp_region_desc *d);

static int setup(void **state) {
  alarm(60);
  memset(fates, 0, sizeof fates);
  norder = 0;
  fifo_violations = slot_violations = record_errors = 0;
  for (int i = 0; i < NKEYS; i++)
    last_seq[i] = -1;
  for (int i = 0; i < MAX_EVENTS; i++)
    vals[i] = i;
  *once_counter = 0;
  vp_deterministic = false;
  tune = NULL;
  return 0;
}

static int teardown(void **state) {
  alarm(0);
  return 0;
}

// Runs nev events (values from vals) through a fresh region.
static void run(vp_strategy strategy, vp_order ord, int workers, int qcap,
                int nev, vp_region_stats *st) {
  vp_region_desc desc = region_desc(workers, strategy, ord, qcap);
  if (tune)
    tune(&desc);
  nworkers = workers;

  vp_region *r = vp_region_start(&desc, 0, NULL);
  assert_non_null(r);
  for (int i = 0; i < nev; i++) {
    vp_origin o = { i, "test", i + 1 };
    vp_region_submit(r, &o, vp_key_hash_int(key_of(vals[i])), &vals[i],
                     sizeof vals[i]);
  }
  vp_region_drain(r);
  vp_region_get_stats(r, st);
  vp_region_stop(r);
}

// Every event has exactly one fate, and it is the right one.
static void check_fates(int nev) {
  for (int i = 0; i < nev; i++) {
    int64_t v = vals[i];
    fate *f = &fates[i];
    assert_int_equal(f->ok + f->err, 1);
    if (v < 1000000 && v % 7 == 5) {
      assert_int_equal(f->err, 1);
      assert_string_equal(f->kind, "error");
      char want[64];
      snprintf(want, sizeof want, "bad value %lld", (long long)v);
      assert_string_equal(f->msg, want);
      assert_int_equal(f->attempt, 1);
    } else if (v < 1000000) {
      assert_int_equal(f->ok, 1);
    }
  }
  assert_int_equal(record_errors, 0);
}

static int count_errors(int nev) {
  int n = 0;
  for (int i = 0; i < nev; i++)
    n += vals[i] % 7 == 5;
  return n;
}

static void test_region_round_robin_every_event_one_fate(void **state) {
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_COMPLETION, 3, 4, 3000, &st);
  check_fates(3000);
  assert_int_equal(norder, 3000);
  assert_int_equal(st.submitted, 3000);
  assert_int_equal(st.released, 3000);
  assert_int_equal(st.errors, count_errors(3000));
  assert_int_equal(st.restarts, 0);
  assert_int_equal(st.workers, 3);
  // Round robin from slot 0: event i went to slot i mod 3.
  for (int i = 0; i < 3000; i++)
    if (fates[i].ok && vals[i] % 3)
      assert_int_equal(fates[i].slots, 1u << (i % 3));
}

static void test_region_consistent_hash_keeps_per_key_fifo(void **state) {
  vp_region_stats st;
  run(VP_STRATEGY_CONSISTENT_HASH, VP_ORDER_COMPLETION, 4, 8, 3000, &st);
  check_fates(3000);
  assert_int_equal(fifo_violations, 0);
  assert_int_equal(slot_violations, 0);
  assert_int_equal(st.released, 3000);
}

static void check_input_order(int workers) {
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, workers, 16, 2000, &st);
  check_fates(2000);
  assert_int_equal(norder, 2000);
  for (int i = 0; i < 2000; i++)
    assert_int_equal(order[i], i);
  assert_int_equal(st.released, 2000);
}

static void test_region_input_order_one_worker(void **state) {
  check_input_order(1);
}

static void test_region_input_order_two_workers(void **state) {
  check_input_order(2);
}

static void test_region_input_order_eight_workers(void **state) {
  check_input_order(8);
}

static void test_region_input_order_consistent_hash_with_crash(void **state) {
  vals[500] = V_ABORT;
  vp_region_stats st;
  run(VP_STRATEGY_CONSISTENT_HASH, VP_ORDER_INPUT, 4, 16, 1000, &st);
  check_fates(1000);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(order[i], i);
  assert_string_equal(fates[500].kind, "crash");
  assert_int_equal(fates[500].attempt, 2);
  assert_int_equal(st.restarts, 2);
}

static void test_region_broadcast_copies_to_every_slot(void **state) {
  for (int i = 0; i < 300; i++)
    vals[i] = 21 * i + 1;  // one record each, none fails
  vp_region_stats st;
  run(VP_STRATEGY_BROADCAST, VP_ORDER_INPUT, 3, 8, 300, &st);
  assert_int_equal(st.submitted, 900);
  assert_int_equal(st.released, 900);
  assert_int_equal(norder, 900);
  for (int i = 0; i < 300; i++) {
    assert_int_equal(fates[i].ok, 3);
    assert_int_equal(fates[i].slots, 7);
    for (int c = 0; c < 3; c++)
      assert_int_equal(order[3 * i + c], i);
  }
  assert_int_equal(record_errors, 0);
}

static void test_region_crash_retried_then_delivered_as_crash(void **state) {
  vals[100] = V_ABORT;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_COMPLETION, 2, 8, 400, &st);
  check_fates(400);
  fate *f = &fates[100];
  assert_int_equal(f->err, 1);
  assert_string_equal(f->kind, "crash");
  assert_string_equal(f->msg, "signal SIGABRT");
  assert_int_equal(f->attempt, 2);
  assert_int_equal(f->worker, 0);
  assert_int_equal(st.crashes, 2);
  assert_int_equal(st.restarts, 2);
  assert_int_equal(st.released, 400);
  assert_int_equal(st.errors, count_errors(400) + 1);
}

static void test_region_crash_once_is_retried_and_succeeds(void **state) {
  vals[7] = V_ONCE;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, 2, 8, 50, &st);
  assert_int_equal(fates[7].ok, 1);
  assert_int_equal(fates[7].err, 0);
  assert_int_equal(*once_counter, 2);
  assert_int_equal(st.crashes, 1);
  assert_int_equal(st.restarts, 1);
  for (int i = 0; i < 50; i++)
    assert_int_equal(order[i], i);
}

static void test_region_panic_is_a_crash_with_its_message(void **state) {
  vals[3] = V_PANIC;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, 1, 4, 20, &st);
  check_fates(20);
  assert_string_equal(fates[3].kind, "crash");
  assert_string_equal(fates[3].msg, "panic: boom");
  assert_int_equal(fates[3].attempt, 2);
  assert_int_equal(st.restarts, 2);
}

static void test_region_too_many_outputs_fails_the_event(void **state) {
  vals[2] = V_FLOOD;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_COMPLETION, 1, 4, 10, &st);
  check_fates(10);
  assert_int_equal(fates[2].err, 1);
  assert_string_equal(fates[2].kind, "error");
  assert_string_equal(fates[2].msg,
                      "invalid argument: process: too many outputs");
  assert_int_equal(st.restarts, 0);
}

static void test_region_sigkill_names_the_signal(void **state) {
  vals[0] = V_KILL;
  vals[1] = V_KILL;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_COMPLETION, 1, 4, 10, &st);
  check_fates(10);
  for (int i = 0; i < 2; i++) {
    assert_string_equal(fates[i].kind, "crash");
    assert_string_equal(fates[i].msg, "signal SIGKILL");
    assert_int_equal(fates[i].attempt, 2);
  }
  assert_int_equal(st.restarts, 4);
  assert_int_equal(st.released, 10);
}

// Events near the 1 MiB line limit fill the ring's bytes before its
// queue_capacity; dispatch waits for room. A larger one is an error.
static void test_region_large_events_wait_for_room(void **state) {
  size_t big = (size_t)1 << 20;
  int64_t *buf = calloc(1, 3 * big);
  vp_region_desc desc = region_desc(1, VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT,
                                    1024);
  vp_region *r = vp_region_start(&desc, 0, NULL);
  for (int i = 0; i < 40; i++) {
    vals[i] = 21 * i + 1;
    buf[0] = vals[i];
    vp_origin o = { i, "test", i + 1 };
    vp_region_submit(r, &o, 0, buf, i == 39 ? 3 * big : big);
  }
  vp_region_drain(r);
  vp_region_stop(r);
  for (int i = 0; i < 39; i++)
    assert_int_equal(fates[i].ok, 1);
  assert_int_equal(fates[39].err, 1);
  assert_string_equal(fates[39].msg,
                      "invalid argument: concurrent: event too large "
                      "(3145728 bytes)");
  assert_int_equal(record_errors, 1);  // its len is not 8
  free(buf);
}

// Region A's results enter region B from A's collector.
static vp_region *region_b;
static int b_results;

static void on_result_b(const vp_origin *origin, vp_rd *records,
                        int64_t nrecords) {
  b_results++;
}

static void on_result_a(const vp_origin *origin, vp_rd *records,
                        int64_t nrecords) {
  for (int64_t k = 0; k < nrecords; k++) {
    int64_t len = vp_rd_i64(records);
    int64_t val = vp_rd_i64(records);
    vp_rd_i64(records);
    assert_int_equal(len, 16);
    int64_t one = 1;  // one record in B
    (void)val;
    vp_region_submit(region_b, origin, 0, &one, sizeof one);
  }
}

static void test_region_result_handler_submits_to_another_region(void **state) {
  vp_region_desc a = { 0 }, b = { 0 };
  supervise(&a);
  supervise(&b);
  a.stream = b.stream = "S";
  a.max_workers = 2;
  b.max_workers = 3;
  a.strategy = b.strategy = VP_STRATEGY_ROUND_ROBIN;
  a.order = VP_ORDER_COMPLETION;
  b.order = VP_ORDER_INPUT;
  a.queue_capacity = 2;
  b.queue_capacity = 1;
  a.work = b.work = work;
  a.on_result = on_result_a;
  b.on_result = on_result_b;
  a.on_error = b.on_error = on_error;
  b_results = 0;
  vp_region *ra = vp_region_start(&a, 0, NULL);
  region_b = vp_region_start(&b, 0, NULL);
  int want = 0;
  for (int i = 0; i < 600; i++) {
    vp_origin o = { i, "test", i + 1 };
    vp_region_submit(ra, &o, 0, &vals[i], sizeof vals[i]);
    want += vals[i] % 7 == 5 ? 0 : (int)(vals[i] % 3);
  }
  vp_region_drain(ra);
  vp_region_drain(region_b);
  assert_int_equal(b_results, want);
  vp_region_stop(ra);
  vp_region_stop(region_b);
}

static void test_region_deterministic_releases_before_returning(void **state) {
  vp_deterministic = true;
  vp_region_desc desc =
      region_desc(4, VP_STRATEGY_ROUND_ROBIN, VP_ORDER_COMPLETION, 8);
  vp_region *r = vp_region_start(&desc, 0, NULL);
  for (int i = 0; i < 200; i++) {
    vp_origin o = { i, "test", i + 1 };
    vp_region_submit(r, &o, 0, &vals[i], sizeof vals[i]);
    assert_int_equal(norder, i + 1);
    assert_int_equal(order[i], i);
  }
  vp_region_stop(r);
  check_fates(200);
}

static void recycle_always(vp_region_desc *d) {
  d->recycle_after = 10;
  d->sup.max_restarts = 0;  // a recycle is neither counted nor checked
}

static void test_region_recycle_after_always_restarts_at_once(void **state) {
  tune = recycle_always;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, 2, 8, 200, &st);
  check_fates(200);
  assert_int_equal(st.crashes, 0);
  assert_false(st.escalated);
  assert_true(st.restarts >= 18);
}

static void recycle_on_failure(vp_region_desc *d) {
  d->recycle_after = 10;
  d->sup.restart = VP_RESTART_ON_FAILURE;
}

static void test_region_recycle_after_on_failure_closes_slot(void **state) {
  tune = recycle_on_failure;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, 1, 4, 40, &st);
  for (int i = 0; i < 40; i++) {
    fate *f = &fates[i];
    assert_int_equal(f->ok + f->err, 1);
    if (i >= 10) {
      assert_string_equal(f->kind, "worker_failed");
      assert_string_equal(f->msg, "worker 0 is down");
      assert_int_equal(f->attempt, 0);
    }
  }
  assert_int_equal(st.restarts, 0);
}

static void test_region_escalation_fails_events_then_restarts(void **state) {
  vp_region_desc desc = region_desc(2, VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT,
                                    8);
  desc.sup.max_restarts = 0;
  desc.sup.restart_window_ns = 200000000;  // 200ms
  vals[10] = V_ABORT;
  vp_deterministic = true;  // one event at a time: exact fates

  vp_region *r = vp_region_start(&desc, 0, NULL);
  for (int i = 0; i < 40; i++) {
    if (i == 30)
      usleep(300000);  // past restart_window: the region restarts
    vp_origin o = { i, "test", i + 1 };
    vp_region_submit(r, &o, 0, &vals[i], sizeof vals[i]);
  }
  vp_region_drain(r);
  vp_region_stats st;
  vp_region_get_stats(r, &st);
  vp_region_stop(r);

  // max_restarts 0: the first failure escalates; the event in hand keeps
  // its kind, every event that enters while failed is worker_failed.
  assert_string_equal(fates[10].kind, "crash");
  assert_int_equal(fates[10].attempt, 1);
  for (int i = 11; i < 30; i++) {
    assert_string_equal(fates[i].kind, "worker_failed");
    assert_string_equal(fates[i].msg, "region failed: restart limit "
                                      "exceeded (0 restarts within 200ms)");
  }
  for (int i = 30; i < 40; i++)
    assert_int_equal(fates[i].ok + fates[i].err, 1);
  assert_int_equal(fates[30].ok, 1);
  assert_true(st.escalated);
  assert_int_equal(st.escalations, 1);
}

static void never_restart(vp_region_desc *d) {
  d->sup.restart = VP_RESTART_NEVER;
}

static void test_region_never_closes_slot_on_crash(void **state) {
  tune = never_restart;
  vals[20] = V_PANIC;
  vp_deterministic = true;
  vp_region_stats st;
  run(VP_STRATEGY_CONSISTENT_HASH, VP_ORDER_INPUT, 2, 8, 200, &st);
  int slot = vp_jump_hash(vp_key_hash_int(key_of(20)), 2);
  assert_string_equal(fates[20].kind, "crash");
  assert_string_equal(fates[20].msg, "panic: boom");
  assert_int_equal(fates[20].attempt, 1);
  for (int i = 21; i < 200; i++) {
    int si = vp_jump_hash(vp_key_hash_int(key_of(vals[i])), 2);
    assert_int_equal(fates[i].ok + fates[i].err, 1);
    if (si == slot) {
      assert_string_equal(fates[i].kind, "worker_failed");
    } else if (vals[i] % 7 != 5) {
      assert_int_equal(fates[i].ok, 1);
    }
  }
  assert_int_equal(st.restarts, 0);
  assert_false(st.escalated);
}

static void breaker_on_errors(vp_region_desc *d) {
  d->sup.breaker_enabled = true;
  d->sup.breaker_failure_threshold = 1;
  d->sup.breaker_timeout_ns = 3600000000000LL;  // stays open
  d->sup.breaker_half_open_requests = 1;
  d->sup.breaker_count_errors = true;
}

static void test_region_open_breaker_rejects_as_circuit_open(void **state) {
  tune = breaker_on_errors;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, 1, 8, 30, &st);
  // Event 5 is an error (5 % 7 == 5): the breaker opens after it.
  for (int i = 0; i < 30; i++) {
    fate *f = &fates[i];
    assert_int_equal(f->ok + f->err, 1);
    if (i < 5) {
      assert_int_equal(f->ok, 1);
    } else if (i == 5) {
      assert_string_equal(f->kind, "error");
    } else {
      assert_string_equal(f->kind, "circuit_open");
      assert_string_equal(f->msg, "circuit open");
      assert_int_equal(f->attempt, 0);
      assert_int_equal(f->worker, 0);
    }
  }
  assert_int_equal(st.breaker_trips, 1);
  assert_int_equal(st.rejected, 24);
}

static void health_fast(vp_region_desc *d) {
  d->sup.health_enabled = true;
  d->sup.health_interval_ns = 10000000;  // 10ms
  d->sup.health_timeout_ns = 50000000;   // 50ms
}

static void test_region_hang_is_killed_as_timeout(void **state) {
  tune = health_fast;
  vals[10] = V_HANG;
  vp_region_stats st;
  run(VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT, 2, 8, 40, &st);
  check_fates(40);
  fate *f = &fates[10];
  assert_string_equal(f->kind, "timeout");
  assert_string_equal(f->msg, "processing exceeded 50ms");
  assert_int_equal(f->attempt, 2);
  assert_int_equal(st.crashes, 2);
}

// Events dispatched just before the parent stops polling (as when it blocks
// reading a quiet input) are processed meanwhile: a few at a time, and a
// full batch, the outcomes wait published for the next poll, which comes
// from the run loop's vp_region_poll_rung.
static void test_region_work_proceeds_while_parent_is_away(void **state) {
  vp_region_desc desc = region_desc(1, VP_STRATEGY_ROUND_ROBIN, VP_ORDER_INPUT,
                                    1024);
  vp_region *r = vp_region_start(&desc, 0, NULL);
  int sent = 0;
  for (int round = 0; round < 6; round++) {
    int burst = round % 2 ? 1 + round : 300;
    for (int k = 0; k < burst; k++, sent++) {
      vp_origin o = { sent, "test", sent + 1 };
      vp_region_submit(r, &o, 0, &vals[sent], sizeof vals[sent]);
    }
    // Collect what is already out, then stay away for longer than any
    // wait of an idle worker's first sleeps.
    while (vp_region_poll(r) > 0)
      ;
    usleep(100000);
    int n = 0;
    while (norder < sent && n < 1000) {
      vp_region_poll_rung(r);
      n++;
    }
    assert_int_equal(norder, sent);
  }
  vp_region_stop(r);
  check_fates(sent);
}

int main(void) {
  once_counter = mmap(NULL, sizeof *once_counter, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    T(test_region_round_robin_every_event_one_fate),
    T(test_region_consistent_hash_keeps_per_key_fifo),
    T(test_region_input_order_one_worker),
    T(test_region_input_order_two_workers),
    T(test_region_input_order_eight_workers),
    T(test_region_input_order_consistent_hash_with_crash),
    T(test_region_broadcast_copies_to_every_slot),
    T(test_region_crash_retried_then_delivered_as_crash),
    T(test_region_crash_once_is_retried_and_succeeds),
    T(test_region_panic_is_a_crash_with_its_message),
    T(test_region_too_many_outputs_fails_the_event),
    T(test_region_sigkill_names_the_signal),
    T(test_region_large_events_wait_for_room),
    T(test_region_result_handler_submits_to_another_region),
    T(test_region_deterministic_releases_before_returning),
    T(test_region_recycle_after_always_restarts_at_once),
    T(test_region_recycle_after_on_failure_closes_slot),
    T(test_region_escalation_fails_events_then_restarts),
    T(test_region_never_closes_slot_on_crash),
    T(test_region_open_breaker_rejects_as_circuit_open),
    T(test_region_hang_is_killed_as_timeout),
    T(test_region_work_proceeds_while_parent_is_away),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
