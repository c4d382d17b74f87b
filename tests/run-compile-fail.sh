#!/usr/bin/env bash
# Compile-fail tests: vpc must reject tests/compile-fail/NAME.vpl with exit
# status 1 (64 when NAME.rc says so) and print exactly the first line of
# NAME.err as its first error (warnings before it are passed over); any
# further lines of NAME.err (hints, notes) must appear in its output too. A first line "# flags: ..." in the .vpl
# passes extra options to vpc.
suite=compile-fail
. "$(dirname "$0")/lib.sh"
for src in tests/compile-fail/*.vpl; do
  name=${src%.vpl}
  flags=$(sed -n '1s/^# flags: //p' "$src")
  want=$(head -1 "$name.err")
  want_rc=$(cat "$name.rc" 2>/dev/null || echo 1)
  # shellcheck disable=SC2086
  got=$("$VPC" --check $flags "$src" 2>&1 >/dev/null)
  rc=$?
  first=$(printf '%s\n' "$got" | grep -m1 -e ': error: ' -e '^vpc: ')
  extra_ok=1
  while IFS= read -r line; do
    printf '%s\n' "$got" | grep -qxF -- "$line" || { extra_ok=0; echo "  missing: $line"; }
  done < <(tail -n +2 "$name.err")
  if [ "$rc" = "$want_rc" ] && [ "$first" = "$want" ] && [ "$extra_ok" = 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $src (exit $rc, expected $want_rc)"
    echo "  expected: $want"
    echo "  got:      $first"
  fi
done
report
