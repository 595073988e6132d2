"""celib/_kernels.py: the fast paths give the general path's results, errors and semantics.

Each test runs the same call twice, once with the fast path forced on (its size threshold lowered
to 0) and once forced off, and compares. Shapes are chosen to exercise the awkward corners: tiles
that do not divide the rows, column tiles (rows longer than a tile), several threads with uneven
shares, rows whose logits are too large or too small for the unshifted exponential.
"""

import tracemalloc

import numpy as np
import pytest

import celib
from celib import _kernels

TOL = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-12, atol=1e-15)}


@pytest.fixture
def fast(monkeypatch):
    """Fast path on for any size, threads on for any size, small tiles so that loops really loop."""
    monkeypatch.setattr(_kernels, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "TILE_ELEMENTS", 64)
    monkeypatch.setattr(_kernels, "num_threads", lambda: 3)


def general(fn, *args, **kwargs):
    saved = _kernels.MIN_ELEMENTS
    _kernels.MIN_ELEMENTS = np.inf
    try:
        return fn(*args, **kwargs)
    finally:
        _kernels.MIN_ELEMENTS = saved


def logits_and_labels(rng, n=37, c=23, dtype=np.float32, scale=3.0):
    z = (scale * rng.standard_normal((n, c))).astype(dtype)
    return z, rng.integers(0, c, n)


# --- results ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [None, -100, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_loss_matches_general_path(fast, rng, dtype, reduction, ignore_index, weighted):
    z, y = logits_and_labels(rng, dtype=dtype)
    if ignore_index is not None:
        y[::4] = ignore_index
    w = rng.uniform(0.1, 2.0, z.shape[1]) if weighted else None
    kw = dict(from_logits=True, ignore_index=ignore_index, class_weight=w, reduction=reduction)
    got = celib.sparse_categorical_cross_entropy(y, z, **kw)
    want = general(celib.sparse_categorical_cross_entropy, y, z, **kw)
    assert np.asarray(got).dtype == np.asarray(want).dtype == dtype
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_grad_matches_general_path(fast, rng, dtype, reduction):
    z, y = logits_and_labels(rng, dtype=dtype)
    got = celib.softmax_cross_entropy_grad(y, z, reduction=reduction, from_logits=True)
    want = general(celib.softmax_cross_entropy_grad, y, z, reduction=reduction, from_logits=True)
    assert got.dtype == want.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL[dtype]["rtol"], atol=10 * np.finfo(dtype).eps / len(y))
    np.testing.assert_allclose(got.sum(axis=1), 0, atol=20 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_beyond_the_unshifted_range_are_recomputed(fast, rng, dtype):
    z, y = logits_and_labels(rng, dtype=dtype)
    z[2] += 1000  # exp overflows without the shift
    z[5] -= 1000  # exp underflows to 0 without the shift
    z[7, 4] = 500
    for fn in (celib.sparse_categorical_cross_entropy, celib.softmax_cross_entropy_grad):
        kwargs = {"from_logits": True, "reduction": "none"} if fn is celib.sparse_categorical_cross_entropy else {"from_logits": True}
        got = fn(y, z, **kwargs)
        want = general(fn, y, z, **kwargs)
        assert np.isfinite(got).all()
        # losses of logits near +-1000 are only known to about 1000 * eps (the cancellation in
        # LSE - z_y), on either path
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=4000 * np.finfo(dtype).eps)



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_at_plus_minus_1e4_stay_finite_without_warnings(fast, rng, dtype):
    # the library's stability promise, on the fast path: every mix of -1e4, 0 and +1e4
    z = rng.choice(np.array([-1e4, 0.0, 1e4], dtype), size=(37, 23))
    y = rng.integers(0, 23, 37)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")
        grad = celib.softmax_cross_entropy_grad(y, z, from_logits=True)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    assert loss.dtype == grad.dtype == dtype
    want = general(celib.sparse_categorical_cross_entropy, y, z, from_logits=True, reduction="none")
    # 2e4 is only known to about 2e4 * eps on either path
    np.testing.assert_allclose(loss, want, rtol=1e-6, atol=4e4 * np.finfo(dtype).eps)

def test_huge_finite_logits_fall_back_and_still_compute(fast):
    z = np.full((8, 5), 3e37, np.float32)  # each row sum overflows float32, the values are finite
    y = np.arange(8) % 5
    got = celib.sparse_categorical_cross_entropy(y, z, from_logits=True)
    want = general(celib.sparse_categorical_cross_entropy, y, z, from_logits=True)
    assert got == want


def test_column_tiles_and_one_thread(monkeypatch, rng):
    monkeypatch.setattr(_kernels, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "TILE_ELEMENTS", 7)  # rows of 23 are split into column tiles
    monkeypatch.setattr(_kernels, "num_threads", lambda: 1)
    z, y = logits_and_labels(rng)
    np.testing.assert_allclose(
        celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none"),
        general(celib.sparse_categorical_cross_entropy, y, z, from_logits=True, reduction="none"),
        rtol=2e-6,
    )
    np.testing.assert_allclose(
        celib.softmax_cross_entropy_grad(y, z, from_logits=True), general(celib.softmax_cross_entropy_grad, y, z, from_logits=True),
        rtol=2e-6, atol=1e-8,
    )


