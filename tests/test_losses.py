"""celib.losses: semantics of every loss, checked against formulas written out here.

Expected values are computed from the loss's definition with plain NumPy (or derived by hand, as
noted), never copied from celib's own output. Property-style equivalences between the losses live in
test_properties.py; numerics at extreme logits in test_numerics.py; bad input in test_errors.py.
"""

import math

import numpy as np
import pytest

import celib

KERAS_CAP = 16.118  # -ln(1e-7), the published Keras cap (design guide §6)

LABELS = np.array([0, 2, 1, 2])
PROBS = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.1, 0.3, 0.6],
        [0.25, 0.5, 0.25],
        [0.05, 0.05, 0.9],
    ]
)
ONE_HOT = np.eye(3)[LABELS]
LOGITS = np.array(
    [
        [2.0, 0.5, -1.0],
        [0.0, 1.0, 3.0],
        [-2.0, 0.3, 0.1],
        [1.0, 1.0, 1.0],
    ]
)
WEIGHTS = np.array([0.2, 1.0, 3.0])


def nll_of_true_class(probs, labels):
    return -np.log(probs[np.arange(len(labels)), labels])


def reference_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# --- worked examples ------------------------------------------------------------------------

def test_binary_cross_entropy_docstring_example_by_hand():
    expected = (-math.log(0.9) - math.log(0.8)) / 2
    assert celib.binary_cross_entropy([1, 0], [0.9, 0.2]) == pytest.approx(expected, rel=1e-14, abs=0)


def test_categorical_cross_entropy_docstring_example_by_hand():
    y_true = [[0, 1, 0], [0, 0, 1]]
    y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    expected = (-math.log(0.95) - math.log(0.1)) / 2
    assert celib.categorical_cross_entropy(y_true, y_pred) == pytest.approx(expected, rel=1e-14, abs=0)


def test_sparse_categorical_cross_entropy_is_mean_nll_of_true_class():
    expected = nll_of_true_class(PROBS, LABELS).mean()
    assert celib.sparse_categorical_cross_entropy(LABELS, PROBS) == pytest.approx(expected, rel=1e-14, abs=0)


def test_sparse_from_logits_is_lse_minus_true_logit():
    expected = -reference_log_softmax(LOGITS)[np.arange(4), LABELS]
    got = celib.sparse_categorical_cross_entropy(LABELS, LOGITS, from_logits=True, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_binary_cross_entropy_from_a_hugely_wrong_logit_is_exact_not_inf():
    # softplus(800) = 800 to double precision; sigmoid(-800) would round to 0 and give inf.
    assert celib.binary_cross_entropy([1.0], [-800.0], from_logits=True) == 800.0


def test_categorical_cross_entropy_with_soft_targets():
    y_true = np.array([[0.2, 0.8], [0.5, 0.5]])
    y_pred = np.array([[0.4, 0.6], [0.9, 0.1]])
    expected = -(y_true * np.log(y_pred)).sum(axis=-1).mean()
    assert celib.categorical_cross_entropy(y_true, y_pred) == pytest.approx(expected, rel=1e-14, abs=0)


def test_categorical_cross_entropy_on_axis_0_equals_transposed_input():
    got = celib.categorical_cross_entropy(ONE_HOT.T, PROBS.T, axis=0, reduction="none")
    np.testing.assert_allclose(got, celib.categorical_cross_entropy(ONE_HOT, PROBS, reduction="none"))


def test_sparse_categorical_cross_entropy_with_sequence_batch_keeps_batch_axes():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 3))
    labels = rng.integers(0, 3, size=(2, 5))
    got = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, reduction="none")
    assert got.shape == (2, 5)
    expected = -np.take_along_axis(reference_log_softmax(logits), labels[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_sparse_accepts_integral_float_labels():
    # Documented: 2.0 is accepted as class 2 (fractions are rejected, see test_errors.py).
    as_float = celib.sparse_categorical_cross_entropy(LABELS.astype(float), PROBS)
    assert as_float == celib.sparse_categorical_cross_entropy(LABELS, PROBS)


# --- reductions -----------------------------------------------------------------------------

LOSS_CASES = {
    "binary": (celib.binary_cross_entropy, np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.4, 0.5])),
    "binary_logits": (
        lambda y, z, **kw: celib.binary_cross_entropy(y, z, from_logits=True, **kw),
        np.array([1.0, 0.0, 1.0, 0.0]),
        np.array([2.0, -1.0, 0.3, 5.0]),
    ),
    "categorical": (celib.categorical_cross_entropy, ONE_HOT, PROBS),
    "sparse": (celib.sparse_categorical_cross_entropy, LABELS, PROBS),
    "focal": (lambda y, z, **kw: celib.focal_loss(y, z, from_logits=True, **kw), LABELS, LOGITS),
    "binary_focal": (lambda y, z, **kw: celib.binary_focal_loss(y, z, from_logits=True, **kw),
                     np.array([1.0, 0.0, 1.0, 0.0]), np.array([2.0, -1.0, 0.3, 5.0])),
    "mse": (celib.mean_squared_error, np.array([1.0, 0.0, 2.0, -1.0]), np.array([0.5, 0.5, 2.0, 1.0])),
}


