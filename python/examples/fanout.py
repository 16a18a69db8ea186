# SPDX-License-Identifier: BSD-3-Clause
"""Fan out, fail, cancel: the Python version of examples/fanout.c.

Checks files in parallel (at most 4 at once); the first failure cancels the
others through the group's context, and the block raises it. Run by
scripts/python_pip_test.sh against the pip-installed package:

    python3 python/examples/fanout.py
"""
import threading

import liberrgroup


class ChecksumError(Exception):
    pass


def check(ctx, name, started, bad):
    started.wait(30)  # every task has started: the failure will cancel them
    if name == bad:
        raise ChecksumError(f"{name}: checksum mismatch")
    # A long job that watches its context: it stops as soon as another
    # task failed (ctx.wait returns True once the context is done).
    if ctx.wait(timeout=30):
        return
    raise TimeoutError(f"{name}: nobody failed")


def main():
    names = [f"part-{i}" for i in range(4)]
    started = threading.Barrier(len(names))
    g, ctx = liberrgroup.Group.with_context()
    g.set_limit(4)
    try:
        with ctx, g:
            for name in names:
                g.go(check, ctx, name, started, "part-2")
    except ChecksumError as exc:
        print(f"first error: {exc}")
    # The context is still readable after the block: Go's context.Cause.
    print(f"context: {ctx.err()}, cause: {ctx.cause()}")

    # No failure: the block just waits for every task.
    results = {}
    with liberrgroup.Group() as g:
        for n in range(5):
            g.go(results.__setitem__, n, n * n)
    print(f"squares: {[results[n] for n in range(5)]}")
    print(f"liberrgroup {liberrgroup.library_version()}: OK")


if __name__ == "__main__":
    main()
