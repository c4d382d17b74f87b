#!/usr/bin/env python3
# Writes N records made by mutating the lines of a file at random (seeded):
# characters inserted, deleted and replaced from an alphabet of the
# characters that matter to the .evt syntax. For comparing the fast readers
# of declared types with the generic parser.
# usage: mutate_records.py FILE N SEED
# SPDX-License-Identifier: MIT
import random
import sys

ALPHABET = list(' \t\v\f,:;{}"\'\\-+.eE0123456789abcdefnrtuxyzAZ_@[]()') + [
    '\u00e9', '\x00', '\x7f']


def mutate(rng, line):
    chars = list(line)
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.4 or not chars:
            chars.insert(pos, rng.choice(ALPHABET))
        elif op < 0.7:
            del chars[min(pos, len(chars) - 1)]
        else:
            chars[min(pos, len(chars) - 1)] = rng.choice(ALPHABET)
    return ''.join(chars)


def main():
    path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lines = open(path, encoding='utf-8').read().splitlines()
    rng = random.Random(seed)
    out = sys.stdout
    for _ in range(n):
        out.write(mutate(rng, rng.choice(lines)) + '\n')


main()
