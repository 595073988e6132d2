"""celib.softmax: logsumexp, softmax, log_softmax, sigmoid, log_sigmoid."""

import math

import numpy as np
import pytest

import celib


# --- logsumexp ----------------------------------------------------------------------------

def test_logsumexp_of_two_zeros_is_ln_2():
    assert celib.logsumexp([0.0, 0.0]) == pytest.approx(math.log(2), rel=1e-15, abs=0)


def test_logsumexp_does_not_overflow_on_large_logits():
    # exp(1000) overflows float64; LSE(1000, 1000) = 1000 + ln 2.
    assert celib.logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + math.log(2), rel=1e-15, abs=0)


def test_logsumexp_of_very_negative_logits_stays_finite():
    assert celib.logsumexp([-1000.0, -1000.0]) == pytest.approx(-1000 + math.log(2), rel=1e-15, abs=0)


def test_logsumexp_reduces_the_last_axis_by_default():
    x = np.array([[0.0, 0.0], [1.0, 2.0], [5.0, -3.0]])
    expected = np.log(np.exp(x).sum(axis=-1))
    np.testing.assert_allclose(celib.logsumexp(x), expected, rtol=1e-14)


def test_logsumexp_axis_and_keepdims():
    x = np.arange(6.0).reshape(2, 3)
    expected = np.log(np.exp(x).sum(axis=0, keepdims=True))
    got = celib.logsumexp(x, axis=0, keepdims=True)
    assert got.shape == (1, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_logsumexp_of_a_vector_is_a_scalar():
    assert np.ndim(celib.logsumexp([1.0, 2.0, 3.0])) == 0


# --- softmax --------------------------------------------------------------------------------

def test_softmax_rows_sum_to_one_and_match_the_definition():
    x = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]])
    expected = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    got = celib.softmax(x)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=1e-15)


def test_softmax_of_equal_logits_is_uniform():
    np.testing.assert_allclose(celib.softmax(np.zeros(4)), np.full(4, 0.25), rtol=1e-15)


def test_softmax_of_huge_logit_gap_is_one_hot_without_nan():
    got = celib.softmax([1000.0, 0.0])
    np.testing.assert_array_equal(got, [1.0, 0.0])


def test_softmax_axis_0_normalises_columns():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(celib.softmax(x, axis=0), celib.softmax(x.T).T, rtol=1e-15)


def test_softmax_temperature_divides_the_logits():
    x = np.array([2.0, 1.0, 0.1])
    for t in (0.5, 2.0, 10.0):
        np.testing.assert_allclose(celib.softmax(x, temperature=t), celib.softmax(x / t), rtol=1e-14)


def test_high_temperature_flattens_and_low_temperature_sharpens():
    x = np.array([2.0, 1.0, 0.1])
    assert celib.softmax(x, temperature=100.0).max() < celib.softmax(x).max()
    assert celib.softmax(x, temperature=0.01)[0] == pytest.approx(1.0, abs=1e-12)


# --- log_softmax -----------------------------------------------------------------------------

def test_log_softmax_equals_log_of_softmax_on_moderate_logits():
    x = np.array([[2.0, 1.0, 0.1], [-3.0, 0.0, 4.0]])
    np.testing.assert_allclose(celib.log_softmax(x), np.log(celib.softmax(x)), rtol=1e-13)


def test_log_softmax_stays_finite_where_log_of_softmax_would_be_minus_inf():
    # e^-2000 underflows to 0 in float64, so log(softmax) would give -inf here.
    np.testing.assert_allclose(celib.log_softmax([0.0, 2000.0]), [-2000.0, 0.0], rtol=1e-15)


def test_log_softmax_axis_0():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(celib.log_softmax(x, axis=0), celib.log_softmax(x.T).T, rtol=1e-15)


# --- sigmoid and log_sigmoid ----------------------------------------------------------------

def test_sigmoid_of_zero_is_one_half():
    assert celib.sigmoid(0.0) == 0.5


def test_sigmoid_matches_the_definition_and_is_symmetric():
    x = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(celib.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(celib.sigmoid(-x), 1 - celib.sigmoid(x), atol=1e-15)


def test_sigmoid_saturates_to_exactly_0_and_1_without_warnings():
    np.testing.assert_array_equal(celib.sigmoid([-1000.0, 1000.0]), [0.0, 1.0])


def test_log_sigmoid_matches_the_definition_on_moderate_inputs():
    # -log1p(exp(-x)), not log(sigmoid(x)): the latter loses digits as sigmoid(x) -> 1.
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(celib.log_sigmoid(x), -np.log1p(np.exp(-x)), rtol=1e-14)


def test_log_sigmoid_follows_its_asymptotes():
    # ln sigma(x) -> x as x -> -inf and -> 0 as x -> +inf
    got = celib.log_sigmoid([-1000.0, 1000.0])
    np.testing.assert_allclose(got, [-1000.0, 0.0], rtol=1e-15, atol=0)


def test_log_sigmoid_of_zero_is_minus_ln_2():
    assert celib.log_sigmoid(0.0) == pytest.approx(-math.log(2), rel=1e-15, abs=0)


def test_sigmoid_equals_two_class_softmax_with_a_zero_logit():
    z = np.linspace(-10, 10, 21)
    two_class = np.stack([np.zeros_like(z), z], axis=-1)
    np.testing.assert_allclose(celib.sigmoid(z), celib.softmax(two_class)[:, 1], rtol=1e-14)
    # x - LSE(x) cancels near 0, so log_softmax is only absolutely accurate there.
    np.testing.assert_allclose(
        celib.log_sigmoid(z), celib.log_softmax(two_class)[:, 1], rtol=1e-13, atol=1e-14
    )


@pytest.mark.parametrize(
    "fn", [celib.logsumexp, celib.softmax, celib.log_softmax, celib.sigmoid, celib.log_sigmoid],
    ids=lambda f: f.__name__,
)
def test_integer_logits_promote_to_float64(fn):
    assert np.asarray(fn([1, 2, 3])).dtype == np.float64
