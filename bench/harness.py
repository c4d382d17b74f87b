#!/usr/bin/env python3
# The timing half of bench/run.sh: checks every vpc output against its C
# baseline with check.py, then runs each group of programs in alternation
# (one run of each in turn, RUNS rounds), timing wall-clock with
# perf_counter and taking peak RSS from /usr/bin/time -f %M. Ratios are
# medians of the per-round ratios, so a burst of load hits both sides.
# usage: harness.py OUT SHARED DATA N RUNS
# SPDX-License-Identifier: MIT
import os
import statistics
import subprocess
import sys
import tempfile
import time

OUT, SHARED, DATA, N, RUNS = sys.argv[1:6]
N, RUNS = int(N), int(RUNS)
BIN, BASE = os.path.join(OUT, 'bin'), os.path.join(OUT, 'base')
CHECK = os.path.join(SHARED, 'check.py')


def cmd(name):
    """argv of a program: C baselines are base/NAME, vpc ones vpc/NAME;
    vpc/NAME+ckptN checkpoints every N events into a fresh directory."""
    kind, prog = name.split('/')
    if kind == 'C':
        return [os.path.join(BASE, prog), DATA]
    prog, _, variant = prog.partition('+')
    argv = [os.path.join(BIN, prog), DATA]
    if prog == 'w4':
        argv += ['--dlq', 'w4_dead_letters.jsonl']
    if variant.startswith('ckpt'):
        argv += ['--checkpoint-dir', 'ckpt-' + variant, '--reset-checkpoint',
                 '--checkpoint-every', variant[4:]]
    return argv


def run(name, cwd, stdout):
    """One run in cwd; returns (seconds, peak RSS in KiB)."""
    rss = os.path.join(cwd, '.rss')
    t0 = time.perf_counter()
    subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss] + cmd(name),
                   cwd=cwd, stdout=stdout, stderr=subprocess.DEVNULL,
                   check=True)
    dt = time.perf_counter() - t0
    with open(rss) as f:
        kib = int(f.read().split()[-1])
    return dt, kib


def check(ref, name, extra_dlq=False):
    """Runs C/ref and vpc/name once each and compares with check.py."""
    ok = True
    with tempfile.TemporaryDirectory() as d:
        rdir, vdir = os.path.join(d, 'ref'), os.path.join(d, 'vpc')
        os.mkdir(rdir)
        os.mkdir(vdir)
        with open(os.path.join(rdir, 'out.jsonl'), 'w') as f:
            run('C/' + ref, rdir, f)
        with open(os.path.join(vdir, 'out.jsonl'), 'w') as f:
            run('vpc/' + name, vdir, f)
        pairs = [('out.jsonl', 'out.jsonl')]
        if extra_dlq:
            pairs.append(('w4_dead_letters.jsonl', 'w4_dead_letters.jsonl'))
        for r, v in pairs:
            res = subprocess.run([sys.executable, CHECK, os.path.join(rdir, r),
                                  os.path.join(vdir, v)],
                                 capture_output=True, text=True)
            last = res.stdout.strip().splitlines()[-1:] or ['(no output)']
            print('  check %-12s %s' % (name + ':' + v.split('.')[0],
                                        last[0]))
            ok = ok and res.returncode == 0
    return ok


def rounds(names):
    """RUNS alternating rounds over names; returns {name: [(s, kib)]}."""
    res = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as d, open(os.devnull, 'w') as null:
        for _ in range(RUNS):
            for n in names:
                res[n].append(run(n, d, null))
    return res


def med_time(r):
    return statistics.median(t for t, _ in r)


def peak(r):
    return max(k for _, k in r) / 1024.0


def ratio(r, a, b):
    """Median over rounds of time(a) / time(b)."""
    return statistics.median(x[0] / y[0] for x, y in zip(r[a], r[b]))


def line(label, r, name, ref):
    t = med_time(r[name])
    print('%-34s %8.3f s %10.0f ev/s %6.2fx %7.1f MiB' %
          (label, t, N / t, ratio(r, name, ref), peak(r[name])))


