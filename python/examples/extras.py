# SPDX-License-Identifier: BSD-3-Clause
"""The extras beyond the reference (library 1.1), in one small program.

A "server" task is started with Group.start and says when it is ready;
workers report each result as it comes (as_completed), every failure is
kept (keep_errors, an ExceptionGroup), and the server is stopped with
cancel() and a bounded wait. Run by scripts/python_pip_test.sh:

    python3 python/examples/extras.py
"""
import threading

import liberrgroup


class BadInput(Exception):
    pass


def serve(ctx, *, ready):
    ready("port 8080")  # Group.start returns this
    ctx.wait()  # until the group is canceled


def work(n):
    if n % 4 == 3:
        raise BadInput(f"item {n}")
    return n * n


def main():
    # 1. Start a server and wait until it is ready; stop it without an error.
    g, ctx = liberrgroup.Group.with_context()
    with ctx:
        print("server ready on", g.start(serve, ctx))
        g.cancel()  # no error is recorded: wait returns normally
        while not g.wait(timeout=5.0):
            print("still stopping")
        print("server stopped:", ctx.err())
        g.close()

    # 2. Results as they come, and every error at the end.
    g = liberrgroup.Group()
    g.set_limit(2)
    g.keep_errors(100)
    g.track_completions()
    for n in range(8):
        g.go(work, n)
    squares = sorted(r.value for r in g.as_completed() if r.exception is None)
    print("squares:", squares)
    try:
        g.wait()
    except BadInput as first:
        print("first error:", first)
    print("every error:", sorted(str(e) for e in g.errors().exceptions))
    g.close()

    # 3. The limit changes while tasks run.
    g = liberrgroup.Group()
    g.set_limit(1)
    release = threading.Event()
    g.go(release.wait, 30)
    g.resize_limit(2)
    g.go(release.set)  # admitted at once: the first task still holds its slot
    g.wait()
    g.close()
    print(f"liberrgroup {liberrgroup.library_version()}: OK")


if __name__ == "__main__":
    main()