def test_large_input_takes_the_fast_path_by_default(rng, monkeypatch):
    z, y = logits_and_labels(rng, n=600, c=200)  # 120,000 elements: above MIN_ELEMENTS
    assert _kernels.eligible(z)
    calls = []
    for name in ("row_logsumexp", "row_cross_entropy"):
        original = getattr(_kernels, name)
        monkeypatch.setattr(_kernels, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    loss = celib.sparse_categorical_cross_entropy(y, z, from_logits=True)
    grad = celib.softmax_cross_entropy_grad(y, z, from_logits=True)
    assert calls == ["row_cross_entropy", "row_logsumexp"]
    np.testing.assert_allclose(loss, general(celib.sparse_categorical_cross_entropy, y, z, from_logits=True), rtol=2e-6)
    np.testing.assert_allclose(grad, general(celib.softmax_cross_entropy_grad, y, z, from_logits=True), rtol=2e-6, atol=1e-10)


def test_inputs_are_not_modified(fast, rng):
    z, y = logits_and_labels(rng)
    z0, y0 = z.copy(), y.copy()
    celib.sparse_categorical_cross_entropy(y, z, from_logits=True)
    celib.softmax_cross_entropy_grad(y, z, from_logits=True)
    assert np.array_equal(z, z0) and np.array_equal(y, y0)


def test_ineligible_inputs_use_the_general_path(rng):
    z, _ = logits_and_labels(rng, n=600, c=200)
    assert not _kernels.eligible(z[:, ::2])  # not contiguous
    assert not _kernels.eligible(z.astype(np.float16))
    assert not _kernels.eligible(z[:10])  # small
    assert not _kernels.eligible(z.reshape(6, 100, 200))
    assert not _kernels.eligible(z, axis=0) and not _kernels.eligible(z, axis=True)
    assert _kernels.eligible(z, axis=1) and _kernels.eligible(z, axis=-1)


# --- errors: the same message as the general path -----------------------------------------------

def both_raise_the_same(fn, *args, **kwargs):
    with pytest.raises((ValueError, TypeError)) as fast_err:
        fn(*args, **kwargs)
    with pytest.raises((ValueError, TypeError)) as general_err:
        general(fn, *args, **kwargs)
    assert fast_err.type is general_err.type
    assert str(fast_err.value) == str(general_err.value)
    return str(fast_err.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_logits_raise_the_general_message(fast, rng, bad):
    z, y = logits_and_labels(rng)
    z[11, 6] = bad
    z[20, 2] = bad
    msg = both_raise_the_same(celib.sparse_categorical_cross_entropy, y, z, from_logits=True)
    assert "y_pred must be finite" in msg and "index (11, 6)" in msg
    msg = both_raise_the_same(celib.softmax_cross_entropy_grad, y, z, from_logits=True)
    assert "y_pred must be finite" in msg and "index (11, 6)" in msg


def test_label_errors_raise_the_general_message(fast, rng):
    z, y = logits_and_labels(rng)
    y[3] = -1
    msg = both_raise_the_same(celib.sparse_categorical_cross_entropy, y, z, from_logits=True)
    assert "labels must be in [0, 23); got -1 at index 3" in msg
    both_raise_the_same(celib.softmax_cross_entropy_grad, y, z, from_logits=True)
    both_raise_the_same(celib.sparse_categorical_cross_entropy, y[:, None], z, from_logits=True)
    z[0, 0] = np.nan  # both wrong: the logits are reported first, as on the general path
    msg = both_raise_the_same(celib.sparse_categorical_cross_entropy, y, z, from_logits=True)
    assert "must be finite" in msg
    both_raise_the_same(celib.softmax_cross_entropy_grad, y, z, from_logits=True)


# --- memory ---------------------------------------------------------------------------------------

def test_extra_memory_is_a_few_percent_of_the_logits(rng):
    z, y = logits_and_labels(rng, n=2048, c=1000)  # 8 MB of float32
    celib.sparse_categorical_cross_entropy(y, z, from_logits=True)  # warm up the thread pool
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        celib.sparse_categorical_cross_entropy(y, z, from_logits=True)
        extra = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert extra <= 0.05 * z.nbytes, f"{extra} bytes is {extra / z.nbytes:.1%} of the logits"


def test_no_warnings_from_worker_threads(monkeypatch, rng):
    """np.errstate is per thread: the pool's threads must silence their own expected overflows."""
    import warnings

    monkeypatch.setattr(_kernels, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(_kernels, "TILE_ELEMENTS", 256)
    monkeypatch.setattr(_kernels, "num_threads", lambda: 4)
    z, y = logits_and_labels(rng, n=400, c=50)
    z[1::2] += 200.0  # exp overflows in every other row, in every thread's share
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = celib.sparse_categorical_cross_entropy(y, z, from_logits=True)
        grad = celib.softmax_cross_entropy_grad(y, z, from_logits=True)
    assert np.isfinite(loss) and np.isfinite(grad).all()
