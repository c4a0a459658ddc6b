#!/usr/bin/env bash
# End-to-end benchmark: from a push (or an alert) to its notification arriving at a webhook sink on loopback,
# p50 and p99, for scrm-notify and for Alertmanager with group_wait 0s. N events at a fixed rate each.
#
#   bench/e2e/run.sh                          # COUNT=2000 RATE=200 ONLY="scrm-notify alertmanager"
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

COUNT=${COUNT:-2000}
RATE=${RATE:-200}
ONLY=${ONLY:-"scrm-notify alertmanager"}
OUT=${OUT:-$BENCH_DIR/out/e2e-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: >"$RESULTS"
trap stop_all EXIT
trap 'exit 130' INT TERM

for port in 18080 18090 18093; do
  require_free_port "$port"
done
machine_info >"$OUT/machine.md"

PUSHES=$BENCH_DIR/out/pushes-e2e-$COUNT.jsonl
if [[ ! -s $PUSHES ]]; then
  "$PY" "$BENCH_DIR/ingest/gen_pushes.py" --count "$COUNT" --out "$PUSHES"
fi

# start_sink NAME: a fresh webhook sink on 127.0.0.1:18090 writing $OUT/NAME-arrivals.tsv; sets SINK_PID.
start_sink() {
  start_bg sink "$OUT/$1-sink.log" "$PY" "$BENCH_DIR/lib/sink.py" 18090 "$OUT/$1-arrivals.tsv"
  SINK_PID=$BG_PID
  for _ in $(seq 50); do
    ss -ltnH "sport = :18090" | grep -q . && return 0
    sleep 0.1
  done
  echo "the sink did not start" >&2
  return 1
}

run_client() {
  timeout $((COUNT / ${RATE%.*} + 120)) "$PY" "$BENCH_DIR/e2e/client.py" "$@" --count "$COUNT" --rate "$RATE" \
    | tee -a "$RESULTS"
}

if [[ " $ONLY " == *" scrm-notify "* ]]; then
  if [[ ! -x $SCRM_BIN ]]; then
    echo "scrm-notify: $SCRM_BIN not built (run bench/setup.sh); skipped" >&2
  else
    start_sink scrm-notify
    write_scrm_config "$OUT/scrm-notify" http://127.0.0.1:18090/hook
    start_bg scrm-notify "$OUT/scrm-notify/scrm-notify.log" "$SCRM_BIN" serve --config \
      "$OUT/scrm-notify/scrm-notify.yaml"
    SCRM_PID=$BG_PID
    wait_http http://127.0.0.1:18080/readyz 60
    run_client scrm-notify http://127.0.0.1:18080 --pushes "$PUSHES" --arrivals "$OUT/scrm-notify-arrivals.tsv"
    stop_pid "$SCRM_PID"
    stop_pid "$SINK_PID"
    drop_store "$OUT/scrm-notify"
  fi
fi

if [[ " $ONLY " == *" alertmanager "* ]]; then
  start_sink alertmanager
  write_am_config "$OUT/alertmanager" http://127.0.0.1:18090/hook
  start_am "$OUT/alertmanager"
  AM_PID=$BG_PID
  wait_http http://127.0.0.1:18093/-/ready 30
  run_client alertmanager http://127.0.0.1:18093 --arrivals "$OUT/alertmanager-arrivals.tsv"
  stop_pid "$AM_PID"
  stop_pid "$SINK_PID"
fi

stop_all
{
  echo "End to end, $(date -u '+%Y-%m-%d %H:%M UTC'): $COUNT events at $RATE/s, push to webhook arrival."
  echo
  echo "| system | accepted | delivered | p50 ms | p99 ms | max ms | answer p50 / p99 ms |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  sed 's/^E2E //' "$RESULTS" | while read -r line; do
    declare -A f=()
    for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
    echo "| ${f[system]} | ${f[accepted]} | ${f[delivered]} | ${f[p50_ms]} | ${f[p99_ms]} | ${f[max_ms]}" \
      "| ${f[ack_p50_ms]} / ${f[ack_p99_ms]} |"
  done
} | tee "$OUT/results.md"
echo "raw output: $OUT" >&2
