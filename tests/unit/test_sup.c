// Unit tests for sup.c with a fake clock: restart policies (6.4), intensity
// and period with escalation (6.5), backoff and jitter (6.6), the uncounted
// restart after a quarantine (6.7) and stall detection (6.8).
// SPDX-License-Identifier: MIT
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sup.h"

#define MS 1000000LL
#define S  1000000000LL

static vp_sup_config cfg;
static vp_sup sup;
static vp_sup_slot slot;

static int setup(void **state) {
  (void)state;
  vp_sup_config_default(&cfg);
  vp_sup_init(&sup, &cfg, 0);
  memset(&slot, 0, sizeof slot);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  vp_sup_free(&sup);
  return 0;
}

static vp_sup_decision crash(int64_t now) {
  return vp_sup_on_end(&sup, &slot, VP_SUP_END_CRASH, false, now);
}

static void test_sup_defaults_match_the_spec(void **state) {
  (void)state;
  assert_int_equal(cfg.restart, VP_RESTART_ALWAYS);
  assert_int_equal(cfg.max_restarts, 3);
  assert_int_equal(cfg.restart_window_ns, 60 * S);
  assert_int_equal(cfg.backoff, VP_BACKOFF_EXPONENTIAL);
  assert_int_equal(cfg.backoff_initial_ns, 1 * S);
  assert_int_equal(cfg.backoff_max_ns, 60 * S);
  assert_true(cfg.backoff_multiplier == 2.0);
  assert_int_equal(cfg.breaker_failure_threshold, 5);
  assert_int_equal(cfg.breaker_half_open_requests, 3);
  assert_int_equal(cfg.health_timeout_ns, 1 * S);
}

static void test_sup_always_restarts_failure_with_backoff(void **state) {
  (void)state;
  vp_sup_decision d = crash(0);
  assert_int_equal(d.action, VP_SUP_RESTART);
  assert_true(d.backoff);
  assert_true(d.counted);
  assert_int_equal(d.delay_ns, 1 * S);
  assert_int_equal(d.in_window, 1);
  assert_int_equal(slot.consecutive, 1);
  assert_int_equal(sup.restarts, 1);
}

static void test_sup_always_restarts_normal_end_at_once(void **state) {
  (void)state;
  for (int i = 0; i < 10; i++) {
    vp_sup_decision d = vp_sup_on_end(&sup, &slot, VP_SUP_END_NORMAL, false, i);
    assert_int_equal(d.action, VP_SUP_RESTART);
    assert_false(d.backoff);
    assert_false(d.counted);
    assert_int_equal(d.delay_ns, 0);
  }
  assert_int_equal(slot.consecutive, 0);
  // A recycle is not counted: three failures still fit the budget.
  for (int i = 0; i < 3; i++)
    assert_int_equal(crash(100 + i).action, VP_SUP_RESTART);
}

static void test_sup_on_failure_restarts_failure_closes_normal_end(
    void **state) {
  (void)state;
  cfg.restart = VP_RESTART_ON_FAILURE;
  assert_int_equal(crash(0).action, VP_SUP_RESTART);
  vp_sup_decision d = vp_sup_on_end(&sup, &slot, VP_SUP_END_NORMAL, false, 1);
  assert_int_equal(d.action, VP_SUP_CLOSE);
  assert_true(slot.closed);
}

static void test_sup_never_closes_on_failure_and_normal_end(void **state) {
  (void)state;
  cfg.restart = VP_RESTART_NEVER;
  vp_sup_decision d = crash(0);
  assert_int_equal(d.action, VP_SUP_CLOSE);
  assert_true(slot.closed);
  assert_false(sup.failed);

  vp_sup_slot other = { 0 };
  d = vp_sup_on_end(&sup, &other, VP_SUP_END_NORMAL, false, 0);
  assert_int_equal(d.action, VP_SUP_CLOSE);
  assert_true(other.closed);
  d = vp_sup_on_end(&sup, &other, VP_SUP_END_TIMEOUT, false, 0);
  assert_int_equal(d.action, VP_SUP_CLOSE);
  assert_int_equal(sup.escalations, 0);
}

static void test_sup_gives_up_after_intensity(void **state) {
  (void)state;
  for (int i = 0; i < 3; i++) {
    vp_sup_decision d = crash(i * S);
    assert_int_equal(d.action, VP_SUP_RESTART);
    assert_int_equal(d.in_window, i + 1);
  }
  vp_sup_decision d = crash(3 * S);
  assert_int_equal(d.action, VP_SUP_ESCALATE);
  assert_int_equal(d.in_window, 3);
  assert_true(sup.failed);
  assert_int_equal(sup.failed_until, 3 * S + 60 * S);
  assert_int_equal(sup.escalations, 1);
  assert_int_equal(sup.restarts, 3);
}