@pytest.mark.parametrize("case", list(LOSS_CASES), ids=list(LOSS_CASES))
def test_reduction_none_gives_one_loss_per_example(case):
    loss, y, pred = LOSS_CASES[case]
    assert loss(y, pred, reduction="none").shape == (4,)


@pytest.mark.parametrize("case", list(LOSS_CASES), ids=list(LOSS_CASES))
def test_reduction_sum_and_mean_agree_with_none(case):
    loss, y, pred = LOSS_CASES[case]
    per_example = loss(y, pred, reduction="none")
    assert loss(y, pred, reduction="sum") == pytest.approx(per_example.sum(), rel=1e-14, abs=0)
    assert loss(y, pred, reduction="mean") == pytest.approx(per_example.mean(), rel=1e-14, abs=0)
    assert loss(y, pred) == loss(y, pred, reduction="mean")


@pytest.mark.parametrize("case", list(LOSS_CASES), ids=list(LOSS_CASES))
def test_reduced_losses_are_scalars(case):
    loss, y, pred = LOSS_CASES[case]
    assert np.ndim(loss(y, pred)) == 0
    assert np.ndim(loss(y, pred, reduction="sum")) == 0


def test_binary_cross_entropy_none_is_elementwise_for_multilabel_targets():
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.9, 0.2, 0.6], [0.3, 0.1, 0.8]])
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = celib.binary_cross_entropy(y, p, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert celib.binary_cross_entropy(y, p) == pytest.approx(expected.mean(), rel=1e-14, abs=0)


def test_mean_squared_error_mean_is_over_every_element_and_none_is_elementwise():
    y = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    p = np.array([[1.5, 2.0], [2.0, 4.0], [1.0, -1.0]])
    squared = (y - p) ** 2
    np.testing.assert_allclose(celib.mean_squared_error(y, p, reduction="none"), squared)
    assert celib.mean_squared_error(y, p) == pytest.approx(squared.mean(), rel=1e-15, abs=0)
    assert celib.mean_squared_error(y, p, reduction="sum") == pytest.approx(squared.sum(), rel=1e-15, abs=0)


# --- ignore_index -----------------------------------------------------------------------------

PADDED = np.array([0, -100, 1, -100])


def test_ignored_rows_get_zero_loss_with_reduction_none():
    got = celib.sparse_categorical_cross_entropy(PADDED, PROBS, ignore_index=-100, reduction="none")
    expected = nll_of_true_class(PROBS[[0, 2]], np.array([0, 1]))
    np.testing.assert_allclose(got, [expected[0], 0.0, expected[1], 0.0], rtol=1e-14)


def test_ignored_rows_leave_numerator_and_denominator_of_the_mean():
    expected = nll_of_true_class(PROBS[[0, 2]], np.array([0, 1])).mean()
    got = celib.sparse_categorical_cross_entropy(PADDED, PROBS, ignore_index=-100)
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_ignored_rows_leave_the_sum():
    expected = nll_of_true_class(PROBS[[0, 2]], np.array([0, 1])).sum()
    got = celib.sparse_categorical_cross_entropy(PADDED, PROBS, ignore_index=-100, reduction="sum")
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_ignored_rows_leave_the_weighted_mean():
    kept_labels = np.array([0, 1])
    w = WEIGHTS[kept_labels]
    expected = (w * nll_of_true_class(PROBS[[0, 2]], kept_labels)).sum() / w.sum()
    got = celib.sparse_categorical_cross_entropy(PADDED, PROBS, ignore_index=-100, class_weight=WEIGHTS)
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_ignored_rows_may_point_at_a_zero_probability_without_effect():
    # The ignored row's placeholder lookup must not leak inf or NaN into the batch.
    probs = np.array([[0.0, 1.0], [0.5, 0.5]])
    got = celib.sparse_categorical_cross_entropy([-100, 0], probs, ignore_index=-100)
    assert got == pytest.approx(math.log(2), rel=1e-15, abs=0)


def test_every_row_ignored_gives_mean_zero_not_nan():
    labels = np.full(4, -100)
    assert celib.sparse_categorical_cross_entropy(labels, PROBS, ignore_index=-100) == 0.0
    assert celib.sparse_categorical_cross_entropy(labels, LOGITS, from_logits=True, ignore_index=-100) == 0.0
    assert celib.sparse_categorical_cross_entropy(labels, PROBS, ignore_index=-100, reduction="sum") == 0.0


def test_every_row_ignored_with_class_weight_gives_zero():
    labels = np.full(4, -1)
    got = celib.sparse_categorical_cross_entropy(labels, PROBS, ignore_index=-1, class_weight=WEIGHTS)
    assert got == 0.0


def test_ignore_index_minus_one_accepts_minus_one_padding():
    labels = np.array([0, -1, 1, 2])
    got = celib.sparse_categorical_cross_entropy(labels, PROBS, ignore_index=-1)
    expected = nll_of_true_class(PROBS[[0, 2, 3]], np.array([0, 1, 2])).mean()
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_ignore_index_inside_the_class_range_skips_that_class():
    expected = nll_of_true_class(PROBS[[1, 2, 3]], LABELS[1:]).mean()
    got = celib.sparse_categorical_cross_entropy(LABELS, PROBS, ignore_index=0)
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_ignore_index_works_with_label_smoothing():
    eps = 0.1
    smoothed = ONE_HOT[[0, 2]] * (1 - eps) + eps / 3
    expected = -(smoothed * np.log(PROBS[[0, 2]])).sum(axis=-1).mean()
    got = celib.sparse_categorical_cross_entropy(PADDED, PROBS, ignore_index=-100, label_smoothing=eps)
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


# --- class weights: one weighted-mean rule -------------------------------------------------

def test_sparse_weighted_mean_divides_by_sum_of_used_weights():
    w = WEIGHTS[LABELS]
    expected = (w * nll_of_true_class(PROBS, LABELS)).sum() / w.sum()
    got = celib.sparse_categorical_cross_entropy(LABELS, PROBS, class_weight=WEIGHTS)
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_one_hot_weighted_mean_uses_the_same_rule():
    w = WEIGHTS[LABELS]
    expected = (w * nll_of_true_class(PROBS, LABELS)).sum() / w.sum()
    got = celib.categorical_cross_entropy(ONE_HOT, PROBS, class_weight=WEIGHTS)
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_soft_target_row_weight_is_target_weighted_sum_of_class_weights():
    y_true = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    y_pred = PROBS[:2]
    numerator = -(WEIGHTS * y_true * np.log(y_pred)).sum()
    denominator = (y_true * WEIGHTS).sum()
    got = celib.categorical_cross_entropy(y_true, y_pred, class_weight=WEIGHTS)
    assert got == pytest.approx(numerator / denominator, rel=1e-14, abs=0)


def test_weighted_none_and_sum_carry_the_weights():
    w = WEIGHTS[LABELS]
    per_row = w * nll_of_true_class(PROBS, LABELS)
    for loss, y in ((celib.sparse_categorical_cross_entropy, LABELS), (celib.categorical_cross_entropy, ONE_HOT)):
        np.testing.assert_allclose(loss(y, PROBS, class_weight=WEIGHTS, reduction="none"), per_row, rtol=1e-14)
        assert loss(y, PROBS, class_weight=WEIGHTS, reduction="sum") == pytest.approx(per_row.sum(), rel=1e-14, abs=0)


def test_uniform_class_weight_does_not_change_the_mean():
    plain = celib.sparse_categorical_cross_entropy(LABELS, PROBS)
    assert celib.sparse_categorical_cross_entropy(LABELS, PROBS, class_weight=[5.0, 5.0, 5.0]) == pytest.approx(
        plain, rel=1e-14, abs=0)


def test_zero_class_weight_removes_that_class_from_the_mean():
    # Weight 0 on class 2 leaves rows 0 and 2 (labels 0 and 1, weights 0.2 and 1).
    w = np.array([0.2, 1.0, 0.0])
    kept = np.array([0, 2])
    expected = (w[LABELS[kept]] * nll_of_true_class(PROBS[kept], LABELS[kept])).sum() / w[LABELS[kept]].sum()
    assert celib.sparse_categorical_cross_entropy(LABELS, PROBS, class_weight=w) == pytest.approx(expected, rel=1e-14, abs=0)
    assert celib.categorical_cross_entropy(ONE_HOT, PROBS, class_weight=w) == pytest.approx(expected, rel=1e-14, abs=0)


def test_zero_weight_class_with_zero_probability_contributes_nothing_sparse():
    # The one-hot loss treats 0 * ln 0 as 0 here; the sparse loss must agree (no 0 * inf = NaN).
    probs = np.array([[0.0, 1.0], [0.5, 0.5]])
    labels = np.array([0, 1])
    w = [0.0, 1.0]
    expected = math.log(2)
    assert celib.categorical_cross_entropy(np.eye(2)[labels], probs, class_weight=w) == pytest.approx(expected, abs=0)
    assert celib.sparse_categorical_cross_entropy(labels, probs, class_weight=w) == pytest.approx(expected, abs=0)


def test_ignored_row_on_a_zero_weight_class_with_zero_probability_is_silent():
    # The ignored row looks up class 0 as a placeholder; weight 0 times -ln 0 must not warn or NaN.
    probs = np.array([[0.0, 1.0], [0.5, 0.5]])
    got = celib.sparse_categorical_cross_entropy(
        [-100, 1], probs, ignore_index=-100, class_weight=[0.0, 1.0], reduction="none"
    )
    np.testing.assert_allclose(got, [0.0, math.log(2)])


def test_full_label_smoothing_with_a_zero_probability_is_inf_for_both_target_forms():
    # eps = 1 makes the target uniform, so a zero probability anywhere costs inf, not NaN.
    probs = [[0.0, 1.0]]
    assert celib.categorical_cross_entropy([[1, 0]], probs, label_smoothing=1.0) == np.inf
    assert celib.sparse_categorical_cross_entropy([0], probs, label_smoothing=1.0) == np.inf


def test_inverse_frequency_weights_hand_example():
    # N / (C n_c) with N = 4, C = 2, counts (3, 1): 4/6 and 4/2.
    np.testing.assert_allclose(celib.inverse_frequency_weights([0, 0, 0, 1], num_classes=2), [2 / 3, 2.0])


def test_inverse_frequency_weights_give_every_class_the_same_total_weight():
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 0, 1, 3])
    w = celib.inverse_frequency_weights(labels, 4)
    totals = np.bincount(labels, weights=w[labels])
    np.testing.assert_allclose(totals, len(labels) / 4)
    assert w.dtype == np.float64


