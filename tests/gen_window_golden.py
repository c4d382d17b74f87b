#!/usr/bin/env python3
"""Writes the expected outputs of the window and aggregate e2e tests
(tests/e2e/window_*, aggregate_*, region_keyed_window_as_sequential) from
window_model.py, an implementation of LANGUAGE.md 5.5 and 5.6 independent
of the compiler. It rewrites expected.out and expected.stats only (and the
generated input of the region test)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from window_model import run_windows, agg, line, ts  # noqa: E402

E2E = os.path.join(os.path.dirname(__file__), 'e2e')


def write(name, out_lines, stats):
    d = os.path.join(E2E, name)
    with open(os.path.join(d, 'expected.out'), 'w') as f:
        for l in out_lines:
            f.write(l + '\n')
    with open(os.path.join(d, 'expected.stats'), 'w') as f:
        f.write(json.dumps(stats, separators=(',', ':')) + '\n')


def stats(records, stream, nin, out, passed, filtered, held, emitted=None,
          dead=0, late=0):
    return {"records": records, "parse_errors": 0, "unrouted": 0,
            "emitted": out if emitted is None else emitted,
            "dead_lettered": dead, "late": late, "taps": [],
            "streams": {stream: {"in": nin, "out": out, "passed": passed,
                                 "filtered": filtered, "dead_lettered": dead,
                                 "held": held}},
            "regions": {}}


def parse_evt(path):
    """(offset ms, fields) of each line of a simple .evt input."""
    evs = []
    with open(path) as f:
        for raw in f:
            raw = raw.strip()
            if not raw or raw.startswith('#'):
                continue
            at, rest = raw.split(' ', 1)
            t = int(at[1:-1]) * 1000 if at.endswith('s') and not at.endswith('ms') else int(at[1:].rstrip('ms'))
            body = rest[rest.index('{') + 1:rest.rindex('}')]
            rec = {}
            for part in body.split(','):
                k, v = part.split(':', 1)
                v = v.strip()
                if v.startswith('"'):
                    rec[k.strip()] = v.strip('"')
                elif v == 'null':
                    rec[k.strip()] = None
                elif v in ('true', 'false'):
                    rec[k.strip()] = v == 'true'
                elif '.' in v:
                    rec[k.strip()] = float(v)
                else:
                    rec[k.strip()] = int(v)
            evs.append((t, rec))
    return evs


def inp(name):
    return parse_evt(os.path.join(E2E, name, 'input.evt'))


def head(stream, t, key=None):
    d = {"event_type": stream, "timestamp": ts(t)}
    if key is not None:
        d["_partition"] = key
    return d


def count_tumbling():
    name = 'window_count_tumbling_per_key'
    evs = inp(name)
    batches, held = run_windows('count', [(r['sensor'], t, r) for t, r in evs], N=3)
    out = []
    for key, b in batches:
        vals = [e[2]['value'] for e in b]
        lv = [e[2]['level'] for e in b]
        d = head('Counts', b[-1][1], key)
        d.update(n=agg('count', vals), total=agg('sum', vals),
                 mean=agg('avg', lv), lo=agg('min', vals), hi=agg('max', lv),
                 first_v=agg('first', vals), last_v=agg('last', vals),
                 span=agg('max', lv) - agg('min', lv))
        out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Counts', n, len(out), n - held, 0, held))


def count_sliding():
    name = 'window_count_sliding_events_continue'
    evs = inp(name)
    batches, held = run_windows('count_sliding', [(None, t, r) for t, r in evs], N=3, S=2)
    out, seen = [], set()
    for _, b in batches:
        for t, r in [(e[1], e[2]) for e in b]:
            d = {"event_type": "Slide", "timestamp": ts(t), "id": r['id']}
            out.append(line(d))
        seen.update(e[2]['id'] for e in b)
    n = len(evs)
    # Events never released stay held; the others passed.
    write(name, out, stats(n, 'Slide', n, len(out), len(seen), 0, n - len(seen)))


def time_tumbling():
    name = 'window_time_tumbling_flush_at_eof'
    evs = inp(name)
    batches, held = run_windows('time', [(None, t, r) for t, r in evs], D=10000, flush=True)
    out = []
    for _, b in batches:
        v = [e[2]['v'] for e in b]
        d = head('Tumble', b[-1][1])
        d.update(n=agg('count', v), total=agg('sum', v),
                 ids=agg('first', [e[2]['id'] for e in b]) + '..' + agg('last', [e[2]['id'] for e in b]))
        out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Tumble', n, len(out), n, 0, 0))


def time_tumbling_held():
    name = 'window_time_tumbling_held_at_eof'
    evs = inp(name)
    batches, held = run_windows('time', [(None, t, r) for t, r in evs], D=10000)
    out = []
    for _, b in batches:
        v = [e[2]['v'] for e in b]
        d = head('Tumble', b[-1][1])
        d.update(n=agg('count', v), total=agg('sum', v))
        out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Tumble', n, len(out), n - held, 0, held))


def time_sliding():
    name = 'window_time_sliding'
    evs = inp(name)
    batches, held = run_windows('time_sliding', [(None, t, r) for t, r in evs], D=10000, S=5000)
    out = []
    for _, b in batches:
        v = [e[2]['v'] for e in b]
        d = head('Slide', b[-1][1])
        d.update(n=agg('count', v), total=agg('sum', v),
                 oldest=agg('first', [e[2]['id'] for e in b]))
        out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Slide', n, len(out), n, 0, 0))


def session():
    name = 'window_session_per_key'
    evs = inp(name)
    batches, held = run_windows('session', [(r['user'], t, r) for t, r in evs], G=5000)
    out = []
    for key, b in batches:
        d = head('Sessions', b[-1][1], key)
        d.update(user=key, clicks=agg('count', b),
                 pages=agg('count_distinct', [e[2]['page'] for e in b]))
        out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Sessions', n, len(out), n, 0, 0))


def all_aggregates():
    name = 'aggregate_functions'
    evs = inp(name)
    batches, held = run_windows('count', [(None, t, r) for t, r in evs], N=4)
    out = []
    for _, b in batches:
        v = [e[2].get('v') for e in b]
        d = head('Aggs', b[-1][1])
        d.update(n=agg('count', v), s=agg('sum', v), a=agg('avg', v),
                 lo=agg('min', v), hi=agg('max', v), f=agg('first', v),
                 l=agg('last', v), sd=agg('stddev', v),
                 cd=agg('count_distinct', v), cd2=agg('count_distinct', v),
                 e=agg('ema', v, 3), k=10)
        out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Aggs', n, len(out), n - held, 0, held))


def having_order_limit():
    name = 'window_having_order_by_limit'
    evs = inp(name)
    batches, held = run_windows('count', [(None, t, r) for t, r in evs], N=3)
    out = []
    passed = filtered = 0
    limit = 4
    for _, b in batches:
        # .order_by(score desc, id): stable sort by score descending.
        srt = sorted(b, key=lambda e: (-e[2]['score'], e[2]['id']))
        for e in srt:
            r = e[2]
            if r['score'] < 2 or limit == 0:
                filtered += 1
                continue
            limit -= 1
            passed += 1
            out.append(line({"event_type": "Top", "timestamp": ts(e[1]),
                             "id": r['id'], "score": r['score']}))
    n = len(evs)
    write(name, out, stats(n, 'Top', n, len(out), passed, filtered, held))


def without_window():
    name = 'aggregate_without_window'
    evs = inp(name)
    out = []
    for t, r in evs:
        d = head('Each', t, r['k'])
        d.update(n=1, s=float(r['v']), twice=float(r['v']) * 2)
        if d['s'] > 1:
            out.append(line(d))
    n = len(evs)
    write(name, out, stats(n, 'Each', n, len(out), len(out), n - len(out), 0))


def region_keyed():
    name = 'region_keyed_window_as_sequential'
    import random
    rnd = random.Random(7)
    lines, evs = [], []
    for i in range(60):
        c = 'c%d' % rnd.randint(0, 4)
        a = rnd.choice([1.5, 2.0, -1.0, 3.25])
        lines.append('Order { id: %d, customer: "%s", amount: %s }' % (i, c, a))
        evs.append({'id': i, 'customer': c, 'amount': a})
    with open(os.path.join(E2E, name, 'input.evt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    kept = [e for e in evs if e['amount'] > 0]
    batches, held = run_windows('count', [(e['customer'], 0, e) for e in kept], N=3)
    out, passed = [], 0
    for key, b in batches:
        total = agg('sum', [e[2]['amount'] for e in b])
        if total > 5.0:
            passed += len(b)
            out.append(line({"event_type": "W", "_partition": key,
                             "customer": key, "n": len(b), "total": total,
                             "last_id": b[-1][2]['id']}))
    n = len(evs)
    st = stats(n, 'W', n, len(out), passed, n - passed - held, held)
    st['regions'] = {"W": {"restarts": 0, "escalated": False,
                           "breaker_trips": 0, "late_released": 0}}
    write(name, out, st)


for fn in (region_keyed, count_tumbling, count_sliding, time_tumbling, time_tumbling_held,
           time_sliding, session, all_aggregates, having_order_limit,
           without_window):
    fn()
