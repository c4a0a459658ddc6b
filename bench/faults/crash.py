#!/usr/bin/env python3
"""Item 3, crash: under steady load, kill -9 the daemon at random moments and restart it on the same data.

Afterwards every acknowledged push must be in the inbox and have been delivered to the sink at least once.
Duplicates (one job delivered more than once) are counted and explained by the jobs' interrupted attempts.

Usage: crash.py [--kills 5] [--rate 60] [--seed N]
"""

import argparse
import collections
import random
import shutil
import tempfile
import time

import faultlib as fl


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)

    root = tempfile.mkdtemp(prefix="scrm-faults-crash-")
    sink = fl.Sink()
    daemon = fl.Daemon(root, f"{root}/data", sink.port)
    daemon.start()
    load = fl.Load(daemon, "crash", rate=args.rate, workers=8, retry_delay=0.1)
    load.start()
    kills = []
    try:
        for _ in range(args.kills):
            time.sleep(rng.uniform(1.0, 4.0))
            before = len(load.acked)
            daemon.kill9()
            kills.append({"at_acked": before, "deliveries_so_far": len(sink.delivered())})
            time.sleep(rng.uniform(0.0, 0.5))  # the platform keeps pushing into a dead port meanwhile
            t0 = time.time()
            daemon.start()
            kills[-1]["restart_seconds"] = round(time.time() - t0, 3)
        time.sleep(2)
        load.stop()
        issued = load.issued()
        acked = set(load.acked)

        def settled():
            states = fl.job_states(daemon.db)
            return states.get("planned", 0) + states.get("sending", 0) == 0 and sum(states.values()) >= len(acked)

        drained = fl.wait_until(settled, 120)
        time.sleep(1)
        inbox = {row[0] for row in fl.query(daemon.db, "SELECT id FROM inbox WHERE id LIKE 'crash-%'")}
        jobs = fl.query(daemon.db, "SELECT id, event_id, state, attempts FROM jobs")
        interrupted = dict(
            fl.query(daemon.db, "SELECT job_id, count(*) FROM attempts WHERE outcome = 'interrupted' GROUP BY job_id")
        )
        unplanned = fl.query(daemon.db, "SELECT count(*) FROM unplanned")[0][0]
        integrity = fl.query(daemon.db, "PRAGMA integrity_check")[0][0]
        delivered = sink.delivered()
        per_job = collections.Counter(r[1] for r in delivered)
        delivered_events = {r[2] for r in delivered}
        jobs_per_event = collections.Counter(j[1] for j in jobs)
        duplicates = {job: n for job, n in per_job.items() if n > 1}
        explained = sum(1 for job in duplicates if interrupted.get(job, 0) > 0)
        failed_answers = collections.Counter(
            (a[2], a[4]) for a in load.answers if not (a[2] == 200 and a[3] == 1)
        )
        result = {
            "seed": args.seed,
            "kills": len(kills),
            "kill_details": kills,
            "pushes_issued": len(issued),
            "pushes_acked": len(acked),
            "push_attempts_not_acked": sum(failed_answers.values()),
            "not_acked_by_kind": {f"{k[0]}/{k[1]}": v for k, v in failed_answers.items()},
            "acked_missing_from_inbox": sorted(acked - inbox),
            "acked_without_job": sorted(e for e in acked if jobs_per_event[e] == 0),
            "events_with_more_than_one_job": sum(1 for n in jobs_per_event.values() if n > 1),
            "acked_never_delivered": sorted(acked - delivered_events),
            "job_states": fl.job_states(daemon.db),
            "inbox_unplanned": unplanned,
            "drained": drained,
            "deliveries": len(delivered),
            "duplicate_jobs": len(duplicates),
            "duplicate_deliveries": sum(n - 1 for n in duplicates.values()),
            "duplicates_with_interrupted_attempt": explained,
            "interrupted_attempts": sum(interrupted.values()),
            "integrity_check": integrity,
        }
        result["ok"] = (
            not result["acked_missing_from_inbox"]
            and not result["acked_without_job"]
            and not result["acked_never_delivered"]
            and result["events_with_more_than_one_job"] == 0
            and integrity == "ok"
            and drained
        )
        fl.write_result("crash", result)
    finally:
        load.running = False
        daemon.stop()
        sink.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
