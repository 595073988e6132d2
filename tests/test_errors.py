"""Bad input is rejected with ValueError/TypeError whose message names the offending argument.

One test per case. ``match`` uses a word-bounded argument name, so "p" does not match "pos_weight".
Where the spec allows either exception type, the test pins the one celib documents.
"""

import numpy as np
import pytest

import celib

PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
LOGITS = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
LABELS = np.array([0, 2])


def names(arg):
    return rf"\b{arg}\b"


# --- labels -------------------------------------------------------------------------------

def test_label_equal_to_num_classes_is_out_of_range():
    with pytest.raises(ValueError, match=names("labels")):
        celib.sparse_categorical_cross_entropy([0, 3], PROBS)


def test_label_minus_one_is_rejected_not_wrapped_to_the_last_class():
    with pytest.raises(ValueError, match=names("labels")):
        celib.sparse_categorical_cross_entropy([0, -1], PROBS)


def test_label_error_message_says_where_and_suggests_ignore_index():
    # The guide's example message: value, position and the fix.
    labels = np.array([1, 2, 3, -1, 4])
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\); got -1 at index 3.*ignore_index"):
        celib.sparse_categorical_cross_entropy(labels, np.zeros((5, 10)), from_logits=True)


def test_minus_one_is_still_rejected_when_ignore_index_is_something_else():
    with pytest.raises(ValueError, match=names("labels")):
        celib.sparse_categorical_cross_entropy([0, -1], PROBS, ignore_index=-100)


def test_fractional_float_label_is_rejected():
    with pytest.raises(TypeError, match=names("labels")):
        celib.sparse_categorical_cross_entropy([0, 1.5], PROBS)


def test_huge_float_label_is_rejected_cleanly():
    # 1e30 is integral, but does not fit an int64: it must be reported as out of range, not
    # overflow while being converted.
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\); got 1e\+?30"):
        celib.sparse_categorical_cross_entropy([1e30, 0], PROBS)


def test_nan_label_is_rejected():
    with pytest.raises(ValueError, match=names("labels")):
        celib.sparse_categorical_cross_entropy([np.nan, 0], PROBS)


def test_string_labels_are_rejected():
    with pytest.raises(TypeError, match=names("labels")):
        celib.sparse_categorical_cross_entropy(["cat", "dog"], PROBS)


def test_focal_loss_label_out_of_range():
    with pytest.raises(ValueError, match=names("labels")):
        celib.focal_loss([0, -1], LOGITS, from_logits=True)


def test_softmax_ce_grad_label_out_of_range():
    with pytest.raises(ValueError, match=names("labels_or_onehot")):
        celib.softmax_cross_entropy_grad([0, 3], LOGITS, from_logits=True)


def test_inverse_frequency_weights_label_out_of_range():
    with pytest.raises(ValueError, match=names("labels")):
        celib.inverse_frequency_weights([0, 1, 2], num_classes=2)


def test_inverse_frequency_weights_class_never_seen():
    # Documented: every class must occur (its weight would be infinite).
    with pytest.raises(ValueError, match=names("labels")):
        celib.inverse_frequency_weights([0, 0, 1], num_classes=3)


@pytest.mark.parametrize("num_classes", [0, -2, 2.5], ids=["zero", "negative", "float"])
def test_inverse_frequency_weights_num_classes_must_be_a_positive_integer(num_classes):
    with pytest.raises((ValueError, TypeError), match=names("num_classes")):
        celib.inverse_frequency_weights([0, 1], num_classes=num_classes)


def test_ignore_index_must_be_an_integer():
    with pytest.raises(TypeError, match=names("ignore_index")):
        celib.sparse_categorical_cross_entropy(LABELS, PROBS, ignore_index=-1.5)


# --- shapes ---------------------------------------------------------------------------------

