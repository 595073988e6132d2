"""The otter-grader export of the coding exercises grades right and wrong answers as it should.

Run by ``make test-assignments`` after ``make assignments`` (which installs otter-grader into its
own venv, ``.venv-otter``, and writes ``_build/assignments``). Offline: otter grades locally with
``otter.api.grade_submission`` (no Docker, no network).

* Each lesson's reference solutions (``celib.exercises.solutions``, the code the lessons show),
  pasted into the student notebook as a learner would, get full marks.
* Each known-wrong implementation of ``tests/test_exercises_wrong.py`` (naive formulas, wrong
  reductions, swapped arguments, ...) gets the partial marks that ``celib.exercises`` itself
  computes for it, test by test (:func:`assignments.expected_points`), and fewer than full marks.
* The student notebook contains no solution code, and every exercise is a question with its points.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "editions"))
sys.path.insert(0, str(ROOT / "tests"))

import assignments  # noqa: E402
import celib.exercises as cx  # noqa: E402
from celib.exercises import solutions  # noqa: E402
import test_exercises_wrong as wrong  # noqa: E402

OTTER_PYTHON = ROOT / ".venv-otter" / "bin" / "python"
OUT = assignments.OUT


def _dist(lesson: int) -> Path:
    return OUT / f"ch{lesson:02d}"


@pytest.fixture(scope="module", autouse=True)
def export_exists():
    missing = [n for n in assignments.by_lesson() if not list((_dist(n) / "autograder").glob("*.zip"))]
    if missing or not OTTER_PYTHON.is_file():
        pytest.fail(f"no otter export for lessons {missing} or no {OTTER_PYTHON}: "
                    "run `make assignments` first")


def _autograder(lesson: int) -> str:
    (zip_path,) = sorted((_dist(lesson) / "autograder").glob("*.zip"))
    return str(zip_path)


def _student(lesson: int) -> dict:
    return json.loads((_dist(lesson) / "student" / f"ch{lesson:02d}.ipynb").read_text("utf8"))


def _source(cell) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _functions_used(fn, module) -> list[types.FunctionType]:
    """``fn`` and the module-level functions it calls (recursively), helpers first."""
    seen: dict[str, types.FunctionType] = {}

    def names(code):
        yield from code.co_names
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from names(const)

    def visit(f):
        for name in names(f.__code__):
            g = getattr(module, name, None)
            if isinstance(g, types.FunctionType) and g.__module__ == module.__name__ and name not in seen:
                seen[name] = g
                visit(g)

    visit(fn)
    seen.pop(fn.__name__, None)
    return [*seen.values(), fn]


def submission_code(answer: str, fn, module) -> str:
    """What a learner's answer cell would hold: ``fn`` (and its helpers) under the answer's name."""
    parts = [textwrap.dedent(inspect.getsource(f)) for f in _functions_used(fn, module)]
    if fn.__name__ != answer:
        parts.append(f"{answer} = {fn.__name__}\n")
    return "\n\n".join(parts)


def write_submission(lesson: int, answers: dict[str, str], path: Path) -> Path:
    """The student notebook with the answer cells of ``answers`` (answer name -> code) filled in."""
    nb = _student(lesson)
    filled = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for answer, code in answers.items():
            if _source(cell).lstrip().startswith(f"def {answer}("):
                cell["source"] = code
                filled.add(answer)
    assert filled == set(answers), f"no answer cell for {set(answers) - filled} in lesson {lesson}"
    path.write_text(json.dumps(nb), encoding="utf8")
    return path


def otter_grade(jobs: list[dict], tmp: Path) -> dict:
    jobs_file, results_file = tmp / "jobs.json", tmp / "results.json"
    jobs_file.write_text(json.dumps(jobs), encoding="utf8")
    subprocess.run([str(OTTER_PYTHON), str(ROOT / "tools" / "editions" / "otter_grade.py"),
                    str(jobs_file), str(results_file)], check=True, cwd=tmp)
    return json.loads(results_file.read_text("utf8"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every reference and every known-wrong submission, graded by otter in one process."""
    tmp = tmp_path_factory.mktemp("otter")
    jobs, expected = [], {}
    for lesson, exercises in assignments.by_lesson().items():
        answers = {ex.answer: submission_code(ex.answer, getattr(solutions, ex.answer), solutions)
                   for ex in exercises}
        sub = write_submission(lesson, answers, tmp / f"ref-ch{lesson:02d}.ipynb")
        jobs.append({"id": f"ref-{lesson}", "submission": str(sub),
                     "autograder": _autograder(lesson)})
        expected[f"ref-{lesson}"] = {assignments.question_name(ex): float(ex.points)
                                     for ex in exercises}
    for name, label, fn, _kind, _phrase in wrong.WRONG:
        ex = cx.get(name)
        code = submission_code(ex.answer, fn, wrong)
        sub = write_submission(ex.lesson, {ex.answer: code}, tmp / f"{name}-{label}.ipynb")
        jobs.append({"id": f"{name}/{label}", "submission": str(sub),
                     "autograder": _autograder(ex.lesson)})
        expected[f"{name}/{label}"] = {assignments.question_name(ex):
                                       assignments.expected_points(ex, fn)}
    return otter_grade(jobs, tmp), expected


def test_reference_solutions_get_full_marks(graded):
    results, expected = graded
    for lesson in assignments.by_lesson():
        got = results[f"ref-{lesson}"]
        assert got["catastrophic"] is None, got
        assert got["questions"] == pytest.approx(expected[f"ref-{lesson}"], abs=1e-9), got
        assert got["total"] == pytest.approx(got["possible"], abs=1e-9)


@pytest.mark.parametrize("name, label", [(w[0], w[1]) for w in wrong.WRONG],
                         ids=[f"{w[0]}-{w[1]}" for w in wrong.WRONG])
def test_wrong_answer_gets_expected_partial_marks(graded, name, label):
    results, expected = graded
    got = results[f"{name}/{label}"]
    ex = cx.get(name)
    question = assignments.question_name(ex)
    want = expected[f"{name}/{label}"][question]
    assert got["questions"][question] == pytest.approx(want, abs=1e-9), got
    assert want < ex.points  # a known-wrong answer never gets full marks


def test_every_exercise_is_a_question_with_points_and_no_solution_in_the_student_notebook():
    for lesson, exercises in assignments.by_lesson().items():
        nb = _student(lesson)
        text = "\n".join(_source(c) for c in nb["cells"])
        for ex in exercises:
            assert f'grader.check("{assignments.question_name(ex)}")' in text
            reference = inspect.getsource(getattr(solutions, ex.answer))
            body = [ln.strip() for ln in reference.splitlines()[2:] if len(ln.strip()) > 12]
            leaked = [ln for ln in body if ln in text]
            assert not leaked, f"{ex.name}: solution lines in the student notebook: {leaked}"
            tests = assignments.tests_for(ex)
            assert any(t.hidden for t in tests) and any(not t.hidden for t in tests)
