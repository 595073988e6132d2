"""Copy the lessons into a learner's working folder (lab/) for `make lab`, made readable in JupyterLab.

Why a copy: JupyterLab autosaves. A learner who runs a lesson and moves a slider would otherwise
write live widget output into chapters/*.ipynb, the files that nbval verifies and the website
renders. `make lab` therefore opens JupyterLab on lab/ (git-ignored), never on chapters/.

Copy rules (lab/.lab-manifest.json remembers the hash of every file as this script last wrote it):

* a file that is missing in lab/ is created;
* a file the learner has not changed since the last copy is refreshed from chapters/;
* a file the learner changed (edited, or autosaved after running it) is KEPT, with a message
  saying how to get the current version (delete it and run `make lab` again).

What the copy changes, so that JupyterLab (with jupyterlab-myst) shows what the website shows.
Only the copy is changed; chapters/ and therefore the website stay exactly as verified.
jupyterlab-myst renders admonitions, dropdowns, math, exercises, `{solution}`, and `{ref}` /
`{numref}` to labels in the same notebook by itself. It cannot resolve the rest, so in markdown
cells:

* ``{glue:text}`key:fmt` `` becomes the number, formatted by myst-nb's own formatter from the
  notebook's stored glue outputs (cross-page ``path::key:fmt`` from the other notebook);
* a ``{glue:figure}`` block (how a collapsed "Going deeper" block shows a figure) becomes the
  stored image, with its alt text and its caption in italics;
* ``{doc}`target` `` becomes a link to target.ipynb / target.md titled like the website;
* ``{cite}`` / ``{cite:t}`` become "[Author, year]" / "Author [year]" (as on the website) from
  references.bib, linked to the reference's URL or DOI (else to the bibliography page);
* ``{term}`` becomes the term, linked to the glossary page;
* ``{ref}`` / ``{numref}`` to a label in another page become a link to that page; ``{numref}`` to
  a figure becomes "the figure above/below" (JupyterLab shows no figure numbers);
* gated solutions: jupyterlab-myst renders ``solution-start``/``solution-end`` as empty boxes, so
  the start cell becomes a collapsed heading "Solution to Exercise N" and the end cell a closing
  heading: the cells in between are hidden until the learner opens the heading, even after Run
  All (running a cell re-opens its collapsed output, so `outputs_hidden` alone shows the
  answers). They also get JupyterLab's source_hidden/outputs_hidden metadata if the lesson lacks it;
* `hide-input` code cells (checks and glue calls; behind a toggle on the website) get their source
  collapsed, their output stays visible.

Markdown pages (the appendices) get the same role rewrite; the project's JupyterLab settings open
.md files in the Markdown Preview, which jupyterlab-myst renders.

Usage: python tools/lab/labcopy.py [--src chapters] [--dest lab] [--quiet]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ".lab-manifest.json"
SKIP_NAMES = {"conftest.py", MANIFEST}
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
GLOSSARY = "appendix_glossary.md"
# Gated solutions become a collapsed heading section: JupyterLab hides every cell under a collapsed
# heading (cell metadata below, JupyterLab 4) until the next heading of the same level, and keeps
# them hidden through Run All, whereas running a cell always re-opens its own collapsed output.
SOLUTION_HEADING = "######"
HEADING_COLLAPSED = "jp-MarkdownHeadingCollapsed"
BIBLIOGRAPHY = "bibliography.md"

ROLE = re.compile(r"\{(?P<role>[a-z]+(?::[a-z]+)?)\}`(?P<content>[^`]*)`")
GLUE_FIGURE = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})\{glue:figure\}[ \t]+(?P<key>[^\n]+)\n(?P<body>.*?)^[ \t]*(?P=fence)[ \t]*$\n?",
                         re.M | re.S)
TITLED = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
LABEL_TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$", re.M)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z\-:]+)\}[ \t]*(?P<arg>[^\n]*)$", re.M)
OPTION_LABEL = re.compile(r"^:label:\s*(\S+)\s*$", re.M)


# --------------------------------------------------------------------------- small helpers


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def dump_notebook(nb: dict) -> str:
    # the layout nbformat writes (indent 1, unicode kept), so a diff against chapters/ stays small
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def plain_title(markdown: str) -> str:
    """A heading's text without markup: `code`, **bold**, *em*, links, roles and $math$ markers."""
    text = ROLE.sub(lambda m: m.group("content"), markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`|\*\*|(?<!\w)\*|\*(?!\w)", "", text)  # code and emphasis marks; keep ignore_index
    return text.strip()


def page_title(path: Path) -> str | None:
    """The first level-1 heading of a notebook or Markdown page (what {doc} shows on the site)."""
    try:
        if path.suffix == ".ipynb":
            texts = [cell_source(c) for c in read_notebook(path).get("cells", []) if c.get("cell_type") == "markdown"]
        else:
            texts = [path.read_text(encoding="utf-8")]
    except (OSError, ValueError):
        return None
    for text in texts:
        for match in HEADING.finditer(text):
            if len(match.group(1)) == 1:
                return plain_title(match.group(2))
    return None


# --------------------------------------------------------------------------- book-wide indexes


class Book:
    """What the rewrite needs to know about the other pages: titles, labels, glue data, references."""

    def __init__(self, src: Path, root: Path = ROOT):
        self.src = src
        self.root = root
        self.pages: dict[str, Path] = {}  # docname relative to src, no suffix -> file
        for path in sorted(src.iterdir()):
            if path.suffix in (".ipynb", ".md") and path.is_file():
                self.pages[path.stem] = path
        self._titles: dict[str, str | None] = {}
        self._glue: dict[Path, dict] = {}
        self.labels: dict[str, tuple[str, str]] = {}  # label -> (docname, text shown for {ref})
        self.figures: dict[str, tuple[str, int]] = {}  # figure name -> (docname, cell index)
        for docname, path in self.pages.items():
            self._index_labels(docname, path)
        self.bib = load_bib(root / "references.bib")

    def title(self, docname: str) -> str:
        if docname not in self._titles:
            path = self.pages.get(docname)
            self._titles[docname] = page_title(path) if path else None
        return self._titles[docname] or docname

    def link(self, docname: str) -> str:
        path = self.pages.get(docname)
        return path.name if path else docname

    def _index_labels(self, docname: str, path: Path) -> None:
        if path.suffix == ".ipynb":
            try:
                cells = read_notebook(path).get("cells", [])
            except ValueError:
                return
        else:
            cells = [{"cell_type": "markdown", "source": path.read_text(encoding="utf-8")}]
        exercise = 0
        for index, cell in enumerate(cells):
            if cell.get("cell_type") == "code":
                name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
                if name:
                    self.figures[name] = (docname, index)
                continue
            if cell.get("cell_type") != "markdown":
                continue
            text = cell_source(cell)
            for match in LABEL_TARGET.finditer(text):
                heading = HEADING.search(text, match.end())
                shown = plain_title(heading.group(2)) if heading else match.group("label")
                self.labels.setdefault(match.group("label"), (docname, shown))
            for match in DIRECTIVE.finditer(text):
                if match.group("name") == "exercise":
                    exercise += 1
                    body = text[match.end():]
                    label = OPTION_LABEL.match(body.lstrip("\n"))
                    if label:
                        self.labels.setdefault(label.group(1), (docname, f"Exercise {exercise}"))

    def glue_data(self, path: Path) -> dict:
        if path not in self._glue:
            try:
                self._glue[path] = glue_outputs(read_notebook(path))
            except (OSError, ValueError):
                self._glue[path] = {}
        return self._glue[path]


def glue_outputs(nb: dict) -> dict[str, dict]:
    """key -> output data of every stored glue output (myst-nb's scrapbook metadata)."""
    found = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta or "name" not in meta:
                continue
            prefix = len(meta.get("mime_prefix", ""))
            found[meta["name"]] = {k[prefix:]: v for k, v in output.get("data", {}).items()}
    return found


def format_glue(text_plain, fmt: str) -> str:
    """The website's formatting of {glue:text}: myst-nb's own function, so both show the same digits."""
    if isinstance(text_plain, list):
        text_plain = "".join(text_plain)
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(text_plain, fmt)


def load_bib(path: Path) -> dict[str, dict]:
    """key -> {'authors': [last names], 'year': str, 'url': str|None} from references.bib."""
    if not path.is_file():
        return {}
    try:
        from pybtex.database import parse_file
    except ImportError:  # pragma: no cover - pybtex comes with sphinxcontrib-bibtex
        return {}
    try:
        data = parse_file(str(path), bib_format="bibtex")
    except Exception:  # a broken bib file must not stop a learner's `make lab`
        return {}
    entries = {}
    for key, entry in data.entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.prelast_names + p.last_names) or str(p) for p in people]
        if not names and "organization" in entry.fields:
            names = [entry.fields["organization"]]
        if not names and "publisher" in entry.fields:
            names = [entry.fields["publisher"]]
        names = [re.sub(r"[{}\\]", "", n) for n in names]
        url = entry.fields.get("url")
        if not url and entry.fields.get("doi"):
            url = "https://doi.org/" + entry.fields["doi"]
        entries[key.lower()] = {
            "authors": names,
            "year": re.sub(r"[{}]", "", entry.fields.get("year", "n.d.")),
            "url": url,
        }
    return entries


def author_text(names: list[str]) -> str:
    if not names:
        return "Anonymous"
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


# --------------------------------------------------------------------------- the markdown rewrite


class Rewriter:
    def __init__(self, book: Book, docname: str, nb: dict):
        self.book = book
        self.docname = docname
        self.nb = nb
        self.glue = glue_outputs(nb)
        self.problems: list[str] = []
        self.missing_glue: list[str] = []
        self.cell_index = 0
        self.own_figures = {
            name: index
            for index, cell in enumerate(nb.get("cells", []))
            if cell.get("cell_type") == "code"
            and (name := cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name"))
        }

    # one role -> replacement markdown
    def role(self, match: re.Match) -> str:
        role, content = match.group("role"), match.group("content")
        handler = {
            "glue:text": self.glue_text,
            "doc": self.doc,
            "cite": self.cite_p,
            "cite:p": self.cite_p,
            "cite:t": self.cite_t,
            "term": self.term,
            "ref": self.ref,
            "numref": self.numref,
        }.get(role)
        if handler is None:
            return match.group(0)
        try:
            replacement = handler(content)
        except Exception as exc:  # never break the copy on one odd role; say so and keep it
            self.problems.append(f"{self.docname}: {{{role}}}`{content}` left as is ({exc})")
            return match.group(0)
        return match.group(0) if replacement is None else replacement

    def glue_text(self, content: str) -> str | None:
        key_fmt = content.rsplit(":", 1)
        key, fmt = (key_fmt[0], key_fmt[1]) if len(key_fmt) == 2 else (key_fmt[0], "s")
        if "::" in key:
            doc, key = key.split("::", 1)
            path = self._resolve_doc_path(doc)
            data = self.book.glue_data(path) if path else {}
        else:
            data = self.glue
        if key not in data or "text/plain" not in data[key]:
            self.missing_glue.append(key)
            return None
        return format_glue(data[key]["text/plain"], fmt)

    def _resolve_doc_path(self, doc: str) -> Path | None:
        # Sphinx resolves relative to the page, or to the book root when it starts with "/";
        # the team's convention writes chapters/NN.ipynb, so try the book root as well.
        doc = doc.strip()
        candidates = [self.book.src / doc, self.book.root / doc.lstrip("/")]
        for cand in candidates:
            if cand.is_file():
                return self.book.src / cand.name if (self.book.src / cand.name).is_file() else cand
        return None

    @staticmethod
    def _split(content: str) -> tuple[str | None, str]:
        titled = TITLED.match(content)
        if titled:
            return titled.group("text").strip(), titled.group("target").strip()
        return None, content.strip()

    def doc(self, content: str) -> str:
        text, target = self._split(content)
        docname = Path(target.lstrip("/")).name
        docname = docname.rsplit(".", 1)[0] if docname.endswith((".ipynb", ".md")) else docname
        return f"[{text or self.book.title(docname)}]({self.book.link(docname)})"

    def _cite(self, content: str, textual: bool) -> str:
        parts = []
        for key in [k.strip() for k in content.split(",") if k.strip()]:
            entry = self.book.bib.get(key.lower())
            if entry is None:
                self.problems.append(f"{self.docname}: citation {key!r} not in references.bib")
                parts.append(key)
                continue
            who = author_text(entry["authors"])
            target = entry["url"] or BIBLIOGRAPHY
            # the website's author_year style: {cite} -> [Who, year], {cite:t} -> Who [year]
            if textual:
                parts.append(f"{who} \\[[{entry['year']}]({target})\\]")
            else:
                parts.append(f"[{who}, {entry['year']}]({target})")
        return ", ".join(parts) if textual else "\\[" + "; ".join(parts) + "\\]"

    def cite_p(self, content: str) -> str:
        return self._cite(content, textual=False)

    def cite_t(self, content: str) -> str:
        return self._cite(content, textual=True)

    def term(self, content: str) -> str:
        text, _target = self._split(content)
        shown = text or content.strip()
        if GLOSSARY.rsplit(".", 1)[0] in self.book.pages:
            return f"[{shown}]({GLOSSARY})"
        return shown

    def ref(self, content: str) -> str | None:
        text, label = self._split(content)
        if label in self.own_figures or label in self.book.figures:
            return self._figure(text, label)
        found = self.book.labels.get(label)
        if found is None or found[0] == self.docname:
            return None  # same page (jupyterlab-myst resolves it) or unknown (left for it)
        docname, shown = found
        title = self.book.title(docname)
        shown = text or (f"{shown} in {title}" if shown.startswith("Exercise ") else shown)
        return f"[{shown}]({self.book.link(docname)})"

    def numref(self, content: str) -> str | None:
        return self.ref(content)

    def _figure(self, text: str | None, label: str) -> str:
        if label in self.own_figures:
            docname, index = self.docname, self.own_figures[label]
        else:
            docname, index = self.book.figures[label]
        if docname != self.docname:
            return f"a figure in [{self.book.title(docname)}]({self.book.link(docname)})"
        where = "above" if index < self.cell_index else "below"
        return f"the figure {where}"

    def glue_figure(self, match: re.Match) -> str:
        """A ``{glue:figure}`` block (e.g. inside a "Going deeper" dropdown) becomes the stored image
        with its alt text and caption: jupyterlab-myst cannot read myst-nb's glue outputs."""
        key, body = match.group("key").strip(), match.group("body")
        data = self.glue.get(key, {})
        if "image/png" not in data:
            self.missing_glue.append(key)
            return match.group(0)
        options = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", body, re.M))
        caption = re.sub(r"^:[\w-]+:.*$\n?", "", body, flags=re.M).strip()
        alt = options.get("alt", caption or key).replace("]", ")").replace("[", "(")
        image = f"![{alt}](data:image/png;base64,{''.join(data['image/png']).strip()})"
        return image + (f"\n\n*{caption}*" if caption else "") + "\n"

    def markdown(self, text: str) -> str:
        text = GLUE_FIGURE.sub(self.glue_figure, text)
        out = rewrite_outside_code(text, lambda chunk: ROLE.sub(self.role, chunk))
        # "the figure below shows ..." at the start of a sentence
        return re.sub(r"(^|[.!?]\s+|\n\n)(the figure|a figure)", lambda m: m.group(1) + m.group(2)[0].upper() + m.group(2)[1:], out)


FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
# a role, or an inline code span (a backtick run not starting or ending inside a longer run)
INLINE = re.compile(r"(?P<role>\{[a-z]+(?::[a-z]+)?\}`[^`\n]*`)|(?<!`)(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)", re.S)


def rewrite_outside_code(text: str, rewrite) -> str:
    """Apply `rewrite` to the Markdown outside code: fenced code blocks and inline code spans stay
    as they are (e.g. a glossary line that shows ``{glue:text}`` as code), while the bodies of MyST
    directives (```{exercise} ... ```) are Markdown and are rewritten."""
    out: list[str] = []
    chunk: list[str] = []
    directives: list[int] = []  # fence lengths of the open ```{name} directives
    code_fence: str | None = None

    def flush():
        if chunk:
            joined = "".join(chunk)
            out.append(INLINE.sub(lambda m: rewrite(m.group(0)) if m.group("role") else m.group(0), joined))
            chunk.clear()

    for line in text.splitlines(keepends=True):
        match = FENCE.match(line.rstrip("\r\n"))
        if code_fence is not None:  # inside a literal code block
            out.append(line)
            if match and match.group("fence")[0] == code_fence[0] and len(match.group("fence")) >= len(code_fence) \
                    and not match.group("info").strip():
                code_fence = None
            continue
        if match:
            fence, info = match.group("fence"), match.group("info").strip()
            if info.startswith("{") or (not info and directives and len(fence) >= directives[-1]):
                if info.startswith("{"):
                    directives.append(len(fence))
                else:
                    directives.pop()
                flush()  # a fence line is never part of an inline code span
                out.append(line)
                continue
            else:
                flush()
                code_fence = fence
                out.append(line)
                continue
        chunk.append(line)
    flush()
    return "".join(out)


def _directive(text: str) -> tuple[str, str] | None:
    match = DIRECTIVE.search(text.strip())
    if match and match.start() == 0:
        return match.group("name"), match.group("arg").strip()
    return None


def _after_directive(text: str) -> str:
    """The Markdown after the directive that opens ``text`` (after its closing fence)."""
    lines = text.strip().splitlines(keepends=True)
    opening = FENCE.match(lines[0].rstrip("\r\n")) if lines else None
    if not opening:
        return ""
    fence = opening.group("fence")
    for index, line in enumerate(lines[1:], start=1):
        match = FENCE.match(line.rstrip("\r\n"))
        if match and match.group("fence")[0] == fence[0] and len(match.group("fence")) >= len(fence) \
                and not match.group("info").strip():
            return "".join(lines[index + 1:])
    return ""


def transform_notebook(nb: dict, docname: str, book: Book) -> tuple[dict, list[str]]:
    """The lab copy of one lesson (see the module docstring). Returns (notebook, problems)."""
    nb = copy.deepcopy(nb)
    rewriter = Rewriter(book, docname, nb)
    in_solution = False
    for index, cell in enumerate(nb.get("cells", [])):
        rewriter.cell_index = index
        kind = cell.get("cell_type")
        meta = cell.setdefault("metadata", {})
        if kind == "markdown":
            text = cell_source(cell)
            directive = _directive(text)
            if directive and directive[0] == "solution-start":
                in_solution = True
                target = directive[1]
                shown = f"{{ref}}`{target}`" if target else "the exercise"
                rest = _after_directive(text)
                if rest.strip():
                    rewriter.problems.append(f"{docname}: text in the solution-start cell stays visible "
                                             "(put it in its own cell)")
                set_source(cell, f"{SOLUTION_HEADING} Solution to {shown}\n\n"
                                 "The solution is hidden: click the button below to show it."
                                 + ("\n\n" + rewriter.markdown(rest.strip()) if rest.strip() else ""))
                meta[HEADING_COLLAPSED] = True
                continue
            if directive and directive[0] == "solution-end":
                in_solution = False
                rest = _after_directive(text)  # e.g. the next exercise in the same cell: keep it
                set_source(cell, f"{SOLUTION_HEADING} End of the solution"
                                 + ("\n\n" + rewriter.markdown(rest.strip()) if rest.strip() else ""))
                continue
            if in_solution:
                meta.setdefault("jupyter", {}).setdefault("source_hidden", True)
            set_source(cell, rewriter.markdown(text))
        elif kind == "code":
            tags = meta.get("tags", [])
            if in_solution:
                jupyter = meta.setdefault("jupyter", {})
                jupyter.setdefault("source_hidden", True)
                jupyter.setdefault("outputs_hidden", True)
            elif "hide-input" in tags or "hide-cell" in tags:
                meta.setdefault("jupyter", {}).setdefault("source_hidden", True)
                if "hide-cell" in tags:
                    meta["jupyter"].setdefault("outputs_hidden", True)
    if rewriter.missing_glue:
        keys = sorted(set(rewriter.missing_glue))
        rewriter.problems.append(
            f"{docname}: {len(keys)} glued value(s) not stored in the notebook (not executed yet?), "
            f"left as markup: {', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''}"
        )
    return nb, rewriter.problems


# --------------------------------------------------------------------------- the copy


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".labcopy-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def source_files(src: Path) -> list[Path]:
    files = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or path.name in SKIP_NAMES or path.suffix == ".pyc":
            continue
        if any(part in SKIP_DIRS for part in rel.parts):
            continue
        files.append(path)
    return files


def lab_content(path: Path, src: Path, book: Book) -> tuple[bytes, list[str]]:
    if path.suffix == ".ipynb" and path.parent == src:
        nb, problems = transform_notebook(read_notebook(path), path.stem, book)
        return dump_notebook(nb).encode("utf-8"), problems
    if path.suffix == ".md" and path.parent == src:
        # appendix pages open in JupyterLab's Markdown Preview (project setting): same role rewrite
        rewriter = Rewriter(book, path.stem, {"cells": []})
        text = rewriter.markdown(path.read_text(encoding="utf-8"))
        return text.encode("utf-8"), rewriter.problems
    return path.read_bytes(), []


def copy_lessons(src: Path, dest: Path, *, say=print) -> dict[str, list[str]]:
    """Create or refresh dest from src. Returns {'created': [...], 'refreshed': [...], 'kept': [...],
    'unchanged': [...], 'problems': [...]} (paths relative to dest)."""
    src, dest = Path(src).resolve(), Path(dest).resolve()
    if dest == src or src in dest.parents:
        raise SystemExit(f"labcopy: the lab folder {dest} must not be inside {src}")
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    book = Book(src)
    report: dict[str, list[str]] = {k: [] for k in ("created", "refreshed", "kept", "unchanged", "problems")}
    for path in source_files(src):
        rel = path.relative_to(src).as_posix()
        target = dest / rel
        content, problems = lab_content(path, src, book)
        report["problems"].extend(problems)
        new_hash = hashlib.sha256(content).hexdigest()
        if not target.exists():
            _atomic_write(target, content)
            manifest[rel] = new_hash
            report["created"].append(rel)
            continue
        current = sha256(target)
        if current == new_hash:
            manifest[rel] = new_hash
            report["unchanged"].append(rel)
        elif current == manifest.get(rel):
            _atomic_write(target, content)
            manifest[rel] = new_hash
            report["refreshed"].append(rel)
        else:
            report["kept"].append(rel)
    _atomic_write(manifest_path, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())

    shown = dest.name if dest.parent == ROOT else str(dest)
    if report["created"] or report["refreshed"]:
        say(f"labcopy: {len(report['created'])} new and {len(report['refreshed'])} refreshed "
            f"file(s) in {shown}/ from {src.name}/")
    for rel in report["kept"]:
        say(f"labcopy: KEPT your version of {shown}/{rel}: you changed it since the last copy "
            f"(edits or a run that was saved). To get the current lesson, delete it (or rename it "
            f"to keep your work) and run `make lab` again.")
    for problem in report["problems"]:
        say(f"labcopy: note: {problem}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", default=str(ROOT / "chapters"))
    parser.add_argument("--dest", default=str(ROOT / "lab"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    copy_lessons(Path(args.src), Path(args.dest), say=(lambda *_: None) if args.quiet else print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
