// Levelled logging to stderr (see log.h). Each line goes out in one write(2)
// so lines from the parent and its workers do not interleave mid-line; a
// progress line that the run loop keeps on a terminal is cleared first.
// SPDX-License-Identifier: MIT
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

vp_log_level vp_log_threshold = VP_LOG_WARN;

static bool progress_shown;

static const char *const level_names[] = {
  "ERROR", "WARN", "INFO", "DEBUG", "TRACE",
};

int vp_log_parse_level(const char *s) {
  static const char *const names[] = {
    "error", "warn", "info", "debug", "trace",
  };
  if (!s)
    return -1;
  for (int i = 0; i < 5; i++) {
    if (strcmp(s, names[i]) == 0)
      return i;
  }
  if (strcmp(s, "warning") == 0)
    return VP_LOG_WARN;
  return -1;
}

void vp_log_set_progress(bool shown) {
  progress_shown = shown;
}

static void write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(2, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

void vp_log_write(vp_log_level level, const char *fmt, ...) {
  char buf[4096];
  size_t n = 0;
  int saved = errno;

  if (progress_shown) {
    memcpy(buf, "\r\033[K", 4);
    n = 4;
    progress_shown = false;
  }
  if ((unsigned)level > VP_LOG_TRACE)
    level = VP_LOG_ERROR;
  n += (size_t)snprintf(buf + n, sizeof buf - n, "[%s] ", level_names[level]);

  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
  va_end(ap);
  if (m < 0)
    m = 0;
  n += (size_t)m;
  if (n > sizeof buf - 2) {
    n = sizeof buf - 5;
    memcpy(buf + n, "...", 3);
    n += 3;
  }
  buf[n++] = '\n';
  write_all(buf, n);
  errno = saved;
}
