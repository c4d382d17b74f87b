#!/usr/bin/env bash
# Every ```vpl example of docs/*.md must compile (vpc --check, exit 0).
suite=doc-examples
. "$(dirname "$0")/lib.sh"
for doc in docs/*.md; do
  awk -v dir="$work" -v base="$(basename "$doc" .md)" '
    /^```vpl$/ { n++; out = dir "/" base "_" n ".vpl"; inside = 1; next }
    /^```$/ { inside = 0; next }
    inside { print > out }
  ' "$doc"
done
for ex in "$work"/*.vpl; do
  [ -e "$ex" ] || continue
  if "$VPC" --check "$ex" 2>"$work/err"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL docs example $(basename "$ex")"
    sed 's/^/  | /' "$work/err" | head -10
  fi
done
report
