"""The cheat sheet's framework cells are executed claims (issue 18). Static: no framework is imported.

The table "What each library expects" in chapters/appendix_cheatsheet.md says, per row, what PyTorch,
Keras, ``tf.nn`` and optax do. Every non-empty cell of those columns must be backed by a claim of
chapters/appendix_frameworks.ipynb that actually runs that library: the claims linked in the row's
cells, in the footnotes the row cites, or in the row's entry of the list "Where each row is executed".

Which libraries a claim runs is read from the notebook (the claim section's code) and from
chapters/_fwprobe.py (the ``@keras_probe`` functions a section shows with ``show_source``), with ``ast``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHEATSHEET = ROOT / "chapters" / "appendix_cheatsheet.md"
APPENDIX = ROOT / "chapters" / "appendix_frameworks.ipynb"
PROBES = ROOT / "chapters" / "_fwprobe.py"
REF = re.compile(r"\{ref\}`(?:[^`<]*<)?(fw-[a-z0-9-]+)>?`")
TARGET = re.compile(r"^\((fw-[a-z0-9-]+)\)=\s*$", re.MULTILINE)
FOOTREF = re.compile(r"\[\^([a-z0-9]+)\]")
LIBRARIES = ("PyTorch", "Keras 3", "`tf.nn`", "optax")


# ----------------------------------------------------------------------------- the cheat sheet
def expectations_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and body rows of the table that starts with '| convention |'."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| convention |"))
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    header, body = rows[0], [r for r in rows[2:]]
    return header, body


def footnotes(text: str) -> dict[str, str]:
    """[^x]: ... definitions, with their indented continuation lines."""
    notes, current = {}, None
    for ln in text.splitlines():
        m = re.match(r"^\[\^([a-z0-9]+)\]:\s*(.*)$", ln)
        if m:
            current = m.group(1)
            notes[current] = m.group(2)
        elif current and ln.startswith("    "):
            notes[current] += " " + ln.strip()
        else:
            current = None
    return notes


def where_executed(text: str) -> dict[str, set[str]]:
    """The definition list after 'Where each row is executed': row name -> linked claims."""
    part = text[text.index("Where each row is executed"):]
    part = part[: part.index("Three consequences")]
    out, term = {}, None
    for ln in part.splitlines()[1:]:
        if not ln.strip():
            continue
        if ln.startswith(":") or ln.startswith("  "):
            out.setdefault(term, set()).update(REF.findall(ln))
        else:
            term = ln.strip()
    return out


# ----------------------------------------------------------------------------- the appendix
def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def probe_libraries() -> dict[str, set[str]]:
    """claim label -> libraries its @keras_probe functions call (Keras 3 and/or tf.nn)."""
    source = PROBES.read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        for dec in node.decorator_list:
            if isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "keras_probe":
                label = dec.args[0].value
                body = ast.get_source_segment(source, node)
                libs = out.setdefault(label, set())
                if re.search(r"\bkeras\.|\bL\.", body):
                    libs.add("Keras 3")
                if "tf.nn." in body:
                    libs.add("`tf.nn`")
    return out


def claim_libraries() -> dict[str, set[str]]:
    """claim label -> the libraries its section of the appendix runs."""
    cells = json.loads(APPENDIX.read_text(encoding="utf-8"))["cells"]
    probes = probe_libraries()
    out: dict[str, set[str]] = {}
    current = None
    for cell in cells:
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            labels = TARGET.findall(src)
            if labels:
                current = labels[-1]
                out[current] = set()
            elif re.match(r"^#{1,2} ", src):
                current = None
            continue
        if current is None:
            continue
        libs = out[current]
        if re.search(r"\b(torch|F)\.[A-Za-z_.]+\(|run_probe\(\"torch_", src):
            libs.add("PyTorch")
        if re.search(r"\boptax\.", src):
            libs.add("optax")
        for label in re.findall(r"show_source\(\"(fw-[a-z0-9-]+)\"\)", src):
            libs |= probes.get(label, set())
    return out


@pytest.fixture(scope="module")
def sheet():
    return CHEATSHEET.read_text(encoding="utf-8")


def test_every_framework_cell_is_backed_by_a_claim_that_runs_it(sheet):
    header, body = expectations_table(sheet)
    assert [h for h in header if h in LIBRARIES] == list(LIBRARIES), header
    notes, where, runs = footnotes(sheet), where_executed(sheet), claim_libraries()
    problems = []
    for row in body:
        name = row[0]
        claims = set(where.get(name, set()))
        for cell in row:
            claims |= set(REF.findall(cell))
            for key in FOOTREF.findall(cell):
                claims |= set(REF.findall(notes.get(key, "")))
        unknown = claims - set(runs)
        if unknown:
            problems.append(f"row {name!r} links claims the appendix does not define: {sorted(unknown)}")
        for lib, cell in zip(header, row):
            if lib not in LIBRARIES or not cell:
                continue
            if not any(lib in runs.get(c, set()) for c in claims):
                problems.append(f"row {name!r}, column {lib}: {cell!r} links no claim that runs {lib}")
    assert not problems, "\n".join(problems)


def test_every_row_has_its_entry_in_the_executed_list(sheet):
    _, body = expectations_table(sheet)
    where = where_executed(sheet)
    assert [row[0] for row in body] == list(where), "rows and 'Where each row is executed' entries differ"


def test_keras_clip_is_told_once(sheet):
    # convention 3: the cheat sheet says at most one sentence about the cap and links chapter 5
    assert "{ref}`ch05-keras-clip`" in sheet
    assert sheet.count("16.118") == 0, "the 16.118 story is told in chapter 5; link it"


# ----------------------------------------------------------------------------- self-tests
def test_selftest_table_parsing():
    text = """x
