"""What a reader of each lesson sees, measured from the notebooks (no build, no browser).

Used by tests/test_lessons.py (the rules) and runnable as a report:

    .venv/bin/python tests/lesson_report.py            # markdown table, one row per notebook
    .venv/bin/python tests/lesson_report.py --details  # plus every offending line / figure

Definitions (the same the tests use):
* A code cell's input is *visible* unless the cell is tagged hide-input, hide-cell, remove-input or
  remove-cell (myst-nb puts the first two behind a "Show code cell source" toggle and drops the
  last two).
* *Visible code lines*: non-blank lines of visible code-cell inputs.
* *Prose words*: words (runs of letters/digits) in the markdown cells the site shows (not tagged
  remove-cell), without directive fences, option lines (`:label: ...`), display math and HTML
  comments.
* *Core words* are the prose words outside "Going deeper" blocks (admonitions whose title starts
  with "Going deeper", collapsed on the site; see assets/book.css section 4); *deeper words* are the
  rest. *Core minutes* = core words / 200 (reading speed of 200 words per minute): the learner's path
  through a lesson, whose target is about 25 minutes.
* *Check lines*: lines starting with `assert` or containing `glue(`.
* A *figure* is an image output (PNG, JPEG or SVG) of a cell whose output the site shows. It is
  *captioned* with `mystnb.figure.caption` and named with `mystnb.figure.name`, and *described* by
  `mystnb.image.alt` that reads like a description (>= 4 words, not a file name).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import book_toc  # noqa: E402

HIDDEN_INPUT_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
REMOVED_OUTPUT_TAGS = {"remove-output", "remove-cell"}
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
CHECK_LINE = re.compile(r"^\s*assert\b|glue\(")
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
FILE_NAME = re.compile(r"^[\w./\\-]+\.(png|jpe?g|svg|gif)$|^_build|^output_\d", re.IGNORECASE)
MIN_ALT_WORDS = 4
FIGURE_NAME = re.compile(r"^fig-[a-z0-9]+(-[a-z0-9]+)+$")


def _src(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def input_visible(cell) -> bool:
    return cell.get("cell_type") == "code" and not (tags(cell) & HIDDEN_INPUT_TAGS)


def prose_words(markdown: str) -> int:
    text = re.sub(r"<!--.*?-->", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", ":::", "~~~")) or re.match(r"^:[\w-]+:", stripped):
            continue
        if re.match(r"^\(.+\)=$", stripped):  # a (label)= target
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\{[\w:-]+\}`([^`]*)`", r"\1", text)  # {role}`content` -> content
    text = re.sub(r"\$[^$\n]+\$", " x ", text)  # inline math counts as one word
    return len(WORD.findall(text))


READING_WORDS_PER_MINUTE = 200
FENCE_LINE = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,}|~{3,})(?P<info>.*)$")
DEEPER_OPENING = re.compile(r"^\{admonition\}\s+Going deeper\b", re.IGNORECASE)


def split_core_and_deeper(markdown: str) -> tuple[str, str]:
    """(core, deeper): the markdown outside and inside "Going deeper" admonitions (nested directives
    inside such a block count as deeper)."""
    core, deeper = [], []
    closing: str | None = None  # the fence that closes the open Going-deeper block
    depth = 0  # directives opened inside it
    for line in markdown.splitlines(keepends=True):
        match = FENCE_LINE.match(line.rstrip("\r\n"))
        if closing is None:
            if match and DEEPER_OPENING.match(match.group("info").strip()):
                closing = match.group("fence")
                deeper.append(line)
            else:
                core.append(line)
            continue
        deeper.append(line)
        if match:
            info, fence = match.group("info").strip(), match.group("fence")
            if info:
                depth += 1
            elif depth:
                depth -= 1
            elif fence[0] == closing[0] and len(fence) >= len(closing):
                closing = None
    return "".join(core), "".join(deeper)


def image_outputs(cell) -> list[dict]:
    if cell.get("cell_type") != "code" or tags(cell) & REMOVED_OUTPUT_TAGS:
        return []
    return [o for o in cell.get("outputs", []) if any(m in o.get("data", {}) for m in IMAGE_MIMES)]


def figure_problems(cell) -> list[str]:
    """What is missing from a cell whose output is an image (empty list: captioned, named, described)."""
    images = image_outputs(cell)
    if not images:
        return []
    meta = cell.get("metadata", {}).get("mystnb", {}) or {}
    figure = meta.get("figure", {}) or {}
    image = meta.get("image", {}) or {}
    problems = []
    caption = str(figure.get("caption", "") or "").strip()
    name = str(figure.get("name", "") or "").strip()
    alt = str(image.get("alt", "") or "").strip()
    if not caption:
        problems.append("no mystnb.figure.caption")
    elif len(WORD.findall(caption)) < 3:
        problems.append(f"caption too short to say what to see: {caption!r}")
    if not name:
        problems.append("no mystnb.figure.name (needed for {numref})")
    elif not FIGURE_NAME.match(name):
        problems.append(f"figure name {name!r} is not of the form fig-<chapter>-<slug>")
    if not alt:
        problems.append("no mystnb.image.alt (the <img alt> would be the file name)")
    elif FILE_NAME.search(alt) or len(WORD.findall(alt)) < MIN_ALT_WORDS:
        problems.append(f"alt text is not a description (>= {MIN_ALT_WORDS} words, not a file name): {alt!r}")
    if len(images) > 1 and name:
        problems.append(f"{len(images)} images in one cell share the figure name {name!r}: split the cell")
    return problems


def cell_label(nb_cells, index) -> str:
    cell = nb_cells[index]
    first = next((ln.strip() for ln in _src(cell).splitlines() if ln.strip()), "")
    cid = cell.get("id", "")
    return f"cell {index + 1}" + (f" (id {cid})" if cid else "") + (f" `{first[:50]}`" if first else "")


def analyse(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf8"))
    cells = nb.get("cells", [])
    out = {"notebook": path.name,
           "code_lines": 0, "hidden_code_lines": 0, "prose_words": 0, "core_words": 0,
           "deeper_words": 0, "deeper_blocks": 0, "check_lines": [],
           "figures": 0, "figures_uncaptioned": 0, "figure_problems": [], "remove_cell_code": [],
           "figure_names": [], "markdown": ""}
    markdown = []
    for i, cell in enumerate(cells):
        kind = cell.get("cell_type")
        source = _src(cell)
        if kind == "markdown":
            if "remove-cell" not in tags(cell):
                out["prose_words"] += prose_words(source)
                core, deeper = split_core_and_deeper(source)
                out["core_words"] += prose_words(core)
                out["deeper_words"] += prose_words(deeper)
                out["deeper_blocks"] += sum(
                    1 for ln in source.splitlines()
                    if (m := FENCE_LINE.match(ln)) and DEEPER_OPENING.match(m.group("info").strip()))
                markdown.append(source)
            continue
        if kind != "code":
            continue
        lines = [ln for ln in source.splitlines() if ln.strip()]
        if "remove-cell" in tags(cell):
            out["remove_cell_code"].append(cell_label(cells, i))
        if input_visible(cell):
            out["code_lines"] += len(lines)
            for ln in lines:
                if CHECK_LINE.search(ln):
                    out["check_lines"].append(f"{cell_label(cells, i)}: {ln.strip()[:90]}")
        else:
            out["hidden_code_lines"] += len(lines)
        images = image_outputs(cell)
        if images:
            out["figures"] += len(images)
            problems = figure_problems(cell)
            meta = cell.get("metadata", {}).get("mystnb", {}) or {}
            if not str((meta.get("figure", {}) or {}).get("caption", "") or "").strip():
                out["figures_uncaptioned"] += len(images)
            name = str((meta.get("figure", {}) or {}).get("name", "") or "").strip()
            if name:
                out["figure_names"].append(name)
            for p in problems:
                out["figure_problems"].append(f"{cell_label(cells, i)}: {p}")
    out["markdown"] = "\n".join(markdown)
    return out


def lesson_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks the book shows, in toc order."""
    paths = []
    for name in dict.fromkeys(book_toc.toc_docnames(root)):
        path = root / (name + ".ipynb")
        if path.is_file():
            paths.append(path)
    return paths


