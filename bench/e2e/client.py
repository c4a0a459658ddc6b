#!/usr/bin/env python3
"""Post N events at a fixed rate and report how long each took to reach the webhook sink.

    client.py scrm-notify URL --pushes FILE --arrivals SINK_FILE [--count 2000 --rate 200]
    client.py alertmanager URL --arrivals SINK_FILE [--count 2000 --rate 200]

Sends are scheduled at start + i / rate over a pool of keep-alive connections, so a slow answer does not slow the
offered rate down unless every connection is busy. The send time of each event is CLOCK_MONOTONIC just before its
request; bench/lib/sink.py writes CLOCK_MONOTONIC at arrival with the event's id (or order number, or alert id
label). Prints one `E2E key=value ...` line.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ingest"))
import gen_pushes  # noqa: E402


def scrm_events(path, count, tag):
    """(keys, path, body) for the first `count` pushes of a gen_pushes file, ids made unique to this run."""
    key = gen_pushes.aes_key(gen_pushes.AES_KEY)
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(events) == count:
                break
            envelope = json.loads(line)
            envelope["id"] = "%s-%s" % (envelope["id"], tag)
            message, _ = gen_pushes.decrypt(key, envelope["body"]["encrypt"])
            order_num = json.loads(message)["order_num"]
            events.append(([envelope["id"], order_num], "/callback", json.dumps(envelope).encode()))
    if len(events) < count:
        raise SystemExit("%s holds only %d pushes" % (path, len(events)))
    return events


def alert_events(count, tag):
    """(keys, path, body) for `count` distinct alerts posted one per request."""
    events = []
    for i in range(count):
        alert_id = "%s-%d" % (tag, i)
        alert = {
            "labels": {"alertname": "AppointmentCreated", "id": alert_id, "order_num": "Y%s%06d" % (tag, i)},
            "annotations": {"summary": "新预约 张杨 维修服务 2024-10-15 18:30:00"},
        }
        events.append(([alert_id], "/api/v2/alerts", json.dumps([alert]).encode()))
    return events


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def read_arrivals(path):
    """key -> first arrival (monotonic ns)."""
    first = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                stamp, _, key = line.rstrip("\n").partition("\t")
                if key and key not in first:
                    first[key] = int(stamp)
    except FileNotFoundError:
        pass
    return first


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("system", choices=["scrm-notify", "alertmanager"])
    parser.add_argument("url", help="http://127.0.0.1:PORT")
    parser.add_argument("--pushes")
    parser.add_argument("--arrivals", required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wait", type=float, default=30, help="seconds to wait for the last arrivals")
    args = parser.parse_args()

    tag = "e2e%d" % time.time()
    events = scrm_events(args.pushes, args.count, tag) if args.system == "scrm-notify" else alert_events(args.count, tag)
    host, port = args.url.split("//", 1)[1].rstrip("/").split(":")
    local = threading.local()
    sent = [0] * len(events)
    acked = [0] * len(events)
    status = [0] * len(events)
    start = time.monotonic_ns() + 200_000_000
    interval = int(1e9 / args.rate)

    def send(i):
        delay = (start + i * interval - time.monotonic_ns()) / 1e9
        if delay > 0:
            time.sleep(delay)
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        keys, path, body = events[i]
        sent[i] = time.monotonic_ns()
        try:
            local.conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = local.conn.getresponse()
            response.read()
            status[i] = response.status
        except (OSError, http.client.HTTPException):
            local.conn.close()
            local.conn = None
            status[i] = -1
        acked[i] = time.monotonic_ns()

    with ThreadPoolExecutor(max_workers=args.connections) as pool:
        list(pool.map(send, range(len(events))))
    send_seconds = (max(sent) - start) / 1e9

    deadline = time.monotonic() + args.wait
    while True:
        arrivals = read_arrivals(args.arrivals)
        missing = [i for i, (keys, _, _) in enumerate(events) if status[i] == 200 and not any(k in arrivals for k in keys)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    latencies = []
    for i, (keys, _, _) in enumerate(events):
        times = [arrivals[k] for k in keys if k in arrivals]
        if times:
            latencies.append((min(times) - sent[i]) / 1e6)
    latencies.sort()
    acks = sorted((acked[i] - sent[i]) / 1e6 for i in range(len(events)) if status[i] == 200)
    non200 = sum(1 for s in status if s != 200)
    print(
        "E2E system=%s count=%d rate=%.0f achieved_rate=%.0f accepted=%d non200=%d delivered=%d missing=%d "
        "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f ack_p50_ms=%.2f ack_p99_ms=%.2f"
        % (
            args.system, len(events), args.rate, len(events) / send_seconds if send_seconds > 0 else 0,
            len(acks), non200, len(latencies), len(missing), percentile(latencies, 50), percentile(latencies, 99),
            latencies[-1] if latencies else float("nan"), percentile(acks, 50), percentile(acks, 99),
        )
    )


if __name__ == "__main__":
    main()
