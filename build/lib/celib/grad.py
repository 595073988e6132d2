"""Analytic gradients of the losses with respect to the logits.

These are what backpropagation starts from. Each one is short because the log-likelihood and the
link function cancel: softmax with cross-entropy gives ``p - y``, sigmoid with binary cross-entropy
gives ``sigma(z) - t``. Sigmoid with squared error has no such cancellation, and its gradient
carries an extra ``sigma'(z)`` factor that vanishes when the model is confidently wrong.

``reduction`` matches the loss being differentiated: "mean" divides by the number of terms that
loss averages over, "sum" does not, and "none" returns the gradient of each example's own loss.
So the gradients inherit celib's deliberate differences from PyTorch: with class weights the mean
divides by the weights used, also for one-hot targets and with label smoothing
(:ref:`fw-torch-weight-mean`, :ref:`fw-torch-smoothing-weights`), and an all-ignored batch has
gradient 0 where PyTorch's loss is nan (:ref:`fw-torch-ignore-index`).
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from . import _validate as v
from .softmax import _log_softmax, _softplus

__all__ = [
    "softmax_cross_entropy_grad",
    "binary_cross_entropy_grad",
    "mse_sigmoid_grad",
    "mse_softmax_grad",
    "focal_loss_grad",
    "binary_focal_loss_grad",
]


def _scale(grad: np.ndarray, reduction: str, count: int, dtype: np.dtype):
    if reduction == "mean":
        grad = grad / grad.dtype.type(count)
    return grad.astype(dtype)


def _logits(logits):
    z = v.as_float_array(logits, "logits")
    return z.astype(v.work_dtype(z.dtype), copy=False), z.dtype


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _weighted_mean(grad: np.ndarray, reduction: str, row_weight: np.ndarray, dtype: np.dtype):
    """Divide by the sum of the weights actually used (the losses' "mean" rule); 0/0 gives 0."""
    if reduction == "mean":
        total = row_weight.sum()
        grad = grad / grad.dtype.type(total) if total > 0 else np.zeros_like(grad)
    return grad.astype(dtype)


def _onehot(labels: np.ndarray, num_classes: int, dtype: np.dtype) -> np.ndarray:
    y = np.zeros(labels.shape + (num_classes,), dtype)
    np.put_along_axis(y, labels[..., None], 1, -1)
    return y


def softmax_cross_entropy_grad(
    labels_or_onehot,
    logits,
    *,
    class_weight=None,
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    reduction: str = "mean",
):
    r"""Gradient of softmax cross-entropy with respect to the logits.

    .. math::

        \frac{\partial}{\partial z_{nk}} \Big( -\sum_c y_{nc} \ln \operatorname{softmax}(z_n)_c \Big)
        = p_{nk} - y_{nk}, \qquad p_n = \operatorname{softmax}(z_n)

    divided by the number of rows N for ``reduction="mean"``: the gradient of
    ``categorical_cross_entropy(..., from_logits=True)`` or its sparse twin. With class weights
    :math:`w` and (smoothed) targets :math:`\tilde y` the row loss is
    :math:`-\sum_c w_c \tilde y_{nc} \ln p_{nc}` and its gradient
    :math:`p_{nk} W_n - w_k \tilde y_{nk}` with :math:`W_n = \sum_c w_c \tilde y_{nc}`; "mean" then
    divides by :math:`\sum_n W_n`, the same rule as the losses, and ignored rows get gradient 0.

    Parameters
    ----------
    labels_or_onehot : array_like
        Either integer labels of shape ``logits.shape[:-1]`` or target distributions of the same
        shape as ``logits`` (one-hot or soft, each row summing to 1).
    logits : array_like
        Logits with the class axis last.
    class_weight : None or array_like of shape (C,), default None
        Non-negative per-class weights, as in the losses.
    label_smoothing : float, default 0.0
        :math:`\varepsilon`: targets become :math:`y(1 - \varepsilon) + \varepsilon / C`.
    ignore_index : None or int, default None
        Integer label to skip (integer labels only).
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    ndarray shaped like ``logits``; each row sums to 0.

    Examples
    --------
    >>> from celib import softmax_cross_entropy_grad
    >>> print(softmax_cross_entropy_grad([0], [[2.0, 1.0, 0.1]]).round(4))
    [[-0.341   0.2424  0.0986]]

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, eq. (4.109).
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    if class_weight is not None or smoothing or ignore_index is not None:
        return _weighted_softmax_cross_entropy_grad(
            labels_or_onehot, logits, class_weight, smoothing, ignore_index, reduction
        )
    if _kernels.eligible(logits):
        # large 2-D float32/64 logits with integer labels: cache-blocked and threaded
        # (celib/_kernels.py); None means "not handled" and the code below raises or computes.
        fast = _kernels.softmax_cross_entropy_grad(labels_or_onehot, logits, reduction=reduction)
        if fast is not None:
            return fast
    z, dtype = _logits(logits)
    if z.ndim < 1:
        raise ValueError("logits must have a class axis (at least one dimension)")
    raw = v.as_array(labels_or_onehot, "labels_or_onehot")
    p = np.exp(_log_softmax(z))
    if raw.shape == z.shape:
        y = v.check_probabilities(v.as_float_array(raw, "labels_or_onehot", z.dtype), "labels_or_onehot",
                                    whole_option=None)
        grad = p - y
    elif raw.shape == z.shape[:-1]:
        labels = v.check_labels(raw, "labels_or_onehot", z.shape[-1])
        grad = p
        np.put_along_axis(grad, labels[..., None], np.take_along_axis(p, labels[..., None], -1) - 1, -1)
    else:
        raise ValueError(
            f"labels_or_onehot must have shape {z.shape[:-1]} (integer labels) or {z.shape}"
            f" (one-hot or soft targets); got {raw.shape}"
        )
    return _scale(grad, reduction, int(np.prod(z.shape[:-1])), dtype)


def _weighted_softmax_cross_entropy_grad(raw, logits, class_weight, smoothing, ignore_index, reduction):
    """The general case of :func:`softmax_cross_entropy_grad`: weights, smoothing, ignored rows."""
    z, dtype = _logits(logits)
    if z.ndim < 1:
        raise ValueError("logits must have a class axis (at least one dimension)")
    num_classes = z.shape[-1]
    w = v.check_class_weight(class_weight, num_classes, z.dtype)
    raw = v.as_array(raw, "labels_or_onehot")
    keep = None
    if raw.shape == z.shape:
        if ignore_index is not None:
            raise ValueError("ignore_index applies to integer labels; drop it for one-hot or soft targets")
        y = v.check_probabilities(v.as_float_array(raw, "labels_or_onehot", z.dtype), "labels_or_onehot",
                                    whole_option=None)
    elif raw.shape == z.shape[:-1]:
        labels = v.check_labels(raw, "labels_or_onehot", num_classes, ignore_index=ignore_index)
        if ignore_index is not None:
            keep = labels != ignore_index
            labels = np.where(keep, labels, 0)
        y = _onehot(labels, num_classes, z.dtype)
    else:
        raise ValueError(
            f"labels_or_onehot must have shape {z.shape[:-1]} (integer labels) or {z.shape}"
            f" (one-hot or soft targets); got {raw.shape}"
        )
    if smoothing:
        y = y * (1 - smoothing) + smoothing / num_classes
    wy = y if w is None else y * w
    row_weight = wy.sum(axis=-1, keepdims=True)
    if keep is not None:
        row_weight = np.where(keep[..., None], row_weight, 0)
        wy = np.where(keep[..., None], wy, 0)
    grad = np.exp(_log_softmax(z)) * row_weight - wy
    return _weighted_mean(grad, reduction, row_weight, dtype)


def binary_cross_entropy_grad(
    y_true, logits, *, pos_weight=None, label_smoothing: float = 0.0, reduction: str = "mean"
):
    r"""Gradient of binary cross-entropy from logits with respect to the logits.

    .. math::

        \frac{\partial}{\partial z} \Big( -t \ln \sigma(z) - (1 - t) \ln(1 - \sigma(z)) \Big)
        = \sigma(z) - t

    divided by the number of elements for ``reduction="mean"``. With ``pos_weight`` :math:`w_+`
    (the loss :math:`-w_+ t \ln \sigma(z) - (1 - t) \ln(1 - \sigma(z))`) it is
    :math:`\sigma(z)\,(w_+ t + 1 - t) - w_+ t`; label smoothing replaces :math:`t` by
    :math:`t (1 - \varepsilon) + \varepsilon / 2` first, as in
    :func:`~celib.losses.binary_cross_entropy`.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1], the same shape as ``logits``.
    logits : array_like
        Logits :math:`z`.
    pos_weight : None, float or array_like, default None
        Multiplier on the positive term, broadcast against the last axis.
    label_smoothing : float, default 0.0
        :math:`\varepsilon` in [0, 1].
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import binary_cross_entropy_grad
    >>> print(binary_cross_entropy_grad([1.0, 0.0], [0.0, 0.0]))
    [-0.25  0.25]

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, eq. (4.91).
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    z, dtype = _logits(logits)
    t = v.check_probabilities(v.as_float_array(y_true, "y_true", z.dtype), "y_true", axis=None)
    v.check_same_shape(t, z, "y_true", "logits")
    if smoothing:
        t = t * (1 - smoothing) + smoothing / 2
    if pos_weight is None:
        grad = _sigmoid(z) - t
    else:
        w = v.as_float_array(pos_weight, "pos_weight", z.dtype)
        if (w < 0).any():
            raise ValueError(f"pos_weight must be >= 0; got {w.min()}")
        grad = _sigmoid(z) * (w * t + 1 - t) - w * t
    return _scale(grad, reduction, z.size, dtype)[()]


