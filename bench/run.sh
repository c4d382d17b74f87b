#!/bin/sh
# Benchmarks vpc executables against the hand-written C baselines of the
# shared benchmark material (WORKLOADS.md, ANCHORS.md): generates the data,
# builds every workload with vpc and every baseline, checks each output
# with check.py, then times each pair in alternating runs and prints
# events/s, time ratios and peak RSS. Needs ../shared/bench (or
# VPC_BENCH_DIR); the build and the tests never do.
# usage: bench/run.sh        environment: BENCH_EVENTS (default 2000000),
#   BENCH_RUNS (runs per program, default 5), BENCH_RSS=1 (also peak RSS of
#   W1 and W4 at 1M and 10M events), VPC_BENCH_DIR.
# SPDX-License-Identifier: MIT
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${VPC_BENCH_DIR:-$ROOT/../shared/bench}
N=${BENCH_EVENTS:-2000000}
RUNS=${BENCH_RUNS:-5}
OUT=$ROOT/build/bench

if [ ! -f "$SHARED/gen_orders.py" ] || [ ! -f "$SHARED/check.py" ] ||
   [ ! -d "$SHARED/baseline" ]; then
  echo "bench: benchmark material not found at $SHARED" >&2
  echo "bench: (gen_orders.py, check.py, baseline/, vpl/); set VPC_BENCH_DIR" >&2
  exit 1
fi
SHARED=$(cd "$SHARED" && pwd)

# /usr/bin/time reports peak RSS (Debian package time).
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y time >/dev/null
  else
    sudo apt-get install -y time >/dev/null
  fi
fi

# Build vpc, the workloads and the baselines.
make -C "$ROOT" all >/dev/null
mkdir -p "$OUT/base" "$OUT/bin" "$OUT/data"
make -s -C "$SHARED/baseline" OUT="$OUT/base" >/dev/null
VPC=$ROOT/build/bin/vpc
for w in w1 w2 w3 w3_2w w4; do
  "$VPC" "$SHARED/vpl/$w.vpl" -o "$OUT/bin/$w"
done
"$VPC" "$ROOT/bench/w1_region1.vpl" -o "$OUT/bin/w1_region1"

DATA=$OUT/data/orders-$N.evt
if [ ! -s "$DATA" ]; then
  python3 "$SHARED/gen_orders.py" "$N" >"$DATA.tmp"
  mv "$DATA.tmp" "$DATA"
fi

exec python3 "$ROOT/bench/harness.py" "$OUT" "$SHARED" "$DATA" "$N" "$RUNS"