static void test_sup_max_restarts_zero_escalates_first_failure(void **state) {
  (void)state;
  cfg.max_restarts = 0;
  vp_sup_decision d = crash(5);
  assert_int_equal(d.action, VP_SUP_ESCALATE);
  assert_int_equal(d.in_window, 0);
  assert_true(sup.failed);
  assert_int_equal(sup.restarts, 0);
}

static void test_sup_max_restarts_zero_recycle_still_restarts(void **state) {
  (void)state;
  cfg.max_restarts = 0;
  vp_sup_decision d = vp_sup_on_end(&sup, &slot, VP_SUP_END_NORMAL, false, 0);
  assert_int_equal(d.action, VP_SUP_RESTART);
  assert_false(sup.failed);
}

static void test_sup_window_is_open_at_its_start(void **state) {
  (void)state;
  // Restarts at 0, 1 and 2 s; the window is (t - 60s, t].
  cfg.max_restarts = 3;
  for (int i = 0; i < 3; i++)
    assert_int_equal(crash(i * S).action, VP_SUP_RESTART);
  // At exactly 60 s, the restart at 0 has left the window: 2 remain.
  vp_sup_decision d = crash(60 * S);
  assert_int_equal(d.action, VP_SUP_RESTART);
  assert_int_equal(d.in_window, 3);
  // One ns before 61 s, the restart at 1 s still counts: 3 in the window.
  d = crash(61 * S - 1);
  assert_int_equal(d.action, VP_SUP_ESCALATE);
}

static void test_sup_failure_exactly_at_end_of_window(void **state) {
  (void)state;
  cfg.max_restarts = 1;
  assert_int_equal(crash(7 * S).action, VP_SUP_RESTART);
  assert_int_equal(crash(7 * S + 60 * S - 1).action, VP_SUP_ESCALATE);

  vp_sup_region_restart(&sup, &slot, 1);
  assert_int_equal(crash(100 * S).action, VP_SUP_RESTART);
  vp_sup_decision d = crash(160 * S);  // exactly restart_window later
  assert_int_equal(d.action, VP_SUP_RESTART);
  assert_int_equal(d.in_window, 1);
}

static void test_sup_quarantine_restart_is_not_counted(void **state) {
  (void)state;
  cfg.max_restarts = 1;
  // Attempt 1 fails: counted. Attempt 2 fails: the poison restart.
  assert_int_equal(crash(0).action, VP_SUP_RESTART);
  vp_sup_decision d = vp_sup_on_end(&sup, &slot, VP_SUP_END_CRASH, true, 1);
  assert_int_equal(d.action, VP_SUP_RESTART);
  assert_false(d.counted);
  assert_int_equal(d.in_window, 1);
  // It still counts as a consecutive failure for the backoff.
  assert_int_equal(slot.consecutive, 2);
  assert_int_equal(d.delay_ns, 2 * S);
  // The next counted one escalates.
  assert_int_equal(crash(2).action, VP_SUP_ESCALATE);
}

static void test_sup_quarantine_not_checked_even_when_over_budget(
    void **state) {
  (void)state;
  cfg.max_restarts = 0;
  vp_sup_decision d = vp_sup_on_end(&sup, &slot, VP_SUP_END_TIMEOUT, true, 0);
  assert_int_equal(d.action, VP_SUP_RESTART);
  assert_false(sup.failed);
}

static void test_sup_intensity_is_per_region(void **state) {
  (void)state;
  vp_sup_slot a = { 0 }, b = { 0 }, c = { 0 };
  assert_int_equal(vp_sup_on_end(&sup, &a, VP_SUP_END_CRASH, false, 0).action,
                   VP_SUP_RESTART);
  assert_int_equal(vp_sup_on_end(&sup, &b, VP_SUP_END_CRASH, false, 1).action,
                   VP_SUP_RESTART);
  assert_int_equal(vp_sup_on_end(&sup, &c, VP_SUP_END_CRASH, false, 2).action,
                   VP_SUP_RESTART);
  assert_int_equal(vp_sup_on_end(&sup, &a, VP_SUP_END_TIMEOUT, false, 3).action,
                   VP_SUP_ESCALATE);
  // Each slot has its own c.
  assert_int_equal(a.consecutive, 2);
  assert_int_equal(b.consecutive, 1);
}

