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
    return celib.softmax_cross_entropy_grad([2], [z], from_logits=True)[0]


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


class _PosWeight:
    """Lesson 5's imbalanced blobs (default_rng(5), 180 negatives, 20 positives) and its logistic
    regression trained by gradient descent with celib's weighted gradient, rebuilt here."""

    _data: dict = {}

    @classmethod
    def data(cls):
        if not cls._data:
            rng = np.random.default_rng(5)
            X = np.vstack([rng.normal([-0.5, -0.5], 1.0, size=(180, 2)),
                           rng.normal([1.5, 1.2], 1.0, size=(20, 2))])
            cls._data.update(X1=np.c_[X, np.ones(200)], y=np.r_[np.zeros(180), np.ones(20)])
        return cls._data["X1"], cls._data["y"]

    @classmethod
    def theta(cls, pos_weight, n_steps=1000):
        X1, y = cls.data()
        row_weight = np.where(y == 1, pos_weight, 1.0)
        curvature = np.linalg.eigvalsh((X1 * row_weight[:, None]).T @ X1 / len(X1)).max() / 4
        theta = np.zeros(3)
        for _ in range(n_steps):
            grad_z = celib.binary_cross_entropy_grad(y, X1 @ theta, pos_weight=pos_weight,
                                                      from_logits=True)
            theta = theta - (X1.T @ grad_z) / curvature
        return theta

    @classmethod
    def confusion(cls, pos_weight):
        X1, y = cls.data()
        said_yes = X1 @ cls.theta(pos_weight) > 0
        return said_yes[y == 1].mean(), int(said_yes[y == 0].sum())


@lesson("chapters/05_binary_cross_entropy")
class Lesson05:
    @staticmethod
    def readout(pos_weight):
        (r, f), (r1, f1) = _PosWeight.confusion(pos_weight), _PosWeight.confusion(1.0)
        return (f"pos_weight {pos_weight:g}: recall {r:.2f}, {f} false alarms "
                f"(unweighted: recall {r1:.2f}, {f1} false alarms)")

    @staticmethod
    def table_points(row):
        X1, y = _PosWeight.data()
        i = int(np.argmin(np.abs(X1[:, 0] - row["x1"]) + np.abs(X1[:, 1] - row["x2"])))
        return {"x1": X1[i, 0], "x2": X1[i, 1], "class": f"{'positive (20)' if y[i] else 'negative (180)'}"}

    @staticmethod
    def _line(row, pw):
        theta = _PosWeight.theta(pw)
        return {"x2": -(theta[0] * row["x1"] + theta[2]) / theta[1]}

    @staticmethod
    def table_unweighted(row):
        return Lesson05._line(row, 1.0)

    @staticmethod
    def table_weighted(row):
        return Lesson05._line(row, row["pos_weight"])


def _ch06_frame(temperature, shift):
    """Lesson 6's four animal logits (ln of the tutorial's probabilities + 3) shifted, in float32."""
    z = (np.log(np.array([0.775, 0.116, 0.039, 0.070])) + 3.0 + shift).astype(np.float32)
    stable = celib.softmax(z, temperature=temperature)
    with np.errstate(all="ignore"):
        e = np.exp(z / np.float32(temperature))      # the naive textbook formula, on purpose
        naive = e / e.sum()
    loss = float(celib.sparse_categorical_cross_entropy(
        [0], z[None, :].astype(np.float64) / temperature, from_logits=True))
    return stable, naive, loss, float(celib.entropy(stable))


@lesson("chapters/06_softmax_stability")
class Lesson06:
    ANIMALS = ["dog", "cat", "horse", "cheetah"]

    @staticmethod
    def readout(temperature, shift):
        stable, naive, loss, entropy = _ch06_frame(temperature, shift)
        status = ("naive formula fine" if np.isfinite(naive).all()
                  else "naive formula nan (exp overflowed)")
        return (f"T = {temperature:.2f}, logits + {shift:.0f}: loss for 'dog' "
                f"{loss:.3f} nats, entropy {entropy:.3f} nats; {status}")

    @staticmethod
    def table_stable(row):
        return {"q": _ch06_frame(row["temperature"], row.get("shift", 0.0))[0][Lesson06.ANIMALS.index(row["animal"])]}

    @staticmethod
    def table_naive(row):
        naive = _ch06_frame(row["temperature"], row.get("shift", 0.0))[1]
        assert np.isfinite(naive).all(), "a naive row where the naive formula overflowed"
        return {"q": naive[Lesson06.ANIMALS.index(row["animal"])]}


def _ch07_target(epsilon, classes):
    return (1 - epsilon) * np.eye(classes)[0] + epsilon / classes


def _ch07_loss(epsilon, classes, q_true):
    """celib's sparse loss with label_smoothing, true class 0, the model's rest shared evenly."""
    q = np.full(classes, (1 - q_true) / (classes - 1))
    q[0] = q_true
    return float(celib.sparse_categorical_cross_entropy([0], [q], label_smoothing=epsilon))


