"""Argument checks shared by every public function.

One place for the checks means one wording for the errors. Every message names the argument, says
what is wrong with it (with the offending value and where it is) and, where there is one, the fix.
Nothing here ever repairs input silently: a value is accepted as it is or rejected.
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _where(mask: np.ndarray) -> str:
    """Describe the first True position of ``mask`` as ``index i`` or ``index (i, j)``."""
    flat = int(np.argmax(mask.ravel()))
    if mask.ndim <= 1:
        return f"index {flat}"
    return f"index {tuple(int(i) for i in np.unravel_index(flat, mask.shape))}"


def _first(arr: np.ndarray, mask: np.ndarray):
    value = arr.ravel()[int(np.argmax(mask.ravel()))]
    return value.item() if hasattr(value, "item") else value


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The floating dtype of a result: the promotion of the floating inputs, float64 if none."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(np.float64)


def work_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype to compute in: float16 is widened to float32.

    A float16 sum of a few thousand losses already overflows (its largest value is 65504), and its
    10-bit mantissa loses most digits of a log-sum-exp; the result is cast back at the end.
    """
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def as_array(x, name: str) -> np.ndarray:
    """``np.asarray(x)``, with an error that names the argument for ragged nested lists."""
    try:
        return np.asarray(x)
    except ValueError as exc:  # "setting an array element with a sequence ... inhomogeneous shape"
        raise ValueError(f"{name} must be a rectangular array (all rows the same length); {exc}") from None


