"""celib/_kernels.py under fork and threads (issue 26, item 1).

* A process forked after a parallel fast-path call (the pool exists, its threads are not copied)
  makes the same call again and finishes within seconds. Before the fix it hung forever.
* Two threads calling the fast path at the same time get the results of sequential calls.

The fork test runs in a separate interpreter with a timeout, so a regression fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import celib
from celib import _kernels

# Large enough for the threaded fast path at its real thresholds (2048 x 512 float32, issue 26).
SHAPE = (2048, 512)

FORK_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    import celib
    from celib import _kernels

    z = np.random.default_rng(1).standard_normal({shape}).astype(np.float32)
    y = np.random.default_rng(2).integers(0, z.shape[1], z.shape[0])
    assert _kernels.eligible(z) and z.size >= _kernels.MIN_PARALLEL_ELEMENTS and _kernels.num_threads() > 1
    before = celib.sparse_categorical_cross_entropy(y, z, from_logits=True)
    grad_before = celib.softmax_cross_entropy_grad(y, z, from_logits=True)
    assert _kernels._pool is not None, "the parallel path did not create its pool"
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: the same calls, through a pool it must create afresh
        ok = (celib.sparse_categorical_cross_entropy(y, z, from_logits=True) == before
              and np.array_equal(celib.softmax_cross_entropy_grad(y, z, from_logits=True), grad_before))
        os._exit(0 if ok else 3)
    deadline = start + {timeout}
    while time.perf_counter() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print(f"child exit={{os.waitstatus_to_exitcode(status)}} seconds={{time.perf_counter() - start:.3f}}")
            sys.exit(0)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("child still running: deadlock")
    sys.exit(1)
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_after_a_parallel_call_finishes_within_seconds():
    # two threads even on a one-CPU runner, so that the pool really exists before the fork
    script = "from celib import _kernels\n_kernels.num_threads = lambda: 2\n" + FORK_SCRIPT.format(
        shape=SHAPE, timeout=10)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "child exit=0" in result.stdout, result.stdout + result.stderr
    seconds = float(result.stdout.split("seconds=")[1])
    assert seconds < 10


def test_two_threads_calling_the_fast_path_get_the_sequential_results(monkeypatch):
    monkeypatch.setattr(_kernels, "num_threads", lambda: 2)
    rng = np.random.default_rng(7)
    inputs = []
    for k in range(2):
        z = (3 * rng.standard_normal(SHAPE)).astype(np.float32 if k == 0 else np.float64)
        inputs.append((z, rng.integers(0, SHAPE[1], SHAPE[0])))
    assert all(_kernels.eligible(z) for z, _ in inputs)

    def both(z, y):
        return (celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none"),
                celib.softmax_cross_entropy_grad(y, z, from_logits=True))

    expected = [both(z, y) for z, y in inputs]
    results: dict[int, list] = {0: [], 1: []}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(k):
        try:
            barrier.wait()
            for _ in range(4):
                results[k].append(both(*inputs[k]))
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread is still running after 60 s"
    assert not errors, errors
    for k in range(2):
        assert len(results[k]) == 4
        for loss, grad in results[k]:
            np.testing.assert_array_equal(loss, expected[k][0])
            np.testing.assert_array_equal(grad, expected[k][1])
    assert time.perf_counter() - start < 60
