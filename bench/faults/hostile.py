#!/usr/bin/env python3
"""Item 7, hostile HTTP: oversized headers and bodies, invalid UTF-8, JSON nesting bombs, many idle
connections and slow clients. After each attack the daemon must be alive and a normal push answered 200
{"code":1} promptly; during the idle and slow ones, normal pushes are timed while the attack goes on.

Usage: hostile.py [--idle 200] [--slow 20] [--slow-seconds 15] [--slow-deadline 30]
"""

import argparse
import json
import resource
import shutil
import socket
import tempfile
import threading
import time

import faultlib as fl


def raw(port, data, timeout=10, read=True):
    """Sends `data` on a fresh connection; returns the status line's code (0 when none) and the reply body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close early (413/431): what it answered is still readable
        reply = b""
        if read:
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
    head, _, body = reply.partition(b"\r\n\r\n")
    parts = head.split(b" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, body


def request(path, body, extra=b""):
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n".encode() + extra + b"\r\n" + body
    )


class Probe:
    """Normal pushes with distinct ids; each must be answered 200 {"code":1}."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.n = 0

    def push(self, timeout=10):
        self.n += 1
        event_id = f"probe-{self.n:05d}"
        t0 = time.time()
        try:
            status, reply = fl.post(self.daemon.port, "/callback", fl.push_body(event_id, f"Yprobe{self.n}"), timeout)
            ok = status == 200 and isinstance(reply, dict) and reply.get("code") == 1
        except OSError:
            ok = False
        return ok, time.time() - t0


def attack(name, probe, daemon, action):
    t0 = time.time()
    detail = action()
    seconds = time.time() - t0
    ok, latency = probe.push()
    return {
        "attack": name,
        "detail": detail,
        "seconds": round(seconds, 2),
        "daemon_alive": daemon.alive(),
        "push_after_ok": ok,
        "push_after_ms": round(latency * 1000, 1),
    }