def mse_sigmoid_grad(y_true, logits, *, reduction: str = "mean"):
    r"""Gradient of the squared error of a sigmoid output with respect to the logits.

    .. math::

        \frac{\partial}{\partial z} \big(\sigma(z) - t\big)^2
        = 2\,\big(\sigma(z) - t\big)\,\sigma(z)\,\big(1 - \sigma(z)\big)

    divided by the number of elements for ``reduction="mean"``. The factor
    :math:`\sigma(z)(1 - \sigma(z)) \le 1/4` goes to 0 as :math:`|z|` grows, so a confidently wrong
    prediction (``t = 1``, ``z = -10``) barely moves: the reason cross-entropy trains classifiers
    faster than squared error.

    Examples
    --------
    >>> from celib import mse_sigmoid_grad, binary_cross_entropy_grad
    >>> print(f"{mse_sigmoid_grad([1.0], [-10.0])[0]:.2e} vs {binary_cross_entropy_grad([1.0], [-10.0])[0]:.2e}")
    -9.08e-05 vs -1.00e+00

    References
    ----------
    Golik, Doetsch & Ney (2013), "Cross-entropy vs. squared error training", Interspeech.
    """
    reduction = v.check_reduction(reduction)
    z, dtype = _logits(logits)
    t = v.as_float_array(y_true, "y_true", z.dtype)
    v.check_same_shape(t, z, "y_true", "logits")
    s = _sigmoid(z)
    return _scale(2 * (s - t) * s * (1 - s), reduction, z.size, dtype)[()]


