"""Classification and regression losses: binary, categorical, sparse categorical, focal, MSE.

Shared conventions
------------------
* Losses are in nats (natural logarithms), like every deep-learning framework.
* ``y_pred`` holds probabilities unless ``from_logits=True``. From logits the loss is computed in log
  space (log-sum-exp, softplus) and is finite for any finite logit; prefer it.
* ``eps=None`` is exact: a zero probability on the true class gives ``inf``. ``eps=1e-7`` clips
  probabilities to ``[eps, 1 - eps]`` as Keras does, which caps the loss at ``-ln(1e-7) = 16.118``
  and makes its gradient zero beyond the cap.
* ``reduction="mean"`` divides by the sum of the weights actually used: the number of examples when
  unweighted, :math:`\\sum_n w_{y_n}` with ``class_weight`` (the same rule for one-hot and integer
  targets), and ignored rows count in neither the numerator nor the denominator. PyTorch uses this
  rule for integer targets but divides by N for probability targets; Keras divides by N.
* ``sample_weight`` (one weight :math:`s_n \\ge 0` per example, the batch's shape) multiplies each
  example's loss and its weight in the mean, so the same rule holds: "mean" is
  :math:`\\sum_n s_n w_n \\ell_n / \\sum_n s_n w_n`. An integer weight :math:`k` counts the example
  :math:`k` times, weight 0 drops it. Keras divides by N instead (its default
  ``"sum_over_batch_size"``): ``loss(..., sample_weight=s, reduction="sum") / N`` is Keras' value
  (:ref:`fw-keras-sample-weight`).
* The focal losses' ``alpha`` scales the loss (Lin et al., Keras, torchvision): it is not a weight
  of the mean, so a constant ``alpha=0.25`` makes the mean 4 times smaller. Per-class weights of
  the mean are ``class_weight``.
* Label smoothing replaces a target :math:`y` by :math:`y(1 - \\varepsilon) + \\varepsilon / C`.
* float16 is computed in float32 and returned as float16.

Deliberate differences from the frameworks, each executed beside the framework in the appendix
"The same loss in every framework" (the name in brackets is the claim's label):

* exact by default; ``eps=1e-7`` reproduces Keras' clip, which in float32 caps target 0 /
  prediction 1 at 15.942 rather than 16.118 (:ref:`fw-keras-bce-clip`, :ref:`fw-keras-cce-clip`);
  PyTorch's ``BCELoss`` caps at 100 nats instead (:ref:`fw-torch-bce-clamp`);
* an all-ignored batch has mean 0.0, where PyTorch returns nan (:ref:`fw-torch-ignore-index`);
* weighted means divide by the weights used, also for one-hot targets and with label smoothing
  (PyTorch: :ref:`fw-torch-weight-mean`, :ref:`fw-torch-smoothing-weights`; Keras divides by N:
  :ref:`fw-keras-weighted-mean`);
* negative labels, unnormalised probabilities, non-finite logits and shapes that would broadcast
  raise, where optax wraps ``-1`` (:ref:`fw-optax-negative-label`), Keras renormalises
  (:ref:`fw-keras-probs-normalised`) and PyTorch broadcasts MSE (:ref:`fw-mse-broadcast`).
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from . import _validate as v
from .softmax import _log_softmax, _max_and_log_sum, _softplus

__all__ = [
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "sparse_categorical_cross_entropy",
    "focal_loss",
    "binary_focal_loss",
    "inverse_frequency_weights",
    "mean_squared_error",
]


# ---------------------------------------------------------------------------------------------
# helpers


def _prediction(y_pred, *, from_logits: bool, axis: int | None, name: str = "y_pred"):
    """Validated predictions (class axis moved last) in the working dtype, plus the output dtype."""
    arr = v.as_float_array(y_pred, name)
    dtype = arr.dtype
    shown = axis
    if axis is not None:
        axis = v.check_axis(axis, arr.ndim)
        arr = np.moveaxis(arr, axis, -1)
    if not v.check_from_logits(from_logits):
        arr = v.check_probabilities(arr, name, axis=-1 if axis is not None else None, could_be_logits=True,
                                    shown_axis=shown, whole_option=None)
    return arr.astype(v.work_dtype(dtype), copy=False), dtype


def _class_log_probabilities(pred: np.ndarray, from_logits: bool) -> np.ndarray:
    """``ln q`` along the last axis: log-softmax of logits, or the log of probabilities (ln 0 = -inf)."""
    if from_logits:
        return _log_softmax(pred)
    with np.errstate(divide="ignore"):
        return np.log(pred)


def _binary_log_probabilities(pred: np.ndarray, from_logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(ln q, ln(1 - q))`` of the positive class: from a logit ``-softplus(-z), -softplus(z)``
    (no sigmoid, so nothing rounds to 0 or 1), from a probability ``ln q, log1p(-q)``."""
    if from_logits:
        return -_softplus(-pred), -_softplus(pred)
    with np.errstate(divide="ignore"):
        return np.log(pred), np.log1p(-pred)


