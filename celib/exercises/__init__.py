"""Coding exercises: write the function, and get told in plain words where it breaks.

Each lesson ends with one or two exercises in which the learner writes a function (a stable
binary cross-entropy, a log-softmax, a chunked loss, ...). ``check`` runs it on ordinary and
adversarial inputs, compares every result with ``celib``, and prints a report that names the
first failing input, the value obtained and the value expected, e.g.::

    >>> import numpy as np
    >>> import celib.exercises as cx
    >>> def binary_cross_entropy(y, z):          # the naive route: sigmoid, then log
    ...     q = 1 / (1 + np.exp(-z))
    ...     return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)))
    >>> cx.check("ch05-stable-bce", binary_cross_entropy)     # doctest: +ELLIPSIS
    ch05-stable-bce: binary_cross_entropy(y, z)
    NOT YET: ...
      overflow: at z = 40.0, y = 0.0 your function returned inf; the loss is 40.0.
    ...

``hint(name)`` prints a hint, ``hint(name, 2)`` the next one. ``grade(name, fn, hidden=True)``
returns the :class:`~celib.exercises.checker.Report` with the hidden inputs added (for graded
assignments; ``report.passed`` and ``report.score``). ``EXERCISES`` maps each name to its
:class:`~celib.exercises.checker.Exercise`: the answer's function name, points, public and hidden
cases, the celib reference and the hints, everything an export to otter-grader needs.

Why not otter-grader for the lessons (evaluated with otter-grader 7.0.0, offline, 2026-12): its
``grader.check("q1")`` needs an ``otter assign`` build of each notebook plus a
``grader = otter.Notebook(...)`` cell, a 579 MB environment and a 2.9 s import; its report is a
doctest transcript ("Failed example: assert ...", a traceback, no expected or obtained value);
and that transcript quotes the kernel's temporary file (``/tmp/ipykernel_<pid>/...``), so a stored
report fails nbval strict on the next run (measured). This module needs nothing beyond NumPy and
hypothesis, names the mistake, and prints the same text on every run. For graded assignments the
registry exports to otter-grader: each exercise has a named answer, points, public and hidden
cases, and an otter test can simply ``assert celib.exercises.grade(name, fn, hidden=True).passed``.
"""

from __future__ import annotations

import textwrap

from .checker import Case, Exercise, Mistake, Report, grade as _grade
from .lessons_01_04 import EXERCISES as _EX_01_04
from .lessons_05_07 import EXERCISES as _EX_05_07
from .lessons_08_10 import EXERCISES as _EX_08_10

__all__ = ["EXERCISES", "check", "hint", "grade", "get", "Exercise", "Case", "Mistake", "Report"]

#: Every exercise by name ("chNN-slug"), in lesson order.
EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in (*_EX_01_04, *_EX_05_07, *_EX_08_10)}


def get(name: str) -> Exercise:
    """The exercise called ``name``; a ``KeyError`` lists the names there are."""
    try:
        return EXERCISES[name]
    except KeyError:
        raise KeyError(f"no exercise called {name!r}; the exercises are: "
                       + ", ".join(EXERCISES)) from None


def grade(name: str, fn, *, hidden: bool = False) -> Report:
    """Check ``fn`` and return the report (``hidden=True`` adds the graded-only inputs)."""
    return _grade(get(name), fn, hidden=hidden)


def check(name: str, fn) -> None:
    """Check ``fn`` on the exercise's public inputs and print the report."""
    print(grade(name, fn))


def hint(name: str, number: int = 1) -> None:
    """Print hint ``number`` (1, 2, ...) of the exercise."""
    ex = get(name)
    if not 1 <= number <= len(ex.hints):
        raise ValueError(f"number must be in 1..{len(ex.hints)} for {name}; got {number}")
    text = textwrap.fill(f"Hint {number} of {len(ex.hints)} for {ex.signature}: "
                         f"{ex.hints[number - 1]}", width=76, break_long_words=False,
                         break_on_hyphens=False)
    if number < len(ex.hints):
        text += f'\n(celib.exercises.hint("{name}", {number + 1}) gives the next one.)'
    print(text)
