"""Keep the framework claims honest (issue 10). Static checks: no framework is imported here.

* Every ``{ref}`fw-...``` that any page under chapters/ (or a celib docstring) links to exists as a ``(fw-...)=`` target in
  chapters/appendix_frameworks.ipynb, so no sentence about PyTorch/Keras/TensorFlow/optax/scikit-learn/
  SciPy points at a claim that is not executed.
* Every claim section (from its target to the next one) has a code cell that asserts: a claim that
  only prints would pass nbval even if the library changed behaviour in a way the prose depends on.
* No cell of the appendix hides its output from nbval, and ``make book`` never installs the frameworks.
* A claim whose numbers come from a subprocess (Keras, tf.nn, torch.distributed, the profiler) shows the
  source of the functions that ran, generated with inspect.getsource (issue 18).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPENDIX = ROOT / "chapters" / "appendix_frameworks.ipynb"
TARGET = re.compile(r"^\((fw-[a-z0-9-]+)\)=\s*$", re.MULTILINE)
# {ref}`fw-x` and {ref}`link text <fw-x>` (MyST), :ref:`fw-x` (reST, in celib's docstrings)
REF = re.compile(r"(?:\{ref\}|:ref:)`(?:[^`<]*<)?(fw-[a-z0-9-]+)>?`")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _pages():
    for path in sorted((ROOT / "chapters").rglob("*")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        if path.suffix == ".ipynb":
            yield path, "\n".join(_source(c) for c in _cells(path))
        elif path.suffix == ".md":
            yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "celib").glob("*.py")):  # docstrings, rendered on the API page
        yield path, path.read_text(encoding="utf-8")
    for name in ("README.md", "intro.md"):
        if (ROOT / name).exists():
            yield ROOT / name, (ROOT / name).read_text(encoding="utf-8")


def claim_sections(cells: list[dict]) -> dict[str, list[dict]]:
    """label -> the cells from its target up to (not including) the next target or ## heading."""
    sections: dict[str, list[dict]] = {}
    current = None
    for cell in cells:
        src = _source(cell)
        labels = TARGET.findall(src) if cell["cell_type"] == "markdown" else []
        if labels:
            current = labels[-1]
            if current in sections:
                raise AssertionError(f"claim label {current} is defined twice")
            sections[current] = []
        elif cell["cell_type"] == "markdown" and re.match(r"^#{1,2} ", src):
            current = None
        if current is not None:
            sections[current].append(cell)
    return sections


def unasserted(sections: dict[str, list[dict]]) -> list[str]:
    bad = []
    for label, cells in sections.items():
        code = [_source(c) for c in cells if c["cell_type"] == "code"]
        if not any(re.search(r"^\s*assert\b", s, re.MULTILINE) for s in code):
            bad.append(label)
    return bad


@pytest.fixture(scope="module")
def appendix_cells():
    assert APPENDIX.exists(), "chapters/appendix_frameworks.ipynb is missing"
    return _cells(APPENDIX)


def test_every_referenced_claim_exists(appendix_cells):
    targets = set(claim_sections(appendix_cells))
    missing = [
        f"{path.relative_to(ROOT)}: {{ref}}`{label}`"
        for path, text in _pages()
        for label in sorted(set(REF.findall(text)))
        if label not in targets
    ]
    assert not missing, "links to framework claims that appendix_frameworks.ipynb does not define:\n" + "\n".join(missing)


def test_every_claim_asserts(appendix_cells):
    sections = claim_sections(appendix_cells)
    assert len(sections) >= 25, f"only {len(sections)} claims found"
    assert not unasserted(sections), f"claims without an assert in a code cell: {unasserted(sections)}"


def test_claims_are_checked_by_nbval(appendix_cells):
    for cell in appendix_cells:
        if cell["cell_type"] == "code":
            assert "NBVAL_IGNORE_OUTPUT" not in _source(cell), "a claim cell must not hide its output from nbval"
            assert "NBVAL_SKIP" not in _source(cell)


def test_book_does_not_install_frameworks():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    book = re.search(r"^book:(.*)$", makefile, re.MULTILINE)
    test = re.search(r"^test:(.*)$", makefile, re.MULTILINE)
    assert book and "FW_STAMP" not in book.group(1) and "frameworks" not in book.group(1)
    assert test and "$(FW_STAMP)" in test.group(1), "make test must install the framework stack"


def unshown(sections: dict[str, list[dict]]) -> list[str]:
    """Claims whose numbers come from a subprocess but whose section shows no executed source.

    Keras and tf.nn run in _fwprobe's subprocesses (the results dict ``K``), other probes through
    ``_fwprobe.run_probe``; the reader must see that code, generated from the functions that ran
    (``show_source(label)`` / ``show_module_source(...)``), never a retyped comment.
    """
    bad = []
    for label, cells in sections.items():
        code = "\n".join(_source(c) for c in cells if c["cell_type"] == "code")
        if re.search(r"\bK\[|keras_rows\(", code) and f'show_source("{label}")' not in code:
            bad.append(label)
        elif "run_probe(" in code and "show_module_source(" not in code:
            bad.append(label)
    return bad


def test_subprocess_claims_show_their_executed_source(appendix_cells):
    bad = unshown(claim_sections(appendix_cells))
    assert not bad, f"claims that run code in a subprocess without showing its source: {bad}"


# ----------------------------------------------------------------------------- self-tests
def _md(src):
    return {"cell_type": "markdown", "source": src}


def _code(src):
    return {"cell_type": "code", "source": src, "outputs": []}


def test_selftest_sections_and_asserts():
    cells = [
        _md("# Title"),
        _md("(fw-a)=\n### Claim 1"),
        _code("x = 1"),
        _code("assert x == 1"),
        _md("(fw-b)=\n### Claim 2"),
        _code("print('only prints')  # assert in a comment does not count"),
        _md("## Next part"),
        _code("assert True  # outside any claim"),
    ]
    sections = claim_sections(cells)
    assert list(sections) == ["fw-a", "fw-b"]
    assert unasserted(sections) == ["fw-b"]


def test_selftest_ref_forms():
    text = "see {ref}`fw-keras-bce-clip` and {ref}`the clip <fw-keras-cce-clip>`; not {doc}`fw-x`; :ref:`fw-focal`"
    assert REF.findall(text) == ["fw-keras-bce-clip", "fw-keras-cce-clip", "fw-focal"]


def test_selftest_unshown():
    cells = [
        _md("(fw-a)=\n### Claim 1"), _code("x = K['jax']['v']\nassert x"),
        _md("(fw-b)=\n### Claim 2"), _code("x = K['jax']['v']\nassert x"), _code('show_source("fw-b")'),
        _md("(fw-c)=\n### Claim 3"), _code("r = _fwprobe.run_probe('p')\nassert r"),
    ]
    assert unshown(claim_sections(cells)) == ["fw-a", "fw-c"]
