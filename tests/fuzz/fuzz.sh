#!/usr/bin/env bash
# Runs one AFL++ instance on the front-end harness for a bounded time, then
# replays every crash and hang it saved through the ASan+UBSan build of the
# same harness. Exits 1 when any of them still fails there.
# Usage: tests/fuzz/fuzz.sh SECONDS AFL_HARNESS SAN_HARNESS OUT_DIR
set -u
cd "$(dirname "$0")/../.."
seconds=$1
afl_bin=$2
san_bin=$3
dir=$4
seeds=$dir/seeds
out=$dir/out
replay=$dir/replay

# Replay through the sanitized harness: prints why f fails there (a
# signal, a sanitizer report, exit status 70 or more, over 10 s), or
# nothing when it passes.
why_fails() {
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1 \
    timeout 10 "$san_bin" "$1" >/dev/null 2>"$2"
  local rc=$?
  if [ "$rc" -eq 124 ]; then
    echo "hang (over 10 s)"
  elif grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' "$2"; then
    grep -m1 -e '^==[0-9]*==ERROR' -e 'runtime error:' "$2"
  elif [ "$rc" -ge 70 ]; then
    echo "exit status $rc"
  fi
}

# Seed corpus: the project's own programs, copied fresh each run. A seed
# that already fails is a finding, and afl-fuzz would refuse to start.
rm -rf "$seeds" "$out" "$replay"
mkdir -p "$seeds" "$replay/seeds"
cp samples/*.vpl tests/fault/*.vpl "$seeds"/
for f in tests/compile-fail/*.vpl; do
  cp "$f" "$seeds/cf_$(basename "$f")"
done
for f in tests/e2e/*/prog.vpl; do
  cp "$f" "$seeds/e2e_$(basename "$(dirname "$f")").vpl"
done
for f in "$seeds"/*; do
  why=$(why_fails "$f" "$replay/seeds/$(basename "$f").log")
  if [ -n "$why" ]; then
    mv "$f" "$replay/seeds/"
  else
    rm -f "$replay/seeds/$(basename "$f").log"
  fi
done
echo "fuzz: $(ls "$seeds" | wc -l) seeds, $seconds s"

# One instance; the machine is shared, so no CPU pinning. afl-fuzz sets
# the sanitizer options of its own build.
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
AFL_NO_AFFINITY=1 \
  afl-fuzz -i "$seeds" -o "$out" -x tests/fuzz/vpl.dict -m none -t 1000 \
    -V "$seconds" -- "$afl_bin" @@ >"$dir/afl.log" 2>&1
rc=$?
stats=$out/default/fuzzer_stats
if [ "$rc" -ne 0 ] || [ ! -f "$stats" ]; then
  tail -20 "$dir/afl.log"
  echo "fuzz: afl-fuzz failed (exit $rc); log in $dir/afl.log"
  exit 2
fi
field() { sed -n "s/^$1 *: //p" "$stats"; }
echo "fuzz: $(field execs_done) execs, $(field corpus_count) paths," \
  "$(field saved_crashes) crashes, $(field saved_hangs) hangs"

# Replay every finding, the failing seeds first.
found=0
repro=0
for f in "$replay"/seeds/*.vpl "$out"/default/crashes/id:* \
    "$out"/default/hangs/id:*; do
  [ -f "$f" ] || continue
  found=$((found + 1))
  kind=$(basename "$(dirname "$f")")
  log=$replay/${kind}_$(basename "$f" | cut -d, -f1 | tr : _).log
  why=$(why_fails "$f" "$log")
  if [ -n "$why" ]; then
    repro=$((repro + 1))
    echo "REPRODUCES $f"
    echo "  $why"
    echo "  log: $log"
  else
    echo "no repro   $f"
  fi
done
echo "fuzz: $found findings, $repro reproduce under ASan+UBSan"
[ "$repro" -eq 0 ]