static void test_sup_region_restart_clears_history_and_c(void **state) {
  (void)state;
  cfg.max_restarts = 1;
  vp_sup_slot slots[3] = { { 4, false }, { 2, true }, { 0, false } };
  crash(0);
  assert_int_equal(crash(1).action, VP_SUP_ESCALATE);
  assert_false(vp_sup_restart_due(&sup, 60 * S));
  assert_true(vp_sup_restart_due(&sup, 60 * S + 1));
  vp_sup_region_restart(&sup, slots, 3);
  assert_false(sup.failed);
  assert_int_equal(sup.nhist, 0);
  assert_int_equal(slots[0].consecutive, 0);
  assert_int_equal(slots[1].consecutive, 0);
  assert_true(slots[1].closed);
  assert_int_equal(crash(61 * S + 2).action, VP_SUP_RESTART);
}

static void test_sup_delay_exponential_doubles_then_caps_at_max(void **state) {
  (void)state;
  int64_t want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
  for (int c = 1; c <= 9; c++)
    assert_int_equal(vp_sup_next_delay(&sup, c), want[c - 1] * S);
  assert_int_equal(vp_sup_next_delay(&sup, 1000000), 60 * S);
}

static void test_sup_delay_exponential_truncates_each_step(void **state) {
  (void)state;
  cfg.backoff_initial_ns = 3;
  cfg.backoff_multiplier = 1.5;
  cfg.backoff_max_ns = 1000;
  // 3, trunc(4.5) = 4, 6, 9, trunc(13.5) = 13, trunc(19.5) = 19
  int64_t want[] = { 3, 4, 6, 9, 13, 19 };
  for (int c = 1; c <= 6; c++)
    assert_int_equal(vp_sup_next_delay(&sup, c), want[c - 1]);
}

static void test_sup_delay_fixed_and_none(void **state) {
  (void)state;
  cfg.backoff = VP_BACKOFF_FIXED;
  cfg.backoff_initial_ns = 250 * MS;
  for (int c = 1; c <= 5; c++)
    assert_int_equal(vp_sup_next_delay(&sup, c), 250 * MS);
  cfg.backoff = VP_BACKOFF_NONE;
  for (int c = 1; c <= 5; c++)
    assert_int_equal(vp_sup_next_delay(&sup, c), 0);
  assert_int_equal(crash(0).delay_ns, 0);
}

static void test_sup_delay_multiplier_one_stays_at_initial(void **state) {
  (void)state;
  cfg.backoff_multiplier = 1.0;
  cfg.backoff_initial_ns = 5 * MS;
  assert_int_equal(vp_sup_next_delay(&sup, 50), 5 * MS);
  cfg.backoff_initial_ns = 0;
  assert_int_equal(vp_sup_next_delay(&sup, 50), 0);
}

static void test_sup_backoff_resets_after_success(void **state) {
  (void)state;
  assert_int_equal(crash(0).delay_ns, 1 * S);
  assert_int_equal(crash(1).delay_ns, 2 * S);
  vp_sup_on_success(&slot);
  assert_int_equal(slot.consecutive, 0);
  assert_int_equal(crash(2).delay_ns, 1 * S);
}

static void test_sup_splitmix64_matches_reference(void **state) {
  (void)state;
  // Reference outputs of SplitMix64 from state 0 and from state 1234567.
  uint64_t st = 0;
  assert_true(vp_sup_splitmix64(&st) == 0xE220A8397B1DCDAFULL);
  assert_true(vp_sup_splitmix64(&st) == 0x6E789E6AA1B965F4ULL);
  st = 1234567;
  assert_true(vp_sup_splitmix64(&st) == 6457827717110365317ULL);
  assert_true(vp_sup_splitmix64(&st) == 3203168211198807973ULL);
}

static void test_sup_jitter_follows_the_seeded_generator(void **state) {
  (void)state;
  cfg.backoff_jitter = 0.5;
  vp_sup_free(&sup);
  vp_sup_init(&sup, &cfg, 42);
  uint64_t st = 42;
  for (int c = 1; c <= 8; c++) {
    uint64_t x = vp_sup_splitmix64(&st);
    double u = (double)(x >> 11) * 0x1.0p-53;
    int64_t base = c <= 6 ? (INT64_C(1) << (c - 1)) * S : 60 * S;
    double jd = (double)base * (1.0 - 0.5 + 2.0 * 0.5 * u);
    int64_t want = jd >= 60.0 * S ? 60 * S : (int64_t)jd;
    assert_int_equal(vp_sup_next_delay(&sup, c), want);
  }
  // One draw per delay: a second supervisor with the same seed agrees.
  vp_sup other;
  vp_sup_init(&other, &cfg, 42);
  vp_sup_free(&sup);
  vp_sup_init(&sup, &cfg, 42);
  for (int c = 1; c <= 8; c++)
    assert_int_equal(vp_sup_next_delay(&sup, c), vp_sup_next_delay(&other, c));
  vp_sup_free(&other);
}

