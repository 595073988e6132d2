"""Reference solutions of the coding exercises, written as a learner would (NumPy only).

Each function is the one shown, collapsed, in its lesson's solution dropdown: the test
``tests/test_exercises_lessons.py`` checks that the lesson's solution cell holds this exact
source, and ``tests/test_exercises.py`` that it passes its checker, hidden inputs included.
They deliberately do not call ``celib``: the checker compares them with it.
"""

import numpy as np

__all__ = [
    "entropy_bits", "cross_entropy", "kl_divergence", "log_likelihood", "binary_cross_entropy",
    "log_softmax", "softmax_cross_entropy", "masked_cross_entropy", "weighted_cross_entropy",
    "focal_loss_grad", "expected_calibration_error", "chunked_cross_entropy", "combine_shards",
]


# ---------------------------------------------------------------------------------------------
# lessons 5-7

def binary_cross_entropy(y, z):
    """Mean binary cross-entropy in nats, labels y in {0, 1}, logits z."""
    y, z = np.asarray(y), np.asarray(z)

    def softplus(x):  # log(1 + exp(x)); the exponent is never positive
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    return np.mean(y * softplus(-z) + (1 - y) * softplus(z))


def log_softmax(z):
    """log softmax(z) over the last axis; -inf logits stay -inf."""
    z = np.asarray(z)
    m = z.max(axis=-1, keepdims=True)  # per row: no exp(...) exceeds 1
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(labels, z):
    """Mean softmax cross-entropy in nats; labels (N,), logits (N, C)."""
    labels, z = np.asarray(labels), np.asarray(z)
    m = z.max(axis=-1, keepdims=True)
    # the log-sum-exp of each row
    log_norm = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))
    # index the target logits: a one-hot product would give 0 * (-inf)
    target = z[np.arange(len(labels)), labels]
    return np.mean(log_norm - target)


def masked_cross_entropy(labels, z, ignore_index):
    """Mean softmax cross-entropy of the kept tokens (0.0 if none)."""
    labels, z = np.asarray(labels), np.asarray(z)
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)  # a valid column for every row
    m = z.max(axis=-1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))
    losses = log_norm - z[np.arange(len(safe)), safe]
    kept = keep.sum()
    return losses[keep].sum() / kept if kept else 0.0


# ---------------------------------------------------------------------------------------------
# lessons 1-4


def entropy_bits(p):
    """Entropy of the distribution p in bits (outcomes with p = 0 add 0)."""
    p = np.asarray(p, dtype=float)
    nz = p[p > 0]  # 0 log 0 counts as 0: drop those outcomes first
    return -np.sum(nz * np.log2(nz))


def cross_entropy(p, q, base):
    """Cross-entropy H(p, q) in the given log base (2: bits, e: nats)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    m = p > 0  # terms with p = 0 contribute 0, even where q = 0
    # q = 0 where p > 0: the log is -inf and H(p, q) = inf, which is right
    with np.errstate(divide="ignore"):
        return -np.sum(p[m] * np.log(q[m])) / np.log(base)


def kl_divergence(p, q):
    """KL divergence D(p || q) in nats; inf where q = 0 < p."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    m = p > 0
    with np.errstate(divide="ignore"):  # p / 0 = inf: D is infinite
        return np.sum(p[m] * np.log(p[m] / q[m]))


def log_likelihood(labels, q):
    """Log-likelihood sum_n ln q[n, y_n] of a data set, in nats."""
    labels, q = np.asarray(labels), np.asarray(q)
    picked = q[np.arange(len(labels)), labels]  # q[n, y_n] for every n
    return np.sum(np.log(picked))  # a product would underflow; this never


# ---------------------------------------------------------------------------------------------
# lessons 8-10


def weighted_cross_entropy(labels, z, class_weight):
    """Class-weighted softmax cross-entropy over sum_n w[y_n]."""
    labels, z = np.asarray(labels), np.asarray(z)
    w = np.asarray(class_weight)
    m = z.max(axis=-1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))
    losses = log_norm - z[np.arange(len(labels)), labels]
    weights = w[labels]  # each example weighs as much as its class
    return np.sum(weights * losses) / np.sum(weights)


def focal_loss_grad(y, z, gamma):
    """d/dz of the focal loss -(1 - q_t)^gamma log q_t, per element."""
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)

    def softplus(x):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    s = 2 * y - 1  # +1 for a positive, -1 for a negative
    u = s * z  # the logit of the true class
    log_qt = -softplus(-u)  # log sigmoid(u)
    qt = np.exp(log_qt)
    rest = np.exp(-softplus(u))  # 1 - q_t = sigmoid(-u), no cancellation
    return s * np.exp(gamma * -softplus(u)) * (gamma * qt * log_qt - rest)


def expected_calibration_error(labels, probs, n_bins):
    """ECE of the top-label confidence, n_bins equal right-closed bins."""
    labels, probs = np.asarray(labels), np.asarray(probs)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0, 1, n_bins + 1)
    # bin m holds (m/M, (m+1)/M]; a confidence of 1.0 is in the last one
    bins = np.digitize(confidence, edges[1:-1], right=True)
    ece = 0.0
    for m in range(n_bins):
        in_bin = bins == m
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            ece += in_bin.mean() * gap  # weighted by the bin's share
    return ece


def chunked_cross_entropy(labels, hidden, weight, chunk_size):
    """Mean cross-entropy of hidden @ weight, chunk_size rows at a time."""
    labels, hidden = np.asarray(labels), np.asarray(hidden)
    weight = np.asarray(weight)
    total = 0.0
    for start in range(0, len(labels), chunk_size):
        # (chunk, V): the only logits ever held
        z = hidden[start:start + chunk_size] @ weight
        y = labels[start:start + chunk_size]
        m = z.max(axis=-1, keepdims=True)
        log_norm = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))
        total += np.sum(log_norm - z[np.arange(len(y)), y])
    return total / len(labels)  # divide once, by N: tokens weigh the same


def combine_shards(maxes, sumexps, targets):
    """Loss per token from K shards' statistics, each shaped (K, N)."""
    maxes, sumexps = np.asarray(maxes), np.asarray(sumexps)
    targets = np.asarray(targets)
    big_m = maxes.max(axis=0)  # the all-reduce max
    # each sum rescaled to the global maximum, then the all-reduce sum
    s = np.sum(sumexps * np.exp(maxes - big_m), axis=0)
    # the target logit lives on one shard (0 on the others): sum them
    return big_m + np.log(s) - targets.sum(axis=0)