def test_one_hot_targets_passed_to_the_sparse_loss():
    with pytest.raises(ValueError, match=names("labels")):
        celib.sparse_categorical_cross_entropy(np.eye(3)[LABELS], PROBS)


def test_labels_with_a_trailing_axis_of_one_in_the_sparse_loss():
    with pytest.raises(ValueError, match=names("labels")):
        celib.sparse_categorical_cross_entropy(LABELS[:, None], PROBS)


def test_integer_labels_passed_to_the_categorical_loss():
    with pytest.raises(ValueError, match=names("y_true")):
        celib.categorical_cross_entropy(LABELS, PROBS)


@pytest.mark.parametrize(
    "call",
    [
        lambda bad: celib.sparse_categorical_cross_entropy(bad, PROBS),
        lambda bad: celib.focal_loss(bad, LOGITS, from_logits=True),
        lambda bad: celib.softmax_cross_entropy_grad(bad, LOGITS, from_logits=True),
    ],
    ids=["sparse", "focal", "grad"],
)
def test_ragged_labels_error_names_the_labels(call):
    with pytest.raises((ValueError, TypeError), match=r"\blabels"):
        call([[0], [1, 2]])


def test_mse_refuses_to_broadcast_n_by_1_against_n():
    with pytest.raises(ValueError, match=r"\by_true\b.*\by_pred\b"):
        celib.mean_squared_error(np.zeros((4, 1)), np.zeros(4))


def test_binary_cross_entropy_shape_mismatch():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.binary_cross_entropy(np.zeros((4, 1)), np.full(4, 0.5))


def test_binary_focal_loss_shape_mismatch():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.binary_focal_loss(np.zeros(3), np.zeros(4), from_logits=True)


def test_categorical_cross_entropy_class_count_mismatch():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.categorical_cross_entropy(np.eye(4)[LABELS], PROBS)


def test_cross_entropy_p_and_q_of_different_lengths():
    with pytest.raises(ValueError, match=names("q")):
        celib.cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5])


def test_softmax_ce_grad_target_shape_mismatch():
    with pytest.raises(ValueError, match=names("labels_or_onehot")):
        celib.softmax_cross_entropy_grad(np.zeros((2, 4)), LOGITS, from_logits=True)


def test_class_weight_with_the_wrong_number_of_classes():
    with pytest.raises(ValueError, match=names("class_weight")):
        celib.sparse_categorical_cross_entropy(LABELS, PROBS, class_weight=[1.0, 2.0])


def test_class_weight_with_the_wrong_number_of_classes_one_hot():
    with pytest.raises(ValueError, match=names("class_weight")):
        celib.categorical_cross_entropy(np.eye(3)[LABELS], PROBS, class_weight=[1.0, 2.0, 3.0, 4.0])


def test_negative_class_weight():
    with pytest.raises(ValueError, match=names("class_weight")):
        celib.sparse_categorical_cross_entropy(LABELS, PROBS, class_weight=[1.0, -1.0, 1.0])


def test_focal_alpha_vector_with_the_wrong_number_of_classes():
    with pytest.raises(ValueError, match=names("alpha")):
        celib.focal_loss(LABELS, LOGITS, alpha=[0.25, 0.75], from_logits=True)


def test_negative_pos_weight():
    with pytest.raises(ValueError, match=names("pos_weight")):
        celib.binary_cross_entropy([1.0], [0.5], pos_weight=-1.0)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match=names("axis")):
        celib.softmax(LOGITS, axis=2)


# --- probabilities ----------------------------------------------------------------------------

def test_negative_probability():
    with pytest.raises(ValueError, match=names("p")):
        celib.entropy([-0.1, 1.1])


def test_probability_above_one():
    with pytest.raises(ValueError, match=names("p")):
        celib.surprisal(1.5)


def test_distribution_not_summing_to_one():
    with pytest.raises(ValueError, match=names("p")):
        celib.entropy([0.5, 0.6])


