"""Exercises of lessons 8-10: conventions, gradients, calibration and losses at scale.

* ``ch08-weighted-mean``: class-weighted cross-entropy, mean over the weights used (sum of w_y);
* ``ch08-focal-grad``: the gradient of the binary focal loss with respect to the logit;
* ``ch09-ece``: expected calibration error with right-closed equal-width bins;
* ``ch10-chunked-ce``: cross-entropy of ``hidden @ weight`` that never holds the (N, V) logits
  (memory measured with ``tracemalloc``);
* ``ch10-vocab-combine``: the combine step of vocabulary-parallel cross-entropy.
"""

from __future__ import annotations

import numpy as np

import celib
from celib.scale import VocabShardStats, combine_vocab_shard_stats, vocab_shard_stats

from .checker import Case, Exercise, Mistake, fmt
from .inputs import binary_labels_and_logits, labels_and_logits, labels_and_probabilities

__all__ = ["EXERCISES"]


def _per_example(labels, z) -> np.ndarray:
    return celib.sparse_categorical_cross_entropy(labels, z, from_logits=True, reduction="none")


# ---------------------------------------------------------------------------------------------
# lesson 8: weighted mean


def _weighted(labels, z, class_weight):
    return celib.sparse_categorical_cross_entropy(labels, z, from_logits=True,
                                                  class_weight=class_weight)


def _weighted_sum(labels, z, class_weight):
    return np.sum(np.asarray(class_weight)[labels] * _per_example(labels, z))


def _sum_w(labels, class_weight) -> float:
    return float(np.sum(np.asarray(class_weight)[labels]))


def _weighted_cases():
    rng = np.random.default_rng(8)
    return (
        Case((np.array([0, 1, 2, 1, 0]), rng.normal(size=(5, 3)), np.array([1.0, 2.5, 0.5])),
             "labels = [0, 1, 2, 1, 0], class_weight = [1.0, 2.5, 0.5]"),
        Case((np.array([2, 0, 1]), rng.normal(size=(3, 3)), np.array([1.0, 3.0, 0.5])),
             "labels = [2, 0, 1], class_weight = [1.0, 3.0, 0.5]"),
        Case((np.array([1, 0, 1, 1]), rng.normal(size=(4, 2)), np.array([1.0, 1.0])),
             "labels = [1, 0, 1, 1], class_weight = [1.0, 1.0] (unweighted)"),
        Case((np.array([0, 1]), np.array([[-800.0, 800.0], [1000.0, -1000.0]]),
              np.array([4.0, 0.25])),
             "labels = [0, 1], z = [[-800, 800], [1000, -1000]], class_weight = [4.0, 0.25]"),
        Case((np.array([3, 3, 0, 1]), rng.normal(size=(4, 4)), np.array([0.5, 2.0, 1.0, 0.0])),
             "labels = [3, 3, 0, 1], class_weight = [0.5, 2.0, 1.0, 0.0] (a class of weight 0)",
             hidden=True),
        Case((rng.integers(0, 10, size=64), rng.normal(scale=50.0, size=(64, 10)),
              np.linspace(0.2, 3.0, 10)), "64 examples, 10 classes, logits of scale 50",
             hidden=True),
    )


def _weighted_batches():
    from hypothesis import strategies as st

    def add_weights(lz):
        c = lz[1].shape[1]
        return st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=c, max_size=c).map(
            lambda w: (*lz, np.array(w)))

    return labels_and_logits().flatmap(add_weights)


