"""The checker: run a learner's function on chosen and generated inputs, compare with celib, explain.

One :class:`Exercise` holds everything a check needs: the reference (a ``celib`` call), the chosen
inputs (:class:`Case`, public or hidden), a hypothesis strategy for generated inputs, the known
mistakes (:class:`Mistake`) whose values are recognised and named, and the hints. :func:`grade`
runs a function against it and returns a :class:`Report`; ``str(report)`` is the plain-words text
the lessons print.

Rules the reports follow, so that stored notebook outputs stay identical from run to run:

* generated inputs come from hypothesis with ``derandomize=True`` and no example database, so the
  same learner code meets the same inputs and shrinks to the same smallest failing one;
* the learner's exceptions and NumPy warnings are caught and reported, never raised through;
* numbers are printed with at most 6 significant digits, memory in MiB with one decimal.
"""

from __future__ import annotations

import copy
import dataclasses
import textwrap
import traceback
import tracemalloc
import warnings
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Case", "Mistake", "Exercise", "Failure", "Report", "grade", "fmt"]

#: Generated inputs per check: the learner's check, and the extra ones of a graded (hidden) run.
GENERATED_PUBLIC = 30
GENERATED_HIDDEN = 120

RAISED_AT = "The line that raised: "

# Tolerances by the dtype of the reference result: a float16 answer has ~3 significant digits.
_TOLERANCE = {
    np.dtype(np.float16): (3e-3, 3e-3),
    np.dtype(np.float32): (1e-5, 1e-6),
    np.dtype(np.float64): (1e-7, 1e-10),
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One chosen input.

    ``args`` are passed positionally (copied first, so a function that writes into its inputs
    cannot spoil later cases). ``where`` names the input in the report ("z = 800, y = 0").
    ``hidden`` cases are left out of the learner's check and added in a graded run.
    ``max_bytes`` caps the peak memory the call may allocate (measured with ``tracemalloc``);
    ``memory_note`` says what the cap stands for.
    """

    args: tuple
    where: str
    hidden: bool = False
    max_bytes: int | None = None
    memory_note: str = ""


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known wrong answer, recognised by its value.

    ``value(*args)`` computes what the mistaken code returns; when the learner's result matches
    it (and not the reference), the report says ``kind``, what the learner returned, and
    ``explain(*args)``, instead of a generic message. Where the mistaken value cannot be computed
    (a clip with an unknown epsilon), ``test(got, expected, *args)`` recognises it instead.
    """

    kind: str
    explain: Callable[..., str]
    value: Callable[..., Any] | None = None
    test: Callable[..., bool] | None = None


@dataclasses.dataclass(frozen=True)
class Failure:
    """What went wrong on one input: a short ``kind`` and the full ``message``."""

    where: str
    kind: str
    message: str


@dataclasses.dataclass
class Exercise:
    """A coding exercise: what the learner writes, and how it is checked.

    ``answer`` is the name of the function the learner defines (the "named answer" of a graded
    export); ``points`` its weight there. ``reference(*args)`` computes the right result with
    ``celib``. ``strategy`` is a zero-argument callable returning a hypothesis strategy of ``args``
    tuples (called lazily, so importing this module does not import hypothesis).
    """

    name: str
    lesson: int
    title: str
    answer: str
    params: tuple[str, ...]
    quantity: str
    reference: Callable[..., Any]
    cases: tuple[Case, ...]
    mistakes: tuple[Mistake, ...] = ()
    hints: tuple[str, ...] = ()
    strategy: Callable[[], Any] | None = None
    points: int = 2
    describe: Callable[..., str] | None = None

    @property
    def signature(self) -> str:
        return f"{self.answer}({', '.join(self.params)})"

    def public_cases(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if not c.hidden)

    def hidden_cases(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.hidden)

    def where(self, args) -> str:
        """How the report names a generated input."""
        if self.describe is not None:
            return self.describe(*args)
        return ", ".join(f"{n} = {fmt_array(a)}" for n, a in zip(self.params, args))


@dataclasses.dataclass
class Report:
    """The outcome of one check; ``str(report)`` is what the learner reads.

    ``chosen`` inputs were run; ``generated`` is how many generated inputs were tried, 0 when
    they were not (they run only once every chosen input passes: the learner fixes the first
    failure first, and a failing search would only add seconds of shrinking).
    """

    exercise: Exercise
    chosen: int
    failures: list[Failure]
    generated: int

    @property
    def passed(self) -> bool:
        return not self.failures and (self.generated > 0 or self.exercise.strategy is None)

    @property
    def score(self) -> float:
        """Fraction of checks passed: each chosen input is one, the generated ones together one."""
        total = self.chosen + (self.exercise.strategy is not None)
        chosen_failed = sum(not f.where.startswith("the generated input") for f in self.failures)
        generated_ok = self.generated > 0 and len(self.failures) == chosen_failed
        return (self.chosen - chosen_failed + generated_ok) / total

    def __str__(self) -> str:
        return "\n".join(_wrap(line) for line in self._lines())

    __repr__ = __str__

    def _lines(self) -> list[str]:
        ex = self.exercise
        head = f"{ex.name}: {ex.signature}"
        generated = f" and {self.generated} generated ones" if self.generated else ""
        if self.passed:
            return [head, f"PASSED: all {self.chosen} chosen inputs{generated}. Well done."]
        first, rest = self.failures[0], self.failures[1:]
        if first.where.startswith("the generated input"):
            status = (f"NOT YET: all {self.chosen} chosen inputs pass, but one of {self.generated} "
                      "generated inputs fails (shown as the smallest that fails):")
        else:
            status = (f"NOT YET: {self.chosen - len(self.failures)} of {self.chosen} chosen inputs "
                      "pass. The first failure:")
        lines = [head, status, "  " + first.message.replace("\n", "\n  ")]
        if rest:
            shown = "; ".join(f.where for f in rest[:3])
            more = f" and {len(rest) - 3} more" if len(rest) > 3 else ""
            lines.append(f"Also failing: {shown}{more}.")
        lines.append(f'Stuck? celib.exercises.hint("{ex.name}") gives a hint.')
        return "\n".join(lines).splitlines()


def _wrap(line: str, width: int = 76) -> str:
    """Wrap one report line, keeping its indent (the reports are read at phone width too)."""
    if line.lstrip().startswith(RAISED_AT):
        return line  # a line of the learner's code: never broken
    indent = line[:len(line) - len(line.lstrip())]
    return textwrap.fill(line, width=width, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)

# ---------------------------------------------------------------------------------------------
# formatting


def fmt(x) -> str:
    """A number as the report prints it: at most 6 significant digits, ``inf``/``nan`` as such."""
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0.0"
    text = f"{x:.6g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return text


def fmt_array(a) -> str:
    """An input as the report names it: a scalar, a short list, or a shape for big arrays."""
    arr = np.asarray(a)
    if arr.ndim == 0:
        return fmt(arr) if arr.dtype.kind == "f" else str(arr.item())
    if arr.size > 12:
        return f"an array of shape {arr.shape}"
    if arr.dtype.kind == "f":
        text = np.array2string(arr, separator=", ", formatter={"float_kind": fmt})
    else:
        text = np.array2string(arr, separator=", ")
    suffix = f" ({arr.dtype})" if arr.dtype.kind == "f" and arr.dtype != np.float64 else ""
    return " ".join(text.split()) + suffix


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


# ---------------------------------------------------------------------------------------------
# running the learner's function


def _copy_args(args: tuple) -> tuple:
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else copy.deepcopy(a)
                 for a in args)


