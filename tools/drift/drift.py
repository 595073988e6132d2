"""Framework drift: re-run every executed claim of the framework appendix on other framework releases.

`make drift` installs the newest Keras, JAX, jaxlib, optax and TensorFlow (PyTorch stays at its
pinned CPU build) into `.venv-drift` and runs this script there::

    python tools/drift/drift.py chapters/appendix_frameworks.ipynb _build/drift/report.md

It executes the appendix top to bottom in that environment (nbclient, one kernel, errors allowed so
one broken claim does not hide the others) and compares each claim's outputs with the outputs
stored in the notebook, which are the pinned releases' (nbval proves that in `make test`).

* A claim is the cells from its label's markdown cell, ``(fw-...)=``, up to the next label or
  section heading; its code cells are what it executed.
* **unchanged**: every output of its cells equals the stored one (after the same sanitising that
  nbval uses: tests/nbval_sanitize.cfg);
* **changed**: an output differs, or one of its asserts fails (the claim as written no longer
  holds): the report shows the old and the new lines, or the assertion;
* **failed**: a cell raised anything else (a removed function, a new error type, or a name a
  failed earlier claim should have defined): the report shows the error.

The setup cells before the first claim pin the versions with top-level ``assert`` statements. On
new releases those fail by design, so they are left out (and reported as the version table instead);
everything else in the setup runs as written. The stored notebook is never modified.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import copy
import datetime as dt
import difflib
import importlib.metadata as md
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABEL = re.compile(r"^\((fw-[\w-]+)\)=\s*$", re.M)
SECTION = re.compile(r"^#{1,2} ", re.M)
TITLE = re.compile(r"^#{3,6} (.+)$", re.M)
FRAMEWORKS = ("torch", "keras", "tensorflow-cpu", "jax", "jaxlib", "optax")


@dataclass
class Claim:
    label: str
    title: str
    cells: list[int] = field(default_factory=list)  # indices of its code cells
    result: str = "unchanged"
    detail: str = ""


def sanitizers(cfg: Path = ROOT / "tests" / "nbval_sanitize.cfg") -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser()
    parser.read(cfg)
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def split_claims(cells: list[dict]) -> tuple[list[int], list[Claim]]:
    """Setup code cells (before the first claim) and the claims with their code cells."""
    setup: list[int] = []
    claims: list[Claim] = []
    current: Claim | None = None
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            label = LABEL.search(source)
            if label:
                title = TITLE.search(source)
                current = Claim(label.group(1), title.group(1).strip() if title else label.group(1))
                claims.append(current)
            elif SECTION.search(source):
                current = None
        elif current is not None:
            current.cells.append(i)
        elif not claims:
            setup.append(i)
    return setup, claims


def without_top_level_asserts(source: str) -> tuple[str, list[str]]:
    """The source with its top-level ``assert`` statements removed, and the removed statements."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    removed, drop = [], set()
    for node in tree.body:
        if isinstance(node, ast.Assert):
            removed.append("".join(lines[node.lineno - 1:node.end_lineno]).strip())
            drop.update(range(node.lineno - 1, node.end_lineno))
    kept = "".join(line for n, line in enumerate(lines) if n not in drop)
    return kept, removed


