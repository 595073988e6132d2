"""The reader-facing lesson rules (issue 12), checked per notebook from the stored notebooks:

* teaching code in front, checks behind a toggle: no code cell whose input the site shows (i.e. not
  tagged hide-input / hide-cell) has a line starting with `assert` or containing `glue(`;
* the checks are collapsed, never removed: no code cell is tagged remove-cell;
* every image output is a figure: caption (`mystnb.figure.caption`), a name for {numref}
  (`mystnb.figure.name`, `fig-<chapter>-<slug>`), and an alt text that describes it
  (`mystnb.image.alt`, a few words, not a file name);
* figure names are unique across the book and every figure is referred to with {numref};
* every PNG figure is opaque (readable in the site's dark theme);
* no computed number is typed into a lesson's prose: every decimal number in its Markdown (prose and
  math) is glued, or listed with its reason in the notebook's allow-list of definitions
  (metadata ``book.typed_numbers``; see tests/lesson_report.py).

The built site is checked for the same things in a real browser (tests/browser/test_reader.py).
Definitions live in tests/lesson_report.py, which also prints the per-chapter numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lesson_report import (
    ROOT,
    analyse,
    fill_report_table,
    typed_numbers,
    figure_problems,
    input_visible,
    lesson_notebooks,
    prose_words,
    split_core_and_deeper,
)

NOTEBOOKS = lesson_notebooks()
IDS = [p.stem for p in NOTEBOOKS]


@pytest.fixture(scope="module")
def analysed():
    return {p.stem: analyse(p) for p in NOTEBOOKS}


def _fail(problems: list[str], what: str):
    if problems:
        pytest.fail(f"{len(problems)} {what}:\n  - " + "\n  - ".join(problems), pytrace=False)


def test_lessons_found():
    assert len(NOTEBOOKS) >= 5, "the toc lists (almost) no notebooks: is _toc.yml readable?"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_visible_checks(path, analysed):
    """Every `assert` and `glue(` line sits in a hide-input / hide-cell cell."""
    _fail(analysed[path.stem]["check_lines"],
          "check line(s) in a visible code cell (move them into a cell tagged hide-input)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_checks_not_removed(path, analysed):
    """remove-cell on code would drop the checks from the site ("show the checks" is a promise)."""
    _fail(analysed[path.stem]["remove_cell_code"],
          "code cell(s) tagged remove-cell (use hide-input or hide-cell: the checks stay one click away)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_captioned_named_described(path, analysed):
    _fail(analysed[path.stem]["figure_problems"], "figure problem(s)")


def transparent_images(path: Path) -> list[str]:
    """PNG outputs with any transparent pixel: in the site's dark theme their black text would sit on
    a dark background (celib.plotting draws on an opaque white face)."""
    import base64
    import io
    import json

    import numpy as np
    from PIL import Image

    found = []
    cells = json.loads(path.read_text(encoding="utf8"))["cells"]
    for i, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if not data:
                continue
            image = Image.open(io.BytesIO(base64.b64decode("".join(data) if isinstance(data, list) else data)))
            if "A" in image.getbands() or "transparency" in image.info:
                alpha = np.asarray(image.convert("RGBA"))[..., 3]
                if (alpha < 255).any():
                    found.append(f"cell {i + 1} (id {cell.get('id', '?')}): {(alpha < 255).mean():.0%} of the "
                                 "pixels are transparent (draw with celib.plotting.use_book_style())")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_figures_opaque_for_dark_mode(path):
    _fail(transparent_images(path), "figure(s) with a transparent background")


# The lessons (numbered notebooks) and the pitfalls gallery: pages that teach with computed numbers.
NUMBER_PAGES = [p for p in NOTEBOOKS if p.stem[:2].isdigit() or p.stem == "appendix_pitfalls"]
# Lessons whose owners had not yet glued (or allow-listed) their typed numbers when this rule came in
# (issue 19). Strict: once a lesson is clean its entry must go, or the run fails (XPASS).
TYPED_NUMBERS_PENDING: set[str] = set()


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="typed numbers not yet glued (issue 19)"))
    if p.stem in TYPED_NUMBERS_PENDING else p for p in NUMBER_PAGES], ids=[p.stem for p in NUMBER_PAGES])
def test_no_typed_numbers(path, analysed):
    """A decimal number in a lesson's Markdown is glued from the cell that computes it, or it is a
    definition (an input, a paper's constant) in the notebook's allow-list ``book.typed_numbers``."""
    _fail(analysed[path.stem]["typed_numbers"],
          "decimal number(s) typed in the prose: glue them (glue(...) + {glue:text}), or, for a definition "
          "such as eps = 1e-7, list it with its reason in the notebook metadata book.typed_numbers")


@pytest.mark.parametrize("path", NUMBER_PAGES, ids=[p.stem for p in NUMBER_PAGES])
def test_typed_number_allow_list_is_used(path, analysed):
    """Every allow-listed number still occurs in the lesson's Markdown (a stale entry would hide a
    future typed number), and each entry gives a reason."""
    r = analysed[path.stem]
    present = {number for number, _ in typed_numbers(r["markdown"])}
    problems = [f"{n!r} is allowed but no longer typed in the Markdown" for n in r["allowed_numbers"]
                if n not in present]
    problems += [f"{n!r} has no reason" for n, why in r["allowed_numbers"].items() if len(str(why).split()) < 2]
    _fail(problems, "stale or unexplained allow-list entries")


def test_verification_page_table_is_generated():
    """The per-lesson table of the verification page is filled in at build time from this report
    (the page stores only the markers), so it cannot go stale."""
    page = (ROOT / "chapters" / "appendix_verification.md").read_text(encoding="utf8")
    assert "<!-- lesson-report:start -->\n<!-- lesson-report:end -->" in page, \
        "the verification page must keep the lesson-report markers, with nothing stored between them"
    filled = fill_report_table(page)
    assert "| **all** |" in filled and "core words" in filled


def _book_markdown() -> str:
    """All prose the site shows: notebook markdown cells and the .md pages in the toc."""
    import book_toc

    texts = []
    for name in dict.fromkeys(book_toc.toc_docnames(ROOT)):
        md = ROOT / (name + ".md")
        if md.is_file():
            texts.append(md.read_text(encoding="utf8"))
    texts += [analyse(p)["markdown"] for p in NOTEBOOKS]
    return "\n".join(texts)


def test_figure_names_unique_and_referenced(analysed):
    names = [n for r in analysed.values() for n in r["figure_names"]]
    problems = [f"figure name {n!r} used {names.count(n)} times" for n in sorted(set(names))
                if names.count(n) > 1]
    prose = _book_markdown()
    for name in sorted(set(names)):
        # {numref}`fig-ch01-x` or {numref}`Figure %s <fig-ch01-x>`
        if not re.search(r"\{numref\}`(?:[^`<]*<)?" + re.escape(name) + r">?`", prose):
            problems.append(f"figure {name!r} is never referred to with {{numref}}")
    _fail(problems, "figure naming/reference problem(s)")


# --------------------------------------------------------------------------- self-tests


def _cell(source, tags=(), outputs=(), mystnb=None):
    meta = {"tags": list(tags)}
    if mystnb is not None:
        meta["mystnb"] = mystnb
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": list(outputs),
            "execution_count": 1, "id": "x"}


PNG = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"},
       "metadata": {}}
GOOD_FIG = {"figure": {"caption": "Loss against the predicted probability.", "name": "fig-ch01-loss"},
            "image": {"alt": "A falling curve: the loss is large near p = 0 and zero at p = 1."}}


def test_selftest_visibility():
    assert input_visible(_cell("x = 1"))
    assert not input_visible(_cell("assert x", tags=["hide-input"]))
    assert not input_visible(_cell("assert x", tags=["hide-cell"]))
    assert input_visible(_cell("x", tags=["hide-output"]))


def test_selftest_figure_rules():
    assert figure_problems(_cell("plot()", outputs=[PNG], mystnb=GOOD_FIG)) == []
    assert figure_problems(_cell("x = 1")) == []
    assert any("caption" in p for p in figure_problems(_cell("plot()", outputs=[PNG])))
    bad_alt = {"figure": GOOD_FIG["figure"], "image": {"alt": "output_12_0.png"}}
    assert any("alt" in p for p in figure_problems(_cell("plot()", outputs=[PNG], mystnb=bad_alt)))
    short_alt = {"figure": GOOD_FIG["figure"], "image": {"alt": "A plot"}}
    assert any("alt" in p for p in figure_problems(_cell("plot()", outputs=[PNG], mystnb=short_alt)))
    bad_name = {"figure": {"caption": "Loss against p.", "name": "Loss plot"}, "image": GOOD_FIG["image"]}
    assert any("name" in p for p in figure_problems(_cell("plot()", outputs=[PNG], mystnb=bad_name)))
    two = _cell("plot()", outputs=[PNG, PNG], mystnb=GOOD_FIG)
    assert any("split" in p for p in figure_problems(two))
    # a removed output is not shown, so it is not a figure
    assert figure_problems(_cell("plot()", tags=["remove-output"], outputs=[PNG])) == []


def test_selftest_notebook_analysis(tmp_path: Path):
    import json

    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "source": "Two words.\n```{note}\n:class: x\nThree more words\n```",
         "metadata": {}, "id": "m"},
        _cell("loss = f(p)\nassert loss > 0\n"),
        _cell("glue('k', 1, display=False)\n", tags=["hide-input"]),
        _cell("print(1)\n", tags=["remove-cell"]),
        _cell("  assert nested\nx = 'glue(in a string)'\n"),
    ]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    r = analyse(path)
    assert r["prose_words"] == 5
    assert r["code_lines"] == 4 and r["hidden_code_lines"] == 2
    assert len(r["check_lines"]) == 3
    assert len(r["remove_cell_code"]) == 1
    assert prose_words("{numref}`fig-ch01-x` shows $p$") == 5  # fig ch01 x shows x


def test_selftest_typed_numbers():
    found = [n for n, _ in typed_numbers(
        "Loss $0.9^2 = 81\\,\\%$, about 74.5 GiB and eps = 1e-7; {glue:text}`k:.4f` `x = 0.5`\n"
        "(see §4.3.2) ch08 ok\n```python\ny = 2.5\n```\n```{exercise}\n:label: ex-1.5\nA 3.2 bit model.\n```")]
    assert found == ["0.9", "74.5", "1e-7", "3.2"], found


def test_selftest_transparent_figure(tmp_path: Path):
    import base64
    import io
    import json

    from PIL import Image

    def png(mode, colour):
        buf = io.BytesIO()
        Image.new(mode, (4, 4), colour).save(buf, format="PNG")
        return base64.b64encode(buf.getvalue()).decode()

    outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png("RGBA", (0, 0, 0, 0))}},
               {"output_type": "display_data", "metadata": {}, "data": {"image/png": png("RGB", (255, 255, 255))}}]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [_cell("plot()", outputs=outputs)]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert len(transparent_images(path)) == 1


def test_going_deeper_blocks_count_as_deeper_not_core():
    text = ("Core sentence here.\n\n"
            "````{admonition} Going deeper: proofs\n:class: dropdown going-deeper\n\n"
            "Deep words one two.\n\n```{math}\nx\n```\n\nStill deep.\n````\n\n"
            "Back to core.\n\n```{admonition} A note\nNot deeper.\n```\n")
    core, deeper = split_core_and_deeper(text)
    assert prose_words(core) == 8  # Core sentence here / Back to core / Not deeper
    assert "Deep words" in deeper and "Still deep" in deeper and "Back to core" in core
    assert "Not deeper" in core
