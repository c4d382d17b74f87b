// Number text in both directions for the readers and the writer: shortest
// round-trip digits of doubles (LANGUAGE.md 8.7), their repr layout, fast
// integer digits, and exact decimal-to-double parsing for .evt and JSON
// input (8.3, 8.4). output.c, scan.c and json.c call it.
// SPDX-License-Identifier: MIT
#ifndef VP_NUM_H
#define VP_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Shortest digits of a finite double v > 0 (subnormals included): the
// decimal *digits * 10^*exp10 reads back as v, has the fewest significant
// digits of all decimals that do, and is the closest to v among those (an
// even last digit on a tie). *digits has no trailing zeros and at most 17
// digits.
void vp_num_shortest(double v, uint64_t *digits, int *exp10);

// Writes v as 8.7 lays out floats (Python's repr: positional when
// 1e-4 <= |x| < 1e16 with ".0" when integral, else d[.ddd]e+XX; -0.0;
// null for NaN and infinities) into buf, which has room for 32 bytes, and
// adds a NUL. Returns the length.
int vp_num_format_float(char *buf, double v);

// Writes v in decimal into buf (room for 20 or 21 bytes, no NUL); returns
// the length.
int vp_num_format_u64(char *buf, uint64_t v);
int vp_num_format_i64(char *buf, int64_t v);

// Parses p[0..n) when all of it is a decimal float: an optional sign, digits
// with an optional point (at least one digit), then an optional exponent
// ('e' or 'E', optional sign, digits). On success sets *out to the
// correctly rounded double, as strtod would, and returns true; returns
// false for any other text (inf, nan, hex, trailing bytes). A significand
// of at most 2^53 (19 significant digits or fewer) with a power of ten in
// 1e-22..1e22 takes one exact multiply or divide (Clinger), as does one up
// to 1e37 whose excess over 1e22 keeps the significand an exact integer;
// anything else goes through strtod.
bool vp_num_parse_float(const char *p, size_t n, double *out);

#endif
