#!/usr/bin/env python3
"""A webhook sink on loopback that records when each notification arrives.

    sink.py PORT OUT_FILE

For every POST it appends `<monotonic ns>\t<key>` lines to OUT_FILE, one per event the body names: the event `id`
and `order_num` of a scrm-notify webhook (the appointment event's JSON, wherever those keys sit in it), or the
`id` label of each alert in an Alertmanager webhook. CLOCK_MONOTONIC is system-wide, so a client on the same
machine can subtract its own monotonic send time. Answers 200. Stops on SIGTERM.
"""

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def keys_of(value, depth=0):
    """The event ids and order numbers a notification body names."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("alerts"), list):
            for alert in value["alerts"]:
                label = alert.get("labels", {}).get("id")
                if label:
                    found.append(label)
            return found
        for name in ("id", "order_num"):
            if isinstance(value.get(name), str):
                found.append(value[name])
        if depth < 3:
            for child in value.values():
                found.extend(keys_of(child, depth + 1))
    elif isinstance(value, list) and depth < 3:
        for child in value:
            found.extend(keys_of(child, depth + 1))
    return found


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    lock = threading.Lock()  # guards out
    out = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.monotonic_ns()
        try:
            keys = sorted(set(keys_of(json.loads(body))))
        except ValueError:
            keys = []
        with Handler.lock:
            for key in keys or ["?"]:
                Handler.out.write("%d\t%s\n" % (now, key))
            Handler.out.flush()
        answer = b'{"errcode":0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 drops connections when a sender opens many at once; a dropped SYN is
    # retried after a second, which showed as one-second deliveries in the end-to-end run.
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        # A client that hangs up between requests is normal for load generators.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    Handler.out = open(path, "a", encoding="utf-8")
    server = Server(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    Handler.out.close()


if __name__ == "__main__":
    main()