def mse_softmax_grad(y_true, logits, *, reduction: str = "mean"):
    r"""Gradient of the squared error of softmax probabilities with respect to the logits.

    For :math:`L = \sum_{n,c} (p_{nc} - y_{nc})^2` with :math:`p_n = \operatorname{softmax}(z_n)`,
    the softmax Jacobian :math:`\partial p_c / \partial z_k = p_c([c = k] - p_k)` gives

    .. math::

        \frac{\partial L}{\partial z_{nk}} = p_{nk} \Big( a_{nk} - \sum_c a_{nc}\, p_{nc} \Big),
        \qquad a_{nc} = 2\,(p_{nc} - y_{nc})

    and ``reduction="mean"`` divides by the number of elements N·C, matching
    ``mean_squared_error(y_true, softmax(logits))``. Every term carries a factor :math:`p_{nk}`, so
    a class the model is confidently wrong about (:math:`p \approx 0` on the true class) gets almost
    no gradient: the softmax version of the vanishing gradient of sigmoid + MSE.

    Parameters
    ----------
    y_true : array_like
        Targets (one-hot or any real values), the same shape as ``logits``.
    logits : array_like
        Logits with the class axis last.
    reduction : {"mean", "sum"}, default "mean"
        "none" is not defined here: the elementwise squared errors share each row's logits.

    Examples
    --------
    >>> from celib import mse_softmax_grad
    >>> print(mse_softmax_grad([[0.0, 1.0]], [[0.0, 0.0]]).round(4))
    [[ 0.25 -0.25]]

    References
    ----------
    Golik, Doetsch & Ney (2013), "Cross-entropy vs. squared error training", Interspeech.
    """
    reduction = v.check_reduction(reduction)
    if reduction == "none":
        raise ValueError('reduction must be "mean" or "sum" for mse_softmax_grad; "none" has no'
                         " per-element gradient (the elements of a row share its logits)")
    z, dtype = _logits(logits)
    if z.ndim < 1:
        raise ValueError("logits must have a class axis (at least one dimension)")
    y = v.as_float_array(y_true, "y_true", z.dtype)
    v.check_same_shape(y, z, "y_true", "logits")
    p = np.exp(_log_softmax(z))
    a = 2 * (p - y)
    return _scale(p * (a - (a * p).sum(axis=-1, keepdims=True)), reduction, z.size, dtype)


