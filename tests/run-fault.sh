#!/usr/bin/env bash
# Fault tests: a partitioned pipeline with four workers (tests/fault/
# keyed.vpl and variants of it) keeps every event through worker crashes,
# hangs, poison events, an open breaker and escalation; each event is
# emitted once or dead-lettered once with the right kind, per-key order
# holds, and the exit status is the one LANGUAGE.md 8.9 gives. Supervision
# actions are asserted through --trace, never through timing.
suite=fault
. "$(dirname "$0")/lib.sh"

# variant NAME SUPERVISION [FAULT]: builds $work/NAME from keyed.vpl with
# the region option supervision: SUPERVISION (a map literal) and the VPL
# lines FAULT (\n-separated) at the start of check().
variant() {
  python3 - "$work/$1.vpl" "$2" "${3:-}" <<'PY' || return 1
import sys
out, sup, fault = sys.argv[1:4]
src = open("tests/fault/keyed.vpl").read()
src = src.replace(".concurrent(max_workers: 4)",
                  ".concurrent(max_workers: 4, supervision: %s)" % sup)
head = "fn check(o: Order) -> Result<Order>:\n"
lines = "".join("    %s\n" % l for l in fault.split("\\n") if l)
src = src.replace(head, head + lines)
open(out, "w").write(src)
PY
  "$VPC" "$work/$1.vpl" -o "$work/$1"
}

# run NAME [VAR=VALUE...]: runs $work/NAME on the events with --trace and
# --stats; the exit status goes to $work/NAME.rc.
run() {
  local name=$1
  shift
  env "$@" timeout 120 "$work/$name" "$work/events.evt" -o "$work/$name.out" \
    --dlq "$work/$name.dlq" --stats "$work/$name.stats" \
    --trace "$work/$name.trace" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
  echo "$name: exit status $(cat "$work/$name.rc")"
  cat "$work/$name.stats"
  echo
}

status_is() {  # status_is NAME CODE
  [ "$(cat "$work/$1.rc")" -eq "$2" ] || { echo "want exit status $2"; return 1; }
}

