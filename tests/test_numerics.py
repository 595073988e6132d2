"""Numerical robustness: every from-logits function at |logit| <= 1e4 in float16, float32 and float64.

Each call runs with warnings as errors and NumPy's floating-point errors raised, and must return
finite values of the input dtype; separately, those values must agree with a float64 evaluation of
the same inputs to within the dtype's rounding.
"""

import contextlib
import warnings

import numpy as np
import scipy.special
import pytest

import celib

DTYPES = [np.float16, np.float32, np.float64]

# Every row mixes the extremes: exactly +-1e4, zeros, ties at the maximum and all-minimum rows.
EXTREME_LOGITS = np.array(
    [
        [1e4, -1e4, 0.0],
        [-1e4, 1e4, 0.0],
        [0.0, 0.0, 0.0],
        [1e4, 1e4, -1e4],
        [-1e4, -1e4, -1e4],
    ]
)
# Labels chosen so most rows are maximally wrong (loss about 2e4).
EXTREME_LABELS = np.array([1, 0, 2, 2, 0])
EXTREME_BINARY_LOGITS = np.array([1e4, -1e4, 0.0, 1e4, -1e4, 9999.0])
BINARY_TARGETS = np.array([0.0, 1.0, 0.5, 1.0, 0.0, 0.3])

# float16 results are rounded to 11 significant bits, float32 to 24.
RTOL = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-12}
ATOL = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-12}


@contextlib.contextmanager
def strict_floating_point():
    # Underflow stays ignored: exp(-2e4) = 0 is the correct, intended result of a stable softmax.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


def one_hot(labels, c=3):
    return np.eye(c)[labels]


FROM_LOGITS_CLASS_AXIS = {
    "logsumexp": lambda z: celib.logsumexp(z),
    "logsumexp_keepdims": lambda z: celib.logsumexp(z, keepdims=True),
    "softmax": lambda z: celib.softmax(z),
    "softmax_temperature_0.5": lambda z: celib.softmax(z, temperature=0.5),
    "log_softmax": lambda z: celib.log_softmax(z),
    "log_softmax_axis_0": lambda z: celib.log_softmax(z, axis=0),
    "sparse_ce_none": lambda z: celib.sparse_categorical_cross_entropy(
        EXTREME_LABELS, z, from_logits=True, reduction="none"
    ),
    "sparse_ce_mean": lambda z: celib.sparse_categorical_cross_entropy(EXTREME_LABELS, z, from_logits=True),
    "sparse_ce_smoothing_weights_ignore": lambda z: celib.sparse_categorical_cross_entropy(
        np.where(EXTREME_LABELS == 2, -100, EXTREME_LABELS),
        z,
        from_logits=True,
        label_smoothing=0.1,
        class_weight=[1.0, 2.0, 0.5],
        ignore_index=-100,
    ),
    "categorical_ce_none": lambda z: celib.categorical_cross_entropy(
        one_hot(EXTREME_LABELS), z, from_logits=True, reduction="none"
    ),
    "categorical_ce_smoothing_weights": lambda z: celib.categorical_cross_entropy(
        one_hot(EXTREME_LABELS), z, from_logits=True, label_smoothing=0.1, class_weight=[1.0, 2.0, 0.5]
    ),
    "focal_none": lambda z: celib.focal_loss(EXTREME_LABELS, z, reduction="none", from_logits=True),
    "focal_alpha_mean": lambda z: celib.focal_loss(EXTREME_LABELS, z, gamma=2.0, alpha=[0.25, 0.5, 1.0], from_logits=True),
    "focal_fractional_gamma": lambda z: celib.focal_loss(EXTREME_LABELS, z, gamma=0.5, reduction="none", from_logits=True),
    "softmax_ce_grad": lambda z: celib.softmax_cross_entropy_grad(EXTREME_LABELS, z, from_logits=True),
    "softmax_ce_grad_soft": lambda z: celib.softmax_cross_entropy_grad(
        np.full(z.shape, 1 / 3), z, reduction="none", from_logits=True
    ),
}