def focal_loss_grad(labels, logits, *, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
    r"""Gradient of the softmax focal loss with respect to the logits.

    With :math:`p = \operatorname{softmax}(z)`, :math:`p_t = p_y` and
    :math:`\ell = -\alpha_y (1 - p_t)^{\gamma} \ln p_t`:

    .. math::

        \frac{\partial \ell}{\partial z_k} = g \, (p_k - [k = y]), \qquad
        g = \alpha_y \Big( (1 - p_t)^{\gamma} - \gamma\, p_t (1 - p_t)^{\gamma - 1} \ln p_t \Big)

    the cross-entropy gradient :math:`p - y` scaled per example by :math:`g \ge 0`
    (:math:`\gamma = 0` gives :math:`g = \alpha_y`). "mean" divides by :math:`\sum_n \alpha_{y_n}`
    (N without ``alpha``), as :func:`~celib.losses.focal_loss` does. :math:`1 - p_t` comes from
    ``-expm1(ln p_t)`` and the second term of :math:`g` is taken as its limit 0 when
    :math:`p_t = 1`, so nothing is ``0 * inf``.

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, C)``, shape ``logits.shape[:-1]``.
    logits : array_like
        Logits with the class axis last.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : None, float or array_like of shape (C,), default None
        Class weights, as in :func:`~celib.losses.focal_loss`.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import focal_loss_grad
    >>> print(focal_loss_grad([0], [[2.0, 1.0, 0.1]], gamma=2.0).round(4))
    [[-0.1036  0.0736  0.0299]]

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár (2017), "Focal loss for dense object detection", ICCV.
    """
    reduction = v.check_reduction(reduction)
    gamma = v.check_nonnegative(gamma, "gamma")
    z, dtype = _logits(logits)
    if z.ndim < 1:
        raise ValueError("logits must have a class axis (at least one dimension)")
    num_classes = z.shape[-1]
    raw = v.as_array(labels, "labels")
    if raw.shape != z.shape[:-1]:
        raise ValueError(f"labels must have shape {z.shape[:-1]} (logits without the class axis); got {raw.shape}")
    y = v.check_labels(raw, "labels", num_classes)
    log_p = _log_softmax(z)
    log_pt = np.take_along_axis(log_p, y[..., None], axis=-1)
    pt, q = np.exp(log_pt), -np.expm1(log_pt)  # q = 1 - p_t without cancellation
    with np.errstate(divide="ignore", invalid="ignore"):
        # gamma p_t q^(gamma-1) ln p_t -> 0 as p_t -> 1 (ln p_t ~ -q), for every gamma > 0
        second = np.where(q > 0, gamma * pt * q ** (gamma - 1) * log_pt, 0) if gamma else 0
    g = q**gamma - second
    alpha = v.focal_alpha(alpha, num_classes, z.dtype)
    row_weight = np.ones_like(pt) if alpha is None else alpha[y][..., None]
    grad = (row_weight * g) * (np.exp(log_p) - _onehot(y, num_classes, z.dtype))
    return _weighted_mean(grad, reduction, row_weight, dtype)


def binary_focal_loss_grad(y_true, logits, *, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
    r"""Gradient of the sigmoid (binary) focal loss with respect to the logits.

    With :math:`p = \sigma(z)`, positive weight :math:`a_+ = \alpha` and negative weight
    :math:`a_- = 1 - \alpha` (both 1 without ``alpha``):

    .. math::

        \frac{\partial \ell}{\partial z}
        = a_+\, t \left[ \gamma\, p (1 - p)^{\gamma} \ln p - (1 - p)^{\gamma + 1} \right]
        + a_-\, (1 - t) \left[ p^{\gamma + 1} - \gamma\, p^{\gamma} (1 - p) \ln(1 - p) \right]

    which is :math:`p - t` for :math:`\gamma = 0` and no ``alpha``. Powers of :math:`p` and
    :math:`1 - p` are taken as exponentials of the log-probabilities
    :math:`\ln p = -\operatorname{softplus}(-z)`, :math:`\ln(1 - p) = -\operatorname{softplus}(z)`,
    so every term is finite for every finite :math:`z`. "mean" divides by the number of elements,
    as :func:`~celib.losses.binary_focal_loss` does.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1], the same shape as ``logits``.
    logits : array_like
        Logits :math:`z`.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : None or float in [0, 1], default None
        Weight of the positive term; the negative term gets :math:`1 - \alpha`.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import binary_focal_loss_grad
    >>> print(binary_focal_loss_grad([1.0, 0.0], [0.0, 0.0], gamma=2.0, reduction="none"))
    [-0.2982868  0.2982868]

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár (2017), "Focal loss for dense object detection", ICCV.
    """
    reduction = v.check_reduction(reduction)
    gamma = v.check_nonnegative(gamma, "gamma")
    z, dtype = _logits(logits)
    t = v.check_probabilities(v.as_float_array(y_true, "y_true", z.dtype), "y_true", axis=None)
    v.check_same_shape(t, z, "y_true", "logits")
    a_pos, a_neg = v.binary_focal_alpha(alpha)
    log_p, log_1mp = -_softplus(-z), -_softplus(z)
    p, one_minus_p = np.exp(log_p), np.exp(log_1mp)
    positive = gamma * p * np.exp(gamma * log_1mp) * log_p - np.exp((gamma + 1) * log_1mp)
    negative = np.exp((gamma + 1) * log_p) - gamma * np.exp(gamma * log_p) * one_minus_p * log_1mp
    grad = a_pos * t * positive + a_neg * (1 - t) * negative
    return _scale(grad, reduction, z.size, dtype)[()]
