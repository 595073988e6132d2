"""``sample_weight`` on the losses and their gradients (issue 22), and the focal ``alpha`` rule.

The defining properties, checked with hypothesis on every loss that takes ``sample_weight``:

* an integer weight k is the example repeated k times (so weights 1 everywhere change nothing);
* weight 0 is the example removed from the batch, even when its loss is infinite;
* weights combine with ``class_weight`` (the mean divides by the sum of s_n w_{y_n}) and with
  ``ignore_index`` (an ignored row counts nowhere, whatever its weight);
* ``reduction="none"`` returns s_n times each loss, "sum" their sum;
* Keras' "divide by N" is ``reduction="sum"`` divided by N;
* each gradient is the finite-difference derivative of its weighted loss;
* bad weights raise a ValueError that names ``sample_weight``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib
from test_grad import FD_ATOL, central_difference

moderate = st.floats(-15, 15, allow_nan=False, allow_infinity=False)
reductions = st.sampled_from(["mean", "sum", "none"])


@st.composite
def weighted_batches(draw, min_rows=1):
    """(labels, logits, integer sample weights with at least one > 0) for an (N, C) batch."""
    n = draw(st.integers(min_rows, 5))
    c = draw(st.integers(2, 4))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    logits = draw(hnp.arrays(np.float64, (n, c), elements=moderate))
    counts = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 3)))
    if not counts.any():
        counts[draw(st.integers(0, n - 1))] = 1
    return labels, logits, counts


def class_weights(c):
    return st.one_of(st.none(), hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 5)))


def repeated(counts, *arrays):
    """Every array with row n repeated counts[n] times (0 drops it)."""
    return [np.repeat(np.asarray(a), counts, axis=0) for a in arrays]


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


# --- integer weights are repetitions, zero weights are removals ---------------------------------

@settings(max_examples=60)
@given(weighted_batches(), st.sampled_from(["mean", "sum"]), st.data())
def test_integer_weights_repeat_examples_sparse_and_categorical(batch, reduction, data):
    labels, logits, counts = batch
    w = data.draw(class_weights(logits.shape[-1]), label="class_weight")
    smoothing = data.draw(st.sampled_from([0.0, 0.1]), label="label_smoothing")
    kw = dict(from_logits=True, class_weight=w, label_smoothing=smoothing, reduction=reduction)
    rep_labels, rep_logits = repeated(counts, labels, logits)
    expected = celib.sparse_categorical_cross_entropy(rep_labels, rep_logits, **kw)
    close(celib.sparse_categorical_cross_entropy(labels, logits, sample_weight=counts, **kw), expected)
    onehot = np.eye(logits.shape[-1])[labels]
    close(celib.categorical_cross_entropy(onehot, logits, sample_weight=counts, **kw), expected)


@settings(max_examples=60)
@given(weighted_batches(), st.sampled_from(["mean", "sum"]), st.data())
def test_integer_weights_repeat_examples_focal(batch, reduction, data):
    labels, logits, counts = batch
    c = logits.shape[-1]
    kw = dict(
        from_logits=True,
        gamma=data.draw(st.sampled_from([0.0, 0.5, 2.0]), label="gamma"),
        alpha=data.draw(st.one_of(st.none(), st.floats(0.1, 1)), label="alpha"),
        class_weight=data.draw(class_weights(c), label="class_weight"),
        reduction=reduction,
    )
    rep_labels, rep_logits = repeated(counts, labels, logits)
    close(celib.focal_loss(labels, logits, sample_weight=counts, **kw), celib.focal_loss(rep_labels, rep_logits, **kw))


@settings(max_examples=60)
@given(weighted_batches(), st.sampled_from(["mean", "sum"]), st.data())
def test_integer_weights_repeat_examples_binary(batch, reduction, data):
    _, logits, counts = batch  # (N, K) logits: K outputs per example, one weight per example
    targets = data.draw(hnp.arrays(np.float64, logits.shape, elements=st.sampled_from([0.0, 1.0, 0.3])))
    rep_targets, rep_logits = repeated(counts, targets, logits)
    kw = dict(from_logits=True, reduction=reduction)
    per_element = np.broadcast_to(counts[:, None], logits.shape)
    for weights in (counts, per_element):  # (N,) one per row of outputs, or one per element
        close(celib.binary_cross_entropy(targets, logits, sample_weight=weights, **kw),
              celib.binary_cross_entropy(rep_targets, rep_logits, **kw))
        close(celib.binary_focal_loss(targets, logits, sample_weight=weights, alpha=0.25, **kw),
              celib.binary_focal_loss(rep_targets, rep_logits, alpha=0.25, **kw))


def test_zero_weight_drops_an_example_even_with_an_infinite_loss():
    probs = np.array([[0.7, 0.3], [1.0, 0.0], [0.2, 0.8]])  # row 1 gives its true class 0: loss inf
    labels = np.array([0, 1, 1])
    assert np.isinf(celib.sparse_categorical_cross_entropy(labels, probs))
    kept = celib.sparse_categorical_cross_entropy(labels[[0, 2]], probs[[0, 2]])
    got = celib.sparse_categorical_cross_entropy(labels, probs, sample_weight=[1, 0, 1])
    assert got == pytest.approx(kept, rel=1e-15, abs=0)
    per_row = celib.sparse_categorical_cross_entropy(labels, probs, sample_weight=[1, 0, 1], reduction="none")
    assert per_row[1] == 0.0
    assert celib.binary_cross_entropy([1.0, 1.0], [0.5, 0.0], sample_weight=[1, 0]) == pytest.approx(np.log(2), abs=0)


# --- combinations -----------------------------------------------------------------------------

@settings(max_examples=60)
@given(weighted_batches(min_rows=2), reductions, st.data())
def test_weights_combine_with_class_weight_and_ignore_index(batch, reduction, data):
    labels, logits, counts = batch
    c = logits.shape[-1]
    w = data.draw(class_weights(c), label="class_weight")
    ignored = data.draw(hnp.arrays(np.bool_, labels.shape), label="ignored")
    padded = np.where(ignored, -100, labels)
    s = counts.astype(float) + 0.5  # non-integer weights too
    kw = dict(from_logits=True, class_weight=w, ignore_index=-100, sample_weight=s, reduction="none")
    per_row = celib.sparse_categorical_cross_entropy(padded, logits, **kw)
    plain = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, class_weight=w, reduction="none")
    close(per_row, np.where(ignored, 0.0, s * plain))
    used = np.where(ignored, 0.0, s * (1.0 if w is None else w[labels]))
    kw["reduction"] = reduction
    got = celib.sparse_categorical_cross_entropy(padded, logits, **kw)
    if reduction == "none":
        close(got, per_row)
    elif reduction == "sum":
        close(got, per_row.sum())
    else:
        close(got, per_row.sum() / used.sum() if used.sum() > 0 else 0.0)
    # the focal loss at gamma = 0 is the same loss, with the same options
    close(celib.focal_loss(padded, logits, gamma=0.0, **kw), got)


def test_ignored_rows_count_nowhere_whatever_their_weight():
    logits = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    a = celib.sparse_categorical_cross_entropy([0, -100, 1], logits, from_logits=True, ignore_index=-100,
                                               sample_weight=[1.0, 5.0, 2.0])
    b = celib.sparse_categorical_cross_entropy([0, 1], logits[[0, 2]], from_logits=True, sample_weight=[1.0, 2.0])
    assert a == pytest.approx(b, rel=1e-15, abs=0)


def test_mean_divides_by_the_weights_and_keras_divides_by_n():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([0, 1, 2, 1])
    s = np.array([1.2, 3.4, 5.6, 0.0])
    per_row = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, reduction="none")
    ours = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, sample_weight=s)
    assert ours == pytest.approx((s * per_row).sum() / s.sum(), rel=1e-15, abs=0)
    keras = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, sample_weight=s,
                                                   reduction="sum") / len(labels)
    assert keras == pytest.approx((s * per_row).sum() / 4, rel=1e-15, abs=0)
    # optax where=mask, masked mean: boolean weights
    mask = np.array([True, False, True, True])
    masked = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, sample_weight=mask)
    assert masked == pytest.approx(per_row[mask].mean(), rel=1e-15, abs=0)


def test_result_keeps_the_input_dtype():
    z32 = np.array([[2.0, 0.0], [0.0, 1.0]], np.float32)
    got = celib.sparse_categorical_cross_entropy([0, 1], z32, from_logits=True, sample_weight=[1.0, 2.0])
    assert got.dtype == np.float32
    got = celib.binary_cross_entropy(np.ones((2, 2), np.float32), z32, from_logits=True, sample_weight=[1.0, 2.0],
                                     reduction="none")
    assert got.dtype == np.float32 and got.shape == (2, 2)


def test_large_batches_take_the_same_path_with_weights():
    # the fast kernel does not take sample_weight: a large float32 batch with weights must give the
    # weighted value, not the kernel's unweighted one
    rng = np.random.default_rng(5)
    z = rng.normal(size=(2048, 512)).astype(np.float32)
    y = rng.integers(0, 512, size=2048)
    s = rng.integers(0, 3, size=2048).astype(np.float32)
    per_row = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none").astype(np.float64)
    got = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, sample_weight=s)
    assert got == pytest.approx((s * per_row).sum() / s.sum(), rel=1e-5, abs=0)


# --- the focal alpha rule -------------------------------------------------------------------

@settings(max_examples=40)
@given(weighted_batches(), st.floats(0.05, 1), st.sampled_from([0.0, 2.0]))
def test_focal_alpha_scales_every_reduction(batch, alpha, gamma):
    labels, logits, counts = batch
    for reduction in ("mean", "sum", "none"):
        kw = dict(from_logits=True, gamma=gamma, sample_weight=counts, reduction=reduction)
        close(celib.focal_loss(labels, logits, alpha=alpha, **kw), alpha * celib.focal_loss(labels, logits, **kw))
        close(celib.focal_loss(labels, logits, alpha=np.full(logits.shape[-1], alpha), **kw),
              celib.focal_loss(labels, logits, alpha=alpha, **kw))


# --- gradients --------------------------------------------------------------------------------

def assert_grad(analytic, numeric):
    np.testing.assert_allclose(analytic, numeric, atol=FD_ATOL * 10, rtol=1e-6)


@settings(max_examples=30)
@given(weighted_batches(), st.sampled_from(["mean", "sum"]), st.data())
def test_gradients_with_sample_weight_match_finite_differences(batch, reduction, data):
    labels, logits, counts = batch
    s = counts + data.draw(st.sampled_from([0.0, 0.25]), label="fraction")
    c = logits.shape[-1]
    w = data.draw(class_weights(c), label="class_weight")
    kw = dict(sample_weight=s, reduction=reduction)
    assert_grad(
        celib.softmax_cross_entropy_grad(labels, logits, from_logits=True, class_weight=w, **kw),
        central_difference(lambda z: celib.sparse_categorical_cross_entropy(
            labels, z, from_logits=True, class_weight=w, **kw), logits),
    )
    fkw = dict(kw, gamma=2.0, alpha=0.25, class_weight=w)
    assert_grad(
        celib.focal_loss_grad(labels, logits, from_logits=True, **fkw),
        central_difference(lambda z: celib.focal_loss(labels, z, from_logits=True, **fkw), logits),
    )
    targets = (logits > 0).astype(float)
    for loss, grad, extra in [(celib.binary_cross_entropy, celib.binary_cross_entropy_grad, {}),
                              (celib.binary_focal_loss, celib.binary_focal_loss_grad, dict(gamma=2.0, alpha=0.25))]:
        assert_grad(
            grad(targets, logits, from_logits=True, **kw, **extra),
            central_difference(lambda z: loss(targets, z, from_logits=True, **kw, **extra), logits),
        )


def test_focal_gradient_with_ignore_index():
    logits = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0], [1.0, 1.0, 0.0]])
    labels = np.array([0, -1, 2])
    kw = dict(gamma=2.0, ignore_index=-1, sample_weight=[2.0, 1.0, 1.0])
    grad = celib.focal_loss_grad(labels, logits, from_logits=True, **kw)
    assert np.all(grad[1] == 0)
    assert_grad(grad, central_difference(lambda z: celib.focal_loss(labels, z, from_logits=True, **kw), logits))


# --- bad weights --------------------------------------------------------------------------------

LOGITS = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 3.0]])
LABELS = np.array([0, 1, 2])
CALLS = {
    "sparse": lambda s: celib.sparse_categorical_cross_entropy(LABELS, LOGITS, from_logits=True, sample_weight=s),
    "categorical": lambda s: celib.categorical_cross_entropy(np.eye(3)[LABELS], LOGITS, from_logits=True,
                                                             sample_weight=s),
    "focal": lambda s: celib.focal_loss(LABELS, LOGITS, from_logits=True, sample_weight=s),
    "binary": lambda s: celib.binary_cross_entropy(np.eye(3)[LABELS], LOGITS, from_logits=True, sample_weight=s),
    "binary_focal": lambda s: celib.binary_focal_loss(np.eye(3)[LABELS], LOGITS, from_logits=True, sample_weight=s),
    "sparse_grad": lambda s: celib.softmax_cross_entropy_grad(LABELS, LOGITS, from_logits=True, sample_weight=s),
    "focal_grad": lambda s: celib.focal_loss_grad(LABELS, LOGITS, from_logits=True, sample_weight=s),
    "binary_grad": lambda s: celib.binary_cross_entropy_grad(np.eye(3)[LABELS], LOGITS, from_logits=True,
                                                             sample_weight=s),
}
BAD = {
    "negative": ([1.0, -0.5, 1.0], "must be >= 0; got -0.5 at index 1"),
    "nan": ([1.0, np.nan, 1.0], "must be finite; got nan at index 1"),
    "infinite": ([1.0, np.inf, 1.0], "must be finite; got inf"),
    "all_zero": ([0.0, 0.0, 0.0], "0 for every example"),
    "scalar": (2.3, r"got shape \(\) \(a constant weight cancels"),
    "column": ([[1.0], [2.0], [3.0]], r"got shape \(3, 1\) \(squeeze"),
    "too_short": ([1.0, 2.0], r"\(3,\); got shape \(2,\)"),
}


@pytest.mark.parametrize("bad", list(BAD), ids=list(BAD))
@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_bad_sample_weights_raise_a_named_error(call, bad):
    weights, message = BAD[bad]
    if call.startswith("binary") and bad == "column":
        weights = [[1.0, 1.0, 1.0]]  # binary losses accept (3, 3) and (3,): (1, 3) fits neither
        message = r"got shape \(1, 3\)"
    with pytest.raises(ValueError, match="sample_weight") as info:
        CALLS[call](weights)
    assert info.match(message)


def test_sample_weight_must_be_real():
    with pytest.raises(TypeError, match="sample_weight"):
        CALLS["sparse"](["a", "b", "c"])


def test_a_sequence_batch_needs_one_weight_per_position():
    # labels of shape (B, T): one weight per token. A (B,) weight per sequence is refused rather than
    # broadcast (only the binary losses take one weight per row of outputs).
    logits = np.zeros((2, 3, 4))
    labels = np.zeros((2, 3), int)
    with pytest.raises(ValueError, match=r"sample_weight must have one weight per example, shape \(2, 3\)"):
        celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, sample_weight=[1.0, 2.0])
    per_token = np.repeat([[1.0], [2.0]], 3, axis=1)
    got = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, sample_weight=per_token)
    assert got == pytest.approx(np.log(4), rel=1e-15, abs=0)