def test_prediction_not_summing_to_one_names_q():
    with pytest.raises(ValueError, match=names("q")):
        celib.kl_divergence([0.5, 0.5], [0.5, 0.6])


def test_loss_prediction_rows_not_summing_to_one():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.sparse_categorical_cross_entropy(LABELS, PROBS * 0.9)


def test_logits_passed_as_probabilities_suggest_from_logits():
    with pytest.raises(ValueError, match=r"\by_pred\b.*from_logits=True"):
        celib.categorical_cross_entropy(np.eye(3)[LABELS], LOGITS)


def test_binary_prediction_above_one():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.binary_cross_entropy([1.0, 0.0], [0.5, 1.2])


def test_binary_target_outside_zero_one():
    with pytest.raises(ValueError, match=names("y_true")):
        celib.binary_cross_entropy([1.5, 0.0], [0.5, 0.5])


def test_categorical_target_rows_not_summing_to_one():
    with pytest.raises(ValueError, match=names("y_true")):
        celib.categorical_cross_entropy([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]], PROBS)


def test_float64_row_off_by_1e_5_is_rejected():
    # dtype-aware: float64 rows may be off by float32 rounding (probabilities computed in float32
    # and cast), about 1e-7, but 1e-5 is a forgotten normalisation ...
    with pytest.raises(ValueError, match=names("p")):
        celib.entropy([0.5, 0.5 + 1e-5])


def test_float32_row_off_by_1e_5_is_refused():
    # ... and in float32 too: 1e-5 is 84 ulps of 1, far more than rounding two numbers can explain
    # (the tolerance is 4 sqrt(C) eps = 6.7e-7 here; tests/test_validation_tolerance.py has the
    # boundary per dtype).
    with pytest.raises(ValueError, match=r"p must sum to 1 along its class axis; it sums to 1.00001"):
        celib.entropy(np.float32([0.5, 0.5 + 1e-5]))


# --- NaN and infinity ------------------------------------------------------------------------

def test_nan_probability():
    with pytest.raises(ValueError, match=names("p")):
        celib.entropy([np.nan, 1.0])


def test_nan_logit_in_softmax():
    with pytest.raises(ValueError, match=names("x")):
        celib.softmax([np.nan, 0.0])


def test_minus_inf_logit_mask_in_logsumexp():
    with pytest.raises(ValueError, match=names("x")):
        celib.logsumexp([-np.inf, 0.0])


def test_inf_logit_in_sigmoid():
    with pytest.raises(ValueError, match=names("x")):
        celib.sigmoid([np.inf])


def test_nan_logit_in_sparse_loss():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.sparse_categorical_cross_entropy(LABELS, [[np.nan, 0.0, 0.0], [0.0, 0.0, 0.0]], from_logits=True)


def test_inf_logit_in_binary_loss():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.binary_cross_entropy([1.0], [np.inf], from_logits=True)


def test_nan_target_in_binary_loss():
    with pytest.raises(ValueError, match=names("y_true")):
        celib.binary_cross_entropy([np.nan], [0.5])


def test_inf_logit_in_focal_loss():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.focal_loss([0], [[np.inf, 0.0]], from_logits=True)


def test_nan_in_mse():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.mean_squared_error([1.0], [np.nan])


def test_nan_logit_in_gradient():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.binary_cross_entropy_grad([1.0], [np.nan], from_logits=True)


def test_nan_class_weight():
    with pytest.raises(ValueError, match=names("class_weight")):
        celib.sparse_categorical_cross_entropy(LABELS, PROBS, class_weight=[1.0, np.nan, 1.0])


# --- empty input ---------------------------------------------------------------------------

def test_empty_distribution():
    with pytest.raises(ValueError, match=names("p")):
        celib.entropy([])


def test_empty_logits():
    with pytest.raises(ValueError, match=names("x")):
        celib.softmax([])


