"""celib.scale: chunked and fused cross-entropy agree with the straightforward route; perplexity.

The reference for every loss here is the naive route written out with NumPy: materialise the
logits ``hidden @ weight.T + bias``, take a shifted log-sum-exp, subtract the true logit, and for
the gradients ``G = (softmax - onehot) * c`` with ``dH = G W``, ``dW = G^T H``, ``db = 1^T G``.
"""

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import celib

REL = {np.float32: 1e-5, np.float64: 1e-10}


def naive_rows(z, y):
    m = z.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]
    return lse - np.take_along_axis(z, y[..., None], -1)[..., 0]


def naive_loss(z, y, ignore_index=None, reduction="mean"):
    z = z.astype(np.float64)
    keep = np.ones(y.shape, bool) if ignore_index is None else y != ignore_index
    rows = np.where(keep, naive_rows(z, np.where(keep, y, 0)), 0.0)
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    return rows.sum() / max(keep.sum(), 1) if keep.any() else 0.0


def naive_grads(h, w, b, y, ignore_index=None, reduction="mean"):
    z = h @ w.T + (0 if b is None else b)
    keep = np.ones(y.shape, bool) if ignore_index is None else y != ignore_index
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y))[keep], y[keep]] -= 1
    c = keep / keep.sum() if reduction == "mean" else keep * 1.0
    g = p * c[:, None]
    return g @ w, g.T @ h, g.sum(axis=0)


def problem(rng, n=50, h=8, v=37, dtype=np.float64, bias=True):
    hidden = rng.standard_normal((n, h)).astype(dtype)
    weight = (rng.standard_normal((v, h)) / math.sqrt(h) * 3).astype(dtype)
    b = rng.standard_normal(v).astype(dtype) if bias else None
    return hidden, weight, b, rng.integers(0, v, n)


# --- chunked_cross_entropy -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk_size", [1, 5, 37, 1000])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_chunked_equals_sparse_loss(rng, dtype, chunk_size, reduction):
    z = (3 * rng.standard_normal((29, 37))).astype(dtype)
    y = rng.integers(0, 37, 29)
    got = celib.chunked_cross_entropy(y, z, chunk_size=chunk_size, reduction=reduction)
    want = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction=reduction)
    assert np.asarray(got).dtype == dtype and np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, naive_loss(z, y, reduction=reduction), rtol=REL[dtype])
    np.testing.assert_allclose(got, want, rtol=REL[dtype])


def test_chunked_ignore_index_leading_axes_and_extreme_logits(rng):
    z = 3 * rng.standard_normal((4, 6, 11))
    z[0, 0, 3] = 900.0  # the running maximum jumps in a late chunk: the running sum is rescaled
    z[1, 2] -= 800.0
    y = rng.integers(0, 11, (4, 6))
    y[2, :3] = -100
    kw = dict(ignore_index=-100)
    for reduction in ("mean", "sum", "none"):
        got = celib.chunked_cross_entropy(y, z, chunk_size=3, reduction=reduction, **kw)
        want = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction=reduction, **kw)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert celib.chunked_cross_entropy(np.full((1, 6), -100), z[:1], **kw) == 0.0


def test_chunked_float16_is_computed_in_float32():
    z = np.array([[20.0, -3.0, 5.0, 0.0]], np.float16)
    got = celib.chunked_cross_entropy([2], z, chunk_size=2)
    assert got.dtype == np.float16
    assert abs(float(got) - naive_loss(z.astype(np.float64), np.array([2]))) < 1e-2


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_chunked_names_the_bad_logit(rng, bad):
    z = rng.standard_normal((5, 9))
    z[3, 7] = bad
    with pytest.raises(ValueError, match=r"logits must be finite; got .* at index \(3, 7\)"):
        celib.chunked_cross_entropy([0, 1, 2, 3, 4], z, chunk_size=4)


