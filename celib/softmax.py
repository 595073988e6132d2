"""From logits to probabilities without overflow: log-sum-exp, softmax, sigmoid and their logs.

Every function here is exact up to rounding for any finite input: ``exp`` is only ever applied to
numbers <= 0, so it cannot overflow, and the logarithms are taken of numbers >= 1 (or through
``log1p``), so they cannot be ``log(0)``.

float16 inputs are computed in float32 and the result is cast back to float16.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v

__all__ = ["logsumexp", "softmax", "log_softmax", "sigmoid", "log_sigmoid", "softplus"]


def _logits(x, name: str = "x"):
    arr = v.as_float_array(x, name)
    return arr.astype(v.work_dtype(arr.dtype), copy=False), arr.dtype


def _max_and_log_sum(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``m = max(x)`` and ``ln sum exp(x - m)`` along ``axis`` (kept), so ``LSE(x) = m + ln_s``.

    Shifting by the row maximum makes every exponent <= 0 (no overflow) and one of them exactly 0,
    so the sum is ``1 + r`` with ``r >= 0`` the sum over the other entries, and ``ln_s`` is taken
    as ``log1p(r)``. ``ln(1 + r)`` would round ``r`` away once it is below the precision: for
    logits ``(17, 0, 0)`` in float32 the top class's ``-log q = ln_s`` would be 0 instead of
    8.3e-8, and a confident model's small losses (and focal losses) would lose every digit.

    The two parts are returned separately because callers that subtract LSE from ``x`` must do
    ``(x - m) - ln_s``: forming ``m + ln_s`` first rounds away the O(1) part when ``|m|`` is large
    (at ``m = 1e4`` float32 keeps only ~3 decimals).
    """
    m = x.max(axis=axis, keepdims=True)
    e = np.exp(x - m)
    at_max = x == m
    # r = the sum without one maximal entry's exact 1 (k tied maxima leave k - 1 of them)
    r = np.where(at_max, 0, e).sum(axis=axis, keepdims=True) + (at_max.sum(axis=axis, keepdims=True) - 1)
    return m, np.log1p(r)