WEIGHTED_MEAN = Exercise(
    name="ch08-weighted-mean",
    lesson=8,
    title="A class-weighted mean under a named convention",
    answer="weighted_cross_entropy",
    params=("labels", "z", "class_weight"),
    quantity="loss",
    reference=_weighted,
    cases=_weighted_cases(),
    mistakes=(
        Mistake("wrong reduction",
                value=lambda labels, z, w: _weighted_sum(labels, z, w) / len(labels),
                explain=lambda labels, z, w: (
                    f"you divided by N = {len(labels)}, the convention asks for "
                    f"Σw = {fmt(_sum_w(labels, w))}, the sum of the weights of the examples' "
                    f"classes (the loss is {fmt(_weighted(labels, z, w))}).")),
        Mistake("wrong reduction",
                value=lambda labels, z, w: _weighted_sum(labels, z, w) / np.sum(w),
                explain=lambda labels, z, w: (
                    f"you divided by the sum of the class weights, {fmt(np.sum(w))}; the "
                    f"convention asks for the sum over the examples, Σw = "
                    f"{fmt(_sum_w(labels, w))}.")),
        Mistake("weights ignored", value=lambda labels, z, w: np.mean(_per_example(labels, z)),
                explain=lambda labels, z, w: (
                    "that is the unweighted mean; each example's loss is multiplied by the "
                    "weight of its class, class_weight[y].")),
        Mistake("weights by position",
                value=lambda labels, z, w: (np.sum(np.asarray(w)[:len(labels)]
                                                   * _per_example(labels, z))
                                            / np.sum(np.asarray(w)[:len(labels)])),
                explain=lambda labels, z, w: (
                    "you gave example n the weight class_weight[n]; it takes the weight of its "
                    "class, class_weight[labels[n]].")),
    ),
    hints=(
        "each example's loss is its softmax cross-entropy times w[y], the weight of its class. "
        "This book's weighted mean divides by the sum of the weights used, sum_n w[y_n] (as "
        "PyTorch does for integer labels), not by N.",
        "weights = class_weight[labels]; return np.sum(weights * losses) / np.sum(weights), with "
        "the per-example losses from a stable log-sum-exp.",
    ),
    strategy=_weighted_batches,
)


# ---------------------------------------------------------------------------------------------
# lesson 8: focal-loss gradient


def _focal_grad(y, z, gamma):
    return celib.binary_focal_loss_grad(y, z, from_logits=True, gamma=gamma, reduction="none")


def _focal_parts(y, z):
    """s = ±1, q_t and 1 - q_t, computed without cancellation."""
    y, z = np.asarray(y, dtype=np.float64), np.asarray(z, dtype=np.float64)
    s = 2 * y - 1
    return s, celib.sigmoid(s * z), celib.sigmoid(-s * z)


def _focal_constant_weight(y, z, gamma):
    _, _, rest = _focal_parts(y, z)
    return rest ** gamma * (celib.sigmoid(z) - np.asarray(y))


def _focal_without_sign(y, z, gamma):
    s, _, _ = _focal_parts(y, z)
    return s * _focal_grad(y, z, gamma)  # dℓ/du = s dℓ/dz, as s * s = 1


FOCAL_GRAD = Exercise(
    name="ch08-focal-grad",
    lesson=8,
    title="The gradient of the focal loss",
    answer="focal_loss_grad",
    params=("y", "z", "gamma"),
    quantity="gradient dℓ/dz",
    reference=_focal_grad,
    cases=(
        Case((np.array([1.0, 0.0, 1.0]), np.array([0.5, -1.0, 2.0]), 0.0),
             "y = [1, 0, 1], z = [0.5, -1.0, 2.0], gamma = 0"),
        Case((np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.5, -1.0, 2.0, 3.0]), 2.0),
             "y = [1, 0, 1, 0], z = [0.5, -1.0, 2.0, 3.0], gamma = 2"),
        Case((np.array([1.0, 0.0]), np.array([-40.0, 40.0]), 2.0),
             "y = [1, 0], z = [-40.0, 40.0], gamma = 2"),
        Case((np.array([0.0, 1.0]), np.array([800.0, -800.0]), 2.0),
             "y = [0, 1], z = [800.0, -800.0], gamma = 2"),
        Case((np.array([1.0, 0.0]), np.array([40.0, -40.0]), 0.5),
             "y = [1, 0], z = [40.0, -40.0], gamma = 0.5 (confident and right)"),
        Case((np.array([1.0, 0.0, 1.0]), np.array([1e4, -1e4, -1e4]), 3.0),
             "y = [1, 0, 1], z = [1e4, -1e4, -1e4], gamma = 3", hidden=True),
        Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.1, -0.2, 5.0]), 1.0),
             "y = [0, 1, 1, 0], z = [0, 0.1, -0.2, 5], gamma = 1", hidden=True),
    ),
    mistakes=(
        Mistake("constant factor", value=_focal_constant_weight,
                explain=lambda y, z, gamma: (
                    "that is (1 - q_t)^gamma times the cross-entropy gradient sigmoid(z) - y. "
                    "The factor (1 - q_t)^gamma depends on z too: the product rule adds "
                    "gamma (1 - q_t)^(gamma - 1) q_t (1 - q_t) log q_t.")),
        Mistake("sign", value=_focal_without_sign,
                explain=lambda y, z, gamma: (
                    "the sign is wrong for some labels: you differentiated with respect to "
                    "u = s z (the true class's logit, s = +1 for y = 1 and -1 for y = 0); "
                    "multiply by du/dz = s.")),
    ),
    hints=(
        "write the loss with the true class's logit u = s z (s = 2y - 1) and q_t = sigmoid(u): "
        "ℓ = -(1 - q_t)^gamma log q_t. Differentiate in u with the product rule, using "
        "dq_t/du = q_t (1 - q_t); then dℓ/dz = s dℓ/du.",
        "dℓ/du = (1 - q_t)^gamma (gamma q_t log q_t - (1 - q_t)). Compute log q_t = "
        "-softplus(-u) and 1 - q_t = exp(-softplus(u)) so that nothing overflows or becomes "
        "0 * inf at |z| = 800.",
    ),
    strategy=lambda: _focal_inputs(),
)