@lesson("chapters/07_sparse_vs_categorical")
class Lesson07:
    @staticmethod
    def readout(epsilon, classes):
        target = _ch07_target(epsilon, classes)
        floor = float(celib.entropy(target))
        return (f"eps = {epsilon:.2f}, C = {classes}: target {target[0]:.3f} on the true "
                f"class, {target[1]:.4f} on each other; smoothed loss at least "
                f"{floor:.3f} nats, reached at q_true = {target[0]:.3f}")

    @staticmethod
    def table_target(row):
        t = _ch07_target(row["epsilon"], row["classes"])
        first = row["class"].startswith("true")
        return {"target": t[0] if first else t[1], "one-hot": 1.0 if first else 0.0}

    @staticmethod
    def table_plain(row):
        return {"loss": _ch07_loss(0.0, 10, row["q_true"])}

    @staticmethod
    def table_smooth(row):
        return {"loss": _ch07_loss(row["epsilon"], row["classes"], row["q_true"])}

    @staticmethod
    def table_floor(row):
        t = _ch07_target(row["epsilon"], row["classes"])
        # the smoothed loss's minimum: at q_true = the target's own share, equal to its entropy
        return {"q_true": t[0], "loss": _ch07_loss(row["epsilon"], row["classes"], t[0])}


def _ch08(p_t, gamma):
    """celib's focal loss, cross-entropy and gradient ratio on two-class rows [ln p_t, ln(1 - p_t)]."""
    p_t = np.atleast_1d(np.asarray(p_t, dtype=float))
    labels, logits = np.zeros(len(p_t), dtype=int), np.log(np.stack([p_t, 1 - p_t], axis=1))
    ce = celib.sparse_categorical_cross_entropy(labels, logits, from_logits=True, reduction="none")
    fl = celib.focal_loss(labels, logits, gamma=gamma, reduction="none", from_logits=True)
    g = (celib.focal_loss_grad(labels, logits, gamma=gamma, reduction="none",
                               from_logits=True)[:, 0]
         / celib.softmax_cross_entropy_grad(labels, logits, reduction="none",
                                           from_logits=True)[:, 0])
    return ce, fl, g


@lesson("chapters/08_weighted_and_focal")
class Lesson08:
    @staticmethod
    def readout(gamma):
        ce, fl, g = _ch08([0.1, 0.9], gamma)
        return (f"gamma = {gamma:g}: at p_t = 0.9 the loss is {fl[1]:.4f} nats instead of "
                f"{ce[1]:.4f} (times {fl[1] / ce[1]:.3g}); gradient scale "
                f"g(0.1) = {g[0]:.3f}, g(0.9) = {g[1]:.3f}")

    @staticmethod
    def table_ce(row):
        return {"loss": float(_ch08(row["p_t"], 0.0)[0][0])}

    @staticmethod
    def table_one(row):
        return {"g": 1.0}

    @staticmethod
    def table_focal(row):
        _, fl, g = _ch08(row["p_t"], row["gamma"])
        return {"focal": float(fl[0]), "g": float(g[0])}


_GIB = 2**30


def _mem(gib):
    return f"{gib:.1f} GiB" if gib >= 0.1 else f"{gib * 1024:.1f} MiB"


@lesson("chapters/10_llm_scale")
class Lesson10:
    """Memory arithmetic (no celib call in this explorer): tokens x V x bytes, and the fused tile
    min(chunk, tokens) x min(chunk, V) x bytes."""

    MODELS = {"GPT-2": 50_257, "Llama 3": 128_256, "Gemma": 256_000}

    @staticmethod
    def readout(log2_tokens, vocab, bytes_per_number, chunk_size):
        tokens = 2**log2_tokens
        logits = tokens * vocab * bytes_per_number / _GIB
        tile = min(chunk_size, tokens) * min(chunk_size, vocab) * bytes_per_number / _GIB
        return (f"{tokens:,} tokens, V = {vocab:,}, {bytes_per_number} bytes: "
                f"logits {_mem(logits)}, logits + gradient {_mem(2 * logits)}; "
                f"fused tile {chunk_size} x {chunk_size}: {_mem(tile)}")

    @staticmethod
    def table_big(row):
        logits = 2**row["log2_tokens"] * row["vocab"] * row["bytes_per_number"] / _GIB
        assert row["what"] in ("logits", "logits + gradient")
        assert abs(row["v_k"] - row["vocab"] / 1000) <= 5e-4 * row["v_k"]
        return {"gib": logits if row["what"] == "logits" else 2 * logits}

    @staticmethod
    def table_tile(row):
        tokens = 2**row["log2_tokens"]
        c = row["chunk_size"]
        return {"gib": min(c, tokens) * min(c, row["vocab"]) * row["bytes_per_number"] / _GIB}

    @staticmethod
    def table_line(row):
        return {"gib": 2 * 2**row["log2_tokens"] * row["v_k"] * 1000 * row["bytes_per_number"] / _GIB}

    @staticmethod
    def table_accelerator(row):
        return {"gib": 80e9 / _GIB}

    @staticmethod
    def table_models(row):
        v = Lesson10.MODELS[row["name"]]
        return {"v_k": v / 1000, "gib": 2 * 2**row["log2_tokens"] * v * row["bytes_per_number"] / _GIB}