def _logsumexp(x: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    """Unchecked log-sum-exp along ``axis`` of a finite floating array (used internally)."""
    m, ln_s = _max_and_log_sum(x, axis)
    out = m + ln_s
    return out if keepdims else np.squeeze(out, axis=axis)


def _log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unchecked ``(x - m) - ln sum exp(x - m)``, accurate even for ``|x| ~ 1e4`` in float32."""
    m, ln_s = _max_and_log_sum(x, axis)
    return (x - m) - ln_s


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Unchecked sigmoid; ``exp`` only ever sees ``-|x|``, so it cannot overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(x: np.ndarray) -> np.ndarray:
    """Unchecked ``ln(1 + e^x)`` = ``max(x, 0) + ln(1 + e^-|x|)``."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def logsumexp(x, *, axis: int = -1, keepdims: bool = False):
    r"""Log-sum-exp, computed without overflow.

    .. math::

        \operatorname{LSE}(x) = \ln \sum_j e^{x_j} = m + \ln \sum_j e^{x_j - m},
        \qquad m = \max_j x_j

    Parameters
    ----------
    x : array_like
        Finite real numbers (logits).
    axis : int, default -1
        Axis to reduce over.
    keepdims : bool, default False
        Keep the reduced axis with size 1.

    Returns
    -------
    ndarray or scalar in the floating dtype of ``x`` (integers give float64).

    Examples
    --------
    >>> from celib import logsumexp
    >>> print(f"{logsumexp([1000.0, 1000.0]):.4f}")  # naive np.log(np.exp(...).sum()) gives inf
    1000.6931

    References
    ----------
    Blanchard, Higham & Higham (2021), "Accurately computing the log-sum-exp and softmax functions",
    IMA J. Numer. Anal. 41(4).
    """
    x, dtype = _logits(x)
    axis = v.check_axis(axis, x.ndim)
    return _logsumexp(x, axis, keepdims).astype(dtype)[()]


def softmax(x, *, axis: int = -1, temperature: float = 1.0):
    r"""Softmax: logits to a probability distribution along ``axis``.

    .. math::

        \operatorname{softmax}(x)_k = \frac{e^{x_k / T}}{\sum_j e^{x_j / T}}
                                    = \frac{e^{x_k/T - m}}{\sum_j e^{x_j/T - m}},
        \qquad m = \max_j x_j / T

    Parameters
    ----------
    x : array_like
        Finite logits.
    axis : int, default -1
        The class axis.
    temperature : float, default 1.0
        :math:`T > 0`. Larger values flatten the distribution, smaller values sharpen it; as
        :math:`T \to 0` it becomes one-hot on the maximum (shared equally between tied maxima),
        which is what a tiny ``T`` returns, never NaN.

    Returns
    -------
    ndarray of the same shape, non-negative, summing to 1 along ``axis``.

    Examples
    --------
    >>> from celib import softmax
    >>> print(softmax([2.0, 1.0, 0.1]).round(4))
    [0.659  0.2424 0.0986]

    References
    ----------
    Bridle (1990), "Probabilistic interpretation of feedforward classification network outputs".
    """
    x, dtype = _logits(x)
    axis = v.check_axis(axis, x.ndim)
    t = v.check_positive(temperature, "temperature")
    with np.errstate(over="ignore", under="ignore"):
        t_in_dtype = x.dtype.type(t)
    if t_in_dtype == 0 or not np.isfinite(t_in_dtype):
        x = x.astype(np.float64)  # T is beyond the dtype's range: divide in float64
    # Shift before dividing: (x - m) / T is <= 0 for every T, so a tiny T (1e-35 in float32)
    # sends the other entries to -inf (probability 0) and keeps the maximum at 0, where x / T
    # would overflow to inf and inf - inf give NaN.
    with np.errstate(over="ignore"):
        z = (x - x.max(axis=axis, keepdims=True)) / x.dtype.type(t)
    e = np.exp(z)
    return (e / e.sum(axis=axis, keepdims=True)).astype(dtype)


def log_softmax(x, *, axis: int = -1):
    r"""Log of the softmax, without forming the softmax.

    .. math::

        \log \operatorname{softmax}(x)_k = x_k - \operatorname{LSE}(x) = (x_k - m) - \ln \sum_j e^{x_j - m}

    ``np.log(softmax(x))`` underflows to ``-inf`` once a probability drops below the dtype's smallest
    number (about 1e-45 in float32); this form stays finite. At the other end, the top class's
    :math:`\ln \operatorname{softmax} = -\ln(1 + r)` is taken as ``-log1p(r)``, with :math:`r` the
    sum over the other classes, so it keeps its relative accuracy where ``ln(1 + r)`` would
    round to 0.

    Examples
    --------
    >>> from celib import log_softmax
    >>> print(log_softmax([0.0, 200.0]).tolist())  # log(softmax) would give [-inf, 0.0]
    [-200.0, -1.3838965267367376e-87]

    References
    ----------
    Goodfellow, Bengio & Courville (2016), *Deep Learning*, §4.1 and §6.2.2.3.
    """
    x, dtype = _logits(x)
    axis = v.check_axis(axis, x.ndim)
    return _log_softmax(x, axis).astype(dtype)


def sigmoid(x):
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, evaluated without overflow.

    For negative ``x`` the equivalent form :math:`e^{x} / (1 + e^{x})` is used, so ``exp`` only
    sees non-positive arguments.

    Examples
    --------
    >>> from celib import sigmoid
    >>> print(sigmoid([-1000.0, 0.0, 1000.0]))
    [0.  0.5 1. ]

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, §4.2.
    """
    x, dtype = _logits(x)
    return _sigmoid(x).astype(dtype)[()]


def softplus(x):
    r"""Softplus :math:`\ln(1 + e^{x}) = \max(x, 0) + \ln(1 + e^{-|x|})`, without overflow.

    Examples
    --------
    >>> from celib import softplus
    >>> print(softplus([-1000.0, 0.0, 1000.0]).tolist())
    [0.0, 0.6931471805599453, 1000.0]

    References
    ----------
    Goodfellow, Bengio & Courville (2016), *Deep Learning*, §3.10.
    """
    x, dtype = _logits(x)
    return _softplus(x).astype(dtype)[()]


def log_sigmoid(x):
    r"""Log of the sigmoid, :math:`\ln \sigma(x) = -\operatorname{softplus}(-x)`.

    ``np.log(sigmoid(x))`` returns ``-inf`` for ``x < -750`` in float64 because the sigmoid
    underflows to 0; this form returns ``x`` there, the correct asymptote.

    Examples
    --------
    >>> from celib import log_sigmoid
    >>> print(log_sigmoid([-1000.0, 0.0]).tolist())
    [-1000.0, -0.6931471805599453]

    References
    ----------
    Murphy (2022), *Probabilistic Machine Learning: An Introduction*, §10.2.
    """
    x, dtype = _logits(x)
    return (-_softplus(-x)).astype(dtype)[()]
