"""50-digit mpmath references for celib's losses, taken on the exact floating-point inputs given.

Used by tests/test_accuracy.py. Run as a script it prints the relative-error table of issue 26
(per-example cross-entropy, focal loss, binary cross-entropy and KL divergence in float16, float32
and float64, over margins up to each dtype's limit):

    .venv/bin/python tests/mp_reference.py

The relative error is |celib - exact| / exact, where ``exact`` is the mpmath value of the same
formula on the same (already rounded) inputs, so only celib's own arithmetic is measured. Exact
values below the dtype's smallest normal number are skipped: there the dtype itself has no
relative accuracy to offer.
"""

from __future__ import annotations

import mpmath
import numpy as np

DPS = 50
DTYPES = (np.float16, np.float32, np.float64)


def mp(x) -> mpmath.mpf:
    """The exact value of a float (any NumPy float dtype) as an mpmath number."""
    return mpmath.mpf(float(x))


def cross_entropy_from_logits(logits, label: int) -> mpmath.mpf:
    """-ln softmax(z)_y = ln sum_j exp(z_j - z_y) = log1p(sum_{j != y} exp(z_j - z_y))."""
    with mpmath.workdps(DPS):
        z = [mp(v) for v in logits]
        others = mpmath.fsum(mpmath.exp(v - z[label]) for j, v in enumerate(z) if j != label)
        return mpmath.log1p(others)


def focal_from_logits(logits, label: int, gamma: float) -> mpmath.mpf:
    """-(1 - p_t)^gamma ln p_t."""
    with mpmath.workdps(DPS):
        z = [mp(v) for v in logits]
        others = mpmath.fsum(mpmath.exp(v - z[label]) for j, v in enumerate(z) if j != label)
        one_minus_pt = others / (1 + others)
        return one_minus_pt ** mpmath.mpf(gamma) * mpmath.log1p(others)


def binary_cross_entropy_from_logit(target: float, logit) -> mpmath.mpf:
    """t softplus(-z) + (1 - t) softplus(z)."""
    with mpmath.workdps(DPS):
        z, t = mp(logit), mp(target)
        return t * mpmath.log1p(mpmath.exp(-z)) + (1 - t) * mpmath.log1p(mpmath.exp(z))


def kl(p, q) -> mpmath.mpf:
    """sum p ln(p / q) over the exact inputs (0 ln 0 = 0), not renormalised."""
    with mpmath.workdps(DPS):
        return mpmath.fsum(mp(a) * mpmath.log(mp(a) / mp(b)) for a, b in zip(p, q) if a > 0)


def relative_error(got, exact: mpmath.mpf) -> float:
    with mpmath.workdps(DPS):
        if exact == 0:
            return 0.0 if got == 0 else float("inf")
        return float(abs(mp(got) - exact) / abs(exact))


def margin_grid(dtype, power: int = 1) -> list[float]:
    """Margins m, from 1 up to the largest for which the exact loss ~ (2 e^-m)^power is normal.

    ``power`` is 3 for the focal loss with gamma = 2 (its value is about (2 e^-m)^3).
    """
    tiny = float(np.finfo(dtype).tiny)
    limit = (np.log(2) - np.log(tiny) / power)
    grid = sorted({*np.round(np.geomspace(1, limit, 12), 1).tolist(), round(float(limit) - 0.05, 2)})
    return [m for m in grid if m <= limit]


#: Relative spread of q around p per dtype: the exact KL (about spread**2 / 6) must stand well
#: above the part that comes from the inputs' own rounding (their sums are not exactly 1).
KL_SPREAD = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-4}


def kl_inputs(dtype, n: int = 1000, spread: float | None = None, seed: int = 0):
    """p and q of ``dtype`` close to each other over ``n`` outcomes (issue 26, item 3)."""
    spread = KL_SPREAD[np.dtype(dtype)] if spread is None else spread
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    p /= p.sum()
    q = p * (1 + spread * rng.uniform(-1, 1, n))
    q /= q.sum()
    return p.astype(dtype), q.astype(dtype)


def table():
    """Rows (function, dtype, worst margin, worst relative error, celib there, exact there)."""
    import celib

    rows = []
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        cases = {
            "per-example CE": (1, lambda m: (np.array([[m, 0, 0]], dtype), [0]),
                               lambda z, y: celib.sparse_categorical_cross_entropy(y, z, from_logits=True, reduction="none")[0],
                               lambda z, y: cross_entropy_from_logits(z[0], y[0])),
            "focal (gamma=2)": (3, lambda m: (np.array([[m, 0, 0]], dtype), [0]),
                                lambda z, y: celib.focal_loss(y, z, gamma=2.0, reduction="none", from_logits=True)[0],
                                lambda z, y: focal_from_logits(z[0], y[0], 2.0)),
            "binary CE": (1, lambda m: (np.array([m], dtype), [1.0]),
                          lambda z, t: celib.binary_cross_entropy(np.array(t, dtype), z, from_logits=True,
                                                                  reduction="none")[0],
                          lambda z, t: binary_cross_entropy_from_logit(t[0], z[0])),
        }
        for label, (power, make, run, exact_of) in cases.items():
            worst = (0.0, None, None, None)
            for m in margin_grid(dtype, power):
                z, y = make(m)
                got = run(z, y)
                exact = exact_of(z, y)
                if exact < mp(np.finfo(dtype).tiny):
                    continue
                err = relative_error(got, exact)
                if err >= worst[0] or worst[1] is None:
                    worst = (err, float(z.flat[0]), float(got), float(exact))
            rows.append((label, name, worst[1], worst[0], worst[2], worst[3]))
        p, q = kl_inputs(dtype)
        try:
            got = celib.kl_divergence(p, q)
        except ValueError as exc:  # the inputs' own rounding may fail a tight sum check
            got = f"ValueError: {exc}"[:60]
        exact = kl(p, q)
        err = relative_error(got, exact) if not isinstance(got, str) else float("nan")
        rows.append((f"KL, 1000 outcomes, q/p-1~{KL_SPREAD[np.dtype(dtype)]:g}", name, None, err,
                     got if isinstance(got, str) else float(got), float(exact)))
    return rows


def main() -> None:
    print(f"{'function':32s} {'dtype':8s} {'worst margin':>12s} {'rel. error':>11s} {'celib':>12s} {'exact':>12s}")
    for label, dtype, margin, err, got, exact in table():
        m = "" if margin is None else f"{margin:g}"
        g = got if isinstance(got, str) else f"{got:.5g}"
        print(f"{label:32s} {dtype:8s} {m:>12s} {err:11.3g} {g:>12s} {exact:12.5g}")

    print("\nfloat32, logits (m, 0, 0), target 0 (issue 26's table):")
    import celib

    print(f"{'m':>4s} {'CE celib':>12s} {'CE exact':>12s} {'focal celib':>12s} {'focal exact':>12s}")
    for m in (12, 15, 17, 50, 80):
        z = np.array([[m, 0, 0]], np.float32)
        ce = celib.sparse_categorical_cross_entropy([0], z, from_logits=True, reduction="none")[0]
        fl = celib.focal_loss([0], z, gamma=2.0, reduction="none", from_logits=True)[0]
        print(f"{m:4d} {float(ce):12.5g} {float(cross_entropy_from_logits(z[0], 0)):12.5g}"
              f" {float(fl):12.5g} {float(focal_from_logits(z[0], 0, 2.0)):12.5g}")


if __name__ == "__main__":
    main()