def under_pressure(probe, seconds):
    """Normal pushes, one after another, for `seconds`; returns (all ok, count, worst latency in ms)."""
    deadline = time.time() + seconds
    results = []
    while time.time() < deadline:
        results.append(probe.push(timeout=5))
        time.sleep(0.05)
    return all(r[0] for r in results), len(results), round(max(r[1] for r in results) * 1000, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--slow-seconds", type=float, default=15)
    parser.add_argument("--slow-deadline", type=float, default=30, help="the daemon's request deadline, s")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="scrm-faults-hostile-")
    sink = fl.Sink()
    daemon = fl.Daemon(root, f"{root}/data", sink.port)
    daemon.start()
    probe = Probe(daemon)
    port = daemon.port
    rows = []
    try:
        good = fl.push_body("hostile-good", "Yhostile")

        rows.append(attack("200 KB header", probe, daemon, lambda: raw(
            port, request("/callback", good, b"X-Big: " + b"a" * 200_000 + b"\r\n"))[0]))
        rows.append(attack("10 000 small headers", probe, daemon, lambda: raw(
            port, request("/callback", good, b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))))[0]))
        rows.append(attack("100 KB request line", probe, daemon, lambda: raw(
            port, request("/callback?" + "a" * 100_000, good))[0]))

        def big_body():
            body = b"{" + b" " * (2 << 20) + b"}"
            status, reply = raw(port, request("/callback", body))
            return {"status": status, "reply": reply.decode(errors="replace")}

        rows.append(attack("2 MiB body, Content-Length", probe, daemon, big_body))

        def big_chunked():
            chunk = b"a" * 65536
            body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(32)) + b"0\r\n\r\n"
            head = b"POST /callback HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            return raw(port, head + body)[0]

        rows.append(attack("2 MiB body, chunked", probe, daemon, big_chunked))

        def lying_length():
            # Declares 1000 bytes, sends 10, then goes quiet: the idle timeout must end it without harm.
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
                ok, ms = probe.push()
                return {"other_push_ok_meanwhile": ok, "ms": round(ms * 1000, 1)}

        rows.append(attack("declared length never sent", probe, daemon, lying_length))

        def invalid_utf8():
            body = good.replace(b"\xe5\xbc\xa0\xe6\x9d\xa8", b"\xff\xfe\xc3\x28")  # the customer's name
            body = body.replace(b"hostile-good", b"hostile-utf8")
            status, reply = raw(port, request("/callback", body))
            garbage = raw(port, request("/callback", b"\xff\xfe\xfd" * 1000))
            stored = fl.query(daemon.db, "SELECT count(*) FROM inbox WHERE id = 'hostile-utf8'")[0][0]
            return {"in_a_string": [status, reply.decode(errors="replace")], "stored": stored,
                    "whole_body": garbage[0]}

        rows.append(attack("invalid UTF-8", probe, daemon, invalid_utf8))

        def bomb(opening, closing):
            def run():
                depth = 100_000
                status, reply = raw(port, request("/callback", opening * depth + closing * depth))
                return {"status": status, "reply": reply.decode(errors="replace")[:120]}
            return run

        rows.append(attack("JSON nesting bomb [[[… depth 100k", probe, daemon, bomb(b"[", b"]")))
        rows.append(attack('JSON nesting bomb {"a":{… depth 100k', probe, daemon, bomb(b'{"a":', b"}")))
        rows.append(attack("JSON number of 500 KB digits", probe, daemon, lambda: raw(
            port, request("/callback", good.replace(b'"service_duration": 120',
                                                     b'"service_duration": ' + b"9" * 500_000)))[0]))

        def idle():
            sockets = []
            for i in range(args.idle):
                s = socket.create_connection(("127.0.0.1", port))
                if i % 2:
                    s.sendall(b"POST /callback HTTP/1.1\r\nHost: x\r\n")  # half a header, then nothing
                sockets.append(s)
            ok, count, worst = under_pressure(probe, 3)
            for s in sockets:
                s.close()
            return {"held": len(sockets), "pushes_ok": ok, "pushes": count, "worst_ms": worst}

        rows.append(attack(f"{args.idle} idle connections", probe, daemon, idle))

        def slowloris():
            # The clients go on until the daemon closes their connections: the idle timeout never does (each
            # byte starts it over), the request deadline (30 s from the opening) must.
            stop = threading.Event()
            message = request("/callback", fl.push_body("slow", "Yslow"))
            started = time.time()
            cut_after = []

            def client(n):
                try:
                    with socket.create_connection(("127.0.0.1", port)) as s:
                        for b in message:
                            if stop.is_set():
                                return
                            try:
                                s.send(bytes([b]))
                                s.setblocking(False)
                                closed = s.recv(1) == b""
                            except BlockingIOError:
                                closed = False
                            except OSError:
                                closed = True
                            s.setblocking(True)
                            if closed:
                                cut_after.append(time.time() - started)
                                return
                            time.sleep(1.0)
                except OSError:
                    pass

            threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.slow)]
            for t in threads:
                t.start()
            ok, count, worst = under_pressure(probe, args.slow_seconds)
            for t in threads:
                t.join(timeout=max(0.0, started + args.slow_deadline + 15 - time.time()))
            stop.set()
            return {"slow_clients": args.slow, "bytes_per_second": 1, "pushes_ok": ok, "pushes": count,
                    "worst_ms": worst, "cut_off": len(cut_after),
                    "cut_off_after_s": [round(min(cut_after), 1), round(max(cut_after), 1)] if cut_after else None}

        rows.append(attack("slowloris, 1 byte/s", probe, daemon, slowloris))

        def slow_reader():
            # Sends pushes and never reads the replies, on 50 connections.
            sockets = []
            for n in range(50):
                s = socket.create_connection(("127.0.0.1", port))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                s.sendall(request("/callback", fl.push_body(f"unread-{n}", f"Yunread{n}"))[:-1])
                s.sendall(b"}")
                sockets.append(s)
            ok, count, worst = under_pressure(probe, 2)
            for s in sockets:
                s.close()
            return {"connections": 50, "pushes_ok": ok, "pushes": count, "worst_ms": worst}

        rows.append(attack("replies never read", probe, daemon, slow_reader))

        def hold_idle(count, sources=("127.0.0.1",)):
            """Opens `count` idle connections, spread over the loopback `sources` (all of 127/8 is loopback),
            pushes once from 127.0.0.1 while they are open, then closes them."""
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            wanted = count + 500
            if soft < wanted and (hard == resource.RLIM_INFINITY or wanted <= hard):
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            sockets = []
            for n in range(count):
                try:
                    sockets.append(socket.create_connection(
                        ("127.0.0.1", port), timeout=2, source_address=(sources[n % len(sources)], 0)))
                except OSError:
                    break
            ok, _ = probe.push(timeout=3)
            for s in sockets:
                s.close()
            time.sleep(0.5)
            return len(sockets), ok

        def many_idle():
            # 1,100 idle connections from two addresses, more than the limit before session 2: others are still
            # answered.
            opened, ok = hold_idle(1100, sources=("127.0.0.2", "127.0.0.3"))
            return {"opened": opened, "push_while_open_ok": ok}

        def one_address_over_limit():
            # More connections than the server's limit (8192), all from one address: past its own limit of 1024
            # that address is turned away, and a push from another is answered at once.
            opened, ok = hold_idle(8268, sources=("127.0.0.2",))
            return {"opened": opened, "push_while_open_ok": ok}

        def many_addresses_over_limit():
            # 9 addresses of 1,000 each, more than 8192 in all: the known limit, the excess is turned away and a
            # push waits until they close.
            opened, ok = hold_idle(9000, sources=tuple(f"127.0.0.{n}" for n in range(2, 11)))
            return {"opened": opened, "push_while_full_ok": ok}

        rows.append(attack("1100 idle connections from 2 addresses", probe, daemon, many_idle))
        rows.append(attack("8268 idle connections from one address (limit 1024 an address)", probe, daemon,
                           one_address_over_limit))
        rows.append(attack("9000 idle connections from 9 addresses (limit 8192)", probe, daemon,
                           many_addresses_over_limit))

        result = {"attacks": rows, "daemon_alive_at_end": daemon.alive()}
        # One address alone must not keep the platform out: its pushes come from another.
        one_address = next(r for r in rows if "from one address" in r["attack"])
        # Every slowloris client is closed by the request deadline, not kept for ever.
        slow = next(r for r in rows if r["attack"].startswith("slowloris"))
        result["ok"] = (daemon.alive() and all(r["push_after_ok"] and r["daemon_alive"] for r in rows)
                        and one_address["detail"]["push_while_open_ok"]
                        and slow["detail"]["cut_off"] == args.slow)
        fl.write_result("hostile", result)
    finally:
        daemon.stop()
        sink.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
