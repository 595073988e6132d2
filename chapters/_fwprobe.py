"""Measurements of other libraries for appendix_frameworks.ipynb and tests/test_frameworks_*.py.

Not part of celib (which needs nothing but NumPy) and not a lesson: this module runs PyTorch,
Keras 3, TensorFlow, JAX/optax and scikit-learn (``make frameworks`` installs them) and returns
plain numbers, so that the appendix can print them beside celib's and assert each claim.

Keras picks its backend once, at import (``KERAS_BACKEND``), so :func:`keras_on_backends` starts
one subprocess per backend; each runs :func:`keras_measure` and prints one JSON object. The three
subprocesses run side by side. Each Keras (and ``tf.nn``) call of the appendix is in a small function
registered with ``@keras_probe("<claim label>")``; :func:`keras_measure` runs them all, and the appendix
prints each claim's functions with :func:`probe_source` (``inspect.getsource``), so the code the reader
sees is the code that ran.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

BACKENDS = ("jax", "tensorflow", "torch")

# Log noise of TensorFlow / XLA / absl that would otherwise land in the stored outputs.
QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
    "JAX_PLATFORMS": "cpu",
    "KERAS_HOME": os.path.join(os.path.expanduser("~"), ".keras"),
    "PYTHONWARNINGS": "ignore",
}

PINNED = ("numpy", "scipy", "scikit-learn", "torch", "keras", "tensorflow-cpu", "jax", "jaxlib", "optax")


def quiet() -> None:
    """Silence TensorFlow/absl logging in this process (call before importing them)."""
    for k, val in QUIET_ENV.items():
        if k != "PYTHONWARNINGS":
            os.environ.setdefault(k, val)


def versions() -> dict[str, str]:
    """Installed versions of the libraries this appendix runs (distribution metadata)."""
    out = {}
    for name in PINNED:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- torchvision
# PyPI's torchvision wheel for torch 2.13 is built against the CUDA torch; beside the CPU build
# of torch it fails at import ("operator torchvision::nms does not exist"). Its focal loss is
# pure Python, so `make frameworks` downloads the pinned wheel (no install) and we load
# torchvision/ops/focal_loss.py from it, with its one import of torchvision internals (an API
# usage logger) replaced by a no-op. The function body executed is torchvision's own.
TORCHVISION_WHEEL_GLOB = "torchvision-0.28.0-*.whl"


def torchvision_wheel() -> Path | None:
    folder = Path(sys.prefix) / "wheels"
    found = sorted(folder.glob(TORCHVISION_WHEEL_GLOB)) if folder.is_dir() else []
    return found[0] if found else None


def torchvision_sigmoid_focal_loss():
    """``torchvision.ops.sigmoid_focal_loss`` loaded from the pinned wheel's source file."""
    wheel = torchvision_wheel()
    if wheel is None:
        raise FileNotFoundError("torchvision wheel not found in .venv/wheels: run `make frameworks`")
    with zipfile.ZipFile(wheel) as zf:
        source = zf.read("torchvision/ops/focal_loss.py").decode()
    line = "from ..utils import _log_api_usage_once"
    assert source.count(line) == 1, "torchvision's focal_loss.py changed: review the loader"
    source = source.replace(line, "_log_api_usage_once = lambda obj: None  # (loader: no-op logger)")
    namespace: dict = {"__name__": "torchvision_ops_focal_loss"}
    exec(compile(source, f"{wheel.name}/torchvision/ops/focal_loss.py", "exec"), namespace)
    return namespace["sigmoid_focal_loss"]


# --------------------------------------------------------------------------- Keras, per backend
def _f(x) -> float:
    import numpy as np

    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    a = np.asarray(x, dtype=np.float64)
    if a.size != 1:
        raise ValueError(f"expected one number, got shape {a.shape}")
    return float(a.reshape(()))


def _list(x) -> list:
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach()
    return np.asarray(x, dtype=np.float64).ravel().tolist()


