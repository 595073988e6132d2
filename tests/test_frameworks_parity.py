"""Differential tests: celib against PyTorch, optax and Keras (issue 10).

Where the conventions agree, celib must give the framework's number, on random inputs (hypothesis,
few examples: this file must stay well under a minute) and on extreme ones (|logit| up to 1e4,
float32 and float64). Where celib deliberately differs, one explicit test per difference pins both
numbers; the appendix "The same loss in every framework" shows the same facts to the reader.

Keras runs in this process on the PyTorch backend (set before the import), which is the cheapest to
load beside torch; the appendix runs every Keras claim on all three backends.

The frameworks come from requirements-frameworks.txt (`make frameworks`; `make test` installs them).
Without them this file skips, except under CI (CI=true), where a missing framework is a failure.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib


def _require(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"{name} is not installed ({exc}); run `make frameworks`"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " -- under CI the framework stack is required", pytrace=False)
        pytest.skip(message, allow_module_level=True)


for _k, _v in {"TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}.items():
    os.environ.setdefault(_k, _v)
if "keras" not in sys.modules:
    os.environ["KERAS_BACKEND"] = "torch"

torch = _require("torch")
F = _require("torch.nn.functional")
jax = _require("jax")
jnp = _require("jax.numpy")
optax = _require("optax")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    keras = _require("keras")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chapters"))
import _fwprobe  # noqa: E402  (the torchvision loader shared with the appendix)

FEW = settings(max_examples=12)
# Keras' torch backend converts with np.array(x, copy=False) (NumPy 2 deprecation): not our concern.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def T(x, dtype=torch.float64):
    return torch.tensor(np.asarray(x), dtype=dtype)


def K(x):
    """A Keras result as a float64 NumPy array."""
    x = keras.ops.convert_to_numpy(x)
    return np.asarray(x, dtype=np.float64)


# ----------------------------------------------------------------------------- strategies
@st.composite
def logits_and_labels(draw, max_abs=30.0, min_classes=2):
    # two shapes only: JAX compiles once per shape, and random shapes would dominate the run time
    n, c = draw(st.sampled_from([(4, 2), (3, 5)]))
    z = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-max_abs, max_abs, width=64)))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return z, y


@st.composite
def logits_and_soft_targets(draw):
    z, _ = draw(logits_and_labels())
    raw = draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 1.0)))
    raw = raw + 1e-3
    return z, raw / raw.sum(-1, keepdims=True)


@st.composite
def binary_logits(draw, hard=False, max_abs=30.0):
    shape = draw(st.sampled_from([(4, 1), (3, 3)]))
    z = draw(hnp.arrays(np.float64, shape, elements=st.floats(-max_abs, max_abs, width=64)))
    if hard:
        t = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    else:
        t = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    return z, t


EXTREME = [
    np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 0.0, 0.0], [5e3, 5e3 - 1, -1e4]]),
    np.array([[-1e4, 1e4], [1e4, -1e4], [9999.0, 1e4]]),
]


# ----------------------------------------------------------------------------- softmax family
@FEW
@given(logits_and_labels(max_abs=1e3))
def test_softmax_log_softmax_logsumexp(zy):
    z, _ = zy
    np.testing.assert_allclose(celib.softmax(z), F.softmax(T(z), dim=-1).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(celib.log_softmax(z), F.log_softmax(T(z), dim=-1).numpy(), rtol=1e-12, atol=1e-12)
    # torch forms ln(1 + r), exact to ~eps absolute but not relative where LSE is near 0; celib's
    # log1p(r) is exact there (z = (-11, 0): torch 1.670156131830428e-05, mpmath and celib
    # 1.670156131839396e-05), so the comparison allows torch's absolute error
    np.testing.assert_allclose(celib.logsumexp(z), torch.logsumexp(T(z), dim=-1).numpy(), rtol=1e-12, atol=4e-16)
    z32 = z.astype(np.float32)
    np.testing.assert_allclose(celib.log_softmax(z32), np.asarray(jax.nn.log_softmax(jnp.asarray(z32))),
                               rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("z", EXTREME, ids=["3cls", "2cls"])
def test_softmax_family_extreme(z, dtype):
    z = z.astype(dtype)
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    np.testing.assert_allclose(celib.log_softmax(z), F.log_softmax(T(z, tdt), dim=-1).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(celib.logsumexp(z), torch.logsumexp(T(z, tdt), dim=-1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(celib.softmax(z), F.softmax(T(z, tdt), dim=-1).numpy(), atol=1e-6)


# ----------------------------------------------------------------------------- categorical
@FEW
@given(logits_and_labels())
def test_sparse_cross_entropy_from_logits(zy):
    z, y = zy
    ce = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(ce, F.cross_entropy(T(z), torch.tensor(y), reduction="none").numpy(),
                               rtol=1e-10, atol=1e-12)
    z32 = z.astype(np.float32)
    ce32 = celib.sparse_categorical_cross_entropy(y, z32, from_logits=True, reduction="none")
    ox = np.asarray(optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(z32), jnp.asarray(y)))
    np.testing.assert_allclose(ce32, ox, rtol=1e-4, atol=1e-4)
    kx = K(keras.losses.sparse_categorical_crossentropy(y, z32, from_logits=True))
    np.testing.assert_allclose(ce32, kx, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("z", EXTREME, ids=["3cls", "2cls"])
def test_sparse_cross_entropy_extreme(z, dtype):
    z = z.astype(dtype)
    y = np.arange(len(z)) % z.shape[1]
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    ce = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")
    assert ce.dtype == dtype and np.isfinite(ce).all()
    np.testing.assert_allclose(ce, F.cross_entropy(T(z, tdt), torch.tensor(y), reduction="none").numpy(),
                               rtol=1e-6, atol=1e-6)
    ox = np.asarray(optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(z.astype(np.float32)), jnp.asarray(y)))
    np.testing.assert_allclose(ce, ox, rtol=1e-6, atol=1e-3)


@FEW
@given(logits_and_soft_targets())
def test_categorical_cross_entropy_soft_targets(zp):
    z, p = zp
    ce = celib.categorical_cross_entropy(p, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(ce, F.cross_entropy(T(z), T(p), reduction="none").numpy(), rtol=1e-10, atol=1e-12)
    ox = np.asarray(optax.softmax_cross_entropy(jnp.asarray(z, jnp.float32), jnp.asarray(p, jnp.float32)))
    np.testing.assert_allclose(ce, ox, rtol=1e-4, atol=1e-4)
    kx = K(keras.losses.categorical_crossentropy(p.astype(np.float32), z.astype(np.float32), from_logits=True))
    np.testing.assert_allclose(ce, kx, rtol=1e-4, atol=1e-4)


@FEW
@given(logits_and_labels(), st.floats(0.0, 0.5))
def test_label_smoothing_unweighted(zy, eps):
    z, y = zy
    c = z.shape[1]
    ce = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, label_smoothing=eps)
    ce_cat = celib.categorical_cross_entropy(np.eye(c)[y], z, from_logits=True, label_smoothing=eps)
    th = F.cross_entropy(T(z), torch.tensor(y), label_smoothing=eps).item()
    np.testing.assert_allclose([ce, ce_cat], th, rtol=1e-10, atol=1e-12)
    smoothed = np.asarray(optax.smooth_labels(jnp.asarray(np.eye(c)[y], jnp.float32), eps))
    np.testing.assert_allclose(ce, np.asarray(optax.softmax_cross_entropy(jnp.asarray(z, jnp.float32), smoothed)).mean(),
                               rtol=1e-4, atol=1e-4)
    kx = K(keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=eps)(
        np.eye(c, dtype=np.float32)[y], z.astype(np.float32)))
    np.testing.assert_allclose(ce, kx, rtol=1e-4, atol=1e-4)


@FEW
@given(logits_and_labels(), hnp.arrays(np.float64, 5, elements=st.floats(0.1, 5.0)))
def test_class_weights_integer_targets(zy, w):
    z, y = zy
    w = w[: z.shape[1]]
    th = F.cross_entropy(T(z), torch.tensor(y), weight=T(w)).item()
    ce = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, class_weight=w)
    ce_cat = celib.categorical_cross_entropy(np.eye(z.shape[1])[y], z, from_logits=True, class_weight=w)
    np.testing.assert_allclose([ce, ce_cat], th, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- binary
@FEW
@given(binary_logits())
def test_binary_cross_entropy_from_logits(zt):
    z, t = zt
    ce = celib.binary_cross_entropy(t, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(ce, F.binary_cross_entropy_with_logits(T(z), T(t), reduction="none").numpy(),
                               rtol=1e-10, atol=1e-12)
    ox = np.asarray(optax.sigmoid_binary_cross_entropy(jnp.asarray(z, jnp.float32), jnp.asarray(t, jnp.float32)))
    np.testing.assert_allclose(ce, ox, rtol=1e-4, atol=1e-4)
    kx = K(keras.losses.binary_crossentropy(t.astype(np.float32), z.astype(np.float32), from_logits=True))
    np.testing.assert_allclose(ce.mean(-1), kx, rtol=1e-4, atol=1e-4)  # the function means the last axis


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_extreme(dtype):
    z = np.array([[1e4, -1e4], [-1e4, 1e4], [0.0, 9999.0]], dtype)
    t = np.array([[1.0, 1.0], [1.0, 0.0], [0.5, 0.0]], dtype)
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    ce = celib.binary_cross_entropy(t, z, from_logits=True, reduction="none")
    assert ce.dtype == dtype and np.isfinite(ce).all()
    np.testing.assert_allclose(ce, F.binary_cross_entropy_with_logits(T(z, tdt), T(t, tdt), reduction="none").numpy(),
                               rtol=1e-6, atol=1e-6)


@FEW
@given(binary_logits(), hnp.arrays(np.float64, 4, elements=st.floats(0.0, 10.0)))
def test_pos_weight(zt, pw):
    z, t = zt
    pw = pw[: z.shape[1]]
    th = torch.nn.BCEWithLogitsLoss(pos_weight=T(pw))(T(z), T(t)).item()
    np.testing.assert_allclose(celib.binary_cross_entropy(t, z, from_logits=True, pos_weight=pw), th,
                               rtol=1e-10, atol=1e-12)


@FEW
@given(binary_logits(hard=True, max_abs=6.0), st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 2.0, 3.5]))
def test_binary_focal_hard_labels(zt, alpha, gamma):
    z, t = zt
    ce = celib.binary_focal_loss(t, z, gamma=gamma, alpha=alpha, reduction="none", from_logits=True)
    ox = np.asarray(optax.sigmoid_focal_loss(jnp.asarray(z, jnp.float32), jnp.asarray(t, jnp.float32),
                                             alpha=alpha, gamma=gamma))
    np.testing.assert_allclose(ce, ox, rtol=1e-4, atol=1e-5)
    kx = K(keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=alpha, gamma=gamma,
                                                from_logits=True, reduction="none")(
        t.astype(np.float32)[..., None], z.astype(np.float32)[..., None]))
    np.testing.assert_allclose(ce, kx, rtol=1e-4, atol=1e-5)


def test_binary_focal_torchvision_hard_labels(rng):
    if _fwprobe.torchvision_wheel() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("torchvision wheel missing from .venv/wheels: run `make frameworks`")
        pytest.skip("torchvision wheel missing from .venv/wheels: run `make frameworks`")
    sigmoid_focal_loss = _fwprobe.torchvision_sigmoid_focal_loss()
    z = rng.normal(scale=4, size=(8, 3))
    t = (rng.random((8, 3)) > 0.6).astype(float)
    for alpha, gamma in [(0.25, 2.0), (0.5, 0.0), (0.9, 1.5)]:
        tv = sigmoid_focal_loss(T(z), T(t), alpha=alpha, gamma=gamma, reduction="mean").item()
        np.testing.assert_allclose(celib.binary_focal_loss(t, z, gamma=gamma, alpha=alpha, from_logits=True), tv, rtol=1e-10)


# ----------------------------------------------------------------------------- KL, MSE
@FEW
@given(logits_and_soft_targets())
def test_kl_divergence(zp):
    z, p = zp
    q = celib.softmax(z)
    ce = celib.kl_divergence(p, q)
    th = F.kl_div(T(np.log(q)), T(p), reduction="batchmean").item()
    np.testing.assert_allclose(ce.mean(), th, rtol=1e-8, atol=1e-10)
    ox = np.asarray(optax.kl_divergence(jnp.asarray(np.log(q), jnp.float32), jnp.asarray(p, jnp.float32)))
    np.testing.assert_allclose(ce, ox, rtol=1e-3, atol=1e-4)


@FEW
@given(hnp.arrays(np.float64, st.sampled_from([(4, 1), (3, 3)]), elements=st.floats(-1e3, 1e3)),
       st.integers(0, 2**32 - 1))
def test_mean_squared_error(y, seed):
    p = y + np.random.default_rng(seed).normal(size=y.shape)
    ce = celib.mean_squared_error(y, p)
    np.testing.assert_allclose(ce, torch.nn.MSELoss()(T(p), T(y)).item(), rtol=1e-12)
    kx = K(keras.losses.MeanSquaredError()(y.astype(np.float32), p.astype(np.float32)))
    np.testing.assert_allclose(ce, kx, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- documented differences
def test_difference_all_ignored_batch(rng):
    """fw-torch-ignore-index: PyTorch returns nan for an all-ignored batch, celib 0.0."""
    z = rng.normal(size=(3, 4))
    y = np.full(3, -100)
    assert np.isnan(F.cross_entropy(T(z), torch.tensor(y), ignore_index=-100).item())
    assert celib.sparse_categorical_cross_entropy(y, z, from_logits=True, ignore_index=-100) == 0.0


def test_difference_smoothing_with_weights(rng):
    """fw-torch-smoothing-weights: same numerator, PyTorch divides by sum w_y, celib by the smoothed weights."""
    z = rng.normal(size=(6, 4))
    y = np.array([0, 1, 2, 3, 3, 1])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    eps = 0.2
    th = F.cross_entropy(T(z), torch.tensor(y), weight=T(w), label_smoothing=eps).item()
    ce = celib.sparse_categorical_cross_entropy(y, z, from_logits=True, class_weight=w, label_smoothing=eps)
    torch_den = w[y].sum()
    celib_den = ((1 - eps) * w[y] + eps / 4 * w.sum()).sum()
    np.testing.assert_allclose(th * torch_den, ce * celib_den, rtol=1e-12)
    assert abs(ce / th - 1) > 0.01


def test_difference_weighted_probability_targets(rng):
    """fw-torch-weight-mean: PyTorch divides by N for probability targets, celib by sum w_y."""
    z = rng.normal(size=(5, 3))
    y = np.array([0, 2, 1, 1, 2])
    w = np.array([1.0, 4.0, 0.5])
    th = F.cross_entropy(T(z), T(np.eye(3)[y]), weight=T(w)).item()
    ce = celib.categorical_cross_entropy(np.eye(3)[y], z, from_logits=True, class_weight=w)
    np.testing.assert_allclose(th, ce * w[y].sum() / len(y), rtol=1e-12)


def test_difference_keras_sample_weight_divides_by_n(rng):
    """fw-keras-weighted-mean: Keras divides the weighted sum by N."""
    z = rng.normal(size=(5, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 2])
    w = np.array([1.0, 4.0, 0.5], np.float32)
    kx = K(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, z, sample_weight=w[y]))
    rows = celib.sparse_categorical_cross_entropy(y, z.astype(np.float64), from_logits=True, reduction="none")
    np.testing.assert_allclose(kx, (w[y] * rows).sum() / 5, rtol=1e-5)
    ce = celib.sparse_categorical_cross_entropy(y, z.astype(np.float64), from_logits=True, class_weight=w)
    assert not np.isclose(kx, ce, rtol=1e-3)


def test_difference_optax_negative_label(rng):
    """fw-optax-negative-label: optax wraps -1 to the last class; celib raises."""
    z = rng.normal(size=(2, 4)).astype(np.float32)
    wrapped = optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(z), jnp.array([-1, -1]))
    last = optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(z), jnp.array([3, 3]))
    np.testing.assert_array_equal(np.asarray(wrapped), np.asarray(last))
    with pytest.raises(ValueError, match="ignore_index"):
        celib.sparse_categorical_cross_entropy([-1, -1], z, from_logits=True)


def test_difference_keras_float32_clip():
    """fw-keras-bce-clip / fw-keras-cce-clip: Keras clips at 1e-7 in float32; celib is exact unless eps is given."""
    f32 = np.float32
    t1p0 = K(keras.losses.binary_crossentropy(f32([[1.0]]), f32([[0.0]])))
    t0p1 = K(keras.losses.binary_crossentropy(f32([[0.0]]), f32([[1.0]])))
    np.testing.assert_allclose(t1p0, 16.118095, rtol=1e-6)
    np.testing.assert_allclose(t0p1, 15.942385, rtol=1e-6)
    assert np.isinf(celib.binary_cross_entropy([0.0], [1.0]))
    np.testing.assert_allclose(celib.binary_cross_entropy(f32([0.0]), f32([1.0]), eps=1e-7), t0p1, rtol=1e-6)
    np.testing.assert_allclose(celib.binary_cross_entropy(f32([1.0]), f32([0.0]), eps=1e-7), t1p0, rtol=1e-6)
    np.testing.assert_allclose(celib.binary_cross_entropy([0.0], [1.0], eps=1e-7), -np.log(1e-7), rtol=1e-9)
    cap = K(keras.losses.sparse_categorical_crossentropy(np.array([1]), f32([[1.0, 0.0]])))
    np.testing.assert_allclose(cap, -np.log(1e-7), rtol=1e-6)
    assert np.isinf(celib.sparse_categorical_cross_entropy([1], [[1.0, 0.0]]))


def test_difference_torch_bce_clamp():
    """fw-torch-bce-clamp: BCELoss caps at 100 nats; celib is exact."""
    assert F.binary_cross_entropy(T([0.0, 1e-50]), T([1.0, 1.0]), reduction="none").tolist() == [100.0, 100.0]
    ce = celib.binary_cross_entropy([1.0, 1.0], [0.0, 1e-50], reduction="none")
    assert np.isinf(ce[0]) and np.isclose(ce[1], 50 * np.log(10))


def test_difference_mse_broadcast():
    """fw-mse-broadcast: torch warns and broadcasts (N, 1) vs (N,); celib refuses."""
    y, p = np.arange(4.0), np.arange(4.0)[:, None] + 0.5
    with pytest.warns(UserWarning, match="target size"):
        th = torch.nn.MSELoss()(T(p), T(y)).item()
    np.testing.assert_allclose(th, ((p - y) ** 2).mean())
    with pytest.raises(ValueError):
        celib.mean_squared_error(y, p)
