"""Every checker catches the classic mistakes: one test per known-wrong implementation.

Each entry is (exercise, short id, wrong function, expected failure kind, a phrase the first
failure's message must contain). The functions are what learners plausibly write: the naive
formula, an unstable one, a wrong reduction or axis, an off-by-one label, and so on. A checker
whose body passes everything fails every test here (checked by hand, see issue 21's note).
"""

import numpy as np
import pytest

import celib.exercises as cx


def _softplus_naive(x):
    return np.log(1 + np.exp(x))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _lse_rows(z):
    m = z.max(axis=-1, keepdims=True)
    return m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))


# ---- lesson 1: entropy in bits --------------------------------------------------------------

def entropy_naive(p):
    return -np.sum(p * np.log2(p))


def entropy_nats(p):
    nz = p[p > 0]
    return -np.sum(nz * np.log(nz))


def entropy_no_minus(p):
    nz = p[p > 0]
    return np.sum(nz * np.log2(nz))


def entropy_unweighted(p):
    return -np.mean(np.log2(p[p > 0]))


# ---- lesson 2: cross-entropy in bits and nats -----------------------------------------------

def ce_ignores_base(p, q, base):
    m = p > 0
    return -np.sum(p[m] * np.log2(q[m]))


def ce_naive(p, q, base):
    return -np.sum(p * np.log(q)) / np.log(base)


def ce_swapped(p, q, base):
    m = q > 0
    return -np.sum(q[m] * np.log(p[m])) / np.log(base)


def ce_clipped(p, q, base):
    return -np.sum(p * np.log(np.clip(q, 1e-12, 1.0))) / np.log(base)


# ---- lesson 3: KL divergence ----------------------------------------------------------------

def kl_naive(p, q):
    return np.sum(p * np.log(p / q))


def kl_swapped(p, q):
    m = q > 0
    return np.sum(q[m] * np.log(q[m] / p[m]))


def kl_clipped(p, q):
    m = p > 0
    return np.sum(p[m] * np.log(p[m] / np.clip(q[m], 1e-12, None)))


def kl_bits(p, q):
    m = p > 0
    return np.sum(p[m] * np.log2(p[m] / q[m]))


# ---- lesson 4: log-likelihood ---------------------------------------------------------------

def ll_product(labels, q):
    return np.log(np.prod(q[np.arange(len(labels)), labels]))


def ll_mean(labels, q):
    return np.mean(np.log(q[np.arange(len(labels)), labels]))


def ll_one_hot(labels, q):
    onehot = np.eye(q.shape[1])[labels]
    return np.sum(onehot * np.log(q))


def ll_off_by_one(labels, q):
    return np.sum(np.log(q[np.arange(len(labels)), labels - 1]))


def ll_negative(labels, q):
    return -np.sum(np.log(q[np.arange(len(labels)), labels]))


# ---- lesson 5: binary cross-entropy from logits ---------------------------------------------

def bce_naive(y, z):
    q = 1 / (1 + np.exp(-z))
    return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)))


def bce_one_line_unstable(y, z):
    return np.mean(_softplus_naive(z) - y * z)


def bce_clipped(y, z):
    q = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)))


def bce_sum(y, z):
    return np.sum(y * _softplus(-z) + (1 - y) * _softplus(z))


def bce_float64_threshold(y, z):
    # switches to the asymptote above 30: right in float64, but exp(12) overflows float16
    def sp(x):
        return np.where(x > 30, x, np.log1p(np.exp(x)))
    return np.mean(y * sp(-z) + (1 - y) * sp(z))


# ---- lesson 6: log-softmax ------------------------------------------------------------------

def ls_naive(z):
    e = np.exp(z)
    return np.log(e / e.sum(axis=-1, keepdims=True))


def ls_global_max(z):
    m = z.max()
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def ls_axis0(z):
    m = z.max(axis=0, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=0, keepdims=True))


def ls_no_keepdims(z):
    m = z.max(axis=-1)
    return z - m - np.log(np.exp(z - m).sum(axis=-1))


def ls_probabilities(z):
    m = z.max(axis=-1, keepdims=True)
    e = np.exp(z - m)
    return e / e.sum(axis=-1, keepdims=True)


# ---- lesson 6: softmax cross-entropy --------------------------------------------------------

def sce_naive(labels, z):
    e = np.exp(z)
    q = e / e.sum(axis=-1, keepdims=True)
    return -np.mean(np.log(q[np.arange(len(labels)), labels]))


def sce_one_hot(labels, z):
    m = z.max(axis=-1, keepdims=True)
    lsm = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return -np.mean(np.sum(np.eye(z.shape[1])[labels] * lsm, axis=-1))


def sce_off_by_one(labels, z):
    return np.mean(_lse_rows(z) - z[np.arange(len(labels)), labels - 1])