def _try(fn):
    """``fn()`` as a number/list, or the exception's class name if it raises."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - which error a backend raises is the measurement
        return {"error": type(exc).__name__}


# Each Keras measurement is one function below, registered under the label of the claim it backs.
# The appendix shows each claim's functions with inspect.getsource (:func:`probe_source`), so the
# reader sees the code that ran, never a retyped copy; :func:`keras_measure` runs them all, in order.
KERAS_PROBES: list[tuple[str, tuple[str, ...], object]] = []  # (claim label, backends, function)


def keras_probe(label: str, backends: tuple[str, ...] = BACKENDS):
    """Register ``fn(data) -> dict`` as the Keras code behind claim ``label`` (on ``backends``)."""
    def register(fn):
        KERAS_PROBES.append((label, tuple(backends), fn))
        return fn
    return register


def probe_source(label: str) -> str:
    """The source of every probe function registered under ``label``, in the order they run."""
    import inspect

    found = [inspect.getsource(fn) for lab, _, fn in KERAS_PROBES if lab == label]
    if not found:
        raise KeyError(f"no probe is registered for claim {label!r}")
    return "\n\n".join(s.rstrip() for s in found)


def keras_inputs() -> dict:
    """The seeded inputs of the Keras probes, float32 as Keras computes (one generator, this order)."""
    import numpy as np

    rng = np.random.default_rng(7)
    d = {"logits": rng.normal(size=(5, 4)).astype("float32"), "labels": np.array([3, 0, 2, 1, 3])}
    d["bce_t"] = (rng.random((3, 4)) > 0.5).astype("float32")
    d["bce_p"] = rng.uniform(0.05, 0.95, size=(3, 4)).astype("float32")
    d["focal_z"] = rng.normal(scale=2.0, size=(6,)).astype("float32")
    d["mse_a"] = rng.normal(size=(4, 3)).astype("float32")
    d["mse_b"] = rng.normal(size=(4, 3)).astype("float32")
    d["progbar_x"] = rng.normal(size=(12, 3)).astype("float32")
    d["progbar_y"] = rng.integers(0, 3, size=12)
    d["progbar_kernel"] = rng.normal(size=(3, 3)).astype("float32")
    krng = np.random.default_rng(30)  # generators of their own: adding a probe never moves the draws above
    d["kl_p"] = krng.dirichlet(np.ones(4), size=3).astype("float32")
    d["kl_q"] = krng.dirichlet(np.ones(4), size=3).astype("float32")
    mrng = np.random.default_rng(26)
    d["multi_z"] = mrng.normal(scale=2.0, size=(4, 3)).astype("float32")  # 4 examples x 3 labels
    d["multi_t"] = (mrng.random((4, 3)) > 0.5).astype("float32")
    # per-example weights for fw-keras-sample-weight: one example dropped (0), one counted 3.4 times
    d["sample_weight"] = np.array([1.2, 3.4, 0.0, 2.0, 5.6], "float32")
    # probabilities for the spellings that take them (computed once, here, in float32)
    e = np.exp(d["logits"] - d["logits"].max(-1, keepdims=True))
    d["probs"] = (e / e.sum(-1, keepdims=True)).astype("float32")
    d["multi_q"] = (1 / (1 + np.exp(-d["multi_z"]))).astype("float32")
    return d


@keras_probe("fw-keras-bce-clip")
def keras_bce_clip(d):
    import numpy as np
    from keras import losses as L

    # probabilities are clipped to [eps, 1 - eps] in float32
    t1, p0 = np.array([[1.0]], "float32"), np.array([[0.0]], "float32")
    return {"bce_t1_p0": _f(L.binary_crossentropy(t1, p0)),
            "bce_t0_p1": _f(L.binary_crossentropy(p0, t1))}  # target 0, prediction 1


@keras_probe("fw-keras-cce-clip")
def keras_cce_clip(d):
    import numpy as np
    from keras import losses as L

    q = np.array([[1.0, 0.0]], "float32")  # probability 0 on the true class 1
    return {"cce_p0": _f(L.categorical_crossentropy(np.array([[0.0, 1.0]], "float32"), q)),
            "scce_p0": _f(L.sparse_categorical_crossentropy(np.array([1]), q))}


@keras_probe("fw-keras-probs-normalised")
def keras_probs_normalised(d):
    import numpy as np
    from keras import losses as L

    # logits passed where probabilities are expected: divided by their sum, then clipped
    return {"cce_unnormalised": _f(L.categorical_crossentropy(
        np.array([[1.0, 0.0, 0.0]], "float32"), np.array([[2.0, -1.0, 0.5]], "float32")))}


@keras_probe("fw-keras-softmax-output")
def keras_softmax_output(d):
    import warnings
    import numpy as np
    import keras
    from keras import losses as L

    # a softmax output layer; the true loss LSE(z) - z_y is 100 nats
    x, y = np.array([[100.0, 0.0, 0.0]], "float32"), np.array([1])
    out, caught = {}, []
    for from_logits in (False, True):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("softmax")])
        model.compile(loss=L.SparseCategoricalCrossentropy(from_logits=from_logits), run_eagerly=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out[from_logits] = _f(model.evaluate(x, y, verbose=0))
        caught += [str(m.message) for m in w if "from_logits" in str(m.message)]
    return {"softmax_layer_probs": out[False], "softmax_layer_logits": out[True],
            "softmax_layer_warned": bool(caught)}


@keras_probe("fw-keras-model-sigmoid")
def keras_model_sigmoid(d):
    import numpy as np
    import keras

    # one example, logit x = -100, target 1: the true loss softplus(100) is 100 nats
    x, y = np.array([[-100.0]], "float32"), np.array([[1.0]], "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Activation("sigmoid")])
    model.compile(loss="binary_crossentropy")
    r = {"model_sigmoid_loss": _f(model.evaluate(x, y, verbose=0))}

    # the usual spelling, Dense(1, activation="sigmoid"), with kernel 1 and bias 0 (so z = x),
    # then one step of plain SGD: the step is -learning_rate * gradient
    dense = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid")])
    dense.layers[0].set_weights([np.ones((1, 1), "float32"), np.zeros(1, "float32")])
    dense.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01))
    r["dense_sigmoid_loss"] = _f(dense.evaluate(x, y, verbose=0))
    dense.fit(x, y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    kernel, bias = dense.layers[0].get_weights()
    r["dense_sigmoid_step"] = [float(kernel[0, 0]) - 1.0, float(bias[0])]
    return r


@keras_probe("fw-keras-model-softmax")
def keras_model_softmax(d):
    import importlib
    import inspect
    import numpy as np
    import keras

    # one example, logits [50, 0, 0], label 1: the true loss LSE(z) - z_1 is 50 nats
    x, y = np.array([[50.0, 0.0, 0.0]], "float32"), np.array([1])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    r = {"model_softmax_loss": _f(model.evaluate(x, y, verbose=0))}

    # Dense(3, activation="softmax") with an identity kernel and zero bias (so z = x); one SGD step
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    dense.layers[0].set_weights([np.eye(3, dtype="float32"), np.zeros(3, "float32")])
    dense.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01))
    r["dense_softmax_loss"] = _f(dense.evaluate(x, y, verbose=0))
    dense.fit(x, y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    r["dense_softmax_bias_step"] = _list(dense.layers[0].get_weights()[1])

    # why: the softmax activation caches its input on its output; which backend's losses read it?
    out = keras.activations.softmax(keras.ops.convert_to_tensor(x))
    r["softmax_attaches_logits"] = hasattr(out, "_keras_logits")
    backend_nn = importlib.import_module(f"keras.src.backend.{keras.backend.backend()}.nn")
    r["backend_loss_reads_logits"] = "_keras_logits" in inspect.getsource(backend_nn)
    return r


@keras_probe("fw-keras-sparse-squeeze")
def keras_sparse_squeeze(d):
    from keras import losses as L

    sc = L.SparseCategoricalCrossentropy(from_logits=True)
    return {"squeeze_n": _f(sc(d["labels"], d["logits"])),            # labels (5,)
            "squeeze_n1": _f(sc(d["labels"][:, None], d["logits"]))}  # labels (5, 1)


@keras_probe("fw-keras-sparse-no-smoothing")
def keras_sparse_no_smoothing(d):
    from keras import losses as L

    return {"sparse_has_smoothing": _try(lambda: L.SparseCategoricalCrossentropy(label_smoothing=0.1) and "accepted"),
            "cat_has_smoothing": _try(lambda: L.CategoricalCrossentropy(label_smoothing=0.1) and "accepted")}


@keras_probe("fw-label-smoothing")
def keras_label_smoothing(d):
    import numpy as np
    from keras import losses as L

    onehot = np.eye(4, dtype="float32")[d["labels"]]
    return {"cce_smooth": _f(L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(onehot, d["logits"])),
            # binary: targets move towards 1/2, here on probabilities in (0.05, 0.95)
            "bce_smooth": _f(L.BinaryCrossentropy(label_smoothing=0.1)(d["bce_t"], d["bce_p"]))}


@keras_probe("fw-keras-ignore-class")
def keras_ignore_class(d):
    import numpy as np
    from keras import losses as L

    lab_pad = np.array([3, 0, -1, 1, -1])  # -1 marks padding
    sc = L.SparseCategoricalCrossentropy(from_logits=True)
    return {
        "ignore_class": _try(lambda: _f(L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(lab_pad, d["logits"]))),
        "minus1_rows": _try(lambda: _list(L.sparse_categorical_crossentropy(lab_pad, d["logits"], from_logits=True))),
        "minus1_mean": _try(lambda: _f(sc(lab_pad, d["logits"]))),
    }


@keras_probe("fw-keras-bce-reduction")
def keras_bce_reduction(d):
    from keras import losses as L

    # the function means over the last axis only; the class reduces the rest
    return {"bce_fn": _list(L.binary_crossentropy(d["bce_t"], d["bce_p"])),
            "bce_cls": _f(L.BinaryCrossentropy()(d["bce_t"], d["bce_p"]))}


@keras_probe("fw-per-element-sigmoid")
def keras_multilabel_from_logits(d):
    from keras import losses as L

    # (4, 3) multi-label logits: the function averages each example's 3 labels
    out = L.binary_crossentropy(d["multi_t"], d["multi_z"], from_logits=True)
    return {"multi_keras_shape": list(out.shape), "multi_keras": _list(out)}


@keras_probe("fw-per-element-sigmoid", backends=("tensorflow",))
def tf_sigmoid_per_element(d):
    import tensorflow as tf

    out = tf.nn.sigmoid_cross_entropy_with_logits(labels=d["multi_t"], logits=d["multi_z"])
    return {"multi_tf_shape": list(out.shape), "multi_tf": _list(out)}


@keras_probe("fw-keras-weighted-mean")
def keras_weighted_mean(d):
    import numpy as np
    import keras
    from keras import losses as L

    # fit(class_weight=cw) turns class weights into sample_weight = cw[label]
    cw = np.array([1.0, 2.0, 0.5, 3.0], "float32")
    sc = L.SparseCategoricalCrossentropy(from_logits=True)
    by_weights = L.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")
    r = {"weighted_mean": _f(sc(d["labels"], d["logits"], sample_weight=cw[d["labels"]])),
         "weighted_mean_by_weights": _f(by_weights(d["labels"], d["logits"], sample_weight=cw[d["labels"]])),
         "class_weight": cw.tolist()}

    # fit(class_weight=...): a Dense layer with an identity kernel passes the logits through, and a
    # learning rate of 0 keeps it so; one batch of all 5 examples, the loss that fit logs
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.layers[0].set_weights([np.eye(4, dtype="float32"), np.zeros(4, "float32")])
    model.compile(loss=sc, optimizer=keras.optimizers.SGD(learning_rate=0.0))
    history = model.fit(d["logits"], d["labels"], class_weight=dict(enumerate(cw.tolist())),
                        batch_size=5, epochs=1, shuffle=False, verbose=0)
    r["fit_class_weight_loss"] = float(history.history["loss"][0])
    return r


@keras_probe("fw-keras-sample-weight")
def keras_sample_weight(d):
    import numpy as np
    import keras
    from keras import losses as L

    z, y, s = d["logits"], d["labels"], d["sample_weight"]  # (5, 4) logits, labels, 5 weights
    onehot = np.eye(4, dtype="float32")[y]
    zb, tb, sb = d["multi_z"], d["multi_t"], d["sample_weight"][:4]  # (4, 3) multi-label, 4 weights
    r = {"sw_weights": s.tolist(), "sw_loss_objects": {
        "SparseCategoricalCrossentropy": _f(L.SparseCategoricalCrossentropy(from_logits=True)(y, z, sample_weight=s)),
        "CategoricalCrossentropy": _f(L.CategoricalCrossentropy(from_logits=True)(onehot, z, sample_weight=s)),
        "CategoricalFocalCrossentropy": _f(
            L.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=True)(onehot, z, sample_weight=s)),
        "BinaryCrossentropy": _f(L.BinaryCrossentropy(from_logits=True)(tb, zb, sample_weight=sb)),
        "BinaryFocalCrossentropy": _f(L.BinaryFocalCrossentropy(
            apply_class_balancing=True, alpha=0.25, gamma=2.0, from_logits=True)(tb, zb, sample_weight=sb)),
        'Sparse...(reduction="mean_with_sample_weight")': _f(L.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight")(y, z, sample_weight=s)),
    }}

    # a compiled model whose Dense layer passes the logits through (identity kernel, learning rate
    # 0), one batch of all 5 examples: the loss fit logs and the loss evaluate returns
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.layers[0].set_weights([np.eye(4, dtype="float32"), np.zeros(4, "float32")])
    model.compile(loss=L.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.SGD(learning_rate=0.0))
    history = model.fit(z, y, sample_weight=s, batch_size=5, epochs=1, shuffle=False, verbose=0)
    r["sw_fit_loss"] = float(history.history["loss"][0])
    r["sw_evaluate_loss"] = float(model.evaluate(z, y, sample_weight=s, batch_size=5, verbose=0))
    return r


@keras_probe("fw-keras-categorical-focal")
def keras_categorical_focal(d):
    import numpy as np
    from keras import losses as L

    # Keras' own test case (keras/src/losses/losses_test.py, CategoricalFocalCrossentropyTest):
    # one-hot targets, logits, the defaults alpha=0.25 and gamma=2
    onehot = np.eye(3, dtype="float32")
    logits = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]], "float32")
    focal = L.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=True)
    per_example = L.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=True, reduction=None)
    no_alpha = L.CategoricalFocalCrossentropy(alpha=1.0, gamma=2.0, from_logits=True)
    return {"cfocal_mean": _f(focal(onehot, logits)), "cfocal_none": _list(per_example(onehot, logits)),
            "cfocal_alpha1": _f(no_alpha(onehot, logits))}


@keras_probe("fw-focal")
def keras_focal(d):
    import numpy as np
    from keras import losses as L

    hard = np.array([1, 0, 1, 1, 0, 0], "float32")
    soft = np.array([0.9, 0.2, 0.6, 1.0, 0.0, 0.3], "float32")
    focal = L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0, from_logits=True)
    z = d["focal_z"][:, None]
    return {"focal_hard": _f(focal(hard[:, None], z)), "focal_soft": _f(focal(soft[:, None], z))}


@keras_probe("fw-kl-args")
def keras_kl(d):
    import numpy as np
    from keras import losses as L

    # KLDivergence(y_true=p, y_pred=q); then a q that is 0 where p is not
    return {"kl_keras": _f(L.KLDivergence()(d["kl_p"], d["kl_q"])),
            "kl_keras_zero_q": _f(L.KLDivergence()(np.array([[0.5, 0.5, 0.0]], "float32"),
                                                   np.array([[1.0, 0.0, 0.0]], "float32")))}


@keras_probe("fw-mse-broadcast")
def keras_mse_broadcast(d):
    import numpy as np
    from keras import losses as L

    y_true = np.array([0.0, 1.0, 2.0, 3.0], "float32")          # (N,)
    y_pred = np.array([[0.5], [1.0], [1.5], [3.5]], "float32")  # (N, 1)
    return {"mse_n1_vs_n": _f(L.MeanSquaredError()(y_true, y_pred))}


@keras_probe("fw-keras-accuracy-metric")
def keras_accuracy_metric(d):
    import numpy as np
    import keras

    # a 3-class softmax model with one-hot targets, compiled with a binary CE loss
    xs = np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 2.0], [2.0, 0.0, 1.0]], "float32")
    ys = np.eye(3, dtype="float32")[[0, 2, 1, 1]]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("softmax")])
    model.compile(loss="binary_crossentropy", metrics=["accuracy"], run_eagerly=True)
    r = {"accuracy_metric": _f(model.evaluate(xs, ys, verbose=0, return_dict=True)["accuracy"]),
         "accuracy_metric_class": type(model.metrics[-1].metrics[0]).__name__}

    # a multi-label (multi-hot) sigmoid model: "accuracy" is still resolved from the shapes
    xm = np.array([[2.0, -1.0, 0.5], [-1.0, 1.0, 2.0], [0.5, 0.5, -2.0], [-2.0, 1.0, -0.5]], "float32")
    ym = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("sigmoid")])
    model.compile(loss="binary_crossentropy", metrics=["accuracy"], run_eagerly=True)
    r["multilabel_accuracy"] = _f(model.evaluate(xm, ym, verbose=0, return_dict=True)["accuracy"])
    r["multilabel_accuracy_class"] = type(model.metrics[-1].metrics[0]).__name__
    r["multilabel_x"], r["multilabel_y"] = xm.tolist(), ym.tolist()
    return r


@keras_probe("fw-loss-functions-per-example")
def keras_functions_per_example(d):
    import numpy as np
    from keras import losses as L

    onehot = np.eye(4, dtype="float32")[d["labels"]]
    z, y = d["logits"], d["labels"]
    return {
        "fn_shapes": {
            "sparse_categorical_crossentropy": list(L.sparse_categorical_crossentropy(y, z, from_logits=True).shape),
            "categorical_crossentropy": list(L.categorical_crossentropy(onehot, z, from_logits=True).shape),
            "SparseCategoricalCrossentropy()": list(L.SparseCategoricalCrossentropy(from_logits=True)(y, z).shape),
        },
        "fn_sparse_values": _list(L.sparse_categorical_crossentropy(y, z, from_logits=True)),
    }


@keras_probe("fw-loss-functions-per-example", backends=("tensorflow",))
def tf_functions_per_example(d):
    import numpy as np
    import tensorflow as tf

    onehot = np.eye(4, dtype="float32")[d["labels"]]
    return {"tf_sparse": _list(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=d["labels"], logits=d["logits"])),
            "tf_dense": _list(tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=d["logits"]))}


@keras_probe("fw-mse-mean-entries")
def keras_mse_mean_entries(d):
    from keras import losses as L

    # MSE on (N, C): the class averages all N * C entries, the function each row's C
    return {"mse_cls": _f(L.MeanSquaredError()(d["mse_a"], d["mse_b"])),
            "mse_fn": _list(L.mean_squared_error(d["mse_a"], d["mse_b"]))}


@keras_probe("fw-keras-progbar-mean")
def keras_progbar_mean(d):
    import numpy as np
    import keras
    from keras import losses as L

    # With a learning rate of 0 the weights never move, so each batch's own loss is known in
    # advance; the logged loss after batch k is compared with the mean of the first k of them.
    xb, yb = d["progbar_x"], d["progbar_y"]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.layers[0].set_weights([d["progbar_kernel"], np.zeros(3, "float32")])
    sc = L.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(loss=sc, optimizer=keras.optimizers.SGD(learning_rate=0.0), run_eagerly=True)
    per_batch = [_f(sc(yb[i:i + 4], model(xb[i:i + 4]))) for i in (0, 4, 8)]
    logged = []

    class Log(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            logged.append(float(logs["loss"]))

    model.fit(xb, yb, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[Log()])
    return {"progbar_per_batch": per_batch, "progbar_logged": logged, "progbar_start": _f(sc(yb, model(xb)))}


@keras_probe("fw-tf-label-range", backends=("tensorflow",))
def tf_label_range(d):
    import numpy as np
    import tensorflow as tf

    # TensorFlow's own op, a label equal to C = 3, on CPU
    return {"tf_label_eq_C": _try(lambda: _list(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([3]), logits=np.array([[1.0, 2.0, 3.0]], "float32"))))}


@keras_probe("fw-spellings")
def keras_spellings(d):
    import numpy as np
    import keras
    from keras import losses as L

    z, y, q = d["logits"], d["labels"], d["probs"]  # (5, 4) logits, labels, softmax(z)
    onehot = np.eye(4, dtype="float32")[y]
    zb, yb, qb = d["multi_z"], d["multi_t"], d["multi_q"]  # (4, 3) binary logits, targets, sigmoid(z)
    focal = L.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=True, reduction=None)
    return {"spell_keras": {
        "BinaryCrossentropy()(y, q)": _f(L.BinaryCrossentropy()(yb, qb)),
        "BinaryCrossentropy(from_logits=True)(y, z)": _f(L.BinaryCrossentropy(from_logits=True)(yb, zb)),
        "CategoricalCrossentropy()(onehot, q)": _f(L.CategoricalCrossentropy()(onehot, q)),
        "CategoricalCrossentropy(from_logits=True)(onehot, z)": _f(L.CategoricalCrossentropy(from_logits=True)(onehot, z)),
        "SparseCategoricalCrossentropy()(y, q)": _f(L.SparseCategoricalCrossentropy()(y, q)),
        "SparseCategoricalCrossentropy(from_logits=True)(y, z)": _f(L.SparseCategoricalCrossentropy(from_logits=True)(y, z)),
        "CategoricalFocalCrossentropy(reduction=None)": _list(focal(onehot, z)),
        "MeanSquaredError()(a, b)": _f(L.MeanSquaredError()(d["mse_a"], d["mse_b"])),
        "keras.ops.logsumexp(z, axis=-1)": _list(keras.ops.logsumexp(z, axis=-1)),
        "keras.ops.softmax(z)": _list(keras.ops.softmax(z)),
        "keras.ops.log_softmax(z)": _list(keras.ops.log_softmax(z)),
        "keras.config.epsilon()": keras.config.epsilon(),
    }}


@keras_probe("fw-spellings", backends=("tensorflow",))
def tf_spellings(d):
    import numpy as np
    import tensorflow as tf

    z, y = d["logits"], d["labels"]
    onehot = np.eye(4, dtype="float32")[y]
    zb, yb = d["multi_z"], d["multi_t"]
    return {"spell_tf": {
        "tf.nn.sigmoid_cross_entropy_with_logits": _list(tf.nn.sigmoid_cross_entropy_with_logits(labels=yb, logits=zb)),
        "tf.nn.weighted_cross_entropy_with_logits(pos_weight=3)": _list(
            tf.nn.weighted_cross_entropy_with_logits(labels=yb, logits=zb, pos_weight=3.0)),
        "tf.nn.softmax_cross_entropy_with_logits": _list(tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=z)),
        "tf.nn.sparse_softmax_cross_entropy_with_logits": _list(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)),
        "tf.reduce_logsumexp(z, axis=-1)": _list(tf.reduce_logsumexp(z, axis=-1)),
        "tf.nn.softmax(z)": _list(tf.nn.softmax(z)),
        "tf.nn.log_softmax(z)": _list(tf.nn.log_softmax(z)),
    }}


def keras_measure() -> dict:
    """Run every registered probe on the backend this process imported; one dict of results."""
    quiet()
    warnings.simplefilter("ignore")
    import keras

    keras.utils.set_random_seed(0)
    backend = keras.backend.backend()
    r: dict = {"backend": backend, "keras": keras.__version__, "floatx": keras.config.floatx(),
               "epsilon": keras.config.epsilon(), "ran": []}
    if backend == "tensorflow":
        import tensorflow as tf

        r["tensorflow"] = tf.__version__
    d = keras_inputs()
    for label, backends, fn in KERAS_PROBES:
        if backend in backends:
            out = fn(d)
            clash = set(out) & set(r)
            if clash:
                raise KeyError(f"probe {fn.__name__} overwrites {sorted(clash)}")
            r.update(out)
            r["ran"].append(fn.__name__)
    # the shared inputs, so that the appendix feeds celib exactly what Keras saw
    r["logits5"], r["labels5"] = d["logits"].tolist(), d["labels"].tolist()
    r["bce_t"], r["bce_p"] = d["bce_t"].tolist(), d["bce_p"].tolist()
    r["focal_z"], r["mse_a"], r["mse_b"] = d["focal_z"].tolist(), d["mse_a"].tolist(), d["mse_b"].tolist()
    r["kl_p"], r["kl_q"] = d["kl_p"].tolist(), d["kl_q"].tolist()
    r["multi_z"], r["multi_t"] = d["multi_z"].tolist(), d["multi_t"].tolist()
    r["probs"], r["multi_q"] = d["probs"].tolist(), d["multi_q"].tolist()
    return r


def keras_on_backends(backends=BACKENDS, timeout: float = 300) -> dict[str, dict]:
    """Run :func:`keras_measure` once per Keras backend, each in its own subprocess."""
    here = Path(__file__).resolve().parent
    procs = {}
    for b in backends:
        env = dict(os.environ, **QUIET_ENV, KERAS_BACKEND=b)
        env["PYTHONPATH"] = os.pathsep.join([str(here), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        code = "import json, _fwprobe; print('@@' + json.dumps(_fwprobe.keras_measure()))"
        procs[b] = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
    results = {}
    for b, proc in procs.items():
        out, err = proc.communicate(timeout=timeout)
        lines = [ln for ln in out.splitlines() if ln.startswith("@@")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"Keras probe on backend {b!r} failed (exit {proc.returncode}):\n{err[-3000:]}")
        results[b] = json.loads(lines[-1][2:])
    return results


# --------------------------------------------------------------------------- one probe, one process
def run_probe(name: str, *args, timeout: float = 300) -> dict:
    """``_fwprobe.<name>(*args)`` in a fresh Python process, its JSON result returned.

    For measurements that must not run in the notebook's kernel: the PyTorch profiler writes
    timestamped log lines to the process's stderr, and torch.distributed starts processes of its own.
    """
    here = Path(__file__).resolve().parent
    env = dict(os.environ, **QUIET_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(here), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    code = (f"import json, _fwprobe; print('@@' + json.dumps(_fwprobe.{name}(*json.loads({json.dumps(json.dumps(args))}))))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"probe {name} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][2:])


def bias_inputs(tokens: int = 64, hidden: int = 32, vocab: int = 1000, seed: int = 11):
    """Seeded float32 hidden states (tokens, hidden), weight (vocab, hidden) and bias (vocab,)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return (rng.normal(size=(tokens, hidden)).astype(np.float32),
            rng.normal(size=(vocab, hidden)).astype(np.float32),
            rng.normal(size=vocab).astype(np.float32))


