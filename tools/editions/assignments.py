"""Export the coding exercises (celib.exercises) as otter-grader assignments, one per lesson.

    make assignments      # = this script in the otter venv, then `otter assign` per lesson

For each lesson with coding exercises this writes a *master notebook* in otter-grader's format
(``_build/assignments/master/chNN.ipynb``), which ``otter assign`` turns into a student notebook and
an autograder zip (``_build/assignments/chNN/student``, ``.../autograder``). One question per
exercise:

* the **named answer** is the function the learner writes (``Exercise.answer``); the student
  notebook keeps its ``def`` line and docstring and replaces the body of the reference solution
  (``celib.exercises.solutions``, the one the lesson shows) with ``...``;
* its **points** are ``Exercise.points``, split evenly over its tests (otter's rule);
* **public tests** (the learner's ``grader.check``): one per public chosen input, and one for the
  generated inputs of the learner's check, ``celib.exercises.grade(name, fn)``, which the lesson's
  ``check`` also runs;
* **hidden tests** (autograder only): one per hidden chosen input, and the graded run
  ``grade(name, fn, hidden=True)`` with its longer generated search.

Every test compares with the exercise's ``celib`` reference through ``celib.exercises`` (so the
autograder's environment needs celib and hypothesis: ``requirements-otter.txt`` + this repository).
:func:`expected_points` computes, without otter, what a function should score; the test of this
export (tests/editions/test_assignments.py) checks otter's scores against it.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "assignments"
# what celib.exercises imports (pinned as in requirements.txt) in the autograder's environment
AUTOGRADER_PACKAGES = ("numpy", "hypothesis")


@dataclasses.dataclass(frozen=True)
class Test:
    """One otter test case: its code, whether it is hidden, and how to evaluate it directly."""

    name: str
    hidden: bool
    code: str
    case_index: int | None  # an index into Exercise.cases, or None for a generated-inputs test


def tests_for(ex) -> list[Test]:
    """The otter tests of one exercise, public first (the order otter reports them)."""
    tests = []
    for i, case in enumerate(ex.cases):
        code = textwrap.dedent(f"""\
            # {'hidden' if case.hidden else 'chosen'} input: {case.where}
            from celib.exercises import checker, get
            _ex = get({ex.name!r})
            _case = _ex.cases[{i}]
            _failure = checker.run_case(_ex, {ex.answer}, _case.args, _case.where,
                                        max_bytes=_case.max_bytes, memory_note=_case.memory_note)
            assert _failure is None, _failure.message
            """)
        tests.append(Test(f"case {i}", case.hidden, code, i))
    if ex.strategy is not None:
        for hidden in (False, True):
            code = textwrap.dedent(f"""\
                # {'the graded run: every input and a longer search' if hidden else 'generated inputs, as in the lesson'}
                import celib.exercises
                _report = celib.exercises.grade({ex.name!r}, {ex.answer}{', hidden=True' if hidden else ''})
                assert _report.passed, str(_report)
                """)
            tests.append(Test("generated" + (" (hidden)" if hidden else ""), hidden, code, None))
    tests.sort(key=lambda t: t.hidden)
    return tests


def test_passes(ex, test: Test, fn) -> bool:
    """Evaluate one test on ``fn`` without otter (the same calls the test cell makes)."""
    import celib.exercises as cx
    from celib.exercises import checker

    if test.case_index is not None:
        case = ex.cases[test.case_index]
        return checker.run_case(ex, fn, case.args, case.where, max_bytes=case.max_bytes,
                                memory_note=case.memory_note) is None
    return cx.grade(ex.name, fn, hidden=test.hidden).passed


def expected_points(ex, fn) -> float:
    """What otter should give ``fn``: the question's points times the fraction of tests passed."""
    tests = tests_for(ex)
    return ex.points * sum(test_passes(ex, t, fn) for t in tests) / len(tests)


def question_name(ex) -> str:
    return ex.name.replace("-", "_")


# ------------------------------------------------------------------------------- master notebook
def _raw(text: str) -> dict:
    return {"cell_type": "raw", "metadata": {}, "source": text}


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [],
            "execution_count": None}


def solution_source(ex) -> str:
    """The reference solution with its body between otter's solution markers."""
    from celib.exercises import solutions

    fn = getattr(solutions, ex.answer)
    lines = inspect.getsource(fn).rstrip().splitlines()
    # the def line(s) and the docstring stay in the student notebook
    body_start = next(i for i, ln in enumerate(lines) if ln.strip().endswith('"""') and i > 0) + 1
    head, body = lines[:body_start], lines[body_start:]
    indent = re.match(r"^\s*", body[0]).group(0)
    return "\n".join(head + [indent + "# BEGIN SOLUTION"] + body + [indent + "# END SOLUTION"])


