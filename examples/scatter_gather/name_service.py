#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A tiny name service for the scatter-gather examples and their tests.

    name_service.py [--delay-ms=N] [--fail]

Listens on 127.0.0.1 on an ephemeral port and prints ``listening PORT``.
GET /users/ID answers the user's display name after N ms (``--fail``:
HTTP 500 instead). While it waits it watches the connection: a client that
closes it early is reported as ``closed /users/ID after N ms``; an answer
sent as ``served /users/ID after N ms``. One line per request, on stdout.
"""
import argparse
import http.server
import select
import socket
import sys
import time

NAMES = {"alice": "Alice Liddell", "bob": "Bob Dylan"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--fail", action="store_true")
    args = parser.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass  # the one line per request below is the log

        def report(self, what: str, start: float) -> None:
            ms = int((time.monotonic() - start) * 1000)
            print(f"{what} {self.path} after {ms} ms", flush=True)

        def client_closed(self, deadline: float) -> bool:
            """Waits until `deadline`; True if the client closed first."""
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                readable, _, _ = select.select([self.connection], [], [], left)
                if readable:
                    try:
                        data = self.connection.recv(1, socket.MSG_PEEK)
                    except OSError:
                        return True
                    if not data:
                        return True
                    time.sleep(min(left, 0.01))  # a pipelined request: wait

        def do_GET(self) -> None:
            start = time.monotonic()
            if self.client_closed(start + args.delay_ms / 1000):
                self.report("closed", start)
                self.close_connection = True
                return
            user = self.path.rsplit("/", 1)[-1]
            if args.fail:
                status, body = 500, "name service failed\n"
            elif self.path.startswith("/users/") and user in NAMES:
                status, body = 200, NAMES[user] + "\n"
            else:
                status, body = 404, "no such user\n"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.report("served", start)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
