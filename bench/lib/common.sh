# Shared by bench/ingest/run.sh and bench/e2e/run.sh: sourced, not run.
# Servers started through start_bg are stopped by stop_all, which the scripts run on exit.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
SCRM_BIN=${SCRM_BIN:-$REPO/.build/release/scrm-notify}
TOKEN=thisisatoken
AES_KEY=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C

BG_PIDS=()

# start_bg NAME LOGFILE CMD...: starts CMD in the background and sets BG_PID.
start_bg() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
  echo "started $name (pid $BG_PID)" >&2
}

# stop_pid PID: TERM, then KILL after 5 s; waits for it.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# drop_store DIR: deletes the store a write_scrm_config daemon left in DIR/data (hundreds of MB after a run)
# once its figures are taken; KEEP_DATA=1 keeps it for a look with sqlite3.
drop_store() {
  [[ ${KEEP_DATA:-0} == 1 ]] || rm -rf "$1/data"
}

stop_all() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    stop_pid "$pid"
  done
  BG_PIDS=()
}

# wait_http URL [SECONDS]: waits until URL answers 2xx; fails after SECONDS (default 30).
wait_http() {
  local url=$1 secs=${2:-30} i
  for i in $(seq $((secs * 10))); do
    curl -sf -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  echo "no answer from $url after ${secs}s" >&2
  return 1
}

# require_free_port PORT: fails when something already listens on 127.0.0.1:PORT.
require_free_port() {
  if ss -ltnH "sport = :$1" | grep -q .; then
    echo "port $1 is in use; stop whatever listens there first" >&2
    return 1
  fi
}

# rss_kb PID...: the summed VmRSS of the processes, in kB.
rss_kb() {
  local total=0 pid kb
  for pid in "$@"; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# start_nginx_sink DIR: nginx from ingest/nginx.conf.in with its files under DIR/nginx, the webhook sink on
# 127.0.0.1:18091 that the daemon's rule sends to; waits until it answers.
start_nginx_sink() {
  local dir=$1
  mkdir -p "$dir/nginx"
  sed "s#@DIR@#$dir/nginx#g" "$BENCH_DIR/ingest/nginx.conf.in" >"$dir/nginx.conf"
  start_bg nginx "$dir/nginx/stdout.log" nginx -p "$dir/nginx" -c "$dir/nginx.conf" -e "$dir/nginx/error.log" \
    -g "daemon off;"
  wait_http http://127.0.0.1:18091/ 10
}

# push_run_setup OUT POOL: the start of a run that pushes to a daemon sending to the nginx sink: OUT made, every
# server stopped when the script exits, ports 18080 and 18091 checked free, PUSHES set, the sink started.
push_run_setup() {
  mkdir -p "$1"
  trap stop_all EXIT
  trap 'exit 130' INT TERM
  local port
  for port in 18080 18091; do
    require_free_port "$port"
  done
  push_pool "$2"
  start_nginx_sink "$1"
}

# push_pool COUNT: sets PUSHES to the file of COUNT encrypted pushes, writing it first if it is not there yet.
push_pool() {
  PUSHES=$BENCH_DIR/out/pushes-$1.jsonl
  [[ -s $PUSHES ]] || "$PY" "$BENCH_DIR/ingest/gen_pushes.py" --count "$1" --out "$PUSHES"
}

# write_scrm_config DIR SINK_URL: a scrm-notify config and one rule sending each booking to the webhook sink.
write_scrm_config() {
  local dir=$1 sink=$2
  mkdir -p "$dir/data" "$dir/rules"
  cat >"$dir/scrm-notify.yaml" <<YAML
listen: 127.0.0.1:18080
data: $dir/data
rules: $dir/rules
callback: {token: $TOKEN, aes_key: $AES_KEY, receive_id: ""}
log: {level: ${LOG_LEVEL:-warning}}
channels:
  sink: {type: webhook, url: "$sink"}
YAML
  cat >"$dir/rules/r.yaml" <<YAML
rules:
  - name: to-sink
    on: appointment.created
    notify:
      - channel: sink
YAML
}

# write_am_config DIR SINK_URL: an Alertmanager config routing every alert to the webhook sink.
write_am_config() {
  local dir=$1 sink=$2
  mkdir -p "$dir/data"
  sed "s#@SINK@#$sink#" "$BENCH_DIR/ingest/alertmanager.yml.in" >"$dir/alertmanager.yml"
}

# start_am DIR: starts Alertmanager on 127.0.0.1:18093 without clustering; sets BG_PID.
start_am() {
  local dir=$1
  start_bg alertmanager "$dir/alertmanager.log" prometheus-alertmanager \
    --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
    --web.listen-address=127.0.0.1:18093 --cluster.listen-address= --log.level=warn
}

# disk_fsync: p50 and p99 of 200 fdatasync calls after 4 kB writes in bench/out (what a durable commit costs).
disk_fsync() {
  "$PY" - "$BENCH_DIR/out" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe.tmp")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
times = []
for _ in range(200):
    os.write(fd, b"x" * 4096)
    start = time.perf_counter()
    os.fdatasync(fd)
    times.append(time.perf_counter() - start)
os.close(fd)
os.unlink(path)
times.sort()
print("fdatasync p50 %.2f ms, p99 %.2f ms" % (times[100] * 1e3, times[198] * 1e3))
PY
}

# machine_info: the facts the README's results need, as markdown list items.
machine_info() {
  echo "- CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores online"
  echo "- memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "- OS: Debian $(cat /etc/debian_version), kernel $(uname -r)"
  echo "- load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine competes)"
  echo "- disk: $(disk_fsync)"
  echo "- wrk $(wrk --version 2>&1 | awk 'NR == 1 {print $2}'), nginx $(nginx -v 2>&1 | sed 's#.*/##')," \
    "Alertmanager $(prometheus-alertmanager --version 2>&1 | awk 'NR == 1 {print $3}')"
  # SCRM_BIN may be another checkout's build: name the commit of the checkout that holds it.
  local built
  built=$(cd "$(dirname "$SCRM_BIN")" 2>/dev/null && git rev-parse --short HEAD 2>/dev/null || echo unknown)
  echo "- scrm-notify: $SCRM_BIN, commit $built, \`swift build -c release\`"
}
