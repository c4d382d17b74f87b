// The settings of a region's supervision (LANGUAGE.md 6.2) and their
// built-in defaults. The compiler merges them from the program and writes
// them into the generated code; the runtime acts on them. Nothing here
// depends on the rest of the runtime, so the compiler includes it too.
// SPDX-License-Identifier: MIT
#ifndef VP_SUPCONFIG_H
#define VP_SUPCONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

// Restart policies, named as in the language; OTP calls them permanent,
// transient and temporary (LANGUAGE.md 6.4).
typedef enum vp_restart {
  VP_RESTART_ALWAYS,
  VP_RESTART_ON_FAILURE,
  VP_RESTART_NEVER,
} vp_restart;

typedef enum vp_backoff_kind {
  VP_BACKOFF_EXPONENTIAL,
  VP_BACKOFF_FIXED,
  VP_BACKOFF_NONE,
} vp_backoff_kind;

// Effective supervision settings of a region after the merge of 6.1.
typedef struct vp_sup_config {
  vp_restart restart;
  int64_t max_restarts;
  int64_t restart_window_ns;
  vp_backoff_kind backoff;
  int64_t backoff_initial_ns;
  int64_t backoff_max_ns;
  double backoff_multiplier;
  double backoff_jitter;
  bool breaker_enabled;
  int64_t breaker_failure_threshold;
  int64_t breaker_timeout_ns;
  int64_t breaker_half_open_requests;
  bool breaker_count_errors;
  bool health_enabled;
  int64_t health_interval_ns;
  int64_t health_timeout_ns;
} vp_sup_config;

// The built-in defaults of LANGUAGE.md 6.2 (before any supervision block).
static inline void vp_sup_config_default(vp_sup_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->restart = VP_RESTART_ALWAYS;
  cfg->max_restarts = 3;
  cfg->restart_window_ns = 60000000000LL;
  cfg->backoff = VP_BACKOFF_EXPONENTIAL;
  cfg->backoff_initial_ns = 1000000000LL;
  cfg->backoff_max_ns = 60000000000LL;
  cfg->backoff_multiplier = 2.0;
  cfg->backoff_jitter = 0.0;
  cfg->breaker_failure_threshold = 5;
  cfg->breaker_timeout_ns = 30000000000LL;
  cfg->breaker_half_open_requests = 3;
  cfg->health_interval_ns = 5000000000LL;
  cfg->health_timeout_ns = 1000000000LL;
}

#endif
