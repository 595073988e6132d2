"""Relative accuracy of the chunked and fused losses against 50-digit mpmath (issue 26, item 2).

``chunked_cross_entropy`` and ``linear_cross_entropy`` carry a running maximum and a running sum
across vocabulary chunks. Taking the loss as ``ln(1 + R)`` from that sum rounds a small loss away
(float32 logits ``(17, 0, 0)``, target 0: 0 instead of 8.3e-8); they leave the target out of the
sum and take ``log1p(R e^(m - z_y))``, like ``sparse_categorical_cross_entropy``. These tests hold
them to a few ulps of relative accuracy at every margin up to where the exact loss leaves the
dtype's normal range, with the target in every position relative to the chunks.

The references are computed on the exact (already rounded) logits, so only celib's arithmetic is
measured (tests/mp_reference.py). With the other logits 0, every shifted difference ``z_j - m`` is
exact and the bound is a few ulps. With other logits that are not, the difference is rounded in
the working dtype (float32 for float16 and float32 inputs, float64 for float64), and ``exp``
turns its absolute rounding error into a relative error of up to ``|z_j - m|`` half-ulps of the
working dtype: the same conditioning as ``sparse_categorical_cross_entropy``, and the bound
allows for it. For ``linear_cross_entropy`` the weight is the identity, so the
logits ``hidden @ weight.T`` are the hidden states exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import celib

import mp_reference as ref

DTYPES = [np.float16, np.float32, np.float64]


WORK = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64}


def bound(dtype, row=None) -> float:
    """A few ulps (the sum over the others, exp, log1p, the final rounding to the dtype), plus,
    for a row whose shifted differences are rounded, ``max |z_j - m|`` ulps of the working dtype."""
    few_ulps = 4 * float(np.finfo(dtype).eps)
    if row is None:
        return few_ulps
    spread = float(np.max(row.astype(np.float64)) - np.min(row.astype(np.float64)))
    return few_ulps + spread * float(np.finfo(WORK[np.dtype(dtype)]).eps)


def rows_at_every_margin(dtype, num_classes: int, target: int, rng, others: str):
    """One confident, correct row per margin m: the target's logit m, the others 0 or in [-1, 0]."""
    margins = ref.margin_grid(dtype)
    if others == "zero":
        z = np.zeros((len(margins), num_classes), dtype)
    else:
        z = rng.uniform(-1, 0, (len(margins), num_classes)).astype(dtype)
    z[:, target] = np.array(margins, dtype)
    return z


def assert_rows_accurate(got, z, labels, dtype, what, others: str):
    tiny = ref.mp(np.finfo(dtype).tiny)
    checked = 0
    for i, label in enumerate(labels):
        exact = ref.cross_entropy_from_logits(z[i], int(label))
        if exact < tiny:
            continue  # the dtype itself has no relative accuracy below its smallest normal number
        err = ref.relative_error(got[i], exact)
        limit = bound(dtype) if others == "zero" else bound(dtype, z[i])
        assert err <= limit, (f"{what}, row {i} (logits {z[i][:4]}...): celib {float(got[i])!r},"
                              f" exact {float(exact):.6g}, relative error {err:.3g} > {limit:.3g}")
        checked += 1
    assert checked >= 5  # the margin grid reaches deep into the small losses


