"""A reference model of LANGUAGE.md 5.5 (windows) and 5.6 (aggregates),
written from the specification alone, for gen_window_golden.py."""
import json, math

def fmt_float(x):
    if x is None or math.isnan(x) or math.isinf(x):
        return None
    return x

def ts(ms):
    s, ms_ = divmod(ms, 1000)
    import datetime
    d = datetime.datetime(1970,1,1) + datetime.timedelta(seconds=s)
    out = d.strftime('%Y-%m-%dT%H:%M:%S')
    if ms_:
        out += '.%03d' % ms_
    return out + 'Z'

def run_windows(kind, events, N=None, S=None, D=None, G=None, flush=False):
    """events: list of (key, t_ms, rec). Returns (batches in order, held)."""
    st = {}
    order = []
    out = []
    for ev in events:
        key, t, rec = ev
        if key not in st:
            st[key] = dict(items=[], start=None, last=None, since=0, lr=None)
            order.append(key)
        s = st[key]
        if kind == 'count':
            s['items'].append(ev)
            if len(s['items']) == N:
                out.append((key, s['items'])); s['items'] = []
        elif kind == 'count_sliding':
            s['items'].append(ev)
            s['items'] = s['items'][-N:]
            s['since'] += 1
            if len(s['items']) == N and s['since'] >= S:
                out.append((key, list(s['items']))); s['since'] = 0
        elif kind == 'time':
            if not s['items']:
                s['start'] = t; s['items'] = [ev]
            elif t >= s['start'] + D:
                out.append((key, s['items'])); s['items'] = [ev]; s['start'] = t
            else:
                s['items'].append(ev)
        elif kind == 'time_sliding':
            s['items'] = [e for e in s['items'] if not (e[1] <= t - D)]
            s['items'].append(ev)
            if s['lr'] is None or t >= s['lr'] + S:
                out.append((key, list(s['items']))); s['lr'] = t
        elif kind == 'session':
            if s['items'] and t - s['last'] > G:
                out.append((key, s['items'])); s['items'] = []
            s['items'].append(ev)
            s['last'] = t if s['last'] is None or not s['items'][:-1] else max(s['last'], t)
    held = 0
    for key in order:
        s = st[key]
        if not s['items']:
            continue
        if kind == 'session' or flush:
            out.append((key, s['items']))
        else:
            held += len(s['items'])
    return out, held

def numeric(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and not (isinstance(v, float) and math.isnan(v)))

def agg(fn, vals, n=None):
    nums = [float(v) for v in vals if numeric(v)]
    if fn == 'count': return len(vals)
    if fn == 'sum': return math.fsum(nums) if False else sum(nums, 0.0)
    if fn == 'avg': return sum(nums, 0.0) / len(nums) if nums else None
    if fn == 'min': return min(nums) if nums else None
    if fn == 'max': return max(nums) if nums else None
    if fn == 'first': return vals[0]
    if fn == 'last': return vals[-1]
    if fn == 'stddev':
        xs = [float(v) for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(xs) < 2: return None
        mean = 0.0; m2 = 0.0; k = 0
        for x in xs:
            k += 1; d = x - mean; mean += d / k; m2 += d * (x - mean)
        return math.sqrt(m2 / (k - 1))
    if fn == 'count_distinct':
        seen = []
        for v in vals:
            key = (type(v).__name__, v)
            if key not in seen: seen.append(key)
        return len(seen)
    if fn == 'ema':
        k = 2.0 / (n + 1); e = None
        for x in nums:
            e = x if e is None else x * k + e * (1 - k)
        return e
    raise ValueError(fn)

def line(d):
    return json.dumps(d, separators=(',', ':'), ensure_ascii=False)
