"""Calibration of a classifier's confidence: reliability bins and the expected calibration error.

A classifier is calibrated when, among the predictions it makes with confidence about ``c``, a
fraction about ``c`` are correct. Both functions here look at the *top-label* confidence, the
largest predicted probability of each example, and sort it into equal-width bins on [0, 1]:

* :func:`reliability_bins` returns each bin's count, mean confidence and accuracy (the numbers
  behind a reliability diagram);
* :func:`expected_calibration_error` averages the gap between accuracy and confidence over the
  bins, weighted by how many examples each bin holds.

Binning rule: with ``M`` bins, bin ``m`` (0-based) holds the confidences in ``(m/M, (m+1)/M]``
(right-closed, as in Guo et al. 2017 and scikit-learn's ``calibration_curve``); a confidence of
exactly 0 goes to the first bin. The edges are ``np.linspace(0, 1, M + 1)``, so a confidence equal
to a decimal edge such as 0.3 is placed by comparison with that floating-point edge.

The module also holds the per-class *decision* metrics that go with them, computed from hard
predictions (usually the arg-max): :func:`confusion_matrix`, :func:`precision_recall` and
:func:`balanced_accuracy`. Calibration asks whether the probabilities can be trusted; these ask
what the decisions made from them cost each class.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from . import _validate as v

__all__ = [
    "ReliabilityBins",
    "reliability_bins",
    "expected_calibration_error",
    "PrecisionRecall",
    "confusion_matrix",
    "precision_recall",
    "balanced_accuracy",
]


class ReliabilityBins(NamedTuple):
    """Per-bin summary of top-label confidence; arrays of length ``n_bins`` (edges: ``n_bins + 1``).

    ``confidence`` and ``accuracy`` are NaN in empty bins (``count == 0``).
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray


def _check_n_bins(n_bins) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}")
    return int(n_bins)


def _confidence_and_correct(labels, probs):
    p = v.as_float_array(probs, "probs")
    if p.ndim != 2:
        raise ValueError(
            f"probs must have shape (N, C), one probability row per example; got shape {p.shape}"
            " (for a binary classifier with P(class 1) = p pass np.stack([1 - p, p], axis=1))"
        )
    p = v.check_probabilities(p.astype(np.float64, copy=False), "probs", axis=-1, whole_option=None)
    y = v.check_labels(labels, "labels", p.shape[1])
    if y.shape != (p.shape[0],):
        raise ValueError(f"labels must have shape ({p.shape[0]},), one label per row of probs; got {y.shape}")
    prediction = p.argmax(axis=1)  # ties go to the lowest class index, as np.argmax does
    return p.max(axis=1), (prediction == y).astype(np.float64)