FROM_LOGITS_ELEMENTWISE = {
    "sigmoid": lambda z: celib.sigmoid(z),
    "log_sigmoid": lambda z: celib.log_sigmoid(z),
    "softplus": lambda z: celib.softplus(z),
    "binary_ce_none": lambda z: celib.binary_cross_entropy(BINARY_TARGETS, z, from_logits=True, reduction="none"),
    "binary_ce_mean": lambda z: celib.binary_cross_entropy(BINARY_TARGETS, z, from_logits=True),
    "binary_ce_pos_weight_smoothing": lambda z: celib.binary_cross_entropy(
        BINARY_TARGETS, z, from_logits=True, pos_weight=3.0, label_smoothing=0.1, reduction="none"
    ),
    "binary_focal_none": lambda z: celib.binary_focal_loss(BINARY_TARGETS, z, reduction="none", from_logits=True),
    "binary_focal_alpha_mean": lambda z: celib.binary_focal_loss(BINARY_TARGETS, z, alpha=0.25, from_logits=True),
    "binary_ce_grad": lambda z: celib.binary_cross_entropy_grad(BINARY_TARGETS, z, from_logits=True),
    "mse_sigmoid_grad": lambda z: celib.mse_sigmoid_grad(BINARY_TARGETS, z, reduction="none", from_logits=True),
}


def check_stable(fn, logits, dtype):
    z = logits.astype(dtype)
    with strict_floating_point():
        got = np.asarray(fn(z))
    assert got.dtype == dtype
    assert np.all(np.isfinite(got)), got


