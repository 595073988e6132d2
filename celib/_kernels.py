r"""Fast paths for softmax cross-entropy on large 2-D float32/float64 logits (internal).

:func:`celib.sparse_categorical_cross_entropy` (``from_logits=True``) and
:func:`celib.softmax_cross_entropy_grad` dispatch here for the common case -- a C-contiguous
``(N, C)`` float32 or float64 array of at least :data:`MIN_ELEMENTS` elements with integer labels,
no label smoothing -- and keep their straightforward NumPy code as the general path. The results
agree with the general path to float rounding; ``tests/test_kernels.py`` checks that, and
``bench/run.py`` measures the speed.

What makes it fast
------------------
* **Cache-sized tiles, reused buffers.** The rows are processed a few at a time (at most 128 Ki
  elements per tile, and all threads' scratch together at most 4% of the logits), so a tile
  read from memory is still in the core's cache when the next step needs it, and one scratch
  buffer per thread is reused for every tile. Nothing of size ``(N, C)`` is allocated for the
  loss; the gradient writes straight into its output.
* **Three cheap passes over a tile instead of five over the array.** The straightforward
  log-sum-exp reads the logits for the row maximum, writes ``x - m``, exponentiates, sums and
  takes a log, each step over the whole array, with temporaries as large as the input. Here each
  tile is exponentiated once *without* the shift and summed (plus the finiteness sum below).
  That is exact whenever the row sum :math:`S = \sum_j e^{x_j}` is a normal, finite number --
  ``exp`` has the same relative accuracy with or without the shift -- and the rare rows whose
  sum overflows or becomes tiny (logits beyond about +-80 in float32) are recomputed with the
  shifted formula. The loss is :math:`\ln S - x_y`, taken in float64 from the float32 sum so
  that no digit is lost to the size of :math:`\ln S`; the full log-softmax is never formed.
* **Validation on the results.** The general path checks ``np.isfinite`` on every element before
  it starts: a full extra pass. Here each tile's row sums :math:`\sum_j x_j` are computed while
  the tile is in cache (an ``einsum``, which vectorises where ``sum(axis=1)`` does not): a NaN or
  an infinity anywhere in a row makes that sum NaN or infinite, and a NaN or ``+inf`` also makes
  :math:`S` non-finite. Only if a check fails does the caller rerun the general path, which finds
  the first bad element and raises the usual error naming the argument. (A row sum can also
  overflow for huge finite logits, about 1e35 in float32; the general path then simply computes
  the answer.)
* **Both cores.** NumPy releases the GIL inside ``exp`` and ``einsum``, so a small thread pool
  works on the tiles in parallel once the input is large enough to repay the hand-off. Tiles
  are handed out one at a time, so a core that is busy with another process takes fewer. The
  pool is created on first use and forgotten in a child made by ``fork`` (whose copy would have
  no threads), and each call has its own tile counter and output arrays, so threads calling the
  fast path at the same time share nothing but the pool.

Nothing here is public; every entry point returns ``None`` to mean "not handled, use the general
path".
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _validate as v

try:  # einsum without its Python wrapper (about 1 us less per call); same function underneath
    from numpy._core.multiarray import c_einsum as _sum_rows
except ImportError:  # pragma: no cover - other NumPy layouts
    _sum_rows = np.einsum

#: Smallest input (in elements) that takes a fast path. Smaller inputs gain little and keep the
#: general path's results bit for bit (the lessons print them).
MIN_ELEMENTS = 1 << 16
#: Smallest input (in elements) worth splitting across threads.
MIN_PARALLEL_ELEMENTS = 1 << 18
#: Elements per tile: 512 KiB of float32; with the tile it is read from, 1 MiB of a 2 MiB L2 cache.
TILE_ELEMENTS = 1 << 17
#: Scratch memory of all threads together, as a fraction of the logits' size (at most).
SCRATCH_FRACTION = 0.04

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def num_threads() -> int:
    """Threads the fast paths use: the CPUs this process may run on, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="celib-kernel")
        return _pool


