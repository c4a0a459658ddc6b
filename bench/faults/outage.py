#!/usr/bin/env python3
"""Item 4, outage: the webhook endpoint answers 500 for a stretch, then hangs (longer than the channel's
timeout), then recovers, while pushes keep coming.

Every acknowledged push must be delivered after recovery, none failed, each within the channel's max_age of
its due time; the sends the sink saw (failed ones included) never beat the channel's rate limit, a token
bucket of `count` per second: at most count * (1 + window) in any window.

Usage: outage.py [--fail 20] [--hang 10] [--rate-limit 10] [--push-rate 8]
"""

import argparse
import bisect
import collections
import shutil
import tempfile
import time

import faultlib as fl


def max_in_window(times, window):
    times = sorted(times)
    best = 0
    for i, t in enumerate(times):
        j = bisect.bisect_right(times, t + window - 1e-9)
        best = max(best, j - i)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail", type=float, default=20.0)
    parser.add_argument("--hang", type=float, default=10.0)
    parser.add_argument("--rate-limit", type=int, default=10)
    parser.add_argument("--push-rate", type=float, default=8.0)
    parser.add_argument("--max-age", default="10m")
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="scrm-faults-outage-")
    sink = fl.Sink()
    sink.hang_seconds = args.hang + 5
    extra = f"    rate_limit: {args.rate_limit}/s\n    timeout: 2s\n    max_age: {args.max_age}\n"
    daemon = fl.Daemon(root, f"{root}/data", sink.port, channel_extra=extra)
    daemon.start()
    load = fl.Load(daemon, "outage", rate=args.push_rate, workers=4)
    try:
        load.start()
        time.sleep(3)  # normal service first
        t_fail = time.time()
        sink.set_mode("fail")
        time.sleep(args.fail)
        t_hang = time.time()
        sink.set_mode("hang")
        time.sleep(args.hang)
        t_recover = time.time()
        sink.set_mode("ok")
        time.sleep(5)  # pushes keep coming after recovery
        load.stop()
        acked = set(load.acked)

        def all_delivered():
            return acked <= {r[2] for r in sink.delivered()}

        drained = fl.wait_until(all_delivered, 240, step=0.5)
        t_done = time.time()
        time.sleep(1)
        records = sink.snapshot()
        delivered = [r for r in records if r[3] == 200]
        first_ok = {}
        for t, job, event, _ in sorted(delivered):
            first_ok.setdefault(event, t)
        acked_at = load.acked
        jobs = fl.query(daemon.db, "SELECT event_id, state, due_at, attempts, reason FROM jobs")
        due = {j[0]: j[2] for j in jobs}
        states = collections.Counter(j[1] for j in jobs)
        # due_at is stored in milliseconds or seconds; normalise by magnitude
        unit = 1000.0 if jobs and jobs[0][2] > 1e11 else 1.0
        max_age_seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[args.max_age[-1]] * int(args.max_age[:-1])
        late = [e for e in acked if e in first_ok and first_ok[e] - due.get(e, 0) / unit > max_age_seconds]
        waits = [first_ok[e] - acked_at[e] for e in acked if e in first_ok]
        send_times = [r[0] for r in records]
        limit = args.rate_limit
        windows = {w: max_in_window(send_times, w) for w in (1, 5, 10)}
        during = [r for r in records if t_fail <= r[0] < t_recover]
        per_job = collections.Counter(r[1] for r in delivered)
        result = {
            "outage": {"fail_500_seconds": args.fail, "hang_seconds": args.hang, "channel_timeout": "2s"},
            "rate_limit_per_second": limit,
            "pushes_acked": len(acked),
            "push_attempts_not_acked": sum(1 for a in load.answers if not (a[2] == 200 and a[3] == 1)),
            "acked_never_delivered": sorted(acked - set(first_ok)),
            "job_states": dict(states),
            "failed_reasons": sorted({j[4] for j in jobs if j[1] == "failed"}),
            "requests_seen_by_sink": len(records),
            "requests_during_outage": len(during),
            "delivered_after_recovery": sum(1 for e in acked if first_ok.get(e, 0) >= t_recover),
            "seconds_from_recovery_to_last_first_delivery": round(max(first_ok.values()) - t_recover, 1),
            "max_wait_ack_to_delivery_seconds": round(max(waits), 1) if waits else None,
            "later_than_max_age": len(late),
            "max_sends_in_window": {f"{w}s": n for w, n in windows.items()},
            "token_bucket_bound": {f"{w}s": limit * (1 + w) for w in windows},
            "duplicate_deliveries": sum(n - 1 for n in per_job.values() if n > 1),
            "drained": drained,
            "drain_seconds_after_recovery": round(t_done - t_recover, 1),
            "hang_started_after_fail_seconds": round(t_hang - t_fail, 1),
        }
        result["ok"] = (
            drained
            and not result["acked_never_delivered"]
            and states.get("failed", 0) == 0
            and not late
            and all(windows[w] <= limit * (1 + w) for w in windows)
        )
        fl.write_result("outage", result)
    finally:
        load.running = False
        daemon.stop()
        sink.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
