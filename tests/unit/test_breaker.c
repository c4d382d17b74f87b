// Unit tests for breaker.c with a fake clock: every row of the table of
// LANGUAGE.md 6.9, the timeout boundary, half-open trials that interleave
// with rejections, and a failed trial that reopens.
// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "breaker.h"

#define MS 1000000LL

static const vp_breaker_config cfg = { .failure_threshold = 3,
                                       .timeout_ns = 100 * MS,
                                       .half_open_requests = 2 };
static vp_breaker b;

static int setup(void **state) {
  (void)state;
  memset(&b, 0, sizeof b);
  return 0;
}

// Feeds threshold failures at now, leaving the breaker open.
static void trip_at(int64_t now) {
  for (int i = 0; i < cfg.failure_threshold; i++) {
    assert_true(vp_breaker_allow(&b, &cfg, now));
    vp_breaker_record(&b, &cfg, true, now);
  }
  assert_int_equal(b.state, VP_BREAKER_OPEN);
}

static void test_breaker_starts_closed_and_allows(void **state) {
  (void)state;
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
  for (int i = 0; i < 100; i++)
    assert_true(vp_breaker_allow(&b, &cfg, i));
  assert_string_equal(vp_breaker_state_name(VP_BREAKER_CLOSED), "closed");
  assert_string_equal(vp_breaker_state_name(VP_BREAKER_OPEN), "open");
  assert_string_equal(vp_breaker_state_name(VP_BREAKER_HALF_OPEN), "half_open");
}

static void test_breaker_opens_at_threshold(void **state) {
  (void)state;
  vp_breaker_record(&b, &cfg, true, 1);
  vp_breaker_record(&b, &cfg, true, 2);
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
  assert_int_equal(b.failures, 2);
  vp_breaker_record(&b, &cfg, true, 3);
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  assert_int_equal(b.opened_at, 3);
}

static void test_breaker_success_resets_failures_when_closed(void **state) {
  (void)state;
  vp_breaker_record(&b, &cfg, true, 1);
  vp_breaker_record(&b, &cfg, true, 2);
  vp_breaker_record(&b, &cfg, false, 3);
  assert_int_equal(b.failures, 0);
  vp_breaker_record(&b, &cfg, true, 4);
  vp_breaker_record(&b, &cfg, true, 5);
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
}

static void test_breaker_rejects_until_timeout(void **state) {
  (void)state;
  trip_at(1000);
  assert_false(vp_breaker_allow(&b, &cfg, 1000));
  assert_false(vp_breaker_allow(&b, &cfg, 1000 + 100 * MS - 1));
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  // now - opened_at >= timeout: a trial.
  assert_true(vp_breaker_allow(&b, &cfg, 1000 + 100 * MS));
  assert_int_equal(b.state, VP_BREAKER_HALF_OPEN);
  assert_int_equal(b.ok, 0);
}

static void test_breaker_closes_after_half_open_requests(void **state) {
  (void)state;
  trip_at(0);
  assert_true(vp_breaker_allow(&b, &cfg, 100 * MS));
  vp_breaker_record(&b, &cfg, false, 100 * MS);
  assert_int_equal(b.state, VP_BREAKER_HALF_OPEN);
  assert_int_equal(b.ok, 1);
  // Half-open: every take is a trial, whatever the time.
  assert_true(vp_breaker_allow(&b, &cfg, 100 * MS));
  vp_breaker_record(&b, &cfg, false, 100 * MS);
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
  assert_int_equal(b.failures, 0);
  // Closed again: it takes the full threshold to open.
  vp_breaker_record(&b, &cfg, true, 1);
  vp_breaker_record(&b, &cfg, true, 2);
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
}

static void test_breaker_failed_trial_reopens(void **state) {
  (void)state;
  trip_at(0);
  assert_true(vp_breaker_allow(&b, &cfg, 150 * MS));
  vp_breaker_record(&b, &cfg, false, 150 * MS);
  assert_true(vp_breaker_allow(&b, &cfg, 160 * MS));
  vp_breaker_record(&b, &cfg, true, 170 * MS);
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  assert_int_equal(b.opened_at, 170 * MS);
  // The timeout runs from the reopening, not the first opening.
  assert_false(vp_breaker_allow(&b, &cfg, 250 * MS));
  assert_true(vp_breaker_allow(&b, &cfg, 270 * MS));
  assert_int_equal(b.state, VP_BREAKER_HALF_OPEN);
  assert_int_equal(b.ok, 0);  // the earlier trial's success is forgotten
}

static void test_breaker_trials_interleave_with_rejections(void **state) {
  (void)state;
  int64_t now = 0;
  trip_at(now);
  int rejected = 0, trials = 0;
  // Open: rejections; half-open trial fails; open again: rejections; then
  // two good trials close it.
  for (now = 0; now < 100 * MS; now += 10 * MS)
    rejected += !vp_breaker_allow(&b, &cfg, now);
  assert_int_equal(rejected, 10);
  assert_true(vp_breaker_allow(&b, &cfg, now));
  trials++;
  vp_breaker_record(&b, &cfg, true, now);
  int64_t reopened = now;
  for (; now < reopened + 100 * MS; now += 25 * MS)
    rejected += !vp_breaker_allow(&b, &cfg, now);
  assert_int_equal(rejected, 14);
  assert_true(vp_breaker_allow(&b, &cfg, now));
  vp_breaker_record(&b, &cfg, false, now);
  assert_true(vp_breaker_allow(&b, &cfg, now + 1));
  vp_breaker_record(&b, &cfg, false, now + 1);
  trials += 2;
  assert_int_equal(trials, 3);
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
}

static void test_breaker_rejections_do_not_count(void **state) {
  (void)state;
  trip_at(0);
  for (int i = 0; i < 1000; i++)
    assert_false(vp_breaker_allow(&b, &cfg, 1));
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  assert_int_equal(b.opened_at, 0);
}

static void test_breaker_retry_outcome_while_open(void **state) {
  (void)state;
  // A retry is processed while open (it does not ask); its failure re-arms
  // the timer, its success changes nothing.
  trip_at(0);
  vp_breaker_record(&b, &cfg, false, 50 * MS);
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  assert_int_equal(b.opened_at, 0);
  vp_breaker_record(&b, &cfg, true, 60 * MS);
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  assert_int_equal(b.opened_at, 60 * MS);
  assert_false(vp_breaker_allow(&b, &cfg, 120 * MS));
  assert_true(vp_breaker_allow(&b, &cfg, 160 * MS));
}

static void test_breaker_threshold_one_and_single_trial(void **state) {
  (void)state;
  const vp_breaker_config one = { 1, 10, 1 };
  vp_breaker_record(&b, &one, true, 0);
  assert_int_equal(b.state, VP_BREAKER_OPEN);
  assert_false(vp_breaker_allow(&b, &one, 9));
  assert_true(vp_breaker_allow(&b, &one, 10));
  vp_breaker_record(&b, &one, false, 11);
  assert_int_equal(b.state, VP_BREAKER_CLOSED);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_breaker_starts_closed_and_allows),
    T(test_breaker_opens_at_threshold),
    T(test_breaker_success_resets_failures_when_closed),
    T(test_breaker_rejects_until_timeout),
    T(test_breaker_closes_after_half_open_requests),
    T(test_breaker_failed_trial_reopens),
    T(test_breaker_trials_interleave_with_rejections),
    T(test_breaker_rejections_do_not_count),
    T(test_breaker_retry_outcome_while_open),
    T(test_breaker_threshold_one_and_single_trial),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