def test_empty_batch_in_sparse_loss():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.sparse_categorical_cross_entropy([], np.empty((0, 3)))


def test_empty_batch_in_binary_loss():
    with pytest.raises(ValueError, match=names("y_pred")):
        celib.binary_cross_entropy([], [])


def test_empty_batch_in_mse():
    with pytest.raises(ValueError, match=r"\by_(pred|true)\b"):
        celib.mean_squared_error([], [])


def test_empty_labels_for_inverse_frequency_weights():
    with pytest.raises(ValueError, match=names("labels")):
        celib.inverse_frequency_weights([], num_classes=2)


# --- options -------------------------------------------------------------------------------

REDUCTION_CALLS = {
    "binary": lambda r: celib.binary_cross_entropy([1.0], [0.5], reduction=r),
    "categorical": lambda r: celib.categorical_cross_entropy(np.eye(3)[LABELS], PROBS, reduction=r),
    "sparse": lambda r: celib.sparse_categorical_cross_entropy(LABELS, PROBS, reduction=r),
    "focal": lambda r: celib.focal_loss(LABELS, LOGITS, reduction=r, from_logits=True),
    "binary_focal": lambda r: celib.binary_focal_loss([1.0], [0.5], reduction=r, from_logits=True),
    "mse": lambda r: celib.mean_squared_error([1.0], [0.5], reduction=r),
    "softmax_ce_grad": lambda r: celib.softmax_cross_entropy_grad(LABELS, LOGITS, reduction=r, from_logits=True),
    "binary_ce_grad": lambda r: celib.binary_cross_entropy_grad([1.0], [0.5], reduction=r, from_logits=True),
    "mse_sigmoid_grad": lambda r: celib.mse_sigmoid_grad([1.0], [0.5], reduction=r, from_logits=True),
}


@pytest.mark.parametrize("call", REDUCTION_CALLS.values(), ids=REDUCTION_CALLS.keys())
def test_unknown_reduction(call):
    with pytest.raises(ValueError, match=names("reduction")):
        call("avg")


BASE_CALLS = {
    "surprisal": lambda b: celib.surprisal(0.5, base=b),
    "entropy": lambda b: celib.entropy([0.5, 0.5], base=b),
    "cross_entropy": lambda b: celib.cross_entropy([0.5, 0.5], [0.5, 0.5], base=b),
    "kl_divergence": lambda b: celib.kl_divergence([0.5, 0.5], [0.5, 0.5], base=b),
}


@pytest.mark.parametrize("base", [0, -2, 1], ids=["zero", "negative", "one"])
@pytest.mark.parametrize("call", BASE_CALLS.values(), ids=BASE_CALLS.keys())
def test_invalid_log_base(call, base):
    with pytest.raises(ValueError, match=names("base")):
        call(base)


SMOOTHING_CALLS = {
    "binary": lambda s: celib.binary_cross_entropy([1.0], [0.5], label_smoothing=s),
    "categorical": lambda s: celib.categorical_cross_entropy(np.eye(3)[LABELS], PROBS, label_smoothing=s),
    "sparse": lambda s: celib.sparse_categorical_cross_entropy(LABELS, PROBS, label_smoothing=s),
}


@pytest.mark.parametrize("smoothing", [-0.1, 1.5], ids=["negative", "above_one"])
@pytest.mark.parametrize("call", SMOOTHING_CALLS.values(), ids=SMOOTHING_CALLS.keys())
def test_label_smoothing_outside_zero_one(call, smoothing):
    with pytest.raises(ValueError, match=names("label_smoothing")):
        call(smoothing)


def test_negative_gamma_in_focal_loss():
    with pytest.raises(ValueError, match=names("gamma")):
        celib.focal_loss(LABELS, LOGITS, gamma=-1.0, from_logits=True)


def test_negative_gamma_in_binary_focal_loss():
    with pytest.raises(ValueError, match=names("gamma")):
        celib.binary_focal_loss([1.0], [0.5], gamma=-0.5, from_logits=True)


