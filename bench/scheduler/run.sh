#!/usr/bin/env bash
# Scheduler benchmark: a store with TOTAL planned reminders (DUE of them falling due over SPREAD seconds), the
# release daemon started on it; measures time to /readyz, resident memory and lateness at a loopback webhook sink.
# Everything runs on 127.0.0.1 in a temporary folder that is removed on exit (KEEP=DIR copies the due list, the
# sink's log and the daemon's log there first). FIRST_BIN=path: an older build creates the store, so the start
# measured includes the migration of the filled store.
set -euo pipefail
TOTAL=${TOTAL:-1000000}
DUE=${DUE:-3000}
SPREAD=${SPREAD:-30}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${BIN:-$repo/.build/release/scrm-notify}
work=$(mktemp -d "${TMPDIR:-/tmp}/scrm-bench-sched.XXXXXX")
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "${KEEP:-}" ] && [ -d "$work" ]; then
        mkdir -p "$KEEP" && cp "$work"/{due.txt,sink.log,daemon.log} "$KEEP"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {  # PORT TIMEOUT_S: waits for /readyz = 200
    local deadline=$(( $(now_ms) + $2 * 1000 ))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz" || true)" = 200 ]; do
        [ "$(now_ms)" -lt "$deadline" ] || { echo "daemon not ready within $2 s" >&2; return 1; }
        sleep 0.01
    done
}

if [ ! -x "$bin" ]; then (cd "$repo" && swift build -c release --product scrm-notify); fi

python3 "$here/sink.py" "$work/sink.port" "$work/sink.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/sink.port" ] && break; sleep 0.05; done
sink_port=$(cat "$work/sink.port")
port=$(free_port)
mkdir -p "$work/rules" "$work/data"
cat > "$work/rules/remind.yaml" <<YAML
rules:
  - name: remind
    on: appointment.created
    when: order.order_status == 10
    at: order.arrival_time - 2h
    notify:
      - channel: hook
        body: {order: "{{ order.order_num }}"}
YAML
cat > "$work/config.yaml" <<YAML
listen: 127.0.0.1:$port
data: $work/data
rules: $work/rules
timezone: Asia/Shanghai
channels:
  hook: {type: webhook, url: "http://127.0.0.1:$sink_port/hook"}
YAML

# The daemon creates and migrates the store, so the schema is exactly the program's. With FIRST_BIN, an older
# build creates it, and the time to /readyz below includes the measured build's migration of the filled store.
"${FIRST_BIN:-$bin}" serve --config "$work/config.yaml" > "$work/migrate.log" 2>&1 &
pid=$!
pids+=($pid)
wait_ready "$port" 30
kill -TERM "$pid"
wait "$pid" || true

echo "filling $TOTAL planned jobs ($DUE due over ${SPREAD}s)..."
fill_start=$(now_ms)
python3 "$here/fill.py" "$work/data/scrm-notify.sqlite" far $((TOTAL - DUE)) "$(now_ms)"
# Flush the fill's dirty pages now: left to the kernel, their write-back would stall the daemon's first fsyncs
# and be measured as its lateness. A restarted daemon meets a store at rest.
sync
# The due jobs start 4 s after now: the daemon must be up by then.
start_ms=$(( $(now_ms) + 4000 ))
python3 "$here/fill.py" "$work/data/scrm-notify.sqlite" due "$DUE" "$start_ms" "$SPREAD" \
    "$repo/Tests/Fixtures/Events/plain-example.json" "$work/due.txt"
sync
echo "filled in $(( $(now_ms) - fill_start )) ms; store $(du -sh "$work/data" | cut -f1)"
[ "$(now_ms)" -lt "$start_ms" ] || echo "warning: the first jobs were already due before the daemon started" >&2

launched=$(now_ms)
"$bin" serve --config "$work/config.yaml" > "$work/daemon.log" 2>&1 &
pid=$!
pids+=($pid)
wait_ready "$port" 30
ready=$(( $(now_ms) - launched ))
rss_ready=$(rss_kb "$pid")

deadline=$(( start_ms + ${SPREAD%.*} * 1000 + 15000 ))
max_rss=$rss_ready
while [ "$(now_ms)" -lt "$deadline" ] && [ "$(wc -l < "$work/sink.log")" -lt "$DUE" ]; do
    r=$(rss_kb "$pid"); [ "$r" -gt "$max_rss" ] && max_rss=$r
    sleep 0.5
done
sleep 1
rss_end=$(rss_kb "$pid")
hwm=$(hwm_kb "$pid")
cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$pid/stat")
kill -TERM "$pid"
wait "$pid" || true

echo "ready (/readyz 200) after: $ready ms"
echo "RSS: after start $((rss_ready / 1024)) MB, sampled max $((max_rss / 1024)) MB, at end $((rss_end / 1024)) MB, peak (VmHWM) $((hwm / 1024)) MB"
echo "daemon CPU time (user+system): ${cpu} s"
python3 "$here/report.py" "$work/due.txt" "$work/sink.log"
echo "errors logged: $(grep -c 'level=error' "$work/daemon.log" || true)"
