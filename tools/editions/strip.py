"""Remove the solutions from a lesson: the exercise stays, the solution (text, code, outputs) goes.

Two forms of sphinx-exercise solutions occur in the book, and both are removed:

* a ``{solution}`` directive inside one Markdown cell (or ``.md`` page)::

      ```{solution} ch03-ex1
      :class: dropdown
      The text ...
      ```

* a gated solution, ``{solution-start}`` ... ``{solution-end}``, whose body spans cells: Markdown
  cells, and code cells with their outputs (the worked code, its printout, its hidden checks and
  the glue calls that feed the solution's numbers). Everything from the start directive to the end
  directive goes; Markdown in the same cell before the start or after the end (e.g. the next
  exercise) stays.

A cell left empty is dropped. Nothing else changes: cell ids, metadata and every other output are
kept, so the student edition renders the same stored outputs as the instructor edition.

:func:`strip_notebook` returns the stripped notebook and, per exercise, what was removed
(:class:`Removed`), which the student-edition test uses to check that none of it is left in the
built site, the downloadable notebooks or the PDF.

Example::

    >>> md = "Ex.\\n```{solution} e1\\n:class: dropdown\\nThe answer is 42.\\n```\\nAfter."
    >>> text, removed = strip_markdown(md)
    >>> text
    'Ex.\\nAfter.'
    >>> removed[0].label, removed[0].markdown
    ('e1', ['The answer is 42.'])
"""

from __future__ import annotations

import copy
import dataclasses
import re

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,}|~{3,})(?P<info>.*)$")
SOLUTION = re.compile(r"^\{solution\}\s*(?P<label>\S*)")
SOLUTION_START = re.compile(r"^\{solution-start\}\s*(?P<label>\S*)")
SOLUTION_END = re.compile(r"^\{solution-end\}")


@dataclasses.dataclass
class Removed:
    """What one solution contained: its exercise label, Markdown text, code sources, outputs."""

    label: str
    markdown: list[str] = dataclasses.field(default_factory=list)
    code: list[str] = dataclasses.field(default_factory=list)
    outputs: list[str] = dataclasses.field(default_factory=list)
    cells: int = 0  # whole cells removed


def _closes(line: str, fence: str) -> bool:
    match = FENCE.match(line)
    return bool(match and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence)
                and not match["info"].strip())


def _directive_body(lines: list[str]) -> str:
    """A directive's body without its option lines (`:class: dropdown`)."""
    body = [ln for ln in lines if not re.match(r"^\s*:[\w-]+:", ln)]
    return "\n".join(body).strip()


class _Stripper:
    """Walks a lesson's Markdown and cells in order; ``gated`` is the open gated solution."""

    def __init__(self, keep_glue: frozenset[str] = frozenset()) -> None:
        self.removed: list[Removed] = []
        self.gated: Removed | None = None
        self.keep_glue = keep_glue

    def markdown(self, text: str) -> str:
        lines = text.split("\n")
        kept: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            match = FENCE.match(line)
            info = match["info"].strip() if match else ""
            if self.gated is not None:
                # inside a gated solution: drop everything up to and including the end directive
                if match and SOLUTION_END.match(info):
                    j = i + 1
                    while j < len(lines) and not _closes(lines[j], match["fence"]):
                        j += 1
                    self.gated = None
                    i = j + 1
                    continue
                if match and SOLUTION_START.match(info):
                    raise ValueError(f"solution-start inside the gated solution of "
                                     f"{self.gated.label!r}: a solution-end is missing")
                self.gated.markdown.append(line)
                i += 1
                continue
            if match and (SOLUTION.match(info) or SOLUTION_START.match(info)):
                gated = SOLUTION_START.match(info)
                label = (gated or SOLUTION.match(info))["label"]
                j = i + 1
                while j < len(lines) and not _closes(lines[j], match["fence"]):
                    j += 1
                if j == len(lines):
                    raise ValueError(f"the solution of {label!r} has no closing fence")
                record = Removed(label)
                body = _directive_body(lines[i + 1:j])
                if body:
                    record.markdown.append(body)
                self.removed.append(record)
                if gated:
                    self.gated = record
                i = j + 1
                continue
            if match and SOLUTION_END.match(info):
                raise ValueError("a solution-end without its solution-start")
            kept.append(line)
            i += 1
        if self.gated is not None:
            self.gated.markdown[:] = [m for m in self.gated.markdown if m.strip()]
        return "\n".join(kept).strip("\n") if kept != lines else text

    def code(self, cell: dict) -> dict | None:
        """The cell to keep in its place: itself outside a solution; inside, None, or a stub that
        keeps only the glue records quoted outside the solution (:func:`glue_stub`)."""
        if self.gated is None:
            return cell
        self.gated.code.append(_source(cell))
        self.gated.outputs.extend(output_texts(cell))
        self.gated.cells += 1
        return glue_stub(cell, self.keep_glue)