def as_real_array(x, name: str) -> np.ndarray:
    """``x`` as a non-empty, finite, real NumPy array (integers and booleans are kept as they are)."""
    arr = as_array(x, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must contain real numbers; got dtype {arr.dtype}"
            " (convert it with np.asarray(..., dtype=float))"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            value = _first(arr, bad)
            hint = " (to mask a logit, use a large negative number such as -1e4)" if value == -np.inf else ""
            raise ValueError(f"{name} must be finite; got {value} at {_where(bad)}{hint}")
    return arr


def as_float_array(x, name: str, dtype: np.dtype | None = None) -> np.ndarray:
    """Like :func:`as_real_array`, cast to ``dtype`` (default: its own floating dtype or float64)."""
    arr = as_real_array(x, name)
    return arr.astype(dtype if dtype is not None else float_dtype(arr), copy=False)


def check_probabilities(
    p: np.ndarray, name: str, *, axis: int | None = -1, could_be_logits: bool = False,
    shown_axis: int | None = None, whole_option: str | None = "",
) -> np.ndarray:
    """Check that ``p`` holds probabilities; with ``axis``, that they also sum to 1 along it.

    ``could_be_logits`` adds the from_logits hint, for arguments of functions that take it.
    ``shown_axis`` is the axis to name in the message when the caller moved the class axis;
    ``whole_option`` (e.g. ``" or axis=None"``) is offered beside ``p.ravel()`` for a joint table;
    None where the array cannot be a joint table (a loss's batch of predictions, one per row).

    Values must be >= 0 exactly (a rounded softmax or sigmoid is never negative, and the log of a
    negative number has no meaning) and at most 1; in a distribution along ``axis``, at most
    ``1 + sum_tolerance``, because a marginal summed from a joint table can land an ulp above 1.
    Nothing is clipped: an accepted value is used as it is.
    Sums must be within :func:`sum_tolerance` of 1, which follows the rounding of ``C``
    probabilities and of their normalising sum in ``p``'s dtype. Check an array in the dtype it was
    computed in, before any promotion: float32 probabilities cast to float64 still carry float32
    rounding.
    """
    bad = (p < 0) | (p > (1 if axis is None else 1 + sum_tolerance(p.shape[axis], p.dtype)))
    if bad.any():
        hint = " (if these are logits, pass from_logits=True)" if could_be_logits else ""
        raise ValueError(f"{name} must be probabilities in [0, 1]; got {_first(p, bad)} at {_where(bad)}{hint}")
    if axis is not None:
        sums = p.sum(axis=axis, dtype=np.float64)
        off = np.abs(sums - 1) > sum_tolerance(p.shape[axis], p.dtype)
        if np.any(off):
            raise ValueError(_sum_message(p, name, axis, sums, off, could_be_logits,
                                          axis if shown_axis is None else shown_axis, whole_option))
    return p


def probabilities(x, name: str, dtype: np.dtype, **check) -> np.ndarray:
    """``x`` checked by :func:`check_probabilities` in its own dtype, then cast to ``dtype``."""
    return check_probabilities(as_float_array(x, name), name, **check).astype(dtype, copy=False)


def _sum_message(p, name, axis, sums, off, could_be_logits, shown_axis, whole_option) -> str:
    """Why ``p`` is not a distribution along ``axis``, and the fix that gives the right answer.

    For a 2-D or larger array there are two readings, and the fix differs: each row its own
    distribution (normalise the rows), or the whole array one joint distribution (ravel it, after
    dividing by the total if these are counts). Normalising the rows of a joint table gives a
    plausible wrong answer, so that fix is never offered alone.
    """
    logits = ", or pass logits with from_logits=True" if could_be_logits else ""
    value = _first(np.atleast_1d(sums), np.atleast_1d(off))
    if p.dtype == np.float64 and abs(value - 1) <= sum_tolerance(p.shape[axis], np.dtype(np.float32)):
        logits += (f"; a sum this close to 1 is float32 rounding: if {name} was computed in float32,"
                   " pass it as float32")
    if p.ndim == 1:
        return (f"{name} must sum to 1 along its class axis; it sums to {value:.10g}"
                f" (normalise with {name} / {name}.sum(){logits})")
    where = _where(np.atleast_1d(off)).replace("index", "row")
    head = f"{name} must sum to 1 along its class axis (axis={shown_axis}); {where} sums to {value:.10g}"
    if whole_option is None:  # one distribution per row, by the function's contract
        return f"{head} (normalise with {name} / {name}.sum(axis={shown_axis}, keepdims=True){logits})"
    total = float(p.sum(dtype=np.float64))
    if abs(total - 1) <= sum_tolerance(p.size, p.dtype):
        return (f"{head}; {name} sums to 1 as a whole: if it is a joint distribution, pass"
                f" {name}.ravel(){whole_option}; if each row is its own distribution, fix the rows")
    return (f"{head} (if each row is its own distribution, normalise with"
            f" {name} / {name}.sum(axis={shown_axis}, keepdims=True){logits}; if the whole array is one"
            f" joint distribution, divide by {name}.sum() and pass {name}.ravel(){whole_option})")


#: Multiple of sqrt(C) * eps accepted as a sum's distance from 1 (see sum_tolerance).
SUM_TOLERANCE_ULPS = 4.0


def sum_tolerance(n: int, dtype: np.dtype) -> float:
    r"""How far from 1 the sum of ``n`` probabilities of ``dtype`` may be and still count as 1.

    :math:`4 \sqrt{n}\, \varepsilon`. Rounding each probability to the dtype moves the sum by at most
    :math:`\varepsilon / 2` in total (the relative errors are weighted by the probabilities), and
    the normalising sum of a softmax carries a summation error that grows like
    :math:`\sqrt{n}\, \varepsilon` for rounding errors of random sign (pairwise summation, as
    NumPy's, stays far below it). In float32 over a 128,256-entry vocabulary this is 1.7e-4, in
    float64 over 10 classes 2.8e-15: a forgotten normalisation or a typo (a row summing to 1.01)
    fails by orders of magnitude.
    """
    return SUM_TOLERANCE_ULPS * max(1, n) ** 0.5 * float(np.finfo(dtype).eps)


def check_joint(p: np.ndarray, name: str) -> np.ndarray:
    """Check that the whole of ``p`` is one distribution: probabilities that sum to 1 together."""
    total = float(p.sum(dtype=np.float64))
    if (p >= 0).all() and abs(total - 1) > sum_tolerance(p.size, p.dtype):  # e.g. a table of counts
        raise ValueError(
            f"{name} must be a joint distribution whose entries all together sum to 1; they sum to"
            f" {total:.10g} (divide by {name}.sum() if these are counts)"
        )
    return check_probabilities(p, name, axis=None)


def check_labels(labels, name: str, num_classes: int, *, ignore_index: int | None = None) -> np.ndarray:
    """Integer class labels in ``[0, num_classes)``, except entries equal to ``ignore_index``.

    Negative labels are rejected explicitly: NumPy indexing would silently read ``-1`` as the last
    class, which is exactly the padding bug this check exists to catch.
    """
    arr = as_real_array(labels, name)
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must be integer class indices; got booleans (use labels.astype(int))")
    if arr.dtype.kind == "f":
        fractional = arr != np.round(arr)
        if fractional.any():
            raise TypeError(
                f"{name} must be integer class indices; got {_first(arr, fractional)} at"
                f" {_where(fractional)} (for probability targets use categorical_cross_entropy)"
            )
    # Range-check before casting: a float such as 1e30 has no int64 value to report.
    valid = (arr >= 0) & (arr < num_classes)
    if ignore_index is not None:
        valid |= arr == ignore_index
    if not valid.all():
        hint = "use ignore_index to skip padding" if ignore_index is None else f"ignore_index is {ignore_index}"
        raise ValueError(
            f"{name} must be in [0, {num_classes}); got {_first(arr, ~valid)} at {_where(~valid)} ({hint})"
        )
    return arr.astype(np.int64)


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Refuse to broadcast: ``(N, 1)`` against ``(N,)`` would silently become ``(N, N)``."""
    if a.shape != b.shape:
        trailing_one = a.shape == b.shape + (1,) or b.shape == a.shape + (1,)
        raise ValueError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match exactly"
            + (" (squeeze the trailing axis of size 1: broadcasting (N, 1) against (N,) would"
               " silently compare every pair)" if trailing_one else "")
        )


def check_ignore_index(ignore_index):
    """An integer label value to skip, or None."""
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)):
        raise TypeError(f"ignore_index must be an integer or None; got {ignore_index!r}")
    return ignore_index


def check_from_logits(from_logits) -> bool:
    if not isinstance(from_logits, (bool, np.bool_)):
        raise TypeError(f"from_logits must be True or False; got {from_logits!r}")
    return bool(from_logits)


def mask_ignored(losses: np.ndarray, weights: np.ndarray | None, keep: np.ndarray | None):
    """Zero the losses of ignored rows and drop them from the mean's weights (None: nothing ignored)."""
    if keep is None:
        return losses, weights
    losses = np.where(keep, losses, 0).astype(losses.dtype, copy=False)
    weights = keep.astype(losses.dtype) if weights is None else np.where(keep, weights, 0)
    return losses, weights


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
    return reduction


def log_of_base(base) -> float | None:
    """``ln(base)`` to divide natural logs by, or None for nats."""
    if base is None:
        return None
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a positive number other than 1 (or None for nats); got {base!r}")
    if not np.isfinite(base) or base <= 0 or base == 1:
        raise ValueError(f"base must be a positive number other than 1 (or None for nats); got {base!r}")
    return float(np.log(base))


def check_fraction(value, name: str) -> float:
    """A number in [0, 1], e.g. ``label_smoothing``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1]; got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1]; got {value!r}")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """A finite number >= 0, e.g. ``gamma``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number >= 0; got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def check_positive(value, name: str) -> float:
    """A finite number > 0, e.g. ``temperature``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number > 0; got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def check_eps(eps) -> float | None:
    """``eps=None`` means exact; otherwise a clip in (0, 0.5)."""
    if eps is None:
        return None
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be None (exact) or a small positive number such as 1e-7; got {eps!r}")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), e.g. 1e-7 as in Keras; got {eps!r}")
    return float(eps)


def check_class_weight(class_weight, num_classes: int, dtype: np.dtype, name: str = "class_weight"):
    """A length-``num_classes`` vector of finite non-negative weights, or None."""
    if class_weight is None:
        return None
    w = as_float_array(class_weight, name, dtype)
    if w.ndim != 1 or w.shape[0] != num_classes:
        raise ValueError(
            f"{name} must have one weight per class, shape ({num_classes},); got shape {w.shape}"
        )
    negative = w < 0
    if negative.any():
        raise ValueError(f"{name} must be >= 0; got {_first(w, negative)} at {_where(negative)}")
    return w


def focal_alpha(alpha, num_classes: int, dtype: np.dtype):
    """The softmax focal loss's ``alpha`` as one factor per class (a float applies to every
    class), or None. A factor scales the loss; it is not a weight of the mean."""
    if alpha is None:
        return None
    a = as_real_array(alpha, "alpha")
    if a.ndim == 0:
        a = np.full(num_classes, check_nonnegative(a.item(), "alpha"))
    return check_class_weight(a, num_classes, dtype, name="alpha")


def binary_focal_alpha(alpha) -> tuple[float, float]:
    """Weights of the positive and negative terms of the binary focal loss: (alpha, 1 - alpha)."""
    if alpha is None:
        return 1.0, 1.0
    a = check_fraction(alpha, "alpha")
    return a, 1 - a


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an input with {ndim} dimension(s)")
    return int(axis) % ndim


def reduce(losses: np.ndarray, reduction: str, weights: np.ndarray | None = None):
    """Apply ``reduction`` to per-example losses, accumulating in float64.

    ``"mean"`` divides by the sum of the weights actually used (the number of examples when
    unweighted). A batch whose weights are all zero, e.g. every row ignored, has mean 0.0 rather
    than 0/0: there is nothing to learn from it, and a NaN would poison the optimiser. Sums are
    taken in float64 whatever the losses' dtype: eight float16 losses of 2e4 sum to 1.6e5, beyond
    float16's 65504, and a float32 sum of a million losses would lose about three digits.
    """
    if reduction == "none":
        return losses
    total = losses.sum(dtype=np.float64)
    if reduction == "sum":
        return total
    denominator = losses.size if weights is None else weights.sum(dtype=np.float64)
    if denominator == 0:
        return np.float64(0.0)
    return total / np.float64(denominator)


def to_dtype(value, dtype: np.dtype):
    """``value`` (array or scalar) in ``dtype``, unless that overflows a finite value to infinity.

    The result has the input's floating dtype wherever it fits. Where it does not -- a float16
    sum or z-loss above 65504 -- it is returned in float32 (float64 if float32 overflows too)
    instead of as ``inf``: a dtype you did not ask for is easier to notice and fix than a loss
    that became infinite.
    """
    arr = np.asarray(value)
    with np.errstate(over="ignore"):
        out = arr.astype(dtype)
    if np.isinf(out).any() and not np.isinf(arr[np.isinf(out)]).all():
        wider = np.float32 if np.dtype(dtype).itemsize < 4 else np.float64
        return to_dtype(arr, np.dtype(wider)) if wider != dtype else arr.astype(np.float64)[()]
    return out[()]


def check_sample_weight(sample_weight, shape: tuple, dtype: np.dtype, *, per_row: bool = False):
    """Per-example weights of exactly ``shape`` (the batch shape), in ``dtype``; or None.

    ``per_row=True`` (elementwise losses such as binary cross-entropy) also accepts ``shape``
    without its last axis, one weight for each row of outputs, and broadcasts it. Booleans are
    accepted as 0/1 (a mask, like optax's ``where=``). Refused, each with its own message: a scalar
    (a constant weight cancels in the weighted mean, the silent trap of a scalar focal ``alpha``),
    any other shape (a ``(N, 1)`` weight must not broadcast to ``(N, N)``), NaN or infinity,
    negative weights, and weights that are all 0 (no example left: 0/0).
    """
    if sample_weight is None:
        return None
    s = as_real_array(sample_weight, "sample_weight")  # refuses NaN, inf, empty, non-real
    allowed = [tuple(shape)] + ([tuple(shape[:-1])] if per_row and len(shape) >= 2 else [])
    if s.shape not in allowed:
        wanted = " or ".join(str(a) for a in allowed)
        if s.ndim == 0:
            hint = (" (a constant weight cancels in the mean, which divides by the sum of the weights;"
                    " to scale the loss, multiply the result)")
        elif s.shape in [a + (1,) for a in allowed]:
            hint = " (squeeze the trailing axis of size 1)"
        else:
            hint = ""
        raise ValueError(f"sample_weight must have one weight per example, shape {wanted}; got shape {s.shape}{hint}")
    negative = s < 0
    if negative.any():
        raise ValueError(f"sample_weight must be >= 0; got {_first(s, negative)} at {_where(negative)}")
    if not s.any():
        raise ValueError(
            "sample_weight is 0 for every example, so no example is left to average; drop the batch"
            " instead of passing all-zero weights"
        )
    s = s.astype(dtype)
    return s if s.shape == tuple(shape) else np.broadcast_to(s[..., None], shape)


def weigh_examples(losses: np.ndarray, weights: np.ndarray | None, sample_weight: np.ndarray | None):
    """Multiply each example's loss, and its weight in the mean, by its ``sample_weight``.

    A weight of 0 drops the example: its loss becomes 0 even when it is ``inf``, and it counts
    nowhere in the mean, exactly as if it had been removed from the batch.
    """
    if sample_weight is None:
        return losses, weights
    with np.errstate(invalid="ignore"):  # 0 * inf: a dropped example's loss is 0
        losses = np.where(sample_weight > 0, losses * sample_weight, 0).astype(losses.dtype, copy=False)
    return losses, sample_weight if weights is None else weights * sample_weight


def finish(losses: np.ndarray, reduction: str, dtype: np.dtype, weights: np.ndarray | None = None,
           *, keep: np.ndarray | None = None, sample_weight: np.ndarray | None = None):
    """What every loss returns: the per-example ``losses`` with their ``weights`` in the mean
    (None: 1 each), ignored rows (``keep`` False) and ``sample_weight`` applied, then
    :func:`reduce` and :func:`to_dtype`."""
    losses, weights = weigh_examples(*mask_ignored(losses, weights, keep), sample_weight)
    return to_dtype(reduce(losses, reduction, weights), dtype)
