#!/usr/bin/env python3
# Writes the table of 126-bit powers of ten that runtime/num.c uses for the
# shortest float digits (Schubfach): for each k in [-324, 292], the integer
# g = floor(10^-k / 2^r) + 1 with r = floor(log2(10^-k)) - 125, so that
# 2^125 <= g < 2^126, split as g1 * 2^63 + g0 (63 bits each). Paste the
# output over the table in runtime/num.c.
# SPDX-License-Identifier: MIT
from fractions import Fraction

K_MIN, K_MAX = -324, 292


def flog2pow10(e):
    return (e * 913124641741) >> 38


def main():
    print("static const uint64_t pow10_g[POW10_KMAX - POW10_KMIN + 1][2] = {")
    for k in range(K_MIN, K_MAX + 1):
        r = flog2pow10(-k) - 125
        x = Fraction(10) ** -k / Fraction(2) ** r
        g = x.numerator // x.denominator + 1
        assert 2 ** 125 <= g < 2 ** 126
        print("  { 0x%016xu, 0x%016xu },  // %d" % (g >> 63, g & (2 ** 63 - 1), k))
    print("};")


main()
