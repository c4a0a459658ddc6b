#!/usr/bin/env python3
"""Fills a migrated scrm-notify store with planned reminders for the scheduler benchmark.

usage: fill.py DB far COUNT START_MS
       fill.py DB due COUNT START_MS SPREAD_S FIXTURE DUE_OUT

far: COUNT planned jobs a year after START_MS (no inbox event: they never fall due during the run).
due: COUNT planned jobs spread evenly over SPREAD_S seconds from START_MS (epoch ms), each with its appointment's
event in the inbox so the send-time re-check finds it; writes "job_id due_ms" lines for them to DUE_OUT.
"""
import json
import sqlite3
import sys
import uuid


def main():
    db, mode, count, start_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous = OFF")
    payload = json.dumps({"payload": {"body": {"n": 1}}, "grace": 3600}).encode()
    far = start_ms + 365 * 86400 * 1000

    def far_rows():
        for i in range(count):
            order = "F%07d" % i
            when = far + i * 1000
            yield (str(uuid.uuid4()), "remind|%s|0|%d" % (order, when), "remind", 0, "hook", order, "ev-" + order,
                   when, when, "planned", payload, start_ms, start_ms)

    insert_job = """INSERT INTO jobs (id, key, rule, entry, channel, order_key, event_id, due_at, run_at, state,
        attempts, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"""
    if mode == "far":
        with conn:
            conn.executemany(insert_job, far_rows())
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return
    spread_s, fixture, due_out = float(sys.argv[5]), sys.argv[6], sys.argv[7]
    template = json.load(open(fixture, encoding="utf-8"))
    due = count
    due_rows, events, lines = [], [], []
    for i in range(due):
        order = "D%07d" % i
        when = start_ms + int(i * spread_s * 1000 / due)
        job_id = str(uuid.uuid4())
        event = dict(template)
        event["id"] = "ev-" + order
        body = dict(template["body"])
        body["order_num"] = order
        body["order"] = dict(template["body"]["order"], order_num=order, order_status=10)
        event["body"] = body
        raw = json.dumps(event, ensure_ascii=False).encode()
        events.append(("ev-" + order, start_ms - 60000, "appointment.created", order, raw))
        due_rows.append((job_id, "remind|%s|0|%d" % (order, when), "remind", 0, "hook", order, "ev-" + order,
                         when, when, "planned", payload, start_ms, start_ms))
        lines.append("%s %d\n" % (job_id, when))
    with conn:
        conn.executemany(
            "INSERT INTO inbox (id, received_at, kind, order_key, raw) VALUES (?, ?, ?, ?, ?)", events)
        conn.executemany(insert_job, due_rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(due_out, "w") as out:
        out.writelines(lines)


if __name__ == "__main__":
    main()
