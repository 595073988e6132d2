"""Exercises of lessons 5-7: losses from logits that survive ±40, ±800, float16 and -inf masks.

* ``ch05-stable-bce``: binary cross-entropy from logits;
* ``ch06-log-softmax``: log-softmax over the last axis, with -inf masks;
* ``ch06-softmax-ce``: softmax cross-entropy from integer labels and logits;
* ``ch07-ignore-index``: sparse cross-entropy that skips padding, including an all-padding batch.
"""

from __future__ import annotations

import numpy as np

import celib

from .checker import Case, Exercise, Mistake, fmt
from .inputs import binary_labels_and_logits, f16, labels_and_logits, where

__all__ = ["EXERCISES"]

# celib refuses -inf logits (it asks for a large negative number instead). A masked logit
# of -1e4 contributes exp(-1e4 - max) = 0 exactly, so the references below substitute it.
_MASK = -1e4


def _unmask(z) -> np.ndarray:
    z = np.asarray(z)
    return np.where(np.isneginf(z), np.asarray(_MASK, dtype=z.dtype), z)


def _log_softmax64(z) -> np.ndarray:
    """Exact log-softmax (float64) that keeps -inf where the logit is -inf."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.isneginf(z), -np.inf, celib.log_softmax(_unmask(z)))


def _picked(labels, z) -> np.ndarray:
    lsm = _log_softmax64(z)
    return np.take_along_axis(lsm, np.asarray(labels)[:, None], axis=-1)[:, 0]


# ---------------------------------------------------------------------------------------------
# lesson 5: binary cross-entropy from logits


def _bce(y, z):
    return celib.binary_cross_entropy(y, z, from_logits=True)


def _bce_sum(y, z):
    return celib.binary_cross_entropy(y, z, from_logits=True, reduction="sum")


def _capped(got, expected, y, z) -> bool:
    """A finite loss far below the true one on a confident mistake: probabilities were clipped."""
    return bool(np.all(np.isfinite(got)) and expected > 30 and got < 0.9 * expected)


STABLE_BCE = Exercise(
    name="ch05-stable-bce",
    lesson=5,
    title="A binary cross-entropy that never overflows",
    answer="binary_cross_entropy",
    params=("y", "z"),
    quantity="loss",
    reference=_bce,
    cases=(
        Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([-2.0, 0.5, 3.0, 1.0])),
             where(y=[0.0, 1.0, 1.0, 0.0], z=[-2.0, 0.5, 3.0, 1.0])),
        Case((np.array([0.0]), np.array([40.0])), "z = 40.0, y = 0.0"),
        Case((np.array([1.0]), np.array([-40.0])), "z = -40.0, y = 1.0"),
        Case((np.array([0.0]), np.array([800.0])), "z = 800.0, y = 0.0"),
        Case((np.array([1.0]), np.array([-800.0])), "z = -800.0, y = 1.0"),
        Case((np.array([1.0]), np.array([800.0])), "z = 800.0, y = 1.0"),
        Case((f16([1.0, 0.0]), f16([-12.0, 12.0])), "z = [-12.0, 12.0], y = [1.0, 0.0] in float16"),
        Case((np.array([1.0, 0.0, 1.0]), np.array([1e4, 1e4, -1e4])),
             "z = [1e4, 1e4, -1e4], y = [1.0, 0.0, 1.0]", hidden=True),
        Case((f16([0.0, 1.0, 0.0]), f16([30000.0, -30000.0, 2.0])),
             "z = [30000.0, -30000.0, 2.0], y = [0.0, 1.0, 0.0] in float16", hidden=True),
        Case((np.float32([1.0, 0.0]), np.float32([-100.0, 100.0])),
             "z = [-100.0, 100.0], y = [1.0, 0.0] in float32", hidden=True),
    ),
    mistakes=(
        Mistake("wrong reduction", value=_bce_sum,
                explain=lambda y, z: (f"that is the sum over the N = {np.size(y)} examples; "
                                      f"the loss is their mean, {fmt(_bce(y, z))}.")),
        Mistake("capped", test=_capped,
                explain=lambda y, z: (f"the loss is {fmt(_bce(y, z))}. Clipping q to "
                                      "[eps, 1 - eps] caps the loss at -ln(eps) and hides how "
                                      "wrong a confident mistake is: stay in log space instead.")),
    ),
    hints=(
        "never compute q = sigmoid(z) and then log(q): at z = 40, q rounds to 1.0 and "
        "log(1 - q) is log(0). Stay in log space: -log(sigmoid(z)) = softplus(-z) and "
        "-log(1 - sigmoid(z)) = softplus(z), with softplus(x) = log(1 + exp(x)).",
        "log(1 + exp(x)) still overflows for x = 800. Write softplus(x) = max(x, 0) + "
        "log1p(exp(-|x|)): the exponent is never positive. The loss is the mean of "
        "y * softplus(-z) + (1 - y) * softplus(z).",
    ),
    strategy=lambda: binary_labels_and_logits(),
)


# ---------------------------------------------------------------------------------------------
# lesson 6: log-softmax and softmax cross-entropy


def _log_softmax_ref(z):
    z = np.asarray(z)
    return np.where(np.isneginf(z), np.asarray(-np.inf, z.dtype), celib.log_softmax(_unmask(z)))


def _log_softmax_axis0(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=0, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=0, keepdims=True))


def _log_softmax_no_keepdims(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=-1)  # shape (N,): broadcasts along the columns when N == C
    return z - m - np.log(np.exp(z - m).sum(axis=-1))


def _log_softmax_global_max(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max()
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _log_softmax_cases():
    rng = np.random.default_rng(6)
    square = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 8.0], [0.0, -1.0, 5.0]])
    return (
        Case((np.array([[1.0, 2.0, 3.0]]),), "z = [[1.0, 2.0, 3.0]]"),
        Case((square,), where(z=square)),
        Case((np.array([[1000.0, 1001.0, 1002.0]]),), "z = [[1000.0, 1001.0, 1002.0]]"),
        Case((np.array([[-800.0, 0.0, 800.0]]),), "z = [[-800.0, 0.0, 800.0]]"),
        Case((np.array([[1000.0, 1001.0, 1002.0], [1.0, 2.0, 3.0]]),),
             "z = [[1000.0, 1001.0, 1002.0], [1.0, 2.0, 3.0]] (two rows of very different size)"),
        Case((np.array([[0.0, -np.inf, 2.0], [-np.inf, 5.0, -np.inf]]),),
             "z = [[0.0, -inf, 2.0], [-inf, 5.0, -inf]] (masked logits)"),
        Case((f16([[10.0, 20.0, 30.0]]),), "z = [[10.0, 20.0, 30.0]] in float16"),
        Case((np.array([2.0, -1.0, 0.5, 0.0]),), "z = [2.0, -1.0, 0.5, 0.0] (one row, 1-D)",
             hidden=True),
        Case((rng.normal(scale=300.0, size=(2, 3, 4)),), "z of shape (2, 3, 4), scale 300",
             hidden=True),
        Case((np.float32([[1e4, -1e4, 0.0], [-np.inf, 0.0, 0.0]]),),
             "z = [[1e4, -1e4, 0.0], [-inf, 0.0, 0.0]] in float32", hidden=True),
    )


def _logits_only():
    return labels_and_logits(bound=50.0).map(lambda lz: (lz[1],))


LOG_SOFTMAX = Exercise(
    name="ch06-log-softmax",
    lesson=6,
    title="Log-softmax with the log-sum-exp trick",
    answer="log_softmax",
    params=("z",),
    quantity="log-softmax",
    reference=_log_softmax_ref,
    cases=_log_softmax_cases(),
    mistakes=(
        Mistake("wrong axis", value=_log_softmax_axis0,
                explain=lambda z: ("you normalised each column (axis 0); every row is one "
                                   "example and must be normalised over the classes, axis=-1.")),
        Mistake("wrong axis", value=_log_softmax_no_keepdims,
                explain=lambda z: ("the row maxima and sums have shape (N,), and NumPy lined "
                                   "them up with the columns, not the rows; keep them as a "
                                   "column with keepdims=True, shape (N, 1).")),
        Mistake("shared maximum", value=_log_softmax_global_max,
                explain=lambda z: ("you subtracted the largest logit of the whole array; a row "
                                   "whose logits are much smaller then underflows to exp(...) = 0. "
                                   "Subtract each row's own maximum (axis=-1, keepdims=True).")),
        Mistake("not a log", value=lambda z: np.exp(_log_softmax_ref(z)),
                explain=lambda z: "those are the softmax probabilities; take their logarithm "
                                  "(without computing them first)."),
    ),
    hints=(
        "log softmax(z)_i = z_i - log(sum_j exp(z_j)). Subtracting any constant m from every "
        "logit of a row leaves it unchanged; with m = the row's maximum, no exp(...) exceeds 1.",
        "m = z.max(axis=-1, keepdims=True); return z - m - np.log(np.exp(z - m).sum(axis=-1, "
        "keepdims=True)). keepdims keeps one m per row, so a (N, C) array broadcasts against "
        "(N, 1). A -inf logit gives exp(-inf) = 0 and stays -inf: nothing to special-case.",
    ),
    strategy=_logits_only,
)


def _softmax_ce(labels, z):
    return celib.sparse_categorical_cross_entropy(labels, _unmask(z), from_logits=True)


def _softmax_ce_shifted(shift):
    def value(labels, z):
        z = np.asarray(z)
        return -np.mean(_picked((np.asarray(labels) + shift) % z.shape[-1], z))
    return value


def _softmax_ce_twice(labels, z):
    return celib.sparse_categorical_cross_entropy(labels, celib.softmax(_unmask(z)),
                                                  from_logits=True)


SOFTMAX_CE = Exercise(
    name="ch06-softmax-ce",
    lesson=6,
    title="Softmax cross-entropy from logits",
    answer="softmax_cross_entropy",
    params=("labels", "z"),
    quantity="loss",
    reference=_softmax_ce,
    cases=(
        Case((np.array([0, 2]), np.array([[2.0, 1.0, 0.1], [0.5, 0.2, 3.0]])),
             "labels = [0, 2], z = [[2.0, 1.0, 0.1], [0.5, 0.2, 3.0]]"),
        Case((np.array([1, 0, 2, 1]), np.array([[0.3, 1.2, -0.5], [2.0, 0.0, 0.0],
                                                [-1.0, 0.4, 0.9], [0.1, 0.2, 0.3]])),
             "labels = [1, 0, 2, 1], z of shape (4, 3)"),
        Case((np.array([2]), np.array([[1000.0, 0.0, -1000.0]])),
             "labels = [2], z = [[1000.0, 0.0, -1000.0]]"),
        Case((np.array([0]), np.array([[-800.0, 800.0]])), "labels = [0], z = [[-800.0, 800.0]]"),
        Case((np.array([0, 2]), np.array([[3.0, -np.inf, 1.0], [-np.inf, 0.0, 2.0]])),
             "labels = [0, 2], z = [[3.0, -inf, 1.0], [-inf, 0.0, 2.0]] (masked logits)"),
        Case((np.array([1]), f16([[20.0, -20.0]])), "labels = [1], z = [[20.0, -20.0]] in float16"),
        Case((np.array([3, 3]), np.array([[1e4, 0.0, 0.0, -1e4], [-np.inf, -np.inf, 0.0, 1.0]])),
             "labels = [3, 3], z = [[1e4, 0, 0, -1e4], [-inf, -inf, 0, 1]]", hidden=True),
        Case((np.array([0]), np.float32([[-60.0, 60.0, -np.inf]])),
             "labels = [0], z = [[-60.0, 60.0, -inf]] in float32", hidden=True),
    ),
    mistakes=(
        Mistake("wrong reduction",
                value=lambda labels, z: -np.sum(_picked(labels, z)),
                explain=lambda labels, z: (f"that is the sum over the N = {len(labels)} "
                                           f"examples; the loss is their mean, "
                                           f"{fmt(_softmax_ce(labels, z))}.")),
        Mistake("off-by-one label", value=_softmax_ce_shifted(-1),
                explain=lambda labels, z: ("you read the log-probability of class y - 1; "
                                           "class y is column y (labels count from 0).")),
        Mistake("off-by-one label", value=_softmax_ce_shifted(+1),
                explain=lambda labels, z: ("you read the log-probability of class y + 1; "
                                           "class y is column y (labels count from 0).")),
        Mistake("softmax applied twice", value=_softmax_ce_twice,
                explain=lambda labels, z: ("you passed probabilities through the softmax a "
                                           "second time; the loss takes the logits z as they "
                                           f"are, and is {fmt(_softmax_ce(labels, z))}.")),
    ),
    hints=(
        "the loss of one example is -log softmax(z)_y = logsumexp(z) - z_y: compute the "
        "log-sum-exp of each row with the row maximum subtracted, and subtract the target's logit.",
        "pick the target logits with z[np.arange(len(labels)), labels] instead of multiplying by "
        "a one-hot matrix: 0 * (-inf) is nan, and a masked logit is -inf. Return the mean.",
    ),
    strategy=lambda: labels_and_logits(bound=50.0),
)


# ---------------------------------------------------------------------------------------------
# lesson 7: ignore_index


def _masked_ce(labels, z, ignore_index):
    return celib.sparse_categorical_cross_entropy(labels, z, from_logits=True,
                                                  ignore_index=ignore_index)


def _kept(labels, ignore_index):
    return np.asarray(labels) != ignore_index


def _masked_ce_over_n(labels, z, ignore_index):
    kept = _kept(labels, ignore_index)
    safe = np.where(kept, labels, 0)
    return -np.sum(np.where(kept, _picked(safe, z), 0.0)) / len(labels)


def _explain_over_n(labels, z, ignore_index):
    k = int(_kept(labels, ignore_index).sum())
    return (f"you divided by N = {len(labels)}, the convention asks for the {k} tokens that are "
            f"not ignored (the loss is {fmt(_masked_ce(labels, z, ignore_index))}).")


def _all_ignored_nan(got, expected, labels, z, ignore_index) -> bool:
    return bool(not _kept(labels, ignore_index).any() and np.all(np.isnan(got)))


def _ignore_cases():
    rng = np.random.default_rng(7)
    return (
        Case((np.array([0, 2, 1]), np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.5, 0.0]]),
              -100), "labels = [0, 2, 1], ignore_index = -100 (no padding)"),
        Case((np.array([1, -100, 0, -100, 2]), rng.normal(size=(5, 3)), -100),
             "labels = [1, -100, 0, -100, 2], ignore_index = -100"),
        Case((np.array([-100, -100]), rng.normal(size=(2, 3)), -100),
             "labels = [-100, -100], ignore_index = -100 (an all-padding batch)"),
        Case((np.array([2, -1, 0, -1]), rng.normal(size=(4, 3)), -1),
             "labels = [2, -1, 0, -1], ignore_index = -1"),
        Case((np.array([0, 3, 1]), np.array([[800.0, 0.0, -800.0], [1.0, 2.0, 3.0],
                                             [-800.0, 0.0, 800.0]]), 3),
             "labels = [0, 3, 1], ignore_index = 3, logits at ±800"),
        Case((np.array([5, 5, 5]), rng.normal(size=(3, 5)), 5),
             "labels = [5, 5, 5], ignore_index = 5 (all padding)", hidden=True),
        Case((np.array([4, -100, 0]), rng.normal(scale=400.0, size=(3, 5)), -100),
             "labels = [4, -100, 0], logits of scale 400", hidden=True),
    )


def _padded_batches():
    return labels_and_logits().map(
        lambda lz: (np.where(lz[1][:, 0] > 10.0, -100, lz[0]), lz[1], -100))


IGNORE_INDEX = Exercise(
    name="ch07-ignore-index",
    lesson=7,
    title="A sparse loss that skips padding",
    answer="masked_cross_entropy",
    params=("labels", "z", "ignore_index"),
    quantity="loss",
    reference=_masked_ce,
    cases=_ignore_cases(),
    mistakes=(
        Mistake("wrong reduction", value=_masked_ce_over_n, explain=_explain_over_n),
        Mistake("all padding", test=_all_ignored_nan,
                explain=lambda labels, z, ignore_index: (
                    "a batch with nothing to average has loss 0.0 in this book's convention "
                    "(an empty mean is nan: PyTorch returns nan here, and one nan spoils the "
                    "whole run). Return 0.0 when no token is kept.")),
    ),
    hints=(
        "first build the mask keep = labels != ignore_index, then replace the ignored labels by "
        "a valid class (np.where(keep, labels, 0)) before you index z: -100 is not a column, "
        "and -1 silently reads the last one.",
        "sum the kept losses and divide by the number of kept tokens, keep.sum(); when that "
        "number is 0, return 0.0.",
    ),
    strategy=_padded_batches,
)

EXERCISES = (STABLE_BCE, LOG_SOFTMAX, SOFTMAX_CE, IGNORE_INDEX)
