"""An SMTP sink for the channel tests: accepts AUTH for one user, records each message as a JSON line.

usage: smtp_sink.py OUTPUT.jsonl READY_FILE USER PASSWORD
Writes the port it listens on (127.0.0.1) to READY_FILE once it accepts connections.
"""
import json
import os
import signal
import socket
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Recorder:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
            "login": (session.auth_data.login.decode() if session.auth_data else None),
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted"


def main():
    output, ready, user, password = sys.argv[1:5]
    # The parent may have blocked or ignored SIGTERM before starting us: make it end the sink again.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Recorder(output), hostname="127.0.0.1", port=port,
        auth_require_tls=False, auth_required=True, authenticator=authenticate)
    controller.start()
    with open(ready + ".tmp", "w") as out:
        out.write(str(port))
    os.rename(ready + ".tmp", ready)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
