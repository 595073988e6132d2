"""tools/drift/drift.py judges each claim right: unchanged, changed (an output or an assert) or failed.

`make drift` itself needs the newest frameworks and is not part of `make test`; here the same
script runs on a small notebook shaped like the framework appendix (setup cell with version-pin
asserts, labelled claims), whose stored outputs were made to disagree in known ways.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "drift"))

import drift  # noqa: E402


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def appendix_like() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# The same loss in every framework"),
        # the setup pins a version that is not installed: drift must leave that assert out
        new_code_cell("import math\nassert math.pi == 3\nprint('setup')", outputs=[stream("setup\n")]),
        new_markdown_cell("## Section"),
        new_markdown_cell("(fw-holds)=\n### Claim 1: holds"),
        new_code_cell("x = 2 + 2\nprint(x)", outputs=[stream("4\n")]),
        # the kernel may split one printed line into two stream messages: still unchanged
        new_markdown_cell("(fw-split)=\n### Claim 1b: holds, printed in pieces"),
        new_code_cell("print('a', 'b')", outputs=[stream("a"), stream(" b\n")]),
        new_markdown_cell("(fw-new-value)=\n### Claim 2: a value moved"),
        new_code_cell("print(round(math.e, 3))", outputs=[stream("2.719\n")]),  # stored: a different value
        new_markdown_cell("(fw-assert)=\n### Claim 3: its assert fails now"),
        new_code_cell("assert x == 5, 'x is 4 now'"),
        new_markdown_cell("(fw-gone)=\n### Claim 4: the API is gone"),
        new_code_cell("math.no_such_function(1)", outputs=[stream("1\n")]),
        new_markdown_cell("## Summary"),
        new_code_cell("print('not a claim')", outputs=[stream("something else\n")]),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def test_claims_are_split_at_labels_and_section_headings():
    setup, claims = drift.split_claims(appendix_like().cells)
    assert setup == [1]
    assert [(c.label, c.cells) for c in claims] == [("fw-holds", [4]), ("fw-split", [6]), ("fw-new-value", [8]),
                                                   ("fw-assert", [10]), ("fw-gone", [12])]
    assert claims[0].title == "Claim 1: holds"


def test_version_pins_are_left_out_of_the_setup_only():
    kept, removed = drift.without_top_level_asserts("import math\nassert (\n  math.pi == 3\n)\nx = 1\n")
    assert kept == "import math\nx = 1\n" and removed == ["assert (\n  math.pi == 3\n)"]


def test_drift_report_on_a_small_appendix(tmp_path):
    notebook = tmp_path / "appendix.ipynb"
    nbformat.write(appendix_like(), notebook)
    stored = notebook.read_bytes()
    report = tmp_path / "drift" / "report.md"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "drift" / "drift.py"), str(notebook), str(report)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    results = {c["label"]: c["result"] for c in json.loads(report.with_suffix(".json").read_text())}
    assert results == {"fw-holds": "unchanged", "fw-split": "unchanged", "fw-new-value": "changed",
                       "fw-assert": "changed", "fw-gone": "failed"}
    text = report.read_text()
    assert "**2 of 5 claims unchanged, 2 changed, 1 failed.**" in text
    assert "-2.719" in text and "+2.718" in text              # old and new value
    assert "x is 4 now" in text                                # the assertion's message
    assert "AttributeError" in text and "no_such_function" in text
    assert "1 `assert` statement(s)" in text and "The setup itself raised" not in text
    # the stored notebook is never modified
    assert notebook.read_bytes() == stored
