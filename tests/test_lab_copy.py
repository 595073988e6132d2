"""`make lab` works on a copy: the copy step (tools/lab/labcopy.py) and what it rewrites (issue 11).

* lab/ is git-ignored (and tools/lab is not);
* in a throw-away git repository with the project's .gitignore and lessons, running the copy step
  and then "playing" (running, autosaving, adding notebooks, checkpoints) leaves `git status`
  clean and the lessons byte-identical;
* a file the learner changed is kept on the next copy, an untouched one is refreshed;
* the rewrite gives JupyterLab the numbers and readable text for the MyST roles it cannot resolve,
  and folds gated solutions under a collapsed heading; the lessons themselves are not modified.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "lab"))
from labcopy import (  # noqa: E402
    HEADING_COLLAPSED,
    MANIFEST,
    Book,
    copy_lessons,
    dump_notebook,
    transform_notebook,
)

GIT = shutil.which("git")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _nb(*cells) -> dict:
    return {"cells": list(cells), "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _md(text, cid="m", **meta):
    return {"cell_type": "markdown", "id": cid, "metadata": meta, "source": text}


def _code(text, cid="c", outputs=(), **meta):
    return {"cell_type": "code", "id": cid, "metadata": meta, "source": text, "outputs": list(outputs),
            "execution_count": 1}


def _glue(key, text_plain):
    return {"output_type": "display_data", "metadata": {"scrapbook": {"name": key, "mime_prefix":
            "application/papermill.record/"}}, "data": {"application/papermill.record/text/plain": text_plain}}


def _write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_notebook(nb), encoding="utf-8")


def _quiet(*_):
    pass


@pytest.mark.skipif(GIT is None, reason="git not installed")
def test_lab_folder_is_git_ignored():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert subprocess.run([GIT, "check-ignore", "-q", "lab/01_entropy.ipynb"], cwd=ROOT).returncode == 0, \
        "lab/ must be git-ignored (.gitignore: /lab/)"
    assert subprocess.run([GIT, "check-ignore", "-q", "tools/lab/labcopy.py"], cwd=ROOT).returncode == 1, \
        "only the top-level lab/ may be ignored, not tools/lab"


@pytest.mark.skipif(GIT is None, reason="git not installed")
def test_playing_in_lab_never_changes_a_tracked_file(tmp_path):
    repo = tmp_path / "book"
    (repo / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    lessons = sorted((ROOT / "chapters").glob("0[12]_*.ipynb"))
    assert lessons, "no lesson notebooks found"
    for path in lessons + [ROOT / "chapters" / "appendix_glossary.md"]:
        if path.is_file():
            shutil.copy(path, repo / "chapters" / path.name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "lessons")
    before = {p: p.read_bytes() for p in (repo / "chapters").iterdir()}

    lab = repo / "lab"
    copy_lessons(repo / "chapters", lab, say=_quiet)
    # play: what JupyterLab does after Run All and a slider (autosave), plus a learner's own files
    played = lab / lessons[0].name
    nb = json.loads(played.read_text(encoding="utf-8"))
    nb["cells"].append(_code("x = 1", cid="learner", outputs=[{"output_type": "display_data", "metadata": {},
                       "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc"}}}]))
    played.write_text(json.dumps(nb), encoding="utf-8")
    (lab / ".ipynb_checkpoints").mkdir(exist_ok=True)
    (lab / ".ipynb_checkpoints" / "x-checkpoint.ipynb").write_text("{}")
    (lab / "Untitled.ipynb").write_text("{}")
    copy_lessons(repo / "chapters", lab, say=_quiet)  # a second `make lab`

    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert {p: p.read_bytes() for p in (repo / "chapters").iterdir()} == before


def test_copy_keeps_changed_files_and_refreshes_untouched_ones(tmp_path):
    src, lab = tmp_path / "chapters", tmp_path / "lab"
    _write(src / "a.ipynb", _nb(_md("# A\n\nfirst")))
    _write(src / "b.ipynb", _nb(_md("# B\n\nfirst")))
    (src / "notes.md").write_text("# Notes\n")
    (src / "conftest.py").write_text("# pytest only\n")
    messages: list[str] = []
    report = copy_lessons(src, lab, say=messages.append)
    assert sorted(report["created"]) == ["a.ipynb", "b.ipynb", "notes.md"]
    assert not (lab / "conftest.py").exists()
    assert (lab / MANIFEST).is_file()

    learner = json.loads((lab / "a.ipynb").read_text())
    learner["cells"].append(_md("my notes", cid="mine"))
    (lab / "a.ipynb").write_text(json.dumps(learner))
    _write(src / "a.ipynb", _nb(_md("# A\n\nsecond")))
    _write(src / "b.ipynb", _nb(_md("# B\n\nsecond")))
    messages.clear()
    report = copy_lessons(src, lab, say=messages.append)
    assert report["kept"] == ["a.ipynb"] and report["refreshed"] == ["b.ipynb"]
    assert "my notes" in (lab / "a.ipynb").read_text()
    assert "second" in (lab / "b.ipynb").read_text()
    kept = [m for m in messages if "KEPT" in m]
    assert len(kept) == 1 and "a.ipynb" in kept[0] and "delete it" in kept[0]

    (lab / "a.ipynb").unlink()  # the message's advice: delete it to get the current lesson
    report = copy_lessons(src, lab, say=_quiet)
    assert report["created"] == ["a.ipynb"] and "second" in (lab / "a.ipynb").read_text()
    assert copy_lessons(src, lab, say=_quiet)["unchanged"] == ["a.ipynb", "b.ipynb", "notes.md"]


def test_copy_refuses_to_write_into_the_lessons(tmp_path):
    (tmp_path / "chapters").mkdir()
    with pytest.raises(SystemExit):
        copy_lessons(tmp_path / "chapters", tmp_path / "chapters" / "lab", say=_quiet)


def test_rewrite_for_jupyterlab(tmp_path):
    src = tmp_path / "chapters"
    _write(src / "02_other.ipynb", _nb(
        _md("# Other lesson\n\n(sec-other)=\n## A section\n\n```{exercise}\n:label: o-ex1\n\nDo.\n```"),
        _code("glue(...)", outputs=[_glue("o_val", "2.5")]),
    ))
    (src / "appendix_glossary.md").write_text("# Glossary\n")
    lesson = _nb(
        _md("# This lesson\n\nExactly {glue:text}`k_a:.4f` bits, {glue:text}`k_n:,d` draws, "
            "{glue:text}`02_other.ipynb::o_val:.1f` there. See {doc}`02_other`, {doc}`the other <02_other>`, "
            "{ref}`sec-other`, {numref}`o-ex1`, {cite}`cover2006elements`, {cite:t}`shannon1948mathematical`, "
            "{term}`bits <bit>` and {ref}`k-ex1`."),
        _code("glue(...)", outputs=[_glue("k_a", "0.16251892949777494"), _glue("k_n", "200000")]),
        _code("fig", mystnb={"figure": {"name": "fig-k-curve", "caption": "c"}}),
        _md("{numref}`fig-k-curve` shows it."),
        _md("```{exercise}\n:label: k-ex1\n\nTry.\n```"),
        _md("```{solution-start} k-ex1\n:class: dropdown\n```"),
        _code("answer = 42", cid="s1"),
        _md("The answer is 42.", cid="s2"),
        _md("```{solution-end}\n```"),
        _code("assert True", tags=["hide-input"]),
    )
    original = json.loads(json.dumps(lesson))
    nb, problems = transform_notebook(lesson, "01_this", Book(src, ROOT))
    assert lesson == original, "the transform must not modify the lesson"
    assert problems == []
    text = nb["cells"][0]["source"]
    assert "Exactly 0.1625 bits, 200,000 draws, 2.5 there." in text
    assert "[Other lesson](02_other.ipynb)" in text and "[the other](02_other.ipynb)" in text
    assert "[A section](02_other.ipynb)" in text and "[Exercise 1 in Other lesson](02_other.ipynb)" in text
    assert re.search(r"\\\[\[Cover and Thomas, 2006\]\([^)]*\)\\\]", text), text
    assert re.search(r"Shannon \\\[\[1948\]\(https://doi.org/[^)]+\)\\\]", text), text
    assert "[bits](appendix_glossary.md)" in text
    assert "{ref}`k-ex1`" in text  # same page: jupyterlab-myst resolves it ("Exercise 1")
    assert not re.search(r"\{(glue:text|doc|cite|cite:t|term)\}`", text)
    assert nb["cells"][3]["source"] == "The figure above shows it."

    start, code, md, end, check = nb["cells"][5:10]
    assert start["source"].startswith("###### Solution to {ref}`k-ex1`")
    assert start["metadata"][HEADING_COLLAPSED] is True
    assert end["source"].startswith("###### ")
    assert code["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert md["metadata"]["jupyter"] == {"source_hidden": True}
    assert check["metadata"]["jupyter"] == {"source_hidden": True}


def test_missing_glue_is_reported_not_invented(tmp_path):
    src = tmp_path / "chapters"
    src.mkdir()
    nb, problems = transform_notebook(_nb(_md("Value {glue:text}`nope:.2f`.")), "x", Book(src, ROOT))
    assert nb["cells"][0]["source"] == "Value {glue:text}`nope:.2f`."
    assert len(problems) == 1 and "nope" in problems[0]


def test_real_lessons_copy_without_unreadable_roles(tmp_path):
    """Every lesson's lab copy: no {doc}/{cite}/{term} left; a {glue:text} only where the lesson has
    no stored value for it (reported)."""
    report = copy_lessons(ROOT / "chapters", tmp_path / "lab", say=_quiet)
    assert report["created"], "nothing copied"
    leftovers = []
    for path in sorted((tmp_path / "lab").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            for role in re.findall(r"\{(doc|cite|cite:t|cite:p|term)\}`", text):
                leftovers.append(f"{path.name}: {{{role}}}")
            for key in re.findall(r"\{glue:text\}`([^`:]+)", text):
                if not any(path.stem in p and key.split("::")[-1] in p or "not stored" in p and path.stem in p
                           for p in report["problems"]):
                    leftovers.append(f"{path.name}: {{glue:text}}`{key}` (not reported)")
    assert not leftovers, "\n".join(leftovers[:20])


def test_solution_end_keeps_what_follows_in_its_cell(tmp_path):
    src = tmp_path / "chapters"
    src.mkdir()
    lesson = _nb(
        _md("```{exercise}\n:label: a\nOne.\n```"),
        _md("```{solution-start} a\n:class: dropdown\n```"),
        _md("Because."),
        _md("```{solution-end}\n```\n\n```{exercise}\n:label: b\nTwo with {glue:text}`v:.1f`.\n```"),
        _code("glue", outputs=[_glue("v", "0.25")]),
    )
    nb, _ = transform_notebook(lesson, "x", Book(src, ROOT))
    end = nb["cells"][3]["source"]
    assert end.startswith("###### End of the solution\n\n```{exercise}\n:label: b\nTwo with 0.2.")


def test_glue_figure_in_a_going_deeper_block_becomes_the_stored_image(tmp_path):
    png = "iVBORw0KGgo="
    fig_out = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "ch01_fig_deep",
               "mime_prefix": "application/papermill.record/"}},
               "data": {"application/papermill.record/image/png": png,
                        "application/papermill.record/text/plain": "<Figure size 640x480 with 1 Axes>"}}
    text = ("````{admonition} Going deeper: a picture\n:class: dropdown going-deeper\n\n"
            "```{glue:figure} ch01_fig_deep\n:name: fig-ch01-deep\n:alt: A rising curve of loss against margin.\n\n"
            "The loss falls as the margin grows.\n```\n````\n")
    nb = _nb(_md(text), _code("glue('ch01_fig_deep', fig, display=False)", outputs=[fig_out]))
    src = tmp_path / "chapters"
    _write(src / "01_deep.ipynb", nb)
    (src / "appendix_glossary.md").write_text("# Glossary\n")
    out, problems = transform_notebook(nb, "01_deep", Book(src, root=tmp_path))
    assert not problems
    md = out["cells"][0]["source"]
    md = "".join(md) if isinstance(md, list) else md
    assert f"![A rising curve of loss against margin.](data:image/png;base64,{png})" in md
    assert "*The loss falls as the margin grows.*" in md
    assert "{glue:figure}" not in md and "{admonition} Going deeper" in md