def markdown_table(results: list[dict]) -> str:
    rows = ["| notebook | visible code lines | prose words | core words | core minutes "
            "| Going-deeper blocks | code lines per 100 words "
            "| visible check lines | collapsed code lines | figures | without caption |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    tot = {"code": 0, "words": 0, "core": 0, "blocks": 0, "checks": 0, "hidden": 0, "figs": 0,
           "nocap": 0}
    for r in results:
        ratio = 100 * r["code_lines"] / r["prose_words"] if r["prose_words"] else float("nan")
        name = Path(r["notebook"]).stem
        rows.append(f"| {name} | {r['code_lines']} | {r['prose_words']} | {r['core_words']} "
                    f"| {r['core_words'] / READING_WORDS_PER_MINUTE:.1f} | {r['deeper_blocks']} "
                    f"| {ratio:.1f} "
                    f"| {len(r['check_lines'])} | {r['hidden_code_lines']} | {r['figures']} "
                    f"| {r['figures_uncaptioned']} |")
        tot["code"] += r["code_lines"]
        tot["words"] += r["prose_words"]
        tot["core"] += r["core_words"]
        tot["blocks"] += r["deeper_blocks"]
        tot["checks"] += len(r["check_lines"])
        tot["hidden"] += r["hidden_code_lines"]
        tot["figs"] += r["figures"]
        tot["nocap"] += r["figures_uncaptioned"]
    ratio = 100 * tot["code"] / tot["words"] if tot["words"] else float("nan")
    rows.append(f"| **all** | {tot['code']} | {tot['words']} | {tot['core']} "
                f"| {tot['core'] / READING_WORDS_PER_MINUTE:.1f} | {tot['blocks']} "
                f"| {ratio:.1f} | {tot['checks']} "
                f"| {tot['hidden']} | {tot['figs']} | {tot['nocap']} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="per-notebook reader metrics as a markdown table")
    parser.add_argument("--details", action="store_true", help="list every offending line/figure")
    parser.add_argument("--root", default=str(ROOT), help="book root (default: this repository)")
    parser.add_argument("--update", metavar="PAGE.md",
                        help="also replace the table between the lesson-report markers in PAGE.md")
    args = parser.parse_args(argv)
    details = args.details
    results = [analyse(p) for p in lesson_notebooks(Path(args.root))]
    table = markdown_table(results)
    print(table)
    if args.update:
        page = Path(args.update)
        text = page.read_text(encoding="utf8")
        pattern = re.compile(r"(<!-- lesson-report:start -->\n).*?(<!-- lesson-report:end -->)", re.S)
        if not pattern.search(text):
            print(f"{page}: no <!-- lesson-report:start/end --> markers", file=sys.stderr)
            return 1
        page.write_text(pattern.sub(lambda m: m.group(1) + table + m.group(2), text), encoding="utf8")
        print(f"updated {page}")
    if details:
        for r in results:
            for line in r["check_lines"]:
                print(f"{r['notebook']}: visible check: {line}")
            for line in r["figure_problems"]:
                print(f"{r['notebook']}: figure: {line}")
            for line in r["remove_cell_code"]:
                print(f"{r['notebook']}: remove-cell on code: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