# --- label smoothing ------------------------------------------------------------------------

def test_categorical_label_smoothing_mixes_targets_with_uniform():
    eps = 0.2
    smoothed = ONE_HOT * (1 - eps) + eps / 3
    expected = celib.categorical_cross_entropy(smoothed, PROBS)
    assert celib.categorical_cross_entropy(ONE_HOT, PROBS, label_smoothing=eps) == pytest.approx(expected, rel=1e-14, abs=0)


def test_sparse_label_smoothing_matches_the_explicit_smoothed_target():
    eps = 0.2
    smoothed = ONE_HOT * (1 - eps) + eps / 3
    expected = -(smoothed * reference_log_softmax(LOGITS)).sum(axis=-1).mean()
    got = celib.sparse_categorical_cross_entropy(LABELS, LOGITS, from_logits=True, label_smoothing=eps)
    assert got == pytest.approx(expected, rel=1e-13, abs=0)


def test_sparse_label_smoothing_with_class_weight_uses_smoothed_row_weights():
    # Row weight = sum_c w_c * smoothed target_c, the one-hot rule applied to the smoothed target.
    eps = 0.2
    smoothed = ONE_HOT * (1 - eps) + eps / 3
    numerator = -(WEIGHTS * smoothed * np.log(PROBS)).sum()
    denominator = (WEIGHTS * smoothed).sum()
    got = celib.sparse_categorical_cross_entropy(LABELS, PROBS, label_smoothing=eps, class_weight=WEIGHTS)
    assert got == pytest.approx(numerator / denominator, rel=1e-13, abs=0)


