"""celib.grad beyond the plain case: class weights, label smoothing, ignore_index, pos_weight, focal,
softmax + squared error.

Same method as tests/test_grad.py: each analytic gradient against central finite differences of
the loss it claims to differentiate, with the loss's own keyword arguments, in float64.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib
from test_grad import (
    FD_ATOL,
    central_difference,
    logits_and_binary_targets,
    logits_and_labels,
    logits_and_soft_targets,
    reductions,
)

weights_for = lambda c: hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 3))  # noqa: E731
smoothing = st.sampled_from([0.0, 0.1, 0.5])
gammas = st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0])


def assert_close(analytic, numeric):
    np.testing.assert_allclose(analytic, numeric, atol=FD_ATOL * 10, rtol=1e-6)


@settings(max_examples=40)
@given(logits_and_labels(), smoothing, reductions, st.data())
def test_sparse_grad_with_weights_and_smoothing(case, eps, reduction, data):
    logits, labels = case
    w = data.draw(weights_for(logits.shape[-1]))
    kwargs = dict(class_weight=w, label_smoothing=eps, reduction=reduction)
    assert_close(
        celib.softmax_cross_entropy_grad(labels, logits, **kwargs, from_logits=True),
        central_difference(
            lambda z: celib.sparse_categorical_cross_entropy(labels, z, from_logits=True, **kwargs), logits
        ),
    )


@settings(max_examples=30)
@given(logits_and_soft_targets(), smoothing, reductions, st.data())
def test_soft_target_grad_with_weights_and_smoothing(case, eps, reduction, data):
    logits, targets = case
    w = data.draw(weights_for(logits.shape[-1]))
    kwargs = dict(class_weight=w, label_smoothing=eps, reduction=reduction)
    assert_close(
        celib.softmax_cross_entropy_grad(targets, logits, **kwargs, from_logits=True),
        central_difference(
            lambda z: celib.categorical_cross_entropy(targets, z, from_logits=True, **kwargs), logits
        ),
    )


def test_ignored_rows_get_zero_gradient_and_leave_the_mean():
    logits = np.array([[2.0, 0.5, -1.0], [9.0, 9.0, 9.0], [0.0, 1.0, 0.0]])
    labels = np.array([0, -100, 1])
    grad = celib.softmax_cross_entropy_grad(labels, logits, ignore_index=-100, from_logits=True)
    assert np.all(grad[1] == 0)
    # the kept rows are averaged over 2 rows, not 3
    kept = celib.softmax_cross_entropy_grad(labels[[0, 2]], logits[[0, 2]], from_logits=True)
    np.testing.assert_allclose(grad[[0, 2]], kept, rtol=1e-12)


def test_all_rows_ignored_gives_zero_gradient():
    grad = celib.softmax_cross_entropy_grad([-1, -1], np.ones((2, 3)), ignore_index=-1, from_logits=True)
    assert np.all(grad == 0)


def test_ignore_index_with_soft_targets_is_an_error():
    with pytest.raises(ValueError, match="ignore_index"):
        celib.softmax_cross_entropy_grad(np.eye(3), np.zeros((3, 3)), ignore_index=-100, from_logits=True)


@settings(max_examples=40)
@given(logits_and_binary_targets(), smoothing, reductions, st.floats(0.1, 5))
def test_binary_grad_with_pos_weight_and_smoothing(case, eps, reduction, pos_weight):
    logits, targets = case
    kwargs = dict(pos_weight=pos_weight, label_smoothing=eps, reduction=reduction)
    assert_close(
        celib.binary_cross_entropy_grad(targets, logits, **kwargs, from_logits=True),
        central_difference(lambda z: celib.binary_cross_entropy(targets, z, from_logits=True, **kwargs), logits),
    )


def test_negative_pos_weight_in_grad_is_rejected():
    with pytest.raises(ValueError, match="pos_weight"):
        celib.binary_cross_entropy_grad([1.0], [0.0], pos_weight=-1.0, from_logits=True)


@settings(max_examples=40)
@given(logits_and_labels(), gammas, reductions, st.data())
def test_focal_grad_matches_finite_differences(case, gamma, reduction, data):
    logits, labels = case
    alpha = data.draw(st.one_of(st.none(), st.floats(0.1, 2), weights_for(logits.shape[-1])))
    class_weight = data.draw(st.one_of(st.none(), weights_for(logits.shape[-1])))
    kwargs = dict(gamma=gamma, alpha=alpha, class_weight=class_weight, reduction=reduction)
    assert_close(
        celib.focal_loss_grad(labels, logits, **kwargs, from_logits=True),
        central_difference(lambda z: celib.focal_loss(labels, z, **kwargs, from_logits=True), logits),
    )


@settings(max_examples=40)
@given(logits_and_binary_targets(), gammas, reductions, st.one_of(st.none(), st.floats(0, 1)))
def test_binary_focal_grad_matches_finite_differences(case, gamma, reduction, alpha):
    logits, targets = case
    kwargs = dict(gamma=gamma, alpha=alpha, reduction=reduction)
    assert_close(
        celib.binary_focal_loss_grad(targets, logits, **kwargs, from_logits=True),
        central_difference(lambda z: celib.binary_focal_loss(targets, z, **kwargs, from_logits=True), logits),
    )


@settings(max_examples=30)
@given(logits_and_labels())
def test_focal_grad_with_gamma_zero_is_the_cross_entropy_grad(case):
    logits, labels = case
    np.testing.assert_allclose(
        celib.focal_loss_grad(labels, logits, gamma=0.0, from_logits=True),
        celib.softmax_cross_entropy_grad(labels, logits, from_logits=True),
        rtol=1e-12, atol=1e-15,
    )


def test_focal_grad_of_a_certain_correct_prediction_is_zero_not_nan():
    # p_t rounds to exactly 1: the gamma p_t (1-p_t)^(gamma-1) ln p_t term must take its limit 0
    for gamma in (0.5, 2.0):
        grad = celib.focal_loss_grad([0], [[1e4, -1e4, 0.0]], gamma=gamma, from_logits=True)
        assert np.all(np.isfinite(grad)) and np.allclose(grad, 0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_new_gradients_are_finite_at_extreme_logits(dtype):
    z = np.array([[1e4, -1e4, 0.0]], dtype)
    grads = [
        celib.focal_loss_grad([1], z, gamma=0.5, from_logits=True),
        celib.binary_focal_loss_grad(np.ones_like(z), z, gamma=2.0, alpha=0.25, from_logits=True),
        celib.binary_focal_loss_grad(np.zeros_like(z), z, gamma=0.5, from_logits=True),
        celib.softmax_cross_entropy_grad([1], z, class_weight=[1, 2, 3], label_smoothing=0.1, from_logits=True),
        celib.binary_cross_entropy_grad(np.ones_like(z), z, pos_weight=3.0, from_logits=True),
    ]
    for grad in grads:
        assert grad.dtype == dtype and np.all(np.isfinite(grad))


# --- squared error of softmax probabilities ---------------------------------------------------

@settings(max_examples=40)
@given(logits_and_soft_targets(), reductions)
def test_mse_softmax_grad_matches_finite_differences(case, reduction):
    logits, targets = case
    assert_close(
        celib.mse_softmax_grad(targets, logits, reduction=reduction, from_logits=True),
        central_difference(
            lambda z: celib.mean_squared_error(targets, celib.softmax(z), reduction=reduction), logits
        ),
    )


def test_mse_softmax_grad_vanishes_when_confidently_wrong():
    # true class 0 gets probability ~e^-20: squared error barely pushes, cross-entropy pushes ~1
    logits, onehot = np.array([[-10.0, 10.0, 0.0]]), np.array([[1.0, 0.0, 0.0]])
    mse = celib.mse_softmax_grad(onehot, logits, reduction="sum", from_logits=True)
    ce = celib.softmax_cross_entropy_grad(onehot, logits, reduction="sum", from_logits=True)
    assert abs(mse[0, 0]) < 1e-8 < 0.99 < abs(ce[0, 0])


def test_mse_softmax_grad_has_no_none_reduction():
    with pytest.raises(ValueError, match="reduction"):
        celib.mse_softmax_grad(np.eye(2), np.zeros((2, 2)), reduction="none", from_logits=True)