| convention | `celib` | PyTorch | Keras 3 | `tf.nn` | optax |
| --- | --- | --- | --- | --- | --- |
| padding | a | b [^q] | {ref}`fw-b` | | |

[^q]: see {ref}`fw-a`
    and {ref}`fw-c`.

Where each row is executed:

padding
: {ref}`fw-d`

Three consequences worth remembering:
"""
    header, body = expectations_table(text)
    assert header[2] == "PyTorch" and body == [["padding", "a", "b [^q]", "{ref}`fw-b`", "", ""]]
    assert footnotes(text) == {"q": "see {ref}`fw-a` and {ref}`fw-c`."}
    assert where_executed(text) == {"padding": {"fw-d"}}


def test_selftest_claim_libraries_read_the_real_files():
    runs = claim_libraries()
    assert runs["fw-keras-bce-clip"] == {"Keras 3"}
    assert "`tf.nn`" in runs["fw-tf-label-range"]
    assert "optax" in runs["fw-optax-where"] and "PyTorch" in runs["fw-torch-ignore-index"]


# ----------------------------------------------------------------------------- the spelling tabs
def spelling_names(text: str) -> list[tuple[str, str]]:
    """(tab, API name) for every backticked name in the right column of the 'five spellings' tabs."""
    part = text[text.index("## One loss, five spellings"):text.index("## What each library expects")]
    out, tab = [], None
    for ln in part.splitlines():
        m = re.match(r"^:::\{tab-item\} (.+)$", ln)
        if m:
            tab = m.group(1)
        cells = [c.strip() for c in ln.strip().strip("|").split("|")] if ln.startswith("|") else []
        if tab and len(cells) == 2 and not cells[1].startswith("---") and cells[0] != "`celib`":
            for span in re.findall(r"`([^`]+)`", cells[1]):
                name = re.split(r"[(=]", span)[0].strip()
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                    out.append((tab, name))
    return out


def appendix_code() -> str:
    cells = json.loads(APPENDIX.read_text(encoding="utf-8"))["cells"]
    code = "\n".join(_source(c) for c in cells if c["cell_type"] == "code")
    for helper in ("_fwprobe.py", "_fwdist.py"):
        code += "\n" + (ROOT / "chapters" / helper).read_text(encoding="utf-8")
    return code


def test_every_spelling_in_the_tabs_is_executed_in_the_appendix(sheet):
    names = spelling_names(sheet)
    assert len(names) > 40, names
    code = appendix_code()
    # torchvision's focal loss is loaded from the pinned wheel under its own name
    code += "\ntorchvision.ops.sigmoid_focal_loss" if "torchvision_sigmoid_focal_loss" in code else ""
    missing = sorted({f"{tab}: {name}" for tab, name in names if name not in code})
    assert not missing, "spellings the appendix never runs:\n" + "\n".join(missing)
    assert "{ref}`fw-spellings`" in sheet


def test_selftest_spelling_names():
    text = """## One loss, five spellings
:::{tab-item} PyTorch
| `celib` | PyTorch |
| --- | --- |
| `binary_cross_entropy` | `F.binary_cross_entropy` (probabilities) |
| `pos_weight=` | `pos_weight=` (logits version only) |
:::
## What each library expects
"""
    assert spelling_names(text) == [("PyTorch", "F.binary_cross_entropy"), ("PyTorch", "pos_weight")]