def _labels_for(labels, pred: np.ndarray, num_classes: int, ignore_index=None) -> np.ndarray:
    """Integer labels shaped like ``pred`` without its (last) class axis."""
    raw = v.as_array(labels, "labels")
    if raw.shape == pred.shape and pred.ndim >= 2:
        raise ValueError(
            f"labels has shape {raw.shape}, the same as y_pred: it looks one-hot. Pass integer class"
            " indices (labels.argmax(axis=-1)) or use categorical_cross_entropy"
        )
    if raw.shape != pred.shape[:-1]:
        squeeze = " (squeeze the trailing axis of size 1)" if raw.shape == pred.shape[:-1] + (1,) else ""
        raise ValueError(
            f"labels must have shape {pred.shape[:-1]} (y_pred's shape without the class axis);"
            f" got {raw.shape}{squeeze}"
        )
    return v.check_labels(raw, "labels", num_classes, ignore_index=ignore_index)


def _labels_and_keep(labels, pred: np.ndarray, ignore_index) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer labels safe to index with (ignored rows read class 0, zeroed later by ``keep``),
    and ``keep``, the rows not ignored (None when ``ignore_index`` is None)."""
    y = _labels_for(labels, pred, pred.shape[-1], v.check_ignore_index(ignore_index))
    if ignore_index is None:
        return y, None
    keep = y != ignore_index
    return np.where(keep, y, 0), keep


def _log_probabilities(p: np.ndarray, eps: float | None) -> np.ndarray:
    """``ln p``; with ``eps`` the probabilities are first clipped to ``[eps, 1 - eps]`` (Keras)."""
    if eps is not None:
        p = np.clip(p, eps, 1 - eps)
    with np.errstate(divide="ignore"):  # ln 0 = -inf is the exact answer when eps is None
        return np.log(p)


def _weighted(weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``weight * x`` with 0 wherever ``weight == 0``, even if ``x`` is infinite (``ln 0``)."""
    with np.errstate(invalid="ignore"):
        return np.where(weight > 0, weight * x, 0)


def _smooth(targets: np.ndarray, label_smoothing: float, num_classes: int) -> np.ndarray:
    if label_smoothing == 0:
        return targets
    return targets * (1 - label_smoothing) + label_smoothing / num_classes


# ---------------------------------------------------------------------------------------------
# binary