def test_binary_label_smoothing_pulls_targets_towards_one_half():
    eps = 0.1
    y = np.array([1.0, 0.0, 1.0])
    p = np.array([0.8, 0.3, 0.6])
    t = y * (1 - eps) + eps / 2
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    assert celib.binary_cross_entropy(y, p, label_smoothing=eps) == pytest.approx(expected, rel=1e-14, abs=0)


def test_full_label_smoothing_makes_the_target_uniform():
    expected = -np.log(PROBS).mean(axis=-1).mean()
    assert celib.categorical_cross_entropy(ONE_HOT, PROBS, label_smoothing=1.0) == pytest.approx(expected, rel=1e-14, abs=0)
    assert celib.sparse_categorical_cross_entropy(LABELS, PROBS, label_smoothing=1.0) == pytest.approx(
        expected, rel=1e-14, abs=0)


# --- pos_weight -----------------------------------------------------------------------------

def test_pos_weight_multiplies_only_the_positive_term():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.9, 0.2, 0.4, 0.5])
    pw = 3.0
    expected = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(
        celib.binary_cross_entropy(y, p, pos_weight=pw, reduction="none"), expected, rtol=1e-14
    )


def test_pos_weight_does_not_change_the_mean_denominator():
    # Like torch BCEWithLogitsLoss: the mean is over elements, not over the weights.
    y = np.array([1.0, 0.0, 1.0, 0.0])
    z = np.array([2.0, -1.0, 0.3, 5.0])
    pw = 3.0
    p = 1 / (1 + np.exp(-z))
    expected = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert celib.binary_cross_entropy(y, z, from_logits=True, pos_weight=pw) == pytest.approx(expected, rel=1e-13, abs=0)