def check_accurate(fn, logits, dtype):
    """Within a few units of rounding of the float64 value for the same (rounded) inputs."""
    z = logits.astype(dtype)
    got = np.asarray(fn(z)).astype(np.float64)
    reference = np.asarray(fn(z.astype(np.float64)))
    np.testing.assert_allclose(got, reference, rtol=RTOL[dtype], atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("fn", FROM_LOGITS_CLASS_AXIS.values(), ids=FROM_LOGITS_CLASS_AXIS.keys())
def test_class_axis_functions_are_stable_at_plus_minus_1e4(fn, dtype):
    check_stable(fn, EXTREME_LOGITS, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("fn", FROM_LOGITS_ELEMENTWISE.values(), ids=FROM_LOGITS_ELEMENTWISE.keys())
def test_elementwise_functions_are_stable_at_plus_minus_1e4(fn, dtype):
    check_stable(fn, EXTREME_BINARY_LOGITS, dtype)


# Finite is not enough: x - LSE(x) computed as x - (m + ln s) rounds m + ln s at the scale of |m|
# (ulp(1e4) is 1e-3 in float32) and so loses the digits of an O(1) answer; (x - m) - ln s does not.
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("fn", FROM_LOGITS_CLASS_AXIS.values(), ids=FROM_LOGITS_CLASS_AXIS.keys())
def test_class_axis_functions_are_accurate_at_plus_minus_1e4(fn, dtype):
    check_accurate(fn, EXTREME_LOGITS, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("fn", FROM_LOGITS_ELEMENTWISE.values(), ids=FROM_LOGITS_ELEMENTWISE.keys())
def test_elementwise_functions_are_accurate_at_plus_minus_1e4(fn, dtype):
    check_accurate(fn, EXTREME_BINARY_LOGITS, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_extreme_log_softmax_values_are_exact(dtype):
    # Hand-derived: LSE(1e4, -1e4, 0) = 1e4 (the other terms are below rounding), so
    # log_softmax = (0, -2e4, -1e4), all representable in float16.
    got = celib.log_softmax(np.array([1e4, -1e4, 0.0], dtype=dtype))
    np.testing.assert_array_equal(got, np.array([0.0, -2e4, -1e4], dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_maximally_wrong_logit_costs_exactly_2e4_nats(dtype):
    z = np.array([[1e4, -1e4]], dtype=dtype)
    with strict_floating_point():
        got = celib.sparse_categorical_cross_entropy([1], z, from_logits=True)
    assert got == 2e4
    assert got.dtype == dtype


def test_float16_mean_stays_finite_when_the_float16_sum_would_overflow():
    # Eight losses of 2e4 sum to 1.6e5 > 65504 (float16 max), but their mean is representable.
    z = np.tile(np.array([[1e4, -1e4]], dtype=np.float16), (8, 1))
    with strict_floating_point():
        got = celib.sparse_categorical_cross_entropy(np.ones(8, int), z, from_logits=True)
        got_binary = celib.binary_cross_entropy(np.zeros(8), z[:, 0], from_logits=True)
    assert got == 2e4 and got.dtype == np.float16
    assert got_binary == 1e4 and got_binary.dtype == np.float16


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_naive_softmax_would_overflow_where_celib_does_not(dtype):
    # Why these tests exist: the textbook formula fails at these logits.
    z = np.array([1e4, 0.0], dtype=dtype)
    with pytest.raises(FloatingPointError), np.errstate(over="raise"):
        np.exp(z) / np.exp(z).sum()
    with strict_floating_point():
        np.testing.assert_array_equal(celib.softmax(z), np.array([1.0, 0.0], dtype=dtype))


# --- dtype preservation ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_losses_return_the_prediction_dtype(dtype):
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype=dtype)
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]], dtype=dtype)
    labels = np.array([0, 2])  # integer labels must not promote the result
    targets = np.eye(3)[labels]  # float64 targets must not promote float32 predictions either
    results = {
        "sparse": celib.sparse_categorical_cross_entropy(labels, probs),
        "sparse_none": celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, reduction="none"),
        "categorical": celib.categorical_cross_entropy(targets, probs),
        "focal": celib.focal_loss(labels, logits, from_logits=True),
        "binary": celib.binary_cross_entropy(np.array([1.0, 0.0]), probs[:, 0]),
        "binary_focal": celib.binary_focal_loss(np.array([1.0, 0.0]), logits[:, 0], from_logits=True),
        "mse": celib.mean_squared_error(probs, probs),
    }
    for name, result in results.items():
        assert np.asarray(result).dtype == dtype, name


def test_integer_inputs_promote_to_float64():
    one_hot_int = np.array([[1, 0], [0, 1]])
    results = {
        "sparse_int_probs": celib.sparse_categorical_cross_entropy([0, 1], one_hot_int),
        "sparse_int_logits": celib.sparse_categorical_cross_entropy([0, 1], [[3, 1], [0, 2]], from_logits=True),
        "categorical_int": celib.categorical_cross_entropy(one_hot_int, one_hot_int),
        "binary_int": celib.binary_cross_entropy([1, 0], [1, 0]),
        "focal_int_logits": celib.focal_loss([0, 1], [[3, 1], [0, 2]], from_logits=True),
        "mse_int": celib.mean_squared_error([1, 2], [1, 3]),
        "softmax_int": celib.softmax([1, 2]),
        "grad_int_logits": celib.softmax_cross_entropy_grad([0, 1], [[3, 1], [0, 2]], from_logits=True),
        "bce_grad_int": celib.binary_cross_entropy_grad([1, 0], [2, -2], from_logits=True),
    }
    for name, result in results.items():
        assert np.asarray(result).dtype == np.float64, name


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=lambda d: d.__name__)
def test_softmax_output_in_low_precision_is_accepted_back_as_probabilities(dtype):
    # A softmax computed in float32 does not sum to exactly 1; feeding it back must not raise.
    rng = np.random.default_rng(0)
    # Spread kept small enough that no float16 probability underflows to 0 (that would be a true inf).
    logits = rng.normal(size=(64, 10)).astype(dtype) * 2
    probs = celib.softmax(logits)
    labels = rng.integers(0, 10, size=64)
    loss = celib.sparse_categorical_cross_entropy(labels, probs)
    # independent reference: scipy's log-softmax of the same logits in float64
    reference = -scipy.special.log_softmax(logits.astype(np.float64), axis=-1)[np.arange(64), labels].mean()
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss, reference, rtol=RTOL[dtype] * 5)
