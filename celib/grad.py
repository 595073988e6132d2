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
from .losses import (_binary_log_probabilities, _class_log_probabilities, _labels_and_keep, _pos_weight,
                     _power_from_log, _smooth)
from .losses import _prediction as _loss_prediction
from .softmax import _log_softmax, _sigmoid

__all__ = [
    "softmax_cross_entropy_grad",
    "binary_cross_entropy_grad",
    "mse_sigmoid_grad",
    "mse_softmax_grad",
    "focal_loss_grad",
    "binary_focal_loss_grad",
]


def _prediction(y_pred, from_logits: bool, axis: int | None):
    """Validated prediction with its class axis moved last (``axis=None``: elementwise), in the
    working dtype, plus the output dtype; the same checks and messages as the losses."""
    pred, dtype = _loss_prediction(y_pred, from_logits=from_logits, axis=axis)
    if axis is not None and pred.ndim < 1:
        raise ValueError("y_pred must have a class axis (at least one dimension)")
    return pred, dtype


def _probabilities(pred: np.ndarray, from_logits: bool) -> np.ndarray:
    """softmax of logits along the last axis, or the probabilities as given."""
    return np.exp(_log_softmax(pred)) if from_logits else pred


def _positive_probability(pred: np.ndarray, from_logits: bool) -> np.ndarray:
    """The positive class's probability: sigmoid of a logit, or the probability as given."""
    return _sigmoid(pred) if from_logits else pred


def _finish(grad: np.ndarray, reduction: str, dtype: np.dtype, axis: int | None,
            row_weight: np.ndarray | None = None, count: int | None = None, sample_weight=None):
    """Divide by what "mean" divides the loss by, then put the class axis back and cast.

    ``row_weight``: each row's weight in the mean, whose sum is the denominator (0/0 gives 0);
    otherwise ``count``. ``sample_weight`` (validated, the batch shape) multiplies the gradient of
    each example and its weight in the mean, as in the losses.
    """
    if sample_weight is not None:
        s = sample_weight if axis is None else sample_weight[..., None]
        grad = grad * s
        row_weight = s if row_weight is None else row_weight * s
    if reduction == "mean":
        total = float(row_weight.sum(dtype=np.float64)) if row_weight is not None else count
        grad = grad / grad.dtype.type(total) if total > 0 else np.zeros_like(grad)
    if axis is not None:
        grad = np.moveaxis(grad, -1, axis)
    return v.to_dtype(grad, dtype)


def _onehot(labels: np.ndarray, num_classes: int, dtype: np.dtype) -> np.ndarray:
    y = np.zeros(labels.shape + (num_classes,), dtype)
    np.put_along_axis(y, labels[..., None], 1, -1)
    return y


