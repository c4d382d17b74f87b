#!/usr/bin/env bash
# Fuzz regressions: each tests/fuzz/crashers/NAME.vpl once crashed or hung
# the front end. vpc --check must now accept or reject it with exit status
# 0 or 1: never a signal, a hang (10 s) or an internal error (70 or more).
suite=fuzz-regressions
. "$(dirname "$0")/lib.sh"
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