GLUE_STUB = ("# Removed in the student edition: the solution's code. This hidden cell keeps only\n"
             "# the glued value(s) that another page quotes.\n")


def glue_name(output: dict) -> str | None:
    """The glue key of a ``glue(...)`` output (myst-nb's scrapbook record), else None."""
    return ((output.get("metadata") or {}).get("scrapbook") or {}).get("name")


def glue_stub(cell: dict, keep: frozenset[str]) -> dict | None:
    """A hidden cell with only the glue outputs of ``cell`` whose keys are in ``keep`` (or None).

    A number glued in a solution but quoted on another page (or outside the solution) would be a
    broken reference in the student build; its record stays, as a number, without the code that
    computed it, in a ``remove-cell`` cell the site does not show.
    """
    kept = [o for o in cell.get("outputs", []) or [] if glue_name(o) in keep]
    if not kept:
        return None
    return {"cell_type": "code", "id": cell.get("id", "glue-stub"), "execution_count": None,
            "metadata": {"tags": ["remove-cell"]}, "source": GLUE_STUB, "outputs": kept}


def glue_keys(cell: dict) -> set[str]:
    return {name for o in cell.get("outputs", []) or [] if (name := glue_name(o))}


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def output_texts(cell: dict) -> list[str]:
    """The text a cell's outputs show: stream text and text/plain, text/markdown, text/html."""
    texts = []
    for output in cell.get("outputs", []) or []:
        if "text" in output:
            texts.append(_join(output["text"]))
        for mime in ("text/plain", "text/markdown", "text/html"):
            if mime in output.get("data", {}):
                texts.append(_join(output["data"][mime]))
    return [t for t in texts if t.strip()]


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def strip_markdown(text: str) -> tuple[str, list[Removed]]:
    """A Markdown page without its ``{solution}`` blocks (a gated one must end on the page)."""
    stripper = _Stripper()
    out = stripper.markdown(text)
    if stripper.gated is not None:
        raise ValueError(f"the gated solution of {stripper.gated.label!r} has no solution-end")
    return out, stripper.removed


def strip_notebook(nb: dict, keep_glue=frozenset()) -> tuple[dict, list[Removed]]:
    """A copy of the notebook without its solutions, and what was removed per exercise.

    ``keep_glue``: glue keys that are quoted outside the solutions (see :func:`glue_stub`).
    """
    stripper = _Stripper(frozenset(keep_glue))
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = _source(cell)
            was_inside = stripper.gated is not None
            new = stripper.markdown(source)
            if new == source and not was_inside:
                cells.append(cell)
            elif new.strip():
                cell["source"] = new
                cells.append(cell)
            elif stripper.gated is not None or was_inside:
                (stripper.gated or stripper.removed[-1]).cells += 1
            else:
                stripper.removed[-1].cells += 1
        else:
            kept = stripper.code(cell)
            if kept is not None:
                cells.append(kept)
    if stripper.gated is not None:
        raise ValueError(f"the gated solution of {stripper.gated.label!r} has no solution-end")
    out["cells"] = cells
    return out, stripper.removed
