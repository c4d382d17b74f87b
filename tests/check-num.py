#!/usr/bin/env python3
# Compares runtime/num.c with Python on millions of values: vp_num_format_float
# against repr (random bit patterns, subnormals, every exponent's boundaries,
# integers, two-decimal prices and their products, short decimals) and
# vp_num_parse_float against float() (prices, repr strings, random decimal
# text). Not part of `make check` (it takes a few seconds per million).
# Usage: tests/check-num.py [N] [SEED]
# SPDX-License-Identifier: MIT
import math
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER = r'''
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "num.h"
int main(int argc, char **argv) {
  char line[512], buf[40];
  int parse = argc > 1;
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strcspn(line, "\n");
    double v;
    uint64_t b;
    if (parse) {
      if (!vp_num_parse_float(line, n, &v)) {
        puts("reject");
        continue;
      }
      memcpy(&b, &v, 8);
      printf("%016llx\n", (unsigned long long)b);
    } else {
      b = strtoull(line, NULL, 16);
      memcpy(&v, &b, 8);
      vp_num_format_float(buf, v);
      puts(buf);
    }
  }
  return 0;
}
'''


def b2f(b):
    return struct.unpack('<d', struct.pack('<Q', b))[0]


def f2b(f):
    return struct.unpack('<Q', struct.pack('<d', f))[0]


def format_inputs(n):
    vals = [random.getrandbits(64) for _ in range(n)]
    vals += [random.getrandbits(52) for _ in range(n // 10)]
    vals += list(range(1, 5000))
    for e in range(0, 2047):
        for d in (-2, -1, 0, 1, 2):
            b = (e << 52) + d
            if 0 <= b < (2047 << 52):
                vals += [b, b | (1 << 63)]
    vals += [f2b(float(random.randrange(-10**17, 10**17))) for _ in range(n // 10)]
    vals += [f2b(random.randrange(0, 10**7) / 100) for _ in range(n // 5)]
    vals += [f2b(random.randrange(1, 50000) / 100 * random.randrange(1, 11))
             for _ in range(n // 5)]
    vals += [f2b(float('%.*e' % (random.randrange(0, 17),
                                 b2f(random.getrandbits(63)))))
             for _ in range(n // 10)]
    vals += [f2b(d * 10.0 ** p) for p in range(-30, 30)
             for d in (1, 3, 5, 9.5, 9.999, 1.0000000000000002)]
    vals += [f2b(x) for x in (0.0, -0.0, float('inf'), float('-inf'),
                              float('nan'))]
    return vals


def parse_inputs(n):
    s = ['%d.%02d' % (random.randrange(0, 100000), random.randrange(100))
         for _ in range(n)]
    s += [repr(b2f(random.getrandbits(63))) for _ in range(n)]
    for _ in range(n):
        d = ''.join(random.choice('0123456789')
                    for _ in range(random.randrange(1, 25)))
        p = random.randrange(0, len(d) + 1)
        t = d[:p] + '.' + d[p:] if random.random() < 0.7 else d
        if random.random() < 0.5:
            t += (random.choice('eE') + random.choice(['', '+', '-']) +
                  str(random.randrange(0, 40)))
        if random.random() < 0.3:
            t = random.choice('+-') + t
        s.append(t)
    s += ['%de%d' % (random.getrandbits(53), random.randrange(-30, 40))
          for _ in range(n // 4)]
    s += ['0.0', '-0.0', '.5', '5.', '-.5e-3', '1e', 'e5', '.', '-', '+.e1',
          '1.5e+', 'inf', 'nan', '1e400', '1e-400', '9007199254740993',
          '1.7976931348623157e308', '4.9e-324', '1x', '']
    return s


def run(exe, args, lines):
    inp = ''.join(x + '\n' for x in lines)
    r = subprocess.run([exe] + args, input=inp, capture_output=True,
                       text=True, check=True)
    return r.stdout.split('\n')


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'drv.c')
        exe = os.path.join(tmp, 'drv')
        with open(src, 'w') as f:
            f.write(DRIVER)
        rt = os.path.join(ROOT, 'runtime')
        subprocess.run([os.environ.get('CC', 'cc'), '-O2', '-std=gnu11',
                        '-I' + rt, src, os.path.join(rt, 'num.c'),
                        os.path.join(rt, 'arena.c'), '-o', exe], check=True)

        bad = 0
        vals = format_inputs(n)
        for b, got in zip(vals, run(exe, [], ['%x' % b for b in vals])):
            f = b2f(b)
            want = 'null' if math.isnan(f) or math.isinf(f) else repr(f)
            if got != want:
                bad += 1
                if bad <= 20:
                    print('format %016x: got %s, want %s' % (b, got, want))
        print('format: %d doubles checked against repr' % len(vals))

        texts = parse_inputs(n // 3)
        pat = re.compile(r'^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$')
        for t, got in zip(texts, run(exe, ['parse'], texts)):
            want = ('%016x' % f2b(float(t))) if pat.match(t) else 'reject'
            if got != want:
                bad += 1
                if bad <= 20:
                    print('parse %r: got %s, want %s' % (t, got, want))
        print('parse: %d texts checked against float()' % len(texts))
    print('mismatches: %d' % bad)
    sys.exit(1 if bad else 0)


main()
