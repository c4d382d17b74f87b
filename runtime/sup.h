// Supervision decisions for concurrent regions (LANGUAGE.md 6.4-6.8): restart
// policy, restart intensity and escalation, backoff with jitter, and health
// checks. Pure functions of state, event and time: region.c feeds them worker
// ends and clock readings and carries out what they decide.
// SPDX-License-Identifier: MIT
#ifndef VP_SUP_H
#define VP_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h"

// Next output of a SplitMix64 generator (6.6); advances *state.
uint64_t vp_sup_splitmix64(uint64_t *state);

// Per-slot supervision state. consecutive is c of 6.6.
typedef struct vp_sup_slot {
  int64_t consecutive;
  bool closed;
} vp_sup_slot;

// Per-region state: restart history for intensity and period (OTP's
// intensity/period, 6.5), the region's jitter generator, and the failed
// mark of an escalation.
typedef struct vp_sup {
  const vp_sup_config *cfg;
  uint64_t rng;
  int64_t *hist;  // times of counted restarts, oldest first
  size_t nhist, hist_cap;
  bool failed;
  int64_t failed_until;  // the region restarts at this time
  int64_t restarts;      // every restart performed, for the stats
  int64_t escalations;
} vp_sup;

// Starts a region's supervisor with settings cfg (kept, not copied) and
// the jitter generator seeded with seed (--seed).
void vp_sup_init(vp_sup *s, const vp_sup_config *cfg, uint64_t seed);

// Frees the restart history.
void vp_sup_free(vp_sup *s);

// How a worker ended (6.3): normally (recycle_after) or by a failure.
typedef enum vp_sup_end {
  VP_SUP_END_NORMAL,
  VP_SUP_END_CRASH,
  VP_SUP_END_TIMEOUT,
} vp_sup_end;

typedef enum vp_sup_action {
  VP_SUP_RESTART,   // restart the slot after delay_ns
  VP_SUP_CLOSE,     // the slot never runs again
  VP_SUP_ESCALATE,  // the region is failed until vp_sup.failed_until
} vp_sup_action;

typedef struct vp_sup_decision {
  vp_sup_action action;
  int64_t delay_ns;  // RESTART: the backoff delay d_c of 6.6 (0 if none)
  bool backoff;      // RESTART: a delay was computed (a failure, not a recycle)
  bool counted;      // RESTART: the restart counts towards intensity
  int64_t in_window;  // restarts counted in (now - window, now], this included
} vp_sup_decision;

// Decides what follows the end of a slot's worker at time now (6.4-6.7).
// quarantine is true when the failure gave up on an event at attempt 2:
// that restart is neither counted nor checked (6.5). A failure increments
// the slot's c; a failure under "never" (temporary) closes the slot, as a
// normal end under "on_failure" (transient) or "never" does; "always"
// (permanent) restarts a normal end at once, uncounted. A counted restart
// is recorded at now; one that would make more than max_restarts in the
// window escalates instead, marking the region failed for restart_window.
vp_sup_decision vp_sup_on_end(vp_sup *s, vp_sup_slot *slot, vp_sup_end end,
                              bool quarantine, int64_t now);

// An event of the slot completed with an outcome other than crash or
// timeout: c returns to 0 (6.6).
void vp_sup_on_success(vp_sup_slot *slot);

// The backoff delay d_c before the restart that follows failure number c
// (c >= 1), in ns, jitter applied: one generator draw when jitter > 0.
int64_t vp_sup_next_delay(vp_sup *s, int64_t c);

// True when a failed region's restart_window has passed at now.
bool vp_sup_restart_due(const vp_sup *s, int64_t now);

// Restarts a failed region: empty history, c = 0 on every slot of slots
// (n of them); closed slots stay closed (6.5).
void vp_sup_region_restart(vp_sup *s, vp_sup_slot *slots, size_t n);

// How long a slot has stalled at now (6.8): 0 when no work waits for it or
// its worker waits for room in its output ring, else the time since the
// later of its last take or finish and the moment work started waiting.
int64_t vp_sup_stall_ns(int64_t now, bool work_waits, bool out_blocked,
                        int64_t last_progress, int64_t wait_since);

// True when a health check at now finds that stall too long: more than
// timeout_ns (6.8).
bool vp_sup_stalled(int64_t stall_ns, int64_t timeout_ns);

// Writes d as LANGUAGE.md spells durations, in the largest unit that
// divides it ("1s", "100ms", "1m", "250us", "7ns"), into buf.
void vp_sup_format_duration(int64_t d, char *buf, size_t size);

#endif
