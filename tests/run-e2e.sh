#!/usr/bin/env bash
# End-to-end golden tests: each tests/e2e/NAME/ holds prog.vpl and an input
# (input.evt or input.jsonl); the executable's main output, dead letters and
# --stats must equal expected.out, expected.dlq and expected.stats byte for
# byte (a missing expected file means: no such output expected, or for
# stats, not compared). Optional files: args (extra executable options, one
# line), expected.rc (exit status, default 0), sorted (compare outputs as
# sorted lines, for completion-ordered regions), expected.err (lines that
# must appear on stderr), expected.stdout (what stdout connectors wrote),
# expected.file.NAME (the content of file NAME the program wrote, such as a
# file connector's).
suite=e2e
. "$(dirname "$0")/lib.sh"
failed=()

compare() {  # compare EXPECTED ACTUAL SORTED
  local exp=$1 act=$2
  if [ ! -f "$exp" ]; then
    [ ! -s "$act" ] && return 0
    echo "  unexpected output in $(basename "$act"):"; head -5 "$act"
    return 1
  fi
  if [ "$3" = 1 ]; then
    diff <(sort "$exp") <(sort "$act") >"$work/diff" && return 0
  else
    diff "$exp" "$act" >"$work/diff" && return 0
  fi
  echo "  $(basename "$exp") differs:"; head -20 "$work/diff"
  return 1
}

run_one() {
  local dir=$1 name t input args rc want_rc sorted=0
  name=$(basename "$dir")
  t="$work/$name"
  mkdir -p "$t"
  if ! "$VPC" -O1 "$dir/prog.vpl" -o "$t/prog" 2>"$t/vpc.err"; then
    echo "  vpc failed:"; cat "$t/vpc.err"; return 1
  fi
  input=$(ls "$dir"/input.* 2>/dev/null | head -1)
  args=$(cat "$dir/args" 2>/dev/null || true)
  want_rc=$(cat "$dir/expected.rc" 2>/dev/null || echo 0)
  [ -f "$dir/sorted" ] && sorted=1
  # The input is copied next to the executable and passed by its file name,
  # so the dead-letter "input" key does not depend on the checkout location.
  # Other data files (data.*: files a connector reads) go along too.
  for f in "$dir"/data.*; do
    [ -e "$f" ] && cp "$f" "$t/"
  done
  if [ -n "$input" ]; then
    cp "$input" "$t/" || return 1
    input=$(basename "$input")
  fi
  # shellcheck disable=SC2086
  (cd "$t" && ./prog ${input:+"$input"} $args -o out.jsonl \
     --dlq dlq.jsonl --stats stats.json 2>stderr.txt >stdout.txt </dev/null)
  rc=$?
  local ok=0
  if [ "$rc" != "$want_rc" ]; then
    echo "  exit status $rc, expected $want_rc"; sed 's/^/  | /' "$t/stderr.txt" | head -10
    ok=1
  fi
  compare "$dir/expected.out" "$t/out.jsonl" "$sorted" || ok=1
  compare "$dir/expected.dlq" "$t/dlq.jsonl" "$sorted" || ok=1
  compare "$dir/expected.stdout" "$t/stdout.txt" 0 || ok=1
  for f in "$dir"/expected.file.*; do
    [ -e "$f" ] || continue
    compare "$f" "$t/${f##*/expected.file.}" 0 || ok=1
  done
  if [ -f "$dir/expected.stats" ]; then
    compare "$dir/expected.stats" "$t/stats.json" 0 || ok=1
  fi
  if [ -f "$dir/expected.err" ]; then
    while IFS= read -r line; do
      grep -qF -- "$line" "$t/stderr.txt" || { echo "  stderr lacks: $line"; ok=1; }
    done <"$dir/expected.err"
  fi
  return $ok
}

for dir in tests/e2e/*/; do
  dir=${dir%/}
  if run_one "$dir"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); failed+=("$(basename "$dir")")
    echo "FAIL e2e/$(basename "$dir")"
  fi
done
# A count window followed by an aggregate folds its events into running
# state (runtime/fold.c) when it can; last(k + "") in place of last(k)
# makes the same program keep its events instead. Both must give the same
# outputs, dead letters and counts on 20,000 events over 300 keys (short
# ones, and long ones kept apart from the key table), with updates that
# raise now and then, with and without
# --flush-windows-at-eof.
fold_agrees() {
  local dir=tests/e2e/window_fold_update_errors
  "$VPC" -O1 "$dir/prog.vpl" -o "$work/fold" --emit-c "$work/fold.c" &&
    sed 's/k: last(k)/k: last(k + "")/' "$dir/prog.vpl" >"$work/keep.vpl" &&
    "$VPC" -O1 "$work/keep.vpl" -o "$work/keep" --emit-c "$work/keep.c" ||
    return 1
  grep -q 'vp_fold_new' "$work/fold.c" && ! grep -q 'vp_fold_new' "$work/keep.c" ||
    { echo "expected one folding and one keeping window"; return 1; }
  python3 - >"$work/fold.evt" <<'PY'
import random
r = random.Random(11)
for i in range(20000):
    v = r.choice([1] * 16 + [0, 2, -1, -1])
    key = r.randrange(300)
    key = ('k%d' if key % 10 else 'a key longer than sixteen bytes %d') % key
    print('Reading { k: "%s", name: "n%d", v: %d, x: %r }'
          % (key, i, v, r.randrange(-5000, 5000) / 64))
PY
  local prog flush
  for flush in "" --flush-windows-at-eof; do
    for prog in fold keep; do
      (cd "$work" && ./$prog fold.evt $flush -o $prog.out --dlq $prog.dlq \
        --stats $prog.stats 2>/dev/null) || return 1
    done
    [ "$(wc -l <"$work/fold.out")" -gt 1000 ] &&
      [ "$(wc -l <"$work/fold.dlq")" -gt 1000 ] ||
      { echo "too few outputs or dead letters to compare"; return 1; }
    cmp "$work/fold.out" "$work/keep.out" &&
      cmp "$work/fold.dlq" "$work/keep.dlq" &&
      cmp "$work/fold.stats" "$work/keep.stats" || return 1
  done
}
check "folding windows agree with windows that keep events" fold_agrees

[ "$fail" -gt 0 ] && echo "failed: ${failed[*]}"
report
