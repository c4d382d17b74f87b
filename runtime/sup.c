// Supervision decisions (see sup.h): restart policies, intensity within a
// period, escalation, backoff and stall detection, as pure functions of the
// state they are given, the worker end and the time. region.c calls them
// from the parent's main thread and does the forking and killing.
// SPDX-License-Identifier: MIT
#include "sup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

uint64_t vp_sup_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void vp_sup_init(vp_sup *s, const vp_sup_config *cfg, uint64_t seed) {
  memset(s, 0, sizeof *s);
  s->cfg = cfg;
  s->rng = seed;
}

void vp_sup_free(vp_sup *s) {
  free(s->hist);
  s->hist = NULL;
  s->nhist = s->hist_cap = 0;
}

// Drops restarts at or before now - window: they left the period.
static void prune(vp_sup *s, int64_t now) {
  int64_t from = now - s->cfg->restart_window_ns;
  size_t k = 0;
  while (k < s->nhist && s->hist[k] <= from)
    k++;
  if (k) {
    memmove(s->hist, s->hist + k, (s->nhist - k) * sizeof *s->hist);
    s->nhist -= k;
  }
}

static void record_restart(vp_sup *s, int64_t now) {
  if (s->nhist == s->hist_cap) {
    size_t cap = s->hist_cap ? s->hist_cap * 2 : 8;
    int64_t *h = realloc(s->hist, cap * sizeof *h);
    if (!h)
      vp_arena_oom();
    s->hist = h;
    s->hist_cap = cap;
  }
  s->hist[s->nhist++] = now;
}

// d_c without jitter: initial, then times multiplier in double, truncated,
// capped at max, for c - 1 steps.
static int64_t base_delay(const vp_sup_config *cfg, int64_t c) {
  switch (cfg->backoff) {
  case VP_BACKOFF_NONE:
    return 0;
  case VP_BACKOFF_FIXED:
    return cfg->backoff_initial_ns;
  case VP_BACKOFF_EXPONENTIAL:
    break;
  }
  int64_t d = cfg->backoff_initial_ns;
  if (d > cfg->backoff_max_ns)
    d = cfg->backoff_max_ns;
  for (int64_t i = 1; i < c; i++) {
    double next = (double)d * cfg->backoff_multiplier;
    // Stop once capped: every later step stays at max.
    if (next >= (double)cfg->backoff_max_ns)
      return cfg->backoff_max_ns;
    int64_t nd = (int64_t)next;
    if (nd == d)
      break;  // multiplier 1.0 or d 0: a fixed point
    d = nd;
  }
  return d;
}

int64_t vp_sup_next_delay(vp_sup *s, int64_t c) {
  const vp_sup_config *cfg = s->cfg;
  int64_t d = base_delay(cfg, c < 1 ? 1 : c);
  double j = cfg->backoff_jitter;
  if (j <= 0.0)
    return d;

  // u in [0, 1) from the top 53 bits of the region's next draw.
  uint64_t x = vp_sup_splitmix64(&s->rng);
  double u = (double)(x >> 11) * 0x1.0p-53;
  double jd = (double)d * (1.0 - j + 2.0 * j * u);
  if (jd >= (double)cfg->backoff_max_ns)
    return cfg->backoff_max_ns;
  return (int64_t)jd;
}

vp_sup_decision vp_sup_on_end(vp_sup *s, vp_sup_slot *slot, vp_sup_end end,
                              bool quarantine, int64_t now) {
  const vp_sup_config *cfg = s->cfg;
  vp_sup_decision d = { .action = VP_SUP_CLOSE };

  // A normal end: permanent restarts at once, uncounted; transient and
  // temporary close (6.4).
  if (end == VP_SUP_END_NORMAL) {
    if (cfg->restart == VP_RESTART_ALWAYS) {
      d.action = VP_SUP_RESTART;
      s->restarts++;
    } else {
      slot->closed = true;
    }
    return d;
  }

  // A failure: a temporary child is never restarted.
  slot->consecutive++;
  if (cfg->restart == VP_RESTART_NEVER) {
    slot->closed = true;
    return d;
  }

  // Check the restart budget: restarts in (now - window, now] (6.5).
  prune(s, now);
  if (!quarantine) {
    if ((int64_t)s->nhist >= cfg->max_restarts) {
      d.action = VP_SUP_ESCALATE;
      d.in_window = (int64_t)s->nhist;
      s->failed = true;
      s->failed_until = now + cfg->restart_window_ns;
      s->escalations++;
      return d;
    }
    record_restart(s, now);
    d.counted = true;
  }
  d.in_window = (int64_t)s->nhist;

  // Schedule the restart after the backoff delay (6.6).
  d.action = VP_SUP_RESTART;
  d.backoff = true;
  d.delay_ns = vp_sup_next_delay(s, slot->consecutive);
  s->restarts++;
  return d;
}

void vp_sup_on_success(vp_sup_slot *slot) {
  slot->consecutive = 0;
}

bool vp_sup_restart_due(const vp_sup *s, int64_t now) {
  return s->failed && now >= s->failed_until;
}

void vp_sup_region_restart(vp_sup *s, vp_sup_slot *slots, size_t n) {
  s->failed = false;
  s->nhist = 0;
  for (size_t i = 0; i < n; i++)
    slots[i].consecutive = 0;
}

int64_t vp_sup_stall_ns(int64_t now, bool work_waits, bool out_blocked,
                        int64_t last_progress, int64_t wait_since) {
  if (!work_waits || out_blocked)
    return 0;
  int64_t from = last_progress > wait_since ? last_progress : wait_since;
  return now > from ? now - from : 0;
}

bool vp_sup_stalled(int64_t stall_ns, int64_t timeout_ns) {
  return stall_ns > timeout_ns;
}

void vp_sup_format_duration(int64_t d, char *buf, size_t size) {
  static const struct {
    const char *unit;
    int64_t ns;
  } units[] = {
    { "d", 86400000000000LL }, { "h", 3600000000000LL }, { "m", 60000000000LL },
    { "s", 1000000000LL },     { "ms", 1000000LL },      { "us", 1000LL },
  };

  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (d != 0 && d % units[i].ns == 0) {
      snprintf(buf, size, "%lld%s", (long long)(d / units[i].ns),
               units[i].unit);
      return;
    }
  }
  snprintf(buf, size, "%lldns", (long long)d);
}