def _focal_inputs():
    from hypothesis import strategies as st

    return st.tuples(binary_labels_and_logits(), st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])).map(
        lambda yzg: (*yzg[0], yzg[1]))


# ---------------------------------------------------------------------------------------------
# lesson 9: expected calibration error


def _ece(labels, probs, n_bins):
    return celib.expected_calibration_error(labels, probs, n_bins=n_bins)


def _ece_by(labels, probs, n_bins, bins, weigh="share"):
    """ECE with the given bin of each example (a mistake model)."""
    probs = np.asarray(probs)
    conf, correct = probs.max(axis=-1), probs.argmax(axis=-1) == np.asarray(labels)
    gaps, counts = [], []
    for m in range(n_bins):
        in_bin = bins == m
        if in_bin.any():
            gaps.append(abs(correct[in_bin].mean() - conf[in_bin].mean()))
            counts.append(in_bin.sum())
    gaps, counts = np.array(gaps), np.array(counts)
    if weigh == "share":
        return np.sum(gaps * counts) / len(conf)
    if weigh == "count":
        return np.sum(gaps * counts)
    return np.mean(gaps)


def _right_closed(probs, n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.digitize(np.asarray(probs).max(axis=-1), edges[1:-1], right=True)


def _ece_left_closed(labels, probs, n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.digitize(np.asarray(probs).max(axis=-1), edges[1:-1], right=False)
    return _ece_by(labels, probs, n_bins, bins)


def _ece_floor(labels, probs, n_bins):
    bins = (np.asarray(probs).max(axis=-1) * n_bins).astype(int)
    return _ece_by(labels, probs, n_bins, bins)


_DOCSTRING = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]]), np.array([0, 1, 1, 1])

