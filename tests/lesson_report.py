"""What a reader of each lesson sees, measured from the notebooks (no build, no browser).

Used by tests/test_lessons.py (the rules) and runnable as a report:

    .venv/bin/python tests/lesson_report.py            # markdown table, one row per notebook
    .venv/bin/python tests/lesson_report.py --details  # plus every offending line / figure

and as a Sphinx extension (see ``setup`` below): the verification page's per-lesson table is this
report, computed while the site is built.

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
* A *typed number* is a decimal number (``0.30``, ``74.5``, ``1e-7``) written in a lesson's Markdown,
  in prose or math, outside code spans, roles (``{glue:text}`...```), fenced code and directive
  options. The rule (tests/test_lessons.py) is that computed numbers reach the prose through glue, so
  every typed number must be a *definition* (an input chosen by the lesson, a constant of a paper,
  a version number) listed with its reason in the notebook's own allow-list, the notebook metadata
  ``book.typed_numbers`` (``{"0.9": "input: the probability p_t of the worked example"}``).
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


DECIMAL = re.compile(r"(?<![\w.\\§])(?<!§ )(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?!\w)")


def typed_numbers(markdown: str) -> list[tuple[str, str]]:
    """(number, context) for every decimal number typed in the prose or math of ``markdown``
    (not in code spans, roles, HTML comments, fenced code, URLs or directive option lines)."""
    text = re.sub(r"<!--.*?-->", " ", markdown, flags=re.S)
    kept, fence = [], None
    for line in text.splitlines():
        match = FENCE_LINE.match(line)
        if fence is not None:  # inside a fenced code block (not a directive): skip it
            if match and match.group("fence") == fence and not match.group("info").strip():
                fence = None
            continue
        if match:
            info = match.group("info").strip()
            if info and not info.startswith("{") and match.group("fence")[0] != ":":
                fence = match.group("fence")
            continue
        if re.match(r"^\s*:[\w-]+:", line) or re.match(r"^\(.+\)=$", line.strip()):
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)  # roles, including {glue:text}
    text = re.sub(r"(`+)(?:(?!\1).)+\1", " ", text, flags=re.S)  # code spans
    text = re.sub(r"https?://\S+", " ", text)
    found = []
    for m in DECIMAL.finditer(text):
        context = text[max(0, m.start() - 35): m.end() + 20]
        found.append((m.group(), " ".join(context.split())))
    return found


def allowed_typed_numbers(nb: dict) -> dict[str, str]:
    """The notebook's allow-list of typed numbers: metadata ``book.typed_numbers``, number -> reason."""
    return dict((nb.get("metadata", {}).get("book", {}) or {}).get("typed_numbers", {}) or {})


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
           "figure_names": [], "markdown": "", "typed_numbers": [], "allowed_numbers": {}}
    allowed = allowed_typed_numbers(nb)
    out["allowed_numbers"] = allowed
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
                for number, context in typed_numbers(source):
                    if number not in allowed:
                        out["typed_numbers"].append(f"{cell_label(cells, i)}: {number!r} in \"...{context}...\"")
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


REPORT_MARKERS = re.compile(r"(<!-- lesson-report:start -->\n).*?(<!-- lesson-report:end -->)", re.S)


def fill_report_table(text: str, root: Path = ROOT) -> str:
    """``text`` with the table between the lesson-report markers replaced by the current one."""
    table = markdown_table([analyse(p) for p in lesson_notebooks(root)])
    return REPORT_MARKERS.sub(lambda m: m.group(1) + table + m.group(2), text)


# --------------------------------------------------------------------------- Sphinx extension
# The verification page shows this report's table. It is computed while the site is built, from the
# notebooks being built, so the page cannot go stale: _config.yml loads this module as a local
# Sphinx extension, which fills the table between the markers when Sphinx reads a page that has
# them, and re-reads those pages on every build (their table depends on every notebook).


def _fill_on_read(app, docname, source):
    if "<!-- lesson-report:start -->" in source[0]:
        source[0] = fill_report_table(source[0], Path(app.srcdir))


REPORT_PAGES = ("chapters/appendix_verification",)  # the pages with lesson-report markers


def _always_reread(app, env, added, changed, removed):
    return [name for name in REPORT_PAGES if name in env.found_docs]


def setup(app):
    app.connect("source-read", _fill_on_read)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="per-notebook reader metrics as a markdown table")
    parser.add_argument("--details", action="store_true", help="list every offending line/figure")
    parser.add_argument("--root", default=str(ROOT), help="book root (default: this repository)")
    args = parser.parse_args(argv)
    details = args.details
    results = [analyse(p) for p in lesson_notebooks(Path(args.root))]
    table = markdown_table(results)
    print(table)
    if details:
        for r in results:
            for line in r["check_lines"]:
                print(f"{r['notebook']}: visible check: {line}")
            for line in r["figure_problems"]:
                print(f"{r['notebook']}: figure: {line}")
            for line in r["remove_cell_code"]:
                print(f"{r['notebook']}: remove-cell on code: {line}")
            for line in r["typed_numbers"]:
                print(f"{r['notebook']}: typed number: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
