"""Properties that must hold for all inputs, checked with hypothesis.

Information-theory identities (Gibbs' inequality, CE = H + KL, change of base), invariances of the
softmax family, and the equivalences that tie the losses together (sparse = one-hot, logits =
probabilities, binary = two-class, focal with gamma = 0 = cross-entropy). The finite-difference
checks of celib.grad live in test_grad.py.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib

# --- strategies -----------------------------------------------------------------------------

unit = st.floats(0, 1, allow_nan=False)
moderate = st.floats(-20, 20, allow_nan=False, allow_infinity=False)
reductions = st.sampled_from(["mean", "sum", "none"])


@st.composite
def distributions(draw, shape, positive=False):
    """Probability rows along the last axis; zeros allowed unless ``positive``."""
    lo = 1e-3 if positive else 0.0
    raw = draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, 1, allow_nan=False)))
    raw[..., 0] += 1e-3  # every row has positive mass to normalise
    return raw / raw.sum(axis=-1, keepdims=True)


@st.composite
def pairs_of_distributions(draw, q_positive=True):
    n = draw(st.integers(1, 6))
    return draw(distributions((n,))), draw(distributions((n,), positive=q_positive))


@st.composite
def classification_batches(draw, from_logits=None):
    """Labels, their one-hot rows, and predictions (probabilities or logits) for an (N, C) batch."""
    n = draw(st.integers(1, 5))
    c = draw(st.integers(2, 5))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    if from_logits is None:
        from_logits = draw(st.booleans())
    if from_logits:
        pred = draw(hnp.arrays(np.float64, (n, c), elements=moderate))
    else:
        pred = draw(distributions((n, c), positive=True))
    return labels, np.eye(c)[labels], pred, from_logits


def class_weights(c):
    """None or C non-negative weights (zeros included: a zero-weight class drops out of the mean)."""
    return st.one_of(st.none(), hnp.arrays(np.float64, (c,), elements=st.floats(0, 10)))


# --- information theory -----------------------------------------------------------------

@settings(max_examples=100)
@given(pairs_of_distributions(q_positive=False))
def test_cross_entropy_is_at_least_entropy(pq):
    p, q = pq
    assert celib.cross_entropy(p, q) >= celib.entropy(p) - 1e-12


@settings(max_examples=100)
@given(pairs_of_distributions())
def test_kl_is_nonnegative_and_bounded_below_by_pinsker(pq):
    # Pinsker: KL >= ||p - q||_1^2 / 2, so KL > 0 whenever p != q (beyond rounding).
    p, q = pq
    kl = celib.kl_divergence(p, q)
    assert kl >= 0
    assert kl >= 0.5 * np.abs(p - q).sum() ** 2 - 1e-12


@settings(max_examples=50)
@given(distributions((5,)))
def test_kl_of_a_distribution_from_itself_is_exactly_zero(p):
    assert celib.kl_divergence(p, p) == 0.0


@settings(max_examples=100)
@given(pairs_of_distributions())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce, h, kl = celib.cross_entropy(p, q), celib.entropy(p), celib.kl_divergence(p, q)
    assert math.isclose(ce, h + kl, rel_tol=1e-10, abs_tol=1e-12)


@settings(max_examples=60)
@given(distributions((4,)))
def test_entropy_lies_between_zero_and_log_n(p):
    h = celib.entropy(p)
    assert -1e-15 <= h <= math.log(4) + 1e-12


@settings(max_examples=60)
@given(pairs_of_distributions(), st.sampled_from([2, 10]))
def test_other_bases_are_nats_divided_by_ln_base(pq, base):
    p, q = pq
    ln_b = math.log(base)
    assert math.isclose(celib.entropy(p, base=base), celib.entropy(p) / ln_b, rel_tol=1e-13, abs_tol=1e-15)
    assert math.isclose(celib.cross_entropy(p, q, base=base), celib.cross_entropy(p, q) / ln_b, rel_tol=1e-13)
    assert math.isclose(
        celib.kl_divergence(p, q, base=base), celib.kl_divergence(p, q) / ln_b, rel_tol=1e-13, abs_tol=1e-15
    )
    np.testing.assert_allclose(celib.surprisal(q, base=base), celib.surprisal(q) / ln_b, rtol=1e-13)


@settings(max_examples=50)
@given(st.integers(1, 4).flatmap(lambda n: distributions((n, 3))))
def test_batched_entropy_equals_row_by_row(p):
    np.testing.assert_array_equal(celib.entropy(p), [celib.entropy(row) for row in p])


# --- softmax family invariances -------------------------------------------------------------

shift = st.floats(-100, 100, allow_nan=False)
logit_rows = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=5), elements=moderate)


@settings(max_examples=100)
@given(logit_rows, shift)
def test_softmax_family_is_shift_invariant(x, c):
    # x + c rounds each logit by up to eps * |c|; the tolerance allows that and no more.
    np.testing.assert_allclose(celib.softmax(x + c), celib.softmax(x), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(celib.log_softmax(x + c), celib.log_softmax(x), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(celib.logsumexp(x + c), celib.logsumexp(x) + c, rtol=1e-12, atol=1e-11)


@settings(max_examples=100)
@given(logit_rows)
def test_softmax_is_a_distribution_and_log_softmax_its_log(x):
    p = celib.softmax(x)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=1e-14)
    np.testing.assert_allclose(np.exp(celib.log_softmax(x)), p, rtol=1e-12, atol=1e-300)


@settings(max_examples=80)
@given(classification_batches(from_logits=True), shift)
def test_cross_entropy_from_logits_is_shift_invariant(batch, c):
    labels, one_hot, logits, _ = batch
    for loss, y in (
        (celib.sparse_categorical_cross_entropy, labels),
        (celib.categorical_cross_entropy, one_hot),
    ):
        np.testing.assert_allclose(
            loss(y, logits + c, from_logits=True, reduction="none"),
            loss(y, logits, from_logits=True, reduction="none"),
            rtol=1e-10,
            atol=1e-11,
        )


# --- equivalences between losses ----------------------------------------------------------

@settings(max_examples=150)
@given(classification_batches(), st.one_of(st.just(0.0), unit), reductions, st.data())
def test_sparse_equals_categorical_with_one_hot_targets(batch, smoothing, reduction, data):
    labels, one_hot, pred, from_logits = batch
    weights = data.draw(class_weights(pred.shape[-1]), label="class_weight")
    options = dict(from_logits=from_logits, class_weight=weights, label_smoothing=smoothing, reduction=reduction)
    np.testing.assert_allclose(
        celib.sparse_categorical_cross_entropy(labels, pred, **options),
        celib.categorical_cross_entropy(one_hot, pred, **options),
        rtol=1e-12,
        atol=1e-13,
    )


@settings(max_examples=80)
@given(classification_batches(), st.data())
def test_ignored_rows_are_as_if_they_were_not_there(batch, data):
    labels, one_hot, pred, from_logits = batch
    drop = data.draw(hnp.arrays(np.bool_, labels.shape))
    padded = np.where(drop, -100, labels)
    got = celib.sparse_categorical_cross_entropy(padded, pred, from_logits=from_logits, ignore_index=-100)
    if drop.all():
        assert got == 0.0
    else:
        kept = celib.categorical_cross_entropy(one_hot[~drop], pred[~drop], from_logits=from_logits)
        assert math.isclose(got, kept, rel_tol=1e-12, abs_tol=1e-13)


@settings(max_examples=100)
@given(classification_batches(from_logits=True), reductions)
def test_from_logits_equals_from_probabilities_on_moderate_logits(batch, reduction):
    labels, one_hot, logits, _ = batch
    probs = celib.softmax(logits)
    np.testing.assert_allclose(
        celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, reduction=reduction),
        celib.sparse_categorical_cross_entropy(labels, probs, reduction=reduction),
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        celib.categorical_cross_entropy(one_hot, logits, from_logits=True, reduction=reduction),
        celib.categorical_cross_entropy(one_hot, probs, reduction=reduction),
        rtol=1e-9,
        atol=1e-12,
    )


binary_batches = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, (n,), elements=unit),
        hnp.arrays(np.float64, (n,), elements=moderate),
    )
)


@settings(max_examples=100)
@given(binary_batches, reductions)
def test_binary_from_logits_equals_from_probabilities_on_moderate_logits(batch, reduction):
    # sigmoid(20) = 1 - 2e-9, so 1 - p carries ~1e-7 relative rounding: hence rtol 1e-6.
    t, z = batch
    np.testing.assert_allclose(
        celib.binary_cross_entropy(t, z, from_logits=True, reduction=reduction),
        celib.binary_cross_entropy(t, celib.sigmoid(z), reduction=reduction),
        rtol=1e-6,
        atol=1e-12,
    )


@settings(max_examples=100)
@given(binary_batches, st.one_of(st.just(0.0), unit), reductions)
def test_binary_cross_entropy_is_two_class_categorical(batch, smoothing, reduction):
    t, z = batch
    two_class_targets = np.stack([1 - t, t], axis=-1)
    two_class_logits = np.stack([np.zeros_like(z), z], axis=-1)  # softmax([0, z])[1] = sigmoid(z)
    np.testing.assert_allclose(
        celib.binary_cross_entropy(t, z, from_logits=True, label_smoothing=smoothing, reduction=reduction),
        celib.categorical_cross_entropy(
            two_class_targets, two_class_logits, from_logits=True, label_smoothing=smoothing, reduction=reduction
        ),
        rtol=1e-10,
        atol=1e-12,
    )
    p = celib.sigmoid(z)
    np.testing.assert_allclose(
        celib.binary_cross_entropy(t, p, label_smoothing=smoothing, reduction=reduction),
        celib.categorical_cross_entropy(
            two_class_targets, np.stack([1 - p, p], axis=-1), label_smoothing=smoothing, reduction=reduction
        ),
        rtol=1e-6,
        atol=1e-12,
    )


@settings(max_examples=100)
@given(classification_batches(from_logits=True), reductions, st.data())
def test_focal_loss_with_gamma_zero_is_cross_entropy(batch, reduction, data):
    labels, _, logits, _ = batch
    weights = data.draw(class_weights(logits.shape[-1]), label="class_weight")
    np.testing.assert_allclose(
        celib.focal_loss(labels, logits, gamma=0.0, class_weight=weights, reduction=reduction, from_logits=True),
        celib.sparse_categorical_cross_entropy(
            labels, logits, from_logits=True, class_weight=weights, reduction=reduction
        ),
        rtol=1e-12,
        atol=1e-13,
    )


@settings(max_examples=100)
@given(binary_batches, reductions)
def test_binary_focal_loss_with_gamma_zero_is_binary_cross_entropy(batch, reduction):
    t, z = batch
    np.testing.assert_allclose(
        celib.binary_focal_loss(t, z, gamma=0.0, reduction=reduction, from_logits=True),
        celib.binary_cross_entropy(t, z, from_logits=True, reduction=reduction),
        rtol=1e-12,
        atol=1e-13,
    )


@settings(max_examples=60)
@given(classification_batches(from_logits=True), st.floats(0, 5))
def test_focal_loss_never_exceeds_cross_entropy(batch, gamma):
    labels, _, logits, _ = batch
    focal = celib.focal_loss(labels, logits, gamma=gamma, reduction="none", from_logits=True)
    ce = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, reduction="none")
    assert np.all(focal <= ce * (1 + 1e-12))
    assert np.all(focal >= 0)


@settings(max_examples=60)
@given(binary_batches)
def test_binary_cross_entropy_is_at_least_the_target_entropy(batch):
    # Gibbs' inequality per element: H(t, sigma(z)) >= H(t).
    t, z = batch
    losses = celib.binary_cross_entropy(t, z, from_logits=True, reduction="none")
    target_entropy = celib.entropy(np.stack([t, 1 - t], axis=-1))
    assert np.all(losses >= target_entropy - 1e-12)