def _where_raised(exc: BaseException) -> str:
    """The learner's line that raised: the last frame outside NumPy and this module."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "numpy" not in f.filename and not f.filename.endswith("checker.py")]
    if frames and frames[-1].line:
        return f"\n{RAISED_AT}{frames[-1].line.strip()}"
    return ""


def _call(fn, args: tuple, max_bytes: int | None):
    """Run ``fn(*args)``: (result, exception, NumPy warnings, peak bytes or None)."""
    args = _copy_args(args)
    peak = None
    # underflow to 0 is usually harmless and would drown the warnings that matter
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        started_here = False
        if max_bytes is not None:
            started_here = not tracemalloc.is_tracing()
            if started_here:
                tracemalloc.start()
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
        try:
            result, error = fn(*args), None
        except Exception as exc:  # the learner's bug is reported, not raised through
            result, error = None, exc
        finally:
            if max_bytes is not None:
                peak = tracemalloc.get_traced_memory()[1] - before
                if started_here:
                    tracemalloc.stop()
    seen = []
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, RuntimeWarning) and text not in seen:
            seen.append(text)
    return result, error, seen, peak


def _as_floats(value):
    """The learner's result as a float64 array, or an error message."""
    try:
        arr = np.asarray(value)
    except Exception:  # pragma: no cover - exotic objects
        return None, f"your function returned {type(value).__name__}, not a number"
    if value is None:
        return None, "your function returned None (did you forget `return`?)"
    if arr.dtype.kind not in "biuf":
        return None, f"your function returned {type(value).__name__} {value!r:.60}, not a number"
    return arr.astype(np.float64), None


def _close(got: np.ndarray, expected: np.ndarray, dtype) -> np.ndarray:
    rtol, atol = _TOLERANCE.get(np.dtype(dtype), _TOLERANCE[np.dtype(np.float64)])
    both_nan = np.isnan(got) & np.isnan(expected)
    return np.isclose(got, expected, rtol=rtol, atol=atol) | both_nan


def _same_value(got, other, dtype) -> bool:
    """Whether ``got`` equals a mistake's value (same shape after squeezing a scalar, all close)."""
    other, err = _as_floats(other)
    if err is not None:
        return False
    if other.shape != got.shape:
        if other.size == 1 and got.size == 1:
            other, got = other.reshape(()), got.reshape(())
        else:
            return False
    return bool(np.all(_close(got, other, dtype)))


