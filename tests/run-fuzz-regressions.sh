#!/usr/bin/env bash
# Fuzz regressions: each tests/fuzz/crashers/NAME.vpl once crashed or hung
# the front end. vpc --check must now accept or reject it with exit status
# 0 or 1: never a signal, a hang (10 s) or an internal error (70 or more).
# Then the fast readers of declared types must agree with the generic
# parser (VP_GENERIC_READER=1) on records mutated at random.
suite=fuzz-regressions
. "$(dirname "$0")/lib.sh"

# Same outputs, dead letters and counters from both readers, on 30,000
# mutated copies of the records of tests/e2e/evt_fast_reader_agrees; the
# debug summary shows which reader took how many.
readers_agree() {
  local dir=tests/e2e/evt_fast_reader_agrees
  "$VPC" -O1 "$dir/prog.vpl" -o "$work/agree" || return 1
  python3 tests/mutate_records.py "$dir/input.evt" 30000 7 >"$work/m.evt"
  local mode generic=0
  for mode in typed generic; do
    (cd "$work" && VP_GENERIC_READER=$generic ./agree m.evt \
      -o "$mode.out" --dlq "$mode.dlq" --stats "$mode.stats" \
      --log-level debug 2>"$mode.err") || return 1
    grep 'run: reader' "$work/$mode.err"
    generic=1
  done
  grep -q 'reader typed=0 ' "$work/generic.err" || return 1
  local typed
  typed=$(sed -n 's/.*reader typed=\([0-9]*\) .*/\1/p' "$work/typed.err")
  [ "$typed" -gt 1000 ] || { echo "only $typed records took the fast reader"; return 1; }
  [ "$(wc -l <"$work/typed.out")" -gt 1000 ] || return 1
  [ "$(wc -l <"$work/typed.dlq")" -gt 1000 ] || return 1
  cmp "$work/typed.out" "$work/generic.out" &&
    cmp "$work/typed.dlq" "$work/generic.dlq" &&
    cmp "$work/typed.stats" "$work/generic.stats"
}
check "fast readers agree with the generic parser" readers_agree

for src in tests/fuzz/crashers/*.vpl; do
  [ -f "$src" ] || continue
  timeout 10 "$VPC" --check "$src" >/dev/null 2>&1
  rc=$?
  if [ "$rc" -le 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    if [ "$rc" -eq 124 ]; then
      echo "FAIL $src (hang: no exit within 10 s)"
    elif [ "$rc" -gt 128 ]; then
      echo "FAIL $src (signal $((rc - 128)))"
    else
      echo "FAIL $src (exit $rc)"
    fi
  fi
done
report
