"""Tests written to kill mutants that survived the rest of the suite (issue 26, item 7).

Each test names the mutation it kills. The six survivors of the issue's hand-made mutations are
also killed elsewhere: focal ``-expm1`` -> ``1 - exp`` and the kernel's ``ln S`` in float32 by
tests/test_accuracy.py; the clip's bound ``1 - eps`` -> ``1`` below; the tolerance ``sqrt(C)`` ->
``C`` by tests/test_validation_tolerance.py (the boundary at C = 1000); the kernel's recompute
threshold below; the removed ``clip(p, 0, 1)`` no longer exists (nothing is clipped, and
values outside [0, 1] are refused: tests/test_validation_tolerance.py).

The tests below each state a promise of the library that some mutant broke without any other test
noticing; the comment names the mutants (``mutmut show NAME`` prints them). The groups:

* error messages name the argument and the fix -- the messages are asserted in full where the
  wording is the point, otherwise on the argument's name;
* tolerance boundaries: a sum exactly at the tolerance is accepted, just outside it is refused,
  and the float32-rounding hint appears exactly up to float32's tolerance;
* class axes that are not last on 3-D inputs (2-D tests cannot tell ``axis=+1`` from ``-1``);
* limits at probabilities exactly 0 and 1, where a product ``0 * log 0`` must be taken as 0;
* defaults that the docstrings promise (gamma = 2, a fast-path gradient scale of 1).

Mutants that no test can kill, because they do not change what any caller can observe, are
listed with their reasons in tests/mutation_report.py (EQUIVALENT).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

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


# ---------------------------------------------------------------------------------------------
# issue 26, item 7, second round (branch mutation): survivors of `make mutation`


def raises_exactly(exc, message: str):
    """pytest.raises matching the whole message (re.escape: the messages hold brackets and dots)."""
    return pytest.raises(exc, match="^" + re.escape(message) + "$")


# ---------------------------------------------------------------------------------------------
# error messages name the argument (and the fix)


@pytest.mark.parametrize("call, message", [
    # grad.mse_sigmoid_grad 14, 17, 19, 20; grad.mse_softmax_grad 21, 24, 26, 27
    (lambda: celib.mse_sigmoid_grad([np.nan], [0.1]), "y_true must be finite; got nan at index 0"),
    (lambda: celib.mse_softmax_grad([[np.nan, 1.0]], [[0.5, 0.5]]), "y_true must be finite; got nan at index (0, 0)"),
    # losses.mean_squared_error 15, 18, 20, 21
    (lambda: celib.mean_squared_error([np.nan], [0.3]), "y_true must be finite; got nan at index 0"),
    # info.surprisal 10, 13, 14
    (lambda: celib.surprisal([np.nan]), "p must be finite; got nan at index 0"),
    # losses._pos_weight 3, 6, 8, 9
    (lambda: celib.binary_cross_entropy([1.0], [0.3], pos_weight=[np.nan]), "pos_weight must be finite; got nan at index 0"),
    # grad.focal_loss_grad 9, 12, 13; grad.binary_focal_loss_grad 9, 12, 13
    (lambda: celib.focal_loss_grad([0], [[0.5, 0.5]], gamma=-1.0), "gamma must be a finite number >= 0; got -1.0"),
    (lambda: celib.binary_focal_loss_grad([0.0], [0.5], gamma=-1.0), "gamma must be a finite number >= 0; got -1.0"),
    # grad.binary_focal_loss_grad 22, 28, 29; losses.binary_focal_loss 22, 28, 29
    (lambda: celib.binary_focal_loss_grad([2.0], [0.5]), "y_true must be probabilities in [0, 1]; got 2.0 at index 0"),
    (lambda: celib.binary_focal_loss([2.0], [0.5]), "y_true must be probabilities in [0, 1]; got 2.0 at index 0"),
    # grad.binary_cross_entropy_grad 9, 12, 13, 22, 28
    (lambda: celib.binary_cross_entropy_grad([1.0], [0.3], label_smoothing=1.5), "label_smoothing must be in [0, 1]; got 1.5"),
    (lambda: celib.binary_cross_entropy_grad([2.0], [0.3]), "y_true must be probabilities in [0, 1]; got 2.0 at index 0"),
    # _validate.check_joint 17
    (lambda: celib.joint_entropy([[0.5, -0.1], [0.2, 0.4]]), "pxy must be probabilities in [0, 1]; got -0.1 at index (0, 1)"),
])
def test_value_errors_name_the_argument(call, message):
    with raises_exactly(ValueError, message):
        call()


@pytest.mark.parametrize("call, shapes", [
    # grad.mse_sigmoid_grad 23, 24, 29-32; grad.binary_focal_loss_grad 32, 33, 38-41;
    # losses.binary_focal_loss 32, 38, 39; grad.mse_softmax_grad 42, 43, 48-51
    (lambda: celib.mse_sigmoid_grad([0.0, 1.0], [0.1, 0.2, 0.3]), ((2,), (3,))),
    # grad.binary_cross_entropy_grad 32, 33, 38-41
    (lambda: celib.binary_cross_entropy_grad([0.0, 1.0], [0.1, 0.2, 0.3]), ((2,), (3,))),
    (lambda: celib.binary_focal_loss_grad([0.0, 1.0], [0.5]), ((2,), (1,))),
    (lambda: celib.binary_focal_loss([0.0, 1.0], [0.5]), ((2,), (1,))),
    (lambda: celib.mse_softmax_grad([[1.0, 0.0]], [[0.2, 0.3, 0.5]]), ((1, 2), (1, 3))),
])
def test_shape_errors_name_both_arguments(call, shapes):
    a, b = shapes
    with raises_exactly(ValueError, f"y_true has shape {a} but y_pred has shape {b}; they must match exactly"):
        call()


def test_a_target_of_fewer_dimensions_is_reported_with_its_own_shape():
    # grad.mse_softmax_grad 30: the class axis of y_true is moved only when it has one to move;
    # a (2, 3) target for (4, 2, 3) predictions with the class axis first is reported as passed
    with raises_exactly(ValueError, "y_true has shape (2, 3) but y_pred has shape (2, 3, 4); they must match exactly"):
        celib.mse_softmax_grad(np.zeros((2, 3)), np.full((4, 2, 3), 0.25), axis=0)


def test_mse_softmax_grad_says_why_it_has_no_per_element_reduction():
    # grad.mse_softmax_grad 10
    with raises_exactly(ValueError, 'reduction must be "mean" or "sum" for mse_softmax_grad; "none" has no'
                                    " per-element gradient (the elements of a row share its logits)"):
        celib.mse_softmax_grad([[1.0, 0.0]], [[0.5, 0.5]], reduction="none")


def test_sum_messages_offer_from_logits_only_where_the_function_takes_it():
    # _validate._sum_message 3, 4, 7, 15: KL divergence has no from_logits, and a float64 sum
    # far from 1 (1.1) is not float32 rounding
    with raises_exactly(ValueError, "p must sum to 1 along its class axis; it sums to 1.1 (normalise with p / p.sum())"):
        celib.kl_divergence([0.5, 0.6], [0.5, 0.5])
    with raises_exactly(ValueError, "y_pred must sum to 1 along its class axis (axis=-1); row 0 sums to 1.1"
                                    " (normalise with y_pred / y_pred.sum(axis=-1, keepdims=True), or pass logits"
                                    " with from_logits=True)"):
        celib.categorical_cross_entropy([[1.0, 0.0]], [[0.5, 0.6]])


def test_a_float64_sum_within_float32_rounding_gets_both_hints():
    # _validate._sum_message 26: the float32 hint is added to the from_logits hint, not instead
    with raises_exactly(ValueError, "y_pred must sum to 1 along its class axis (axis=-1); row 0 sums to 1.0000001"
                                    " (normalise with y_pred / y_pred.sum(axis=-1, keepdims=True), or pass logits"
                                    " with from_logits=True; a sum this close to 1 is float32 rounding: if y_pred"
                                    " was computed in float32, pass it as float32)"):
        celib.categorical_cross_entropy([[1.0, 0.0, 0.0]], [[0.5, 0.25, 0.25 + 1e-7]])


# ---------------------------------------------------------------------------------------------
# tolerance boundaries (exact powers of two, so the sums are exact)


def test_the_float32_hint_reaches_exactly_to_float32s_tolerance():
    # _validate._sum_message 20: 4 float64 entries summing to 1 + 2^-20 = 1 + sum_tolerance(4, float32)
    p = np.full(4, 0.25 + 2.0**-22)
    assert p.sum() - 1 == celib._validate.sum_tolerance(4, np.dtype(np.float32))
    with pytest.raises(ValueError, match="a sum this close to 1 is float32 rounding"):
        celib.kl_divergence(p, np.full(4, 0.25))


def test_a_joint_table_summing_to_one_at_the_tolerance_is_recognised():
    # _validate._sum_message 49: rows 0.5 and 0.5 + 2^-49 are not distributions, but the table
    # sums to 1 + 2^-49 = 1 + sum_tolerance(4, float64): the message offers the joint reading
    p = np.array([[0.25, 0.25], [0.25, 0.25 + 2.0**-49]])
    assert p.sum() - 1 == celib._validate.sum_tolerance(4, np.dtype(np.float64))
    with pytest.raises(ValueError, match=re.escape("p sums to 1 as a whole: if it is a joint distribution, pass p.ravel()")):
        celib.kl_divergence(p, np.full((2, 2), 0.5))


def test_a_float32_joint_table_is_judged_by_float32s_tolerance():
    # _validate._sum_message 51 and check_joint 12: a float32 table normalised in float32 sums to
    # 1 + 2.2e-8 in float64, inside float32's tolerance and far outside float64's
    p32 = np.array([[0.3, 0.2], [0.1, 0.4]], np.float32)
    assert 1e-8 < abs(p32.sum(dtype=np.float64) - 1) < celib._validate.sum_tolerance(4, np.dtype(np.float32))
    with pytest.raises(ValueError, match=re.escape("p sums to 1 as a whole")):
        celib.kl_divergence(p32, np.full((2, 2), 0.5, np.float32))
    h = celib.joint_entropy(p32)
    assert h.dtype == np.float32
    assert h == pytest.approx(-(p32.astype(np.float64) * np.log(p32.astype(np.float64))).sum(), rel=1e-6, abs=0)


def test_joint_tolerance_boundary_inside_passes_outside_raises():
    # _validate.check_joint 10: a total exactly at the tolerance is accepted; one ulp pair beyond is refused
    inside = np.array([[0.25, 0.25], [0.25, 0.25 + 2.0**-49]])
    assert celib.joint_entropy(inside) == pytest.approx(np.log(4), rel=1e-14, abs=0)
    outside = np.array([[0.25, 0.25], [0.25, 0.25 + 2.0**-48]])
    with pytest.raises(ValueError, match="pxy must be a joint distribution whose entries all together sum to 1"):
        celib.joint_entropy(outside)


def test_a_table_with_a_zero_cell_that_does_not_sum_to_one_is_refused():
    # _validate.check_joint 5: a zero entry must not switch the total check off (0.8 would be
    # scored as if it were a distribution)
    with raises_exactly(ValueError, "pxy must be a joint distribution whose entries all together sum to 1;"
                                    " they sum to 0.8 (divide by pxy.sum() if these are counts)"):
        celib.joint_entropy([[0.5, 0.0], [0.2, 0.1]])


def test_a_zero_pos_weight_is_allowed_and_drops_the_positive_term():
    # losses._pos_weight 10: pos_weight >= 0 is valid; 0 keeps only the negatives' term
    t, q = np.array([1.0, 0.0]), np.array([0.3, 0.4])
    got = celib.binary_cross_entropy(t, q, pos_weight=0.0, reduction="none")
    np.testing.assert_allclose(got, [0.0, -np.log1p(-0.4)], rtol=1e-15, atol=0)


def test_inverse_frequency_weights_accepts_a_single_class():
    # losses.inverse_frequency_weights 4, 5: num_classes = 1 is valid (weight N / (1 * N) = 1)
    np.testing.assert_array_equal(celib.inverse_frequency_weights([0, 0, 0], 1), [1.0])
    with pytest.raises(ValueError, match="num_classes"):
        celib.inverse_frequency_weights([0], 0)


# ---------------------------------------------------------------------------------------------
# class axis not last, on 3-D inputs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_softmax_grad_on_a_class_axis_in_the_middle(dtype):
    # grad.mse_softmax_grad 63, 78: the chain rule sums over the class axis, not over the batch;
    # 3-D logits (N, C, T) with axis=1 against the 2-D formula on the transposed array
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 4, 3)).astype(dtype)
    y = np.moveaxis(np.eye(4, dtype=dtype)[rng.integers(0, 4, (2, 3))], -1, 1)  # one-hot along axis 1
    got = celib.mse_softmax_grad(y, z, from_logits=True, axis=1, reduction="sum")
    assert got.dtype == dtype and got.shape == z.shape
    zt, yt = np.moveaxis(z, 1, -1).astype(np.float64), np.moveaxis(y, 1, -1).astype(np.float64)
    p = np.exp(zt - zt.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    a = 2 * (p - yt)
    want = np.moveaxis(p * (a - (a * p).sum(-1, keepdims=True)), -1, 1)
    np.testing.assert_allclose(got, want, rtol=20 * np.finfo(dtype).eps, atol=20 * np.finfo(dtype).eps)


# ---------------------------------------------------------------------------------------------
# limits at probabilities exactly 0 and 1


def test_focal_loss_grad_at_a_target_probability_of_zero_is_the_limit():
    # grad.focal_loss_grad 69, 77: gamma p_t (1 - p_t)^(gamma - 1) ln p_t -> 0 as p_t -> 0, so
    # g = 1 and the gradient is softmax - onehot (finite), not NaN and not 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = celib.focal_loss_grad([0], [[0.0, 1.0]], reduction="sum")
    np.testing.assert_array_equal(got, [[-1.0, 1.0]])


def test_focal_loss_grad_with_gamma_zero_is_the_cross_entropy_gradient_at_every_margin():
    # grad.focal_loss_grad 59: with gamma = 0 the second term is skipped, not computed as
    # 0 * q^-1 (which is NaN once 1 - p_t is subnormal, margin ~740 in float64)
    for margin in (1.0, 40.0, 740.0):
        z = np.array([[margin, 0.0, 0.0], [0.0, margin, -1.0]])
        got = celib.focal_loss_grad([0, 2], z, from_logits=True, gamma=0.0, reduction="sum")
        want = celib.softmax_cross_entropy_grad([0, 2], z, from_logits=True, reduction="sum")
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


def test_binary_focal_gradient_and_loss_at_probabilities_exactly_0_and_1():
    # grad.binary_focal_loss_grad 52, 68, 92; losses.binary_focal_loss 49, 59, 75: the terms
    # 0 * log 0 are taken as their limit 0, without a RuntimeWarning (an error in these tests)
    t, q = np.array([1.0, 0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0, 1.0])
    loss = celib.binary_focal_loss(t, q, reduction="none")
    np.testing.assert_array_equal(loss[2:], [0.0, 0.0])  # correct and certain: loss 0
    assert np.isinf(loss[:2]).all()  # certain and wrong: infinite, honestly
    grad = celib.binary_focal_loss_grad(t, q, reduction="none")
    # d/dz at q = 0 with t = 1: -(1 - q)^(gamma+1) = -1; at q = 1 with t = 0: q^(gamma+1) = 1
    np.testing.assert_array_equal(grad, [-1.0, 1.0, 0.0, 0.0])


# ---------------------------------------------------------------------------------------------
# documented defaults


def test_focal_gamma_defaults_to_two():
    # grad.focal_loss_grad 2, grad.binary_focal_loss_grad 2, losses.binary_focal_loss 2
    # (Lin et al. 2017 use gamma = 2; the docstrings say so)
    z = np.array([[1.5, -0.5, 0.2], [0.1, 0.3, -2.0]])
    np.testing.assert_array_equal(celib.focal_loss_grad([0, 2], z, from_logits=True),
                                  celib.focal_loss_grad([0, 2], z, from_logits=True, gamma=2.0))
    x, t = np.array([1.5, -0.5, 0.2]), np.array([1.0, 0.0, 1.0])
    np.testing.assert_array_equal(celib.binary_focal_loss_grad(t, x, from_logits=True),
                                  celib.binary_focal_loss_grad(t, x, from_logits=True, gamma=2.0))
    assert celib.binary_focal_loss(t, x, from_logits=True) == celib.binary_focal_loss(t, x, from_logits=True, gamma=2.0)
    assert celib.binary_focal_loss(t, x, from_logits=True) != celib.binary_focal_loss(t, x, from_logits=True, gamma=3.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_logsumexp_returns_the_log_sum_exp_of_every_row(dtype):
    # _kernels.row_logsumexp 1, 78 and _shifted_rows 6, 28, 30, 32: the documented return value
    # LSE = shift + log_sum, for ordinary rows and for rows redone with the shift (the unshifted
    # sum underflows or overflows), and grad = softmax(z) when no grad_scale is given
    z = np.tile(np.linspace(-2.0, 1.0, 16), (6, 1)).astype(dtype)
    big = {np.float32: 95.0, np.float64: 715.0}[dtype]
    z[1] -= big
    z[2] += big
    z[4, 3] = -big
    grad = np.empty_like(z)
    shift, log_sum = _kernels.row_logsumexp(z, grad=grad)
    assert shift.dtype == log_sum.dtype == np.float64
    want = logsumexp(z.astype(np.float64), axis=1)
    np.testing.assert_allclose(shift + log_sum, want, rtol=8 * np.finfo(dtype).eps, atol=0)
    softmax = np.exp(z.astype(np.float64) - want[:, None])
    # (subnormal softmax values, e^-97 in float32, have only absolute accuracy: atol = tiny)
    np.testing.assert_allclose(grad, softmax, rtol=64 * np.finfo(dtype).eps, atol=float(np.finfo(dtype).tiny))



# found by mutation testing (grad.binary_focal_loss_grad 52): exp(gamma * ln(1 - q)) was NaN at
# gamma = 0 and q exactly 1 (0 * -inf), hidden by np.errstate; 0 ** 0 = 1 now.
def test_binary_focal_with_gamma_zero_is_binary_cross_entropy_at_probabilities_0_and_1():
    t, q = np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(celib.binary_focal_loss_grad(t, q, gamma=0.0, reduction="none"),
                                  celib.binary_cross_entropy_grad(t, q, reduction="none"))
    np.testing.assert_array_equal(celib.binary_focal_loss(t, q, gamma=0.0, reduction="none"),
                                  celib.binary_cross_entropy(t, q, reduction="none"))


# --- info: the pair of distributions p, q (full mutation run of 2026-12-06) ---------------------

PAIR_FUNCTIONS = [celib.cross_entropy, celib.kl_divergence]


@pytest.mark.parametrize("f", PAIR_FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, None])
def test_pair_errors_name_the_argument(f, axis):
    # info._pair 3, 6, 7, 9, 12, 13 (as_float_array's name), 33, 39, 40, 43, 49, 50 (_distribution's
    # name on the axis=None path)
    with pytest.raises(TypeError, match=r"^p must contain real numbers"):
        f("abc", [0.5, 0.5], axis=axis)
    with pytest.raises(TypeError, match=r"^q must contain real numbers"):
        f([0.5, 0.5], "abc", axis=axis)
    with pytest.raises(ValueError, match=r"^p must "):
        f([0.5, 0.4], [0.5, 0.5], axis=axis)
    with pytest.raises(ValueError, match=r"^q must "):
        f([0.5, 0.5], [0.5, 0.4], axis=axis)


@pytest.mark.parametrize("f", PAIR_FUNCTIONS)
def test_outcome_axis_mismatch_messages_in_full(f):
    # info._pair 81, 82 (own <= 0 / own < 1 says "no such axis" for an axis that exists),
    # 84, 85 (the squeeze hint always / garbled), 90 (text appended when there is no hint)
    cases = [
        ((np.ones((2, 1)), np.array([0.5, 0.5])), {},
         "p has shape (2, 1) and q has shape (2,): along axis=-1 of their broadcast shape (2, 2), p has"
         " 1 outcome(s) where the other has 2; only batch axes broadcast, never the outcome axis"
         " (squeeze the trailing axis of size 1)"),
        ((np.ones(3) / 3, np.full((2, 3), 0.5)), {"axis": 0},
         "p has shape (3,) and q has shape (2, 3): along axis=0 of their broadcast shape (2, 3), p has"
         " no such axis where the other has 2; only batch axes broadcast, never the outcome axis"),
        ((np.array([1.0]), np.ones(3) / 3), {},
         "p has shape (1,) and q has shape (3,): along axis=-1 of their broadcast shape (3,), p has"
         " 1 outcome(s) where the other has 3; only batch axes broadcast, never the outcome axis"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(ValueError) as info:
            f(*args, **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("f", PAIR_FUNCTIONS)
def test_a_joint_distribution_message_offers_both_fixes(f):
    # info._distribution 41 (the " or axis=None" option garbled)
    with pytest.raises(ValueError) as info:
        f(np.full((2, 2), 0.25), np.full((2, 2), 0.25))
    assert "pass p.ravel() or axis=None; if each row is its own distribution" in str(info.value)


@pytest.mark.parametrize("f", PAIR_FUNCTIONS)
@pytest.mark.parametrize("axis", [-1, None])
@pytest.mark.parametrize("dtype_p, dtype_q", [(np.float16, np.float32), (np.float32, np.float16),
                                              (np.float32, np.float64), (np.float64, np.float32),
                                              (np.float32, np.float32)])
def test_mixed_dtypes_promote_before_computing(f, axis, dtype_p, dtype_q):
    # info._pair 14, 18 (the result dtype from p alone or None), 34, 38, 44, 48, 95, 99 (an input not
    # promoted: the log of a float16 q is taken in float16), _distribution 8, 11 (astype(None) is
    # float64 on the axis=None path)
    p = np.array([0.25, 0.25, 0.5], dtype_p)
    q = np.array([0.125, 0.375, 0.5], dtype_q)
    got = f(p, q, axis=axis)
    expected_dtype = np.result_type(dtype_p, dtype_q)
    assert np.asarray(got).dtype == expected_dtype
    exact = f(p.astype(np.float64), q.astype(np.float64), axis=axis)
    assert abs(float(got) - float(exact)) <= 8 * np.finfo(expected_dtype).eps * abs(float(exact))


def test_kl_with_a_ratio_that_overflows_is_finite_and_silent():
    # info.p_log_ratio 3, 7 (over="ignore" dropped: a RuntimeWarning), 34, 37 (log of the overflowed
    # ratio: inf); 0.5 / 1e-320 overflows float64, so the term needs ln a - ln b
    p, q = np.array([0.5, 0.5]), np.array([1.0, 1e-320])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = celib.kl_divergence(p, q)
    exact = 0.5 * np.log(0.5) + 0.5 * (np.log(0.5) - np.log(1e-320))
    assert got == pytest.approx(exact, rel=4e-16, abs=0)


def test_p_log_ratio_of_two_tiny_far_apart_numbers_rounds_once():
    # info.p_log_ratio 36 (ln a - ln b for every ratio below 1: both logs near -690 carry
    # ~1e-13 of absolute rounding, 1e-13 relative to ln(1/3))
    from celib.info import p_log_ratio

    a, b = np.array([1e-300]), np.array([3e-300])
    got = float(p_log_ratio(np.ones(1), a, b)[0])
    exact = float(np.log(np.float64(1e-300) / np.float64(3e-300)))  # the ratio itself is exact to 1 ulp
    assert got == pytest.approx(exact, rel=4e-16, abs=0)


# --- _validate: messages asserted in full, sample weights (full mutation run of 2026-12-06) ------

_SCE = celib.sparse_categorical_cross_entropy
_Z = np.zeros((2, 3))


@pytest.mark.parametrize("call, message", [
    # check_sample_weight 8 (the name), 24, 25 (" or " garbled), 38, 39 (an empty hint made None
    # or text), 52 (the all-zero message)
    (lambda: _SCE([0, 1], _Z, from_logits=True, sample_weight=[np.nan, 1.0]),
     "sample_weight must be finite; got nan at index 0"),
    (lambda: _SCE([0, 1], _Z, from_logits=True, sample_weight=[1.0, 1.0, 1.0]),
     "sample_weight must have one weight per example, shape (2,); got shape (3,)"),
    (lambda: celib.binary_cross_entropy(np.zeros((2, 3)), np.full((2, 3), 0.5), sample_weight=[1.0] * 3),
     "sample_weight must have one weight per example, shape (2, 3) or (2,); got shape (3,)"),
    (lambda: _SCE([0, 1], _Z, from_logits=True, sample_weight=[0.0, 0.0]),
     "sample_weight is 0 for every example, so no example is left to average; drop the batch instead"
     " of passing all-zero weights"),
    # check_labels 7, 8 (booleans no longer recognised), 32-34, 36 (the out-of-range hint)
    (lambda: _SCE(np.array([True, False]), _Z, from_logits=True),
     "labels must be integer class indices; got booleans (use labels.astype(int))"),
    (lambda: _SCE([0, 3], _Z, from_logits=True),
     "labels must be in [0, 3); got 3 at index 1 (use ignore_index to skip padding)"),
    (lambda: _SCE([0, -100], _Z, from_logits=True, ignore_index=-1),
     "labels must be in [0, 3); got -100 at index 1 (ignore_index is -1)"),
    # as_real_array 25, 27, 28, 30 (the masking hint: only for -inf, and verbatim)
    (lambda: _SCE([0, 1], np.array([[0, -np.inf, 0], [0, 0, 0]]), from_logits=True),
     "y_pred must be finite; got -inf at index (0, 1) (to mask a logit, use a large negative number"
     " such as -1e4)"),
    (lambda: _SCE([0, 1], np.array([[0, np.inf, 0], [0, 0, 0]]), from_logits=True),
     "y_pred must be finite; got inf at index (0, 1)"),
    # check_same_shape 2, 3, 6, 9, 12, 14-18 (the trailing-axis hint, either order, verbatim)
    (lambda: celib.cross_entropy(np.ones((2, 3, 1)) / 3, np.ones((2, 3)) / 3, axis=None),
     "p has shape (2, 3, 1) but q has shape (2, 3); they must match exactly (squeeze the trailing axis"
     " of size 1: broadcasting (N, 1) against (N,) would silently compare every pair)"),
    (lambda: celib.cross_entropy(np.ones((2, 3)) / 3, np.ones((2, 3, 1)) / 3, axis=None),
     "p has shape (2, 3) but q has shape (2, 3, 1); they must match exactly (squeeze the trailing axis"
     " of size 1: broadcasting (N, 1) against (N,) would silently compare every pair)"),
    (lambda: celib.cross_entropy(np.ones((1, 2)) / 2, np.ones((1, 3)) / 3, axis=None),
     "p has shape (1, 2) but q has shape (1, 3); they must match exactly"),
])
def test_validation_messages_in_full(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert str(info.value) == message


def test_binary_per_row_weights_on_a_3d_batch():
    # check_sample_weight 16 (shape[:+1] instead of shape[:-1]: the same for 2-D predictions only)
    t, q = np.zeros((2, 4, 3)), np.full((2, 4, 3), 0.5)
    got = celib.binary_cross_entropy(t, q, sample_weight=np.ones((2, 4)), reduction="none")
    assert got.shape == (2, 4, 3)
    with pytest.raises(ValueError, match=r"shape \(2, 4, 3\) or \(2, 4\); got shape \(2,\)"):
        celib.binary_cross_entropy(t, q, sample_weight=np.ones(2))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_sample_weights_keep_the_prediction_dtype(reduction):
    # check_sample_weight 55 (weights cast with astype(None), i.e. to float64)
    z = np.zeros((2, 3), np.float32)
    got = _SCE([0, 1], z, from_logits=True, sample_weight=[1.0, 2.0], reduction=reduction)
    assert np.asarray(got).dtype == np.float32
    got = celib.binary_cross_entropy(np.zeros((2, 3), np.float32), np.full((2, 3), 0.5, np.float32),
                                     sample_weight=[1.0, 2.0], reduction=reduction)
    assert np.asarray(got).dtype == np.float32


# --- 3-D batches, verbatim messages and dtypes of the categorical losses and the softmax gradient --

_P3 = np.full((2, 4, 3), 1 / 3)
_Z3 = np.zeros((2, 4, 3))
_ONEHOT3 = np.eye(3)[np.array([[0, 1, 2, 0], [2, 2, 1, 0]])]


@pytest.mark.parametrize("call, message", [
    # losses._labels_for 14 mutants: shape[:+1] / [:-2] (2-D tests cannot tell them from [:-1]) and
    # the squeeze hint's condition and text
    (lambda: celib.sparse_categorical_cross_entropy(np.zeros((2, 4, 1), int), _P3),
     "labels must have shape (2, 4) (y_pred's shape without the class axis); got (2, 4, 1)"
     " (squeeze the trailing axis of size 1)"),
    (lambda: celib.sparse_categorical_cross_entropy(np.zeros((2, 5), int), _P3),
     "labels must have shape (2, 4) (y_pred's shape without the class axis); got (2, 5)"),
    # losses.categorical_cross_entropy: the integer-labels diagnosis on 3-D input, names
    (lambda: celib.categorical_cross_entropy(np.zeros((2, 4)), _P3),
     "y_true has shape (2, 4) but y_pred has shape (2, 4, 3): y_true looks like integer labels; use"
     " sparse_categorical_cross_entropy, or one-hot encode y_true"),
    (lambda: celib.categorical_cross_entropy(np.zeros((2, 4, 2)), _P3),
     "y_true has shape (2, 4, 2) but y_pred has shape (2, 4, 3); they must match exactly"),
    (lambda: celib.categorical_cross_entropy(_ONEHOT3, _P3, label_smoothing=2),
     "label_smoothing must be in [0, 1]; got 2"),
    (lambda: celib.categorical_cross_entropy(_ONEHOT3, _P3, sample_weight=np.ones(2)),
     "sample_weight must have one weight per example, shape (2, 4); got shape (2,)"),
    # grad.softmax_cross_entropy_grad: shapes on 3-D input, names
    (lambda: celib.softmax_cross_entropy_grad(np.zeros((2, 5), int), _Z3, from_logits=True),
     "labels_or_onehot must have shape (2, 4) (integer labels) or (2, 4, 3) (one-hot or soft"
     " targets); got (2, 5)"),
    (lambda: celib.softmax_cross_entropy_grad(np.zeros((2, 4, 1), int), _Z3, from_logits=True),
     "labels_or_onehot must have shape (2, 4) (integer labels) or (2, 4, 3) (one-hot or soft"
     " targets); got (2, 4, 1) (squeeze the trailing axis of size 1)"),
    (lambda: celib.softmax_cross_entropy_grad(np.zeros((2, 4), int), _Z3, from_logits=True,
                                              label_smoothing=2),
     "label_smoothing must be in [0, 1]; got 2"),
    (lambda: celib.softmax_cross_entropy_grad(_ONEHOT3, _Z3, from_logits=True, sample_weight=np.ones(2)),
     "sample_weight must have one weight per example, shape (2, 4); got shape (2,)"),
])
def test_categorical_messages_on_3d_batches(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize("kind", ["onehot", "labels"])
def test_gradient_with_the_class_axis_in_the_middle(kind):
    # grad.softmax_cross_entropy_grad: np.moveaxis(raw, axis, +1) and its condition (a target with
    # the class axis at 1 must be moved last, labels must not be)
    rng = np.random.default_rng(7)
    z = rng.normal(size=(2, 3, 4))  # classes on axis 1
    labels = rng.integers(0, 3, size=(2, 4))
    target = np.moveaxis(np.eye(3)[labels], -1, 1) if kind == "onehot" else labels
    got = celib.softmax_cross_entropy_grad(target, z, from_logits=True, axis=1, reduction="none")
    last = celib.softmax_cross_entropy_grad(labels, np.moveaxis(z, 1, -1), from_logits=True,
                                            reduction="none")
    np.testing.assert_allclose(got, np.moveaxis(last, -1, 1), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_weighted_categorical_loss_and_gradient_keep_float32(reduction):
    # categorical_cross_entropy / softmax_cross_entropy_grad: check_class_weight(..., None),
    # check_sample_weight(..., None), probabilities(..., None): float64 weights or targets would
    # promote the float32 result
    y = _ONEHOT3.astype(np.float32)
    kw = dict(class_weight=[1.0, 2.0, 3.0], sample_weight=np.ones((2, 4)), reduction=reduction)
    loss = celib.categorical_cross_entropy(y, _P3.astype(np.float32), **kw)
    grad = celib.softmax_cross_entropy_grad(y, _Z3.astype(np.float32), from_logits=True, **kw)
    assert np.asarray(loss).dtype == np.float32 and grad.dtype == np.float32
    labels = _ONEHOT3.argmax(-1)
    grad_labels = celib.softmax_cross_entropy_grad(labels, _Z3.astype(np.float32), from_logits=True, **kw)
    assert grad_labels.dtype == np.float32
    np.testing.assert_allclose(grad_labels, grad, rtol=1e-6, atol=1e-7)
