#!/usr/bin/env bash
# Which pages a push writes: the write-ahead log's frames, counted by the table or index each page belongs to.
# Every frame is written twice, once to the log and once more by the checkpoint, so these counts are where the
# bytes written a push (sustained.sh's written_kb_per_push) and the kernel's share of the CPU come from.
# wrk pushes at CONNS connections for DURATION seconds; halfway through, the log is copied as it stands (its
# valid frames are those that carry its header's salts); after the run, SQLite's dbstat table names the owner
# of every page of the stopped store.
#
#   bench/ingest/frames.sh                    # DURATION=6 CONNS=64
#   BIN=/tmp/old/scrm-notify bench/ingest/frames.sh
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

DURATION=${DURATION:-6}
CONNS=${CONNS:-64}
POOL=${POOL:-400000}
BIN=${BIN:-$SCRM_BIN}
OUT=${OUT:-$BENCH_DIR/out/frames-$(date +%Y%m%d-%H%M%S)}
push_run_setup "$OUT" "$POOL"

dir=$OUT/run
write_scrm_config "$dir" http://127.0.0.1:18091/hook
start_bg scrm-notify "$dir/scrm-notify.log" "$BIN" serve --config "$dir/scrm-notify.yaml"
pid=$BG_PID
wait_http http://127.0.0.1:18080/readyz 60
db=$dir/data/scrm-notify.sqlite

threads=$((CONNS < 2 ? 1 : 2))
wrk "-t$threads" "-c$CONNS" "-d${DURATION}s" --timeout 10s -s "$BENCH_DIR/ingest/push.lua" http://127.0.0.1:18080 \
  -- "$PUSHES" "$RANDOM-frames" "$threads" /callback "$dir/cursor" >"$OUT/wrk.txt" &
wrk_pid=$!
sleep "$((DURATION / 2))"
cp "$db-wal" "$OUT/log-copy"
wait "$wrk_pid"
stop_pid "$pid"
sqlite3 -readonly "$db" "SELECT pageno, name, pagetype FROM dbstat" >"$OUT/pages.txt"

"$PY" - "$OUT/log-copy" "$OUT/pages.txt" "$(grep '^BENCH ' "$OUT/wrk.txt")" <<'PY' | tee "$OUT/results.txt"
import collections
import struct
import sys

log_path, pages_path, bench = sys.argv[1:]
log = open(log_path, "rb").read()
_, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">8I", log[:32])
owner = {}
for line in open(pages_path):
    number, name, kind = line.rstrip("\n").split("|")
    owner[int(number)] = (name, kind)

# A frame: page number, the database's size in pages after a commit (0 inside a transaction), the salts, two
# checksums, then the page.
commits, frames, offset = 0, collections.Counter(), 32
pending = collections.Counter()
while offset + 24 + page_size <= len(log):
    page, size_after, s1, s2 = struct.unpack(">4I", log[offset:offset + 16])
    if (s1, s2) != (salt1, salt2):
        break
    pending[owner.get(page, ("(freed since)", "?"))] += 1
    if size_after:
        commits += 1
        frames += pending
        pending.clear()
    offset += 24 + page_size

total = sum(frames.values())
# Each push stores one event, whose row is too long for its leaf: exactly one overflow page each.
pushes = frames[("inbox", "overflow")]
if not total or not pushes:
    sys.exit("no committed frames in the copy of the log")
print(f"page_size={page_size} commits={commits} frames={total} pushes={pushes} "
      f"frames_per_push={total / pushes:.2f} frames_per_commit={total / commits:.1f}")
by_name = collections.Counter()
for (name, _), count in frames.items():
    by_name[name] += count
for name, count in by_name.most_common():
    kinds = ", ".join(f"{kind} {frames[(name, kind)] / pushes:.2f}"
                      for kind in ("leaf", "internal", "overflow") if frames[(name, kind)])
    print(f"  {name:28} {100 * count / total:5.1f} %  {count / pushes:5.2f} a push ({kinds})")
print(bench)
PY
drop_store "$dir"