def torch_bias_allocations() -> dict:
    """Bytes each ATen operator allocates for three spellings of ``hidden @ weight.T + bias``.

    Measured with ``torch.profiler`` (``profile_memory=True`` records every allocation of the CPU
    allocator against the operator that made it), float32, the inputs of :func:`bias_inputs`.
    """
    import torch
    import torch.nn.functional as F
    from torch.profiler import ProfilerActivity, profile

    h, w, b = (torch.from_numpy(a) for a in bias_inputs())
    h3 = h.reshape(4, -1, h.shape[1])  # the same states as (batch, positions, hidden)
    routes = {
        "F.linear(hidden, weight, bias)": lambda: F.linear(h, w, b),
        "F.linear, hidden of shape (B, T, H)": lambda: F.linear(h3, w, b),
        "hidden @ weight.T + bias": lambda: h @ w.T + b,
    }
    r = {}
    for name, fn in routes.items():
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            out = fn()
        r[name] = {"allocations": [[e.name, int(e.self_cpu_memory_usage)] for e in prof.events()
                                   if e.self_cpu_memory_usage > 0],
                   "logits": out.reshape(-1, w.shape[0]).numpy().tolist()}
    return r


def torch_vocab_parallel(outdir: str) -> dict:
    """Vocabulary-parallel cross-entropy on torch.distributed (gloo, 4 CPU processes): see _fwdist."""
    import _fwdist

    return _fwdist.run(outdir)


if __name__ == "__main__":  # python chapters/_fwprobe.py: print every backend's measurements
    print(json.dumps(keras_on_backends(), indent=1))
