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

    The tolerance is ``sqrt(eps)`` of the dtype (about 3e-4 in float32, 1.5e-8 in float64): wide
    enough for a softmax computed in that dtype, narrow enough to catch a forgotten normalisation.
    Values within the tolerance outside [0, 1] are rounding error and are clipped back.
    """
    tol = float(np.sqrt(np.finfo(p.dtype).eps))
    bad = (p < -tol) | (p > 1 + tol)
    if bad.any():
        hint = " (if these are logits, pass from_logits=True)" if could_be_logits else ""
        raise ValueError(f"{name} must be probabilities in [0, 1]; got {_first(p, bad)} at {_where(bad)}{hint}")
    p = np.clip(p, 0, 1)
    if axis is not None:
        sums = p.sum(axis=axis, dtype=np.float64)
        off = np.abs(sums - 1) > sum_tolerance(p.shape[axis], p.dtype)
        if np.any(off):
            raise ValueError(_sum_message(p, name, axis, sums, off, could_be_logits,
                                          axis if shown_axis is None else shown_axis, whole_option))
    return p


def _sum_message(p, name, axis, sums, off, could_be_logits, shown_axis, whole_option) -> str:
    """Why ``p`` is not a distribution along ``axis``, and the fix that gives the right answer.

    For a 2-D or larger array there are two readings, and the fix differs: each row its own
    distribution (normalise the rows), or the whole array one joint distribution (ravel it, after
    dividing by the total if these are counts). Normalising the rows of a joint table gives a
    plausible wrong answer, so that fix is never offered alone.
    """
    logits = ", or pass logits with from_logits=True" if could_be_logits else ""
    value = _first(np.atleast_1d(sums), np.atleast_1d(off))
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


def sum_tolerance(n: int, dtype: np.dtype) -> float:
    """How far from 1 the sum of ``n`` probabilities of ``dtype`` may be and still count as 1."""
    # At least 1e-6: probabilities computed in float32 and then cast to float64 are still
    # probabilities, even though their sums are only float32-accurate.
    return max(float(np.sqrt(np.finfo(dtype).eps)), 1e-6) * max(1, n**0.5)


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
    """The softmax focal loss's ``alpha`` as one weight per class (a float applies to every
    class), or None."""
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
    """Apply ``reduction`` to per-example losses.

    ``"mean"`` divides by the sum of the weights actually used (the number of examples when
    unweighted). A batch whose weights are all zero, e.g. every row ignored, has mean 0.0 rather
    than 0/0: there is nothing to learn from it, and a NaN would poison the optimiser.
    """
    if reduction == "none":
        return losses
    total = losses.sum(dtype=losses.dtype)
    if reduction == "sum":
        return total
    denominator = losses.size if weights is None else weights.sum(dtype=losses.dtype)
    if denominator == 0:
        return losses.dtype.type(0.0)
    return total / losses.dtype.type(denominator)