@pytest.mark.parametrize("alpha", [-0.1, 1.5], ids=["negative", "above_one"])
def test_binary_focal_alpha_outside_zero_one(alpha):
    with pytest.raises(ValueError, match=names("alpha")):
        celib.binary_focal_loss([1.0], [0.5], alpha=alpha, from_logits=True)


def test_negative_scalar_alpha_in_focal_loss():
    with pytest.raises(ValueError, match=names("alpha")):
        celib.focal_loss(LABELS, LOGITS, alpha=-0.25, from_logits=True)


@pytest.mark.parametrize("temperature", [0.0, -1.0], ids=["zero", "negative"])
def test_softmax_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match=names("temperature")):
        celib.softmax([1.0, 2.0], temperature=temperature)


@pytest.mark.parametrize("eps", [0.0, -1e-7, 0.5], ids=["zero", "negative", "half"])
def test_eps_outside_its_range(eps):
    with pytest.raises(ValueError, match=names("eps")):
        celib.sparse_categorical_cross_entropy(LABELS, PROBS, eps=eps)


def test_eps_with_logits_is_refused_rather_than_ignored():
    with pytest.raises(ValueError, match=names("eps")):
        celib.sparse_categorical_cross_entropy(LABELS, LOGITS, from_logits=True, eps=1e-7)


def test_from_logits_must_be_a_bool():
    with pytest.raises(TypeError, match=names("from_logits")):
        celib.categorical_cross_entropy(np.eye(3)[LABELS], PROBS, from_logits="yes")


def test_non_numeric_distribution():
    with pytest.raises(TypeError, match=names("p")):
        celib.entropy(["a", "b"])


# --- one calling convention (issue 26, item 6) -----------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: celib.focal_loss([0, 1], [[4.0, 0.0, 0.0], [0.0, 0.5, 0.0]]),
    lambda: celib.binary_focal_loss([1.0, 0.0], [3.0, -1.0]),
    lambda: celib.softmax_cross_entropy_grad([0], [[2.0, 1.0, 0.1]]),
    lambda: celib.binary_cross_entropy_grad([1.0], [-10.0]),
    lambda: celib.focal_loss_grad([0], [[2.0, 1.0, 0.1]]),
    lambda: celib.binary_focal_loss_grad([1.0], [3.0]),
    lambda: celib.mse_sigmoid_grad([1.0], [-10.0]),
    lambda: celib.mse_softmax_grad([[0.0, 1.0]], [[2.0, 0.0]]),
])
def test_logits_passed_as_probabilities_are_refused_with_the_flag_named(call):
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\].*pass from_logits=True"):
        call()


def test_logits_in_0_1_that_do_not_sum_to_1_are_refused_too():
    # focal_loss(y, softmax(z)) used to treat the probabilities as logits (0.166 where 0.0076 is
    # right); the reverse mistake, logits read as probabilities, fails the row-sum check
    with pytest.raises(ValueError, match=r"y_pred must sum to 1 along its class axis.*from_logits=True"):
        celib.focal_loss([0], [[0.9, 0.5, 0.1]])


def test_focal_loss_of_softmax_probabilities_equals_focal_loss_of_logits():
    z = np.array([[4.0, 0.0, 0.0], [0.0, 0.5, 0.0]])
    from_probs = celib.focal_loss([0, 1], celib.softmax(z))
    from_logits = celib.focal_loss([0, 1], z, from_logits=True)
    assert from_probs == pytest.approx(from_logits, rel=1e-14, abs=0)


