#!/usr/bin/env python3
"""Checks that every input order has exactly one fate: emitted once or
dead-lettered once, never both, never lost; that per-customer output order
is input order; and that no dead letter has an unexpected kind.

usage: check_once.py INPUT.evt OUT.jsonl DLQ.jsonl [KIND...]"""
import json
import re
import sys

LINE = re.compile(r'order_id: (\d+), customer_id: "(\w+)", quantity: (\d+)')


def main():
    inp, out, dlq = sys.argv[1:4]
    kinds = set(sys.argv[4:]) or {"error"}
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
    missing = sorted(set(orders) - set(fate))
    assert not missing, "lost orders: %s" % missing[:10]
    bad = [oid for oid, f in fate.items()
           if f == "error" and orders[oid][1] != 0]
    assert not bad, "valid orders dead-lettered as errors: %s" % bad[:10]
    counts = {}
    for f in fate.values():
        counts[f] = counts.get(f, 0) + 1
    print("orders: %d, fates: %s" % (len(orders), counts))


if __name__ == "__main__":
    main()