def sce_sum(labels, z):
    return np.sum(_lse_rows(z) - z[np.arange(len(labels)), labels])


def sce_double_softmax(labels, z):
    m = z.max(axis=-1, keepdims=True)
    q = np.exp(z - m) / np.exp(z - m).sum(axis=-1, keepdims=True)
    return np.mean(_lse_rows(q) - q[np.arange(len(labels)), labels])


# ---- lesson 7: ignore_index -----------------------------------------------------------------

def ign_index_first(labels, z, ignore_index):
    losses = _lse_rows(z) - z[np.arange(len(labels)), labels]
    return np.sum(losses * (labels != ignore_index)) / len(labels)


def ign_over_n(labels, z, ignore_index):
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    losses = _lse_rows(z) - z[np.arange(len(labels)), safe]
    return np.sum(losses[keep]) / len(labels)


def ign_empty_mean(labels, z, ignore_index):
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    losses = _lse_rows(z) - z[np.arange(len(labels)), safe]
    return np.mean(losses[keep])


def ign_negative_is_padding(labels, z, ignore_index):
    keep = labels >= 0  # assumes padding is negative: wrong for ignore_index = 3
    safe = np.where(keep, labels, 0)
    losses = _lse_rows(z) - z[np.arange(len(labels)), safe]
    return np.sum(losses[keep]) / max(keep.sum(), 1)


# ---- lesson 8: weighted mean ----------------------------------------------------------------

def _losses(labels, z):
    return _lse_rows(z) - z[np.arange(len(labels)), labels]


def wm_over_n(labels, z, w):
    return np.sum(w[labels] * _losses(labels, z)) / len(labels)


def wm_unweighted(labels, z, w):
    return np.mean(_losses(labels, z))


def wm_sum_of_class_weights(labels, z, w):
    return np.sum(w[labels] * _losses(labels, z)) / np.sum(w)


def wm_by_position(labels, z, w):
    return np.sum(w * _losses(labels, z)) / np.sum(w)


# ---- lesson 8: focal-loss gradient ----------------------------------------------------------

def focal_constant_factor(y, z, gamma):
    q = 1 / (1 + np.exp(-z))
    qt = np.where(y == 1, q, 1 - q)
    return (1 - qt) ** gamma * (q - y)


def focal_unstable(y, z, gamma):
    q = 1 / (1 + np.exp(-z))
    qt = np.where(y == 1, q, 1 - q)
    s = 2 * y - 1
    # (1 - qt)^(gamma - 1) * (1 - qt): inf * 0 when qt rounds to 1
    dl_du = (gamma * (1 - qt) ** (gamma - 1) * qt * (1 - qt) * np.log(qt)
             - (1 - qt) ** gamma * (1 - qt))
    return s * dl_du


def focal_missing_sign(y, z, gamma):
    s = 2 * y - 1
    u = s * z
    log_qt = -_softplus(-u)
    return np.exp(gamma * -_softplus(u)) * (gamma * np.exp(log_qt) * log_qt - np.exp(-_softplus(u)))


# ---- lesson 9: expected calibration error ---------------------------------------------------

def _ece_with_bins(labels, probs, n_bins, bins, weigh="share"):
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    total, gaps = 0.0, []
    for m in range(n_bins):
        sel = bins == m
        if sel.any():
            gap = abs(correct[sel].mean() - conf[sel].mean())
            gaps.append(gap)
            total += (sel.mean() if weigh == "share" else sel.sum()) * gap
    return np.mean(gaps) if weigh == "equal" else total


def ece_floor_bins(labels, probs, n_bins):
    return _ece_with_bins(labels, probs, n_bins, (probs.max(axis=1) * n_bins).astype(int))


def ece_left_closed(labels, probs, n_bins):
    edges = np.linspace(0, 1, n_bins + 1)
    return _ece_with_bins(labels, probs, n_bins, np.digitize(probs.max(axis=1), edges[1:-1]))


def ece_equal_bins(labels, probs, n_bins):
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.digitize(probs.max(axis=1), edges[1:-1], right=True)
    return _ece_with_bins(labels, probs, n_bins, bins, weigh="equal")


def ece_counts(labels, probs, n_bins):
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.digitize(probs.max(axis=1), edges[1:-1], right=True)
    return _ece_with_bins(labels, probs, n_bins, bins, weigh="count")


# ---- lesson 10: chunked cross-entropy -------------------------------------------------------

def chunk_full_logits(labels, hidden, weight, chunk_size):
    z = hidden @ weight
    return np.mean(_lse_rows(z) - z[np.arange(len(labels)), labels])


