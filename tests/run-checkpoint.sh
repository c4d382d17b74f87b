#!/usr/bin/env bash
# Checkpoint tests (LANGUAGE.md 7.3): a stateful pipeline in a region of
# four workers (tests/fault/exactly_once.vpl) and one without regions
# (tests/fault/sequential.vpl) are killed with SIGKILL at random moments,
# or lose workers in the middle of checkpoints, or are stopped with
# SIGTERM, and restarted with the same checkpoint directory; the final
# outputs must be byte for byte those of a run that was never interrupted.
# Damaged, foreign and mismatched checkpoints must stop the run with a
# clear message.
suite=checkpoint
. "$(dirname "$0")/lib.sh"

RANDOM=7  # the same kill moments on every run of the suite

# run PROG NAME [OPTIONS...]: runs $work/PROG on its events, writing
# $work/NAME.{out,dlq,err,rc}, with checkpoints in $work/NAME.ckpt.
run() {
  local prog=$1 name=$2
  shift 2
  (cd "$work" && exec timeout 300 "./$prog" "$prog.evt" -o "$name.out" \
    --dlq "$name.dlq" --checkpoint-dir "$name.ckpt" --stats "$name.stats" \
    "$@") 2>>"$work/$name.err"
  echo $? >"$work/$name.rc"
}

same_file() {  # same_file A B: equal, or both absent
  if [ -e "$1" ] || [ -e "$2" ]; then cmp "$1" "$2"; fi
}

# same_outputs NAME REFERENCE: the same outputs and dead letters, and the
# same counts of records, of each stream's fates and of each .tap in
# --stats.
same_outputs() {
  same_file "$work/$1.out" "$work/$2.out" &&
    same_file "$work/$1.dlq" "$work/$2.dlq" || return 1
  python3 - "$work/$1.stats" "$work/$2.stats" <<'PY'
import json, sys
def counts(path):
    s = json.load(open(path))
    return {k: s[k] for k in ("records", "emitted", "dead_lettered",
                              "streams", "taps")}
a, b = (counts(p) for p in sys.argv[1:3])
if a != b:
    sys.exit("counts differ:\n%s\n%s" % (a, b))
PY
}

# fresh_sink: the sequential pipeline's file sink as each of its runs
# finds it; it appends.
fresh_sink() {
  echo '{"before":"the run"}' >"$work/audit.jsonl"
}

# kill_loop PROG NAME KILLS EVERY [OPTION...]: runs PROG with checkpoints
# every EVERY records (and the options) and kills it with SIGKILL after a
# random part of the time an uninterrupted run takes, KILLS times, then
# lets it finish.
kill_loop() {
  local prog=$1 name=$2 kills=$3 every=$4
  shift 4
  local t0 t1 ms landed=0 tries=0
  t0=$(date +%s%N)
  run "$prog" "$name.timing" --checkpoint-every "$every" "$@"
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  echo "an uninterrupted run takes $ms ms"
  fresh_sink
  while [ "$landed" -lt "$kills" ] && [ "$tries" -lt $((kills * 5)) ]; do
    tries=$((tries + 1))
    (cd "$work" && exec "./$prog" "$prog.evt" -o "$name.out" \
      --dlq "$name.dlq" --checkpoint-dir "$name.ckpt" \
      --checkpoint-every "$every" "$@") 2>>"$work/$name.err" &
    local pid=$!
    local delay=$((ms / 30 + RANDOM % (ms / 8 + 1)))
    sleep "$(printf '0.%03d' "$delay")"
    if kill -9 "$pid" 2>/dev/null; then
      landed=$((landed + 1))
      wait "$pid"
      echo "kill $landed after $delay ms: $(wc -c <"$work/$name.out") bytes out"
    else
      local rc=0
      wait "$pid" || rc=$?
      if [ "$rc" -ne 0 ]; then
        echo "a run failed before the kill (exit status $rc)"
        cat "$work/$name.err"
        return 1
      fi
      echo "the run ended before the kill: starting over"
      rm -rf "$work/$name.ckpt"
      fresh_sink
    fi
  done
  [ "$landed" -eq "$kills" ] || { echo "only $landed kills landed"; return 1; }
  run "$prog" "$name" --checkpoint-every "$every" "$@"
  [ "$(cat "$work/$name.rc")" -eq 0 ] || { cat "$work/$name.err"; return 1; }
}

region_survives_kills() {
  kill_loop eo eo_kill 10 50000 || return 1
  same_outputs eo_kill eo_ref
}

