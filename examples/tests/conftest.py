# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers of the end-to-end tests of examples/ (run by
scripts/examples_test.sh): processes whose output lines are read with a
timeout, and the summary line the script ends with."""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

EXAMPLES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME_SERVICE = os.path.join(EXAMPLES, "scatter_gather", "name_service.py")

# Every wait is bounded. These bounds are generous because the tests run on
# a shared machine; each test says which ones are the feature.
START_TIMEOUT = 20.0  # a program or server prints its first lines
EXIT_TIMEOUT = 20.0  # a program exits once it has been told to


SANITIZER_REPORTS = (
    "WARNING: DATA RACE",
    "WARNING: ThreadSanitizer",
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
)


class Proc:
    """A child process whose stdout and stderr lines are collected by two
    reader threads; every wait on it takes a timeout."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.lines = queue.Queue()  # (stream, line), in arrival order
        self.out, self.err = [], []
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.readers = [
            threading.Thread(target=self._read, args=(s, n, keep), daemon=True)
            for s, n, keep in (
                (self.popen.stdout, "out", self.out),
                (self.popen.stderr, "err", self.err),
            )
        ]
        for r in self.readers:
            r.start()

    def _read(self, stream, name, keep):
        for line in stream:
            keep.append(line.rstrip("\n"))
            self.lines.put((name, line.rstrip("\n")))

    def expect(self, pattern, timeout=START_TIMEOUT):
        """Waits for a line (either stream) matching `pattern`; returns the
        match. Lines read before are skipped over (they stay in out/err)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no line matching {pattern!r} within {timeout} s\n"
                    + self.transcript()
                )
            try:
                _, line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            m = re.search(pattern, line)
            if m:
                return m

    def wait(self, timeout=EXIT_TIMEOUT):
        """The exit status, once the process has exited and its output is
        read; fails (and kills it) after `timeout` seconds."""
        try:
            rc = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{self.argv[0]} did not exit within {timeout} s\n" + self.transcript()
            )
        for r in self.readers:
            r.join(timeout=5)
        # A sanitizer's or the Go race detector's report fails the test,
        # whatever the exit status (a failure path exits non-zero anyway).
        for marker in SANITIZER_REPORTS:
            assert marker not in self.text(), self.transcript()
        return rc

    def signal(self, sig=signal.SIGTERM):
        self.popen.send_signal(sig)

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def text(self):
        return "\n".join(self.out + self.err)

    def transcript(self):
        return (
            f"$ {' '.join(self.argv)}\n--- stdout\n"
            + "\n".join(self.out)
            + "\n--- stderr\n"
            + "\n".join(self.err)
        )


@pytest.fixture
def spawn():
    """spawn(argv) starts a Proc that is killed when the test ends."""
    procs = []

    def start(argv, env=None):
        p = Proc(argv, env=env)
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.kill()


@pytest.fixture
def name_service(spawn):
    """name_service(delay_ms=0, fail=False) starts examples/scatter_gather/
    name_service.py on 127.0.0.1 and returns (base URL, its Proc)."""

    def start(delay_ms=0, fail=False):
        argv = [sys.executable, NAME_SERVICE, f"--delay-ms={delay_ms}"]
        if fail:
            argv.append("--fail")
        p = spawn(argv)
        port = p.expect(r"^listening (\d+)$").group(1)
        return f"http://127.0.0.1:{port}", p

    return start


_summary = []


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = len(stats.get("skipped", []))
    _summary.append(
        f"examples: {passed} passed, {failed} failed"
        + (f" ({skipped} skipped)" if skipped else "")
    )


def pytest_unconfigure():
    """The last line of the run: after pytest's own summary."""
    for line in _summary:
        print(line, flush=True)
