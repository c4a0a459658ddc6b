#!/usr/bin/env python3
"""A loopback webhook sink: records "arrival_ms job_id" for every request, until SIGTERM.

usage: sink.py PORT_FILE LOG_FILE
"""
import http.server
import signal
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        arrived = time.time()  # the request line and headers are in
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        job = self.headers.get("X-Scrm-Job", "-")
        with self.server.lock:
            self.server.log.write("%d %s\n" % (round(arrived * 1000), job))
            self.server.log.flush()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops connections in a burst, and a dropped SYN costs a 1 s retransmit.
    request_queue_size = 1024
    daemon_threads = True


def main():
    port_file, log_file = sys.argv[1:3]
    server = Server(("127.0.0.1", 0), Handler)
    server.lock = threading.Lock()
    server.log = open(log_file, "w")
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    with open(port_file, "w") as out:
        out.write(str(server.server_address[1]))
    server.serve_forever(poll_interval=0.2)
    server.log.close()


if __name__ == "__main__":
    main()
