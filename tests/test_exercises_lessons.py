"""The coding-exercise cells in the lessons: where they sit, what they hold, what they stored.

Each exercise ``chNN-slug`` has, in lesson NN, just before the ``## Summary`` heading and after
one ``code-chNN-intro`` cell, the cells ``code-chNN-slug-`` ``task`` (a sphinx-exercise labelled
``chNN-code-slug``), ``starter`` (a naive attempt and its stored, failing report), ``hint``,
``solution-start``, ``solution`` (the reference from ``celib.exercises.solutions`` and its
passing report) and ``solution-end``, exactly as :mod:`celib.exercises.cells` generates them.
The cells run with nothing from the lesson but ``np`` and ``celib`` (the lead moves them between
notebook versions by id).
"""

import contextlib
import glob
import inspect
import io
import json
import linecache

import numpy as np
import pytest

import celib
import celib.exercises as cx
from celib.exercises import cells, solutions

PARTS = ("task", "starter", "hint", "solution-start", "solution", "solution-end")
LESSONS = sorted({ex.lesson for ex in cx.EXERCISES.values()})


def _notebook(lesson: int) -> dict:
    (path,) = glob.glob(f"chapters/{lesson:02d}_*.ipynb")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _source(cell) -> str:
    return "".join(cell["source"])


def _stdout(cell) -> str:
    return "".join("".join(o.get("text", "")) for o in cell["outputs"]
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _label(name: str) -> str:
    return f"{name[:4]}-code-{name[5:]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_cells_form_one_block_before_the_summary(lesson):
    cells = _notebook(lesson)["cells"]
    ids = [c["id"] for c in cells]
    expected = [f"code-ch{lesson:02d}-intro"] + [
        f"code-{ex.name}-{part}" for ex in cx.EXERCISES.values() if ex.lesson == lesson
        for part in PARTS]
    mine = [i for i in ids if i.startswith("code-")]
    assert mine == expected
    start = ids.index(expected[0])
    assert ids[start:start + len(expected)] == expected, "the code-* cells must be contiguous"
    summary = cells[start + len(expected)]
    assert summary["cell_type"] == "markdown" and _source(summary).startswith("## Summary")


@pytest.mark.parametrize("lesson", LESSONS)
def test_cells_are_the_generated_ones(lesson):
    """Regenerate with: python -m celib.exercises.cells chapters/NN_x.ipynb --execute"""
    have = [(c["id"], c["cell_type"], c["source"], c["metadata"])
            for c in _notebook(lesson)["cells"] if c["id"].startswith("code-")]
    want = [(c["id"], c["cell_type"], c["source"], c["metadata"])
            for c in cells.lesson_cells(lesson)]
    assert have == want


@pytest.mark.parametrize("name", list(cx.EXERCISES))
def test_exercise_cells_hold_task_starter_hint_and_solution(name):
    ex = cx.EXERCISES[name]
    cells = {c["id"]: c for c in _notebook(ex.lesson)["cells"]}
    part = {p: cells[f"code-{name}-{p}"] for p in PARTS}
    check_call = f'cx.check("{name}", {ex.answer})'

    task = _source(part["task"])
    assert task.startswith(f"```{{exercise}} {ex.title}\n:label: {_label(name)}\n")
    assert f"`{ex.signature}`" in task

    starter = _source(part["starter"])
    assert f"def {ex.answer}(" in starter and starter.endswith(check_call)
    assert "NOT YET" in _stdout(part["starter"])

    assert "hide-output" in part["hint"]["metadata"]["tags"]
    assert _stdout(part["hint"]).startswith(f"Hint 1 of {len(ex.hints)} for {ex.signature}")

    start = _source(part["solution-start"])
    assert start == f"```{{solution-start}} {_label(name)}\n:class: dropdown\n```"
    solution = _source(part["solution"])
    assert inspect.getsource(getattr(solutions, ex.answer)).rstrip() in solution
    assert solution.endswith(check_call)
    assert part["solution"]["metadata"]["jupyter"]["source_hidden"] is True
    assert _stdout(part["solution"]).startswith(f"{name}: {ex.signature}\nPASSED")
    assert _source(part["solution-end"]) == "```{solution-end}\n```"

    # the site's code boxes show about 80 characters; the reports wrap at 76
    for p in ("starter", "hint", "solution"):
        source, shown = _source(part[p]), _stdout(part[p])
        assert max(len(line) for line in source.splitlines()) <= 76, p
        assert max(len(line) for line in shown.splitlines()
                   if not line.lstrip().startswith("The line that raised")) <= 76, p


@pytest.mark.parametrize("lesson", LESSONS)
def test_cells_run_on_their_own_and_reproduce_their_stored_reports(lesson):
    """Only np and celib from the lesson; the printed reports equal the stored ones."""
    namespace = {"np": np, "celib": celib}
    for cell in _notebook(lesson)["cells"]:
        if cell["id"].startswith("code-") and cell["cell_type"] == "code":
            out, source = io.StringIO(), _source(cell)
            # as IPython does: the cell's source is known, so a traceback can quote its lines
            linecache.cache[cell["id"]] = (len(source), None, source.splitlines(True), cell["id"])
            with contextlib.redirect_stdout(out):
                exec(compile(source, cell["id"], "exec"), namespace)
            assert out.getvalue() == _stdout(cell), cell["id"]
