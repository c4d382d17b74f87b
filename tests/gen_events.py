#!/usr/bin/env python3
"""Writes N order events in the .evt format for the fault and load tests:
order_id 1..N in order, 500 customers, about 2% invalid quantities.

usage: gen_events.py N [SEED]"""
import random
import sys


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = []
    for oid in range(1, n + 1):
        qty = 0 if rng.random() < 0.02 else rng.randint(1, 9)
        out.append('Order { order_id: %d, customer_id: "C%03d", quantity: %d, '
                   'price: %d.%02d }\n' % (oid, rng.randrange(500), qty,
                                           rng.randint(1, 300),
                                           rng.randrange(100)))
        if len(out) >= 10000:
            sys.stdout.write("".join(out))
            out = []
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
