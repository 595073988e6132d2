r"""Two random variables at once: joint entropy, conditional entropy, mutual information.

Every function here takes one joint distribution, a table ``pxy`` whose entries all together sum
to 1, with :math:`X` on axis 0 and :math:`Y` on axis 1: ``pxy[i, j]`` :math:`= p(X = i, Y = j)`.
The marginals are its row and column sums, :math:`p(x) = \sum_y p(x, y)` and
:math:`p(y) = \sum_x p(x, y)`. Conventions as in :mod:`celib.info`: :math:`0 \log 0 = 0`,
``base=None`` for nats, ``base=2`` for bits.

How they are computed: each one as a single sum of non-cancelling terms, not as a difference of
entropies. :math:`H(Y \mid X)` is :math:`\sum p(x,y) \ln\big(p(x)/p(x,y)\big)`, whose terms are all
:math:`\ge 0` (a row sum is never smaller than one of its entries, also after rounding), so a
deterministic :math:`Y` gives exactly 0 rather than :math:`H(X,Y) - H(X)`'s rounding residue.
:math:`I(X;Y)` is :math:`\sum p(x,y) \ln\big(p(x,y) / (p(x)p(y))\big)`, the KL divergence of the
table from the product of its marginals, term by term as ``scipy.special.rel_entr`` forms it.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from .info import _in_base, _xlogy

__all__ = ["joint_entropy", "conditional_entropy", "mutual_information"]


def _joint(pxy, *, two_dimensional: bool):
    arr = v.as_float_array(pxy, "pxy")
    if two_dimensional and arr.ndim != 2:
        raise ValueError(
            f"pxy must be a 2-D table with X on axis 0 and Y on axis 1; got shape {arr.shape}"
            " (for more variables, group them: pxy.reshape(n_x, -1) puts all but the first in Y)"
        )
    p = v.check_joint(arr, "pxy")
    # float16 is summed in float32 (its 10-bit mantissa would lose the small terms)
    return p.astype(v.work_dtype(p.dtype), copy=False), p.dtype


def _p_log_ratio(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``p * ln(a / b)``, exactly 0 wherever ``p == 0`` (where ``a`` or ``b`` may be 0 too).

    ``ln(a / b)`` rounds once, where ``ln a - ln b`` would cancel; the difference of logs is used
    only where the ratio overflows or underflows (subnormal cells).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        r = a / b
        log_r = np.where((r > 0) & (r < np.inf), np.log(r), np.log(a) - np.log(b))
        return np.where(p > 0, p * log_r, 0)


def joint_entropy(pxy, *, base=None):
    r"""Joint entropy :math:`H(X, Y)`: the entropy of the whole table as one distribution.

    .. math::

        H(X, Y) = -\sum_{x, y} p(x, y) \log_b p(x, y)

    This is :func:`~celib.info.entropy` of ``pxy.ravel()``, and it accepts any shape (three
    variables are a 3-D table). ``celib.entropy(pxy)`` would instead read every row as its own
    distribution, and refuses a joint table because its rows do not sum to 1.

    Parameters
    ----------
    pxy : array_like
        Joint probabilities, non-negative, all entries together summing to 1.
    base : None or float, default None
        None for nats, 2 for bits.

    Returns
    -------
    scalar in the floating dtype of ``pxy``, between 0 and :math:`\log_b` (number of cells).

    Examples
    --------
    >>> from celib import joint_entropy
    >>> pxy = [[0.25, 0.25],
    ...        [0.40, 0.10]]
    >>> print(f"{joint_entropy(pxy, base=2):.4f} bits")
    1.8610 bits

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §2.2, Definition (2.8).
    """
    ln_base = v.log_of_base(base)
    p, dtype = _joint(pxy, two_dimensional=False)
    return _in_base(-_xlogy(p, p).sum(), ln_base, dtype)


def conditional_entropy(pxy, *, base=None):
    r"""Conditional entropy :math:`H(Y \mid X)`: what is left uncertain about Y once X is known.

    .. math::

        H(Y \mid X) = \sum_x p(x)\, H(Y \mid X = x)
                    = -\sum_{x, y} p(x, y) \log_b \frac{p(x, y)}{p(x)}
                    = H(X, Y) - H(X)

    :math:`X` is axis 0 (rows) and :math:`Y` axis 1 (columns); for :math:`H(X \mid Y)` pass
    ``pxy.T``. The last equality is the chain rule. It is 0 when Y is a function of X and equals
    :math:`H(Y)` when they are independent. The best possible classifier of Y from X has
    expected cross-entropy :math:`H(Y \mid X)`: the floor of the training loss.

    Computed as the middle sum, whose terms are each :math:`\ge 0`, so the result is never a
    rounding-level negative number.

    Parameters
    ----------
    pxy : array_like, shape (n_x, n_y)
        Joint probabilities, all entries together summing to 1.
    base : None or float, default None
        None for nats, 2 for bits.

    Returns
    -------
    scalar in the floating dtype of ``pxy``, between 0 and :math:`H(Y)`.

    Examples
    --------
    >>> from celib import conditional_entropy, joint_entropy, entropy
    >>> pxy = [[0.25, 0.25],
    ...        [0.40, 0.10]]
    >>> print(f"{conditional_entropy(pxy, base=2):.4f} bits")
    0.8610 bits
    >>> print(f"{joint_entropy(pxy, base=2) - entropy([0.5, 0.5], base=2):.4f} bits")  # chain rule
    0.8610 bits

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §2.2, Definition (2.10) and
    Theorem 2.2.1 (chain rule).
    """
    ln_base = v.log_of_base(base)
    p, dtype = _joint(pxy, two_dimensional=True)
    px = p.sum(axis=1, keepdims=True)
    return _in_base(_p_log_ratio(p, px, p).sum(), ln_base, dtype)


def mutual_information(pxy, *, base=None):
    r"""Mutual information :math:`I(X; Y)`: how much knowing X reduces the uncertainty about Y.

    .. math::

        I(X; Y) = \sum_{x, y} p(x, y) \log_b \frac{p(x, y)}{p(x)\, p(y)}
                = D_{\mathrm{KL}}\big(p(x, y) \,\|\, p(x)\,p(y)\big)
                = H(Y) - H(Y \mid X) = H(X) + H(Y) - H(X, Y)

    Symmetric in X and Y, :math:`\ge 0`, and 0 exactly when X and Y are independent.

    Computed as the first sum, term by term (``scipy.special.rel_entr`` of the table and the
    product of its marginals), so no two entropies are subtracted. Its terms have both signs, and
    the result is not clamped: for a table that is independent up to rounding it can come out as
    a rounding-level negative number (about ``-1e-16`` in float64), which is the honest answer for
    the rounded inputs given.

    Parameters
    ----------
    pxy : array_like, shape (n_x, n_y)
        Joint probabilities, all entries together summing to 1.
    base : None or float, default None
        None for nats, 2 for bits.

    Returns
    -------
    scalar in the floating dtype of ``pxy``, between 0 and :math:`\min(H(X), H(Y))`.

    Examples
    --------
    >>> import numpy as np
    >>> from celib import mutual_information
    >>> pxy = [[0.25, 0.25],
    ...        [0.40, 0.10]]
    >>> print(f"{mutual_information(pxy, base=2):.4f} bits")
    0.0731 bits
    >>> print(f"{abs(mutual_information(np.outer([0.5, 0.5], [0.65, 0.35]))):.4f} nats")  # independent
    0.0000 nats

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §2.4, Definition (2.28) and
    Theorem 2.4.1.
    """
    ln_base = v.log_of_base(base)
    p, dtype = _joint(pxy, two_dimensional=True)
    px = p.sum(axis=1, keepdims=True)
    py = p.sum(axis=0, keepdims=True)
    # p(y|x) = p(x,y) / p(x) <= 1 first, then / p(y): p(x) p(y) alone could underflow to 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p_y_given_x = p / px
    return _in_base(_p_log_ratio(p, p_y_given_x, py).sum(), ln_base, dtype)