ECE = Exercise(
    name="ch09-ece",
    lesson=9,
    title="Expected calibration error",
    answer="expected_calibration_error",
    params=("labels", "probs", "n_bins"),
    quantity="ECE",
    reference=_ece,
    cases=(
        Case((_DOCSTRING[1], _DOCSTRING[0], 10),
             "labels = [0, 1, 1, 1], probs = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], "
             "[0.45, 0.55]], n_bins = 10"),
        Case((_DOCSTRING[1], _DOCSTRING[0], 2), "the same four predictions, n_bins = 2"),
        Case((np.array([0, 0, 0, 1]), np.array([[0.75, 0.25], [0.25, 0.75], [0.6, 0.4],
                                                 [0.9, 0.1]]), 4),
             "labels = [0, 0, 0, 1], probs = [[0.75, 0.25], [0.25, 0.75], [0.6, 0.4], "
             "[0.9, 0.1]], n_bins = 4 (confidence 0.75 on a bin edge)"),
        Case((np.array([1, 0, 0]), np.array([[1.0, 0.0], [0.2, 0.8], [0.6, 0.4]]), 5),
             "labels = [1, 0, 0], probs = [[1.0, 0.0], [0.2, 0.8], [0.6, 0.4]], n_bins = 5 "
             "(a wrong answer at confidence 1.0)"),
        Case((np.array([2, 0, 1]), np.array([[0.1, 0.3, 0.6], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]),
              15), "three classes, labels = [2, 0, 1], n_bins = 15 (most bins empty)"),
        Case((np.array([1, 1, 0, 2, 2, 0]),
              np.array([[0.2, 0.7, 0.1], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0],
                        [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2]]), 3),
             "six predictions with ties and a confidence of 1/3, n_bins = 3", hidden=True),
    ),
    mistakes=(
        Mistake("bin edges", value=_ece_left_closed,
                explain=lambda labels, probs, n_bins: (
                    "a confidence on a bin edge went into the bin above; the bins are "
                    "(m/M, (m+1)/M], closed on the right, so 0.75 with M = 4 is in (0.5, 0.75] "
                    f"(the ECE is {fmt(_ece(labels, probs, n_bins))}).")),
        Mistake("confidence 1.0 lost", value=_ece_floor,
                explain=lambda labels, probs, n_bins: (
                    "floor(1.0 * M) = M is past the last bin, so a confidence of 1.0 was "
                    "dropped; it belongs to the last bin, (1 - 1/M, 1] (the ECE is "
                    f"{fmt(_ece(labels, probs, n_bins))}).")),
        Mistake("bins weighed equally",
                value=lambda labels, probs, n_bins: _ece_by(
                    labels, probs, n_bins, _right_closed(probs, n_bins), weigh="equal"),
                explain=lambda labels, probs, n_bins: (
                    "you averaged the gaps of the non-empty bins equally; the ECE weighs each "
                    "bin's gap |acc - conf| by its share of the examples, |B_m| / N.")),
        Mistake("not normalised",
                value=lambda labels, probs, n_bins: _ece_by(
                    labels, probs, n_bins, _right_closed(probs, n_bins), weigh="count"),
                explain=lambda labels, probs, n_bins: (
                    f"you weighed each bin by its count and did not divide by N = {len(labels)}; "
                    "the ECE lies in [0, 1].")),
    ),
    hints=(
        "confidence = probs.max(axis=1), correct = probs.argmax(axis=1) == labels. Bin m holds "
        "the confidences in (m/M, (m+1)/M]; ECE = sum over the non-empty bins of "
        "|B_m| / N * |mean(correct) - mean(confidence)| in that bin.",
        "with edges = np.linspace(0, 1, M + 1), np.digitize(confidence, edges[1:-1], right=True) "
        "gives each example's bin in 0 .. M-1, right-closed, with 1.0 in the last bin.",
    ),
    strategy=lambda: _ece_inputs(),
)


def _ece_inputs():
    from hypothesis import strategies as st

    return st.tuples(labels_and_probabilities(), st.sampled_from([1, 2, 3, 4, 5, 10])).map(
        lambda lpm: (*lpm[0], lpm[1]))


# ---------------------------------------------------------------------------------------------
# lesson 10: chunked cross-entropy


def _chunked(labels, hidden, weight, chunk_size):
    return celib.sparse_categorical_cross_entropy(labels, np.asarray(hidden) @ weight,
                                                  from_logits=True)


def _chunked_dropped_tail(divide_by_n):
    def value(labels, hidden, weight, chunk_size):
        rows = len(labels) // chunk_size * chunk_size
        total = np.sum(_per_example(labels[:rows], hidden[:rows] @ weight))
        return total / (len(labels) if divide_by_n else rows)
    return value


def _chunked_mean_of_means(labels, hidden, weight, chunk_size):
    losses = _per_example(labels, np.asarray(hidden) @ weight)
    return np.mean([losses[i:i + chunk_size].mean() for i in range(0, len(labels), chunk_size)])