def output_lines(outputs: list[dict], clean) -> list[str]:
    """What a cell showed, as comparable text lines (images are compared by their text fallback).

    Consecutive pieces of one stream are joined first: the kernel may split one printed line
    into two stream messages, as nbval and nbformat know.
    """
    merged: list[dict] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1] = dict(merged[-1], text="".join(merged[-1]["text"]) + "".join(out["text"]))
        else:
            merged.append(out)
    lines: list[str] = []
    for out in merged:
        kind = out.get("output_type")
        if kind == "stream":
            text = "".join(out.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            key = next((k for k in ("text/markdown", "text/plain") if k in data), None)
            key = key or next((k for k in data if k.endswith("text/plain")), None)
            text = "".join(data[key]) if key else ""
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                text = f"glue {name} = {text}"
        elif kind == "error":
            text = f"{out['ename']}: {out['evalue']}"
        else:
            continue
        lines.extend(clean(text).splitlines())
    return lines


def first_error(outputs: list[dict]) -> dict | None:
    return next((o for o in outputs if o.get("output_type") == "error"), None)


def judge(claim: Claim, stored: list[dict], fresh: list[dict], clean) -> None:
    for i in claim.cells:
        error = first_error(fresh[i].get("outputs", []))
        if error is not None:
            message = f"{error['ename']}: {error['evalue']}".strip()
            source = "".join(fresh[i]["source"])
            if error["ename"] == "AssertionError":
                claim.result = "changed"
                claim.detail = f"an assertion no longer holds ({message or 'AssertionError'}) in\n\n```python\n{source}\n```"
            else:
                claim.result = "failed"
                claim.detail = f"`{message}` in\n\n```python\n{source}\n```"
            return
    for i in claim.cells:
        old = output_lines(stored[i].get("outputs", []), clean)
        new = output_lines(fresh[i].get("outputs", []), clean)
        if old != new:
            diff = difflib.unified_diff(old, new, "stored (pinned releases)", "now (drift venv)", lineterm="", n=1)
            claim.result = "changed"
            claim.detail += "```diff\n" + "\n".join(diff) + "\n```\n"


def pinned_versions(path: Path = ROOT / "requirements-frameworks.txt") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def installed(name: str) -> str:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "not installed"


def execute(nb, cwd: Path, timeout: int):
    import nbclient

    env_note = {"CELIB_EXPLORER": "static", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    os.environ.update(env_note)
    from jupyter_client.manager import KernelManager

    # IPC sockets, not TCP ports: on a shared machine a port can be taken between choice and bind
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(tempfile.mkdtemp()) / "kernel"))
    client = nbclient.NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def report(notebook: Path, claims: list[Claim], setup_removed: list[str], setup_errors: list[str]) -> str:
    pins = pinned_versions()
    counts = {k: sum(c.result == k for c in claims) for k in ("unchanged", "changed", "failed")}
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Framework drift report",
        "",
        f"`make drift`, {now}: every executed claim of `{notebook.as_posix()}` re-run on the newest",
        "releases in `.venv-drift` (PyTorch stays at its pinned CPU build) and compared with the outputs",
        "stored in the notebook (the pinned releases').",
        "",
        "The stored outputs stand for the pinned releases only where `make test` passes on this",
        "checkout (nbval re-runs the appendix there): otherwise a difference below may be the",
        "notebook's own staleness (e.g. a celib change since it was executed), not a framework's drift.",
        "The executed copy is beside this report (`appendix_frameworks.ipynb`).",
        "",
        f"**{counts['unchanged']} of {len(claims)} claims unchanged, {counts['changed']} changed, "
        f"{counts['failed']} failed.**",
        "",
        "## Versions",
        "",
        "| package | pinned | drift run |",
        "| --- | --- | --- |",
    ]
    for name in FRAMEWORKS + ("numpy", "scipy", "scikit-learn"):
        pinned = pins.get(name, "(requirements.txt)")
        now_v = installed(name)
        same = now_v.split("+")[0] == pinned.split("+")[0]  # torch 2.13.0 is installed as 2.13.0+cpu
        mark = "" if same or pinned.startswith("(") else " (new)"
        out.append(f"| {name} | {pinned} | {now_v}{mark} |")
    out += ["", f"The setup's version pins, left out of this run: {len(setup_removed)} `assert` statement(s)."]
    if setup_errors:
        out += ["", "**The setup itself raised** (claims after it may fail for that reason):", ""]
        out += [f"- `{e}`" for e in setup_errors]
    out += ["", "## Claims", "", "| # | claim | label | result |", "| --- | --- | --- | --- |"]
    for n, c in enumerate(claims, 1):
        out.append(f"| {n} | {c.title.replace('|', '/')} | `{c.label}` | {c.result} |")
    details = [c for c in claims if c.result != "unchanged"]
    if details:
        out += ["", "## What changed or failed", ""]
        for c in details:
            out += [f"### {c.title} (`{c.label}`): {c.result}", "", c.detail.rstrip(), ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--executed", type=Path,
                        help="judge this already executed copy (e.g. a previous run's) instead of executing")
    args = parser.parse_args(argv)

    import nbformat

    stored = nbformat.read(args.notebook, as_version=4)
    setup, claims = split_claims(stored.cells)
    fresh = copy.deepcopy(stored)
    removed: list[str] = []
    for i in setup:
        fresh.cells[i].source, dropped = without_top_level_asserts(fresh.cells[i].source)
        removed += dropped
    if args.executed:
        fresh = nbformat.read(args.executed, as_version=4)
    else:
        for cell in fresh.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        execute(fresh, args.notebook.resolve().parent, args.timeout)

    subs = sanitizers()

    def clean(text: str) -> str:
        for pattern, replacement in subs:
            text = pattern.sub(replacement, text)
        return text

    setup_errors = [f"{e['ename']}: {e['evalue']}" for i in setup
                    if (e := first_error(fresh.cells[i].get("outputs", [])))]
    for claim in claims:
        judge(claim, stored.cells, fresh.cells, clean)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fresh, args.report.parent / args.notebook.name)
    args.report.write_text(report(args.notebook, claims, removed, setup_errors))
    (args.report.with_suffix(".json")).write_text(json.dumps(
        [{"label": c.label, "title": c.title, "result": c.result} for c in claims], indent=1))
    counts = {k: sum(c.result == k for c in claims) for k in ("unchanged", "changed", "failed")}
    print(f"drift: {counts['unchanged']}/{len(claims)} claims unchanged, {counts['changed']} changed, "
          f"{counts['failed']} failed -> {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