def binary_cross_entropy(
    y_true,
    y_pred,
    *,
    from_logits: bool = False,
    pos_weight=None,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    sample_weight=None,
    reduction: str = "mean",
):
    r"""Binary cross-entropy: the negative log-likelihood of Bernoulli targets.

    .. math::

        \ell = -\left[\, w_+\, t \ln p + (1 - t) \ln(1 - p) \,\right]

    From a logit :math:`z` (with :math:`p = \sigma(z)`) the same loss is computed as
    :math:`w_+\, t\, \operatorname{softplus}(-z) + (1 - t) \operatorname{softplus}(z)`, which is
    finite for every finite :math:`z`.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (hard 0/1 labels or soft labels), the same shape as ``y_pred``.
    y_pred : array_like
        Probabilities of the positive class, or logits with ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    pos_weight : None, float or array_like, default None
        :math:`w_+`, a multiplier on the positive term, broadcast against the last axis (one per
        output, as in PyTorch's ``BCEWithLogitsLoss``). It does not change the mean's denominator.
    label_smoothing : float, default 0.0
        :math:`\varepsilon`: targets become :math:`t(1 - \varepsilon) + \varepsilon / 2`.
    eps : None or float, default None
        Clip probabilities to ``[eps, 1 - eps]``; None is exact. Not allowed with logits. With
        float32 inputs and ``eps=1e-7`` this is Keras' clip, 16.118 for target 1 / prediction 0 but
        15.942 for target 0 / prediction 1 (:ref:`fw-keras-bce-clip`).
    sample_weight : None or array_like, default None
        One weight :math:`s \ge 0` per example: ``y_pred``'s shape, or (for 2-D and larger
        inputs) its shape without the last axis, one weight per row of outputs. Each element's
        loss is multiplied by its weight, and "mean" divides by the sum of the weights, so an
        integer weight counts the example that many times and 0 drops it. Keras' "divide by N" is
        ``binary_cross_entropy(y, q, sample_weight=s, reduction="sum") / y.size``
        (:ref:`fw-keras-sample-weight`), and so is PyTorch's ``BCELoss(weight=s)``, whose mean
        also divides by the number of elements.
    reduction : {"mean", "sum", "none"}, default "mean"
        "none" returns the elementwise losses (times ``sample_weight``); "mean" averages over every
        element. (Keras'
        *function* ``binary_crossentropy`` averages the last axis only: :ref:`fw-keras-bce-reduction`.)

    Returns
    -------
    Loss in nats, in the floating dtype of ``y_pred``.

    Examples
    --------
    >>> from celib import binary_cross_entropy
    >>> print(f"{binary_cross_entropy([1, 0], [0.9, 0.2]):.4f}")
    0.1643
    >>> print(f"{binary_cross_entropy([1.0], [-800.0], from_logits=True):.1f}")  # exact, no inf
    800.0
    >>> twice = binary_cross_entropy([1, 0], [0.9, 0.2], sample_weight=[2, 1])  # weight 2 = the row twice
    >>> print(f"{twice:.4f}, {binary_cross_entropy([1, 1, 0], [0.9, 0.9, 0.2]):.4f}")
    0.1446, 0.1446

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, §4.3.2.
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    eps = _eps_for(from_logits, eps)
    pred, dtype = _prediction(y_pred, from_logits=from_logits, axis=None)
    t = v.probabilities(y_true, "y_true", pred.dtype, axis=None)
    v.check_same_shape(t, pred, "y_true", "y_pred")
    t = t * (1 - smoothing) + smoothing / 2 if smoothing else t
    w = 1 if pos_weight is None else _pos_weight(pos_weight, pred)
    s = v.check_sample_weight(sample_weight, pred.shape, pred.dtype, per_row=True)

    if from_logits:
        # ln p = -softplus(-z) and ln(1 - p) = -softplus(z): no sigmoid, so nothing rounds to 0 or 1.
        losses = w * t * _softplus(-pred) + (1 - t) * _softplus(pred)
    else:
        losses = -(_weighted(w * t, _log_probabilities(pred, eps)) + _weighted(1 - t, _log1m(pred, eps)))
    return v.finish(losses, reduction, dtype, sample_weight=s)


def _log1m(p: np.ndarray, eps: float | None) -> np.ndarray:
    """``ln(1 - p)`` through ``log1p``, exact for small ``p``."""
    if eps is not None:
        p = np.clip(p, eps, 1 - eps)
    with np.errstate(divide="ignore"):
        return np.log1p(-p)


def _power_from_log(log_x: np.ndarray, gamma: float) -> np.ndarray:
    """x ** gamma from ln x, with 0 ** 0 = 1: at gamma = 0 the focal factor is 1 even where x = 0,
    so the focal loss is exactly cross-entropy there (exp(0 * -inf) would be NaN)."""
    if gamma == 0:
        return np.ones_like(log_x)
    return np.exp(gamma * log_x)


def _pos_weight(pos_weight, pred: np.ndarray) -> np.ndarray:
    """``pos_weight`` validated: >= 0, and broadcasting to ``pred``'s shape, never beyond it."""
    w = v.as_float_array(pos_weight, "pos_weight", pred.dtype)
    if (w < 0).any():
        raise ValueError(f"pos_weight must be >= 0; got {w.min()}")
    try:
        fits = np.broadcast_shapes(w.shape, pred.shape) == pred.shape
    except ValueError:
        fits = False
    if not fits:  # a (4, 1, 3) weight against (2, 3) predictions would silently give a (4, 2, 3) loss
        raise ValueError(
            f"pos_weight has shape {w.shape}, which does not broadcast to y_pred's {pred.shape} without"
            " enlarging it; pass a scalar or one weight per output (the last axis)"
        )
    return w


# ---------------------------------------------------------------------------------------------
# categorical


