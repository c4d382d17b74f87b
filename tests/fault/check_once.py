#!/usr/bin/env python3
"""Checks that every input order has exactly one fate: emitted once or
dead-lettered once, never both, never lost; that per-customer output order
is input order; and that no dead letter has an unexpected kind.

usage: check_once.py INPUT.evt OUT.jsonl DLQ.jsonl [KIND...] [OPTION...]
options:
  --sick=LO-HI            orders LO..HI may fail with kind error too
  --expect=ID:KIND[:ATT]  order ID must be dead-lettered with KIND (and
                          attempt ATT)
  --some=KIND             at least one dead letter has KIND"""
import json
import re
import sys

LINE = re.compile(r'order_id: (\d+), customer_id: "(\w+)", quantity: (\d+)')


def main():
    inp, out, dlq = sys.argv[1:4]
    opts = [a for a in sys.argv[4:] if a.startswith("--")]
    kinds = set(a for a in sys.argv[4:] if not a.startswith("--")) or {"error"}
    sick = (0, -1)
    expect = {}
    some = []
    for o in opts:
        name, _, val = o.partition("=")
        if name == "--sick":
            lo, hi = val.split("-")
            sick = (int(lo), int(hi))
        elif name == "--expect":
            parts = val.split(":")
            expect[int(parts[0])] = (parts[1],
                                     int(parts[2]) if len(parts) > 2 else None)
        elif name == "--some":
            some.append(val)
        else:
            sys.exit("unknown option " + o)
    letters = {}
    orders = {}
    for line in open(inp):
        m = LINE.search(line)
        if m:
            orders[int(m.group(1))] = (m.group(2), int(m.group(3)))
    fate = {}
    last = {}
    for line in open(out):
        o = json.loads(line)
        oid = o["order_id"]
        assert oid not in fate, "order %d emitted twice" % oid
        fate[oid] = "out"
        cust = o["customer_id"]
        assert last.get(cust, 0) < oid, "order of customer %s broken" % cust
        last[cust] = oid
    for line in open(dlq):
        d = json.loads(line)
        assert d["kind"] in kinds, "unexpected dead letter %s" % line
        oid = d["event"]["order_id"]
        assert oid not in fate, "order %d has two fates" % oid
        fate[oid] = d["kind"]
        letters[oid] = d
    missing = sorted(set(orders) - set(fate))
    assert not missing, "lost orders: %s" % missing[:10]
    bad = [oid for oid, f in fate.items()
           if f == "error" and orders[oid][1] != 0
           and not sick[0] <= oid <= sick[1]]
    assert not bad, "valid orders dead-lettered as errors: %s" % bad[:10]
    for oid, (kind, att) in expect.items():
        d = letters.get(oid)
        assert d and d["kind"] == kind, "order %d: want %s, got %s" % (
            oid, kind, d and d["kind"] or fate.get(oid))
        assert att is None or d["attempt"] == att, "order %d: attempt %d" % (
            oid, d["attempt"])
    counts = {}
    for f in fate.values():
        counts[f] = counts.get(f, 0) + 1
    for k in some:
        assert counts.get(k), "no dead letter of kind %s" % k
    print("orders: %d, fates: %s" % (len(orders), counts))


if __name__ == "__main__":
    main()