def main():
    print('bench: %d events, %d alternating runs each, load average %s' %
          (N, RUNS, ' '.join(open('/proc/loadavg').read().split()[:3])))
    print('correctness (check.py against the C baseline):')
    ok = all([check('w1', 'w1'), check('w1', 'w1_region1'),
              check('w2', 'w2'), check('w2', 'w2+ckpt1000'),
              check('w3', 'w3'), check('w3', 'w3_2w'),
              check('w4', 'w4', extra_dlq=True)])
    if not ok:
        print('bench: an output disagrees with its baseline', file=sys.stderr)
        sys.exit(1)

    print('%-34s %10s %15s %7s %11s' %
          ('program', 'median', 'events/s', 'ratio', 'peak RSS'))
    r = rounds(['C/w1', 'vpc/w1', 'vpc/w1_region1'])
    line('W1 C baseline', r, 'C/w1', 'C/w1')
    line('W1 vpc (ratio: / C)', r, 'vpc/w1', 'C/w1')
    line('W1 vpc max_workers:1 (/ no region)', r, 'vpc/w1_region1', 'vpc/w1')

    r = rounds(['C/w2', 'vpc/w2', 'vpc/w2+ckpt100000', 'vpc/w2+ckpt1000'])
    line('W2 C baseline', r, 'C/w2', 'C/w2')
    line('W2 vpc (/ C)', r, 'vpc/w2', 'C/w2')
    line('W2 vpc checkpoint/100000 (/ vpc)', r, 'vpc/w2+ckpt100000',
         'vpc/w2')
    line('W2 vpc checkpoint/1000 (/ vpc)', r, 'vpc/w2+ckpt1000', 'vpc/w2')

    r = rounds(['C/w3', 'C/w3_mt', 'vpc/w3', 'vpc/w3_2w'])
    line('W3 C baseline, 1 thread', r, 'C/w3', 'C/w3')
    line('W3 C baseline, 2 threads (/ C 1)', r, 'C/w3_mt', 'C/w3')
    line('W3 vpc 1 worker (/ C 1 thread)', r, 'vpc/w3', 'C/w3')
    line('W3 vpc 2 workers (/ vpc 1 worker)', r, 'vpc/w3_2w', 'vpc/w3')
    print('%-34s %8.2fx' % ('W3 vpc speed-up, 2 workers over 1',
                            ratio(r, 'vpc/w3', 'vpc/w3_2w')))

    r = rounds(['C/w4', 'C/w4_mt', 'vpc/w4'])
    line('W4 C baseline, 1 thread', r, 'C/w4', 'C/w4')
    line('W4 C baseline, 2 threads (/ C 1)', r, 'C/w4_mt', 'C/w4')
    line('W4 vpc (/ C 1 thread)', r, 'vpc/w4', 'C/w4')

    if os.environ.get('BENCH_RSS') == '1':
        rss_scaling()


def rss_scaling():
    """Peak RSS of W1 and W4 on 1M and 10M events read from a pipe."""
    gen = os.path.join(SHARED, 'gen_orders.py')
    print('peak RSS on standard input (MiB):')
    with tempfile.TemporaryDirectory() as d, open(os.devnull, 'w') as null:
        for prog in ('w1', 'w4'):
            row = []
            for n in (1000000, 10000000):
                g = subprocess.Popen([sys.executable, gen, str(n)],
                                     stdout=subprocess.PIPE)
                argv = [os.path.join(BIN, prog), '-']
                if prog == 'w4':
                    argv += ['--dlq', 'w4_dead_letters.jsonl']
                rss = os.path.join(d, '.rss')
                subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss] + argv,
                               cwd=d, stdin=g.stdout, stdout=null,
                               stderr=subprocess.DEVNULL, check=True)
                g.wait()
                with open(rss) as f:
                    row.append(int(f.read().split()[-1]) / 1024.0)
            print('  vpc %-4s 1M: %6.1f   10M: %6.1f' % (prog, row[0], row[1]))


main()
