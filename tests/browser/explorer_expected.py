"""What each lesson's live explorer must show, recomputed here with celib (issue 20).

These are independent of the lesson's own explorer code: each function takes one frame's slider
values (or one table row, which carries its key columns) and recomputes, with ``celib``, the readout
sentence the page must show, or the numbers a table row must hold. tests/browser/test_explorers.py
compares them with what the built page holds and shows.

READOUT[docname](**params) -> str, the exact sentence above the chart (the text alternative).
TABLES[docname][table](row) -> {column: expected value} for the numeric columns worth checking.
"""

from __future__ import annotations

import numpy as np

import celib

READOUT: dict = {}
TABLES: dict = {}


def lesson(docname: str):
    def register(cls):
        READOUT[docname] = cls.readout
        TABLES[docname] = {name[len("table_"):]: getattr(cls, name) for name in vars(cls)
                           if name.startswith("table_")}
        return cls
    return register


def _bits_nats(q):
    return float(celib.entropy(q, base=2)), float(celib.entropy(q))


@lesson("chapters/01_entropy")
class Lesson01:
    """30 shapes, `triangles` of them triangles; the entropy of (t/30, 1 - t/30)."""

    @staticmethod
    def readout(triangles):
        bits, nats = _bits_nats(np.array([triangles, 30 - triangles]) / 30)
        return (f"{triangles} triangles and {30 - triangles} circles: "
                f"H = {bits:.4f} bits = {nats:.4f} nats")

    @staticmethod
    def table_point(row):
        q = row["triangles"] / 30
        return {"q": q, "bits": _bits_nats([q, 1 - q])[0]}

    @staticmethod
    def table_curve(row):
        return {"bits": _bits_nats([row["q"], 1 - row["q"]])[0]}

    @staticmethod
    def table_bars(row):
        t = row["triangles"] if row["shape"] == "triangle" else 30 - row["triangles"]
        return {"q": t / 30}


def _ch02_prediction(q_true):
    """Lesson 2's wrong prediction for a "2", with the correct digit set to q_true and the other
    nine rescaled to share 1 - q_true."""
    wrong = np.array([0.01, 0.02, 0.05, 0.80, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02])
    others = np.delete(wrong, 2) / (1 - wrong[2])
    return np.insert(others * (1 - q_true), 2, q_true)


def _ch02_logit_grad(q_true):
    """q - y by celib, from logits whose softmax is the prediction (log 0 -> a masked -1e4)."""
    q = _ch02_prediction(q_true)
    z = np.full(10, -1e4)
    z[q > 0] = np.log(q[q > 0])
    return celib.softmax_cross_entropy_grad([2], [z])[0]


@lesson("chapters/02_cross_entropy")
class Lesson02:
    """Step 1, -1/q; step 2, the gradient q - y over the ten logits (correct digit 2)."""

    @staticmethod
    def readout(q_true):
        loss = float(celib.sparse_categorical_cross_entropy([2], [_ch02_prediction(q_true)]))
        return (f"q = {q_true:.2f} for the correct digit: loss {loss:.3f} nats; "
                f"step 1, -1/q = {-1 / q_true:.1f}; step 2, q - 1 = {_ch02_logit_grad(q_true)[2]:.2f}")

    @staticmethod
    def table_curves(row):
        if row["step"].startswith("step 1"):
            return {"gradient": -1 / row["q"]}
        return {"gradient": _ch02_logit_grad(row["q"])[2]}

    @staticmethod
    def table_points(row):
        g = _ch02_logit_grad(row["q_true"])[2]
        return {"gradient": g} if row["gradient"] > -1.0001 else {"gradient": -1 / row["q_true"]}

    @staticmethod
    def table_bars(row):
        return {"gradient": _ch02_logit_grad(row["q_true"])[row["digit"]]}

    @staticmethod
    def table_bounds(row):
        return {}


def _kl_both(p, q):
    truth, model = [1 - p, p], [1 - q, q]
    return float(celib.kl_divergence(truth, model)), float(celib.kl_divergence(model, truth))


@lesson("chapters/03_kl_divergence")
class Lesson03:
    """Truth coin p, model coin q; KL in both directions."""

    @staticmethod
    def readout(p, q):
        f, r = _kl_both(p, q)
        return (f"truth p = {p:.2f}, model q = {q:.2f}: D(p||q) = {f:.3f} nats "
                f"(training), D(q||p) = {r:.3f} nats")

    @staticmethod
    def table_curves(row):
        f, r = _kl_both(row["p"], row["model_q"])
        return {"forward": f, "reverse": r}

    @staticmethod
    def table_truth(row):
        return {"prob": row["p"] if row["side"] == "heads" else 1 - row["p"]}

    @staticmethod
    def table_model(row):
        return {"prob": row["q"] if row["side"] == "heads" else 1 - row["q"]}


class _Memoriser:
    """Lesson 4's softened 1-nearest-neighbour lookup on scikit-learn's digits, rebuilt here: the
    same shuffle (default_rng(0)), a pool of the first 600 images, the rest held out."""

    _cache: dict = {}

    @classmethod
    def losses(cls, n_train, eps):
        if not cls._cache:
            from sklearn.datasets import load_digits

            images, labels = load_digits(return_X_y=True)
            order = np.random.default_rng(0).permutation(len(images))
            pool, rest = order[:600], order[600:]
            X = images / 16.0
            dist = ((X[:, None, :] - X[pool][None, :, :]) ** 2).sum(axis=-1)
            cls._cache.update(labels=labels, pool=pool, rest=rest, dist=dist)
        c = cls._cache
        guess = c["labels"][c["pool"][:n_train]][np.argmin(c["dist"][:, :n_train], axis=1)]
        q = np.full((len(c["labels"]), 10), eps / 10)
        q[np.arange(len(c["labels"])), guess] += 1 - eps
        train = c["pool"][:n_train]
        return (float(celib.sparse_categorical_cross_entropy(c["labels"][train], q[train])),
                float(celib.sparse_categorical_cross_entropy(c["labels"][c["rest"]], q[c["rest"]])))


@lesson("chapters/04_maximum_likelihood")
class Lesson04:
    @staticmethod
    def readout(eps, n_train):
        tr, he = _Memoriser.losses(n_train, eps)
        return (f"{n_train} training images, eps = {eps:.2f}: training loss "
                f"{tr:.3f} nats, held-out loss {he:.3f} nats")

    @staticmethod
    def table_curves(row):
        tr, he = _Memoriser.losses(row["n_train"], row["eps"])
        return {"training set": tr, "held-out set": he}