# count_actions NAME ACTION [KIND]: trace lines with that action (and kind).
count_actions() {
  local pat="\"action\":\"$2\""
  [ $# -ge 3 ] && pat="$pat.*\"kind\":\"$3\""
  grep -c "$pat" "$work/$1.trace"
}

once() {  # once NAME KIND... [--options of check_once.py]
  local name=$1
  shift
  python3 tests/fault/check_once.py "$work/events.evt" "$work/$name.out" \
    "$work/$name.dlq" "$@"
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

# SIGSTOP of a worker: a hang that only the health check can end.
sigstop_caught_by_health_check() {
  variant health '{health_check: {interval: 50ms, timeout: 100ms}}' || return 1
  "$work/health" "$work/events.evt" -o "$work/health.out" \
    --dlq "$work/health.dlq" --stats "$work/health.stats" \
    --trace "$work/health.trace" 2>"$work/health.err" &
  local pid=$! victim=
  for _ in $(seq 1 100); do
    victim=$(pgrep -P "$pid" | shuf -n 1 2>/dev/null)
    [ -n "$victim" ] && kill -STOP "$victim" 2>/dev/null && break
    sleep 0.01
  done
  wait "$pid"
  echo $? >"$work/health.rc"
  cat "$work/health.trace"
  [ -n "$victim" ] || { echo "no worker to stop"; return 1; }
  status_is health 0 || return 1
  once health error timeout || return 1
  [ "$(count_actions health kill timeout)" -ge 1 ] || return 1
  [ "$(count_actions health restart)" -ge 1 ]
}

# A process function that loops forever on order 777: killed twice by the
# health check, then a timeout dead letter at attempt 2.
endless_loop_is_a_timeout() {
  variant loop '{health_check: {interval: 50ms, timeout: 100ms}}' \
    'if o.order_id == 777:\n    var n = 0\n    while true:\n        n += 1' \
    || return 1
  run loop
  cat "$work/loop.trace"
  status_is loop 0 || return 1
  once loop error timeout --expect=777:timeout:2 || return 1
  [ "$(count_actions loop kill timeout)" -eq 2 ] || return 1
  [ "$(count_actions loop retry)" -eq 1 ] || return 1
  grep -q '"message":"processing exceeded 100ms"' "$work/loop.dlq"
}

# A process function that panics on order 777: a poison event, retried once,
# then a crash dead letter at attempt 2; two restarts.
panic_is_a_poison_event() {
  variant poison '{}' 'if o.order_id == 777:\n    panic("poison")' || return 1
  run poison
  cat "$work/poison.trace"
  status_is poison 0 || return 1
  once poison error crash --expect=777:crash:2 || return 1
  [ "$(count_actions poison failure crash)" -eq 2 ] || return 1
  [ "$(count_actions poison retry)" -eq 1 ] || return 1
  # Exponential backoff from 10ms: c = 1, then c = 2.
  grep -q '"action":"backoff".*"delay_ns":10000000}' "$work/poison.trace" &&
    grep -q '"action":"backoff".*"delay_ns":20000000}' "$work/poison.trace" ||
    return 1
  grep -q '"restarts":2,' "$work/poison.stats"
}

# Runtime fault injection (VP_FAULT): SIGSEGV and exit on a first attempt
# are retried and succeed; abort on every attempt is a poison event.
injected_faults_are_retried() {
  variant inject '{backoff: "none"}' || return 1
  run inject VP_FAULT=segv@1000/1,abort@2000,exit@3000/1
  cat "$work/inject.trace"
  status_is inject 0 || return 1
  once inject error crash --expect=2001:crash:2 || return 1
  grep -q '"message":"signal SIGABRT"' "$work/inject.dlq" || return 1
  [ "$(count_actions inject failure crash)" -eq 4 ] || return 1
  [ "$(count_actions inject retry)" -eq 3 ] || return 1
  [ "$(grep -c '"delay_ns":0}' "$work/inject.trace")" -eq 4 ]
}

# Orders 20001..24000 fail with Err; with count_errors the breaker of each
# slot opens, rejects (circuit_open), half-opens and closes again.
breaker_opens_half_opens_and_closes() {
  variant breaker '{circuit_breaker: {failure_threshold: 5, timeout: 100ms, half_open_requests: 3, count_errors: true}}' \
    'if o.order_id > 20000 and o.order_id <= 24000:\n    return Err("sick")' \
    || return 1
  run breaker
  grep '"action":"breaker"' "$work/breaker.trace"
  status_is breaker 0 || return 1
  once breaker error circuit_open --sick=20001-24000 --some=circuit_open ||
    return 1
  [ "$(count_actions breaker breaker_reject)" -ge 1 ] || return 1
  grep -q '"breaker_trips":[1-9]' "$work/breaker.stats" || return 1
  # Some slot goes open, then half_open, then closed, in trace order.
  python3 - "$work/breaker.trace" <<'PY'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["action"] == "breaker":
        seen.setdefault(t["worker"], []).append(t["state"])
def cycle(states):
    want = ["open", "half_open", "closed"]
    for s in states:
        if want and s == want[0]:
            want.pop(0)
    return not want
assert any(cycle(s) for s in seen.values()), seen
print("breaker states per slot:", seen)
PY
}

# max_restarts 1 with three poison events in a row: the second failure that
# calls for a counted restart escalates; the region is failed for
# restart_window (worker_failed), then restarts every slot; exit status 3.
escalates_when_restarts_exceeded() {  # POLICY
  local p=$1
  variant "esc_$p" "{restart: \"$p\", max_restarts: 1, restart_window: 100ms, backoff: \"none\"}" \
    'if o.order_id >= 5000 and o.order_id <= 5002:\n    panic("poison")' ||
    return 1
  run "esc_$p"
  cat "$work/esc_$p.trace"
  status_is "esc_$p" 3 || return 1
  once "esc_$p" error crash worker_failed --some=worker_failed || return 1
  grep -q '"escalated":true' "$work/esc_$p.stats" || return 1
  grep -q '"message":"region failed: restart limit exceeded (1 restarts within 100ms)"' \
    "$work/esc_$p.dlq" || return 1
  [ "$(count_actions "esc_$p" escalate)" -ge 1 ] || return 1
  # escalate, then one restart per slot.
  python3 - "$work/esc_$p.trace" <<'PY'
import json, sys
acts = [json.loads(l) for l in open(sys.argv[1])]
i = next(i for i, t in enumerate(acts) if t["action"] == "escalate")
after = [t["worker"] for t in acts[i + 1:i + 5] if t["action"] == "restart"]
assert sorted(after) == [0, 1, 2, 3], acts[i:i + 5]
PY
}

# restart: "never" (temporary): the first crash closes the slot for good,
# with no escalation; its events become worker_failed; exit status 0.
never_closes_the_slot() {
  variant esc_never '{restart: "never", max_restarts: 1, restart_window: 100ms}' \
    'if o.order_id == 5000:\n    panic("poison")' || return 1
  run esc_never
  cat "$work/esc_never.trace"
  status_is esc_never 0 || return 1
  once esc_never error crash worker_failed --expect=5000:crash:1 \
    --some=worker_failed || return 1
  grep -q '"escalated":false' "$work/esc_never.stats" || return 1
  [ "$(count_actions esc_never slot_closed)" -eq 1 ] || return 1
  [ "$(count_actions esc_never restart)" -eq 0 ] || return 1
  grep -q '"message":"worker [0-3] is down"' "$work/esc_never.dlq"
}

# The parent is killed: its workers notice and exit on their own.
workers_exit_when_parent_dies() {
  "$work/keyed" "$work/events.evt" -o "$work/orphan.out" --dlq "$work/orphan.dlq" \
    2>/dev/null &
  local pid=$! children=""
  # Wait for all four workers (the machine may be busy).
  for _ in $(seq 1 100); do
    children=$(pgrep -P "$pid")
    [ "$(echo "$children" | wc -w)" -ge 4 ] && break
    sleep 0.05
  done
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

# A region with keyed state (5.7): a restarted worker starts with empty
# windows, the run goes on, and its end says how many keys that emptied.
keyed_state_reset_is_reported() {
  cp tests/e2e/region_keyed_session_and_distinct/prog.vpl "$work/ks.vpl"
  "$VPC" "$work/ks.vpl" -o "$work/ks" || return 1
  VP_FAULT=segv@3/1 "$work/ks" \
    tests/e2e/region_keyed_session_and_distinct/input.evt -w 2 \
    -o "$work/ks.out" --dlq "$work/ks.dlq" 2>"$work/ks.err" || return 1
  [ "$(wc -l <"$work/ks.out")" -eq 3 ] || return 1
  grep -q "keys reset by worker restarts: 1" "$work/ks.err"
}

python3 tests/gen_events.py 200000 >"$work/events.evt"
if ! "$VPC" tests/fault/keyed.vpl -o "$work/keyed"; then
  echo "FAIL fault: cannot build tests/fault/keyed.vpl"
  exit 1
fi
check "kill -9 of workers loses nothing" kill_workers_during_run
check "SIGSTOP of a worker is caught by the health check" \
  sigstop_caught_by_health_check
check "an endless loop on one event is a timeout" endless_loop_is_a_timeout
check "a panic on one event is a poison event" panic_is_a_poison_event
check "injected SIGSEGV, abort and exit are retried" \
  injected_faults_are_retried
check "the breaker opens, half-opens and closes" \
  breaker_opens_half_opens_and_closes
check "always: max_restarts exceeded escalates" \
  escalates_when_restarts_exceeded always
check "on_failure: max_restarts exceeded escalates" \
  escalates_when_restarts_exceeded on_failure
check "never: a failure closes the slot" never_closes_the_slot
check "workers exit when the parent dies" workers_exit_when_parent_dies
check "a restart empties keyed state and says so" \
  keyed_state_reset_is_reported
report