def chunk_drops_tail(labels, hidden, weight, chunk_size):
    total, n = 0.0, 0
    for i in range(len(labels) // chunk_size):
        z = hidden[i * chunk_size:(i + 1) * chunk_size] @ weight
        y = labels[i * chunk_size:(i + 1) * chunk_size]
        total += np.sum(_lse_rows(z) - z[np.arange(len(y)), y])
        n += len(y)
    return total / n


def chunk_mean_of_means(labels, hidden, weight, chunk_size):
    means = []
    for s in range(0, len(labels), chunk_size):
        z = hidden[s:s + chunk_size] @ weight
        y = labels[s:s + chunk_size]
        means.append(np.mean(_lse_rows(z) - z[np.arange(len(y)), y]))
    return np.mean(means)


def chunk_naive_softmax(labels, hidden, weight, chunk_size):
    total = 0.0
    for s in range(0, len(labels), chunk_size):
        z = hidden[s:s + chunk_size] @ weight
        y = labels[s:s + chunk_size]
        total += np.sum(np.log(np.exp(z).sum(axis=-1)) - z[np.arange(len(y)), y])
    return total / len(labels)


# ---- lesson 10: vocabulary-parallel combine -------------------------------------------------

def combine_naive_exp(maxes, sumexps, targets):
    return np.log(np.sum(sumexps * np.exp(maxes), axis=0)) - targets.sum(axis=0)


def combine_not_rescaled(maxes, sumexps, targets):
    return maxes.max(axis=0) + np.log(sumexps.sum(axis=0)) - targets.sum(axis=0)


def combine_logs_added(maxes, sumexps, targets):
    return np.sum(maxes + np.log(sumexps), axis=0) - targets.sum(axis=0)


def combine_first_target(maxes, sumexps, targets):
    m = maxes.max(axis=0)
    return m + np.log(np.sum(sumexps * np.exp(maxes - m), axis=0)) - targets[0]


def combine_mean(maxes, sumexps, targets):
    m = maxes.max(axis=0)
    return np.mean(m + np.log(np.sum(sumexps * np.exp(maxes - m), axis=0)) - targets.sum(axis=0))


WRONG = [
    ("ch01-entropy-bits", "naive", entropy_naive, "NaN", "p = [0.0, 1.0]"),
    ("ch01-entropy-bits", "nats", entropy_nats, "wrong base", "in bits it is 1.0"),
    ("ch01-entropy-bits", "no-minus", entropy_no_minus, "missing minus sign", "never negative"),
    ("ch01-entropy-bits", "unweighted", entropy_unweighted, "unweighted average", "weights each"),
    ("ch02-cross-entropy-base", "ignores-base", ce_ignores_base, "wrong base", "in bits; base = e"),
    ("ch02-cross-entropy-base", "naive", ce_naive, "NaN", "a zero in both"),
    ("ch02-cross-entropy-base", "swapped", ce_swapped, "arguments swapped", "H(q, p)"),
    ("ch02-cross-entropy-base", "clipped", ce_clipped, "infinite", "q = 0 where p > 0"),
    ("ch03-kl-q-zero", "naive", kl_naive, "NaN", "p = [1.0, 0.0], q = [0.5, 0.5]"),
    ("ch03-kl-q-zero", "swapped", kl_swapped, "wrong direction", "D(q ‖ p)"),
    ("ch03-kl-q-zero", "clipped", kl_clipped, "infinite", "the divergence is inf"),
    ("ch03-kl-q-zero", "bits", kl_bits, "wrong base", "in nats (natural log)"),
    ("ch04-log-likelihood", "product", ll_product, "underflow", "N = 2000"),
    ("ch04-log-likelihood", "mean", ll_mean, "wrong reduction", "you divided by N = 3"),
    ("ch04-log-likelihood", "one-hot", ll_one_hot, "NaN", "zeros on other classes"),
    ("ch04-log-likelihood", "off-by-one", ll_off_by_one, "off-by-one label", "class y - 1"),
    ("ch04-log-likelihood", "negative", ll_negative, "wrong sign", "negative log-likelihood"),
    ("ch05-stable-bce", "naive", bce_naive, "overflow",
     "at z = 40.0, y = 0.0 your function returned inf; the loss is 40.0."),
    ("ch05-stable-bce", "one-line-unstable", bce_one_line_unstable, "overflow",
     "at z = 800.0, y = 0.0 your function returned inf; the loss is 800.0."),
    ("ch05-stable-bce", "clipped", bce_clipped, "capped", "returned 16.1181; the loss is 40.0"),
    ("ch05-stable-bce", "sum", bce_sum, "wrong reduction", "the sum over the N = 4 examples"),
    ("ch05-stable-bce", "float64-threshold", bce_float64_threshold, "overflow", "in float16"),
    ("ch06-log-softmax", "naive", ls_naive, "NaN", "z = [[1000.0, 1001.0, 1002.0]]"),
    ("ch06-log-softmax", "global-max", ls_global_max, "shared maximum", "each row's own maximum"),
    ("ch06-log-softmax", "axis-0", ls_axis0, "wrong axis", "each column (axis 0)"),
    ("ch06-log-softmax", "no-keepdims", ls_no_keepdims, "wrong axis", "keepdims=True, shape (N, 1)"),
    ("ch06-log-softmax", "probabilities", ls_probabilities, "not a log", "softmax probabilities"),
    ("ch06-softmax-ce", "naive", sce_naive, "overflow", "the loss is 2000.0"),
    ("ch06-softmax-ce", "one-hot", sce_one_hot, "NaN", "masked logits"),
    ("ch06-softmax-ce", "off-by-one", sce_off_by_one, "off-by-one label", "class y - 1"),
    ("ch06-softmax-ce", "sum", sce_sum, "wrong reduction", "the sum over the N = 2 examples"),
    ("ch06-softmax-ce", "double-softmax", sce_double_softmax, "softmax applied twice",
     "a second time"),
    ("ch07-ignore-index", "index-first", ign_index_first, "error",
     "raised IndexError: index -100 is out of bounds"),
    ("ch07-ignore-index", "over-n", ign_over_n, "wrong reduction",
     "you divided by N = 5, the convention asks for the 3 tokens that are not ignored"),
    ("ch07-ignore-index", "empty-mean", ign_empty_mean, "all padding", "returned nan"),
    ("ch07-ignore-index", "negative-is-padding", ign_negative_is_padding, "error",
     "index 3 is out of bounds"),
    ("ch08-weighted-mean", "over-n", wm_over_n, "wrong reduction",
     "you divided by N = 5, the convention asks for Σw = 7.5"),
    ("ch08-weighted-mean", "unweighted", wm_unweighted, "weights ignored", "unweighted mean"),
    ("ch08-weighted-mean", "class-weight-sum", wm_sum_of_class_weights, "wrong reduction",
     "the sum of the class weights, 4.0"),
    ("ch08-weighted-mean", "by-position", wm_by_position, "error", "could not be broadcast"),
    ("ch08-focal-grad", "constant-factor", focal_constant_factor, "constant factor",
     "product rule"),
    ("ch08-focal-grad", "unstable", focal_unstable, "NaN", "gamma = 2"),
    ("ch08-focal-grad", "missing-sign", focal_missing_sign, "sign", "du/dz = s"),
    ("ch09-ece", "floor-bins", ece_floor_bins, "bin edges", "closed on the right"),
    ("ch09-ece", "left-closed", ece_left_closed, "bin edges", "0.75 with M = 4"),
    ("ch09-ece", "equal-bins", ece_equal_bins, "bins weighed equally", "|B_m| / N"),
    ("ch09-ece", "counts", ece_counts, "not normalised", "did not divide by N = 4"),
    ("ch10-chunked-ce", "full-logits", chunk_full_logits, "memory",
     "the (N, V) logits alone take 16.0 MiB"),
    ("ch10-chunked-ce", "drops-tail", chunk_drops_tail, "last chunk dropped",
     "N mod chunk_size = 1 rows"),
    ("ch10-chunked-ce", "mean-of-means", chunk_mean_of_means, "mean of chunk means",
     "divide by N once"),
    ("ch10-chunked-ce", "naive-softmax", chunk_naive_softmax, "overflow", "in the hundreds"),
    ("ch10-vocab-combine", "naive-exp", combine_naive_exp, "overflow", "near 800 on shard 0"),
    ("ch10-vocab-combine", "not-rescaled", combine_not_rescaled, "not rescaled", "exp(m_k - M)"),
    ("ch10-vocab-combine", "logs-added", combine_logs_added, "logs added", "their logs"),
    ("ch10-vocab-combine", "first-target", combine_first_target, "target from one shard",
     "sum the targets"),
    ("ch10-vocab-combine", "mean", combine_mean, "wrong reduction", "one loss per token"),
]


@pytest.mark.parametrize("name, label, fn, kind, phrase", WRONG,
                         ids=[f"{w[0]}-{w[1]}" for w in WRONG])
def test_checker_catches_wrong_implementation(name, label, fn, kind, phrase):
    report = cx.grade(name, fn)
    assert not report.passed, f"{name} passed the wrong implementation {label!r}"
    first = report.failures[0]
    assert first.kind == kind, str(report)
    assert phrase in first.message, str(report)
    assert phrase in " ".join(str(report).split())  # the printed text carries the message


def test_at_least_three_wrong_implementations_per_exercise():
    counts = {name: 0 for name in cx.EXERCISES}
    for name, *_ in WRONG:
        counts[name] += 1
    assert min(counts.values()) >= 3, counts
