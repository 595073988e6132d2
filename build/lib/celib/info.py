"""Information measures of discrete distributions: surprisal, entropy, cross-entropy, KL divergence.

Conventions (Cover & Thomas 2006, §2.1): ``0 * log 0 = 0`` because ``p log p -> 0`` as ``p -> 0``;
a distribution ``q`` that gives probability 0 to an outcome that ``p`` gives probability > 0 costs
an infinite number of nats. ``base=None`` means natural logarithms (nats), ``base=2`` means bits.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v

__all__ = ["surprisal", "entropy", "cross_entropy", "kl_divergence"]


def _in_base(nats: np.ndarray, ln_base: float | None, dtype: np.dtype):
    out = nats if ln_base is None else nats / ln_base
    out = out + 0.0  # turns the -0.0 of a certain outcome into 0.0
    return np.asarray(out).astype(dtype)[()]


def _log(q: np.ndarray) -> np.ndarray:
    """Natural log where ``log(0) = -inf`` is the intended answer, not a warning."""
    with np.errstate(divide="ignore"):
        return np.log(q)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x * ln(y)``, and exactly 0 wherever ``x == 0`` (the 0 log 0 = 0 convention)."""
    # np.where evaluates both branches; the masked-out 0 * -inf = nan is expected, not a warning.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log(y), 0)


def _distribution(p, name: str, axis, dtype: np.dtype | None = None):
    """Validated ``p`` and its outcome axis (None: the whole array is one distribution)."""
    arr = v.as_float_array(p, name, dtype)
    if axis is None:
        return v.check_joint(arr, name), None
    own = v.check_axis(axis, arr.ndim)
    shown = axis if axis < 0 else own  # name the axis as the caller wrote it where that is the same
    return v.check_probabilities(arr, name, axis=own, shown_axis=shown, whole_option=" or axis=None"), own


def surprisal(p, *, base=None):
    r"""Information content (self-information) of an outcome with probability ``p``.

    .. math::

        I(p) = -\log_b p

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1]. ``p = 0`` gives ``inf``: an impossible event is infinitely surprising.
    base : None or float, default None
        Logarithm base: None for nats (natural log), 2 for bits.

    Returns
    -------
    ndarray or scalar, elementwise, in the floating dtype of ``p``.

    Examples
    --------
    >>> from celib import surprisal
    >>> print(f"{surprisal(0.85):.4f} nats, {surprisal(0.5, base=2):.1f} bit")
    0.1625 nats, 1.0 bit

    References
    ----------
    Shannon (1948), "A mathematical theory of communication", Bell Syst. Tech. J. 27.
    """
    ln_base = v.log_of_base(base)
    p = v.check_probabilities(v.as_float_array(p, "p"), "p", axis=None)
    return _in_base(-_log(p), ln_base, p.dtype)


def entropy(p, *, base=None, axis: int | None = -1):
    r"""Shannon entropy: the expected surprisal of a distribution.

    .. math::

        H(p) = -\sum_x p(x) \log_b p(x), \qquad 0 \log 0 := 0

    Parameters
    ----------
    p : array_like
        Probabilities along ``axis``, non-negative and summing to 1.
    base : None or float, default None
        None for nats, 2 for bits.
    axis : int or None, default -1
        The axis that holds the outcomes; every other axis is a batch axis. None reads the whole
        array as one distribution (a joint table: the same as :func:`~celib.joint.joint_entropy`).

    Returns
    -------
    ndarray or scalar
        ``axis`` removed; between 0 (a certain outcome) and :math:`\log_b n` (uniform over ``n``
        outcomes).

    Raises
    ------
    ValueError
        If ``p`` does not sum to 1 along ``axis``. A 2-D array that sums to 1 only as a whole is
        probably a joint distribution, and the message says to pass ``p.ravel()`` or ``axis=None``
        rather than to normalise its rows, which would return a plausible wrong answer.

    Examples
    --------
    >>> from celib import entropy
    >>> print(f"{entropy([26/30, 4/30], base=2):.4f} bits")
    0.5665 bits
    >>> print(f"{entropy([0.0, 1.0], base=2):.1f} bits")  # 0 log 0 counts as 0
    0.0 bits

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §2.1.
    """
    ln_base = v.log_of_base(base)
    p, axis = _distribution(p, "p", axis)
    plogp = _xlogy(p, p)
    return _in_base(-plogp.sum(axis=axis), ln_base, p.dtype)