def test_pos_weight_per_output_broadcasts_over_the_last_axis():
    y = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    p = np.array([[0.9, 0.2, 0.6], [0.3, 0.1, 0.8]])
    pw = np.array([1.0, 2.0, 4.0])
    expected = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    got = celib.binary_cross_entropy(y, p, pos_weight=pw, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_pos_weight_one_is_the_plain_loss():
    y, p = np.array([1.0, 0.0]), np.array([0.7, 0.4])
    assert celib.binary_cross_entropy(y, p, pos_weight=1.0) == celib.binary_cross_entropy(y, p)


# --- eps: exact by default, Keras clip on request -------------------------------------------

def test_eps_none_gives_inf_for_zero_probability_on_the_true_class():
    assert celib.sparse_categorical_cross_entropy([0], [[0.0, 1.0]]) == np.inf
    assert celib.categorical_cross_entropy([[1, 0]], [[0.0, 1.0]]) == np.inf
    assert celib.binary_cross_entropy([1.0], [0.0]) == np.inf
    assert celib.binary_cross_entropy([0.0], [1.0]) == np.inf


def test_eps_none_gives_exactly_zero_for_a_certain_correct_prediction():
    assert celib.sparse_categorical_cross_entropy([1], [[0.0, 1.0]]) == 0.0
    assert celib.binary_cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_eps_1e_7_caps_the_loss_at_16_118_like_keras():
    assert round(float(celib.sparse_categorical_cross_entropy([0], [[0.0, 1.0]], eps=1e-7)), 3) == KERAS_CAP
    assert round(float(celib.categorical_cross_entropy([[1, 0]], [[0.0, 1.0]], eps=1e-7)), 3) == KERAS_CAP
    assert round(float(celib.binary_cross_entropy([1.0], [0.0], eps=1e-7)), 3) == KERAS_CAP
    assert round(float(celib.binary_cross_entropy([0.0], [1.0], eps=1e-7)), 3) == KERAS_CAP


def test_eps_does_not_touch_probabilities_inside_the_clip_range():
    assert celib.sparse_categorical_cross_entropy(LABELS, PROBS, eps=1e-7) == celib.sparse_categorical_cross_entropy(
        LABELS, PROBS
    )


# --- focal losses -----------------------------------------------------------------------------

def test_focal_loss_matches_its_formula():
    gamma = 2.0
    p = np.exp(reference_log_softmax(LOGITS))[np.arange(4), LABELS]
    expected = (-((1 - p) ** gamma) * np.log(p)).mean()
    assert celib.focal_loss(LABELS, LOGITS, gamma=gamma, from_logits=True) == pytest.approx(expected, rel=1e-12, abs=0)


def test_focal_loss_down_weights_easy_examples_more_than_hard_ones():
    logits = np.array([[4.0, 0.0, 0.0], [0.0, 0.5, 0.0]])  # easy, hard
    ce = celib.focal_loss([0, 1], logits, gamma=0.0, reduction="none", from_logits=True)
    focal = celib.focal_loss([0, 1], logits, gamma=2.0, reduction="none", from_logits=True)
    ratio = focal / ce
    assert ratio[0] < ratio[1] < 1


def test_focal_loss_per_class_alpha_scales_the_loss_and_the_mean_divides_by_n():
    gamma = 1.5
    alpha = np.array([0.25, 0.5, 1.0])
    p = np.exp(reference_log_softmax(LOGITS))[np.arange(4), LABELS]
    per_row = -alpha[LABELS] * (1 - p) ** gamma * np.log(p)
    np.testing.assert_allclose(
        celib.focal_loss(LABELS, LOGITS, gamma=gamma, alpha=alpha, reduction="none", from_logits=True), per_row, rtol=1e-12
    )
    got = celib.focal_loss(LABELS, LOGITS, gamma=gamma, alpha=alpha, from_logits=True)
    assert got == pytest.approx(per_row.mean(), rel=1e-12, abs=0)


def test_focal_loss_class_weight_normalises_by_sum_of_used_weights():
    gamma = 1.5
    w = np.array([0.25, 0.5, 1.0])
    p = np.exp(reference_log_softmax(LOGITS))[np.arange(4), LABELS]
    per_row = -w[LABELS] * (1 - p) ** gamma * np.log(p)
    got = celib.focal_loss(LABELS, LOGITS, gamma=gamma, class_weight=w, from_logits=True)
    assert got == pytest.approx(per_row.sum() / w[LABELS].sum(), rel=1e-12, abs=0)
    # both: alpha scales, class_weight weighs
    both = celib.focal_loss(LABELS, LOGITS, gamma=gamma, alpha=0.25, class_weight=w, from_logits=True)
    assert both == pytest.approx(0.25 * got, rel=1e-12, abs=0)


def test_focal_loss_scalar_alpha_scales_every_reduction():
    # Lin et al. and Keras: a constant alpha multiplies each loss, and the mean divides by N, so
    # alpha = 0.25 gives a quarter of the loss (it used to cancel in the mean, silently).
    for reduction in ("sum", "mean"):
        plain = celib.focal_loss(LABELS, LOGITS, reduction=reduction, from_logits=True)
        scaled = celib.focal_loss(LABELS, LOGITS, alpha=0.25, reduction=reduction, from_logits=True)
        assert scaled == pytest.approx(0.25 * plain, rel=1e-15, abs=0)
    plain = celib.focal_loss(LABELS, LOGITS, reduction="none", from_logits=True)
    np.testing.assert_allclose(
        celib.focal_loss(LABELS, LOGITS, alpha=0.25, reduction="none", from_logits=True), 0.25 * plain, rtol=1e-15
    )


def test_focal_loss_keras_categorical_focal_test_case():
    # keras/src/losses/losses_test.py, CategoricalFocalCrossentropyTest.test_unweighted (logits):
    # Keras' defaults alpha=0.25, gamma=2 give 0.000345; the per-example values of its
    # test_no_reduction are (1.5096224e-09, 2.4136547e-11, 1.0360638e-03).
    logits = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])
    got = celib.focal_loss([0, 1, 2], logits, alpha=0.25, gamma=2.0, from_logits=True)
    per_row = celib.focal_loss([0, 1, 2], logits, alpha=0.25, gamma=2.0, from_logits=True, reduction="none")
    # Keras computes 1 - q_t in float32, which costs the two tiny values 3.6e-4 of their digits
    # (celib in float64 is exact to ~1e-16 here); its own test compares with atol=1e-6.
    np.testing.assert_allclose(per_row, [1.5096224e-09, 2.4136547e-11, 1.0360638e-03], rtol=1e-3)
    assert got == pytest.approx(per_row.sum() / 3, rel=1e-12, abs=0)
    assert f"{got:.3g}" == "0.000345"  # Keras' number, to the digits it states