def test_chunked_argument_errors():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\).*squeeze"):
        celib.chunked_cross_entropy([[0], [1]], z)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\); got -1 at index 1 \(use ignore_index"):
        celib.chunked_cross_entropy([0, -1], z)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        celib.chunked_cross_entropy([0, 1], z, chunk_size=0)
    with pytest.raises(TypeError, match="chunk_size must be a positive integer"):
        celib.chunked_cross_entropy([0, 1], z, chunk_size=2.5)
    with pytest.raises(ValueError, match="reduction must be one of"):
        celib.chunked_cross_entropy([0, 1], z, reduction="avg")
    with pytest.raises(TypeError, match="ignore_index must be an integer or None"):
        celib.chunked_cross_entropy([0, 1], z, ignore_index=True)


# --- linear_cross_entropy ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("chunk_size", [7, 1024])
def test_linear_equals_naive_loss(rng, dtype, bias, reduction, chunk_size):
    h, w, b, y = problem(rng, dtype=dtype, bias=bias)
    got = celib.linear_cross_entropy(y, h, w, bias=b, chunk_size=chunk_size, reduction=reduction)
    z = h.astype(np.float64) @ w.T.astype(np.float64) + (0 if b is None else b)
    assert np.asarray(got).dtype == dtype
    # per-token losses near 0 are known to an absolute precision of a few ulps of the logits
    np.testing.assert_allclose(got, naive_loss(z, y, reduction=reduction), rtol=REL[dtype],
                               atol=0 if reduction != "none" else 20 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("ignore_index", [None, -100])
def test_linear_gradients_equal_naive_gradients(rng, dtype, reduction, ignore_index):
    h, w, b, y = problem(rng, dtype=dtype)
    if ignore_index is not None:
        y[::3] = ignore_index
    loss, grads = celib.linear_cross_entropy(
        y, h, w, bias=b, chunk_size=6, ignore_index=ignore_index, reduction=reduction, return_grad=True
    )
    want = naive_grads(*(a.astype(np.float64) for a in (h, w, b)), y, ignore_index, reduction)
    rtol, atol = (1e-4, 1e-6) if dtype == np.float32 else (1e-10, 1e-13)
    for got, expected, name in zip(grads, want, ("hidden", "weight", "bias")):
        assert got.dtype == dtype and got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=name)
    plain = celib.linear_cross_entropy(y, h, w, bias=b, ignore_index=ignore_index, reduction=reduction)
    np.testing.assert_allclose(loss, plain, rtol=REL[dtype])


def test_linear_gradient_matches_finite_differences(rng):
    h, w, b, y = problem(rng, n=6, h=3, v=5)
    _, grads = celib.linear_cross_entropy(y, h, w, bias=b, chunk_size=2, return_grad=True)
    step = 1e-6
    for array, grad in ((h, grads.hidden), (w, grads.weight), (b, grads.bias)):
        for index in [(0,), (1,), (-1,)]:
            idx = np.unravel_index(index[0] % array.size, array.shape)
            saved = array[idx]
            array[idx] = saved + step
            up = celib.linear_cross_entropy(y, h, w, bias=b)
            array[idx] = saved - step
            down = celib.linear_cross_entropy(y, h, w, bias=b)
            array[idx] = saved
            assert abs((up - down) / (2 * step) - grad[idx]) < 1e-7


def test_linear_leading_axes_and_no_bias(rng):
    h, w, _, _ = problem(rng, n=12, bias=False)
    y = rng.integers(0, w.shape[0], (3, 4))
    h3 = h.reshape(3, 4, -1)
    loss, grads = celib.linear_cross_entropy(y, h3, w, return_grad=True, chunk_size=5)
    assert grads.bias is None and grads.hidden.shape == h3.shape
    flat_loss, flat = celib.linear_cross_entropy(y.ravel(), h, w, return_grad=True)
    np.testing.assert_allclose(loss, flat_loss, rtol=1e-12)
    np.testing.assert_allclose(grads.hidden.reshape(h.shape), flat.hidden, rtol=1e-10, atol=1e-14)
    assert celib.linear_cross_entropy(y, h3, w, reduction="none").shape == (3, 4)


def test_linear_argument_errors(rng):
    h, w, b, y = problem(rng, n=4, h=3, v=5)
    with pytest.raises(ValueError, match=r"weight must be \(V, 3\) \(pass weight, not weight.T\)"):
        celib.linear_cross_entropy(y, h, w.T)
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\)"):
        celib.linear_cross_entropy(y, h, w, bias=b[:4])
    with pytest.raises(ValueError, match="return_grad=True needs a scalar loss"):
        celib.linear_cross_entropy(y, h, w, reduction="none", return_grad=True)
    with pytest.raises(TypeError, match="return_grad must be True or False"):
        celib.linear_cross_entropy(y, h, w, return_grad="yes")
    w_bad = w.copy()
    w_bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"weight must be finite; got nan at index \(2, 1\)"):
        celib.linear_cross_entropy(y, h, w_bad)
    with pytest.raises(ValueError, match="overflowed"):
        celib.linear_cross_entropy(y, (h * 1e20).astype(np.float32), (w * 1e20).astype(np.float32))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 5\)"):
        celib.linear_cross_entropy([0, 1, 2, 5], h, w)


