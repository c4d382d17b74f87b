// Calendar arithmetic (see civil.h), after Howard Hinnant's days_from_civil
// and civil_from_days: exact for every int64 day count that timestamps use.
// SPDX-License-Identifier: MIT
#include "civil.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int64_t vp_civil_days(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void vp_civil_date(int64_t days, int64_t *y, int *m, int *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

// Reads exactly k digits at *p.
static bool digits(const char **p, const char *end, int k, int *out) {
  int v = 0;
  for (int i = 0; i < k; i++) {
    const char *q = *p + i;
    if (q >= end || *q < '0' || *q > '9')
      return false;
    v = v * 10 + (*q - '0');
  }
  *p += k;
  *out = v;
  return true;
}

static bool eat(const char **p, const char *end, char c) {
  if (*p < end && **p == c) {
    (*p)++;
    return true;
  }
  return false;
}

static int month_days(int y, int m) {
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// "HH:MM:SS[.fff]" into seconds of the day and nanoseconds.
static bool clock_part(const char **p, const char *end, int64_t *secs,
                       int64_t *frac) {
  int hh, mm, ss;
  if (!digits(p, end, 2, &hh) || !eat(p, end, ':') ||
      !digits(p, end, 2, &mm) || !eat(p, end, ':') || !digits(p, end, 2, &ss))
    return false;
  if (hh > 23 || mm > 59 || ss > 60)
    return false;
  *secs = hh * 3600 + mm * 60 + ss;
  *frac = 0;
  if (!eat(p, end, '.'))
    return true;

  int n = 0;
  int64_t scale = 100000000;
  while (*p < end && **p >= '0' && **p <= '9') {
    *frac += (**p - '0') * scale;  // digits past the ninth are dropped
    scale /= 10;
    (*p)++;
    n++;
  }
  return n > 0;
}

// "Z", "+HH:MM" or "-HH:MM" into seconds east of UTC; nothing means UTC.
static bool zone_part(const char **p, const char *end, int64_t *offset) {
  *offset = 0;
  if (*p == end || eat(p, end, 'Z') || eat(p, end, 'z'))
    return true;
  int sign = **p == '-' ? -1 : 1;
  if (!eat(p, end, '+') && !eat(p, end, '-'))
    return false;
  int hh, mm;
  if (!digits(p, end, 2, &hh) || !eat(p, end, ':') || !digits(p, end, 2, &mm))
    return false;
  if (hh > 23 || mm > 59)
    return false;
  *offset = sign * (hh * 3600 + mm * 60);
  return true;
}

int vp_civil_parse_time(const char *p, size_t n, int64_t *out_ns) {
  const char *end = p + n;
  eat(&p, end, '@');

  int y, m, d;
  if (!digits(&p, end, 4, &y) || !eat(&p, end, '-') ||
      !digits(&p, end, 2, &m) || !eat(&p, end, '-') || !digits(&p, end, 2, &d))
    return -EINVAL;
  if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
    return -EINVAL;

  int64_t secs = 0, frac = 0, offset = 0;
  if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
    p++;
    if (!clock_part(&p, end, &secs, &frac) || !zone_part(&p, end, &offset))
      return -EINVAL;
  }
  if (p != end)
    return -EINVAL;

  int64_t s = vp_civil_days(y, m, d) * 86400 + secs - offset;
  int64_t ns;
  if (__builtin_mul_overflow(s, (int64_t)1000000000, &ns) ||
      __builtin_add_overflow(ns, frac, &ns))
    return -ERANGE;
  *out_ns = ns;
  return 0;
}

int vp_civil_parse_duration(const char *p, size_t n, int64_t *out_ns) {
  static const struct {
    const char *name;
    int64_t ns;
  } units[] = {
    { "ns", 1 },
    { "us", 1000 },
    { "ms", 1000000 },
    { "s", 1000000000 },
    { "m", 60 * 1000000000LL },
    { "h", 3600 * 1000000000LL },
    { "d", 86400 * 1000000000LL },
  };
  const char *end = p + n;
  bool neg = eat(&p, end, '-');
  int64_t v = 0;
  const char *start = p;
  while (p < end && *p >= '0' && *p <= '9') {
    if (__builtin_mul_overflow(v, (int64_t)10, &v) ||
        __builtin_add_overflow(v, (int64_t)(*p - '0'), &v))
      return -ERANGE;
    p++;
  }
  if (p == start)
    return -EINVAL;

  size_t ulen = (size_t)(end - p);
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strlen(units[i].name) == ulen && memcmp(p, units[i].name, ulen) == 0) {
      if (__builtin_mul_overflow(v, units[i].ns, &v))
        return -ERANGE;
      *out_ns = neg ? -v : v;
      return 0;
    }
  }
  return -EINVAL;
}