def test_binary_focal_loss_matches_lin_et_al_with_alpha():
    gamma, alpha = 2.0, 0.25
    t = np.array([1.0, 0.0, 1.0, 0.0])
    z = np.array([3.0, -1.0, -0.5, 2.0])
    p = 1 / (1 + np.exp(-z))
    p_t = np.where(t == 1, p, 1 - p)
    alpha_t = np.where(t == 1, alpha, 1 - alpha)
    per_element = -alpha_t * (1 - p_t) ** gamma * np.log(p_t)
    got = celib.binary_focal_loss(t, z, gamma=gamma, alpha=alpha, reduction="none", from_logits=True)
    np.testing.assert_allclose(got, per_element, rtol=1e-12)
    # mean over every element, as torchvision's sigmoid_focal_loss
    assert celib.binary_focal_loss(t, z, gamma=gamma, alpha=alpha, from_logits=True) == pytest.approx(per_element.mean(), rel=1e-12, abs=0)


def test_binary_focal_loss_without_alpha_weights_both_terms_one():
    gamma = 2.0
    t = np.array([1.0, 0.0])
    z = np.array([0.5, 0.5])
    p = 1 / (1 + np.exp(-z))
    expected = [-(1 - p[0]) ** gamma * np.log(p[0]), -p[1] ** gamma * np.log(1 - p[1])]
    np.testing.assert_allclose(celib.binary_focal_loss(t, z, gamma=gamma, reduction="none", from_logits=True), expected, rtol=1e-12)


def test_focal_loss_of_a_confident_correct_prediction_is_tiny_not_zero_or_nan():
    # 1 - p_t = 1 - (1 - ~e^-40) would round to 0 in the naive form; the log-space form keeps it.
    got = celib.focal_loss([0], [[40.0, 0.0]], gamma=2.0, from_logits=True)
    expected_approx = math.exp(-40) ** 2 * math.exp(-40)  # (1-p_t)^2 * (-ln p_t), -ln p_t ~ e^-40
    assert got == pytest.approx(expected_approx, rel=1e-6, abs=0)
