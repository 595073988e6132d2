"""celib.info with two distributions of different shapes, and with joint tables (issue 23, section 5).

* ``p`` and ``q`` broadcast over batch axes: the result equals the call on explicitly tiled copies.
* The outcome axis itself never broadcasts.
* A 2-D array that sums to 1 only as a whole is called a joint distribution, and the fix offered is
  ``p.ravel()`` / ``axis=None``, never only a row normalisation (a plausible wrong answer).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib

PAIR_FUNCTIONS = [celib.cross_entropy, celib.kl_divergence]


@st.composite
def broadcast_pairs(draw):
    """(p, q, axis): random distributions whose batch shapes broadcast; outcome axis as given."""
    ndim = draw(st.integers(1, 4))
    n_out = draw(st.integers(1, 5))
    out_axis = draw(st.integers(-ndim, ndim - 1))
    batch = draw(st.lists(st.integers(1, 3), min_size=ndim - 1, max_size=ndim - 1))
    full = list(batch)
    full.insert(out_axis % ndim, n_out)

    def one(may_drop):
        # drop some leading axes, set some batch axes to 1: both broadcast back to `full`
        lead = draw(st.integers(0, out_axis % ndim)) if may_drop else 0
        shape = [1 if (may_drop and i != out_axis % ndim and draw(st.booleans())) else n
                 for i, n in enumerate(full)]
        shape = shape[lead:]
        w = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.01, 1.0)))
        return w / w.sum(axis=out_axis % ndim - ndim, keepdims=True), shape

    p, _ = one(may_drop=False)  # one of the two has the full shape, so the broadcast shape is `full`
    q, _ = one(may_drop=True)
    if draw(st.booleans()):
        p, q = q, p
    return p, q, out_axis, tuple(full)


@settings(max_examples=150)
@given(broadcast_pairs(), st.sampled_from(PAIR_FUNCTIONS), st.sampled_from([None, 2]))
def test_broadcast_call_equals_the_explicitly_tiled_call(pair, f, base):
    p, q, axis, full = pair
    got = f(p, q, axis=axis, base=base)
    tiled = f(np.broadcast_to(p, full).copy(), np.broadcast_to(q, full).copy(), axis=axis, base=base)
    np.testing.assert_array_equal(got, tiled)
    assert np.shape(got) == tuple(n for i, n in enumerate(full) if i != axis % len(full))


def test_exercise_2_3_one_target_against_99_predictions():
    rng = np.random.default_rng(3)
    Q = rng.dirichlet([1.0, 1.0], size=99)
    p = [0.7, 0.3]
    got = celib.cross_entropy(p, Q)
    assert got.shape == (99,)
    np.testing.assert_array_equal(got, celib.cross_entropy(np.tile(p, (99, 1)), Q))
    np.testing.assert_array_equal(celib.kl_divergence(p, Q), celib.kl_divergence(np.tile(p, (99, 1)), Q))
    # and the other way round: many targets, one prediction
    np.testing.assert_array_equal(celib.cross_entropy(Q, p), celib.cross_entropy(Q, np.tile(p, (99, 1))))


@pytest.mark.parametrize("f", PAIR_FUNCTIONS)
def test_a_bad_row_is_reported_in_the_input_that_has_it(f):
    Q = np.array([[0.5, 0.5], [0.6, 0.3]])
    with pytest.raises(ValueError, match=r"q must sum to 1 along its class axis \(axis=-1\); row 1 sums to 0.9"):
        f([0.7, 0.3], Q)
    with pytest.raises(ValueError, match=r"p must sum to 1 along its class axis; it sums to 1.1"):
        f([0.8, 0.3], Q[:1])


@pytest.mark.parametrize("f", PAIR_FUNCTIONS)
@pytest.mark.parametrize(
    "p_shape, q_shape, message",
    [
        ((4,), (4, 1), r"q has 1 outcome\(s\) where the other has 4; only batch axes broadcast"),
        ((4, 1), (4,), r"p has 1 outcome\(s\) where the other has 4.*squeeze the trailing axis of size 1"),
        ((3,), (2, 4), r"do not broadcast against each other"),
    ],
)
def test_the_outcome_axis_never_broadcasts(f, p_shape, q_shape, message):
    p = np.full(p_shape, 1.0 / p_shape[-1])
    q = np.full(q_shape, 1.0 / q_shape[-1])
    with pytest.raises(ValueError, match=message):
        f(p, q)


def test_an_axis_the_smaller_input_lacks_is_refused():
    with pytest.raises(ValueError, match=r"along axis=0 of their broadcast shape \(2, 3\), p has no such axis"):
        celib.cross_entropy(np.full(3, 1 / 3), np.full((2, 3), 1 / 3), axis=0)


def test_broadcasting_keeps_the_promoted_dtype():
    got = celib.cross_entropy(np.array([0.5, 0.5], np.float32), np.full((3, 2), 0.5, np.float32))
    assert got.dtype == np.float32 and got.shape == (3,)


# --- joint distributions ------------------------------------------------------------------------


P1 = np.array([26 / 30, 4 / 30])


def test_exercise_1_2_joint_table_error_says_ravel_and_not_only_normalise():
    with pytest.raises(ValueError) as info:
        celib.entropy(np.outer(P1, P1))
    message = str(info.value)
    assert "p sums to 1 as a whole: if it is a joint distribution, pass p.ravel()" in message
    assert "or axis=None" in message
    # the row normalisation (which gives the plausible wrong [0.5665, 0.5665]) is not offered
    assert "normalise" not in message


def test_axis_none_reads_the_whole_array_as_one_distribution():
    joint = np.outer(P1, P1)
    assert celib.entropy(joint, axis=None) == celib.entropy(joint.ravel())
    assert celib.entropy(joint, axis=None) == celib.joint_entropy(joint)
    assert celib.entropy(joint, base=2, axis=None) == pytest.approx(2 * 0.5665095, abs=5e-7)
    q = np.full((2, 2), 0.25)
    assert celib.cross_entropy(joint, q, axis=None) == celib.cross_entropy(joint.ravel(), q.ravel())
    assert celib.kl_divergence(joint, q, axis=None) == celib.kl_divergence(joint.ravel(), q.ravel())


def test_axis_none_refuses_broadcasting_and_unnormalised_tables():
    with pytest.raises(ValueError, match=r"p has shape \(2,\) but q has shape \(2, 2\); they must match exactly"):
        celib.cross_entropy(P1, np.full((2, 2), 0.25), axis=None)
    with pytest.raises(ValueError, match=r"p must be a joint distribution.*sum to 2 \(divide by p.sum\(\)"):
        celib.entropy(np.full((2, 2), 0.5), axis=None)


def test_rows_that_are_wrong_and_a_whole_that_is_not_one_get_both_fixes():
    with pytest.raises(ValueError) as info:
        celib.entropy([[0.5, 0.3], [0.5, 0.5]])
    message = str(info.value)
    assert "row 0 sums to 0.8" in message
    assert "if each row is its own distribution, normalise with p / p.sum(axis=-1, keepdims=True)" in message
    assert "if the whole array is one joint distribution, divide by p.sum() and pass p.ravel()" in message


def test_losses_name_the_axis_the_caller_gave():
    y_pred = np.array([[0.5, 0.2], [0.3, 0.5]])  # columns are the classes: axis=0
    with pytest.raises(ValueError, match=r"y_pred must sum to 1 along its class axis \(axis=0\); row 0 sums to 0.8"):
        celib.categorical_cross_entropy(np.eye(2), y_pred, axis=0)
