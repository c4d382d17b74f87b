# Sourced by the test drivers after they set suite: runs them from the
# repository root with the vpc under test (VPC), a scratch directory
# removed on exit, and pass and fail counts.
set -u
cd "$(dirname "$0")/.."
VPC=${VPC:-build/bin/vpc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

check() {  # check NAME COMMAND...: one test, the end of its log on failure
  local name=$1
  shift
  if "$@" >"$work/log" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $suite: $name"
    sed 's/^/  | /' "$work/log" | tail -20
  fi
}

report() {  # the counts; fails when a test failed
  echo "$suite: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
