// Circuit breaker of one worker slot (LANGUAGE.md 6.9): a pure state machine
// closed -> open -> half_open -> closed over the slot's outcomes in FIFO
// order. The slot's worker consults it when it takes an event and feeds it
// each outcome; region.c carries the state between worker generations.
// SPDX-License-Identifier: MIT
#ifndef VP_BREAKER_H
#define VP_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum vp_breaker_state {
  VP_BREAKER_CLOSED,
  VP_BREAKER_OPEN,
  VP_BREAKER_HALF_OPEN,
} vp_breaker_state;

// Settings, from vp_sup_config.
typedef struct vp_breaker_config {
  int64_t failure_threshold;
  int64_t timeout_ns;
  int64_t half_open_requests;
} vp_breaker_config;

// The state of 6.9: f counts failures while closed, ok successful trials
// while half-open. Plain data: it is copied into outcome records.
typedef struct vp_breaker {
  int32_t state;  // a vp_breaker_state
  int32_t unused;
  int64_t failures;
  int64_t ok;
  int64_t opened_at;
} vp_breaker;

// "closed", "open" or "half_open", as --trace spells them.
const char *vp_breaker_state_name(vp_breaker_state st);

// The slot takes an event at now: returns true to process it (closed, or a
// trial once open for timeout, moving to half_open with ok = 0), false to
// reject it (open for less than timeout). A retry (6.7) does not ask.
bool vp_breaker_allow(vp_breaker *b, const vp_breaker_config *cfg, int64_t now);

// An outcome of the slot arrives at now: failure is a crash or timeout (or
// an error with count_errors). Closed counts failures up to the threshold
// and opens; half_open closes after half_open_requests successful trials
// and reopens on a failed one. A failure while open (a retry's) re-arms the
// open timer; a success while open changes nothing.
void vp_breaker_record(vp_breaker *b, const vp_breaker_config *cfg,
                       bool failure, int64_t now);

#endif
