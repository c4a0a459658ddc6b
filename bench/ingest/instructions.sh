#!/usr/bin/env bash
# Instructions per push for the whole daemon, every thread, counted by callgrind: from the encrypted request to
# the notification at the sink. Wall-clock runs on this machine vary by 10-30 %, which hides a change worth a few
# per cent; instruction counts move by well under 1 % between runs of one build. The daemon runs under valgrind
# (about 50 times slower, its threads taking turns), so the load is small: CONNS connections for DURATION
# seconds after a warm-up, then the counters are dumped once every notification has been sent.
# Comparing builds: BIN=path/to/scrm-notify. Needs valgrind (Debian's package).
#
#   bench/ingest/instructions.sh                  # DURATION=20 CONNS=8
#   BIN=/tmp/old/scrm-notify bench/ingest/instructions.sh
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

DURATION=${DURATION:-20}
CONNS=${CONNS:-8}
POOL=${POOL:-400000}
BIN=${BIN:-$SCRM_BIN}
OUT=${OUT:-$BENCH_DIR/out/instructions-$(date +%Y%m%d-%H%M%S)}
push_run_setup "$OUT" "$POOL"

dir=$OUT/run
write_scrm_config "$dir" http://127.0.0.1:18091/hook
# Counting starts only after the warm-up (callgrind_control -i on), so start-up and first-use costs stay out.
# (Zeroing the counters with -z instead left each function's own cost charged to the thread's first frame.)
start_bg scrm-notify "$dir/scrm-notify.log" valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
  --instr-atstart=no "$BIN" serve --config "$dir/scrm-notify.yaml"
pid=$BG_PID
wait_http http://127.0.0.1:18080/readyz 120
db=$dir/data/scrm-notify.sqlite
query() { sqlite3 -readonly "$db" "$1" 2>/dev/null || echo 0; }
wait_sent() {
  local i
  for i in $(seq $(($1 * 10))); do
    [[ $(query "SELECT count(*) FROM jobs WHERE state <> 'sent'") == 0 ]] && return 0
    sleep 0.1
  done
  echo "not all notifications sent after $1 s" >&2
  return 1
}

cursor=$dir/cursor
threads=$((CONNS < 2 ? 1 : 2))
wrk "-t$threads" "-c$CONNS" -d3s --timeout 10s -s "$BENCH_DIR/ingest/push.lua" http://127.0.0.1:18080 -- \
  "$PUSHES" "$RANDOM-warm" "$threads" /callback "$cursor" >/dev/null
wait_sent 120
callgrind_control -i on "$pid" >/dev/null || true
stored0=$(query "SELECT count(*) FROM inbox")
sent0=$(query "SELECT count(*) FROM jobs WHERE state = 'sent'")
wrk "-t$threads" "-c$CONNS" "-d${DURATION}s" --timeout 10s -s "$BENCH_DIR/ingest/push.lua" \
  http://127.0.0.1:18080 -- "$PUSHES" "$RANDOM-run" "$threads" /callback "$cursor" >"$OUT/wrk.txt"
wait_sent 300
callgrind_control -d "$pid" >/dev/null || true
pushes=$(($(query "SELECT count(*) FROM inbox") - stored0))
sent=$(($(query "SELECT count(*) FROM jobs WHERE state = 'sent'") - sent0))
stop_pid "$pid"
# The dump taken after the run is part 1; the file written at exit holds only the shutdown.
dump=$OUT/callgrind.out.1
total=$(awk '/^summary:/ {print $2}' "$dump")
echo "conns=$CONNS pushes=$pushes sent=$sent instructions=$total" \
  "instructions_per_push=$((total / pushes))" | tee "$OUT/results.txt"
echo "callgrind file: $dump (callgrind_annotate it for the functions)" >&2
drop_store "$dir"
