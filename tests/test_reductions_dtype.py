"""Dtype-safe reductions (issue 26, item 5): a dtype x reduction matrix over every loss.

* Reductions accumulate in float64 and the result has the input's floating dtype wherever it fits.
* Where it does not (a float16 sum or z-loss above 65504) the value is returned in float32, never
  as ``inf``.
* ``softmax`` with a tiny temperature gives the one-hot limit, never NaN.

The reference for each cell of the matrix is the same call on the float64 copy of the inputs,
which the other test files check against scipy, mpmath and the frameworks.
"""

from __future__ import annotations

import numpy as np
import pytest

import celib
from celib import scale

DTYPES = [np.float16, np.float32, np.float64]
REDUCTIONS = ["none", "sum", "mean"]

RNG = np.random.default_rng(26)
Z = RNG.normal(0, 3, (6, 5))
LABELS = RNG.integers(0, 5, 6)
ONEHOT = np.eye(5)[LABELS]
T = (RNG.random((6, 5)) < 0.5).astype(float)
HIDDEN = RNG.normal(0, 1, (6, 4))
WEIGHT = RNG.normal(0, 1, (5, 4))

def _probs(d):
    return celib.sigmoid(Z.astype(d))


# name -> (inputs in dtype d, the call); the reference is the same call on the float64 copies of
# exactly those inputs, so only celib's own arithmetic is compared
CASES = {
    "binary_cross_entropy": (lambda d: (T.astype(d), Z.astype(d)),
                             lambda t, z, r: celib.binary_cross_entropy(t, z, from_logits=True, reduction=r)),
    "binary_cross_entropy(probs)": (lambda d: (T.astype(d), _probs(d)),
                                    lambda t, q, r: celib.binary_cross_entropy(t, q, reduction=r)),
    "categorical_cross_entropy": (lambda d: (ONEHOT.astype(d), Z.astype(d)),
                                  lambda y, z, r: celib.categorical_cross_entropy(y, z, from_logits=True, reduction=r)),
    "sparse_categorical_cross_entropy": (lambda d: (Z.astype(d),),
                                         lambda z, r: celib.sparse_categorical_cross_entropy(LABELS, z, from_logits=True,
                                                                                             reduction=r)),
    "focal_loss": (lambda d: (Z.astype(d),), lambda z, r: celib.focal_loss(LABELS, z, reduction=r, from_logits=True)),
    "binary_focal_loss": (lambda d: (T.astype(d), Z.astype(d)),
                          lambda t, z, r: celib.binary_focal_loss(t, z, reduction=r, from_logits=True)),
    "mean_squared_error": (lambda d: (T.astype(d), _probs(d)),
                           lambda t, q, r: celib.mean_squared_error(t, q, reduction=r)),
    "chunked_cross_entropy": (lambda d: (Z.astype(d),),
                              lambda z, r: scale.chunked_cross_entropy(LABELS, z, chunk_size=2, reduction=r)),
    "linear_cross_entropy": (lambda d: (HIDDEN.astype(d), WEIGHT.astype(d)),
                             lambda h, w, r: scale.linear_cross_entropy(LABELS, h, w, chunk_size=2, reduction=r)),
    "z_loss": (lambda d: (Z.astype(d),), lambda z, r: scale.z_loss(z, coef=0.1, reduction=r)),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(CASES))
def test_every_loss_returns_the_input_dtype_and_the_float64_value(name, dtype, reduction):
    make, call = CASES[name]
    inputs = make(dtype)
    got = call(*inputs, reduction)
    want = call(*(a.astype(np.float64) for a in inputs), reduction)
    assert np.asarray(got).dtype == dtype, f"{name} returned {np.asarray(got).dtype} for {np.dtype(dtype).name}"
    # float16 is computed in float32 and rounded once; float32 in float32 with float64 sums: a few
    # ulps of the dtype (results below its normal range are rounded to its subnormal spacing)
    info = np.finfo(dtype)
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=64 * float(info.eps),
                               atol=float(info.smallest_subnormal))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_float16_sum_beyond_65504_comes_back_in_float32_not_inf(reduction):
    # issue 26: eight losses at |logit| = 1e4 summed to inf
    z = np.tile(np.array([[1e4, -1e4]], np.float16), (8, 1))
    got = celib.sparse_categorical_cross_entropy(np.ones(8, int), z, from_logits=True, reduction=reduction)
    if reduction == "sum":
        assert got.dtype == np.float32 and got == 160000.0
    else:
        assert got.dtype == np.float16 and got == 2e4
    got_b = celib.binary_cross_entropy(np.zeros(8, np.float16), np.full(8, 1e4, np.float16), from_logits=True,
                                       reduction=reduction)
    assert np.isfinite(got_b)
    assert got_b == (80000.0 if reduction == "sum" else 1e4)


def test_float16_z_loss_with_coef_1_is_finite():
    got = scale.z_loss(np.array([[1e4, 0.0]], np.float16), coef=1.0)
    assert got.dtype == np.float32 and got == np.float32(1e8)
    per_row = scale.z_loss(np.array([[1e4, 0.0], [1.0, 0.0]], np.float16), coef=1.0, reduction="none")
    assert per_row.dtype == np.float32 and np.isfinite(per_row).all()


def test_float32_sum_of_a_million_losses_keeps_its_digits():
    z = np.zeros((1_000_000, 2), np.float32)
    z[:, 0] = 0.1
    got = celib.sparse_categorical_cross_entropy(np.zeros(1_000_000, int), z, from_logits=True, reduction="sum")
    exact = 1_000_000 * np.log1p(np.exp(-0.1))  # all rows equal
    assert got.dtype == np.float32
    assert abs(float(got) - exact) <= float(np.finfo(np.float32).eps) * exact  # one rounding, not 1e6 of them


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("temperature", [1e-3, 1e-10, 1e-35, 1e-45, 1e-300])
def test_softmax_with_a_tiny_temperature_is_the_one_hot_limit(dtype, temperature):
    x = np.array([[1.0, 3.0, 2.0], [0.0, 0.0, -1.0]], dtype)
    got = celib.softmax(x, temperature=temperature)
    assert got.dtype == dtype
    assert np.isfinite(got).all()
    if temperature <= 1e-10:
        np.testing.assert_array_equal(got, np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_softmax_with_a_huge_temperature_is_uniform(dtype):
    got = celib.softmax(np.array([1.0, 3.0, 2.0], dtype), temperature=1e300)
    np.testing.assert_array_equal(got, np.full(3, 1 / 3, dtype))
