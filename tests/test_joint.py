"""celib.joint and celib.gaussian: joint and conditional entropy, mutual information, Gaussian KL.

Every expectation is computed independently: by scipy (``scipy.stats.entropy``,
``scipy.special.rel_entr``, ``scipy.integrate.quad``), by a brute-force double loop over the
table in plain Python floats, or by 50-digit mpmath on the exact float inputs.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import celib

EPS64 = np.finfo(np.float64).eps
TABLE = np.array([[0.25, 0.25], [0.40, 0.10]])


def _brute_force(pxy):
    """H(X,Y), H(X), H(Y), H(Y|X), I(X;Y) by explicit loops over the cells, in nats."""
    n_x, n_y = len(pxy), len(pxy[0])
    px = [sum(pxy[i][j] for j in range(n_y)) for i in range(n_x)]
    py = [sum(pxy[i][j] for i in range(n_x)) for j in range(n_y)]
    h_xy = h_y_given_x = mi = 0.0
    for i in range(n_x):
        for j in range(n_y):
            p = pxy[i][j]
            if p > 0:
                h_xy -= p * math.log(p)
                h_y_given_x -= p * (math.log(p) - math.log(px[i]))
                mi += p * (math.log(p) - math.log(px[i]) - math.log(py[j]))
    h_x = -sum(p * math.log(p) for p in px if p > 0)
    h_y = -sum(p * math.log(p) for p in py if p > 0)
    return h_xy, h_x, h_y, h_y_given_x, mi


@st.composite
def joint_tables(draw, max_side=6, zeros=True):
    """A normalised (n_x, n_y) float64 table, possibly with zero cells (never all zero)."""
    n_x = draw(st.integers(1, max_side))
    n_y = draw(st.integers(1, max_side))
    low = 0.0 if zeros else 1e-3
    weights = draw(hnp.arrays(np.float64, (n_x, n_y), elements=st.floats(low, 1.0)))
    if zeros and draw(st.booleans()):
        weights = np.where(weights < 0.3, 0.0, weights)
    if weights.sum() == 0:
        weights[0, 0] = 1.0
    return weights / weights.sum()


@st.composite
def marginals(draw, max_side=6):
    def one():
        w = draw(hnp.arrays(np.float64, draw(st.integers(1, max_side)), elements=st.floats(1e-3, 1.0)))
        return w / w.sum()

    return one(), one()


# --- worked example, against scipy -----------------------------------------------------------


def test_worked_table_against_scipy_stats_entropy():
    px, py = TABLE.sum(axis=1), TABLE.sum(axis=0)
    h_xy = scipy.stats.entropy(TABLE.ravel(), base=2)
    assert celib.joint_entropy(TABLE, base=2) == pytest.approx(h_xy, rel=4 * EPS64, abs=0)
    h_x = scipy.stats.entropy(px, base=2)
    assert celib.conditional_entropy(TABLE, base=2) == pytest.approx(h_xy - h_x, rel=1e-14, abs=0)
    mi = scipy.stats.entropy(TABLE.ravel(), np.outer(px, py).ravel(), base=2)
    assert celib.mutual_information(TABLE, base=2) == pytest.approx(mi, rel=1e-13, abs=0)


@settings(max_examples=60)
@given(joint_tables())
def test_against_scipy_rel_entr_and_brute_force_sums(pxy):
    h_xy, h_x, h_y, h_y_given_x, mi = _brute_force(pxy.tolist())
    tol = 16 * pxy.size * EPS64  # sums of n terms each of size <= 1/e, a few ulps each
    assert float(celib.joint_entropy(pxy)) == pytest.approx(h_xy, rel=0, abs=tol)
    assert float(celib.conditional_entropy(pxy)) == pytest.approx(h_y_given_x, rel=0, abs=tol)
    assert float(celib.mutual_information(pxy)) == pytest.approx(mi, rel=0, abs=tol)
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    product = np.outer(px, py)
    if np.all(product[pxy > 0] >= np.finfo(np.float64).tiny):
        # (where p(x) p(y) underflows, rel_entr returns inf and the brute-force sum above decides)
        rel_entr = scipy.special.rel_entr(pxy, product).sum()
        assert float(celib.mutual_information(pxy)) == pytest.approx(rel_entr, rel=0, abs=tol)
    # and in bits: the same numbers divided by ln 2
    assert float(celib.mutual_information(pxy, base=2)) == pytest.approx(mi / math.log(2), rel=0, abs=2 * tol)


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=80)
@given(joint_tables())
def test_chain_rule_and_the_identities_of_mutual_information(pxy):
    tol = 16 * pxy.size * EPS64
    h_xy = float(celib.joint_entropy(pxy))
    h_x = float(celib.entropy(pxy.sum(axis=1)))
    h_y = float(celib.entropy(pxy.sum(axis=0)))
    h_y_x = float(celib.conditional_entropy(pxy))
    h_x_y = float(celib.conditional_entropy(pxy.T))
    mi = float(celib.mutual_information(pxy))
    assert h_xy == pytest.approx(h_x + h_y_x, rel=0, abs=tol)  # H(X,Y) = H(X) + H(Y|X)
    assert h_xy == pytest.approx(h_y + h_x_y, rel=0, abs=tol)  # H(X,Y) = H(Y) + H(X|Y)
    assert mi == pytest.approx(h_y - h_y_x, rel=0, abs=tol)
    assert mi == pytest.approx(h_x + h_y - h_xy, rel=0, abs=tol)
    # symmetry: I(X;Y) = I(Y;X)
    assert mi == pytest.approx(float(celib.mutual_information(pxy.T)), rel=0, abs=tol)
    # H(X,Y) <= H(X) + H(Y), H(Y|X) <= H(Y), I >= 0 (up to rounding of the given table)
    assert h_xy <= h_x + h_y + tol
    assert 0.0 <= h_y_x <= h_y + tol
    assert mi >= -tol
    assert mi <= min(h_x, h_y) + tol


@settings(max_examples=60)
@given(marginals())
def test_mutual_information_of_an_independent_table_is_zero(pair):
    px, py = pair
    pxy = np.outer(px, py)
    # Rounding of the outer product and of the marginal sums only: a few ulps per cell.
    tol = 8 * (px.size + py.size) * EPS64
    assert abs(float(celib.mutual_information(pxy))) <= tol
    assert float(celib.joint_entropy(pxy)) == pytest.approx(
        float(celib.entropy(px) + celib.entropy(py)), rel=0, abs=tol
    )
    assert float(celib.conditional_entropy(pxy)) == pytest.approx(float(celib.entropy(py)), rel=0, abs=tol)


def test_y_a_function_of_x_has_zero_conditional_entropy_exactly():
    # every row has one non-zero cell: Y is determined by X
    pxy = np.array([[0.0, 0.3, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 0.5]])
    assert celib.conditional_entropy(pxy) == 0.0
    assert celib.mutual_information(pxy) == pytest.approx(float(celib.entropy([0.3, 0.2, 0.5])), rel=4 * EPS64, abs=0)


def test_joint_entropy_accepts_any_shape_and_equals_entropy_of_the_ravelled_table(rng):
    p = rng.random((2, 3, 4))
    p /= p.sum()
    assert celib.joint_entropy(p) == celib.entropy(p.ravel())


def test_tiny_cells_do_not_underflow_the_product_of_marginals():
    # p(x) p(y) = 1e-400 underflows to 0 in float64; the result must stay finite and exact
    t = 1e-200
    pxy = np.array([[t, 0.0], [0.0, 1 - t]])
    exact = mpmath.mpf(t) * mpmath.log(1 / mpmath.mpf(t))  # the two others cells add ~(1-t) ln(1/(1-t))
    exact += mpmath.mpf(1 - t) * mpmath.log(1 / mpmath.mpf(1 - t))
    got = celib.mutual_information(pxy)
    assert np.isfinite(got)
    assert float(got) == pytest.approx(float(exact), rel=1e-12, abs=0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_in_dtype_out(dtype):
    pxy = TABLE.astype(dtype)
    for f in (celib.joint_entropy, celib.conditional_entropy, celib.mutual_information):
        out = f(pxy)
        assert out.dtype == dtype
        eps = float(np.finfo(dtype).eps)
        assert float(out) == pytest.approx(float(f(TABLE)), rel=8 * eps, abs=0)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [celib.joint_entropy, celib.conditional_entropy, celib.mutual_information])
def test_a_table_that_does_not_sum_to_one_is_refused_with_the_fix(f):
    counts = [[26, 4], [14, 16]]
    with pytest.raises(ValueError, match=r"pxy must be a joint distribution.*sum to 60 \(divide by pxy.sum\(\)"):
        f(counts)


@pytest.mark.parametrize("f", [celib.joint_entropy, celib.conditional_entropy, celib.mutual_information])
def test_negative_or_non_finite_cells_are_refused(f):
    with pytest.raises(ValueError, match=r"pxy must be probabilities in \[0, 1\]; got -0.5 at index \(1, 0\)"):
        f([[0.5, 0.5], [-0.5, 0.5]])
    with pytest.raises(ValueError, match="pxy must be finite; got nan"):
        f([[0.5, np.nan], [0.0, 0.5]])
    with pytest.raises(TypeError, match="pxy must contain real numbers"):
        f([["a", "b"]])


@pytest.mark.parametrize("f", [celib.conditional_entropy, celib.mutual_information])
@pytest.mark.parametrize("shape", [(4,), (2, 2, 1)])
def test_conditional_entropy_and_mutual_information_need_a_2d_table(f, shape):
    p = np.full(shape, 1 / np.prod(shape))
    with pytest.raises(ValueError, match=r"pxy must be a 2-D table with X on axis 0 and Y on axis 1; got shape"):
        f(p)


def test_bad_base_is_refused():
    with pytest.raises(ValueError, match="base must be a positive number other than 1"):
        celib.mutual_information(TABLE, base=1)


# --- gaussian_kl ----------------------------------------------------------------------------------


def _kl_integral(mp, sp, mq, sq):
    """KL by quadrature of p(x) ln(p(x) / q(x)) over mu_p +- 40 sigma_p."""
    def integrand(x):
        log_p = scipy.stats.norm.logpdf(x, mp, sp)
        return math.exp(log_p) * (log_p - scipy.stats.norm.logpdf(x, mq, sq))

    value, _ = scipy.integrate.quad(integrand, mp - 40 * sp, mp + 40 * sp, points=[mp], limit=200,
                                    epsabs=1e-13, epsrel=1e-11)
    return value


def _kl_mpmath(mp, sp, mq, sq):
    """The closed form in 50-digit arithmetic on the exact float inputs."""
    with mpmath.workdps(50):
        mp, sp, mq, sq = (mpmath.mpf(float(a)) for a in (mp, sp, mq, sq))
        return mpmath.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - mpmath.mpf(1) / 2


@pytest.mark.parametrize(
    "params", [(0.0, 1.0, 0.0, 1.0), (1.0, 1.0, 0.0, 1.0), (0.0, 1.0, 0.0, 2.0), (0.0, 2.0, 0.0, 1.0),
               (-1.5, 0.3, 2.0, 1.7), (3.0, 0.9, 2.5, 1.1)]
)
def test_gaussian_kl_against_a_numerical_integral(params):
    assert float(celib.gaussian_kl(*params)) == pytest.approx(_kl_integral(*params), rel=1e-8, abs=1e-12)


@settings(max_examples=100)
@given(
    st.floats(-100, 100), st.floats(1e-3, 1e3), st.floats(-100, 100),
    st.integers(-10, 10),
)
def test_gaussian_kl_against_mpmath_relative_accuracy(mp, sp, mq, k):
    # std_q a power of two makes sigma_p / sigma_q exact, so every remaining error is celib's
    sq = 2.0**k
    exact = _kl_mpmath(mp, sp, mq, sq)
    got = celib.gaussian_kl(mp, sp, mq, sq)
    if exact == 0:
        assert got == 0
    else:
        assert abs(float((mpmath.mpf(float(got)) - exact) / exact)) <= 16 * EPS64


@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-9, 1e-12])
def test_gaussian_kl_with_nearly_equal_widths_keeps_its_digits(delta):
    # KL ~ delta^2: r^2 - 1 - ln r^2 written out would cancel to noise
    sp = 1.0 + delta
    exact = _kl_mpmath(0.0, sp, 0.0, 1.0)
    got = float(celib.gaussian_kl(0.0, sp, 0.0, 1.0))
    assert got > 0
    assert abs(float((mpmath.mpf(got) - exact) / exact)) <= 16 * EPS64


def test_gaussian_kl_is_zero_for_equal_parameters_and_broadcasts():
    assert celib.gaussian_kl(0.3, 1.7, 0.3, 1.7) == 0.0
    mean = np.array([[0.0, 1.0, -1.0], [2.0, 0.5, 0.0]])
    std = np.array([[1.0, 0.5, 2.0], [1.0, 1.0, 3.0]])
    got = celib.gaussian_kl(mean, std, 0.0, 1.0)
    assert got.shape == (2, 3)
    expected = [[_kl_mpmath(m, s, 0.0, 1.0) for m, s in zip(rm, rs)] for rm, rs in zip(mean, std)]
    np.testing.assert_allclose(got, np.array(expected, dtype=float), rtol=16 * EPS64, atol=0)
    # the VAE term: sum over latent dimensions
    assert float(got.sum(axis=-1)[0]) == pytest.approx(float(sum(expected[0])), rel=1e-14, abs=0)


def test_gaussian_kl_in_bits_and_extreme_ratios():
    assert float(celib.gaussian_kl(1.0, 1.0, 0.0, 1.0, base=2)) == pytest.approx(0.5 / math.log(2), rel=4 * EPS64, abs=0)
    # sigma_p / sigma_q overflows the dtype: the log is taken as a difference, and the result is inf
    assert celib.gaussian_kl(0.0, 1e300, 0.0, 1e-300) == np.inf
    # and a ratio that underflows: ln(sq/sp) dominates, finite
    exact = _kl_mpmath(0.0, 1e-300, 0.0, 1e300)
    assert float(celib.gaussian_kl(0.0, 1e-300, 0.0, 1e300)) == pytest.approx(float(exact), rel=1e-14, abs=0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_gaussian_kl_keeps_the_input_dtype(dtype):
    got = celib.gaussian_kl(np.array([1.0], dtype), np.array([2.0], dtype), 0.0, 1.0)
    assert got.dtype == dtype
    exact = float(_kl_mpmath(1.0, 2.0, 0.0, 1.0))
    assert float(got[0]) == pytest.approx(exact, rel=2 * float(np.finfo(dtype).eps), abs=0)


def test_gaussian_kl_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"std_p must be > 0 \(a standard deviation\); got 0.0 at index 1"):
        celib.gaussian_kl([0.0, 0.0], [1.0, 0.0], 0.0, 1.0)
    with pytest.raises(ValueError, match=r"std_q must be > 0.*np.exp\(0.5 \* log_var\)"):
        celib.gaussian_kl(0.0, 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="mean_q must be finite; got inf"):
        celib.gaussian_kl(0.0, 1.0, np.inf, 1.0)
    with pytest.raises(ValueError, match=r"must broadcast against each other; got shapes \(2,\), \(3,\)"):
        celib.gaussian_kl([0.0, 1.0], [1.0, 1.0, 1.0], 0.0, 1.0)
    with pytest.raises(TypeError, match="mean_p must contain real numbers"):
        celib.gaussian_kl("a", 1.0, 0.0, 1.0)
