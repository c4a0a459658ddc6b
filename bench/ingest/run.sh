#!/usr/bin/env bash
# Ingest benchmark: accepted requests per second and latency at 1, 16 and 64 connections for nginx (a static 200,
# the ceiling), scrm-notify (encrypted pushes, 200 only once durably stored) and Alertmanager (one alert per
# request), all on 127.0.0.1, in the same run. Prints a markdown table with ratios; keeps raw output in bench/out.
#
#   bench/ingest/run.sh                       # DURATION=10 WARMUP=3 CONNS="1 16 64" FILL=100000 POOL=400000
#
# Every push to scrm-notify is a booking it has not seen, so that its rule sends a notification for each, as
# Alertmanager sends one for each alert: the runs against one daemon share a cursor into the push file
# (push.lua), and a run that reaches the file's end says how many bookings it repeated.
#   ONLY="nginx alertmanager" bench/ingest/run.sh
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-"1 16 64"}
FILL=${FILL:-100000}
POOL=${POOL:-400000}
ONLY=${ONLY:-"nginx scrm-notify alertmanager"}  # also: scrm-notify-norules
OUT=${OUT:-$BENCH_DIR/out/ingest-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: >"$RESULTS"
trap stop_all EXIT
trap 'exit 130' INT TERM

for port in 18080 18081 18091 18093; do
  require_free_port "$port"
done
machine_info >"$OUT/machine.md"

push_pool "$POOL"

threads_for() { if (($1 < 2)); then echo 1; else echo 2; fi; }

# bench_wrk SERVER LABEL CONNS SECONDS SCRIPT URL ARGS...: one wrk run; appends its BENCH line to RESULTS and
# sets LAST_OK to the number of 200 answers. TOP_PID, when set, gets a per-thread CPU snapshot half-way.
bench_wrk() {
  local server=$1 label=$2 conns=$3 secs=$4 script=$5 url=$6
  shift 6
  local log=$OUT/wrk-$server-$label.txt line top= repeated
  if [[ -n ${TOP_PID:-} ]]; then
    (sleep $((secs / 2)) && top -H -b -n 1 -p "$TOP_PID" | head -30 >"$OUT/top-$server-$label.txt") &
    top=$!
  fi
  timeout $((secs + 60)) wrk "-t$(threads_for "$conns")" "-c$conns" "-d${secs}s" --latency --timeout 10s \
    -s "$script" "$url" -- "$@" >"$log" 2>&1 || true
  [[ -n $top ]] && wait "$top" 2>/dev/null || true
  line=$(grep '^BENCH ' "$log" || true)
  if [[ -z $line ]]; then
    echo "wrk gave no result for $server $label:" >&2
    cat "$log" >&2
    return 1
  fi
  repeated=$(sed -n 's/^BENCH-REPEATED //p' "$log")
  echo "run server=$server label=$label conns=$conns ${line#BENCH } repeated=${repeated:-0}" >>"$RESULTS"
  grep '^BENCH-FIRST-ERROR' "$log" >&2 || true
  LAST_OK=$(sed -n 's/.* ok=\([0-9]*\) .*/\1/p' <<<"$line")
  echo "  $server c=$conns: ${line#BENCH }" >&2
}

# measure SERVER URL PID SCRIPT ARGS-BEFORE-TAG...: warm-up, then one run per connection count; sets TOTAL_OK.
measure() {
  local server=$1 url=$2 pid=$3 script=$4 c
  shift 4
  TOTAL_OK=0
  TOP_PID=
  bench_wrk "$server" warmup 16 "$WARMUP" "$script" "$url" "$@" "$(tag "$server" warm)" 2 ${PUSH_PATH:-} \
    ${PUSH_CURSOR:-}
  TOTAL_OK=$((TOTAL_OK + LAST_OK))
  for c in $CONNS; do
    TOP_PID=$pid
    bench_wrk "$server" "c$c" "$c" "$DURATION" "$script" "$url" "$@" "$(tag "$server" "c$c")" \
      "$(threads_for "$c")" ${PUSH_PATH:-} ${PUSH_CURSOR:-}
    TOTAL_OK=$((TOTAL_OK + LAST_OK))
  done
  TOP_PID=
}

RUN_ID=$(date +%s)
tag() { echo "$RUN_ID$1$2"; }

record_rss() {
  local server=$1 label=$2 count=$3
  shift 3
  echo "rss server=$server label=$label kb=$(rss_kb "$@") requests=$count" >>"$RESULTS"
}

# nginx also serves the webhook sink (port 18091) for the two daemons below, so it runs throughout.
NGINX_DIR=$OUT/nginx
mkdir -p "$NGINX_DIR"
sed "s#@DIR@#$NGINX_DIR#g" "$BENCH_DIR/ingest/nginx.conf.in" >"$NGINX_DIR/nginx.conf"
start_bg nginx "$NGINX_DIR/stdout.log" nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
  -g "daemon off;"
NGINX_PID=$BG_PID
wait_http http://127.0.0.1:18081/ 10
wait_http http://127.0.0.1:18091/ 10

if [[ " $ONLY " == *" nginx "* ]]; then
  echo "nginx: static 200" >&2
  # The same encrypted bodies as scrm-notify gets, so both read the same bytes.
  PUSH_PATH=/callback measure nginx http://127.0.0.1:18081 "$NGINX_PID" "$BENCH_DIR/ingest/push.lua" "$PUSHES"
  record_rss nginx after-runs "$TOTAL_OK" "$NGINX_PID" $(pgrep -P "$NGINX_PID")
fi

# record_backlog NAME LABEL DIR: how many stored pushes the planner has not planned yet (read-only look at the
# store; diagnostic only, skipped when sqlite3 is missing or the schema differs).
record_backlog() {
  local row stored unplanned sent
  row=$(sqlite3 -readonly "$3/data/scrm-notify.sqlite" \
    "SELECT (SELECT count(*) FROM inbox) || ' ' || (SELECT count(*) FROM unplanned) || ' ' ||
      (SELECT count(*) FROM jobs WHERE state = 'sent')" 2>/dev/null) || return 0
  read -r stored unplanned sent <<<"$row"
  echo "backlog server=$1 label=$2 stored=$stored unplanned=$unplanned sent=$sent" >>"$RESULTS"
}

# run_scrm NAME RULES: one scrm-notify measurement; RULES=none leaves the rules folder empty, so the run shows
# ingest alone (decrypt, decode, grouped commit) without planning and delivery sharing the writer.
run_scrm() {
  local name=$1 rules=$2 round
  if [[ ! -x $SCRM_BIN ]]; then
    echo "$name: $SCRM_BIN not built (run bench/setup.sh); skipped" >&2
    return 0
  fi
  echo "$name: encrypted pushes" >&2
  local dir=$OUT/$name
  write_scrm_config "$dir" http://127.0.0.1:18091/hook
  [[ $rules == none ]] && rm -f "$dir/rules/"*.yaml
  start_bg "$name" "$dir/scrm-notify.log" "$SCRM_BIN" serve --config "$dir/scrm-notify.yaml"
  local pid=$BG_PID
  wait_http http://127.0.0.1:18080/readyz 60
  PUSH_PATH=/callback PUSH_CURSOR=$dir/cursor measure "$name" http://127.0.0.1:18080 "$pid" \
    "$BENCH_DIR/ingest/push.lua" "$PUSHES"
  record_rss "$name" after-runs "$TOTAL_OK" "$pid"
  record_backlog "$name" after-runs "$dir"
  if [[ $rules != none ]]; then
    # Top up to FILL accepted pushes in 5-second rounds, at most 40 of them.
    for round in $(seq 40); do
      ((TOTAL_OK < FILL)) || break
      bench_wrk "$name" "fill$round" 64 5 "$BENCH_DIR/ingest/push.lua" http://127.0.0.1:18080 "$PUSHES" \
        "$(tag "$name" "fill$round")" 2 /callback "$dir/cursor"
      TOTAL_OK=$((TOTAL_OK + LAST_OK))
    done
    record_rss "$name" after-fill "$TOTAL_OK" "$pid"
    record_backlog "$name" after-fill "$dir"
  fi
  sleep 5
  record_rss "$name" "5s-later" "$TOTAL_OK" "$pid"
  curl -s --max-time 5 http://127.0.0.1:18080/metrics >"$dir/metrics.txt" || true
  stop_pid "$pid"
  drop_store "$dir"
}

if [[ " $ONLY " == *" scrm-notify "* ]]; then
  run_scrm scrm-notify one-rule
fi
if [[ " $ONLY " == *" scrm-notify-norules "* ]]; then
  run_scrm scrm-notify-norules none
fi

if [[ " $ONLY " == *" alertmanager "* ]]; then
  echo "alertmanager: alerts to a webhook receiver" >&2
  AM_DIR=$OUT/alertmanager
  write_am_config "$AM_DIR" http://127.0.0.1:18091/hook
  start_am "$AM_DIR"
  AM_PID=$BG_PID
  wait_http http://127.0.0.1:18093/-/ready 30
  PUSH_PATH= measure alertmanager http://127.0.0.1:18093 "$AM_PID" "$BENCH_DIR/ingest/alerts.lua"
  record_rss alertmanager after-runs "$TOTAL_OK" "$AM_PID"
  sleep 5
  record_rss alertmanager 5s-later "$TOTAL_OK" "$AM_PID"
  stop_pid "$AM_PID"
fi

stop_all
"$PY" "$BENCH_DIR/lib/table.py" "$RESULTS" "$OUT/machine.md" | tee "$OUT/results.md"
echo "raw output: $OUT" >&2
