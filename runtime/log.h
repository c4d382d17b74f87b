// Levelled logging to stderr: "[LEVEL] text" lines (LANGUAGE.md 8.9). The
// level comes from --log-level or VP_LOG; the macros test it before
// formatting anything.
// SPDX-License-Identifier: MIT
#ifndef VP_LOG_H
#define VP_LOG_H

#include <stdbool.h>

typedef enum vp_log_level {
  VP_LOG_ERROR,
  VP_LOG_WARN,
  VP_LOG_INFO,
  VP_LOG_DEBUG,
  VP_LOG_TRACE,
} vp_log_level;

extern vp_log_level vp_log_threshold;

// Parses "error", "warn" (or "warning"), "info", "debug", "trace"; returns
// -1 for anything else.
int vp_log_parse_level(const char *s);

// Tells the logger that a progress line (run.c) is on the terminal, so the
// next log line clears it first.
void vp_log_set_progress(bool shown);

void vp_log_write(vp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define vp_log(level, ...)                                                    \
  do {                                                                        \
    if ((level) <= vp_log_threshold)                                          \
      vp_log_write((level), __VA_ARGS__);                                     \
  } while (0)

#endif
