"""Building blocks for the exercises' inputs: how an input is named, and generated inputs.

The strategies import hypothesis when called, so ``import celib.exercises`` stays light; the
checker draws from them with ``derandomize=True`` (see :mod:`celib.exercises.checker`).
"""

from __future__ import annotations

import numpy as np

from .checker import fmt_array

__all__ = ["where", "f16", "counts_to_probs", "probability_vectors", "labels_and_logits",
           "labels_and_probabilities", "binary_labels_and_logits", "seeded"]


def where(**named) -> str:
    """``where(y=[0, 1], z=[2.0, -1.0])`` -> ``"y = [0, 1], z = [2.0, -1.0]"``."""
    return ", ".join(f"{name} = {fmt_array(value)}" for name, value in named.items())


def f16(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float16)


def seeded(seed: int) -> np.random.Generator:
    """A NumPy generator for the chosen (not generated) inputs of one exercise."""
    return np.random.default_rng(seed)


def counts_to_probs(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum(axis=-1, keepdims=True)


def _counts(n_min: int = 1, n_max: int = 6, size=None):
    """Lists of small non-negative integers with a positive sum (zeros are the interesting part)."""
    from hypothesis import strategies as st

    length = st.just(size) if size is not None else st.integers(n_min, n_max)
    return length.flatmap(lambda n: st.lists(st.integers(0, 9), min_size=n, max_size=n)
                          .filter(lambda c: sum(c) > 0))


def probability_vectors(n_min: int = 1, n_max: int = 6):
    """Probability vectors with exact zeros, as ``(p,)`` argument tuples."""
    return _counts(n_min, n_max).map(lambda c: (counts_to_probs(c),))


def probability_pairs(n_min: int = 1, n_max: int = 5, q_positive: bool = False):
    """Pairs ``(p, q)`` of probability vectors of one length (``q > 0`` if ``q_positive``)."""
    from hypothesis import strategies as st

    def pair(n):
        q_counts = _counts(size=n)
        if q_positive:
            q_counts = st.lists(st.integers(1, 9), min_size=n, max_size=n)
        return st.tuples(_counts(size=n), q_counts).map(
            lambda pq: (counts_to_probs(pq[0]), counts_to_probs(pq[1])))

    return st.integers(n_min, n_max).flatmap(pair)


def _floats(low: float, high: float):
    from hypothesis import strategies as st

    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def labels_and_logits(n_max: int = 5, c_max: int = 5, bound: float = 30.0):
    """``(labels, z)``: integer labels (N,) and float64 logits (N, C), N >= 1, C >= 2."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def batch(shape):
        n, c = shape
        return st.tuples(hnp.arrays(np.int64, n, elements=st.integers(0, c - 1)),
                         hnp.arrays(np.float64, (n, c), elements=_floats(-bound, bound)))

    return st.tuples(st.integers(1, n_max), st.integers(2, c_max)).flatmap(batch)


def binary_labels_and_logits(n_max: int = 6, bound: float = 30.0):
    """``(y, z)``: float labels in {0, 1} and float64 logits, both (N,)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return st.integers(1, n_max).flatmap(lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])),
        hnp.arrays(np.float64, n, elements=_floats(-bound, bound))))


def labels_and_probabilities(n_max: int = 6, c_max: int = 4):
    """``(labels, q)``: integer labels (N,) and probability rows (N, C) that may hold zeros,
    with ``q[n, labels[n]] > 0``."""
    from hypothesis import strategies as st

    def row(c):
        return st.tuples(st.integers(0, c - 1), _counts(size=c)).filter(
            lambda lc: lc[1][lc[0]] > 0)

    def batch(shape):
        n, c = shape
        return st.lists(row(c), min_size=n, max_size=n).map(
            lambda rows: (np.array([r[0] for r in rows], dtype=np.int64),
                          counts_to_probs([r[1] for r in rows])))

    return st.tuples(st.integers(1, n_max), st.integers(2, c_max)).flatmap(batch)
