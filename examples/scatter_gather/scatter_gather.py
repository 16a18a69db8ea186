#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scatter_gather in Python: the C program's handler (main.c) with the
liberrgroup binding (python/liberrgroup) and urllib.request.

    scatter_gather.py --names=URL [--deadline=MS] [--store-latency=MS] USER

Gathers a user's display name from a name service (GET URL/users/USER) and
two fields from an in-memory store with a simulated latency, under one
deadline. Prints every result and exits 0, or prints what arrived, marks
the rest missing, prints the first error and exits 1: with the deadline
first, that error is the binding's DeadlineExceeded ("context deadline
exceeded").

The library is found as python/tests find it: python/ is put on sys.path
and liberrgroup.py loads LIBERRGROUP_PATH (else the installed library).
"""
import argparse
import http.client
import os
import select
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import liberrgroup  # noqa: E402

STORE = {
    "alice": {"email": "alice@example.org", "plan": "team"},
    "bob": {"email": "bob@example.org", "plan": "free"},
}


class SourceError(Exception):
    """A source failed (HTTP error, unknown user)."""


class CancelWatch:
    """Shuts down the sockets it is given as soon as `ctx` is done, so a
    urllib transfer blocked in recv() ends at once (and the server sees the
    connection closed). One thread, which sleeps in select() on the
    context's descriptor and on a socket pair that stop() writes to."""

    def __init__(self, ctx: liberrgroup.Context) -> None:
        self._ctx = ctx
        self._socks = []
        self._lock = threading.Lock()
        self._stop_r, self._stop_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            done = self._ctx.done()
        if done:
            self._shut(sock)

    def _shut(self, sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    def _run(self) -> None:
        readable, _, _ = select.select([self._ctx.fileno(), self._stop_r], [], [])
        if self._stop_r in readable:
            return
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            self._shut(sock)

    def stop(self) -> None:
        self._stop_w.send(b"x")
        self._thread.join()
        self._stop_r.close()
        self._stop_w.close()


class WatchedConnection(http.client.HTTPConnection):
    def __init__(self, *args, watch: CancelWatch, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def connect(self) -> None:
        super().connect()
        self._watch.watch(self.sock)


class CancelableHTTPHandler(urllib.request.HTTPHandler):
    """urllib's HTTP handler, with connections a CancelWatch shuts down."""

    def __init__(self, watch: CancelWatch) -> None:
        super().__init__()
        self._watch = watch

    def http_open(self, req):
        def connection(host, **kwargs):
            return WatchedConnection(host, watch=self._watch, **kwargs)

        return self.do_open(connection, req)


def fetch_name(ctx, names_url, user, slot, start):
    watch = CancelWatch(ctx)
    try:
        opener = urllib.request.build_opener(CancelableHTTPHandler(watch))
        with opener.open(f"{names_url}/users/{user}") as resp:
            slot["value"] = resp.read().decode().rstrip("\n")
    except urllib.error.HTTPError as e:
        raise SourceError(f"name service: HTTP {e.code}") from None
    except (OSError, http.client.HTTPException) as e:
        if ctx.done():
            raise ctx.err() from None  # DeadlineExceeded, or Canceled
        raise SourceError(f"name service: {e}") from None
    finally:
        watch.stop()
        slot["ms"] = int((time.monotonic() - start) * 1000)
    if ctx.done():  # it came, but too late for the deadline
        raise ctx.err()
    slot["ok"] = True


def lookup(ctx, field, user, latency, slot, start):
    done = ctx.wait(latency)  # the simulated latency; ends early if done
    slot["ms"] = int((time.monotonic() - start) * 1000)
    if done:
        raise ctx.err()
    if user not in STORE:
        raise SourceError(f"store: no user {user}")
    slot["value"], slot["ok"] = STORE[user][field], True


def handle(names_url, user, deadline, latency):
    """Scatter, wait, gather: each task writes only its own slot, and the
    slots are read only after wait()."""
    start = time.monotonic()
    slots = {field: {"ok": False} for field in ("name", "email", "plan")}
    error = None
    with liberrgroup.Context.with_timeout(deadline) as deadline_ctx:
        g, ctx = liberrgroup.Group.with_context(deadline_ctx)
        with ctx:
            try:
                g.go(fetch_name, ctx, names_url, user, slots["name"], start)
                for field in ("email", "plan"):
                    g.go(lookup, ctx, field, user, latency, slots[field], start)
                g.wait()
            except liberrgroup.DeadlineExceeded as e:
                error = e  # str(e): "context deadline exceeded"
            except Exception as e:
                error = e
            finally:
                g.close()
    return slots, error


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", required=True)
    parser.add_argument("--deadline", type=int, default=1000)
    parser.add_argument("--store-latency", type=int, default=50)
    parser.add_argument("user")
    args = parser.parse_args()
    slots, error = handle(
        args.names, args.user, args.deadline / 1000, args.store_latency / 1000
    )
    for field, slot in slots.items():
        if slot["ok"]:
            print(f"{field}: {slot['value']} ({slot['ms']} ms)")
        else:
            print(f"{field}: missing (ended after {slot.get('ms', 0)} ms)")
    if error is not None:
        print(f"scatter_gather: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
