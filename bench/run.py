"""Benchmark celib's cross-entropy fast paths and its large-vocabulary losses.

Run ``make bench`` (or ``python bench/run.py``). It prints, for each shape, the median time of

* celib (``sparse_categorical_cross_entropy(..., from_logits=True)``, and with
  ``softmax_cross_entropy_grad`` for forward + gradient),
* the straightforward NumPy version (bench/reference.py), always,
* PyTorch's CPU ``torch.nn.functional.cross_entropy`` (forward + ``backward()``), when torch is
  importable in this interpreter (it is not a project dependency; see the README in this folder),

with the ratios celib / torch and celib / NumPy (below 1.0 means celib is faster), the extra peak
memory each NumPy route allocates as a share of the logits' size (tracemalloc sees NumPy's
allocations), and the fused ``linear_cross_entropy`` against materialising ``hidden @ weight.T``.

Timings on a shared machine move with its load: the contenders run interleaved, round after round,
so a busy moment hits all of them, and the medians are reported. This is a benchmark, not a test:
it asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/reference.py

import celib  # noqa: E402
import reference  # noqa: E402
from celib import _kernels  # noqa: E402

# PyTorch's OpenMP threads (libgomp) spin-wait after every call by default, keeping the other core
# busy for a while; in an interleaved benchmark that time is taken from whatever runs next,
# including celib's threads. Passive waiting removes that cross-talk (set the variable yourself to
# override; measured here it did not change torch's own times beyond the noise).
if importlib.util.find_spec("torch") is not None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the normal case in the project's venv
    torch = None

SHAPES = [(4096, 1000), (1024, 50257)]
LINEAR = (2048, 512, 50257)  # tokens N, hidden size H, vocabulary V (GPT-2)


# ---------------------------------------------------------------------------------------------
# measuring


def interleaved_medians(contenders: dict, rounds: int, warmup: int = 1) -> dict:
    """Median seconds per contender, running each once per round in a rotating order."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def extra_peak(fn) -> tuple[object, int]:
    """``fn()`` and the peak bytes it allocated beyond what was allocated before (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        value = fn()
        return value, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x"


# ---------------------------------------------------------------------------------------------
# sections


def environment() -> None:
    print("environment")
    print(f"  python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs,"
          f" celib fast paths use {_kernels.num_threads()} threads")
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OMP_WAIT_POLICY")
    blas = {k: os.environ[k] for k in names if k in os.environ}
    print(f"  thread/BLAS environment: {blas or 'none set'}")
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            print(f"  threadpool: {pool.get('internal_api')} {pool.get('version')},"
                  f" kernel {pool.get('architecture')}, {pool.get('num_threads')} threads")
    except ImportError:
        pass
    if torch is None:
        print("  torch: not installed in this interpreter -> NumPy-reference ratios only")
    else:
        print(f"  torch {torch.__version__}, {torch.get_num_threads()} threads (its default)")
    print()


def fast_paths(rounds: int) -> None:
    print(f"sparse softmax cross-entropy, float32 logits, medians of {rounds} interleaved rounds")
    rng = np.random.default_rng(0)
    for n, c in SHAPES:
        x = rng.standard_normal((n, c), dtype=np.float32)
        y = rng.integers(0, c, n)
        logits_mb = x.nbytes / 2**20
        r = rounds if x.size < 10**7 else max(3, rounds // 3)

        def celib_fwd():
            return celib.sparse_categorical_cross_entropy(y, x, from_logits=True)

        def celib_fwd_grad():
            return celib.sparse_categorical_cross_entropy(y, x, from_logits=True), celib.softmax_cross_entropy_grad(y, x, from_logits=True)

        forward = {"celib": celib_fwd, "numpy": lambda: reference.cross_entropy(x, y)}
        both = {"celib": celib_fwd_grad, "numpy": lambda: reference.cross_entropy_with_grad(x, y)}
        if torch is not None:
            xt, yt = torch.from_numpy(x), torch.from_numpy(y)

            def torch_fwd():
                return F.cross_entropy(xt, yt)

            def torch_fwd_bwd():
                leaf = xt.detach().requires_grad_(True)
                loss = F.cross_entropy(leaf, yt)
                loss.backward()
                return loss, leaf.grad

            forward["torch"] = torch_fwd
            both["torch"] = torch_fwd_bwd

        print(f"  ({n}, {c}): logits {logits_mb:.1f} MiB")
        for label, contenders in (("forward", forward), ("forward + gradient", both)):
            t = interleaved_medians(contenders, r)
            line = f"    {label:19s} celib {ms(t['celib'])} | numpy {ms(t['numpy'])}"
            if "torch" in t:
                line += f" | torch {ms(t['torch'])}"
            line += f" | celib/numpy {ratio(t['celib'], t['numpy'])}"
            if "torch" in t:
                line += f" | celib/torch {ratio(t['celib'], t['torch'])}"
            print(line)

        # agreement and memory (separate runs: tracemalloc slows allocation a little)
        loss_c, peak_c = extra_peak(celib_fwd)
        loss_n, peak_n = extra_peak(lambda: reference.cross_entropy(x, y))
        (_, grad_c), peak_cg = extra_peak(celib_fwd_grad)
        (_, grad_n), peak_ng = extra_peak(lambda: reference.cross_entropy_with_grad(x, y))
        out = x.nbytes  # the gradient itself is an output as large as the logits
        agree = f"|celib - numpy| / numpy = {abs(float(loss_c) - loss_n) / abs(loss_n):.1e}"
        agree += f", max |grad diff| = {np.abs(grad_c - grad_n).max():.1e}"
        if torch is not None:
            loss_t = float(torch_fwd())
            agree += f", |celib - torch| / torch = {abs(float(loss_c) - loss_t) / abs(loss_t):.1e}"
        print(f"    agreement          {agree}")
        print(f"    extra peak memory  forward: celib {peak_c / x.nbytes:6.1%} of the logits,"
              f" numpy {peak_n / x.nbytes:6.1%};"
              f" forward + gradient (beyond the gradient itself): celib {(peak_cg - out) / x.nbytes:6.1%},"
              f" numpy {(peak_ng - out) / x.nbytes:6.1%}")
    print()


def large_vocabulary(rounds: int, with_grad: bool) -> None:
    n, h, v = LINEAR
    print(f"large vocabulary: N={n} tokens, H={h}, V={v}, float32")
    rng = np.random.default_rng(1)
    hidden = (rng.standard_normal((n, h), dtype=np.float32) / np.float32(np.sqrt(h))) * 4
    weight = rng.standard_normal((v, h), dtype=np.float32)
    labels = rng.integers(0, v, n)
    logits_mb = n * v * 4 / 2**20
    naive, peak_naive = extra_peak(lambda: reference.linear_cross_entropy(hidden, weight, labels))
    fused, peak_fused = extra_peak(lambda: celib.linear_cross_entropy(labels, hidden, weight))
    print(f"  logits hidden @ weight.T would be {logits_mb:.1f} MiB")
    print(f"  peak extra memory  naive {peak_naive / 2**20:7.1f} MiB | fused {peak_fused / 2**20:5.1f} MiB"
          f" | naive/fused {peak_naive / peak_fused:5.1f}x (target >= 20x)")
    print(f"  loss               naive {naive:.6f} | fused {float(fused):.6f}"
          f" | relative difference {abs(float(fused) - naive) / abs(naive):.1e}")
    t = interleaved_medians(
        {"naive": lambda: reference.linear_cross_entropy(hidden, weight, labels),
         "fused": lambda: celib.linear_cross_entropy(labels, hidden, weight)},
        rounds, warmup=0,
    )
    print(f"  time (median of {rounds})  naive {ms(t['naive'])} | fused {ms(t['fused'])}"
          f" | fused/naive {ratio(t['fused'], t['naive'])}")
    if with_grad:
        t0 = time.perf_counter()
        (_, grads), peak_grad = extra_peak(
            lambda: celib.linear_cross_entropy(labels, hidden, weight, return_grad=True))
        elapsed = time.perf_counter() - t0
        outputs = sum(g.nbytes for g in grads if g is not None)
        print(f"  with gradients     fused {ms(elapsed)} (one run), peak extra beyond the gradients"
              f" themselves {(peak_grad - outputs) / 2**20:.1f} MiB; the naive route would also hold"
              f" the softmax, another {logits_mb:.1f} MiB")
    print()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timing rounds per contender (default 30)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, skip the fused gradients")
    parser.add_argument("--skip-linear", action="store_true", help="skip the large-vocabulary section")
    args = parser.parse_args(argv)
    rounds = 7 if args.quick else args.rounds
    environment()
    fast_paths(rounds)
    if not args.skip_linear:
        large_vocabulary(3 if args.quick else 5, with_grad=not args.quick)


if __name__ == "__main__":
    main()