def categorical_cross_entropy(
    y_true,
    y_pred,
    *,
    from_logits: bool = False,
    axis: int = -1,
    label_smoothing: float = 0.0,
    class_weight=None,
    eps: float | None = None,
    sample_weight=None,
    reduction: str = "mean",
):
    r"""Categorical cross-entropy with one-hot or soft (probability) targets.

    .. math::

        \ell_n = -s_n \sum_{c=1}^{C} w_c\, y_{nc} \ln q_{nc}, \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_n s_n \sum_c w_c\, y_{nc}}

    where :math:`q = \operatorname{softmax}(z)` when ``from_logits=True`` (computed as
    :math:`\ln q = z - \operatorname{LSE}(z)`), and :math:`w \equiv 1` without ``class_weight``
    and :math:`s \equiv 1` without ``sample_weight``, in which case the mean is the plain average
    over the N examples.

    Parameters
    ----------
    y_true : array_like
        Target distributions, same shape as ``y_pred``; each row sums to 1 along ``axis``.
    y_pred : array_like
        Predicted distributions, or logits with ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits. Prefer logits: the loss is then exact and finite.
    axis : int, default -1
        The class axis.
    label_smoothing : float, default 0.0
        :math:`\varepsilon`: targets become :math:`y(1 - \varepsilon) + \varepsilon / C`.
    class_weight : None or array_like of shape (C,), default None
        Non-negative per-class weights :math:`w_c`. The mean divides by :math:`\sum_n w_{y_n}`;
        PyTorch divides by N for probability targets (deliberate difference,
        :ref:`fw-torch-weight-mean`).
    eps : None or float, default None
        Clip probabilities to ``[eps, 1 - eps]`` (Keras uses 1e-7: :ref:`fw-keras-cce-clip`); None
        is exact.
    sample_weight : None or array_like, default None
        One weight :math:`s_n \ge 0` per example, shaped like ``y_pred`` without its class axis.
        It multiplies the example's loss and its weight in the mean (the denominator above), so an
        integer weight counts the example that many times and 0 drops it; it combines with
        ``class_weight`` by multiplication. Keras' "divide by N" is
        ``f(..., sample_weight=s, reduction="sum") / N``, N the number of examples
        (:ref:`fw-keras-sample-weight`); optax's ``where=mask`` mean is ``sample_weight=mask``
        (:ref:`fw-optax-where`).
    reduction : {"mean", "sum", "none"}, default "mean"
        "none" returns one loss per example (the class axis removed, times ``sample_weight``).

    Returns
    -------
    Loss in nats, in the floating dtype of ``y_pred``.

    Examples
    --------
    >>> from celib import categorical_cross_entropy
    >>> y_true = [[0, 1, 0], [0, 0, 1]]
    >>> y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    >>> print(f"{categorical_cross_entropy(y_true, y_pred):.4f}")  # (-ln .95 - ln .1) / 2
    1.1769

    References
    ----------
    Goodfellow, Bengio & Courville (2016), *Deep Learning*, §6.2.2.3.
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    eps = _eps_for(from_logits, eps)
    pred, dtype = _prediction(y_pred, from_logits=from_logits, axis=axis)
    y = v.as_float_array(y_true, "y_true")  # checked in its own dtype, then cast
    if y.ndim == pred.ndim - 1 and y.shape == pred.shape[:-1]:
        raise ValueError(
            f"y_true has shape {y.shape} but y_pred has shape {np.shape(y_pred)}: y_true looks like"
            " integer labels; use sparse_categorical_cross_entropy, or one-hot encode y_true"
        )
    y = np.moveaxis(y, axis, -1) if y.ndim == pred.ndim else y
    v.check_same_shape(y, pred, "y_true", "y_pred")
    y = v.check_probabilities(y, "y_true", axis=-1, shown_axis=axis, whole_option=None).astype(pred.dtype)
    num_classes = pred.shape[-1]
    w = v.check_class_weight(class_weight, num_classes, pred.dtype)
    s = v.check_sample_weight(sample_weight, pred.shape[:-1], pred.dtype)

    log_q = _log_softmax(pred) if from_logits else _log_probabilities(pred, eps)
    y = _smooth(y, smoothing, num_classes)
    weighted_y = y if w is None else y * w
    losses = -_weighted(weighted_y, log_q).sum(axis=-1)
    weights = None if w is None else weighted_y.sum(axis=-1)
    return v.finish(losses, reduction, dtype, weights, sample_weight=s)


def _eps_for(from_logits: bool, eps):
    eps = v.check_eps(eps)
    if from_logits and eps is not None:
        raise ValueError("eps clips probabilities; with from_logits=True the loss is already exact (drop eps)")
    return eps


def sparse_categorical_cross_entropy(
    labels,
    y_pred,
    *,
    from_logits: bool = False,
    axis: int = -1,
    ignore_index: int | None = None,
    class_weight=None,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    sample_weight=None,
    reduction: str = "mean",
):
    r"""Categorical cross-entropy with integer class labels ("sparse" targets).

    Identical to :func:`categorical_cross_entropy` with one-hot targets, without building them:

    .. math::

        \ell_n = -s_n w_{y_n} \ln q_{n, y_n}
               = s_n w_{y_n} \left( \operatorname{LSE}(z_n) - z_{n, y_n} \right)
        \quad\text{(from logits)}, \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_n s_n w_{y_n}}

    With label smoothing :math:`\varepsilon` the target is
    :math:`(1 - \varepsilon)\,\mathrm{onehot}(y_n) + \varepsilon / C`, so
    :math:`\ell_n = -(1 - \varepsilon) w_{y_n} \ln q_{n,y_n} - \frac{\varepsilon}{C} \sum_c w_c \ln q_{nc}`
    and the row's weight is :math:`(1 - \varepsilon) w_{y_n} + \frac{\varepsilon}{C} \sum_c w_c`.

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, C)``, shaped like ``y_pred`` without its class axis. Integral floats
        (``2.0``) are accepted; fractions and negative values are errors (NumPy would read ``-1`` as
        the last class).
    y_pred : array_like
        Predicted distributions, or logits with ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    axis : int, default -1
        The class axis of ``y_pred``.
    ignore_index : None or int, default None
        Label value to skip (e.g. ``-100`` for padding); those rows count in neither the sum nor
        the mean's denominator, and get loss 0 with ``reduction="none"``. If every row is skipped
        the mean is 0.0; PyTorch returns nan (deliberate difference, :ref:`fw-torch-ignore-index`).
        Any other negative label raises, where optax wraps ``-1`` to the last class
        (:ref:`fw-optax-negative-label`).
    class_weight : None or array_like of shape (C,), default None
        Non-negative per-class weights.
    label_smoothing : float, default 0.0
        :math:`\varepsilon` in [0, 1]. Unweighted, this matches PyTorch and Keras
        (:ref:`fw-label-smoothing`); with ``class_weight`` the mean's denominator is the smoothed
        weight above, where PyTorch divides by :math:`\sum_n w_{y_n}` (deliberate difference,
        :ref:`fw-torch-smoothing-weights`).
    eps : None or float, default None
        Clip probabilities to ``[eps, 1 - eps]``; None is exact.
    sample_weight : None or array_like, default None
        One weight :math:`s_n \ge 0` per example, shaped like ``labels``.
        It multiplies the example's loss and its weight in the mean (the denominator above), so an
        integer weight counts the example that many times and 0 drops it; it combines with
        ``class_weight`` by multiplication, and ignored rows count nowhere whatever their weight. Keras' "divide by N" is
        ``f(..., sample_weight=s, reduction="sum") / N``, N the number of examples
        (:ref:`fw-keras-sample-weight`); optax's ``where=mask`` mean is ``sample_weight=mask``
        (:ref:`fw-optax-where`).
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    Loss in nats, in the floating dtype of ``y_pred``.

    Examples
    --------
    >>> from celib import sparse_categorical_cross_entropy
    >>> print(f"{sparse_categorical_cross_entropy([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]):.4f}")
    1.1769
    >>> padded = [1, -100]
    >>> logits = [[0.0, 3.0, 0.0], [9.0, 9.0, 9.0]]
    >>> print(f"{sparse_categorical_cross_entropy(padded, logits, from_logits=True, ignore_index=-100):.4f}")
    0.0949
    >>> z = [[2.0, 0.0], [0.0, 2.0], [0.0, 2.0]]
    >>> s = [1, 0, 3]  # the middle example dropped, the last counted 3 times
    >>> ours = sparse_categorical_cross_entropy([0, 0, 1], z, from_logits=True, sample_weight=s)
    >>> keras = sparse_categorical_cross_entropy([0, 0, 1], z, from_logits=True, sample_weight=s,
    ...                                          reduction="sum") / 3  # Keras: divide by N = 3
    >>> print(f"{ours:.4f}, {keras:.4f}")
    0.1269, 0.1692

    References
    ----------
    Murphy (2022), *Probabilistic Machine Learning: An Introduction*, §10.3.
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    eps = _eps_for(from_logits, eps)
    ignore_index = v.check_ignore_index(ignore_index)
    if from_logits is True and not smoothing and sample_weight is None and _kernels.eligible(y_pred, axis):
        # large 2-D float32/64 logits: cache-blocked, threaded, same semantics (celib/_kernels.py);
        # None means "not handled" (e.g. a non-finite logit), and the code below raises or computes.
        fast = _kernels.sparse_cross_entropy(
            labels, y_pred, ignore_index=ignore_index, class_weight=class_weight, reduction=reduction
        )
        if fast is not None:
            return fast
    pred, dtype = _prediction(y_pred, from_logits=from_logits, axis=axis)
    num_classes = pred.shape[-1]
    y, keep = _labels_and_keep(labels, pred, ignore_index)
    safe = y[..., None]
    w = v.check_class_weight(class_weight, num_classes, pred.dtype)
    s = v.check_sample_weight(sample_weight, y.shape, pred.dtype)

    if from_logits:
        # -ln q_y = LSE(z) - z_y = (m - z_y) + ln s: the full log-softmax is never formed, and
        # m - z_y is taken first so that a large m does not round away the O(1) part.
        m, ln_s = _max_and_log_sum(pred, -1)
        log_q_true = -((m - np.take_along_axis(pred, safe, axis=-1)) + ln_s)[..., 0]
    else:
        log_q = _log_probabilities(pred, eps)
        log_q_true = np.take_along_axis(log_q, safe, axis=-1)[..., 0]
    w_true = np.ones(y.shape, pred.dtype) if w is None else w[safe[..., 0]]
    losses = -_weighted((1 - smoothing) * w_true, log_q_true)  # 0 where the weight is 0, even at ln 0
    weights = None if w is None else w_true
    if smoothing:
        # the uniform part of the smoothed target: -(eps / C) sum_c w_c ln q_c
        log_q_all = ((pred - m) - ln_s) if from_logits else log_q
        w_all = np.broadcast_to(np.ones(num_classes, pred.dtype) if w is None else w, pred.shape)
        losses = losses - (smoothing / num_classes) * _weighted(w_all, log_q_all).sum(-1)
        if w is not None:
            weights = (1 - smoothing) * weights + smoothing / num_classes * w.sum()
    return v.finish(losses, reduction, dtype, weights, keep=keep, sample_weight=s)