@pytest.mark.parametrize("others", ["zero", "random"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("num_classes, target, chunk_size", [(3, 0, 1024), (3, 2, 1), (50, 0, 7), (50, 23, 7),
                                                            (50, 49, 7), (50, 13, 16)])
def test_chunked_cross_entropy_keeps_small_losses_accurate(dtype, num_classes, target, chunk_size, others):
    rng = np.random.default_rng(num_classes + target)
    z = rows_at_every_margin(dtype, num_classes, target, rng, others)
    labels = np.full(len(z), target)
    got = celib.chunked_cross_entropy(labels, z, chunk_size=chunk_size, reduction="none")
    assert got.dtype == dtype
    assert_rows_accurate(got, z, labels, dtype, f"chunked, chunk_size={chunk_size}", others)
    # the other classes of the same rows: large losses, still a few ulps
    wrong = (labels + 1 + np.arange(len(z))) % num_classes
    wrong[wrong == target] = (target + 1) % num_classes
    got = celib.chunked_cross_entropy(wrong, z, chunk_size=chunk_size, reduction="none")
    assert_rows_accurate(got, z, wrong, dtype, "chunked, wrong class", others)


@pytest.mark.parametrize("others", ["zero", "random"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("num_classes, target, chunk_size", [(3, 0, 1024), (50, 23, 7), (50, 49, 16)])
def test_linear_cross_entropy_keeps_small_losses_accurate(dtype, num_classes, target, chunk_size, others):
    rng = np.random.default_rng(100 + num_classes + target)
    z = rows_at_every_margin(dtype, num_classes, target, rng, others)
    labels = np.full(len(z), target)
    weight = np.eye(num_classes, dtype=dtype)
    got = celib.linear_cross_entropy(labels, z, weight, chunk_size=chunk_size, reduction="none")
    assert got.dtype == dtype
    assert_rows_accurate(got, z, labels, dtype, f"linear, chunk_size={chunk_size}", others)
    # a bias of zeros changes nothing, and the mean keeps the small losses too
    with_bias = celib.linear_cross_entropy(labels, z, weight, bias=np.zeros(num_classes, dtype),
                                           chunk_size=chunk_size, reduction="none")
    np.testing.assert_array_equal(with_bias, got)


def test_issue_26_row_float32_margin_17_is_not_zero():
    # the issue's case: logits (17, 0, 0), target 0, float32; exact 8.28e-08
    z = np.array([[17.0, 0.0, 0.0]], np.float32)
    exact = ref.cross_entropy_from_logits(z[0], 0)
    for got in (celib.chunked_cross_entropy([0], z, chunk_size=1, reduction="none")[0],
                celib.linear_cross_entropy([0], z, np.eye(3, dtype=np.float32), reduction="none")[0]):
        assert got > 0
        assert ref.relative_error(got, exact) <= bound(np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_a_vocabulary_of_one_has_loss_zero_and_gradient_zero(dtype):
    # the sum over the other entries is empty (0): log1p(0) = 0, and the softmax is exactly 1
    z = np.array([[3.0], [-2.0]], dtype)
    np.testing.assert_array_equal(celib.chunked_cross_entropy([0, 0], z, reduction="none"), np.zeros(2, dtype))
    loss, grads = celib.linear_cross_entropy([0, 0], z, np.ones((1, 1), dtype), return_grad=True)
    assert loss == 0 and loss.dtype == dtype
    np.testing.assert_array_equal(grads.hidden, np.zeros((2, 1), dtype))
    np.testing.assert_array_equal(grads.weight, np.zeros((1, 1), dtype))


def test_far_wrong_targets_stay_finite_and_exact():
    # m - z_y ~ 1e4 (float64): R e^(m - z_y) overflows, and the loss is (m - z_y) + ln R
    z = np.array([[1e4, 0.0, -1e4], [0.0, 5e3, -5e3]])
    labels = np.array([2, 2])
    got = celib.chunked_cross_entropy(labels, z, chunk_size=2, reduction="none")
    for i in range(2):
        assert ref.relative_error(got[i], ref.cross_entropy_from_logits(z[i], 2)) <= bound(np.float64)
    got = celib.linear_cross_entropy(labels, z, np.eye(3), chunk_size=2, reduction="none")
    for i in range(2):
        assert ref.relative_error(got[i], ref.cross_entropy_from_logits(z[i], 2)) <= bound(np.float64)


def exact_softmax_minus_onehot(row, label: int) -> list[float]:
    """softmax(z) - onehot(y) of one row, from mpmath."""
    with ref.mpmath.workdps(ref.DPS):
        z = [ref.mp(x) for x in row]
        top = max(z)
        e = [ref.mpmath.exp(x - top) for x in z]
        s = ref.mpmath.fsum(e)
        return [float(x / s - (1 if j == label else 0)) for j, x in enumerate(e)]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_linear_gradient_after_the_change_is_accurate_at_small_and_large_margins(reduction):
    # the gradient pass needs the full normaliser s = R + e^(z_y - m), rebuilt from the sum over
    # the others: each entry c (softmax - onehot) to a few ulps of its size, the target's entry
    # q_y - 1 to a few ulps of 1 (it is formed as softmax - 1, as in softmax_cross_entropy_grad)
    z = np.array([[30.0, 0.0, -1.0], [0.0, 2.0, 1.0], [-3.0, 40.0, 0.5], [800.0, -3.0, 0.0]])
    labels = np.array([0, 2, 0, 0])
    c = 1 / len(z) if reduction == "mean" else 1.0
    want = c * np.array([exact_softmax_minus_onehot(z[i], int(labels[i])) for i in range(len(z))])
    eps = np.finfo(np.float64).eps
    for chunk_size in (2, 1024):
        _, grads = celib.linear_cross_entropy(labels, z, np.eye(3), chunk_size=chunk_size, reduction=reduction,
                                              return_grad=True)
        off_target = np.ones(z.shape, bool)
        off_target[np.arange(len(z)), labels] = False
        np.testing.assert_allclose(grads.hidden[off_target], want[off_target], rtol=8 * eps, atol=0)
        np.testing.assert_allclose(grads.hidden[~off_target], want[~off_target], rtol=0, atol=4 * eps * c)
