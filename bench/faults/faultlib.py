"""Shared pieces of the fault scripts: the daemon under test, a webhook sink, a push load generator and
store inspection. Python 3 standard library only; every socket is on 127.0.0.1."""

import http.client
import http.server
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(ROOT, ".build", "release", "scrm-notify")
EXAMPLE = os.path.join(ROOT, "Tests", "Fixtures", "Events", "plain-example.json")
EXAMPLE_ID = "995c220f-289b-4f69-a7c6-933db8b0dce3"
EXAMPLE_ORDER = "Y634089652417560576"

RULE = """rules:
  - name: to-sink
    on: appointment.created
    notify:
      - channel: sink
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def push_body(event_id, order_num):
    """The reference example with its `id` and `order_num` replaced."""
    with open(EXAMPLE, encoding="utf-8") as f:
        text = f.read()
    return text.replace(EXAMPLE_ID, event_id).replace(EXAMPLE_ORDER, order_num).encode()


class Daemon:
    """The release binary with a temporary config; restartable on the same data folder."""

    def __init__(self, root, data, sink_port, channel_extra="", log_level="info"):
        self.root = root
        self.data = data
        self.port = free_port()
        os.makedirs(os.path.join(root, "rules"), exist_ok=True)
        with open(os.path.join(root, "rules", "sink.yaml"), "w") as f:
            f.write(RULE)
        self.config = os.path.join(root, "scrm-notify.yaml")
        with open(self.config, "w") as f:
            f.write(
                f"listen: 127.0.0.1:{self.port}\n"
                f"data: {data}\n"
                f"rules: {os.path.join(root, 'rules')}\n"
                "timezone: Asia/Shanghai\n"
                f"log: {{level: {log_level}, format: logfmt}}\n"
                "channels:\n"
                "  sink:\n"
                "    type: webhook\n"
                f"    url: http://127.0.0.1:{sink_port}/hook\n"
                f"{channel_extra}"
            )
        self.proc = None
        self.log_path = os.path.join(root, "daemon.log")
        self.starts = 0

    def start(self, wait=True):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--config", self.config], stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        log.close()
        self.starts += 1
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if get(self.port, "/readyz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("daemon not ready in time")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def db(self):
        return os.path.join(self.data, "scrm-notify.sqlite")


def get(port, path, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def post(port, path, body, timeout=10):
    """One POST; returns (status, parsed JSON or None) or raises OSError."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        data = reply.read()
        try:
            return reply.status, json.loads(data)
        except ValueError:
            return reply.status, None
    finally:
        conn.close()


class Sink:
    """A webhook endpoint that records every delivery (event id, X-Scrm-Job, time) and can answer 500 or hang."""

    def __init__(self):
        self.lock = threading.Lock()  # guards records and mode
        self.records = []  # (time, job, event_id, status answered)
        self.mode = "ok"  # ok | fail | hang
        self.hang_seconds = 30
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                job = self.headers.get("X-Scrm-Job", "")
                try:
                    event_id = json.loads(body).get("id", "")
                except ValueError:
                    event_id = ""
                with sink.lock:
                    mode = sink.mode
                status = {"ok": 200, "fail": 500, "hang": 0}[mode]
                with sink.lock:
                    sink.records.append((time.time(), job, event_id, status))
                if mode == "hang":
                    time.sleep(sink.hang_seconds)
                    return  # close without answering
                payload = b'{"ok":true}' if status == 200 else b'{"error":"induced"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 512

            def handle_error(self, request, client_address):
                pass  # a daemon killed mid-send resets its connection: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set_mode(self, mode):
        with self.lock:
            self.mode = mode

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def delivered(self):
        """Records answered 200."""
        return [r for r in self.snapshot() if r[3] == 200]

    def close(self):
        self.server.shutdown()


class Load:
    """Worker threads posting pushes with distinct ids at about `rate` per second. Like the platform, a push not
    answered 200 {"code":1} is pushed again (after `retry_delay`) until it is."""

    def __init__(self, daemon, prefix, rate=50.0, workers=8, retry_delay=0.2):
        self.daemon = daemon
        self.prefix = prefix
        self.rate = rate
        self.workers = workers
        self.retry_delay = retry_delay
        self.lock = threading.Lock()  # guards everything below
        self.next = 0
        self.acked = {}  # id -> time of the 200 {"code":1}
        self.answers = []  # (time, id, status, code or None, error text or None)
        self.running = False
        self.limit = None
        self.threads = []

    def _next_id(self):
        with self.lock:
            if self.limit is not None and self.next >= self.limit:
                return None
            self.next += 1
            return f"{self.prefix}-{self.next:06d}"

    def _worker(self):
        interval = self.workers / self.rate
        while self.running:
            event_id = self._next_id()
            if event_id is None:
                return
            order = "Y" + event_id.replace("-", "")
            body = push_body(event_id, order)
            while self.running:
                started = time.time()
                status, code, error = 0, None, None
                try:
                    status, reply = post(self.daemon.port, "/callback", body)
                    code = reply.get("code") if isinstance(reply, dict) else None
                except OSError as e:
                    error = type(e).__name__
                with self.lock:
                    self.answers.append((started, event_id, status, code, error))
                    if status == 200 and code == 1:
                        self.acked[event_id] = time.time()
                if status == 200 and code == 1:
                    break
                time.sleep(self.retry_delay)
            pause = interval - (time.time() - started)
            if pause > 0:
                time.sleep(pause * random.uniform(0.5, 1.5))

    def start(self, limit=None):
        self.limit = limit
        self.running = True
        self.threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.workers)]
        for t in self.threads:
            t.start()

    def stop(self, drain_seconds=30):
        """Stops taking new ids; waits for pushes in progress to be acknowledged."""
        with self.lock:
            self.limit = self.next
        deadline = time.time() + drain_seconds
        for t in self.threads:
            t.join(max(0.1, deadline - time.time()))
        self.running = False
        for t in self.threads:
            t.join(5)

    def issued(self):
        with self.lock:
            return [f"{self.prefix}-{n:06d}" for n in range(1, self.next + 1)]


def query(db, sql, args=()):
    """Reads the store with python's sqlite3 (WAL lets it read beside the daemon)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_until(predicate, timeout, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def job_states(db):
    return dict(query(db, "SELECT state, count(*) FROM jobs GROUP BY state"))


def write_result(name, result):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{name}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))
    return path
