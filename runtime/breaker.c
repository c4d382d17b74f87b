// Circuit breaker state machine (see breaker.h): no clock, no I/O, no
// allocation; the worker and region.c pass the time in.
// SPDX-License-Identifier: MIT
#include "breaker.h"

const char *vp_breaker_state_name(vp_breaker_state st) {
  switch (st) {
  case VP_BREAKER_CLOSED:
    return "closed";
  case VP_BREAKER_OPEN:
    return "open";
  case VP_BREAKER_HALF_OPEN:
    return "half_open";
  }
  return "closed";
}

static void trip(vp_breaker *b, int64_t now) {
  b->state = VP_BREAKER_OPEN;
  b->opened_at = now;
  b->ok = 0;
}

bool vp_breaker_allow(vp_breaker *b, const vp_breaker_config *cfg,
                      int64_t now) {
  if (b->state != VP_BREAKER_OPEN)
    return true;
  if (now - b->opened_at < cfg->timeout_ns)
    return false;
  b->state = VP_BREAKER_HALF_OPEN;
  b->ok = 0;
  return true;
}

void vp_breaker_record(vp_breaker *b, const vp_breaker_config *cfg,
                       bool failure, int64_t now) {
  switch ((vp_breaker_state)b->state) {
  case VP_BREAKER_CLOSED:
    if (!failure) {
      b->failures = 0;
    } else if (++b->failures >= cfg->failure_threshold) {
      trip(b, now);
    }
    break;
  case VP_BREAKER_HALF_OPEN:
    if (failure) {
      trip(b, now);
    } else if (++b->ok >= cfg->half_open_requests) {
      b->state = VP_BREAKER_CLOSED;
      b->failures = 0;
      b->ok = 0;
    }
    break;
  case VP_BREAKER_OPEN:
    if (failure)
      b->opened_at = now;
    break;
  }
}