# ---------------------------------------------------------------------------------------------
# focal


def focal_loss(labels, y_pred, *, from_logits: bool = False, axis: int = -1, gamma: float = 2.0, alpha=None,
               class_weight=None, ignore_index: int | None = None, sample_weight=None, reduction: str = "mean"):
    r"""Softmax focal loss for integer labels, computed in log space.

    .. math::

        \ell_n = -s_n\, w_{y_n}\, \alpha_{y_n} (1 - q_{n,y_n})^{\gamma} \ln q_{n,y_n},
        \qquad \text{mean} = \frac{\sum_n \ell_n}{\sum_n s_n w_{y_n}},
        \qquad q_n = \operatorname{softmax}(z_n) \text{ (from logits)}

    The factor :math:`(1 - q_t)^\gamma` shrinks the loss of examples the model already gets right,
    so training concentrates on the hard ones. :math:`\gamma = 0` with no ``alpha`` is
    :func:`sparse_categorical_cross_entropy` (with the same ``class_weight``, ``ignore_index`` and
    ``sample_weight``). From logits, :math:`\ln q_t` comes from log-softmax,
    whose top class is :math:`-\operatorname{log1p}(r)` with :math:`r` the sum over the other
    classes, and :math:`1 - q_t` from ``-expm1(ln q_t)``, so neither rounds to 0 for a confident
    model: both keep a few ulps of relative accuracy up to the dtype's smallest normal number
    (tested against mpmath).

    **alpha scales the loss; class_weight weights the mean.** :math:`\alpha` is Lin et al.'s
    balancing factor and multiplies each example's loss; it is not in the mean's denominator, so a
    constant ``alpha=0.25`` makes every reduction 4 times smaller. This is Keras'
    ``CategoricalFocalCrossentropy(alpha=0.25)`` for one-hot targets, whose mean divides by N
    (:ref:`fw-keras-categorical-focal`). ``class_weight`` :math:`w` follows the cross-entropies'
    rule instead: the mean divides by :math:`\sum_n s_n w_{y_n}`, so a constant class weight
    cancels, as it does in :func:`sparse_categorical_cross_entropy`.

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, C)``, shaped like ``y_pred`` without its class axis.
    y_pred : array_like
        Predicted probabilities, or logits with ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits, as in the cross-entropies. Logits given as probabilities
        are refused (outside [0, 1], or rows that do not sum to 1) with a message that says so.
    axis : int, default -1
        The class axis of ``y_pred``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : None, float or array_like of shape (C,), default None
        Balancing factors :math:`\alpha_c \ge 0` that multiply the loss; a float applies to every
        class (Keras, Lin et al.). The mean divides by N, not by :math:`\sum_n \alpha_{y_n}`.
    class_weight : None or array_like of shape (C,), default None
        Per-class weights :math:`w_c \ge 0` of the weighted mean, as in the cross-entropies.
    ignore_index : None or int, default None
        Label value to skip; those rows count in neither the sum nor the mean's denominator.
    sample_weight : None or array_like, default None
        One weight :math:`s_n \ge 0` per example, shaped like ``labels``; it multiplies the loss and
        the example's weight in the mean (see :func:`sparse_categorical_cross_entropy`). Keras'
        mean is ``focal_loss(..., sample_weight=s, reduction="sum") / N``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import focal_loss
    >>> logits = [[4.0, 0.0, 0.0], [0.0, 0.5, 0.0]]   # one easy, one hard example
    >>> ce = focal_loss([0, 1], logits, from_logits=True, gamma=0.0)
    >>> fl = focal_loss([0, 1], logits, from_logits=True, gamma=2.0)
    >>> print(f"{ce:.4f}, {fl:.4f}")
    0.4152, 0.1194
    >>> print(f"{focal_loss([0, 1], logits, from_logits=True, gamma=2.0, alpha=0.25):.4f}")  # Keras' alpha
    0.0298

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár (2017), "Focal loss for dense object detection", ICCV.
    """
    reduction = v.check_reduction(reduction)
    gamma = v.check_nonnegative(gamma, "gamma")
    pred, dtype = _prediction(y_pred, from_logits=from_logits, axis=axis)
    num_classes = pred.shape[-1]
    y, keep = _labels_and_keep(labels, pred, ignore_index)
    alpha = v.focal_alpha(alpha, num_classes, pred.dtype)
    w = v.check_class_weight(class_weight, num_classes, pred.dtype)
    s = v.check_sample_weight(sample_weight, y.shape, pred.dtype)

    log_pt = np.take_along_axis(_class_log_probabilities(pred, from_logits), y[..., None], axis=-1)[..., 0]
    losses = -(-np.expm1(log_pt)) ** gamma * log_pt  # 1 - q_t = -expm1(ln q_t), no cancellation
    if alpha is not None:
        losses = _weighted(alpha[y], losses)  # a factor of the loss only
    weights = None if w is None else w[y]
    if weights is not None:
        losses = _weighted(weights, losses)  # a weight of the mean too
    return v.finish(losses, reduction, dtype, weights, keep=keep, sample_weight=s)


