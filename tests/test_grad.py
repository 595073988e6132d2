"""celib.grad: analytic gradients against central finite differences of the losses they differentiate.

Each gradient is checked against the loss it claims to be the derivative of (not against its own
formula), in float64, for every reduction. Hypothesis draws the shapes, logits and targets.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib

FD_STEP = 1e-5
# Central differences have truncation error ~h^2 |f'''| and rounding error ~eps |f| / h; with
# |logits| <= 10 both stay well below this.
FD_ATOL = 1e-8


def central_difference(f, z, h=FD_STEP):
    """Gradient of the scalar function ``f`` at ``z`` by central differences, entry by entry."""
    z = np.array(z, dtype=np.float64)
    grad = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[idx] = h
        grad[idx] = (f(z + step) - f(z - step)) / (2 * h)
    return grad


# --- strategies ---------------------------------------------------------------------------------

moderate = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def logits_and_labels(draw):
    n = draw(st.integers(1, 4))
    c = draw(st.integers(2, 5))
    logits = draw(hnp.arrays(np.float64, (n, c), elements=moderate))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return logits, labels


@st.composite
def logits_and_soft_targets(draw):
    logits, _ = draw(logits_and_labels())
    raw = draw(hnp.arrays(np.float64, logits.shape, elements=st.floats(0, 1)))
    raw[:, 0] += 1e-3  # keep every row's total positive
    return logits, raw / raw.sum(axis=-1, keepdims=True)


@st.composite
def logits_and_binary_targets(draw, soft=True):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    logits = draw(hnp.arrays(np.float64, shape, elements=moderate))
    targets = st.floats(0, 1) if soft else st.sampled_from([0.0, 1.0])
    return logits, draw(hnp.arrays(np.float64, shape, elements=targets))


reductions = st.sampled_from(["mean", "sum"])


# --- finite-difference properties ----------------------------------------------------------

@settings(max_examples=40)
@given(logits_and_labels(), reductions)
def test_softmax_ce_grad_with_labels_matches_finite_differences(case, reduction):
    logits, labels = case
    analytic = celib.softmax_cross_entropy_grad(labels, logits, reduction=reduction, from_logits=True)
    numeric = central_difference(
        lambda z: celib.sparse_categorical_cross_entropy(labels, z, from_logits=True, reduction=reduction),
        logits,
    )
    np.testing.assert_allclose(analytic, numeric, atol=FD_ATOL, rtol=1e-6)


@settings(max_examples=40)
@given(logits_and_soft_targets(), reductions)
def test_softmax_ce_grad_with_soft_targets_matches_finite_differences(case, reduction):
    logits, targets = case
    analytic = celib.softmax_cross_entropy_grad(targets, logits, reduction=reduction, from_logits=True)
    numeric = central_difference(
        lambda z: celib.categorical_cross_entropy(targets, z, from_logits=True, reduction=reduction),
        logits,
    )
    np.testing.assert_allclose(analytic, numeric, atol=FD_ATOL, rtol=1e-6)


@settings(max_examples=40)
@given(logits_and_binary_targets(), reductions)
def test_binary_ce_grad_matches_finite_differences(case, reduction):
    logits, targets = case
    analytic = celib.binary_cross_entropy_grad(targets, logits, reduction=reduction, from_logits=True)
    numeric = central_difference(
        lambda z: celib.binary_cross_entropy(targets, z, from_logits=True, reduction=reduction),
        logits,
    )
    np.testing.assert_allclose(analytic, numeric, atol=FD_ATOL, rtol=1e-6)


@settings(max_examples=40)
@given(logits_and_binary_targets(), reductions)
def test_mse_sigmoid_grad_matches_finite_differences(case, reduction):
    logits, targets = case
    analytic = celib.mse_sigmoid_grad(targets, logits, reduction=reduction, from_logits=True)
    numeric = central_difference(
        lambda z: celib.mean_squared_error(targets, celib.sigmoid(z), reduction=reduction),
        logits,
    )
    np.testing.assert_allclose(analytic, numeric, atol=FD_ATOL, rtol=1e-6)


@settings(max_examples=25)
@given(logits_and_labels())
def test_softmax_ce_grad_none_is_each_examples_own_gradient(case):
    logits, labels = case
    analytic = celib.softmax_cross_entropy_grad(labels, logits, reduction="none", from_logits=True)
    for n in range(len(labels)):
        row_loss = lambda z_n, n=n: celib.sparse_categorical_cross_entropy(  # noqa: E731
            labels[n : n + 1], z_n[None, :], from_logits=True
        )
        np.testing.assert_allclose(analytic[n], central_difference(row_loss, logits[n]), atol=FD_ATOL, rtol=1e-6)


@settings(max_examples=25)
@given(logits_and_binary_targets())
def test_elementwise_grads_none_equal_sum(case):
    # Each element's loss depends on its own logit only, so its own gradient is the sum's gradient.
    logits, targets = case
    for grad in (celib.binary_cross_entropy_grad, celib.mse_sigmoid_grad):
        np.testing.assert_array_equal(
            grad(targets, logits, from_logits=True, reduction="none"),
            grad(targets, logits, from_logits=True, reduction="sum")
        )


# --- closed forms at hand-derivable points ------------------------------------------------

def test_softmax_ce_grad_at_equal_logits_is_uniform_minus_one_hot():
    # softmax(0, 0) = (1/2, 1/2), target class 0: (1/2 - 1, 1/2).
    np.testing.assert_allclose(celib.softmax_cross_entropy_grad([0], [[0.0, 0.0]], from_logits=True), [[-0.5, 0.5]])


def test_softmax_ce_grad_mean_divides_by_number_of_rows():
    logits = np.array([[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(
        celib.softmax_cross_entropy_grad([0, 1], logits, from_logits=True), [[-0.25, 0.25], [0.25, -0.25]]
    )


def test_softmax_ce_grad_labels_and_one_hot_agree():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    np.testing.assert_allclose(
        celib.softmax_cross_entropy_grad(labels, logits, from_logits=True),
        celib.softmax_cross_entropy_grad(np.eye(4)[labels], logits, from_logits=True),
        rtol=1e-15,
        atol=1e-17,
    )


def test_softmax_ce_grad_rows_sum_to_zero():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 5)) * 3
    labels = rng.integers(0, 5, size=6)
    np.testing.assert_allclose(celib.softmax_cross_entropy_grad(labels, logits, from_logits=True).sum(axis=-1), 0, atol=1e-16)


def test_softmax_ce_grad_handles_a_batch_of_sequences():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 3, 4))
    labels = rng.integers(0, 4, size=(2, 3))
    got = celib.softmax_cross_entropy_grad(labels, logits, from_logits=True)
    expected = (celib.softmax(logits) - np.eye(4)[labels]) / 6  # N = 2 * 3 examples
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-17)


def test_binary_ce_grad_at_zero_logit():
    # sigma(0) = 1/2: (1/2 - 1)/2 and (1/2 - 0)/2 with the mean over two elements.
    np.testing.assert_allclose(celib.binary_cross_entropy_grad([1.0, 0.0], [0.0, 0.0], from_logits=True), [-0.25, 0.25])


def test_mse_sigmoid_grad_at_zero_logit():
    # 2 (1/2 - 1) (1/2)(1/2) = -1/4 for a single element.
    np.testing.assert_allclose(celib.mse_sigmoid_grad([1.0], [0.0], from_logits=True), [-0.25])


def test_mse_sigmoid_grad_vanishes_when_confidently_wrong_but_bce_grad_does_not():
    assert abs(celib.mse_sigmoid_grad([1.0], [-10.0], from_logits=True)[0]) < 1e-4
    assert celib.binary_cross_entropy_grad([1.0], [-10.0], from_logits=True)[0] == pytest.approx(-1.0, abs=1e-4)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_grads_return_the_logits_dtype(dtype):
    z = np.array([[1.0, -1.0, 0.0]], dtype=dtype)
    assert celib.softmax_cross_entropy_grad([2], z, from_logits=True).dtype == dtype
    assert celib.binary_cross_entropy_grad([1.0, 0.0, 1.0], z[0], from_logits=True).dtype == dtype
    assert celib.mse_sigmoid_grad([1.0, 0.0, 1.0], z[0], from_logits=True).dtype == dtype