def _pair(p, q, axis):
    """``p`` and ``q`` validated, each along its own outcome axis, and the axis of the result.

    ``p`` and ``q`` broadcast against each other (NumPy rules) over their batch axes, as
    ``scipy.special.rel_entr`` does: a ``(C,)`` target against ``(N, C)`` predictions scores
    every row. ``axis`` counts in the broadcast result. The outcome axis itself is never
    broadcast: a size-1 outcome axis stretched to C outcomes is no longer a distribution, and that
    is how ``(N, 1)`` against ``(N,)`` would silently become ``(N, N)``.
    """
    p_arr, q_arr = v.as_float_array(p, "p"), v.as_float_array(q, "q")
    dtype = v.float_dtype(p_arr, q_arr)
    if axis is None:  # one distribution each: nothing may be broadcast
        v.check_same_shape(p_arr, q_arr, "p", "q")
        return _distribution(p_arr, "p", None, dtype)[0], _distribution(q_arr, "q", None, dtype)[0], None
    try:
        shape = np.broadcast_shapes(p_arr.shape, q_arr.shape)
    except ValueError:
        raise ValueError(
            f"p has shape {p_arr.shape} and q has shape {q_arr.shape}, which do not broadcast against"
            " each other; they need the same number of outcomes along axis and compatible batch axes"
        ) from None
    out_axis = v.check_axis(axis, len(shape))
    checked = []
    for arr, name, other in ((p_arr, "p", q_arr), (q_arr, "q", p_arr)):
        own = out_axis - (len(shape) - arr.ndim)  # the same axis, counted in this input
        if own < 0 or arr.shape[own] != shape[out_axis]:
            raise ValueError(
                f"p has shape {p_arr.shape} and q has shape {q_arr.shape}: along axis={axis} of their"
                f" broadcast shape {shape}, {name} has {'no such axis' if own < 0 else f'{arr.shape[own]} outcome(s)'}"
                f" where the other has {shape[out_axis]}; only batch axes broadcast, never the outcome axis"
                + (" (squeeze the trailing axis of size 1)" if arr.shape == other.shape + (1,) else "")
            )
        checked.append(_distribution(arr, name, axis if axis < 0 else own, dtype)[0])
    return checked[0], checked[1], out_axis


def cross_entropy(p, q, *, base=None, axis: int | None = -1):
    r"""Cross-entropy of a model distribution ``q`` relative to a true distribution ``p``.

    .. math::

        H(p, q) = -\sum_x p(x) \log_b q(x)

    The expected surprisal when outcomes come from ``p`` but are scored with ``q``. Terms with
    ``p(x) = 0`` contribute 0 whatever ``q(x)`` is; ``q(x) = 0`` where ``p(x) > 0`` gives ``inf``.

    Parameters
    ----------
    p, q : array_like
        Distributions along ``axis``: ``p`` the target, ``q`` the prediction. They broadcast
        against each other over the batch axes (NumPy rules), so one target of shape (C,) scores
        a batch of predictions of shape (N, C); the outcome axis must have the same length in both.
    base : None or float, default None
        None for nats, 2 for bits.
    axis : int or None, default -1
        The outcome axis, counted in the broadcast shape. None: each array is one distribution as a
        whole (a joint table); ``p`` and ``q`` then need the same shape.

    Examples
    --------
    >>> from celib import cross_entropy
    >>> target = [1, 0, 0, 0]                     # it is a dog
    >>> predicted = [0.775, 0.116, 0.039, 0.070]  # dog, cat, horse, cheetah
    >>> print(f"{cross_entropy(target, predicted, base=2):.4f} bits")
    0.3677 bits
    >>> print(cross_entropy([0.7, 0.3], [[0.7, 0.3], [0.5, 0.5], [0.9, 0.1]]).round(4))  # one p, three q
    [0.6109 0.6931 0.7645]

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §2.3 and §5.4.
    """
    ln_base = v.log_of_base(base)
    p, q, axis = _pair(p, q, axis)
    plogq = _xlogy(p, q)
    return _in_base(-plogq.sum(axis=axis), ln_base, p.dtype)


