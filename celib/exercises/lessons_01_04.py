"""Exercises of lessons 1-4: information quantities with their zeros, bases and directions.

* ``ch01-entropy-bits``: entropy in bits, with zero probabilities;
* ``ch02-cross-entropy-base``: cross-entropy in bits or nats, zeros and q = 0 included;
* ``ch03-kl-q-zero``: KL divergence D(p ‖ q) that handles q = 0 (and p = 0);
* ``ch04-log-likelihood``: the log-likelihood of a data set without underflow.
"""

from __future__ import annotations

import numpy as np

import celib

from .checker import Case, Exercise, Mistake, fmt
from .inputs import counts_to_probs, labels_and_probabilities, probability_pairs
from .inputs import probability_vectors

__all__ = ["EXERCISES"]


def _p(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _finite_but_infinite(got, expected, *args) -> bool:
    """The true value is inf (q = 0 where p > 0) and the learner returned a finite number."""
    return bool(np.isinf(expected) and np.all(np.isfinite(got)))


# ---------------------------------------------------------------------------------------------
# lesson 1: entropy in bits


def _entropy_bits(p):
    return celib.entropy(p, base=2)


ENTROPY_BITS = Exercise(
    name="ch01-entropy-bits",
    lesson=1,
    title="Entropy in bits, zero probabilities included",
    answer="entropy_bits",
    params=("p",),
    quantity="entropy",
    reference=_entropy_bits,
    cases=(
        Case((_p([0.5, 0.5]),), "p = [0.5, 0.5] (a fair coin)"),
        Case((counts_to_probs([26, 4]),), "p = [26/30, 4/30] (container 1)"),
        Case((_p([0.25, 0.25, 0.25, 0.25]),), "p = [0.25, 0.25, 0.25, 0.25]"),
        Case((_p([0.0, 1.0]),), "p = [0.0, 1.0] (container 3: only circles)"),
        Case((_p([0.5, 0.25, 0.25, 0.0]),), "p = [0.5, 0.25, 0.25, 0.0]"),
        Case((_p([1.0]),), "p = [1.0]", hidden=True),
        Case((_p([0.0, 0.0, 1.0, 0.0]),), "p = [0.0, 0.0, 1.0, 0.0]", hidden=True),
        Case((counts_to_probs([14, 16]),), "p = [14/30, 16/30] (container 2)", hidden=True),
    ),
    mistakes=(
        Mistake("wrong base", value=lambda p: celib.entropy(p),
                explain=lambda p: (f"that is the entropy in nats (natural log); in bits it is "
                                   f"{fmt(_entropy_bits(p))}: use np.log2.")),
        Mistake("missing minus sign", value=lambda p: -celib.entropy(p, base=2),
                explain=lambda p: (f"entropy is -sum(p log2 p), never negative; it is "
                                   f"{fmt(_entropy_bits(p))} here.")),
        Mistake("unweighted average",
                value=lambda p: -np.mean(np.log2(p[p > 0])),
                explain=lambda p: ("that is the plain average of the surprisals; entropy weights "
                                   "each outcome's surprisal -log2 p by its probability p.")),
    ),
    hints=(
        "entropy is H(p) = -sum_i p_i log2 p_i, and an outcome with p_i = 0 contributes 0 "
        "(the limit of p log p as p -> 0). np.log2(0) is -inf, and 0 * (-inf) is nan.",
        "keep only the outcomes that can happen: nz = p[p > 0]; return -np.sum(nz * np.log2(nz)).",
    ),
    strategy=lambda: probability_vectors(),
)


# ---------------------------------------------------------------------------------------------
# lesson 2: cross-entropy in bits and nats


def _cross_entropy(p, q, base):
    return celib.cross_entropy(p, q, base=base)


def _unit(base) -> str:
    return "bits" if base == 2 else "nats" if base == np.e else f"base-{fmt(base)} units"


def _other_base(p, q, base):
    return celib.cross_entropy(p, q, base=np.e if base == 2 else 2)


DOG = _p([1.0, 0.0, 0.0, 0.0]), _p([0.775, 0.116, 0.039, 0.070])

CROSS_ENTROPY_BASE = Exercise(
    name="ch02-cross-entropy-base",
    lesson=2,
    title="Cross-entropy in bits and in nats",
    answer="cross_entropy",
    params=("p", "q", "base"),
    quantity="cross-entropy",
    reference=_cross_entropy,
    cases=(
        Case((*DOG, 2), "p = [1, 0, 0, 0], q = [0.775, 0.116, 0.039, 0.070], base = 2"),
        Case((*DOG, np.e), "p = [1, 0, 0, 0], q = [0.775, 0.116, 0.039, 0.070], base = e"),
        Case((_p([0.7, 0.2, 0.1]), _p([0.6, 0.3, 0.1]), 2),
             "p = [0.7, 0.2, 0.1], q = [0.6, 0.3, 0.1], base = 2"),
        Case((_p([0.5, 0.5, 0.0]), _p([0.5, 0.25, 0.25]), np.e),
             "p = [0.5, 0.5, 0.0], q = [0.5, 0.25, 0.25], base = e"),
        Case((_p([0.5, 0.5, 0.0]), _p([0.5, 0.5, 0.0]), 2),
             "p = [0.5, 0.5, 0.0], q = [0.5, 0.5, 0.0], base = 2 (a zero in both)"),
        Case((_p([0.5, 0.5]), _p([1.0, 0.0]), 2),
             "p = [0.5, 0.5], q = [1.0, 0.0], base = 2 (q = 0 where p > 0)"),
        Case((_p([0.0, 1.0]), _p([0.0, 1.0]), np.e), "p = [0, 1], q = [0, 1], base = e",
             hidden=True),
        Case((_p([0.25, 0.75]), _p([0.5, 0.5]), 10), "p = [0.25, 0.75], q = [0.5, 0.5], base = 10",
             hidden=True),
    ),
    mistakes=(
        Mistake("wrong base", value=_other_base,
                explain=lambda p, q, base: (
                    f"that is the value in {_unit(np.e if base == 2 else 2)}; base = "
                    f"{'2' if base == 2 else 'e'} asks for {_unit(base)}: "
                    f"{fmt(_cross_entropy(p, q, base))} (divide the natural log by ln(base)).")),
        Mistake("arguments swapped", value=lambda p, q, base: celib.cross_entropy(q, p, base=base),
                explain=lambda p, q, base: (
                    "that is H(q, p). The target p weights the log of the prediction q: "
                    f"H(p, q) = -sum(p log q) = {fmt(_cross_entropy(p, q, base))}.")),
        Mistake("missing minus sign", value=lambda p, q, base: -_cross_entropy(p, q, base),
                explain=lambda p, q, base: ("cross-entropy is -sum(p log q), never negative; it "
                                            f"is {fmt(_cross_entropy(p, q, base))} here.")),
        Mistake("infinite", test=_finite_but_infinite,
                explain=lambda p, q, base: (
                    "the cross-entropy is inf: q gives probability 0 to an outcome that p says "
                    "happens. A clip or an eps inside the log hides that; return inf.")),
    ),
    hints=(
        "H(p, q) = -sum_i p_i log q_i, and the log in base b is ln(x) / ln(b): bits for b = 2, "
        "nats for b = e. Terms with p_i = 0 contribute 0, even where q_i = 0.",
        "keep the terms with p > 0: m = p > 0; h = -np.sum(p[m] * np.log(q[m])) / np.log(base). "
        "Where q = 0 and p > 0, np.log gives -inf, and the sum is inf, which is right.",
    ),
    strategy=lambda: probability_pairs().flatmap(_with_base),
)


def _with_base(pq):
    from hypothesis import strategies as st

    return st.sampled_from([2, np.e]).map(lambda b: (*pq, b))


# ---------------------------------------------------------------------------------------------
# lesson 3: KL divergence with q = 0


def _kl(p, q):
    return celib.kl_divergence(p, q)


KL_Q_ZERO = Exercise(
    name="ch03-kl-q-zero",
    lesson=3,
    title="KL divergence that handles zeros",
    answer="kl_divergence",
    params=("p", "q"),
    quantity="divergence D(p ‖ q)",
    reference=_kl,
    cases=(
        Case((_p([0.5, 0.5]), _p([0.9, 0.1])), "p = [0.5, 0.5], q = [0.9, 0.1]"),
        Case((_p([0.9, 0.1]), _p([0.5, 0.5])), "p = [0.9, 0.1], q = [0.5, 0.5]"),
        Case((_p([1.0, 0.0]), _p([0.5, 0.5])), "p = [1.0, 0.0], q = [0.5, 0.5] (p = 0)"),
        Case((_p([0.0, 1.0]), _p([0.0, 1.0])), "p = [0.0, 1.0], q = [0.0, 1.0] (p = q = 0)"),
        Case((_p([0.5, 0.5]), _p([1.0, 0.0])), "p = [0.5, 0.5], q = [1.0, 0.0] (q = 0 < p)"),
        Case((_p([0.2, 0.3, 0.5]), _p([0.2, 0.3, 0.5])), "p = q = [0.2, 0.3, 0.5]", hidden=True),
        Case((_p([0.0, 0.5, 0.5]), _p([1.0, 0.0, 0.0])), "p = [0, 0.5, 0.5], q = [1, 0, 0]",
             hidden=True),
    ),
    mistakes=(
        Mistake("wrong direction", value=lambda p, q: celib.kl_divergence(q, p),
                explain=lambda p, q: (
                    f"that is D(q ‖ p); the exercise asks for D(p ‖ q) = sum p log(p / q) = "
                    f"{fmt(_kl(p, q))}: KL divergence is not symmetric.")),
        Mistake("wrong base", value=lambda p, q: celib.kl_divergence(p, q, base=2),
                explain=lambda p, q: f"that is in bits; in nats (natural log) it is {fmt(_kl(p, q))}."),
        Mistake("infinite", test=_finite_but_infinite,
                explain=lambda p, q: (
                    "the divergence is inf: q = 0 for an outcome that p says happens, so coding "
                    "p with q's code is impossible. A clip hides that; return inf.")),
    ),
    hints=(
        "D(p ‖ q) = sum_i p_i log(p_i / q_i) in nats. Terms with p_i = 0 contribute 0 whatever "
        "q_i is; a term with p_i > 0 and q_i = 0 makes the divergence inf.",
        "m = p > 0; return np.sum(p[m] * np.log(p[m] / q[m])). Dividing by q = 0 gives inf "
        "(NumPy warns), and inf is the right answer there.",
    ),
    strategy=lambda: probability_pairs(),
)


# ---------------------------------------------------------------------------------------------
# lesson 4: log-likelihood without underflow


def _log_likelihood(labels, q):
    return -celib.sparse_categorical_cross_entropy(labels, q, reduction="sum")


def _shifted(shift):
    def value(labels, q):
        q = np.asarray(q)
        cols = (np.asarray(labels) + shift) % q.shape[-1]
        with np.errstate(divide="ignore"):
            return np.sum(np.log(q[np.arange(len(cols)), cols]))
    return value


def _dataset(seed: int, n: int, c: int):
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.ones(c), size=n)
    labels = np.array([rng.choice(c, p=row) for row in q])
    return labels, q


