"""Notebook and table-of-contents hygiene: fast, static checks that execute nothing.

nbval (make test-notebooks) proves each stored output equals a fresh run, but it passes trivially
on a notebook saved without outputs, and it cannot see stale-but-harmless junk in the stored copy.
These checks close those gaps:

* every notebook (and Markdown page) under chapters/ is in _toc.yml, and every toc entry exists;
* every non-empty code cell was executed and saved in cell order (execution counts 1, then strictly
  increasing) and a notebook with code cells has some stored output at all (a stripped notebook fails);
* no stored output is an error or a traceback, shows a memory address or an absolute local path;
* no widget state is stored (it would make the site load require.js and the widget manager from CDNs);
* the kernelspec is python3.

The checker functions return a list of problems (empty = fine), so the self-tests at the bottom can
prove on throw-away notebooks that each rule actually fires.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from book_toc import toc_docnames

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = "chapters"
SOURCE_SUFFIXES = (".ipynb", ".md")

MEMORY_ADDRESS = re.compile(r"0x[0-9a-f]{6,}", re.IGNORECASE)
LOCAL_PATH = re.compile(r"/work/|/root/|/home/|/tmp/|file://")
WIDGET_MIMES = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)


# --------------------------------------------------------------------------- table of contents


def toc_entries(root: Path) -> list[str]:
    """Docnames in _toc.yml (root first, then every `file:` entry at any depth; `glob:` expanded)."""
    return toc_docnames(root)


def chapter_sources(root: Path) -> list[Path]:
    """Every .ipynb and .md under chapters/ (checkpoints excluded), sorted."""
    found = []
    for suffix in SOURCE_SUFFIXES:
        for path in (root / CHAPTERS).rglob(f"*{suffix}"):
            if ".ipynb_checkpoints" not in path.parts:
                found.append(path)
    return sorted(found)


def check_toc(root: Path) -> list[str]:
    """Both directions: each toc entry is exactly one existing source; each chapter file is listed."""
    problems = []
    entries = toc_entries(root)
    for name, count in {n: entries.count(n) for n in entries}.items():
        if count > 1:
            problems.append(f"_toc.yml lists {name} {count} times")
    for name in dict.fromkeys(entries):
        existing = [root / (name + s) for s in SOURCE_SUFFIXES if (root / (name + s)).is_file()]
        if not existing:
            problems.append(f"_toc.yml lists {name}, but neither {name}.ipynb nor {name}.md exists")
        elif len(existing) > 1:
            problems.append(f"_toc.yml entry {name} is ambiguous: both .ipynb and .md exist")
    listed = set(entries)
    for path in chapter_sources(root):
        name = path.relative_to(root).with_suffix("").as_posix()
        if name not in listed:
            problems.append(
                f"{path.relative_to(root)} is not in _toc.yml (only_build_toc_files: it would be "
                "silently left out of the site)"
            )
    return problems


# --------------------------------------------------------------------------- one notebook


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _output_texts(output: dict):
    """(label, text) for every human-readable part of one stored output.

    Base64 payloads (image/png, image/jpeg, ...) are skipped: their alphabet contains '/', so
    they would match path patterns by chance.
    """
    kind = output.get("output_type")
    if kind == "stream":
        yield f"stream {output.get('name', '')}", _text(output.get("text", ""))
    elif kind == "error":
        yield "error", f"{output.get('ename')}: {output.get('evalue')}\n" + "\n".join(
            output.get("traceback", [])
        )
    for mime, value in (output.get("data") or {}).items():
        # myst-nb's glue stores e.g. application/papermill.record/text/plain: judge the last part
        base = "/".join(mime.split("/")[-2:])
        if base.startswith("text/") or base.endswith(("+xml", "json")):
            yield mime, value if isinstance(value, str) else (
                _text(value) if isinstance(value, list) else json.dumps(value)
            )


def _code_cells(nb: dict):
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code":
            yield index, cell


def check_execution(nb: dict) -> list[str]:
    """Executed top to bottom and saved with outputs."""
    problems = []
    previous = 0
    ran = 0
    outputs = 0
    not_run = []
    for index, cell in _code_cells(nb):
        source = _text(cell.get("source", ""))
        count = cell.get("execution_count")
        outputs += len(cell.get("outputs", []))
        if not source.strip():
            continue
        ran += 1
        if count is None:
            not_run.append(index)
            continue
        if previous == 0 and count != 1:
            problems.append(
                f"cell {index}: first execution_count is {count}, not 1 (restart the kernel and "
                "run all, or `make execute`)"
            )
        elif previous and count <= previous:
            problems.append(
                f"cell {index}: execution_count {count} after {previous}: cells were not run in "
                "order (restart the kernel and run all)"
            )
        previous = count
    if not_run:
        problems.append(
            f"{len(not_run)} of {ran} code cells were never executed (execution_count is null): "
            f"cells {', '.join(map(str, not_run))} (restart the kernel and run all, or `make execute`)"
        )
    if ran and not outputs:
        problems.append(
            f"none of the {ran} code cells has a stored output: the notebook was saved stripped, "
            "and nbval would pass it without checking anything"
        )
    return problems


def check_outputs(nb: dict) -> list[str]:
    """No errors, tracebacks, memory addresses or local paths in the stored outputs."""
    problems = []
    for index, cell in _code_cells(nb):
        for n, output in enumerate(cell.get("outputs", [])):
            where = f"cell {index} output {n}"
            if output.get("output_type") == "error":
                problems.append(f"{where}: stored error {output.get('ename')}: {output.get('evalue')}")
            for label, text in _output_texts(output):
                if output.get("output_type") != "error" and "Traceback" in text:
                    problems.append(f"{where} ({label}): contains a Traceback")
                match = MEMORY_ADDRESS.search(text)
                if match:
                    problems.append(
                        f"{where} ({label}): memory address {match.group()} (differs per run; "
                        "avoid printing object reprs)"
                    )
                match = LOCAL_PATH.search(text)
                if match:
                    line = next(line for line in text.splitlines() if match.group() in line)
                    problems.append(f"{where} ({label}): absolute local path: {line.strip()[:120]}")
    return problems


def check_widgets(nb: dict) -> list[str]:
    problems = []
    if "widgets" in nb.get("metadata", {}):
        problems.append(
            "notebook metadata stores widget state (metadata.widgets): the page would load "
            "require.js and the widget manager from CDNs; clear it (Lab: Settings > Save Widget "
            "State Automatically off) and show the explorer's static figure"
        )
    for index, cell in _code_cells(nb):
        for n, output in enumerate(cell.get("outputs", [])):
            for mime in WIDGET_MIMES:
                if mime in (output.get("data") or {}):
                    problems.append(f"cell {index} output {n}: stored widget view ({mime})")
    return problems


def check_kernelspec(nb: dict) -> list[str]:
    name = (nb.get("metadata", {}).get("kernelspec") or {}).get("name")
    if name != "python3":
        return [f"kernelspec name is {name!r}, expected 'python3'"]
    return []


CHECKS = (check_execution, check_outputs, check_widgets, check_kernelspec)


def check_notebook(path: Path) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf8"))
    except ValueError as exc:
        return [f"not valid JSON: {exc}"]
    if nb.get("nbformat") != 4:
        return [f"nbformat {nb.get('nbformat')!r}, expected 4"]
    return [problem for check in CHECKS for problem in check(nb)]


# --------------------------------------------------------------------------- book configuration


def check_config(config: dict) -> list[str]:
    """_config.yml keeps the contracts the site relies on (see the comments in _config.yml)."""
    problems = []
    mode = (config.get("execute") or {}).get("execute_notebooks")
    if mode != "off":
        problems.append(
            f"execute.execute_notebooks is {mode!r}: the site must render the stored outputs "
            "that nbval checks ('off')"
        )
    sphinx = config.get("sphinx") or {}
    extensions = (sphinx.get("config") or {}).get("extensions")
    if extensions is not None and sphinx.get("extra_extensions"):
        problems.append(
            "sphinx.extra_extensions is ignored because sphinx.config.extensions gives the full "
            f"list: move {sphinx['extra_extensions']} into sphinx.config.extensions"
        )
    listed = list(extensions or []) + list(sphinx.get("extra_extensions") or [])
    if "sphinx-mathjax-offline" not in listed:
        problems.append("sphinx-mathjax-offline is not loaded: math would come from a CDN")
    if extensions is None or "sphinx_thebe" in extensions:
        problems.append("sphinx_thebe is loaded: every page would carry the unpkg.com thebe URL")
    if (sphinx.get("config") or {}).get("nb_ipywidgets_js") != {}:
        problems.append("nb_ipywidgets_js must be {} (else require.js and the widget manager come from CDNs)")
    return problems


# --------------------------------------------------------------------------- the tests


NOTEBOOKS = [p for p in chapter_sources(ROOT) if p.suffix == ".ipynb"]


def _report(problems: list[str], what: str):
    if problems:
        pytest.fail(f"{what}:\n  - " + "\n  - ".join(problems), pytrace=False)


def test_book_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    _report(check_config(config), "_config.yml")


def test_toc_and_chapters_match():
    _report(check_toc(ROOT), "_toc.yml and chapters/ disagree")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under chapters/: the per-notebook checks would test nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(ROOT).as_posix() for p in NOTEBOOKS])
def test_notebook_hygiene(path):
    _report(check_notebook(path), path.relative_to(ROOT).as_posix())


# --------------------------------------------------------------------------- self-tests


def _nb(cells, kernel="python3", **metadata):
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": kernel, "display_name": "Python 3", "language": "python"},
                     **metadata},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _code(source, count, *outputs):
    return {"cell_type": "code", "id": f"c{count}", "metadata": {}, "source": source,
            "execution_count": count, "outputs": list(outputs)}


def _markdown(source):
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": source}


def _result(text, count):
    return {"output_type": "execute_result", "execution_count": count, "metadata": {},
            "data": {"text/plain": text}}


def _stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def _good():
    return _nb([
        _markdown("# Title\n\n$H(p)$"),
        _code("import math", 1),
        _code("", None),  # an empty cell is never run and needs no count
        _code("x = -math.log(0.85)\nx", 2, _result("0.16251892949777494", 2)),
        _code("glue('ce', x, display=False)\nprint(round(x, 4))", 3,
              {"output_type": "display_data", "metadata": {"scrapbook": {"name": "ce"}},
               "data": {"application/papermill.record/text/plain": "0.16251892949777494"}},
              _stream("0.1625\n")),
        _code("plot()", 4, {"output_type": "display_data", "metadata": {},
                            # base64 PNG text that happens to contain '/tmp/' and '0xdeadbeef'
                            "data": {"image/png": "iVBOR/tmp/w0xdeadbeefAAA=",
                                     "text/plain": "<Figure size 640x480 with 1 Axes>"}}),
    ])


def _write(tmp_path: Path, nb: dict, name="nb.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf8")
    return path


def _stripped(nb, keep_counts=False):
    for _, cell in _code_cells(nb):
        cell["outputs"] = []
        if not keep_counts:
            cell["execution_count"] = None
    return nb


def test_selftest_good_notebook_passes(tmp_path):
    assert check_notebook(_write(tmp_path, _good())) == []


def test_selftest_markdown_only_stub_passes(tmp_path):
    assert check_notebook(_write(tmp_path, _nb([_markdown("# Being written")]))) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        pytest.param(lambda nb: _stripped(nb), "never executed", id="stripped"),
        pytest.param(lambda nb: _stripped(nb, keep_counts=True), "saved stripped",
                     id="stripped-keeping-counts"),
        pytest.param(lambda nb: nb["cells"][1].update(execution_count=None), "never executed",
                     id="one-cell-not-run"),
        pytest.param(lambda nb: nb["cells"][1].update(execution_count=7), "not 1",
                     id="not-starting-at-1"),
        pytest.param(lambda nb: nb["cells"][4].update(execution_count=1), "not run in order",
                     id="out-of-order"),
        pytest.param(lambda nb: nb["cells"][4]["outputs"].append(
            {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["..."]}),
            "stored error", id="error-output"),
        pytest.param(lambda nb: nb["cells"][4]["outputs"].append(_stream(
            "Traceback (most recent call last):\n  ...\nValueError: bad\n", "stderr")),
            "Traceback", id="traceback-in-stream"),
        pytest.param(lambda nb: nb["cells"][3]["outputs"].append(
            _result("<function f at 0x7f3a2b1c9d00>", 2)), "memory address", id="memory-address"),
        pytest.param(lambda nb: nb["cells"][4]["outputs"].append(_stream(
            "/work/main/celib/info.py:12: RuntimeWarning: divide by zero\n", "stderr")),
            "absolute local path", id="local-path-work"),
        pytest.param(lambda nb: nb["cells"][3]["outputs"].append(
            {"output_type": "display_data", "metadata": {"scrapbook": {"name": "f"}},
             "data": {"application/papermill.record/text/plain": "<object at 0x7f3a2b1c9d00>"}}),
            "memory address", id="memory-address-in-glue"),
        pytest.param(lambda nb: nb["cells"][4]["outputs"].append(_stream("saved to /tmp/fig.png\n")),
                     "absolute local path", id="local-path-tmp"),
        pytest.param(lambda nb: nb["cells"][4]["outputs"].append(
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": '<a href="file:///home/me/x.html">x</a>'}}),
            "absolute local path", id="local-path-file-url"),
        pytest.param(lambda nb: nb["metadata"].update(widgets={
            "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}),
            "widget state", id="widget-state-metadata"),
        pytest.param(lambda nb: nb["cells"][4]["outputs"].append(
            {"output_type": "display_data", "metadata": {},
             "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
                      "text/plain": "interactive(...)"}}),
            "widget view", id="widget-view-output"),
        pytest.param(lambda nb: nb["metadata"]["kernelspec"].update(name="python3.11"),
                     "kernelspec", id="wrong-kernel"),
        pytest.param(lambda nb: nb["metadata"].pop("kernelspec"), "kernelspec", id="no-kernelspec"),
    ],
)
def test_selftest_bad_notebook_fails(tmp_path, mutate, expected):
    nb = _good()
    mutate(nb)
    problems = check_notebook(_write(tmp_path, nb))
    assert problems, "the checker accepted a bad notebook"
    assert any(expected in p for p in problems), problems


def _book(tmp_path: Path, toc_files: list[str], files: list[str]) -> Path:
    (tmp_path / "_toc.yml").write_text(
        yaml.safe_dump({"format": "jb-book", "root": "intro",
                        "parts": [{"caption": "c", "chapters": [{"file": f} for f in toc_files]}]}),
        encoding="utf8",
    )
    (tmp_path / "intro.md").write_text("# Intro\n", encoding="utf8")
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf8")
    return tmp_path


def test_selftest_toc_consistent(tmp_path):
    root = _book(tmp_path, ["chapters/01_a", "chapters/appendix_b.md"],
                 ["chapters/01_a.ipynb", "chapters/appendix_b.md",
                  "chapters/.ipynb_checkpoints/01_a-checkpoint.ipynb"])
    assert check_toc(root) == []


def test_selftest_toc_missing_file(tmp_path):
    root = _book(tmp_path, ["chapters/01_a", "chapters/02_gone"], ["chapters/01_a.ipynb"])
    assert any("02_gone" in p and "exists" in p for p in check_toc(root))


def test_selftest_toc_orphan_notebook(tmp_path):
    root = _book(tmp_path, ["chapters/01_a"], ["chapters/01_a.ipynb", "chapters/02_orphan.ipynb"])
    assert any("02_orphan.ipynb is not in _toc.yml" in p for p in check_toc(root))


def test_selftest_toc_ambiguous_and_duplicate(tmp_path):
    root = _book(tmp_path, ["chapters/01_a", "chapters/01_a"],
                 ["chapters/01_a.ipynb", "chapters/01_a.md"])
    problems = check_toc(root)
    assert any("ambiguous" in p for p in problems) and any("2 times" in p for p in problems)


def test_selftest_config_rules():
    good = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    assert check_config(good) == []
    bad = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    bad["execute"]["execute_notebooks"] = "cache"
    bad["sphinx"]["extra_extensions"] = ["sphinx.ext.autodoc"]
    bad["sphinx"]["config"]["extensions"].append("sphinx_thebe")
    bad["sphinx"]["config"]["extensions"].remove("sphinx-mathjax-offline")
    del bad["sphinx"]["config"]["nb_ipywidgets_js"]
    assert len(check_config(bad)) == 5, check_config(bad)


def approx_calls_without_abs(source: str) -> list[int]:
    """Line numbers of ``pytest.approx(...)`` / ``approx(...)`` calls that do not set ``abs``.

    ``approx``'s default ``abs=1e-12`` makes ``approx(7.7e-53, rel=1e-6)`` accept 0.0: a test of a
    small value must say which absolute error it accepts (``abs=0`` for a purely relative check)."""
    import ast

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name == "approx" and not any(k.arg == "abs" for k in node.keywords):
                lines.append(node.lineno)
    return lines


def test_every_approx_in_the_tests_sets_abs():
    found = {path.name: lines for path in sorted((ROOT / "tests").rglob("*.py"))
             if (lines := approx_calls_without_abs(path.read_text(encoding="utf8")))}
    assert not found, f"pytest.approx without an explicit abs= (file: lines): {found}"


def test_selftest_approx_without_abs_is_found():
    assert approx_calls_without_abs("x == pytest.approx(7.7e-53, rel=1e-6)\ny == approx(1, abs=0)\n") == [1]
