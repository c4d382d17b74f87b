#!/usr/bin/env python3
"""Checks a run of samples/orders.vpl against an independent model of it.

usage: check_orders.py INPUT.evt OUT.jsonl DLQ.jsonl STATS.json

The model re-implements the sample's rules in Python (validation, stock,
shipping) and reads the .evt lines itself. It asserts that every valid
order is emitted exactly once with its exact total and shipping, that every
failed order and every malformed line is dead-lettered exactly once with
the right kind and message, that within each customer the outputs keep
input order, and that --stats adds up: emitted + dead_lettered = records.
"""
import json
import re
import sys

RATES = {"eu": 4.99, "us": 5.99, "apac": 9.99}
FIELD = re.compile(r'(\w+): ("[^"]*"|[-\d.]+)')


def parse(line):
    line = line.strip()
    if not line or line.startswith("#") or line.startswith("BATCH"):
        return None
    if line.startswith("{"):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return "malformed"
    if not line.startswith("Orders {"):
        return "malformed"
    rec = {}
    for key, value in FIELD.findall(line):
        rec[key] = json.loads(value)
    needed = ["order_id", "customer_id", "sku", "quantity", "price",
              "weight_kg", "region"]
    if any(k not in rec for k in needed):
        return "malformed"
    if not isinstance(rec["quantity"], int):
        return "malformed"
    return rec


def model(o):
    q, p, w = o["quantity"], float(o["price"]), float(o["weight_kg"])
    if q <= 0 or q > 50:
        return None, "invalid quantity"
    if p <= 0.0:
        return None, "invalid price"
    if w <= 0.0:
        return None, "invalid weight"
    if o["sku"].startswith("DISC-"):
        return None, "out of stock: " + o["sku"]
    if q * w > 250.0:
        return None, "order too heavy to pick"
    if o["region"] == "antarctica":
        return None, "no shipping to region antarctica"
    total = p * q
    if total >= 500.0:
        shipping = 0.0
    else:
        shipping = RATES.get(o["region"], 12.0) + 0.5 * (w * q)
    return (total, shipping), None


def main():
    inp, out, dlq, stats = sys.argv[1:5]
    expect_out, expect_fail, malformed, order = {}, {}, 0, {}
    records = 0
    for line in open(inp):
        rec = parse(line)
        if rec is None:
            continue
        records += 1
        if rec == "malformed":
            malformed += 1
            continue
        ok, err = model(rec)
        if ok:
            expect_out[rec["order_id"]] = ok
            order.setdefault(rec["customer_id"], []).append(rec["order_id"])
        else:
            expect_fail[rec["order_id"]] = err
    outs = [json.loads(l) for l in open(out)]
    seen = {}
    for o in outs:
        assert o["event_type"] == "OrderProcessing", o
        oid = o["order_id"]
        assert oid not in seen, "order %d emitted twice" % oid
        seen[oid] = o
        assert oid in expect_out, "order %d should have failed" % oid
        total, shipping = expect_out[oid]
        assert repr(total) == json.dumps(o["total"]), (oid, total, o)
        assert repr(shipping) == json.dumps(o["shipping"]), (oid, shipping, o)
    assert len(seen) == len(expect_out), "missing: %s" % sorted(
        set(expect_out) - set(seen))[:10]
    per_customer = {}
    for o in outs:
        per_customer.setdefault(o["customer_id"], []).append(o["order_id"])
    assert per_customer == order, "per-customer order differs"
    dead = [json.loads(l) for l in open(dlq)]
    parse_errors = [d for d in dead if d["kind"] == "parse_error"]
    assert len(parse_errors) == malformed, (len(parse_errors), malformed)
    failed = {}
    for d in dead:
        if d["kind"] == "parse_error":
            assert d["event"] is None and d["raw"], d
            continue
        assert d["kind"] == "error" and d["stream"] == "OrderProcessing", d
        oid = d["event"]["order_id"]
        assert oid not in failed, "order %d dead-lettered twice" % oid
        failed[oid] = d["message"]
    assert failed == expect_fail, "dead letters differ"
    st = json.load(open(stats))
    assert st["records"] == records, (st["records"], records)
    assert st["emitted"] == len(expect_out), st
    assert st["dead_lettered"] == len(expect_fail) + malformed, st
    assert st["emitted"] + st["dead_lettered"] == st["records"], st
    print("orders: %d emitted, %d dead-lettered (%d malformed) of %d records"
          % (st["emitted"], st["dead_lettered"], malformed, records))


if __name__ == "__main__":
    main()