def _forget_pool_in_child() -> None:
    """After ``fork``, start the child with no pool: the parent's worker threads were not copied.

    ``fork`` copies only the calling thread. The child inherits a pool object whose workers do not
    exist, so a task submitted to it would wait forever (the default start method of
    ``multiprocessing`` on Linux before Python 3.14, of PyTorch DataLoader workers and of joblib).
    The lock is replaced too: another parent thread may have held it at the moment of the fork.
    """
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def eligible(x, axis=-1) -> bool:
    """Whether ``x`` is an array a fast path handles (2-D, float32/64, C-contiguous, large).

    ``axis`` is the class axis the caller asked for; only the last one (-1 or 1) qualifies.
    """
    return (
        type(axis) in (int, np.int32, np.int64)
        and axis in (-1, 1)
        and isinstance(x, np.ndarray)
        and type(x) is np.ndarray  # not a subclass (masked arrays, matrices) with its own rules
        and x.ndim == 2
        and x.dtype in _DTYPES
        and x.flags.c_contiguous
        and x.size >= MIN_ELEMENTS
        and x.shape[1] >= 1
    )


# ---------------------------------------------------------------------------------------------
# the row kernel


def _tile_shape(n_rows: int, n_cols: int, threads: int) -> tuple[int, int]:
    """Rows and columns per tile: about TILE_ELEMENTS, fewer if scratch would exceed its share."""
    budget = min(TILE_ELEMENTS, max(4096, int(SCRATCH_FRACTION * n_rows * n_cols / threads)))
    cols = min(n_cols, budget)
    return max(1, budget // n_cols) if cols == n_cols else 1, cols


def _row_sums(z, tile_rows, tile_cols, S, sx, grad, grad_scale, tiles, exclude=None):
    """Fill ``S[i] = sum_j exp(z[i, j])`` and ``sx[i] = sum_j z[i, j]``, one row tile at a time.

    With ``exclude`` (one column per row, the labels), ``S[i]`` leaves out ``exp(z[i, exclude[i]])``:
    the sum over the other classes, from which a small loss keeps its relative accuracy.

    ``tiles`` hands out tile numbers to whichever thread asks first (``next`` on an
    ``itertools.count`` is atomic), so a thread that the operating system delays simply takes
    fewer tiles. With ``grad`` (an output array shaped like ``z``), ``exp(z)`` is written there
    and each row is then scaled by ``grad_scale / S[i]``: the softmax times the reduction's
    factor. Otherwise the exponentials go to a scratch tile that is reused.
    """
    # errstate is per thread (a context variable): set it here, not only in the calling thread
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _row_sums_loop(z, tile_rows, tile_cols, S, sx, grad, grad_scale, tiles, exclude)


def _row_sums_loop(z, tile_rows, tile_cols, S, sx, grad, grad_scale, tiles, exclude):
    n_rows, n_cols = z.shape
    scratch = None
    while True:
        r0 = next(tiles) * tile_rows
        if r0 >= n_rows:
            return
        r1 = min(r0 + tile_rows, n_rows)
        if grad is None and scratch is None:
            scratch = np.empty((tile_rows, tile_cols), z.dtype)
        if tile_cols == n_cols:  # whole rows per tile: the common case, fewest calls
            zt = z[r0:r1]
            et = grad[r0:r1] if grad is not None else scratch[: r1 - r0]
            np.exp(zt, out=et)  # may overflow to inf: such rows are redone with the shift
            if exclude is not None:
                et[np.arange(r1 - r0), exclude[r0:r1]] = 0
            _sum_rows("ij->i", et, out=S[r0:r1])
            _sum_rows("ij->i", zt, out=sx[r0:r1])
        else:  # rows longer than a tile: column tiles, sums accumulated
            S[r0:r1] = 0
            sx[r0:r1] = 0
            for c0 in range(0, n_cols, tile_cols):
                c1 = min(c0 + tile_cols, n_cols)
                zt = z[r0:r1, c0:c1]
                et = grad[r0:r1, c0:c1] if grad is not None else scratch[: r1 - r0, : c1 - c0]
                np.exp(zt, out=et)
                if exclude is not None:
                    hit = np.flatnonzero((exclude[r0:r1] >= c0) & (exclude[r0:r1] < c1))
                    et[hit, exclude[r0 + hit] - c0] = 0
                S[r0:r1] += _sum_rows("ij->i", et)
                sx[r0:r1] += _sum_rows("ij->i", zt)
        if grad is not None:
            factor = grad_scale / S[r0:r1]
            grad[r0:r1] *= factor[:, None]


def _parallel_tiles(fn, n_tiles: int, threads: int) -> None:
    """Run ``fn(tiles)`` on ``threads`` threads (this one included) sharing one tile counter."""
    tiles = itertools.count()
    threads = min(threads, n_tiles)
    if threads <= 1:
        fn(tiles)
        return
    pool = _executor(threads - 1)
    futures = [pool.submit(fn, tiles) for _ in range(threads - 1)]
    try:
        fn(tiles)
    finally:
        for f in futures:
            f.result()


def row_logsumexp(z: np.ndarray, *, grad: np.ndarray | None = None, grad_scale: float = 1.0):
    """Per-row log-sum-exp of a 2-D float array as ``shift + log_sum`` (float64), or None.

    ``LSE(z_i) = shift[i] + log_sum[i]``. Rows computed without the shift have ``shift = 0`` and
    ``log_sum = ln S`` taken in float64, so ``LSE - z_y`` subtracted in float64 keeps every digit
    the float32 sum ``S`` has (a float32 ``ln S`` near 50 would already be off by 4e-6). Rows
    redone with the shift have ``shift = max_j z_ij`` and ``log_sum = ln sum_j e^(z_ij - shift)``;
    callers form ``(shift - z_y) + log_sum`` in that order, so a large shift cancels first.

    With ``grad`` (an uninitialised array like ``z``) it is filled with
    ``grad_scale * softmax(z)`` as a by-product.

    Returns None when a row holds NaN or +-inf, or when a row sum of ``z`` overflows (the caller
    then takes the general path, which raises or computes).
    """
    n_rows, n_cols = z.shape
    threads = num_threads() if z.size >= MIN_PARALLEL_ELEMENTS else 1
    tile_rows, tile_cols = _tile_shape(n_rows, n_cols, threads)
    S = np.empty(n_rows, z.dtype)
    sx = np.empty(n_rows, z.dtype)
    scale = z.dtype.type(grad_scale)
    with np.errstate(over="ignore", invalid="ignore"):
        _parallel_tiles(
            lambda tiles: _row_sums(z, tile_rows, tile_cols, S, sx, grad, scale, tiles),
            -(-n_rows // tile_rows), threads,
        )
    if not np.isfinite(sx).all():
        return None
    # S is exact to rounding when it is a normal finite number well above the subnormal range
    # (subnormal terms then change it by far less than one ulp); other rows take the shift.
    info = np.finfo(z.dtype)
    redo = ~((S >= np.sqrt(info.tiny)) & (S <= info.max))
    shift = np.zeros(n_rows)
    with np.errstate(divide="ignore"):
        log_sum = np.log(S.astype(np.float64))
    if redo.any():
        _shifted_rows(z, np.flatnonzero(redo), shift, log_sum, grad, scale, tile_rows)
    return shift, log_sum


def row_cross_entropy(z: np.ndarray, labels: np.ndarray):
    """Per-row ``-ln softmax(z)_y`` of a 2-D float array (float64), or None.

    Computed as ``log1p(R / e^{z_y})`` with ``R = sum_{j != y} e^{z_j}`` summed without the label's
    term, in float64 from the dtype's sum: for a confident, correct row ``R / e^{z_y}`` is the
    whole loss, and ``ln S - z_y`` (with ``S`` including ``e^{z_y}``) would round it away once it
    is below the dtype's precision (logits ``(17, 0, 0)`` in float32: 0 instead of 8.3e-8). Where
    the ratio overflows, the loss is large and ``ln R - z_y`` is exact to rounding. Rows whose
    ``R`` is not a normal number well above the subnormal range, or whose label logit is beyond
    float64's ``exp`` (above 700), are redone with the shifted formula of
    :func:`celib.softmax._max_and_log_sum`.

    Returns None when a row holds NaN or +-inf, or when a row sum of ``z`` overflows.
    """
    n_rows, n_cols = z.shape
    threads = num_threads() if z.size >= MIN_PARALLEL_ELEMENTS else 1
    tile_rows, tile_cols = _tile_shape(n_rows, n_cols, threads)
    R = np.empty(n_rows, z.dtype)
    sx = np.empty(n_rows, z.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        _parallel_tiles(
            lambda tiles: _row_sums(z, tile_rows, tile_cols, R, sx, None, 1.0, tiles, labels),
            -(-n_rows // tile_rows), threads,
        )
    if not np.isfinite(sx).all():
        return None
    info = np.finfo(z.dtype)
    z_y = z[np.arange(n_rows), labels].astype(np.float64)
    R64 = R.astype(np.float64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = R64 * np.exp(-z_y)
        losses = np.where(np.isfinite(ratio), np.log1p(ratio), np.log(R64) - z_y)
    redo = ~((R >= np.sqrt(info.tiny)) & (R <= info.max)) | (z_y > 700)
    if redo.any():
        from .softmax import _max_and_log_sum  # (import here: softmax imports nothing from here)

        rows = np.flatnonzero(redo)
        for k in range(0, rows.size, tile_rows):
            idx = rows[k : k + tile_rows]
            zt = z[idx]
            m, ln_s = _max_and_log_sum(zt, 1)
            # -ln q_y = (m - z_y) + ln s, with m - z_y first (exact, and 0 for the top class)
            losses[idx] = ((m[:, 0] - zt[np.arange(idx.size), labels[idx]]) + ln_s[:, 0]).astype(np.float64)
    return losses


def _shifted_rows(z, rows, shift, log_sum, grad, scale, tile_rows):
    """The straightforward shifted log-sum-exp (and softmax) for the listed rows only."""
    for k in range(0, rows.size, tile_rows):
        idx = rows[k : k + tile_rows]
        zt = z[idx]
        m = zt.max(axis=1, keepdims=True)
        e = np.exp(zt - m)
        s = e.sum(axis=1, keepdims=True)
        shift[idx] = m[:, 0]
        log_sum[idx] = np.log(s[:, 0].astype(np.float64))
        if grad is not None:
            grad[idx] = e * (scale / s)


# ---------------------------------------------------------------------------------------------
# entry points used by losses.py and grad.py


def sparse_cross_entropy(labels, logits: np.ndarray, *, ignore_index, class_weight, reduction: str):
    """Fast :func:`celib.sparse_categorical_cross_entropy` from logits, or None to fall back.

    Same semantics as the general path without label smoothing: ``ignore_index`` rows count in
    neither numerator nor denominator, ``class_weight`` weights each row by its true class, and
    ``"mean"`` divides by the sum of the weights used. The caller has checked ``reduction``,
    ``label_smoothing == 0``, ``eps is None`` and ``ignore_index``'s type.
    """
    n_rows, n_classes = logits.shape
    try:
        raw = np.asarray(labels)
    except Exception:
        return None
    if raw.shape != (n_rows,):
        return None  # the general path explains the shape error
    # Labels are range-checked before the kernel indexes with them; an invalid one sends the call
    # to the general path, which checks the logits first and then raises this same error.
    try:
        y = v.check_labels(raw, "labels", n_classes, ignore_index=ignore_index)
    except (TypeError, ValueError):
        return None
    keep = None if ignore_index is None else y != ignore_index
    safe = y if keep is None else np.where(keep, y, 0)
    nll = row_cross_entropy(logits, safe)
    if nll is None:
        return None  # a non-finite logit: the general path locates it and raises
    w = v.check_class_weight(class_weight, n_classes, logits.dtype)
    dtype = logits.dtype
    losses = nll.astype(dtype)  # computed in float64, rounded once
    weights = None
    if w is not None:
        weights = w[safe]
        losses = weights * losses
    losses, weights = v.mask_ignored(losses, weights, keep)
    return v.finish(losses, reduction, dtype, weights)


def softmax_cross_entropy_grad(labels, logits: np.ndarray, *, reduction: str):
    """Fast :func:`celib.softmax_cross_entropy_grad` for integer labels, or None to fall back.

    Returns ``(softmax(z) - onehot(y)) / N`` for ``"mean"`` (without the ``/ N`` otherwise),
    computed as ``exp(z) * (1 / (N S))`` tile by tile, then ``1 / N`` subtracted at each label.
    """
    n_rows, n_classes = logits.shape
    try:
        raw = np.asarray(labels)
    except Exception:
        return None
    if raw.shape != (n_rows,):
        return None  # one-hot / soft targets, or a shape error: general path
    try:
        y = v.check_labels(raw, "labels_or_onehot", n_classes)
    except (TypeError, ValueError):
        return None  # the general path checks the logits first, then raises this same error
    inv_count = 1.0 / n_rows if reduction == "mean" else 1.0
    grad = np.empty_like(logits)
    if row_logsumexp(logits, grad=grad, grad_scale=inv_count) is None:
        return None
    grad[np.arange(n_rows), y] -= logits.dtype.type(inv_count)
    return grad