def task_text(ex, root: Path = ROOT) -> str:
    """The exercise's task: the lesson's own text when the lesson has the coding exercise."""
    label = ex.name.replace(f"ch{ex.lesson:02d}-", f"ch{ex.lesson:02d}-code-", 1)
    for path in sorted((root / "chapters").glob(f"{ex.lesson:02d}_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf8"))
        for cell in nb["cells"]:
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            m = re.search(rf"^```{{exercise}}[^\n]*\n:label: {re.escape(label)}\n(.*?)^```\s*$",
                          src, re.M | re.S)
            if m:
                body = "\n".join(ln for ln in m.group(1).splitlines() if not ln.startswith(":"))
                # MyST roles ({term}`logits <logit>`, {doc}`...`) read as plain text in Jupyter
                body = re.sub(r"\{[\w:-]+\}`([^`<]*?)\s*(?:<[^>`]*>)?`", r"\1", body)
                return body.strip()
    return (f"Write `{ex.signature}`, which returns the {ex.quantity}. The docstring below says "
            "what it computes; the tests compare your result with `celib` on chosen and "
            "generated inputs, including the hard ones the lesson discusses.")


def master_notebook(lesson: int, exercises: list) -> dict:
    cells = [
        _raw(f"# ASSIGNMENT CONFIG\nname: ch{lesson:02d}\ninit_cell: true\ncheck_all_cell: true\n"
             "export_cell: false\nrun_tests: true\nsolutions_pdf: false\n"
             # the autograder carries celib (the tests compare with it) and its requirements
             "requirements: requirements.txt\nautograder_files:\n  - celib\n"),
        _md(f"# Lesson {lesson}: coding exercises\n\nWrite each function below, run its cell, then "
            "run the `grader.check(...)` cell after it: it runs the public tests, the same checks "
            "as in the lesson. Your grade also counts hidden tests: more inputs, compared with the "
            "same `celib` reference. Use NumPy only: do not import `celib` in your answers."),
        _code("import numpy as np"),
    ]
    for ex in exercises:
        tests = tests_for(ex)
        cells.append(_raw(f"# BEGIN QUESTION\nname: {question_name(ex)}\npoints: {ex.points}"))
        cells.append(_md(f"## {ex.title} ({ex.points} points)\n\n{task_text(ex)}\n\nYour answer: "
                         f"the function `{ex.signature}`."))
        cells.append(_raw("# BEGIN SOLUTION"))
        cells.append(_code(solution_source(ex)))
        cells.append(_raw("# END SOLUTION"))
        cells.append(_raw("# BEGIN TESTS"))
        for test in tests:
            config = '""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n' if test.hidden else ""
            cells.append(_code(config + test.code))
        cells.append(_raw("# END TESTS"))
        cells.append(_raw("# END QUESTION"))
    for i, cell in enumerate(cells):
        cell["id"] = f"ch{lesson:02d}-{i:03d}"
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def by_lesson() -> dict[int, list]:
    import celib.exercises as cx

    lessons: dict[int, list] = {}
    for ex in cx.EXERCISES.values():
        lessons.setdefault(ex.lesson, []).append(ex)
    return dict(sorted(lessons.items()))


def summary() -> list[dict]:
    """Per exercise: lesson, name, answer, points, public and hidden test counts."""
    rows = []
    for lesson, exercises in by_lesson().items():
        for ex in exercises:
            tests = tests_for(ex)
            rows.append({"lesson": lesson, "name": ex.name, "title": ex.title, "answer": ex.answer,
                         "points": ex.points, "public": sum(not t.hidden for t in tests),
                         "hidden": sum(t.hidden for t in tests)})
    return rows


def export(out: Path = OUT, otter: str | None = None) -> list[Path]:
    """Write the master notebooks; with ``otter`` (its executable), run ``otter assign`` on each."""
    master_dir = out / "master"
    master_dir.mkdir(parents=True, exist_ok=True)
    # what the autograder needs besides otter: celib's source and the checkers' packages
    shutil.rmtree(master_dir / "celib", ignore_errors=True)
    shutil.copytree(ROOT / "celib", master_dir / "celib",
                    ignore=shutil.ignore_patterns("__pycache__", "explore.py", "plotting.py"))
    pins = dict(line.split("==", 1) for line in
                (ROOT / "requirements.txt").read_text(encoding="utf8").split() if "==" in line)
    (master_dir / "requirements.txt").write_text(
        "".join(f"{name}=={pins[name]}\n" for name in AUTOGRADER_PACKAGES), encoding="utf8")
    written = []
    for lesson, exercises in by_lesson().items():
        path = master_dir / f"ch{lesson:02d}.ipynb"
        path.write_text(json.dumps(master_notebook(lesson, exercises), indent=1), encoding="utf8")
        written.append(path)
        if otter:
            dist = out / f"ch{lesson:02d}"
            shutil.rmtree(dist, ignore_errors=True)
            subprocess.run([otter, "assign", "--no-pdfs", str(path), str(dist)], check=True,
                           cwd=master_dir)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--otter", help="the otter executable (omit to write the masters only)")
    args = parser.parse_args(argv)
    paths = export(Path(args.out), args.otter)
    rows = summary()
    for lesson in sorted({r["lesson"] for r in rows}):
        mine = [r for r in rows if r["lesson"] == lesson]
        print(f"lesson {lesson:2}: {sum(r['points'] for r in mine)} points, "
              + ", ".join(f"{r['answer']} ({r['public']} public + {r['hidden']} hidden tests)"
                          for r in mine))
    print(f"{len(paths)} assignments, {len(rows)} questions, {sum(r['points'] for r in rows)} points "
          f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
