"""Tight, documented validation tolerances and no silent clipping (issue 26, item 4).

A probability row must sum to 1 within ``4 sqrt(C) eps`` of its own dtype
(``celib._validate.sum_tolerance``). At the boundary, for each dtype and a few class counts: a row
just inside passes, a row just outside raises. Values outside [0, 1] are refused, never clipped.
"""

from __future__ import annotations

import numpy as np
import pytest

import celib
from celib import _validate as v

DTYPES = [np.float16, np.float32, np.float64]


def row_with_sum(dtype, n: int, offset: float) -> tuple[np.ndarray, float]:
    """A row of ``n`` probabilities of ``dtype`` whose float64 sum is about ``1 + offset``, and that sum."""
    p = np.full(n, (1.0 + offset) / n).astype(dtype)
    # the residual of rounding goes to one entry (rounded again); report the sum actually obtained
    p[0] = dtype(float(p[0]) + (1.0 + offset - float(p.sum(dtype=np.float64))))
    return p, float(p.sum(dtype=np.float64))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [2, 10, 1000])
@pytest.mark.parametrize("sign", [1, -1])
def test_just_inside_passes_and_just_outside_raises(dtype, n, sign):
    tol = v.sum_tolerance(n, np.dtype(dtype))
    assert tol == pytest.approx(4 * n**0.5 * float(np.finfo(dtype).eps), rel=1e-12, abs=0)
    inside, s_in = row_with_sum(dtype, n, sign * 0.7 * tol)
    outside, s_out = row_with_sum(dtype, n, sign * 1.4 * tol)
    # the rows really are where they should be (the dtype's spacing could move them)
    assert abs(s_in - 1) <= tol < abs(s_out - 1)
    assert np.isfinite(celib.entropy(inside))
    with pytest.raises(ValueError, match=r"p must sum to 1 along its class axis; it sums to"):
        celib.entropy(outside)
    # the same rule in a loss (predictions) and for a target
    labels = [0]
    assert np.isfinite(celib.sparse_categorical_cross_entropy(labels, inside[None]))
    with pytest.raises(ValueError, match=r"y_pred must sum to 1 along its class axis"):
        celib.sparse_categorical_cross_entropy(labels, outside[None])


def test_issue_26_float32_row_summing_to_1_10_over_a_llama_3_vocabulary_is_refused():
    n = 128_256
    p = np.full(n, 1.10 / n, np.float32)
    with pytest.raises(ValueError, match=r"y_pred must sum to 1 along its class axis \(axis=-1\); row 0 sums to 1.1"):
        celib.sparse_categorical_cross_entropy([0], p[None])
    # while a float32 softmax over the same vocabulary passes
    z = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    q = celib.softmax(z)
    assert abs(float(q.sum(dtype=np.float64)) - 1) <= v.sum_tolerance(n, np.dtype(np.float32))
    assert np.isfinite(celib.sparse_categorical_cross_entropy([3], q[None]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [2, 3, 10, 1000, 50_000])
def test_a_softmax_computed_in_the_dtype_is_always_accepted(dtype, n):
    rng = np.random.default_rng(n)
    for scale in (0.1, 3.0, 30.0):
        q = celib.softmax((scale * rng.standard_normal((4, n))).astype(dtype))
        assert q.dtype == dtype
        assert np.isfinite(celib.entropy(q)).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_values_outside_0_1_beyond_rounding_are_refused_and_nothing_is_clipped(dtype):
    eps = float(np.finfo(dtype).eps)
    tol = v.sum_tolerance(1, np.dtype(dtype))  # 4 eps for a single value
    inside = dtype(1 + 2 * eps)  # e.g. a marginal summed from a joint table
    outside = dtype(1 + 8 * eps)
    below = -np.finfo(dtype).smallest_subnormal
    assert 1 < float(inside) <= 1 + tol < float(outside)
    # in a distribution (a marginal summed from a joint table) it is accepted and used as it is:
    # -q ln q is then a tiny negative number, not the 0 a clip would give
    got = celib.entropy(np.array([inside], dtype))
    assert got < 0 and float(got) == pytest.approx(-float(inside) * np.log(float(inside)), rel=8 * eps, abs=0)
    with pytest.raises(ValueError, match=r"p must be probabilities in \[0, 1\]; got 1.0"):
        celib.entropy(np.array([outside], dtype))
    # a binary probability (a sigmoid's output) is never above 1: refused at once
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]; got 1.0"):
        celib.binary_cross_entropy(np.array([1.0], dtype), np.array([inside], dtype))
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]; got -"):
        celib.binary_cross_entropy(np.array([1.0], dtype), np.array([below], dtype))
    with pytest.raises(ValueError, match=r"y_true must be probabilities in \[0, 1\]"):
        celib.binary_cross_entropy(np.array([outside], dtype), np.array([0.5], dtype))


def test_issue_26_float16_probability_1_03_is_refused_instead_of_clipped_to_loss_0():
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]; got 1.03"):
        celib.binary_cross_entropy(np.float16([1.0]), np.float16([1.03]))


def test_float32_probabilities_cast_to_float64_are_named_as_such():
    # validated in their own dtype inside celib (mixed-dtype calls work) ...
    q32 = celib.softmax(np.random.default_rng(1).standard_normal((3, 1000)).astype(np.float32))
    assert celib.cross_entropy(np.full(1000, 1e-3), q32).dtype == np.float64
    # ... but cast by hand they look like float64 numbers whose sum is off; the message says why
    bad_row = np.full(1000, 1e-3, np.float32).astype(np.float64)
    bad_row[0] += 2e-6  # well inside float32's tolerance, far outside float64's
    with pytest.raises(ValueError, match=r"float32 rounding: if p was computed in float32, pass it as float32"):
        celib.entropy(bad_row)
