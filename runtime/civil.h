// Calendar arithmetic for timestamps (proleptic Gregorian, UTC): RFC 3339
// text to nanoseconds for the input decoders (input.c) and back for the
// writer (output.c), plus VPL duration strings ("250ms").
// SPDX-License-Identifier: MIT
#ifndef VP_CIVIL_H
#define VP_CIVIL_H

#include <stddef.h>
#include <stdint.h>

// Days since 1970-01-01 of a valid date, and the date of a day number.
int64_t vp_civil_days(int64_t y, int m, int d);
void vp_civil_date(int64_t days, int64_t *y, int *m, int *d);

// Parses "[@]YYYY-MM-DD[(T|t| )HH:MM:SS[.f{1,9}]][Z|z|+HH:MM|-HH:MM]" (no
// zone means UTC) into nanoseconds since the epoch. Returns 0, or -EINVAL
// for bad text and -ERANGE when the instant does not fit int64.
int vp_civil_parse_time(const char *p, size_t n, int64_t *out_ns);

// Parses digits then a unit (ns, us, ms, s, m, h, d), with an optional
// leading '-', into nanoseconds. Returns 0, -EINVAL or -ERANGE.
int vp_civil_parse_duration(const char *p, size_t n, int64_t *out_ns);

#endif