class _Training:
    """Lesson 9's four training runs (CE and MSE, small and large start), rebuilt here: the same
    digits split and standardisation, the same mini-batch gradient descent with celib's gradients,
    at the learning rates the lesson chose (read from its glued, nbval-checked outputs)."""

    _runs: dict = {}
    EPOCHS, BATCH, C = 30, 32, 10

    @staticmethod
    def _glued(name):
        import json
        from pathlib import Path

        nb = json.loads((Path(__file__).resolve().parents[2] / "chapters" /
                         "09_mse_vs_cross_entropy.ipynb").read_text(encoding="utf8"))
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                if (out.get("metadata", {}).get("scrapbook") or {}).get("name") == name:
                    text = next(v for k, v in out["data"].items() if k.endswith("text/plain"))
                    return float("".join(text))
        raise KeyError(name)

    @classmethod
    def runs(cls):
        if cls._runs:
            return cls._runs
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
        mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
        std[std == 0] = 1.0
        X_tr, X_te = (X_tr - mean) / std, (X_te - mean) / std

        def train(loss, lr0, init_scale):
            rng = np.random.default_rng(1)
            W = rng.normal(scale=init_scale, size=(X_tr.shape[1], cls.C))
            b = np.zeros(cls.C)
            Y = np.eye(cls.C)[y_tr]
            n = len(y_tr)
            total = cls.EPOCHS * int(np.ceil(n / cls.BATCH))
            step, per_epoch = 0, []
            for _ in range(cls.EPOCHS):
                order = rng.permutation(n)
                for start in range(0, n, cls.BATCH):
                    idx = order[start:start + cls.BATCH]
                    lr = lr0 * 0.5 * (1 + np.cos(np.pi * step / total))
                    Z = X_tr[idx] @ W + b
                    G = (celib.softmax_cross_entropy_grad(y_tr[idx], Z, from_logits=True) if loss == "CE"
                         else celib.mse_softmax_grad(Y[idx], Z, from_logits=True))
                    W = W - lr * X_tr[idx].T @ G
                    b = b - lr * G.sum(axis=0)
                    step += 1
                per_epoch.append(celib.softmax(X_te @ W + b))
            return per_epoch

        for loss in ("CE", "MSE"):
            cls._runs[(loss, "small")] = train(loss, cls._glued(f"ch09_lr_{loss.lower()}"), 0.01)
            cls._runs[(loss, "large")] = train(loss, cls._glued(f"ch09_lr_big_{loss.lower()}"), 3.0)
        cls._runs["y_test"] = y_te
        return cls._runs

    @classmethod
    def accuracy(cls, loss, start, epoch):
        r = cls.runs()
        return float((r[(loss, start)][epoch - 1].argmax(axis=1) == r["y_test"]).mean())

    @classmethod
    def calibration(cls, loss, epoch):
        r = cls.runs()
        probs = r[(loss, "small")][epoch - 1]
        return (celib.reliability_bins(r["y_test"], probs, n_bins=10),
                float(celib.expected_calibration_error(r["y_test"], probs, n_bins=10)))


@lesson("chapters/09_mse_vs_cross_entropy")
class Lesson09:
    @staticmethod
    def readout(epoch):
        acc = {loss: _Training.accuracy(loss, "small", epoch) for loss in ("CE", "MSE")}
        ece = {loss: _Training.calibration(loss, epoch)[1] for loss in ("CE", "MSE")}
        return (f"epoch {epoch}, small start: test accuracy CE {acc['CE']:.3f}, "
                f"MSE {acc['MSE']:.3f}; ECE CE {ece['CE']:.3f}, MSE {ece['MSE']:.3f}")

    @staticmethod
    def table_accuracy(row):
        loss, start = row["run"].replace(" start", "").split(", ")
        return {"accuracy": _Training.accuracy(loss, start, row["epoch"])}

    @staticmethod
    def table_marker(row):
        return {}

    @staticmethod
    def table_diagonal(row):
        return {}

    @staticmethod
    def table_reliability(row):
        bins, _ = _Training.calibration(row["loss"], row["epoch"])
        centres = (bins.edges[:-1] + bins.edges[1:]) / 2
        k = int(np.argmin(np.abs(centres - row["bin"])))
        assert bins.count[k] > 0
        shift = -0.02 if row["loss"] == "CE" else 0.02
        return {"bin": centres[k], "x": centres[k] + shift, "accuracy": bins.accuracy[k]}
