r"""The KL divergence between two normal distributions, in closed form (the VAE's KL term).

For densities the sums of :mod:`celib.info` become integrals; for two Gaussians the integral has a
closed form, so no sampling or quadrature is needed.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from .info import _in_base

__all__ = ["gaussian_kl"]

# Taylor coefficients 1/k! for k = 2..20 of expm1(x) - x, highest first (Horner).
_EXPM1_MINUS_X = [1 / float(np.prod(np.arange(1, k + 1, dtype=np.float64))) for k in range(20, 1, -1)]


def _expm1_minus_x(x: np.ndarray) -> np.ndarray:
    """``e^x - 1 - x`` without cancellation.

    Near 0 the difference ``expm1(x) - x`` keeps only ``|x|`` of its relative digits (both are
    about ``x``, the result about ``x**2 / 2``), so for ``|x| <= 1/2`` the Taylor series is summed
    instead; 19 terms leave a truncation error below ``0.5**21 / 21!``, far under float64's eps.
    """
    small = np.abs(x) <= 0.5
    xs = np.where(small, x, 0)
    series = np.zeros_like(xs)
    for c in _EXPM1_MINUS_X:
        series = series * xs + c
    series = series * xs * xs
    with np.errstate(over="ignore"):  # expm1 of a huge ratio: inf is the right answer
        direct = np.expm1(np.where(small, 0, x)) - x
    return np.where(small, series, direct)


def _parameter(x, name: str, *, positive: bool) -> np.ndarray:
    arr = v.as_float_array(x, name)
    if positive:
        bad = arr <= 0
        if bad.any():
            raise ValueError(
                f"{name} must be > 0 (a standard deviation); got {v._first(arr, bad)} at {v._where(bad)}"
                " (if it is a variance or a log-variance, pass np.sqrt(var) or np.exp(0.5 * log_var))"
            )
    return arr


def gaussian_kl(mean_p, std_p, mean_q, std_q, *, base=None):
    r"""KL divergence :math:`D_{\mathrm{KL}}(\mathcal N(\mu_p, \sigma_p^2) \,\|\, \mathcal N(\mu_q, \sigma_q^2))`, elementwise.

    .. math::

        D_{\mathrm{KL}}(p \,\|\, q)
        = \ln\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2 \sigma_q^2} - \frac{1}{2}
        = \frac{1}{2}\Big(r^2 - 1 - \ln r^2\Big) + \frac{1}{2}\Big(\frac{\mu_p - \mu_q}{\sigma_q}\Big)^2,
        \qquad r = \frac{\sigma_p}{\sigma_q}

    the integral :math:`\int p(x) \ln\big(p(x)/q(x)\big)\,dx`. The arguments follow the symbols: the
    reference :math:`p` first, the approximation :math:`q` second, each as a mean and a standard
    deviation (not a variance). With :math:`q = \mathcal N(0, 1)` this is the KL term of a
    variational autoencoder, summed over the latent dimensions by the caller.

    The first bracket is computed as ``expm1(2u) - 2u`` with :math:`u = \ln r`, by its Taylor
    series near :math:`u = 0`: written as :math:`r^2 - 1 - \ln r^2` it would cancel to rounding
    noise when the two widths are close. The result is 0 exactly when both parameters agree.

    Parameters
    ----------
    mean_p, std_p : array_like
        Mean and standard deviation (> 0) of the reference distribution :math:`p`.
    mean_q, std_q : array_like
        Mean and standard deviation (> 0) of the approximation :math:`q`.
        All four broadcast against each other (NumPy rules), e.g. per-dimension ``mean_p`` and
        ``std_p`` of shape (N, D) against scalars 0 and 1.
    base : None or float, default None
        None for nats, 2 for bits.

    Returns
    -------
    ndarray or scalar of the broadcast shape, >= 0, in the floating dtype of the inputs.

    Examples
    --------
    >>> from celib import gaussian_kl
    >>> print(f"{gaussian_kl(1.0, 1.0, 0.0, 1.0):.4f}")  # shifted by one standard deviation
    0.5000
    >>> print(f"{gaussian_kl(0.0, 1.0, 0.0, 2.0):.4f} vs {gaussian_kl(0.0, 2.0, 0.0, 1.0):.4f}")  # not symmetric
    0.3181 vs 0.8069

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., §8.5 (relative entropy of
    densities) and Problem 8.9; Kingma & Welling (2014), "Auto-encoding variational Bayes", ICLR,
    Appendix B.
    """
    ln_base = v.log_of_base(base)
    mp = _parameter(mean_p, "mean_p", positive=False)
    sp = _parameter(std_p, "std_p", positive=True)
    mq = _parameter(mean_q, "mean_q", positive=False)
    sq = _parameter(std_q, "std_q", positive=True)
    # Python numbers do not set the dtype (NumPy's own rule): float32 arrays against 0.0 and 1.0
    # stay float32.
    args = (mean_p, std_p, mean_q, std_q)
    arrays = [a for a, x in zip((mp, sp, mq, sq), args) if not isinstance(x, (int, float))]
    dtype = v.float_dtype(*arrays)
    try:
        np.broadcast_shapes(mp.shape, sp.shape, mq.shape, sq.shape)
    except ValueError:
        raise ValueError(
            "mean_p, std_p, mean_q and std_q must broadcast against each other; got shapes"
            f" {mp.shape}, {sp.shape}, {mq.shape} and {sq.shape}"
        ) from None
    work = v.work_dtype(dtype)
    mp, sp, mq, sq = (a.astype(work, copy=False) for a in (mp, sp, mq, sq))
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        r = sp / sq  # one rounding: ln r is then exact to an ulp of r, where ln sp - ln sq is not
        # a ratio beyond the dtype's range (sp = 1e300, sq = 1e-300) is taken as a difference of logs
        u = np.where((r > 0) & (r < np.inf), np.log(r), np.log(sp) - np.log(sq))
        two_u = 2 * u
        d = (mp - mq) / sq
        nats = 0.5 * _expm1_minus_x(two_u) + 0.5 * d * d
    return _in_base(nats, ln_base, dtype)