sequential_survives_kills() {
  kill_loop seq seq_kill 10 5000 || return 1
  same_outputs seq_kill seq_ref && cmp "$work/audit.jsonl" "$work/seq_ref.audit"
}

# Windows left open at the end of input are released too: a folding
# window then keeps each window's last event, and checkpoints save it.
# The kills fall early in the run, so later events mostly replace the
# kept ones; tests/unit/test_ckpt.c saves and loads them at every point.
sequential_flushed_survives_kills() {
  kill_loop seq seq_flush 5 5000 --flush-windows-at-eof || return 1
  same_outputs seq_flush seq_flush_ref
}

# Every worker crashes on every checkpoint barrier once: the new worker
# loads the last checkpoint's state, replays the events since, and saves.
worker_crash_in_checkpoint() {
  VP_FAULT=segv@checkpoint/1 run eo eo_crash --checkpoint-every 50000 ||
    return 1
  cat "$work/eo_crash.stats"
  [ "$(cat "$work/eo_crash.rc")" -eq 0 ] || return 1
  grep -q '"restarts":88,' "$work/eo_crash.stats" || return 1
  same_outputs eo_crash eo_ref
}

# Workers killed from outside while checkpoints are frequent.
workers_killed_from_outside() {
  (cd "$work" && exec ./eo eo.evt -o eo_wk.out --dlq eo_wk.dlq \
    --checkpoint-dir eo_wk.ckpt --checkpoint-every 20000 \
    --stats eo_wk.stats) 2>"$work/eo_wk.err" &
  local pid=$! kills=0 victim
  for _ in $(seq 1 100); do
    sleep 0.01
    victim=$(pgrep -P "$pid" | shuf -n 1 2>/dev/null)
    if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
      kills=$((kills + 1))
      [ "$kills" -ge 6 ] && break
    fi
  done
  wait "$pid" || return 1
  echo "killed $kills workers"
  [ "$kills" -ge 1 ] || return 1
  cmp "$work/eo_wk.out" "$work/eo_ref.out" || return 1
  # An event whose worker died under it ran again: its dead letter, if it
  # has one, says attempt 2. Nothing else may differ.
  python3 - "$work/eo_wk.dlq" "$work/eo_ref.dlq" <<'PY'
import json, sys
def letters(path):
    out = []
    for line in open(path):
        d = json.loads(line)
        d.pop("attempt")
        out.append(d)
    return out
a, b = (letters(p) for p in sys.argv[1:3])
if a != b:
    sys.exit("dead letters differ beyond their attempt numbers")
PY
}

# stop_midway NAME: starts the region pipeline with checkpoints in
# NAME.ckpt and stops it with SIGTERM once its first output is on disk,
# well before its end; the exit status goes to NAME.rc.
stop_midway() {
  (cd "$work" && exec ./eo eo.evt -o "$1.out" --dlq "$1.dlq" \
    --checkpoint-dir "$1.ckpt") 2>"$work/$1.err" &
  local pid=$!
  for _ in $(seq 1 500); do
    [ -s "$work/$1.out" ] && break
    sleep 0.01
  done
  kill -TERM "$pid"
  wait "$pid"
  echo $? >"$work/$1.rc"
}

# SIGTERM: a last checkpoint, exit status 2, then a clean resume.
sigterm_then_resume() {
  stop_midway eo_term
  cat "$work/eo_term.err"
  [ "$(cat "$work/eo_term.rc")" -eq 2 ] || return 1
  grep -q "stopped signal=SIGTERM" "$work/eo_term.err" || return 1
  local cut
  cut=$(wc -l <"$work/eo_term.out")
  echo "$cut records before the stop"
  [ "$cut" -gt 0 ] && [ "$cut" -lt "$(wc -l <"$work/eo_ref.out")" ] || return 1
  run eo eo_term
  [ "$(cat "$work/eo_term.rc")" -eq 0 ] && same_outputs eo_term eo_ref
}

# expect_fatal NAME MESSAGE: the last run of NAME failed with exit status 1
# and said MESSAGE.
expect_fatal() {
  cat "$work/$1.err"
  [ "$(cat "$work/$1.rc")" -eq 1 ] && grep -qF -- "$2" "$work/$1.err"
}

# A checkpoint the region pipeline took when SIGTERM stopped it, with its
# outputs NAME.out and NAME.dlq.
make_checkpoint() {  # make_checkpoint NAME
  stop_midway "$1"
  [ "$(cat "$work/$1.rc")" -eq 2 ] || echo "the run to stop midway ended"
}

