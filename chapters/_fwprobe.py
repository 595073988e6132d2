"""Measurements of other libraries for appendix_frameworks.ipynb and tests/test_frameworks_*.py.

Not part of celib (which needs nothing but NumPy) and not a lesson: this module runs PyTorch,
Keras 3, TensorFlow, JAX/optax and scikit-learn (``make frameworks`` installs them) and returns
plain numbers, so that the appendix can print them beside celib's and assert each claim.

Keras picks its backend once, at import (``KERAS_BACKEND``), so :func:`keras_on_backends` starts
one subprocess per backend; each runs :func:`keras_measure` and prints one JSON object. The three
subprocesses run side by side. Each Keras call of the appendix is in :func:`keras_measure`, under a
comment naming the claim's label.
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


def keras_measure() -> dict:
    """Every Keras measurement of the appendix, on the backend this process imported."""
    quiet()
    warnings.simplefilter("ignore")
    import numpy as np
    import keras
    from keras import losses as L

    keras.utils.set_random_seed(0)
    r: dict = {"backend": keras.backend.backend(), "keras": keras.__version__, "floatx": keras.config.floatx(),
               "epsilon": keras.config.epsilon()}

    # fw-keras-bce-clip: probabilities are clipped to [eps, 1 - eps] in float32
    r["bce_t1_p0"] = _f(L.binary_crossentropy(np.array([[1.0]], "float32"), np.array([[0.0]], "float32")))
    r["bce_t0_p1"] = _f(L.binary_crossentropy(np.array([[0.0]], "float32"), np.array([[1.0]], "float32")))

    # fw-keras-cce-clip
    r["cce_p0"] = _f(L.categorical_crossentropy(np.array([[0.0, 1.0]], "float32"), np.array([[1.0, 0.0]], "float32")))
    r["scce_p0"] = _f(L.sparse_categorical_crossentropy(np.array([1]), np.array([[1.0, 0.0]], "float32")))

    # fw-keras-probs-normalised: probabilities are divided by their sum before the clip
    r["cce_unnormalised"] = _f(L.categorical_crossentropy(np.array([[1.0, 0.0, 0.0]], "float32"), np.array([[2.0, -1.0, 0.5]], "float32")))

    # fw-keras-softmax-output: a softmax output layer, true loss LSE(z) - z_y = 100 nats
    x = np.array([[100.0, 0.0, 0.0]], "float32")
    y = np.array([1])
    out = {}
    caught = []
    for from_logits in (False, True):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("softmax")])
        model.compile(loss=L.SparseCategoricalCrossentropy(from_logits=from_logits), run_eagerly=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out[str(from_logits)] = _f(model.evaluate(x, y, verbose=0))
        caught += [str(m.message) for m in w if "from_logits" in str(m.message)]
    r["softmax_layer_probs"] = out["False"]
    r["softmax_layer_logits"] = out["True"]
    r["softmax_layer_warned"] = bool(caught)

    # fw-keras-sparse-squeeze: (N, 1) labels are squeezed
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(5, 4)).astype("float32")
    labels = np.array([3, 0, 2, 1, 3])
    sc = L.SparseCategoricalCrossentropy(from_logits=True)
    r["squeeze_n"] = _f(sc(labels, logits))
    r["squeeze_n1"] = _f(sc(labels[:, None], logits))

    # fw-keras-sparse-no-smoothing
    r["sparse_has_smoothing"] = _try(lambda: L.SparseCategoricalCrossentropy(label_smoothing=0.1) and "accepted")
    r["cat_has_smoothing"] = _try(lambda: L.CategoricalCrossentropy(label_smoothing=0.1) and "accepted")

    # fw-label-smoothing (Keras side), unweighted, from logits
    onehot = np.eye(4, dtype="float32")[labels]
    r["cce_smooth"] = _f(L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(onehot, logits))

    # fw-keras-ignore-class and the -1 row without ignore_class
    lab_pad = np.array([3, 0, -1, 1, -1])
    r["ignore_class"] = _try(lambda: _f(L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(lab_pad, logits)))
    r["minus1_rows"] = _try(lambda: _list(L.sparse_categorical_crossentropy(lab_pad, logits, from_logits=True)))
    r["minus1_mean"] = _try(lambda: _f(sc(lab_pad, logits)))

    # fw-keras-bce-reduction: the function means over the last axis only
    t = (rng.random((3, 4)) > 0.5).astype("float32")
    p = rng.uniform(0.05, 0.95, size=(3, 4)).astype("float32")
    r["bce_fn"] = _list(L.binary_crossentropy(t, p))
    r["bce_cls"] = _f(L.BinaryCrossentropy()(t, p))
    r["bce_t"], r["bce_p"] = t.tolist(), p.tolist()

    # fw-keras-weighted-mean: sample_weight and the default reduction divide by N
    # (Keras' fit(class_weight=cw) turns class weights into sample_weight = cw[label].)
    cw = np.array([1.0, 2.0, 0.5, 3.0], "float32")
    r["weighted_mean"] = _f(sc(labels, logits, sample_weight=cw[labels]))
    r["class_weight"] = cw.tolist()

    # fw-focal: BinaryFocalCrossentropy, alpha balancing on, from logits; hard and soft labels
    zf = rng.normal(scale=2.0, size=(6,)).astype("float32")
    hard = np.array([1, 0, 1, 1, 0, 0], "float32")
    soft = np.array([0.9, 0.2, 0.6, 1.0, 0.0, 0.3], "float32")
    focal = L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0, from_logits=True)
    r["focal_z"] = zf.tolist()
    r["focal_hard"] = _f(focal(hard[:, None], zf[:, None]))
    r["focal_soft"] = _f(focal(soft[:, None], zf[:, None]))

    # fw-kl-args (Keras side): KLDivergence(y_true=p, y_pred=q) is KL(p || q), both inputs clipped
    # to [eps, 1], so a zero of q where p > 0 gives a finite number instead of inf
    krng = np.random.default_rng(30)  # its own generator: the draws below stay as they were
    kp = krng.dirichlet(np.ones(4), size=3).astype("float32")
    kq = krng.dirichlet(np.ones(4), size=3).astype("float32")
    r["kl_p"], r["kl_q"] = kp.tolist(), kq.tolist()
    r["kl_keras"] = _f(L.KLDivergence()(kp, kq))
    r["kl_keras_zero_q"] = _f(L.KLDivergence()(np.array([[0.5, 0.5, 0.0]], "float32"),
                                               np.array([[1.0, 0.0, 0.0]], "float32")))

    # fw-mse-broadcast: (N, 1) predictions against (N,) targets
    yt = np.array([0.0, 1.0, 2.0, 3.0], "float32")
    yp = np.array([[0.5], [1.0], [1.5], [3.5]], "float32")
    r["mse_n1_vs_n"] = _f(L.MeanSquaredError()(yt, yp))

    # fw-keras-accuracy-metric: "accuracy" with a binary CE loss on 3-class one-hot targets
    xs = np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 2.0], [2.0, 0.0, 1.0]], "float32")
    ys = np.eye(3, dtype="float32")[[0, 2, 1, 1]]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("softmax")])
    model.compile(loss="binary_crossentropy", metrics=["accuracy"], run_eagerly=True)
    res = model.evaluate(xs, ys, verbose=0, return_dict=True)
    r["accuracy_metric"] = _f(res["accuracy"])
    r["accuracy_metric_class"] = type(model.metrics[-1].metrics[0]).__name__ if hasattr(model.metrics[-1], "metrics") else ""

    # ... and a multi-label (multi-hot) sigmoid model: "accuracy" is still resolved from the shapes
    xm = np.array([[2.0, -1.0, 0.5], [-1.0, 1.0, 2.0], [0.5, 0.5, -2.0], [-2.0, 1.0, -0.5]], "float32")
    ym = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("sigmoid")])
    model.compile(loss="binary_crossentropy", metrics=["accuracy"], run_eagerly=True)
    res = model.evaluate(xm, ym, verbose=0, return_dict=True)
    r["multilabel_accuracy"] = _f(res["accuracy"])
    r["multilabel_accuracy_class"] = type(model.metrics[-1].metrics[0]).__name__
    r["multilabel_x"], r["multilabel_y"] = xm.tolist(), ym.tolist()

    # fw-loss-functions-per-example: the loss functions return one value per example
    r["fn_shapes"] = {
        "sparse_categorical_crossentropy": list(L.sparse_categorical_crossentropy(labels, logits, from_logits=True).shape),
        "categorical_crossentropy": list(L.categorical_crossentropy(onehot, logits, from_logits=True).shape),
        "SparseCategoricalCrossentropy()": list(sc(labels, logits).shape),
    }
    r["fn_sparse_values"] = _list(L.sparse_categorical_crossentropy(labels, logits, from_logits=True))

    # fw-mse-mean-entries: MSE on (N, C) averages over all N * C entries
    a = rng.normal(size=(4, 3)).astype("float32")
    b = rng.normal(size=(4, 3)).astype("float32")
    r["mse_a"], r["mse_b"] = a.tolist(), b.tolist()
    r["mse_cls"] = _f(L.MeanSquaredError()(a, b))
    r["mse_fn"] = _list(L.mean_squared_error(a, b))

    # fw-keras-progbar-mean: with a learning rate of 0 the weights never move, so each batch's own
    # loss is known in advance; the logged loss after batch k is the mean of the first k of them.
    xb = rng.normal(size=(12, 3)).astype("float32")
    yb = rng.integers(0, 3, size=12)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.layers[0].set_weights([rng.normal(size=(3, 3)).astype("float32"), np.zeros(3, "float32")])
    model.compile(loss=L.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.SGD(learning_rate=0.0), run_eagerly=True)
    per_batch = [_f(sc(yb[i:i + 4], model(xb[i:i + 4]))) for i in (0, 4, 8)]
    logged = []

    class Log(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            logged.append(float(logs["loss"]))

    model.fit(xb, yb, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[Log()])
    r["progbar_per_batch"], r["progbar_logged"] = per_batch, logged
    r["progbar_start"] = _f(sc(yb, model(xb)))
    r["logits5"], r["labels5"] = logits.tolist(), labels.tolist()

    # fw-tf-label-range: TensorFlow's own op with a label equal to C, on CPU
    if r["backend"] == "tensorflow":
        import tensorflow as tf

        r["tf_label_eq_C"] = _try(lambda: _list(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=np.array([3]), logits=np.array([[1.0, 2.0, 3.0]], "float32"))))
        r["tensorflow"] = tf.__version__
        # fw-loss-functions-per-example: tf.nn's losses return one value per example
        r["tf_sparse"] = _list(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        r["tf_dense"] = _list(tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits))
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


if __name__ == "__main__":  # python chapters/_fwprobe.py: print every backend's measurements
    print(json.dumps(keras_on_backends(), indent=1))