def binary_focal_loss(y_true, y_pred, *, from_logits: bool = False, gamma: float = 2.0, alpha=None,
                      sample_weight=None, reduction: str = "mean"):
    r"""Sigmoid (binary) focal loss, computed in log space.

    .. math::

        \ell = -\alpha\, t\, (1 - q)^{\gamma} \ln q
               - (1 - \alpha)(1 - t)\, q^{\gamma} \ln(1 - q), \qquad q = \sigma(z) \text{ (from logits)}

    For hard labels this is :math:`-\alpha_t (1 - q_t)^\gamma \ln q_t` of Lin et al. (2017). With
    ``alpha=None`` both terms have weight 1, and :math:`\gamma = 0` gives
    :func:`binary_cross_entropy`. :math:`\alpha` scales the loss and ``"mean"`` averages over all
    elements, as torchvision's ``sigmoid_focal_loss`` does. For 0/1 labels this equals torchvision's
    ``sigmoid_focal_loss`` and Keras' ``BinaryFocalCrossentropy(apply_class_balancing=True)``; for
    soft labels they weight the whole cross-entropy by :math:`(1 - q_t)^\gamma` and differ from this
    loss (:ref:`fw-focal`).
    Powers of :math:`q` and :math:`1 - q` are exponentials of :math:`\ln q` and :math:`\ln(1 - q)`,
    which from a logit are :math:`-\operatorname{softplus}(\mp z)`: finite for every finite logit.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1], the same shape as ``y_pred``.
    y_pred : array_like
        Probabilities of the positive class, or logits :math:`z` with ``from_logits=True``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits, as in :func:`binary_cross_entropy`.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : None or float in [0, 1], default None
        Weight of the positive term; the negative term gets :math:`1 - \alpha`.
    sample_weight : None or array_like, default None
        One weight per example, as in :func:`binary_cross_entropy` (``y_pred``'s shape, or its shape
        without the last axis): it multiplies the loss, and "mean" divides by the sum of the weights.
        Keras' mean is ``binary_focal_loss(..., sample_weight=s, reduction="sum") / y.size``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import binary_focal_loss
    >>> print(f"{binary_focal_loss([1, 0], [3.0, -1.0], from_logits=True, gamma=2.0, alpha=0.25):.4f}")
    0.0085

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár (2017), "Focal loss for dense object detection", ICCV.
    """
    reduction = v.check_reduction(reduction)
    gamma = v.check_nonnegative(gamma, "gamma")
    pred, dtype = _prediction(y_pred, from_logits=from_logits, axis=None)
    t = v.probabilities(y_true, "y_true", pred.dtype, axis=None)
    v.check_same_shape(t, pred, "y_true", "y_pred")
    a_pos, a_neg = v.binary_focal_alpha(alpha)
    s = v.check_sample_weight(sample_weight, pred.shape, pred.dtype, per_row=True)
    log_q, log_1mq = _binary_log_probabilities(pred, from_logits)
    with np.errstate(invalid="ignore"):  # 0 * inf where a term's weight is 0: that term is 0
        positive = np.where(t > 0, a_pos * t * _power_from_log(log_1mq, gamma) * -log_q, 0)
        negative = np.where(t < 1, a_neg * (1 - t) * _power_from_log(log_q, gamma) * -log_1mq, 0)
    return v.finish(positive + negative, reduction, dtype, sample_weight=s)