def _element(arr: np.ndarray, index) -> str:
    return "" if arr.ndim == 0 else f" (element {index if len(index) > 1 else index[0]})"


def _compare(ex: Exercise, args: tuple, where: str, got_raw, expected_raw) -> Failure | None:
    expected = np.asarray(expected_raw)
    dtype = expected.dtype if expected.dtype.kind == "f" else np.float64
    expected = expected.astype(np.float64)
    got, err = _as_floats(got_raw)
    if err is not None:
        return Failure(where, "not a number", f"not a number: at {where} {err}; the {ex.quantity} is "
                       f"{_describe_value(expected)}.")
    if got.shape != expected.shape:
        if got.size == 1 and expected.size == 1:
            got = got.reshape(expected.shape)
        else:
            return _known(ex, args, where, got, expected, dtype) or Failure(
                where, "wrong shape",
                f"wrong shape: at {where} your function returned {_shape_words(got)}; "
                f"the {ex.quantity} is {_shape_words(expected)}.")
    ok = _close(got, expected, dtype)
    if ok.all():
        return None
    known = _known(ex, args, where, got, expected, dtype)
    if known is not None:
        return known
    index = tuple(int(i) for i in np.argwhere(~ok)[0])
    g, e = got[index], expected[index]
    at = f"at {where}{_element(got, index)}"
    if np.isnan(g):
        kind = "NaN"
    elif np.isinf(g) and np.isfinite(e):
        kind = "overflow" if g > 0 else "underflow"
    else:
        kind = "wrong value"
    return Failure(where, kind, f"{kind}: {at} your function returned {fmt(g)}; "
                                f"the {ex.quantity} is {fmt(e)}.")


def _known(ex: Exercise, args, where, got, expected, dtype) -> Failure | None:
    for mistake in ex.mistakes:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if mistake.value is not None:
                    hit = _same_value(got, mistake.value(*_copy_args(args)), dtype)
                else:
                    hit = bool(mistake.test(got, expected, *_copy_args(args)))
        except Exception:  # the mistaken formula may not apply to this input
            continue
        if hit:
            return Failure(where, mistake.kind,
                           f"{mistake.kind}: at {where} your function returned "
                           f"{_describe_value(got)}; {mistake.explain(*args)}")
    return None


def _shape_words(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return f"one number ({fmt(arr)})"
    return f"an array of shape {arr.shape}"


def _describe_value(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return fmt(arr)
    return fmt_array(arr) if arr.size <= 6 else _shape_words(arr)


def run_case(ex: Exercise, fn, args: tuple, where: str, *, max_bytes=None,
             memory_note="") -> Failure | None:
    """Check ``fn`` on one input; None when it is right."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        expected = ex.reference(*_copy_args(args))
    result, error, numpy_warnings, peak = _call(fn, args, max_bytes)
    if error is not None:
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        detail = f": {text}" if text else ""
        return Failure(where, "error", f"error: at {where} your function raised "
                                       f"{type(error).__name__}{detail}.{_where_raised(error)}")
    failure = _compare(ex, args, where, result, expected)
    if failure is None and max_bytes is not None and peak > max_bytes:
        failure = Failure(where, "memory",
                          f"memory: at {where} your function allocated {_mib(peak)} at its peak; "
                          f"the limit is {_mib(max_bytes)}{memory_note}.")
    if failure is not None and numpy_warnings:
        said = "; ".join(numpy_warnings[:2])
        failure = dataclasses.replace(failure, message=f"{failure.message}\nNumPy warned: {said}.")
    return failure


def _generated_failure(ex: Exercise, fn, n: int) -> Failure | None:
    """The smallest generated input ``fn`` gets wrong (hypothesis, derandomized), or None."""
    from hypothesis import HealthCheck, Phase, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample

    def fails(args) -> bool:
        return run_case(ex, fn, args, "") is not None

    config = settings(derandomize=True, database=None, max_examples=n, deadline=None,
                      suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                      phases=(Phase.generate, Phase.shrink))
    try:
        args = find(ex.strategy(), fails, settings=config)
    except NoSuchExample:
        return None
    where = f"the generated input {ex.where(args)}"
    return run_case(ex, fn, args, where)


def grade(ex: Exercise, fn: Callable, *, hidden: bool = False) -> Report:
    """Check ``fn`` on the exercise's public inputs (and the hidden ones if ``hidden``)."""
    if not callable(fn):
        raise TypeError(f"fn must be the function you wrote, e.g. {ex.answer}; got {fn!r:.60}")
    cases: Sequence[Case] = ex.cases if hidden else ex.public_cases()
    failures = []
    for case in cases:
        failure = run_case(ex, fn, case.args, case.where, max_bytes=case.max_bytes,
                           memory_note=case.memory_note)
        if failure is not None:
            failures.append(failure)
    generated = 0
    if ex.strategy is not None and not failures:
        generated = GENERATED_HIDDEN if hidden else GENERATED_PUBLIC
        failure = _generated_failure(ex, fn, generated)
        if failure is not None:
            failures.append(failure)
    return Report(ex, len(cases), failures, generated)
