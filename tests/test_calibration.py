"""celib.calibration: reliability bins and expected calibration error.

Expected values are worked out by hand (noted at each test) or computed independently with
scikit-learn's ``calibration_curve``, which uses the same right-closed equal-width bins.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from celib.calibration import expected_calibration_error, reliability_bins

# right (conf .9), wrong (conf .8), right (conf .7), right (conf .55)
PROBS = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
LABELS = np.array([0, 1, 1, 1])


def test_ece_by_hand_one_example_per_bin():
    # ten bins: every example sits alone in its bin, so ECE = mean |correct - confidence|
    expected = (abs(1 - 0.9) + abs(0 - 0.8) + abs(1 - 0.7) + abs(1 - 0.55)) / 4
    assert expected_calibration_error(LABELS, PROBS) == pytest.approx(expected, abs=1e-15)
    assert round(float(expected_calibration_error(LABELS, PROBS)), 4) == 0.4125


def test_ece_by_hand_two_bins():
    # all four confidences are in (0.5, 1]: accuracy 3/4, mean confidence 2.95/4
    assert expected_calibration_error(LABELS, PROBS, n_bins=2) == pytest.approx(abs(0.75 - 2.95 / 4), abs=1e-15)


def test_reliability_bins_by_hand():
    bins = reliability_bins(LABELS, PROBS, n_bins=2)
    np.testing.assert_array_equal(bins.edges, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(bins.count, [0, 4])
    assert np.isnan(bins.confidence[0]) and np.isnan(bins.accuracy[0])
    assert bins.confidence[1] == pytest.approx(0.7375, abs=0)
    assert bins.accuracy[1] == 0.75


def test_perfectly_calibrated_bin_gives_zero():
    # confidence 0.75 on four examples, three of them right
    probs = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error([0, 0, 0, 1], probs) == 0.0


def test_certain_and_always_wrong_gives_one():
    probs = np.eye(3)[[0, 1, 2, 0]]
    assert expected_calibration_error([1, 2, 0, 2], probs) == 1.0


def test_bins_are_right_closed():
    # confidence exactly 0.5 belongs to (0.4, 0.5], not (0.5, 0.6]; exactly 1 to the last bin
    bins = reliability_bins([0, 0], [[0.5, 0.5], [1.0, 0.0]], n_bins=10)
    assert bins.count[4] == 1 and bins.count[5] == 0 and bins.count[9] == 1


def test_ties_predict_the_lowest_index():
    # [0.5, 0.5] predicts class 0 (np.argmax), so label 0 is right and label 1 wrong
    assert reliability_bins([0], [[0.5, 0.5]]).accuracy[4] == 1.0
    assert reliability_bins([1], [[0.5, 0.5]]).accuracy[4] == 0.0


def test_ece_is_the_count_weighted_gap_of_the_bins():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=(500, 4))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, 4, size=500)
    bins = reliability_bins(labels, probs, n_bins=15)
    filled = bins.count > 0
    expected = np.sum(bins.count[filled] / 500 * np.abs(bins.accuracy[filled] - bins.confidence[filled]))
    assert bins.count.sum() == 500
    assert expected_calibration_error(labels, probs, n_bins=15) == pytest.approx(expected, rel=1e-12, abs=0)


def test_matches_scikit_learn_calibration_curve():
    calibration_curve = pytest.importorskip("sklearn.calibration").calibration_curve
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=1.5, size=(400, 3))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, 3, size=400)
    confidence = probs.max(1)
    correct = (probs.argmax(1) == labels).astype(int)
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=10, strategy="uniform")
    bins = reliability_bins(labels, probs, n_bins=10)
    filled = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[filled], prob_true, rtol=1e-12)
    np.testing.assert_allclose(bins.confidence[filled], prob_pred, rtol=1e-12)


@settings(max_examples=40)
@given(
    n=st.integers(1, 40),
    c=st.integers(2, 5),
    n_bins=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_ece_in_unit_interval_and_order_free(n, c, n_bins, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(c), size=n)
    labels = rng.integers(0, c, size=n)
    ece = expected_calibration_error(labels, probs, n_bins=n_bins)
    assert 0.0 <= ece <= 1.0
    order = rng.permutation(n)
    assert expected_calibration_error(labels[order], probs[order], n_bins=n_bins) == pytest.approx(ece, abs=1e-12)


@pytest.mark.parametrize(
    "labels, probs, n_bins, message",
    [
        ([0, 1], [0.9, 0.2], 10, "probs must have shape \\(N, C\\)"),
        ([0], [[0.9, 0.1], [0.2, 0.8]], 10, "labels must have shape \\(2,\\)"),
        ([0, 1], [[0.9, 0.3], [0.2, 0.8]], 10, "probs must sum to 1"),
        ([0, 2], [[0.9, 0.1], [0.2, 0.8]], 10, "labels must be in \\[0, 2\\)"),
        ([0, 1], [[0.9, 0.1], [0.2, 0.8]], 0, "n_bins must be a positive integer"),
        ([0, 1], [[0.9, 0.1], [0.2, 0.8]], 2.5, "n_bins must be a positive integer"),
    ],
)
def test_errors_name_the_argument(labels, probs, n_bins, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(labels, probs, n_bins=n_bins)


# ------------------------------------------------------------------ decision metrics

from celib.calibration import balanced_accuracy, confusion_matrix, precision_recall  # noqa: E402


def test_confusion_matrix_by_hand():
    m = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], num_classes=3)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [0, 1, 0]])
    assert m.dtype == np.int64


def test_precision_recall_by_hand_and_nan_for_zero_over_zero():
    # class 2 is never predicted (precision 0/0) and class 3 never occurs (recall 0/0)
    pr = precision_recall([0, 0, 1, 2], [0, 1, 1, 3], num_classes=4)
    np.testing.assert_allclose(pr.precision[:2], [1.0, 0.5])
    np.testing.assert_allclose(pr.recall[:3], [0.5, 1.0, 0.0])
    assert np.isnan(pr.precision[2]) and pr.precision[3] == 0.0 and np.isnan(pr.recall[3])


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_metrics_match_scikit_learn(num_classes, n, seed):
    from sklearn.metrics import balanced_accuracy_score, precision_recall_fscore_support
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, size=n)
    yhat = rng.integers(0, num_classes, size=n)
    classes = list(range(num_classes))
    np.testing.assert_array_equal(confusion_matrix(y, yhat, num_classes), sk_confusion_matrix(y, yhat, labels=classes))
    p, r, _, _ = precision_recall_fscore_support(y, yhat, labels=classes, zero_division=np.nan)
    pr = precision_recall(y, yhat, num_classes)
    np.testing.assert_allclose(pr.precision, p, equal_nan=True)
    np.testing.assert_allclose(pr.recall, r, equal_nan=True)
    assert balanced_accuracy(y, yhat, num_classes) == pytest.approx(balanced_accuracy_score(y, yhat), abs=1e-12)


def test_metric_errors_name_the_fix():
    with pytest.raises(ValueError, match="argmax"):
        confusion_matrix([0, 1], [[0.9, 0.1], [0.2, 0.8]], num_classes=2)
    with pytest.raises(ValueError, match="predictions must be in"):
        precision_recall([0, 1], [0, -1], num_classes=2)
    with pytest.raises(ValueError, match="num_classes"):
        balanced_accuracy([0], [0], num_classes=0)
    with pytest.raises(ValueError, match="empty"):
        balanced_accuracy([], [], num_classes=2)