def kl_divergence(p, q, *, base=None, axis: int | None = -1):
    r"""Kullback-Leibler divergence :math:`D_{\mathrm{KL}}(p \,\|\, q)` of ``q`` from ``p``.

    Also called relative entropy. The *reference* ``p`` (the truth, the data, the target) comes
    first and the *approximation* ``q`` (the model) second, the same order as the symbols; the
    average is taken over ``p``. The lessons always write the symbols, because books word the
    direction differently ("from", "to", "relative to").

    .. math::

        D_{\mathrm{KL}}(p \,\|\, q) = \sum_x p(x) \log_b \frac{p(x)}{q(x)} = H(p, q) - H(p) \ge 0

    How it is computed: as :math:`\sum_x \big(p \ln p - p \ln q\big)` with :math:`0 \ln 0 = 0`
    (the two sums of :func:`entropy` and :func:`cross_entropy`), then divided by :math:`\ln b`. A
    rounding-level negative total is returned as 0, the true value's lower bound (Gibbs'
    inequality), so a check against ``cross_entropy(p, q) - entropy(p)`` repeats the same
    arithmetic; ``scipy.special.rel_entr(p, q).sum(axis=-1)``, which forms each term
    :math:`p \ln(p/q)`, is an independent one. ``q(x) = 0`` where ``p(x) > 0`` gives ``inf``.

    Zero exactly when ``p == q``, and not symmetric in its arguments. Other libraries order the
    arguments differently: PyTorch's ``KLDivLoss()(input, target)`` takes the model first, as
    log-probabilities, and computes :math:`D_{\mathrm{KL}}(\mathrm{target} \,\|\, \mathrm{model})`;
    ``scipy.special.kl_div(x, y)`` is the elementwise :math:`x \ln(x/y) - x + y`, not the KL term;
    ``scipy.stats.entropy(p, q)`` normalises both arguments first.

    Parameters
    ----------
    p : array_like
        The reference distribution (truth, target), along ``axis``.
    q : array_like
        The approximating distribution (model). ``p`` and ``q`` broadcast against each other over
        the batch axes, as in :func:`cross_entropy`; the outcome axis must have the same length.
    base : None or float, default None
        None for nats, 2 for bits.
    axis : int or None, default -1
        The outcome axis, counted in the broadcast shape. None: each array is one distribution as
        a whole, e.g. a joint table and the product of its marginals (same shape).

    Returns
    -------
    ndarray or scalar
        ``axis`` removed; in ``[0, inf]``.

    Examples
    --------
    >>> from celib import kl_divergence
    >>> print(f"{kl_divergence([0.5, 0.5], [0.9, 0.1], base=2):.4f} bits")
    0.7370 bits
    >>> print(f"{kl_divergence([0.9, 0.1], [0.5, 0.5], base=2):.4f} bits")
    0.5310 bits
    >>> print(kl_divergence([0.5, 0.5], [1.0, 0.0]))  # q rules out an outcome p allows
    inf

    References
    ----------
    Kullback & Leibler (1951), "On information and sufficiency", Ann. Math. Stat. 22(1) (they
    call it the mean information for discrimination and keep "divergence" for the symmetrised
    sum). Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §2.3 and Theorem 2.6.3.
    """
    ln_base = v.log_of_base(base)
    p, q, axis = _pair(p, q, axis)
    terms = _xlogy(p, p) - _xlogy(p, q)
    return _in_base(np.maximum(terms.sum(axis=axis), 0), ln_base, p.dtype)