def reliability_bins(labels, probs, *, n_bins: int = 10) -> ReliabilityBins:
    r"""Count, mean confidence and accuracy of the predictions in each confidence bin.

    For bin :math:`B_m` (the examples whose top-label confidence
    :math:`\hat p_n = \max_c \text{probs}_{nc}` lies in :math:`(m/M, (m+1)/M]`):

    .. math::

        \operatorname{conf}(B_m) = \frac{1}{|B_m|} \sum_{n \in B_m} \hat p_n, \qquad
        \operatorname{acc}(B_m) = \frac{1}{|B_m|} \sum_{n \in B_m} \mathbf{1}[\hat y_n = y_n]

    with :math:`\hat y_n = \arg\max_c \text{probs}_{nc}`. Plotting accuracy against confidence gives
    a reliability diagram; a calibrated model lies on the diagonal.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        True classes in ``[0, C)``.
    probs : array_like, shape (N, C)
        Predicted probabilities, each row summing to 1 (apply softmax to logits first).
    n_bins : int, default 10
        Number :math:`M` of equal-width bins on [0, 1].

    Returns
    -------
    ReliabilityBins
        ``edges`` (M + 1,), ``count`` (M,) as int64, ``confidence`` and ``accuracy`` (M,) as
        float64, NaN where a bin is empty.

    Examples
    --------
    >>> from celib.calibration import reliability_bins
    >>> probs = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]]
    >>> bins = reliability_bins([0, 1, 1, 1], probs, n_bins=2)
    >>> print(bins.count, bins.confidence.round(4), bins.accuracy)
    [0 4] [   nan 0.7375] [ nan 0.75]

    References
    ----------
    Guo, Pleiss, Sun & Weinberger (2017), "On calibration of modern neural networks", ICML, §2.
    """
    n_bins = _check_n_bins(n_bins)
    confidence, correct = _confidence_and_correct(labels, probs)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted(side="left") counts the inner edges strictly below each value: right-closed bins.
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins: 0 / 0 = NaN, on purpose
        mean_confidence = np.bincount(index, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(index, weights=correct, minlength=n_bins) / count
    return ReliabilityBins(edges, count.astype(np.int64), mean_confidence, accuracy)


def expected_calibration_error(labels, probs, *, n_bins: int = 10):
    r"""Expected calibration error (ECE) of the top-label confidence, with equal-width bins.

    .. math::

        \mathrm{ECE} = \sum_{m=0}^{M-1} \frac{|B_m|}{N}
                       \left| \operatorname{acc}(B_m) - \operatorname{conf}(B_m) \right|

    where :math:`B_m`, :math:`\operatorname{acc}` and :math:`\operatorname{conf}` are as in
    :func:`reliability_bins`, and empty bins contribute 0. It lies in [0, 1]: 0 when every bin's
    accuracy equals its mean confidence, 1 when the model is always certain and always wrong. It is
    a probability gap, not an information quantity (no nats or bits). Being a binned estimate, it
    depends on ``n_bins`` and is noisy when bins hold few examples.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        True classes in ``[0, C)``.
    probs : array_like, shape (N, C)
        Predicted probabilities, each row summing to 1.
    n_bins : int, default 10
        Number :math:`M` of equal-width bins on [0, 1] (15 in Guo et al. 2017, 10 here and in
        Naeini et al. 2015).

    Returns
    -------
    numpy.float64 in [0, 1].

    Examples
    --------
    >>> from celib.calibration import expected_calibration_error
    >>> probs = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]]
    >>> labels = [0, 1, 1, 1]          # right, wrong, right, right
    >>> print(f"{expected_calibration_error(labels, probs):.4f}")  # (.1 + .8 + .3 + .45) / 4
    0.4125
    >>> print(f"{expected_calibration_error(labels, probs, n_bins=2):.4f}")  # |0.75 - 0.7375|
    0.0125

    References
    ----------
    Naeini, Cooper & Hauskrecht (2015), "Obtaining well calibrated probabilities using Bayesian
    binning", AAAI. Guo, Pleiss, Sun & Weinberger (2017), "On calibration of modern neural
    networks", ICML, eq. (3).
    """
    bins = reliability_bins(labels, probs, n_bins=n_bins)
    filled = bins.count > 0
    share = bins.count[filled] / bins.count.sum()
    gap = np.abs(bins.accuracy[filled] - bins.confidence[filled])
    return np.float64((share * gap).sum())


# ---------------------------------------------------------------------------------------------
# decision metrics from hard predictions


class PrecisionRecall(NamedTuple):
    """Per-class precision and recall; arrays of length ``C``.

    ``precision`` is NaN for a class that is never predicted, ``recall`` for a class with no
    examples (0/0: there is nothing to measure).
    """

    precision: np.ndarray
    recall: np.ndarray


def _check_num_classes(num_classes) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer; got {num_classes!r}")
    return int(num_classes)


def confusion_matrix(labels, predictions, num_classes: int) -> np.ndarray:
    r"""Counts of (true class, predicted class) pairs: row ``i``, column ``j`` is
    :math:`\#\{n : y_n = i,\ \hat y_n = j\}`.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        True classes in ``[0, C)``.
    predictions : array_like of int, shape (N,)
        Predicted classes in ``[0, C)``, e.g. ``probs.argmax(axis=1)``.
    num_classes : int
        :math:`C`; classes that never occur still get a row and a column.

    Returns
    -------
    numpy.ndarray of int64, shape (C, C). Rows sum to the class counts, columns to the number of
    times each class was predicted.

    Examples
    --------
    >>> from celib.calibration import confusion_matrix
    >>> print(confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], num_classes=3))
    [[1 1 0]
     [0 1 0]
     [0 1 0]]

    References
    ----------
    Murphy (2022), *Probabilistic Machine Learning: An Introduction*, §5.1.3.
    """
    c = _check_num_classes(num_classes)
    shapes = (np.shape(labels), np.shape(predictions))
    if len(shapes[0]) != 1 or shapes[1] != shapes[0]:
        raise ValueError(
            f"labels and predictions must both have shape (N,); got {shapes[0]} and {shapes[1]}"
            " (pass probs.argmax(axis=1) as predictions, not the probabilities)"
        )
    y = v.check_labels(labels, "labels", c)
    yhat = v.check_labels(predictions, "predictions", c)
    return np.bincount(y * c + yhat, minlength=c * c).reshape(c, c).astype(np.int64)


def precision_recall(labels, predictions, num_classes: int) -> PrecisionRecall:
    r"""Per-class precision and recall of hard predictions.

    .. math::

        \operatorname{precision}_c = \frac{\#\{y_n = c,\ \hat y_n = c\}}{\#\{\hat y_n = c\}},
        \qquad
        \operatorname{recall}_c = \frac{\#\{y_n = c,\ \hat y_n = c\}}{\#\{y_n = c\}}

    Recall is measured within each true class, so it ignores how rare the class is; precision is
    measured among the examples *predicted* as the class, so on imbalanced data it falls quickly
    when majority examples are moved into a rare class. A 0/0 ratio is NaN (scikit-learn reports 0
    with a warning instead).

    Parameters
    ----------
    labels, predictions : array_like of int, shape (N,)
        True and predicted classes in ``[0, C)``.
    num_classes : int
        :math:`C`.

    Returns
    -------
    PrecisionRecall(precision, recall), two float64 arrays of shape (C,).

    Examples
    --------
    >>> from celib.calibration import precision_recall
    >>> pr = precision_recall([0, 0, 0, 1], [0, 0, 1, 1], num_classes=2)
    >>> print(pr.precision, pr.recall)
    [1.  0.5] [0.66666667 1.        ]

    References
    ----------
    Murphy (2022), *Probabilistic Machine Learning: An Introduction*, §5.1.3.
    """
    m = confusion_matrix(labels, predictions, num_classes).astype(np.float64)
    hits = np.diag(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return PrecisionRecall(hits / m.sum(axis=0), hits / m.sum(axis=1))


def balanced_accuracy(labels, predictions, num_classes: int):
    r"""Balanced accuracy: the mean of the per-class recalls over the classes that occur in ``labels``.

    .. math::

        \mathrm{BA} = \frac{1}{|\mathcal{C}|} \sum_{c \in \mathcal{C}} \operatorname{recall}_c,
        \qquad \mathcal{C} = \{c : \#\{y_n = c\} > 0\}

    Every class counts equally however rare it is; plain accuracy weights each class by its
    frequency instead. Equal to scikit-learn's ``balanced_accuracy_score``.

    Parameters
    ----------
    labels, predictions : array_like of int, shape (N,)
        True and predicted classes in ``[0, C)``.
    num_classes : int
        :math:`C`.

    Returns
    -------
    numpy.float64 in [0, 1].

    Examples
    --------
    >>> from celib.calibration import balanced_accuracy
    >>> print(f"{balanced_accuracy([0, 0, 0, 1], [0, 0, 1, 1], num_classes=2):.4f}")  # (2/3 + 1) / 2
    0.8333

    References
    ----------
    Brodersen, Ong, Stephan & Buhmann (2010), "The balanced accuracy and its posterior
    distribution", ICPR.
    """
    recall = precision_recall(labels, predictions, num_classes).recall
    if np.isnan(recall).all():
        raise ValueError("labels is empty: balanced accuracy needs at least one example")
    return np.float64(np.nanmean(recall))
