#!/usr/bin/env python3
"""Item 5, disk full and read-only store (needs root: it mounts a small tmpfs).

Disk full: the data folder lives on a small tmpfs; a junk file fills it while pushes keep coming. Pushes must
be answered 503 {"code":0} (so the platform pushes again), never 200 for an event not stored; once the junk is
deleted, pushes are answered 200 again, the pushes refused meanwhile are pushed again and accepted, every
acknowledged push is delivered, and `PRAGMA integrity_check` says ok.

Read-only: the kernel refuses `mount -o remount,ro` while the daemon holds the file open for writing (EBUSY,
recorded below), so a store that turns read-only under a running daemon is reproduced by strace's fault
injection: every pwrite64, fsync, fdatasync, ftruncate and fallocate of the daemon (only SQLite makes them) fails
with EROFS until strace detaches.

Usage: diskfull.py [--size 16m] [--full-seconds 6] [--ro-seconds 6]
"""

import argparse
import collections
import os
import shutil
import subprocess
import tempfile
import time

import faultlib as fl


def fill(folder):
    """Writes junk until the file system is full; returns the junk file's size."""
    path = os.path.join(folder, "junk")
    block = b"\0" * 4096
    size = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                size += f.write(block)
        except OSError:
            pass
    return size


def classify(answers, since, until):
    counts = collections.Counter()
    for started, _, status, code, error in answers:
        if since <= started < until:
            counts[f"{status} code={code}" if status else f"no answer ({error})"] += 1
    return dict(counts)


def phase(load, sink, daemon, name, fault_on, fault_off, seconds):
    t0 = time.time()
    fault_on()
    time.sleep(seconds)
    t1 = time.time()
    fault_off()
    time.sleep(3)
    t2 = time.time()
    return {
        "phase": name,
        "answers_during_fault": classify(load.answers, t0, t1),
        "answers_after_fault": classify(load.answers, t1 + 0.5, t2),
        "daemon_alive": daemon.alive(),
    }


def check_store(daemon, sink, acked, prefix):
    inbox = {r[0] for r in fl.query(daemon.db, f"SELECT id FROM inbox WHERE id LIKE '{prefix}-%'")}
    delivered = {r[2] for r in sink.delivered()}
    return {
        "pushes_acked": len(acked),
        "acked_missing_from_inbox": sorted(acked - inbox),
        "acked_never_delivered": sorted(acked - delivered),
        "job_states": fl.job_states(daemon.db),
        "inbox_unplanned": fl.query(daemon.db, "SELECT count(*) FROM unplanned")[0][0],
        "integrity_check": fl.query(daemon.db, "PRAGMA integrity_check")[0][0],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="16m")
    parser.add_argument("--full-seconds", type=float, default=6.0)
    parser.add_argument("--ro-seconds", type=float, default=6.0)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="scrm-faults-disk-")
    mount = os.path.join(root, "mnt")
    os.makedirs(mount)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size}", "tmpfs", mount], check=True)
    data = os.path.join(mount, "data")
    sink = fl.Sink()
    daemon = fl.Daemon(root, data, sink.port)
    daemon.start()
    load = fl.Load(daemon, "disk", rate=30.0, workers=6, retry_delay=0.3)
    strace = None
    result = {"tmpfs_size": args.size}
    try:
        load.start()
        time.sleep(3)
        result["disk_full"] = phase(
            load, sink, daemon, "disk full",
            lambda: result.update(junk_bytes=fill(mount)),
            lambda: os.remove(os.path.join(mount, "junk")),
            args.full_seconds)

        # A live read-only remount: refused while the store is open for writing.
        remount = subprocess.run(["mount", "-o", "remount,ro", mount], capture_output=True, text=True)
        result["live_remount_ro"] = {"exit": remount.returncode, "stderr": remount.stderr.strip().splitlines()[:1]}
        if remount.returncode == 0:
            subprocess.run(["mount", "-o", "remount,rw", mount], check=True)

        def inject():
            nonlocal strace
            # SQLite writes its files only with pwrite64 and syncs with fdatasync (the log uses write, which is
            # left alone); strace 6.1 cannot narrow an injection to one path, so the calls are hit in every thread.
            calls = "pwrite64,fsync,fdatasync,ftruncate,fallocate"
            command = ["strace", "-f", "-qq", "-o", "/dev/null", "-p", str(daemon.proc.pid),
                       "-e", f"trace={calls}", "-e", f"inject={calls}:error=EROFS"]
            strace = subprocess.Popen(command)
            time.sleep(1.0)  # attaching to every thread takes a moment

        def release():
            strace.terminate()
            strace.wait(10)

        result["read_only"] = phase(load, sink, daemon, "read-only (EROFS injected)", inject, release,
                                    args.ro_seconds)
        time.sleep(2)
        load.stop()
        acked = set(load.acked)

        def settled():
            states = fl.job_states(daemon.db)
            return acked <= {r[2] for r in sink.delivered()} and states.get("planned", 0) + states.get(
                "sending", 0) == 0

        result["drained"] = fl.wait_until(settled, 60)
        result.update(check_store(daemon, sink, acked, "disk"))
        result["refused_then_accepted"] = len(
            {a[1] for a in load.answers if a[2] == 503} & acked)
        result["answered_200_but_not_stored"] = len(
            {a[1] for a in load.answers if a[2] == 200 and a[3] == 1} - {r[0] for r in fl.query(
                daemon.db, "SELECT id FROM inbox")})
        result["ok"] = (
            result["drained"] and not result["acked_missing_from_inbox"] and not result["acked_never_delivered"]
            and result["integrity_check"] == "ok" and result["answered_200_but_not_stored"] == 0
            and daemon.alive())
        fl.write_result("diskfull", result)
    finally:
        load.running = False
        if strace and strace.poll() is None:
            strace.kill()
        daemon.stop()
        sink.close()
        subprocess.run(["umount", "-l", mount])
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