@pytest.mark.parametrize("call, order", [
    (lambda z, y: celib.chunked_cross_entropy(z, y), r"chunked_cross_entropy\(labels, logits\)"),
    (lambda z, y: celib.vocab_parallel_cross_entropy([z[:, :2], z[:, 2:]], y),
     r"vocab_parallel_cross_entropy\(labels, logit_shards\)"),
    (lambda z, y: celib.vocab_shard_stats(z, y, 0), r"vocab_shard_stats\(labels, logit_shard, vocab_start\)"),
    (lambda z, y: celib.linear_cross_entropy(z, np.eye(3), y), r"linear_cross_entropy\(labels, hidden, weight\)"),
])
def test_the_old_prediction_first_order_is_refused_loudly(call, order):
    z = np.array([[0.3, 1.7, -0.2], [2.5, 0.1, 0.4]])
    with pytest.raises(TypeError, match=r"labels must be integer token ids, and they come first: " + order):
        call(z, [0, 2])


def test_pos_weight_never_enlarges_the_output():
    with pytest.raises(ValueError, match=r"pos_weight has shape \(4, 1, 3\), which does not broadcast to y_pred's \(2, 3\)"):
        celib.binary_cross_entropy(np.ones((2, 3)), np.zeros((2, 3)), from_logits=True, pos_weight=np.ones((4, 1, 3)))
    with pytest.raises(ValueError, match=r"pos_weight has shape \(4, 1, 3\)"):
        celib.binary_cross_entropy_grad(np.ones((2, 3)), np.zeros((2, 3)), from_logits=True,
                                        pos_weight=np.ones((4, 1, 3)))
    # one weight per output still broadcasts
    assert celib.binary_cross_entropy(np.ones((2, 3)), np.zeros((2, 3)), from_logits=True, pos_weight=[1.0, 2.0, 3.0],
                                      reduction="none").shape == (2, 3)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_is_accepted_wherever_there_is_a_class_axis(axis):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4, 5))
    zl = np.moveaxis(z, axis, -1)
    labels = rng.integers(0, zl.shape[-1], zl.shape[:-1])
    ref_loss = celib.focal_loss(labels, zl, from_logits=True, reduction="none")
    np.testing.assert_array_equal(celib.focal_loss(labels, z, from_logits=True, axis=axis, reduction="none"), ref_loss)
    np.testing.assert_allclose(celib.chunked_cross_entropy(labels, z, axis=axis, reduction="none"),
                               celib.sparse_categorical_cross_entropy(labels, zl, from_logits=True, reduction="none"),
                               rtol=1e-13, atol=0)
    for grad in (celib.softmax_cross_entropy_grad, celib.focal_loss_grad):
        got = grad(labels, z, from_logits=True, axis=axis)
        np.testing.assert_array_equal(got, np.moveaxis(grad(labels, zl, from_logits=True), -1, axis))
    onehot = np.moveaxis(np.eye(zl.shape[-1])[labels], -1, axis)
    np.testing.assert_array_equal(celib.mse_softmax_grad(onehot, z, from_logits=True, axis=axis),
                                  np.moveaxis(celib.mse_softmax_grad(np.eye(zl.shape[-1])[labels], zl, from_logits=True),
                                              -1, axis))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_language_model_reporting_keeps_the_input_dtype(dtype):
    assert celib.perplexity(np.array(2.0, dtype)).dtype == dtype
    assert celib.bits_per_token(np.array(2.0, dtype)).dtype == dtype
    z = np.array([[2.0, 1.0, 0.1, -1.0, 0.5]], dtype)
    loss, grads = celib.vocab_parallel_cross_entropy([0], [z[:, :2], z[:, 2:]], return_grad=True)
    assert loss.dtype == dtype and all(g.dtype == dtype for g in grads)
    assert isinstance(celib.perplexity(2.0), np.float64)


def test_every_public_helper_is_exported():
    for name in ("vocab_shard_stats", "combine_vocab_shard_stats", "VocabShardStats", "LinearCrossEntropyGrads",
                 "joint_entropy", "conditional_entropy", "mutual_information", "gaussian_kl"):
        assert name in celib.__all__ and hasattr(celib, name)