def test_linear_memory_is_far_below_the_logits(rng):
    """The acceptance target at a size that runs in well under a second: >= 20x less peak memory."""
    n, hdim, vocab = 1024, 64, 32768
    h = rng.standard_normal((n, hdim)).astype(np.float32)
    w = (rng.standard_normal((vocab, hdim)) / 8).astype(np.float32)
    y = rng.integers(0, vocab, n)

    def peak(fn):
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            value = fn()
            return value, tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()

    naive, naive_peak = peak(lambda: celib.sparse_categorical_cross_entropy(y, h @ w.T, from_logits=True))
    fused, fused_peak = peak(lambda: celib.linear_cross_entropy(y, h, w))
    assert naive_peak >= n * vocab * 4  # the logits themselves
    assert naive_peak / fused_peak >= 20, (naive_peak, fused_peak)
    assert abs(fused - naive) <= 1e-5 * abs(naive)


# --- perplexity and bits -----------------------------------------------------------------------

def test_perplexity_and_bits():
    assert celib.perplexity(0.0) == 1.0
    assert math.isclose(celib.perplexity(math.log(50257)), 50257, rel_tol=1e-12)  # uniform guess
    assert math.isclose(celib.perplexity(3.0, base=2), 8.0)
    assert math.isclose(celib.bits_per_token(math.log(2)), 1.0)
    nats = np.array([1.0, 2.0])
    np.testing.assert_allclose(celib.perplexity(celib.bits_per_token(nats), base=2), np.exp(nats))
    with pytest.raises(ValueError, match="mean_cross_entropy must be >= 0"):
        celib.perplexity(-0.5)
    with pytest.raises(ValueError, match="base must be a positive number other than 1"):
        celib.perplexity(1.0, base=1)


# --- z-loss and soft-capping ---------------------------------------------------------------------