_BIG = _dataset(4, 2000, 4)
_BIG_HIDDEN = _dataset(40, 5000, 10)

LOG_LIKELIHOOD = Exercise(
    name="ch04-log-likelihood",
    lesson=4,
    title="The log-likelihood of a data set",
    answer="log_likelihood",
    params=("labels", "q"),
    quantity="log-likelihood",
    reference=_log_likelihood,
    cases=(
        Case((np.array([0, 2, 1]), _p([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]])),
             "labels = [0, 2, 1], q = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]]"),
        Case((np.array([1, 0, 1, 1]), _p([[0.4, 0.6], [0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])),
             "labels = [1, 0, 1, 1], q of shape (4, 2)"),
        Case((np.array([2, 0]), _p([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])),
             "labels = [2, 0], q = [[0, 0, 1], [0.5, 0.5, 0]] (zeros on other classes)"),
        Case(_BIG, "N = 2000 examples, C = 4 classes"),
        Case(_BIG_HIDDEN, "N = 5000 examples, C = 10 classes", hidden=True),
        Case((np.array([0]), _p([[1.0, 0.0]])), "labels = [0], q = [[1, 0]]", hidden=True),
    ),
    mistakes=(
        Mistake("underflow",
                value=lambda labels, q: np.log(np.prod(q[np.arange(len(labels)), labels])),
                explain=lambda labels, q: (
                    f"the product of {len(labels)} probabilities underflows to 0.0 in float64 "
                    f"and its log is -inf; the log-likelihood is {fmt(_log_likelihood(labels, q))}: "
                    "add the logs instead of multiplying the probabilities.")),
        Mistake("wrong reduction", value=lambda labels, q: _log_likelihood(labels, q) / len(labels),
                explain=lambda labels, q: (
                    f"you divided by N = {len(labels)}; the log-likelihood of a data set is the "
                    f"sum over its examples, {fmt(_log_likelihood(labels, q))} (the mean, with a "
                    "minus sign, is the cross-entropy loss).")),
        Mistake("wrong sign", value=lambda labels, q: -_log_likelihood(labels, q),
                explain=lambda labels, q: (
                    "that is the negative log-likelihood (the loss); the log-likelihood itself "
                    f"is {fmt(_log_likelihood(labels, q))}, never positive.")),
        Mistake("off-by-one label", value=_shifted(-1),
                explain=lambda labels, q: "you read the probability of class y - 1; class y is "
                                          "column y of q (labels count from 0)."),
        Mistake("off-by-one label", value=_shifted(+1),
                explain=lambda labels, q: "you read the probability of class y + 1; class y is "
                                          "column y of q (labels count from 0)."),
    ),
    hints=(
        "the log-likelihood is log prod_n q[n, y_n] = sum_n log q[n, y_n], in nats. The product "
        "of thousands of probabilities is below the smallest float64 (about 1e-308): it becomes "
        "0.0 and its log -inf. The sum of logs never underflows.",
        "pick each example's probability with q[np.arange(len(labels)), labels] (no one-hot "
        "matrix: 0 * log 0 is nan), then return np.sum(np.log(picked)).",
    ),
    strategy=lambda: labels_and_probabilities(),
)

EXERCISES = (ENTROPY_BITS, CROSS_ENTROPY_BASE, KL_Q_ZERO, LOG_LIKELIHOOD)