def _chunked_cases():
    rng = np.random.default_rng(10)

    def problem(n, d, v, scale=1.0):
        return (rng.integers(0, v, size=n), rng.normal(size=(n, d)),
                rng.normal(scale=scale, size=(d, v)))

    big = problem(2048, 16, 1024)
    logits_bytes = 2048 * 1024 * 8
    return (
        Case((*problem(5, 3, 7), 2), "N = 5 tokens, V = 7, chunk_size = 2"),
        Case((*problem(3, 4, 6), 8), "N = 3 tokens, V = 6, chunk_size = 8 (one short chunk)"),
        Case((*problem(6, 4, 9, scale=400.0), 4), "N = 6 tokens, V = 9, logits in the hundreds, "
                                                  "chunk_size = 4"),
        Case((*big, 64), "N = 2048 tokens, V = 1024, chunk_size = 64",
             max_bytes=logits_bytes // 4,
             memory_note=(f"; the (N, V) logits alone take {logits_bytes / 2**20:.1f} MiB: "
                          "compute them chunk_size rows at a time")),
        Case((*problem(7, 3, 50, scale=100.0), 3), "N = 7 tokens, V = 50, chunk_size = 3",
             hidden=True),
        Case((*problem(1000, 8, 2000), 50), "N = 1000 tokens, V = 2000, chunk_size = 50",
             hidden=True, max_bytes=1000 * 2000 * 8 // 4,
             memory_note="; the (N, V) logits alone take 15.3 MiB"),
    )


def _chunked_inputs():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    floats = st.floats(-5, 5, allow_nan=False, allow_subnormal=False)

    def build(shape):
        n, d, v, c = shape
        return st.tuples(hnp.arrays(np.int64, n, elements=st.integers(0, v - 1)),
                         hnp.arrays(np.float64, (n, d), elements=floats),
                         hnp.arrays(np.float64, (d, v), elements=floats), st.just(c))

    return st.tuples(st.integers(1, 9), st.integers(1, 3), st.integers(2, 6),
                     st.integers(1, 4)).flatmap(build)


CHUNKED_CE = Exercise(
    name="ch10-chunked-ce",
    lesson=10,
    title="Cross-entropy without the (N, V) logits",
    answer="chunked_cross_entropy",
    params=("labels", "hidden", "weight", "chunk_size"),
    quantity="loss",
    reference=_chunked,
    cases=_chunked_cases(),
    mistakes=(
        Mistake("last chunk dropped", value=_chunked_dropped_tail(divide_by_n=False),
                explain=lambda labels, hidden, weight, c: (
                    f"you skipped the last N mod chunk_size = {len(labels) % c} rows (the "
                    "final, shorter chunk); loop with range(0, N, chunk_size).")),
        Mistake("last chunk dropped", value=_chunked_dropped_tail(divide_by_n=True),
                explain=lambda labels, hidden, weight, c: (
                    f"you skipped the last N mod chunk_size = {len(labels) % c} rows (the "
                    "final, shorter chunk) but divided by N; loop with range(0, N, chunk_size).")),
        Mistake("mean of chunk means", value=_chunked_mean_of_means,
                explain=lambda labels, hidden, weight, c: (
                    "you averaged the chunks' means; the last chunk is shorter, so its tokens "
                    "weigh more. Add up the token losses and divide by N once.")),
    ),
    hints=(
        "loop over the rows in chunks: for start in range(0, N, chunk_size), compute only "
        "z = hidden[start:start + chunk_size] @ weight, a (chunk_size, V) block, and add up the "
        "chunk's token losses logsumexp(z) - z[target].",
        "keep a running sum of the losses (a float), not a list of blocks; divide by N at the "
        "end. Use the row maximum inside logsumexp: the logits can be large.",
    ),
    strategy=_chunked_inputs,
)


# ---------------------------------------------------------------------------------------------
# lesson 10: vocabulary-parallel combine


def _shard_stats(labels, z, widths):
    """(maxes, sumexps, targets), each (K, N), from logits z split into shards of these widths."""
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    # keywords: celib's argument order is moving to target-first
    stats = [vocab_shard_stats(logit_shard=z[:, s:s + w], labels=labels, vocab_start=int(s))
             for s, w in zip(starts, widths)]
    return tuple(np.stack([st[i] for st in stats]) for i in range(3))


