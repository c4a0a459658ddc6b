#!/usr/bin/env bash
# Sustained benchmark: what a push costs from the request to its notification at the sink, not only until the
# answer. wrk pushes at CONNS connections for DURATION seconds, then the script waits until every notification
# has been sent, and reports the accepted rate, the rate from the first push to the last notification, the
# daemon's CPU time, context switches and bytes written per push, and its peak resident memory (VmHWM).
# Comparing builds: BIN=path/to/scrm-notify.
#
#   bench/ingest/sustained.sh                 # DURATION=20 CONNS=64 RUNS=1 POOL=400000
#   CONNS=8 RUNS=3 BIN=/tmp/old/scrm-notify bench/ingest/sustained.sh
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

DURATION=${DURATION:-20}
CONNS=${CONNS:-64}
RUNS=${RUNS:-1}
POOL=${POOL:-400000}
BIN=${BIN:-$SCRM_BIN}
OUT=${OUT:-$BENCH_DIR/out/sustained-$(date +%Y%m%d-%H%M%S)}
push_run_setup "$OUT" "$POOL"

# cpu_ticks PID / switches PID / written PID: the process's user+system clock ticks; its threads' context
# switches; the bytes it has passed to write calls (the log, the store, sockets).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
written() { awk '/^wchar:/ {print $2}' "/proc/$1/io"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

for run in $(seq "$RUNS"); do
  dir=$OUT/run$run
  write_scrm_config "$dir" http://127.0.0.1:18091/hook
  start_bg scrm-notify "$dir/scrm-notify.log" "$BIN" serve --config "$dir/scrm-notify.yaml"
  pid=$BG_PID
  wait_http http://127.0.0.1:18080/readyz 60
  db=$dir/data/scrm-notify.sqlite
  query() { sqlite3 -readonly "$db" "$1" 2>/dev/null || echo 0; }
  unsent() { query "SELECT count(*) FROM jobs WHERE state <> 'sent'"; }
  # wait_sent SECONDS: until every job is sent; the time it took, or fails after SECONDS.
  wait_sent() {
    local i
    for i in $(seq $(($1 * 10))); do
      [[ $(unsent) == 0 ]] && return 0
      sleep 0.1
    done
    echo "not all notifications sent after $1 s: $(unsent) left" >&2
    return 1
  }

  # A warm-up, drained, so that the measured run starts from an idle daemon with warm caches.
  # The warm-up and the run share a cursor into the push file, so that every push is a booking the store has not
  # seen and makes the rule send (push.lua).
  cursor=$dir/cursor
  wrk -t2 -c64 -d2s -s "$BENCH_DIR/ingest/push.lua" http://127.0.0.1:18080 -- "$PUSHES" "$RANDOM-warm" 2 \
    /callback "$cursor" >/dev/null
  wait_sent 60
  stored0=$(query "SELECT count(*) FROM inbox")
  sent0=$(query "SELECT count(*) FROM jobs WHERE state = 'sent'")
  cpu0=$(cpu_ticks "$pid")
  switches0=$(switches "$pid")
  written0=$(written "$pid")
  start=$(date +%s.%N)
  # wrk needs a connection for each thread.
  threads=$((CONNS < 2 ? 1 : 2))
  wrk "-t$threads" "-c$CONNS" "-d${DURATION}s" --latency --timeout 10s -s "$BENCH_DIR/ingest/push.lua" \
    http://127.0.0.1:18080 -- "$PUSHES" "$RANDOM-run$run" "$threads" /callback "$cursor" >"$dir/wrk.txt"
  grep '^BENCH-REPEATED' "$dir/wrk.txt" >&2 || true
  unplanned=$(query "SELECT count(*) FROM unplanned")
  wait_sent 300
  end=$(date +%s.%N)
  cpu1=$(cpu_ticks "$pid")
  switches1=$(switches "$pid")
  written1=$(written "$pid")
  peak_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  pushes=$(($(query "SELECT count(*) FROM inbox") - stored0))
  sent=$(($(query "SELECT count(*) FROM jobs WHERE state = 'sent'") - sent0))
  line=$(grep '^BENCH ' "$dir/wrk.txt")
  "$PY" - "$line" "$pushes" "$start" "$end" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$((switches1 - switches0))" \
    "$unplanned" "$CONNS" "$((written1 - written0))" "$peak_kb" "$sent" <<'PY' | tee -a "$OUT/results.txt"
import sys
line, pushes, start, end, ticks, hz, switches, unplanned, conns, written, peak_kb, sent = sys.argv[1:]
fields = dict(part.split("=", 1) for part in line.split()[1:])
pushes = int(pushes)
span = float(end) - float(start)
print(
    f"conns={conns} accepted_per_s={float(fields['ok_per_s']):.0f} p50_ms={fields['p50_ms']} "
    f"p99_ms={fields['p99_ms']} unplanned_at_end={unplanned} pushes={pushes} sent={sent} "
    f"pushed_to_all_sent_s={span:.1f} sustained_per_s={pushes / span:.0f} "
    f"cpu_us_per_push={int(ticks) / int(hz) * 1e6 / pushes:.0f} switches_per_push={int(switches) / pushes:.2f} "
    f"written_kb_per_push={int(written) / 1024 / pushes:.1f} peak_resident_mb={int(peak_kb) / 1024:.0f}"
)
PY
  stop_pid "$pid"
  drop_store "$dir"
done
echo "raw output: $OUT" >&2
