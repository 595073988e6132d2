"""Tests written to kill mutants that survived the rest of the suite (issue 26, item 7).

Each test names the mutation it kills. The six survivors of the issue's hand-made mutations are
also killed elsewhere: focal ``-expm1`` -> ``1 - exp`` and the kernel's ``ln S`` in float32 by
tests/test_accuracy.py; the clip's bound ``1 - eps`` -> ``1`` below; the tolerance ``sqrt(C)`` ->
``C`` by tests/test_validation_tolerance.py (the boundary at C = 1000); the kernel's recompute
threshold below; the removed ``clip(p, 0, 1)`` no longer exists (nothing is clipped, and
values outside [0, 1] are refused: tests/test_validation_tolerance.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import celib
from celib import _kernels


def test_keras_clip_caps_both_sides():
    # eps clips to [eps, 1 - eps]: the upper bound matters for target 0 / prediction 1
    # (mutant: 1 - eps -> 1 gives inf)
    got = celib.binary_cross_entropy([0.0], [1.0], eps=1e-7)
    assert got == pytest.approx(-np.log1p(-(1 - 1e-7)), rel=1e-9, abs=0)
    got = celib.categorical_cross_entropy([[0.0, 1.0]], [[1.0, 0.0]], eps=1e-7)
    assert got == pytest.approx(-np.log(1e-7), rel=1e-12, abs=0)
    got = celib.sparse_categorical_cross_entropy([1], [[1.0, 0.0]], eps=1e-7)
    assert got == pytest.approx(-np.log(1e-7), rel=1e-12, abs=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_recomputes_exactly_the_rows_outside_its_safe_range(dtype, monkeypatch):
    # Rows whose sum of exponentials leaves the normal range must take the shifted formula:
    # the unshifted sum of e^(z - 0) underflows to subnormals at z ~ -100 (float32) / -720 (float64)
    monkeypatch.setattr(_kernels, "MIN_ELEMENTS", 0)
    shift = {np.float32: -95.0, np.float64: -715.0}[dtype]
    z = np.zeros((4, 8), dtype)
    z += np.arange(8, dtype=dtype) * 0.5
    z[1] += shift  # every exp(z) subnormal or 0 unshifted
    z[2] -= shift  # every exp(z) overflows unshifted
    y = np.array([7, 7, 7, 0])
    got = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")
    base = celib.sparse_categorical_cross_entropy(y[:1], (z[:1] - z[:1, :1]).astype(np.float64), from_logits=True,
                                                  reduction="none")
    # shifting a row's logits does not change its loss
    np.testing.assert_allclose(got[:3], np.full(3, base[0]), rtol=4 * np.finfo(dtype).eps, atol=0)