def _combine(maxes, sumexps, targets):
    total = combine_vocab_shard_stats([VocabShardStats(*kst) for kst in zip(maxes, sumexps,
                                                                            targets)])
    return total.max - total.target + np.log(total.sumexp)


def _combine_cases():
    rng = np.random.default_rng(11)
    z_far = np.concatenate([rng.normal(800.0, 1.0, size=(2, 3)), rng.normal(size=(2, 3))], axis=1)
    z_low = rng.normal(-800.0, 2.0, size=(2, 6))
    return (
        Case(_shard_stats(np.array([0, 4, 2]), rng.normal(size=(3, 6)), [3, 3]),
             "K = 2 shards of 3 entries, N = 3 tokens"),
        Case(_shard_stats(np.array([1, 5, 7, 9]), rng.normal(scale=3.0, size=(4, 10)),
                          [2, 3, 1, 4]), "K = 4 shards of widths 2, 3, 1, 4, N = 4 tokens"),
        Case(_shard_stats(np.array([4, 1]), z_far, [3, 3]),
             "K = 2 shards, logits near 800 on shard 0 and near 0 on shard 1"),
        Case(_shard_stats(np.array([0, 5]), z_low, [2, 2, 2]),
             "K = 3 shards, every logit near -800"),
        Case(_shard_stats(rng.integers(0, 40, size=16), rng.normal(scale=300.0, size=(16, 40)),
                          [5] * 8), "K = 8 shards, N = 16, logits of scale 300", hidden=True),
        Case(_shard_stats(np.array([2, 0]), rng.normal(size=(2, 4)), [4]), "K = 1 shard",
             hidden=True),
    )


def _combine_inputs():
    from hypothesis import strategies as st

    def split(lz):
        labels, z = lz
        v = z.shape[1]
        return st.integers(1, v - 1).map(lambda k: _shard_stats(labels, z, [k, v - k]))

    return labels_and_logits(n_max=4, c_max=6, bound=50.0).flatmap(split)


VOCAB_COMBINE = Exercise(
    name="ch10-vocab-combine",
    lesson=10,
    title="The combine step of vocabulary-parallel cross-entropy",
    answer="combine_shards",
    params=("maxes", "sumexps", "targets"),
    quantity="loss per token",
    reference=_combine,
    cases=_combine_cases(),
    mistakes=(
        Mistake("not rescaled",
                value=lambda m, s, t: m.max(axis=0) + np.log(s.sum(axis=0)) - t.sum(axis=0),
                explain=lambda m, s, t: (
                    "you added the shards' sums as they are; each s_k is relative to its own "
                    "maximum m_k, so multiply it by exp(m_k - M), with M the global maximum, "
                    "before adding.")),
        Mistake("logs added",
                value=lambda m, s, t: np.sum(m + np.log(s), axis=0) - t.sum(axis=0),
                explain=lambda m, s, t: (
                    "you added the shards' log-sum-exps; sums of exponentials add, their logs "
                    "do not. Add the rescaled sums, then take one log.")),
        Mistake("target from one shard",
                value=lambda m, s, t: _combine(m, s, t) + t.sum(axis=0) - t[0],
                explain=lambda m, s, t: (
                    "you took the target logit from the first shard only; it lives on the one "
                    "shard that holds the target (0 on the others): sum the targets over the "
                    "shards.")),
        Mistake("wrong reduction", value=lambda m, s, t: np.mean(_combine(m, s, t)),
                explain=lambda m, s, t: (
                    f"that is the mean over the tokens; return one loss per token, an array of "
                    f"shape ({m.shape[1]},).")),
    ),
    hints=(
        "shard k sends three numbers per token: its maximum m_k, its sum s_k = sum exp(z - m_k) "
        "and the target logit t_k (0 if the target is elsewhere). The loss is "
        "log(sum over all entries of exp(z)) - z_target.",
        "M = maxes.max(axis=0); S = np.sum(sumexps * np.exp(maxes - M), axis=0); the loss is "
        "M + log(S) - targets.sum(axis=0): no exponent is ever positive.",
    ),
    strategy=_combine_inputs,
)

EXERCISES = (WEIGHTED_MEAN, FOCAL_GRAD, ECE, CHUNKED_CE, VOCAB_COMBINE)
