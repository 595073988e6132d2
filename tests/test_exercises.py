"""celib.exercises: the registry is complete, the reference solutions pass, reports are stable."""

import inspect
import re

import numpy as np
import pytest

import celib.exercises as cx
from celib.exercises import checker, solutions

NAMES = list(cx.EXERCISES)


def _text(report) -> str:
    """The printed report with its line wrapping undone."""
    return " ".join(str(report).split())


def test_at_least_twelve_exercises_covering_every_lesson():
    assert len(cx.EXERCISES) >= 12
    lessons = {ex.lesson for ex in cx.EXERCISES.values()}
    assert lessons == set(range(1, 11))


@pytest.mark.parametrize("name", NAMES)
def test_exercise_is_ready_for_export(name):
    """What a graded export needs: a named answer, points, public and hidden cases, hints."""
    ex = cx.EXERCISES[name]
    assert re.fullmatch(rf"ch{ex.lesson:02d}-[a-z0-9-]+", name)
    assert ex.answer.isidentifier() and ex.points > 0
    assert len(ex.public_cases()) >= 3 and len(ex.hidden_cases()) >= 1
    assert len(ex.hints) >= 2 and ex.strategy is not None
    assert len({c.where for c in ex.cases}) == len(ex.cases), "two cases read the same"
    assert list(inspect.signature(getattr(solutions, ex.answer)).parameters) == list(ex.params)


@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_passes_public_and_hidden(name):
    ex = cx.EXERCISES[name]
    fn = getattr(solutions, ex.answer)
    report = cx.grade(name, fn, hidden=True)
    assert report.passed, str(report)
    assert report.score == 1.0
    text = str(cx.grade(name, fn))
    assert "PASSED: all" in text and "Well done." in text


@pytest.mark.parametrize("name", NAMES)
def test_reference_agrees_with_celib_on_generated_inputs(name):
    """The strategy draws inputs the reference accepts (no celib error, finite where finite)."""
    from hypothesis import given, settings

    ex = cx.EXERCISES[name]

    @settings(max_examples=25, deadline=None, derandomize=True, database=None)
    @given(ex.strategy())
    def run(args):
        expected = np.asarray(ex.reference(*args), dtype=np.float64)
        got = np.asarray(getattr(solutions, ex.answer)(*args), dtype=np.float64)
        assert np.allclose(got, expected, rtol=1e-7, atol=1e-10, equal_nan=False)

    run()


def _naive_bce(y, z):
    q = 1 / (1 + np.exp(-z))
    return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)))


def test_report_names_input_expected_and_obtained():
    text = _text(cx.grade("ch05-stable-bce", _naive_bce))
    assert "NOT YET" in text
    assert "overflow: at z = 40.0, y = 0.0 your function returned inf; the loss is 40.0." in text
    assert "NumPy warned: divide by zero encountered in log." in text
    assert 'celib.exercises.hint("ch05-stable-bce")' in text


def test_reports_are_deterministic():
    """nbval compares the stored reports: same code, same text (generated inputs included)."""
    def shrinks(y, z):  # wrong only on generated inputs: the smallest one must be reproducible
        return np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)) + (z.size == 3)

    first = [str(cx.grade(n, f)) for n, f in [("ch05-stable-bce", _naive_bce),
                                             ("ch05-stable-bce", shrinks)]]
    again = [str(cx.grade(n, f)) for n, f in [("ch05-stable-bce", _naive_bce),
                                             ("ch05-stable-bce", shrinks)]]
    assert first == again
    assert "NOT YET: all 7 chosen inputs pass, but one of 30 generated inputs fails" in first[1]
    assert "the generated input y = [0.0, 0.0, 0.0], z = [0.0, 0.0, 0.0]" in _text(first[1])


def test_score_counts_chosen_inputs_and_the_generated_ones_as_one():
    ex = cx.EXERCISES["ch05-stable-bce"]
    naive = cx.grade("ch05-stable-bce", _naive_bce, hidden=True)
    failed = len(naive.failures)
    assert naive.generated == 0  # not run while a chosen input fails
    assert naive.score == (len(ex.cases) - failed) / (len(ex.cases) + 1)
    assert cx.grade("ch05-stable-bce", solutions.binary_cross_entropy).score == 1.0


def test_learner_exception_is_reported_not_raised():
    def broken(y, z):
        raise ZeroDivisionError("my bug")

    report = cx.grade("ch05-stable-bce", broken)
    assert report.failures[0].kind == "error"
    assert "raised ZeroDivisionError: my bug.\nThe line that raised: raise" in report.failures[0].message
    assert "\n  The line that raised: raise ZeroDivisionError(\"my bug\")\n" in str(report)


def test_none_and_non_numbers_are_reported():
    report = cx.grade("ch05-stable-bce", lambda y, z: None)
    assert "returned None (did you forget `return`?)" in _text(report)
    report = cx.grade("ch05-stable-bce", lambda y, z: "0.5")
    assert "not a number: at y = [0.0, 1.0, 1.0, 0.0]" in _text(report)


def test_inputs_are_copied_before_the_call():
    def destroys_inputs(y, z):
        value = np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))
        z[...] = 0
        return value

    assert cx.grade("ch05-stable-bce", destroys_inputs).passed


def test_memory_cap_uses_tracemalloc_and_leaves_it_as_found():
    import tracemalloc

    assert not tracemalloc.is_tracing()
    report = cx.grade("ch10-chunked-ce", solutions.chunked_cross_entropy)
    assert report.passed and not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        report = cx.grade("ch10-chunked-ce", solutions.chunked_cross_entropy)
        assert report.passed and tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


def test_check_and_hint_print(capsys):
    cx.check("ch01-entropy-bits", solutions.entropy_bits)
    assert "PASSED" in capsys.readouterr().out
    cx.hint("ch01-entropy-bits")
    out = capsys.readouterr().out
    assert out.startswith("Hint 1 of 2 for entropy_bits(p):")
    assert 'celib.exercises.hint("ch01-entropy-bits", 2) gives the next one.' in out
    assert max(len(line) for line in out.splitlines()) <= 76
    cx.hint("ch01-entropy-bits", 2)
    assert "next one" not in capsys.readouterr().out


def test_bad_arguments_name_the_problem():
    with pytest.raises(KeyError, match="no exercise called 'ch05-bce'; the exercises are: ch01"):
        cx.check("ch05-bce", solutions.binary_cross_entropy)
    with pytest.raises(TypeError, match="fn must be the function you wrote, e.g. binary_cross"):
        cx.check("ch05-stable-bce", 3.0)
    with pytest.raises(ValueError, match=r"number must be in 1..2"):
        cx.hint("ch05-stable-bce", 3)


def test_report_lines_fit_a_narrow_page():
    text = str(cx.grade("ch08-weighted-mean", lambda labels, z, w: 0.0))
    assert max(len(line) for line in text.splitlines()) <= 76


@pytest.mark.parametrize("value, text", [(800.0, "800.0"), (np.inf, "inf"), (-np.inf, "-inf"),
                                         (np.nan, "nan"), (0.0, "0.0"), (4.248e-18, "4.248e-18"),
                                         (0.2548922496, "0.254892")])
def test_numbers_print_with_six_significant_digits(value, text):
    assert checker.fmt(value) == text
