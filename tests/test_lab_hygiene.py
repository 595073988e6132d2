"""JupyterLab hygiene of the lessons (issue 11; lesson conventions 3 and 4): static checks, nothing runs.

* Solutions are collapsed in JupyterLab as they are on the website: every cell between a
  ```{solution-start}``` and its ```{solution-end}``` markdown cell carries JupyterLab's own
  metadata, code cells ``"jupyter": {"source_hidden": true, "outputs_hidden": true}``, markdown
  cells ``"jupyter": {"source_hidden": true}``. (The start/end cells stay as they are. The lab copy,
  tools/lab/labcopy.py, also folds each solution under a collapsed heading, because running a cell
  re-opens its output; the metadata keeps a downloaded .ipynb collapsed too.)
* Every explorer code cell (a cell calling ``explore(``) is directly preceded by a markdown cell
  tagged ``remove-cell`` (the website does not show it) that tells the JupyterLab reader, in one
  line, that running the cells gives live sliders.

The checker functions return a list of problems; the self-tests at the bottom prove each rule fires.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,})\{(?P<name>[a-z\-]+)\}")
EXPLORE_CALL = re.compile(r"(?<![\w.])explore\(")
NOTE_MAX_CHARS = 240


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _directive(cell: dict) -> str | None:
    if cell.get("cell_type") != "markdown":
        return None
    match = DIRECTIVE.match(_source(cell))
    return match.group("name") if match else None


def check_solutions(nb: dict, name: str = "notebook") -> list[str]:
    problems = []
    start = None
    for index, cell in enumerate(nb.get("cells", [])):
        kind = _directive(cell)
        if kind == "solution-start":
            if start is not None:
                problems.append(f"{name}: cell {index}: solution-start inside the solution opened at cell {start}")
            start = index
            continue
        if kind == "solution-end":
            if start is None:
                problems.append(f"{name}: cell {index}: solution-end without a solution-start")
            start = None
            continue
        if start is None:
            continue
        jupyter = cell.get("metadata", {}).get("jupyter", {})
        where = f"{name}: cell {index} (id {cell.get('id', '?')}, solution opened at cell {start})"
        if cell.get("cell_type") == "code":
            missing = [key for key in ("source_hidden", "outputs_hidden") if jupyter.get(key) is not True]
            if missing:
                problems.append(f"{where}: solution code cell needs metadata jupyter.{' and jupyter.'.join(missing)} = true")
        elif cell.get("cell_type") == "markdown" and jupyter.get("source_hidden") is not True:
            problems.append(f"{where}: solution markdown cell needs metadata jupyter.source_hidden = true")
    if start is not None:
        problems.append(f"{name}: the solution opened at cell {start} has no solution-end")
    return problems


def check_explorer_notes(nb: dict, name: str = "notebook") -> list[str]:
    problems = []
    cells = nb.get("cells", [])
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        code = "\n".join(
            line for line in _source(cell).splitlines()
            if not line.lstrip().startswith(("#", "from ", "import "))
        )
        if not EXPLORE_CALL.search(code):
            continue
        where = f"{name}: explorer cell {index} (id {cell.get('id', '?')})"
        before = cells[index - 1] if index else None
        if before is None or before.get("cell_type") != "markdown":
            problems.append(f"{where}: needs a markdown cell directly before it with the JupyterLab note")
            continue
        tags = before.get("metadata", {}).get("tags", [])
        text = _source(before).strip()
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        if "remove-cell" not in tags:
            problems.append(f"{where}: the note before it must be tagged remove-cell (the website hides it)")
        # one line of prose: a single short paragraph (wrapped at ~80 columns in the source is fine)
        if len(paragraphs) != 1 or len(" ".join(text.split())) > NOTE_MAX_CHARS:
            problems.append(f"{where}: the JupyterLab note before it must be ONE short line "
                            f"(one paragraph, <= {NOTE_MAX_CHARS} characters)")
        if "jupyterlab" not in _source(before).lower():
            problems.append(f"{where}: the note before it must address the JupyterLab reader (say 'JupyterLab')")
    return problems


def lesson_notebooks() -> list[Path]:
    return sorted(p for p in CHAPTERS.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", lesson_notebooks(), ids=lambda p: p.stem)
def test_solutions_collapse_in_jupyterlab(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = check_solutions(nb, path.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", lesson_notebooks(), ids=lambda p: p.stem)
def test_explorers_have_a_jupyterlab_note(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = check_explorer_notes(nb, path.name)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- self-tests


def _md(text, **meta):
    return {"cell_type": "markdown", "id": "m", "metadata": meta, "source": text}


def _code(text, **meta):
    return {"cell_type": "code", "id": "c", "metadata": meta, "source": text, "outputs": [],
            "execution_count": 1}


HIDDEN_CODE = {"jupyter": {"source_hidden": True, "outputs_hidden": True}}
HIDDEN_MD = {"jupyter": {"source_hidden": True}}
NOTE = "**In JupyterLab:** run the cells above and then this one to get live sliders."


def test_self_solution_rules_fire():
    good = {"cells": [
        _md("```{exercise}\n:label: x\nDo.\n```"),
        _md("```{solution-start} x\n:class: dropdown\n```"),
        _code("a = 1", **HIDDEN_CODE),
        _md("Because.", **HIDDEN_MD),
        _md("```{solution-end}\n```"),
        _code("b = 2"),
    ]}
    assert check_solutions(good) == []
    bad = json.loads(json.dumps(good))
    bad["cells"][2]["metadata"] = {"jupyter": {"source_hidden": True}}
    bad["cells"][3]["metadata"] = {}
    problems = check_solutions(bad)
    assert len(problems) == 2 and "outputs_hidden" in problems[0] and "markdown" in problems[1]
    unclosed = {"cells": good["cells"][:4]}
    assert any("no solution-end" in p for p in check_solutions(unclosed))
    stray = {"cells": [_md("```{solution-end}\n```")]}
    assert any("without a solution-start" in p for p in check_solutions(stray))


def test_self_explorer_rules_fire():
    call = _code("explore(draw, p=(0.01, 0.99, 0.01, 0.85))")
    good = {"cells": [_code("from celib.explore import explore"), _md(NOTE, tags=["remove-cell"]), call]}
    assert check_explorer_notes(good) == []
    assert any("remove-cell" in p for p in check_explorer_notes({"cells": [_md(NOTE), call]}))
    wrapped = _md(NOTE.replace(" then ", "\nthen "), tags=["remove-cell"])
    assert check_explorer_notes({"cells": [wrapped, call]}) == []
    two_paragraphs = _md(NOTE + "\n\nMore text.", tags=["remove-cell"])
    assert any("ONE short line" in p for p in check_explorer_notes({"cells": [two_paragraphs, call]}))
    too_long = _md(NOTE + " More." * 40, tags=["remove-cell"])
    assert any("ONE short line" in p for p in check_explorer_notes({"cells": [too_long, call]}))
    assert any("directly before" in p for p in check_explorer_notes({"cells": [_code("x = 1"), call]}))
    assert any("directly before" in p for p in check_explorer_notes({"cells": [call]}))
    # an import or a comment is not an explorer call; a method called .explore( is not either
    assert check_explorer_notes({"cells": [_code("from celib.explore import explore\n# explore(x)")]}) == []
    assert check_explorer_notes({"cells": [_code("obj.explore(1)")]}) == []