def softmax_cross_entropy_grad(
    labels_or_onehot,
    y_pred,
    *,
    from_logits: bool = False,
    axis: int = -1,
    class_weight=None,
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    sample_weight=None,
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
    ``sample_weight`` :math:`s_n` multiplies row n's gradient and its :math:`W_n`.

    Parameters
    ----------
    labels_or_onehot : array_like
        Either integer labels shaped like ``y_pred`` without its class axis, or target
        distributions of the same shape as ``y_pred`` (one-hot or soft, each row summing to 1).
    y_pred : array_like
        Predicted probabilities :math:`p`, or logits :math:`z` with ``from_logits=True``. The
        gradient is with respect to the logits either way: from probabilities it is
        :math:`p - y` with the :math:`p` given.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits, as in the cross-entropies.
    axis : int, default -1
        The class axis of ``y_pred`` (and of the result).
    class_weight : None or array_like of shape (C,), default None
        Non-negative per-class weights, as in the losses.
    label_smoothing : float, default 0.0
        :math:`\varepsilon`: targets become :math:`y(1 - \varepsilon) + \varepsilon / C`.
    ignore_index : None or int, default None
        Integer label to skip (integer labels only).
    sample_weight : None or array_like, default None
        One weight per example (``y_pred``'s shape without the class axis), as in the losses.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    ndarray shaped like ``y_pred``; each row sums to 0 (up to rounding).

    Examples
    --------
    >>> from celib import softmax_cross_entropy_grad
    >>> print(softmax_cross_entropy_grad([0], [[2.0, 1.0, 0.1]], from_logits=True).round(4))
    [[-0.341   0.2424  0.0986]]
    >>> print(softmax_cross_entropy_grad([0], [[0.659, 0.2424, 0.0986]]).round(4))  # from probabilities
    [[-0.341   0.2424  0.0986]]

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, eq. (4.109).
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    plain = class_weight is None and not smoothing and ignore_index is None and sample_weight is None
    if plain and from_logits is True and _kernels.eligible(y_pred, axis):
        # large 2-D float32/64 logits with integer labels: cache-blocked and threaded
        # (celib/_kernels.py); None means "not handled" and the code below raises or computes.
        fast = _kernels.softmax_cross_entropy_grad(labels_or_onehot, y_pred, reduction=reduction)
        if fast is not None:
            return fast
    pred, dtype = _prediction(y_pred, from_logits, axis)
    num_classes = pred.shape[-1]
    raw = v.as_array(labels_or_onehot, "labels_or_onehot")
    moved = np.moveaxis(raw, axis, -1) if raw.ndim == pred.ndim and raw.ndim else raw
    keep = None
    if moved.shape == pred.shape:
        if ignore_index is not None:
            raise ValueError("ignore_index applies to integer labels; drop it for one-hot or soft targets")
        y = v.probabilities(moved, "labels_or_onehot", pred.dtype, shown_axis=axis, whole_option=None)
    elif raw.shape == pred.shape[:-1]:
        labels = v.check_labels(raw, "labels_or_onehot", num_classes, ignore_index=ignore_index)
        if ignore_index is not None:
            keep = labels != ignore_index
            labels = np.where(keep, labels, 0)
        y = _onehot(labels, num_classes, pred.dtype)
    else:
        raise ValueError(
            f"labels_or_onehot must have shape {pred.shape[:-1]} (integer labels) or {pred.shape}"
            f" (one-hot or soft targets); got {raw.shape}"
            + (" (squeeze the trailing axis of size 1)" if raw.shape == pred.shape[:-1] + (1,) else "")
        )
    s = v.check_sample_weight(sample_weight, pred.shape[:-1], pred.dtype)
    p = _probabilities(pred, from_logits)
    if plain:
        return _finish(p - y, reduction, dtype, axis, count=int(np.prod(pred.shape[:-1])))
    y = _smooth(y, smoothing, num_classes)
    w = v.check_class_weight(class_weight, num_classes, pred.dtype)
    wy = y if w is None else y * w
    row_weight = wy.sum(axis=-1, keepdims=True)  # W_n, the row's total weight
    if keep is not None:
        row_weight = np.where(keep[..., None], row_weight, 0)
        wy = np.where(keep[..., None], wy, 0)
    return _finish(p * row_weight - wy, reduction, dtype, axis, row_weight=row_weight, sample_weight=s)


def binary_cross_entropy_grad(
    y_true, y_pred, *, from_logits: bool = False, pos_weight=None, label_smoothing: float = 0.0,
    sample_weight=None, reduction: str = "mean"
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
        Targets in [0, 1], the same shape as ``y_pred``.
    y_pred : array_like
        Probabilities :math:`\sigma(z)`, or logits :math:`z` with ``from_logits=True``; the gradient
        is with respect to :math:`z` either way.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits, as in :func:`~celib.losses.binary_cross_entropy`.
    pos_weight : None, float or array_like, default None
        Multiplier on the positive term, broadcast against the last axis (never enlarging the output).
    label_smoothing : float, default 0.0
        :math:`\varepsilon` in [0, 1].
    sample_weight : None or array_like, default None
        One weight per example, as in :func:`~celib.losses.binary_cross_entropy`: it multiplies the
        gradient, and "mean" divides by the sum of the weights.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import binary_cross_entropy_grad
    >>> print(binary_cross_entropy_grad([1.0, 0.0], [0.0, 0.0], from_logits=True))
    [-0.25  0.25]

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, eq. (4.91).
    """
    reduction = v.check_reduction(reduction)
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    pred, dtype = _prediction(y_pred, from_logits, None)
    t = v.probabilities(y_true, "y_true", pred.dtype, axis=None)
    v.check_same_shape(t, pred, "y_true", "y_pred")
    if smoothing:
        t = t * (1 - smoothing) + smoothing / 2
    q = _positive_probability(pred, from_logits)
    if pos_weight is None:
        grad = q - t
    else:
        w = _pos_weight(pos_weight, pred)
        grad = q * (w * t + 1 - t) - w * t
    s = v.check_sample_weight(sample_weight, pred.shape, pred.dtype, per_row=True)
    return _finish(grad, reduction, dtype, None, count=pred.size, sample_weight=s)


def mse_sigmoid_grad(y_true, y_pred, *, from_logits: bool = False, reduction: str = "mean"):
    r"""Gradient of the squared error of a sigmoid output with respect to the logits.

    .. math::

        \frac{\partial}{\partial z} \big(\sigma(z) - t\big)^2
        = 2\,\big(\sigma(z) - t\big)\,\sigma(z)\,\big(1 - \sigma(z)\big)

    divided by the number of elements for ``reduction="mean"``. The factor
    :math:`\sigma(z)(1 - \sigma(z)) \le 1/4` goes to 0 as :math:`|z|` grows, so a confidently wrong
    prediction (``t = 1``, ``z = -10``) barely moves: the reason cross-entropy trains classifiers
    faster than squared error.

    ``y_pred`` holds the sigmoid's output :math:`\sigma(z)`, or the logits :math:`z` with
    ``from_logits=True``; the gradient is with respect to :math:`z` either way.

    Examples
    --------
    >>> from celib import mse_sigmoid_grad, binary_cross_entropy_grad
    >>> mse = mse_sigmoid_grad([1.0], [-10.0], from_logits=True)[0]
    >>> ce = binary_cross_entropy_grad([1.0], [-10.0], from_logits=True)[0]
    >>> print(f"{mse:.2e} vs {ce:.2e}")
    -9.08e-05 vs -1.00e+00

    References
    ----------
    Golik, Doetsch & Ney (2013), "Cross-entropy vs. squared error training", Interspeech.
    """
    reduction = v.check_reduction(reduction)
    pred, dtype = _prediction(y_pred, from_logits, None)
    t = v.as_float_array(y_true, "y_true", pred.dtype)
    v.check_same_shape(t, pred, "y_true", "y_pred")
    q = _positive_probability(pred, from_logits)
    return _finish(2 * (q - t) * q * (1 - q), reduction, dtype, None, count=pred.size)


def mse_softmax_grad(y_true, y_pred, *, from_logits: bool = False, axis: int = -1, reduction: str = "mean"):
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
        Targets (one-hot or any real values), the same shape as ``y_pred``.
    y_pred : array_like
        Softmax probabilities :math:`p`, or logits with ``from_logits=True``; the gradient is with
        respect to the logits either way.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    axis : int, default -1
        The class axis.
    reduction : {"mean", "sum"}, default "mean"
        "none" is not defined here: the elementwise squared errors share each row's logits.

    Examples
    --------
    >>> from celib import mse_softmax_grad
    >>> print(mse_softmax_grad([[0.0, 1.0]], [[0.0, 0.0]], from_logits=True).round(4))
    [[ 0.25 -0.25]]

    References
    ----------
    Golik, Doetsch & Ney (2013), "Cross-entropy vs. squared error training", Interspeech.
    """
    reduction = v.check_reduction(reduction)
    if reduction == "none":
        raise ValueError('reduction must be "mean" or "sum" for mse_softmax_grad; "none" has no'
                         " per-element gradient (the elements of a row share its logits)")
    pred, dtype = _prediction(y_pred, from_logits, axis)
    y = v.as_float_array(y_true, "y_true", pred.dtype)
    y = np.moveaxis(y, axis, -1) if y.ndim == pred.ndim else y
    v.check_same_shape(y, pred, "y_true", "y_pred")
    p = _probabilities(pred, from_logits)
    a = 2 * (p - y)
    return _finish(p * (a - (a * p).sum(axis=-1, keepdims=True)), reduction, dtype, axis, count=pred.size)


def focal_loss_grad(labels, y_pred, *, from_logits: bool = False, axis: int = -1, gamma: float = 2.0, alpha=None,
                    class_weight=None, ignore_index: int | None = None, sample_weight=None,
                    reduction: str = "mean"):
    r"""Gradient of the softmax focal loss with respect to the logits.

    With :math:`p = \operatorname{softmax}(z)`, :math:`p_t = p_y` and
    :math:`\ell = -s\, w_y\, \alpha_y (1 - p_t)^{\gamma} \ln p_t`:

    .. math::

        \frac{\partial \ell}{\partial z_k} = g \, (p_k - [k = y]), \qquad
        g = s\, w_y\, \alpha_y \Big( (1 - p_t)^{\gamma} - \gamma\, p_t (1 - p_t)^{\gamma - 1} \ln p_t \Big)

    the cross-entropy gradient :math:`p - y` scaled per example by :math:`g \ge 0`
    (:math:`\gamma = 0` gives :math:`g = s\, w_y\, \alpha_y`). "mean" divides by
    :math:`\sum_n s_n w_{y_n}` (N without ``class_weight`` and ``sample_weight``; ``alpha`` scales
    the loss and is not in the denominator), as :func:`~celib.losses.focal_loss` does; ignored rows
    get gradient 0. :math:`1 - p_t` comes from
    ``-expm1(ln p_t)`` and the second term of :math:`g` is taken as its limit 0 when
    :math:`p_t = 1`, so nothing is ``0 * inf``.

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, C)``, shaped like ``y_pred`` without its class axis.
    y_pred : array_like
        Probabilities, or logits with ``from_logits=True``; the gradient is with respect to the
        logits either way.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits, as in :func:`~celib.losses.focal_loss`.
    axis : int, default -1
        The class axis.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : None, float or array_like of shape (C,), default None
        Balancing factors that scale the loss, as in :func:`~celib.losses.focal_loss`.
    class_weight : None or array_like of shape (C,), default None
        Per-class weights of the weighted mean, as in :func:`~celib.losses.focal_loss`.
    ignore_index : None or int, default None
        Label value to skip.
    sample_weight : None or array_like, default None
        One weight per example, shaped like ``labels``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import focal_loss_grad
    >>> print(focal_loss_grad([0], [[2.0, 1.0, 0.1]], from_logits=True, gamma=2.0).round(4))
    [[-0.1036  0.0736  0.0299]]

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár (2017), "Focal loss for dense object detection", ICCV.
    """
    reduction = v.check_reduction(reduction)
    gamma = v.check_nonnegative(gamma, "gamma")
    pred, dtype = _prediction(y_pred, from_logits, axis)
    num_classes = pred.shape[-1]
    y, keep = _labels_and_keep(labels, pred, ignore_index)
    alpha = v.focal_alpha(alpha, num_classes, pred.dtype)
    w = v.check_class_weight(class_weight, num_classes, pred.dtype)
    s = v.check_sample_weight(sample_weight, y.shape, pred.dtype)
    log_p = _class_log_probabilities(pred, from_logits)
    log_pt = np.take_along_axis(log_p, y[..., None], axis=-1)
    pt, q = np.exp(log_pt), -np.expm1(log_pt)  # q = 1 - p_t without cancellation
    with np.errstate(divide="ignore", invalid="ignore"):
        # gamma p_t q^(gamma-1) ln p_t -> 0 as p_t -> 1 (ln p_t ~ -q) and as p_t -> 0, for every gamma > 0
        second = np.where((q > 0) & (pt > 0), gamma * pt * q ** (gamma - 1) * log_pt, 0) if gamma else 0
    g = q**gamma - second
    row_weight = np.ones_like(pt) if w is None else w[y][..., None]  # the row's weight in the mean
    if keep is not None:
        row_weight = np.where(keep[..., None], row_weight, 0)
    factor = row_weight if alpha is None else row_weight * alpha[y][..., None]  # alpha scales, not weighs
    grad = (factor * g) * (np.exp(log_p) - _onehot(y, num_classes, pred.dtype))
    return _finish(grad, reduction, dtype, axis, row_weight=row_weight, sample_weight=s)


def binary_focal_loss_grad(y_true, y_pred, *, from_logits: bool = False, gamma: float = 2.0, alpha=None,
                           sample_weight=None, reduction: str = "mean"):
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
        Targets in [0, 1], the same shape as ``y_pred``.
    y_pred : array_like
        Probabilities :math:`p`, or logits :math:`z` with ``from_logits=True``; the gradient is
        with respect to :math:`z` either way.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : None or float in [0, 1], default None
        Weight of the positive term; the negative term gets :math:`1 - \alpha`.
    sample_weight : None or array_like, default None
        One weight per example, as in :func:`~celib.losses.binary_focal_loss`.
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> from celib import binary_focal_loss_grad
    >>> print(binary_focal_loss_grad([1.0, 0.0], [0.0, 0.0], from_logits=True, gamma=2.0, reduction="none"))
    [-0.2982868  0.2982868]

    References
    ----------
    Lin, Goyal, Girshick, He & Dollár (2017), "Focal loss for dense object detection", ICCV.
    """
    reduction = v.check_reduction(reduction)
    gamma = v.check_nonnegative(gamma, "gamma")
    pred, dtype = _prediction(y_pred, from_logits, None)
    t = v.probabilities(y_true, "y_true", pred.dtype, axis=None)
    v.check_same_shape(t, pred, "y_true", "y_pred")
    a_pos, a_neg = v.binary_focal_alpha(alpha)
    log_p, log_1mp = _binary_log_probabilities(pred, from_logits)
    p, one_minus_p = np.exp(log_p), np.exp(log_1mp)
    with np.errstate(invalid="ignore"):  # 0 * (-inf) at p = 0 or 1: the limit of each term is 0
        positive = (gamma * p * _power_from_log(log_1mp, gamma) * np.where(p > 0, log_p, 0)
                    - np.exp((gamma + 1) * log_1mp))
        negative = np.exp((gamma + 1) * log_p) - gamma * _power_from_log(log_p, gamma) * one_minus_p * np.where(
            one_minus_p > 0, log_1mp, 0)
    grad = a_pos * t * positive + a_neg * (1 - t) * negative
    s = v.check_sample_weight(sample_weight, pred.shape, pred.dtype, per_row=True)
    return _finish(grad, reduction, dtype, None, count=pred.size, sample_weight=s)
