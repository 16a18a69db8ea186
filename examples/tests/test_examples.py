# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of the lifecycle and scatter-gather examples, in C, Go
and Python, against real servers on 127.0.0.1 ephemeral ports.

EXAMPLES_BIN names the directories (separated by ':') holding the built
programs (lifecycle, scatter_gather from CMake; golifecycle, goscatter from
go build);
LIBERRGROUP_PATH the library the Python program loads. A program that was
not built is skipped, with the reason.
"""
import os
import re
import signal
import socket
import sys
import time
import urllib.request

import pytest

from conftest import EXAMPLES

BIN = os.environ.get("EXAMPLES_BIN", "")

# The stop timeout of the SIGTERM test: generous, so that a loaded machine
# still stops well inside it; the test checks the stop took less.
STOP_TIMEOUT_MS = 5000
# The hanging-stop test: the stop must end at this timeout, not before
# (the hang is real) and not long after (the timeout ended it).
HANG_TIMEOUT_MS = 700


def program(name):
    for directory in BIN.split(os.pathsep):
        path = os.path.join(directory, name)
        if directory and os.access(path, os.X_OK):
            return [path]
    pytest.skip(f"{name} not built (not in EXAMPLES_BIN={BIN!r}; see scripts/examples_test.sh)")


def python_scatter_gather():
    if not os.environ.get("LIBERRGROUP_PATH"):
        pytest.skip("LIBERRGROUP_PATH not set")
    return [sys.executable, os.path.join(EXAMPLES, "scatter_gather", "scatter_gather.py")]


LIFECYCLE = {"c": lambda: program("lifecycle"), "go": lambda: program("golifecycle")}
SCATTER = {
    "c": lambda: program("scatter_gather"),
    "go": lambda: program("goscatter"),
    "python": python_scatter_gather,
}


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read().decode()


# ---------------------------------------------------------------------------
# lifecycle
# ---------------------------------------------------------------------------


def start_lifecycle(spawn, impl, *flags):
    p = spawn(LIFECYCLE[impl]() + list(flags) + ["a=0", "b=0"])
    # The servers' lines and the "running" line come in any order (each
    # server prints its line once listening, after the barrier).
    ports, running = {}, False
    while len(ports) < 2 or not running:
        m = p.expect(r"server (\w+) listening on http://127\.0\.0\.1:(\d+)/|running 2 servers")
        if m.group(1):
            ports[m.group(1)] = int(m.group(2))
        else:
            running = True
    return p, ports


@pytest.mark.parametrize("impl", LIFECYCLE)
def test_lifecycle_sigterm_stops_both_within_stop_timeout(spawn, impl):
    p, ports = start_lifecycle(spawn, impl, f"--stop-timeout={STOP_TIMEOUT_MS}")
    assert sorted(ports) == ["a", "b"]
    for name, port in ports.items():
        assert get(f"http://127.0.0.1:{port}/") == f"hello from server {name}\n"
    start = time.monotonic()
    p.signal(signal.SIGTERM)
    rc = p.wait()
    took = time.monotonic() - start
    assert rc == 0, p.transcript()
    assert took < STOP_TIMEOUT_MS / 1000, p.transcript()
    out = p.text()
    assert "SIGTERM received, stopping" in out
    assert "server a stopped" in out and "server b stopped" in out, out
    for port in ports.values():  # nobody listens any more
        with pytest.raises(OSError):
            get(f"http://127.0.0.1:{port}/", timeout=2)


@pytest.mark.parametrize("impl", LIFECYCLE)
def test_lifecycle_sigint_stops_too(spawn, impl):
    p, _ = start_lifecycle(spawn, impl)
    p.signal(signal.SIGINT)
    assert p.wait() == 0, p.transcript()
    assert "SIGINT received" in p.text()


@pytest.mark.parametrize("impl", LIFECYCLE)
def test_lifecycle_failing_server_stops_the_other(spawn, impl):
    p, ports = start_lifecycle(spawn, impl)
    get(f"http://127.0.0.1:{ports['a']}/fail")
    rc = p.wait()
    assert rc != 0, p.transcript()
    assert "server a: failure requested through /fail" in "\n".join(p.err), p.transcript()
    assert "server b stopped" in p.text(), p.transcript()


@pytest.mark.parametrize("impl", LIFECYCLE)
def test_lifecycle_server_that_cannot_listen_stops_the_other(spawn, impl):
    # A port already taken: server a's start fails, b stops, exit non-zero.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = spawn(LIFECYCLE[impl]() + [f"a={port}", "b=0"])
        rc = p.wait()
    assert rc != 0, p.transcript()
    assert re.search(rf"server a: .*127\.0\.0\.1:{port}", "\n".join(p.err)), p.transcript()
    assert "server b stopped" in p.text(), p.transcript()


@pytest.mark.parametrize("impl", LIFECYCLE)
def test_lifecycle_hanging_stop_ends_at_stop_timeout(spawn, impl):
    p, _ = start_lifecycle(
        spawn, impl, f"--stop-timeout={HANG_TIMEOUT_MS}", "--hang-stop=b"
    )
    start = time.monotonic()
    p.signal(signal.SIGTERM)
    rc = p.wait()
    took = time.monotonic() - start
    assert rc != 0, p.transcript()
    assert "server b: stop: context deadline exceeded" in "\n".join(p.err), p.transcript()
    assert "server a stopped" in p.text(), p.transcript()
    # The timeout is the feature: not before it (0.9: the clocks differ by
    # the signal's delivery), and within a generous bound after it.
    assert took >= 0.9 * HANG_TIMEOUT_MS / 1000, took
    assert took < HANG_TIMEOUT_MS / 1000 + 10, took


def test_golifecycle_go_error_stops_the_c_task(spawn):
    p, ports = start_lifecycle(spawn, "go")
    get(f"http://127.0.0.1:{ports['b']}/fail")
    assert p.wait() != 0, p.transcript()
    assert "C worker stopped: server b: failure requested through /fail" in p.text(), p.transcript()


def test_golifecycle_c_error_stops_the_go_servers(spawn):
    p, _ = start_lifecycle(spawn, "go", "--fail-c-after=200")
    assert p.wait() != 0, p.transcript()
    err = "\n".join(p.err)
    assert "C worker: failed after 200 ms" in err, p.transcript()
    out = p.text()
    assert "server a stopped" in out and "server b stopped" in out, out


# ---------------------------------------------------------------------------
# scatter-gather
# ---------------------------------------------------------------------------


def scatter(spawn, impl, url, deadline_ms, store_ms, user="alice"):
    argv = SCATTER[impl]() + [
        f"--names={url}",
        f"--deadline={deadline_ms}",
        f"--store-latency={store_ms}",
        user,
    ]
    p = spawn(argv)
    start = time.monotonic()
    rc = p.wait()
    return p, rc, time.monotonic() - start


def result_lines(p):
    return {
        m.group(1): m.group(2)
        for m in (re.match(r"^(name|email|plan): (.*?)(?: \((?:ended after )?\d+ ms\))?$", l) for l in p.out)
        if m
    }


@pytest.mark.parametrize("impl", SCATTER)
def test_scatter_long_deadline_gives_every_result(spawn, name_service, impl):
    url, ns = name_service(delay_ms=100)
    p, rc, _ = scatter(spawn, impl, url, deadline_ms=15000, store_ms=50)
    assert rc == 0, p.transcript()
    assert result_lines(p) == {
        "name": "Alice Liddell",
        "email": "alice@example.org",
        "plan": "team",
    }, p.transcript()
    ns.expect(r"^served /users/alice after \d+ ms$")


@pytest.mark.parametrize("impl", SCATTER)
def test_scatter_short_deadline_gives_partial_result(spawn, name_service, impl):
    # The name service answers after 30 s, the store after 50 ms, the
    # deadline is 1 s: the store's fields arrive, the name does not.
    url, ns = name_service(delay_ms=30000)
    p, rc, took = scatter(spawn, impl, url, deadline_ms=1000, store_ms=50)
    assert rc != 0, p.transcript()
    assert result_lines(p) == {
        "name": "missing",
        "email": "alice@example.org",
        "plan": "team",
    }, p.transcript()
    assert "context deadline exceeded" in "\n".join(p.err), p.transcript()
    # No transfer outlives the deadline: the program does not wait for the
    # name service's answer, and the name service sees the connection
    # closed long before its 30 s (at the 1 s deadline, less the program's
    # start-up; the bound is generous: the machine is shared).
    assert took < 15, took
    closed = ns.expect(r"^closed /users/alice after (\d+) ms$")
    assert int(closed.group(1)) < 10000, closed.group(0)


@pytest.mark.parametrize("impl", SCATTER)
def test_scatter_failing_name_service_cancels_the_store(spawn, name_service, impl):
    # The store would take 30 s; the name service fails at once: its error
    # cancels the store lookups, which end long before their latency.
    url, _ = name_service(fail=True)
    p, rc, took = scatter(spawn, impl, url, deadline_ms=60000, store_ms=30000)
    assert rc != 0, p.transcript()
    assert "name service: HTTP 500" in "\n".join(p.err), p.transcript()
    assert result_lines(p) == {"name": "missing", "email": "missing", "plan": "missing"}
    assert took < 15, took


@pytest.mark.parametrize("impl", SCATTER)
def test_scatter_store_error_cancels_the_transfer(spawn, name_service, impl):
    # The other way round: the store has no user carol and fails after
    # 50 ms; that cancels the name service's transfer in flight.
    url, ns = name_service(delay_ms=30000)
    p, rc, took = scatter(spawn, impl, url, deadline_ms=60000, store_ms=50, user="carol")
    assert rc != 0, p.transcript()
    assert "store: no user carol" in "\n".join(p.err), p.transcript()
    assert took < 15, took
    closed = ns.expect(r"^closed /users/carol after (\d+) ms$")
    assert int(closed.group(1)) < 10000, closed.group(0)