damaged_checkpoints_are_refused() {
  make_checkpoint flip
  local f="$work/flip.ckpt/checkpoint" size
  size=$(stat -c %s "$f")
  printf '\x5a' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
  run eo flip
  expect_fatal flip "flip.ckpt/checkpoint is corrupt (checksum mismatch)" ||
    return 1
  make_checkpoint cut
  size=$(stat -c %s "$work/cut.ckpt/checkpoint")
  truncate -s $((size - 100)) "$work/cut.ckpt/checkpoint"
  run eo cut
  expect_fatal cut "cut.ckpt/checkpoint is truncated or damaged ($((size - 100)) bytes, expected $size)" ||
    return 1
  make_checkpoint junk
  echo "not a checkpoint" >"$work/junk.ckpt/checkpoint"
  run eo junk
  expect_fatal junk "junk.ckpt/checkpoint is not a vpc checkpoint" || return 1
  # The sequential program's checkpoint, read by the region program.
  mkdir -p "$work/foreign.ckpt"
  cp "$work/seq_kill.ckpt/checkpoint" "$work/foreign.ckpt/checkpoint"
  run eo foreign
  expect_fatal foreign "foreign.ckpt/checkpoint was written by another program" ||
    return 1
  # --reset-checkpoint starts over from a damaged one.
  make_checkpoint reset
  printf '\x00' | dd of="$work/reset.ckpt/checkpoint" bs=1 seek=30 \
    conv=notrunc 2>/dev/null
  run eo reset --reset-checkpoint
  [ "$(cat "$work/reset.rc")" -eq 0 ] && same_outputs reset eo_ref
}

mismatches_are_refused() {
  make_checkpoint grown
  cp "$work/eo.evt" "$work/eo.evt.keep"
  echo 'Order { order_id: 0, customer_id: "C1", quantity: 1, price: 1.0 }' \
    >>"$work/eo.evt"
  run eo grown
  mv "$work/eo.evt.keep" "$work/eo.evt"
  expect_fatal grown "input eo.evt changed" || return 1
  make_checkpoint workers
  run eo workers -w 3
  expect_fatal workers "the region of stream Windows had 4 workers, this run has 3" ||
    return 1
  make_checkpoint short
  truncate -s 10 "$work/short.out"
  run eo short
  expect_fatal short "cannot resume short.out: the file is shorter than the" ||
    return 1
  (cd "$work" && ./eo --checkpoint-dir stdin.ckpt <eo.evt) 2>"$work/stdin.err"
  local rc=$?
  cat "$work/stdin.err"
  [ "$rc" -eq 64 ] || return 1
  grep -q "checkpoint-dir needs inputs that are regular files; standard input is not" \
    "$work/stdin.err" || return 1
  (cd "$work" && ./eo --checkpoint-dir fifo.ckpt <(cat eo.evt)) \
    2>"$work/fifo.err"
  rc=$?
  cat "$work/fifo.err"
  [ "$rc" -eq 64 ] && grep -q "/dev/fd/.* is not" "$work/fifo.err"
}

finished_run_is_not_run_again() {
  run eo done_twice
  run eo done_twice
  [ "$(cat "$work/done_twice.rc")" -eq 0 ] || return 1
  grep -q "is of a finished run over these inputs: nothing to do" "$work/done_twice.err" &&
    same_outputs done_twice eo_ref
}

# Round robin goes on from where it was: the same worker takes each event.
round_robin_position_survives() {
  kill_loop rr rr_kill 5 5000 --deterministic || return 1
  same_outputs rr_kill rr_ref
}

# A connector that is only a source is read, never opened for writing: a
# resume neither cuts it back nor misses what was appended to it.
source_connector_is_only_read() {
  cp "$work/extra.evt" "$work/extra.keep"
  (cd "$work" && exec ./seq seq.evt -o src.out --dlq src.dlq \
    --checkpoint-dir src.ckpt --checkpoint-every 500) 2>"$work/src.err" &
  local pid=$!
  sleep 0.05
  kill -9 "$pid"
  wait "$pid"
  echo 'Order { order_id: 424242, customer_id: "C1", quantity: 1, price: 1.0 }' \
    >>"$work/extra.evt"
  run seq src --checkpoint-every 500
  local rc lines
  rc=$(cat "$work/src.rc")
  lines=$(wc -l <"$work/extra.evt")
  mv "$work/extra.keep" "$work/extra.evt"
  cat "$work/src.err"
  [ "$rc" -eq 0 ] && [ "$lines" -eq 100001 ]
}