static void test_sup_jitter_stays_within_bounds(void **state) {
  (void)state;
  cfg.backoff_jitter = 0.999;
  cfg.backoff_initial_ns = 1 * S;
  cfg.backoff_max_ns = 3 * S / 2;
  vp_sup_free(&sup);
  vp_sup_init(&sup, &cfg, 7);
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 100000; i++) {
    int64_t d = vp_sup_next_delay(&sup, 1);
    // [d(1 - j), min(max, d(1 + j))): never over max, never negative.
    assert_true(d >= (int64_t)(1e9 * (1.0 - 0.999)) - 1);
    assert_true(d <= cfg.backoff_max_ns);
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  assert_true(lo < 10 * MS);
  assert_int_equal(hi, cfg.backoff_max_ns);  // capped, not over
}

static void test_sup_jitter_zero_draws_nothing(void **state) {
  (void)state;
  uint64_t before = sup.rng;
  vp_sup_next_delay(&sup, 3);
  assert_true(sup.rng == before);
}

static void test_sup_stall_counts_from_later_of_progress_and_wait(
    void **state) {
  (void)state;
  assert_int_equal(vp_sup_stall_ns(10 * S, true, false, 2 * S, 5 * S), 5 * S);
  assert_int_equal(vp_sup_stall_ns(10 * S, true, false, 7 * S, 5 * S), 3 * S);
  // No work waiting, or waiting for output room: no stall.
  assert_int_equal(vp_sup_stall_ns(10 * S, false, false, 0, 0), 0);
  assert_int_equal(vp_sup_stall_ns(10 * S, true, true, 0, 0), 0);
  // Strictly more than timeout.
  assert_false(vp_sup_stalled(1 * S, 1 * S));
  assert_true(vp_sup_stalled(1 * S + 1, 1 * S));
}

static void test_sup_format_duration_uses_largest_whole_unit(void **state) {
  (void)state;
  char buf[32];
  vp_sup_format_duration(1 * S, buf, sizeof buf);
  assert_string_equal(buf, "1s");
  vp_sup_format_duration(100 * MS, buf, sizeof buf);
  assert_string_equal(buf, "100ms");
  vp_sup_format_duration(60 * S, buf, sizeof buf);
  assert_string_equal(buf, "1m");
  vp_sup_format_duration(1500 * MS, buf, sizeof buf);
  assert_string_equal(buf, "1500ms");
  vp_sup_format_duration(7, buf, sizeof buf);
  assert_string_equal(buf, "7ns");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_sup_defaults_match_the_spec),
    T(test_sup_always_restarts_failure_with_backoff),
    T(test_sup_always_restarts_normal_end_at_once),
    T(test_sup_on_failure_restarts_failure_closes_normal_end),
    T(test_sup_never_closes_on_failure_and_normal_end),
    T(test_sup_gives_up_after_intensity),
    T(test_sup_max_restarts_zero_escalates_first_failure),
    T(test_sup_max_restarts_zero_recycle_still_restarts),
    T(test_sup_window_is_open_at_its_start),
    T(test_sup_failure_exactly_at_end_of_window),
    T(test_sup_quarantine_restart_is_not_counted),
    T(test_sup_quarantine_not_checked_even_when_over_budget),
    T(test_sup_intensity_is_per_region),
    T(test_sup_region_restart_clears_history_and_c),
    T(test_sup_delay_exponential_doubles_then_caps_at_max),
    T(test_sup_delay_exponential_truncates_each_step),
    T(test_sup_delay_fixed_and_none),
    T(test_sup_delay_multiplier_one_stays_at_initial),
    T(test_sup_backoff_resets_after_success),
    T(test_sup_splitmix64_matches_reference),
    T(test_sup_jitter_follows_the_seeded_generator),
    T(test_sup_jitter_stays_within_bounds),
    T(test_sup_jitter_zero_draws_nothing),
    T(test_sup_stall_counts_from_later_of_progress_and_wait),
    T(test_sup_format_duration_uses_largest_whole_unit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
