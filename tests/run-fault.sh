#!/usr/bin/env bash
# Fault tests: a partitioned pipeline with four workers keeps every event
# through worker crashes; each event is emitted once or dead-lettered once.
set -u
cd "$(dirname "$0")/.."
VPC=${VPC:-build/bin/vpc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

check() {  # check NAME COMMAND...
  local name=$1
  shift
  if "$@" >"$work/log" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL fault: $name"
    sed 's/^/  | /' "$work/log" | tail -20
  fi
}

# Kills one worker with SIGKILL five times while 200,000 events flow.
kill_workers_during_run() {
  "$work/keyed" "$work/events.evt" -o "$work/kill.out" --dlq "$work/kill.dlq" \
    --stats "$work/kill.stats" 2>"$work/kill.err" &
  local pid=$! kills=0 victim
  for _ in $(seq 1 200); do
    sleep 0.02
    victim=$(pgrep -P "$pid" | shuf -n 1 2>/dev/null)
    if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
      kills=$((kills + 1))
      [ "$kills" -ge 5 ] && break
    fi
  done
  wait "$pid"
  local rc=$?
  echo "killed $kills workers; exit status $rc"; cat "$work/kill.stats"
  [ "$rc" -eq 0 ] || return 1
  python3 tests/fault/check_once.py "$work/events.evt" "$work/kill.out" \
    "$work/kill.dlq" error crash || return 1
  grep -q '"restarts":[1-9]' "$work/kill.stats"
}

# The parent is killed: its workers notice and exit on their own.
workers_exit_when_parent_dies() {
  "$work/keyed" "$work/events.evt" -o "$work/orphan.out" --dlq "$work/orphan.dlq" \
    2>/dev/null &
  local pid=$!
  sleep 0.2
  local children
  children=$(pgrep -P "$pid")
  [ -n "$children" ] || { echo "no workers found"; return 1; }
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    # shellcheck disable=SC2086
    ps -p $(echo $children | tr ' ' ',') >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  echo "workers still alive: $children"
  return 1
}

python3 tests/gen_events.py 200000 >"$work/events.evt"
if ! "$VPC" tests/fault/keyed.vpl -o "$work/keyed"; then
  echo "FAIL fault: cannot build tests/fault/keyed.vpl"
  exit 1
fi
check "kill -9 of workers loses nothing" kill_workers_during_run
check "workers exit when the parent dies" workers_exit_when_parent_dies
echo "fault: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