another_output_is_refused() {
  make_checkpoint other
  (cd "$work" && timeout 60 ./eo eo.evt -o other.jsonl --dlq other.dlq \
    --checkpoint-dir other.ckpt) 2>"$work/other.err"
  echo $? >"$work/other.rc"
  expect_fatal other "its output was other.out, not other.jsonl" || return 1
  make_checkpoint ids
  run eo ids --record-ids
  expect_fatal ids "it was taken with another --record-ids"
}

finished_run_with_changed_input_is_refused() {
  run eo fin
  cp "$work/eo.evt" "$work/eo.evt.keep"
  echo 'Order { order_id: 0, customer_id: "C1", quantity: 1, price: 1.0 }' \
    >>"$work/eo.evt"
  run eo fin
  mv "$work/eo.evt.keep" "$work/eo.evt"
  expect_fatal fin "input eo.evt changed"
}

one_run_per_directory() {
  # Frequent checkpoints keep the first run going for seconds.
  (cd "$work" && exec ./eo eo.evt -o lock1.out --dlq lock1.dlq \
    --checkpoint-dir lock.ckpt --checkpoint-every 1000) 2>"$work/lock1.err" &
  local pid=$!
  for _ in $(seq 1 500); do
    [ -s "$work/lock1.out" ] && break
    sleep 0.01
  done
  (cd "$work" && timeout 60 ./eo eo.evt -o lock2.out --dlq lock2.dlq \
    --checkpoint-dir lock.ckpt) 2>"$work/lock2.err"
  echo $? >"$work/lock2.rc"
  wait "$pid" || return 1
  expect_fatal lock2 "checkpoint directory lock.ckpt is in use by another run"
}

build() {  # build PROG VPL
  "$VPC" "tests/fault/$2" -o "$work/$1" || {
    echo "FAIL $suite: cannot build tests/fault/$2"
    exit 1
  }
}

build eo exactly_once.vpl
build seq sequential.vpl
build rr round_robin.vpl
python3 tests/gen_events.py 1000000 >"$work/eo.evt"
head -100000 "$work/eo.evt" >"$work/seq.evt"
sed -n 100001,200000p "$work/eo.evt" >"$work/extra.evt"
(cd "$work" && ./eo eo.evt -o eo_ref.out --dlq eo_ref.dlq \
  --stats eo_ref.stats 2>/dev/null)
fresh_sink
(cd "$work" && ./seq seq.evt -o seq_ref.out --dlq seq_ref.dlq \
  --stats seq_ref.stats 2>/dev/null)
cp "$work/audit.jsonl" "$work/seq_ref.audit"
fresh_sink
(cd "$work" && ./seq seq.evt -o seq_flush_ref.out --dlq seq_flush_ref.dlq \
  --stats seq_flush_ref.stats --flush-windows-at-eof 2>/dev/null)
head -50000 "$work/eo.evt" >"$work/rr.evt"  # --deterministic is slow
(cd "$work" && ./rr rr.evt -o rr_ref.out --dlq rr_ref.dlq --deterministic \
  --stats rr_ref.stats 2>/dev/null)
check "SIGKILL of the region pipeline at 10 moments" region_survives_kills
check "SIGKILL of the sequential pipeline at 10 moments" \
  sequential_survives_kills
check "SIGKILL of the sequential pipeline flushing its windows at 5 moments" \
  sequential_flushed_survives_kills
check "every worker crashes in every checkpoint" worker_crash_in_checkpoint
check "workers killed while checkpoints are frequent" \
  workers_killed_from_outside
check "SIGTERM takes a last checkpoint, then the run resumes" \
  sigterm_then_resume
check "damaged and foreign checkpoints are refused" \
  damaged_checkpoints_are_refused
check "changed inputs, worker counts and outputs are refused" \
  mismatches_are_refused
check "a finished run is not run again" finished_run_is_not_run_again
check "round robin goes on from where it was" round_robin_position_survives
check "a connector source is read, never cut back" \
  source_connector_is_only_read
check "another output path or --record-ids is refused" \
  another_output_is_refused
check "a finished run over a changed input is refused" \
  finished_run_with_changed_input_is_refused
check "one run at a time per checkpoint directory" one_run_per_directory
report