# ---------------------------------------------------------------------------------------------
# weights and regression


def inverse_frequency_weights(labels, num_classes: int):
    r"""Class weights inversely proportional to class frequency ("balanced").

    .. math::

        w_c = \frac{N}{C \, n_c}

    where :math:`n_c` is the number of labels equal to :math:`c`. Every class then carries the
    same total weight :math:`N / C`, as with scikit-learn's ``compute_class_weight("balanced")``.

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, num_classes)``.
    num_classes : int
        :math:`C`. Every class must occur at least once (its weight would be infinite).

    Returns
    -------
    float64 array of shape (C,).

    Examples
    --------
    >>> from celib import inverse_frequency_weights
    >>> print(inverse_frequency_weights([0, 0, 0, 1], num_classes=2))
    [0.66666667 2.        ]

    References
    ----------
    King & Zeng (2001), "Logistic regression in rare events data", Political Analysis 9(2);
    scikit-learn, ``sklearn.utils.class_weight.compute_class_weight``.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer; got {num_classes!r}")
    y = v.check_labels(labels, "labels", int(num_classes)).ravel()
    counts = np.bincount(y, minlength=num_classes)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(
            f"labels never contain class {int(missing[0])}, so its inverse frequency is infinite;"
            " pass num_classes equal to the classes present or set that class's weight by hand"
        )
    return y.size / (num_classes * counts.astype(np.float64))


def mean_squared_error(y_true, y_pred, *, reduction: str = "mean"):
    r"""Mean squared error, refusing to broadcast mismatched shapes.

    .. math::

        \text{MSE} = \frac{1}{N} \sum_{i=1}^{N} (y_i - \hat y_i)^2

    Parameters
    ----------
    y_true, y_pred : array_like
        Same shape exactly: ``(N, 1)`` against ``(N,)`` is an error, not an ``(N, N)`` average
        (PyTorch warns and broadcasts, Keras squeezes: :ref:`fw-mse-broadcast`).
    reduction : {"mean", "sum", "none"}, default "mean"
        "none" returns the elementwise squared errors; "mean" averages over every element.

    Examples
    --------
    >>> from celib import mean_squared_error
    >>> print(mean_squared_error([1.0, 0.0], [0.9, 0.2]))
    0.025

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, §1.2.5 and §3.1.1.
    """
    reduction = v.check_reduction(reduction)
    pred = v.as_float_array(y_pred, "y_pred")
    dtype = pred.dtype
    y = v.as_float_array(y_true, "y_true", dtype)
    v.check_same_shape(y, pred, "y_true", "y_pred")
    work = v.work_dtype(dtype)
    losses = (pred.astype(work) - y.astype(work)) ** 2
    return v.finish(losses, reduction, dtype)