def central_diff(f, x, step=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + step
        up = f(x)
        x[idx] = saved - step
        down = f(x)
        x[idx] = saved
        g[idx] = (up - down) / (2 * step)
    return g


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_z_loss_value_and_gradient_match_finite_differences(rng, reduction):
    z = 4 * rng.standard_normal((5, 7)) + 3.0
    value, grad = celib.z_loss(z, coef=0.01, reduction=reduction, return_grad=True)
    lse = np.log(np.exp(z).sum(axis=1))
    want = 0.01 * lse**2
    np.testing.assert_allclose(value, want.mean() if reduction == "mean" else want.sum(), rtol=1e-12)
    numeric = central_diff(lambda x: float(celib.z_loss(x, coef=0.01, reduction=reduction)), z.copy())
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_z_loss_is_zero_for_normalised_logits_and_large_logits_stay_finite():
    log_p = np.log([[0.2, 0.3, 0.5]])
    assert abs(celib.z_loss(log_p, coef=1.0)) < 1e-30
    assert np.isfinite(celib.z_loss([[1000.0, -1000.0]]))
    assert math.isclose(celib.z_loss([[1000.0, -1000.0]], coef=1e-4), 100.0, rel_tol=1e-12)
    assert celib.z_loss(np.zeros((2, 3, 4)), reduction="none").shape == (2, 3)
    with pytest.raises(ValueError, match="return_grad=True needs a scalar"):
        celib.z_loss([[0.0, 1.0]], reduction="none", return_grad=True)


def test_softcap_is_odd_bounded_identity_near_zero_and_its_derivative_checks(rng):
    z = np.array([-1e6, -100.0, -3.0, 0.0, 1e-3, 29.0, 1e6])
    capped = celib.softcap_logits(z, cap=30.0)
    assert np.all(np.abs(capped) <= 30.0)
    np.testing.assert_allclose(celib.softcap_logits(-z, cap=30.0), -capped)
    assert abs(celib.softcap_logits(1e-3, cap=30.0) - 1e-3) < 1e-12
    zz = 20 * rng.standard_normal((4, 6))
    y = rng.integers(0, 6, 4)
    # chain rule through the cap: d CE(cap(z)) / dz = (softmax - onehot)/N * (1 - tanh^2)
    capped, slope = celib.softcap_logits(zz, cap=15.0, return_grad=True)
    analytic = celib.softmax_cross_entropy_grad(y, capped, from_logits=True) * slope
    loss = lambda x: float(celib.sparse_categorical_cross_entropy(  # noqa: E731
        y, celib.softcap_logits(x, cap=15.0), from_logits=True))
    np.testing.assert_allclose(analytic, central_diff(loss, zz.copy()), rtol=1e-5, atol=1e-9)
    with pytest.raises(ValueError, match="cap"):
        celib.softcap_logits(z, cap=0.0)


# --- vocabulary-parallel cross-entropy -----------------------------------------------------------

def split_points(rng, vocab, k):
    cuts = np.sort(rng.choice(np.arange(1, vocab), size=k - 1, replace=False)) if k > 1 else []
    return np.split(np.arange(vocab), cuts)


@given(st.integers(1, 9), st.integers(1, 7), st.integers(9, 40), st.floats(0.1, 400.0),
       st.integers(0, 2**32 - 1), st.sampled_from(["mean", "sum"]))
@settings(max_examples=60)
def test_vocab_parallel_equals_single_device_loss_and_gradient(k, n, vocab, scale, seed, reduction):
    rng = np.random.default_rng(seed)
    z = scale * rng.standard_normal((n, vocab))
    z[0, rng.integers(vocab)] += 5 * scale  # one extreme logit in some shard
    y = rng.integers(0, vocab, n)
    if n > 2:
        y[1] = -100
    parts = split_points(rng, vocab, min(k, vocab))
    shards = [z[:, idx] for idx in parts]
    loss, grads = celib.vocab_parallel_cross_entropy(y, shards, ignore_index=-100, reduction=reduction,
                                                     return_grad=True)
    want = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, ignore_index=-100,
                                                  reduction=reduction)
    np.testing.assert_allclose(loss, want, rtol=1e-12, atol=1e-12)
    keep = y != -100
    c = keep / max(keep.sum(), 1) if reduction == "mean" else keep * 1.0
    p = celib.softmax(z)
    p[np.flatnonzero(keep), y[keep]] -= 1
    np.testing.assert_allclose(np.concatenate(grads, axis=1), p * c[:, None], rtol=1e-10, atol=1e-13)


def test_vocab_shard_stats_combine_by_hand():
    z = np.array([[1.0, 3.0, 2.0, 5.0]])
    a = celib.scale.vocab_shard_stats([1], z[:, :2], 0)
    b = celib.scale.vocab_shard_stats([1], z[:, 2:], 2)
    assert (a.max[0], b.max[0], a.target[0], b.target[0]) == (3.0, 5.0, 3.0, 0.0)
    tot = celib.scale.combine_vocab_shard_stats([a, b])
    assert math.isclose(tot.max[0] + math.log(tot.sumexp[0]), float(celib.logsumexp(z[0])), rel_tol=1e-15)
    assert math.isclose(float(celib.vocab_parallel_cross_entropy([1], [z[:, :2], z[:, 2:]])),
                        float(celib.logsumexp(z[0])) - 3.0, rel_tol=1e-14)


def test_vocab_parallel_extreme_logits_leading_axes_and_errors(rng):
    z = rng.standard_normal((2, 3, 10))
    z[0, 0, 9] = 1e4
    z[1, 2, :5] = -1e4
    y = rng.integers(0, 10, (2, 3))
    got = celib.vocab_parallel_cross_entropy(y, [z[..., :4], z[..., 4:]], reduction="none")
    want = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert celib.vocab_parallel_cross_entropy([-100], [z[0, :1]], ignore_index=-100) == 0.0
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        celib.vocab_parallel_cross_entropy(np.full((2, 3), 10), [z[..., :4], z[..., 4:]])
    with pytest.raises(ValueError, match="leading shape"):
        celib.vocab_parallel_cross_entropy(y, [z[..., :4], z[0, :, 4:]])
