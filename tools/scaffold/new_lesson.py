"""Start a new lesson from the template: `make new-lesson NAME=topic`.

Creates `chapters/NN_topic.ipynb` (NN = one more than the highest numbered lesson) with the lesson
shape of every chapter (GUIDE.md §5): what you will learn, the idea in one picture, a worked
example whose number is computed by celib, glued into the prose and asserted in a collapsed cell,
a captioned figure with alt text, an explorer with its JupyterLab note, a "Going deeper" block,
pitfalls, an exercise with a collapsed solution and a summary. It lists the lesson in `_toc.yml`
(a new part "New lessons" at the end of the numbered parts, or that part if it exists). With
--execute (as `make new-lesson` runs it) it executes the lesson in place, so it is saved with
outputs, and records its kernel's peak memory (tools/editions/memory.py); it then passes the
hygiene tests, nbval and the strict site build as it stands (tests/test_scaffold.py checks exactly
that in a temporary copy of the repository). The Makefile prints what to do next.

Usage: python tools/scaffold/new_lesson.py NAME [--execute] [--root .]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
NEW_PART = "New lessons"


def next_number(chapters: Path) -> int:
    numbers = [int(m.group(1)) for p in chapters.glob("*.ipynb") if (m := re.match(r"^(\d+)_", p.name))]
    return max(numbers, default=0) + 1


def lesson_cells(nn: str, name: str) -> list:
    """The template's cells; every key and label carries the lesson's number."""
    title = name.replace("_", " ").capitalize()
    key = f"ch{nn}"
    md, code = new_markdown_cell, new_code_cell

    def hidden_solution_code(source):
        return code(source, metadata={"jupyter": {"source_hidden": True, "outputs_hidden": True}})

    cells = [
        md(f"# {title}\n\n"
           "One sentence that says what this lesson is about and why a learner needs it.\n\n"
           "**What you will learn**\n\n"
           "- the first idea, in one line;\n"
           "- the second idea, in one line;\n"
           "- the third idea, in one line."),
        code("import matplotlib.pyplot as plt\n"
             "import numpy as np\n"
             "from myst_nb import glue\n\n"
             "import celib\n"
             "from celib.explore import explore\n"
             "from celib.plotting import COLORS, new_figure, use_book_style\n\n"
             "use_book_style()"),
        md("## The idea in one picture\n\n"
           "**Open each section with its one-sentence takeaway, in bold.** Then the picture: "
           f"{{numref}}`fig-{key}-picture` shows the loss $-\\ln q_y$ of one example against the "
           "probability $q_y$ the model gives to the correct class."),
        code("q_grid = np.linspace(0.01, 1.0, 200)\n"
             "fig, ax = new_figure()\n"
             "_ = ax.plot(q_grid, celib.surprisal(q_grid), color=COLORS[\"model\"])\n"
             "ax.set_xlabel(\"probability q of the correct class\")\n"
             "ax.set_ylabel(\"loss -ln q (nats)\")\n"
             "plt.show()",
             metadata={"mystnb": {
                 "figure": {"caption": "The loss of one example, minus the natural log of the probability q "
                                       "the model gives to the correct class: 0 at q = 1, and unbounded as q "
                                       "falls to 0.",
                            "name": f"fig-{key}-picture"},
                 "image": {"alt": "A curve falling from about 4.6 nats at q = 0.01 to 0 at q = 1, "
                                  "steep near 0 and flat near 1."}}}),
        md("## A worked example\n\n"
           "**Every number in the prose is computed and glued, never typed.** A model that gives the "
           f"correct class the probability $q_y = 0.85$ pays {{glue:text}}`{key}_loss:.4f` "
           "{term}`nats <nat>`; "
           "the collapsed cell below asserts the value."),
        code("q_correct = 0.85\n"
             "loss = celib.surprisal(q_correct)\n"
             "print(f\"loss = {loss:.4f} nats\")"),
        code("assert np.isclose(loss, -np.log(q_correct))\n"
             f"glue(\"{key}_loss\", float(loss), display=False)",
             metadata={"tags": ["hide-input"]}),
        md("```{admonition} Going deeper: where expert material goes\n"
           ":class: dropdown going-deeper\n\n"
           "Proofs, precision minutiae, framework trivia and history go in a collapsed block like this "
           "one, whose title starts with \"Going deeper: \". Numbers in it are glued too, e.g. the same "
           f"loss in {{term}}`bits <bit>`, {{glue:text}}`{key}_loss_bits:.4f`.\n"
           "```"),
        code("loss_bits = celib.surprisal(q_correct, base=2)\n"
             "assert np.isclose(loss_bits, loss / np.log(2))\n"
             f"glue(\"{key}_loss_bits\", float(loss_bits), display=False)",
             metadata={"tags": ["hide-input"]}),
        md("## Explorer: the loss of one example\n\n"
           "Move the probability of the correct class and watch the loss. On this website "
           f"{{numref}}`fig-{key}-explorer` is the still for $q = 0.85$; in JupyterLab (`make lab`) "
           "a slider redraws it."),
        md("**In JupyterLab:** run the cells above and then this one to get a live slider; until then "
           "you see the still figure.",
           metadata={"tags": ["remove-cell"]}),
        code("def draw(fig, q):\n"
             "    ax = fig.subplots()\n"
             "    _ = ax.plot(q_grid, celib.surprisal(q_grid), color=COLORS[\"model\"])\n"
             "    _ = ax.plot([q], [celib.surprisal(q)], \"o\", color=COLORS[\"highlight\"])\n"
             "    ax.set_xlabel(\"probability q of the correct class\")\n"
             "    ax.set_ylabel(\"loss -ln q (nats)\")\n"
             "    ax.set_title(f\"q = {q:.2f}: loss {celib.surprisal(q):.3f} nats\")\n\n\n"
             "explore(draw, q=(0.01, 1.0, 0.01, 0.85))",
             metadata={"mystnb": {
                 "figure": {"caption": "Explorer still for q = 0.85: the loss curve with the current "
                                       "probability marked.",
                            "name": f"fig-{key}-explorer"},
                 "image": {"alt": "The falling loss curve with a dot at q = 0.85, near the bottom."}}}),
        md("## Pitfalls\n\n"
           "**Name the mistake learners make, show it, then the fix.** A framework sentence links the "
           "executed claim in the framework appendix that runs the same API, route and backends, "
           "e.g. {ref}`fw-torch-class-dim`."),
        md("## Exercises\n\n"
           "```{exercise}\n"
           f":label: {key}-ex1\n\n"
           "What loss, in nats, does a model pay that gives the correct class the probability 0.5?\n"
           "```"),
        md(f"```{{solution-start}} {key}-ex1\n:class: dropdown\n```"),
        hidden_solution_code("ex1_loss = celib.surprisal(0.5)\n"
                             "print(f\"{ex1_loss:.4f} nats\")"),
        code("assert np.isclose(ex1_loss, np.log(2))\n"
             f"glue(\"{key}_ex1_loss\", float(ex1_loss), display=False)",
             metadata={"jupyter": {"source_hidden": True, "outputs_hidden": True}, "tags": ["hide-input"]}),
        md(f"It pays $\\ln 2$ = {{glue:text}}`{key}_ex1_loss:.4f` nats: one bit.",
           metadata={"jupyter": {"source_hidden": True}}),
        md("```{solution-end}\n```"),
        md("## Summary\n\n"
           f"- A confident right answer is cheap: {{glue:text}}`{key}_loss:.4f` nats at $q_y = 0.85$.\n"
           "- Replace these lines with the lesson's three takeaways.\n\n"
           "**References.** Cite with `{cite}` keys from `references.bib`."),
    ]
    for n, cell in enumerate(cells):
        cell["id"] = f"{key}-{n:02d}"  # stable ids: never renumber them later (TEAM.md convention 5)
    return cells


def add_to_toc(toc: Path, docname: str) -> None:
    """Append the lesson to the part "New lessons" (created, numbered, before the Reference part)."""
    text = toc.read_text()
    entry = f"      - file: {docname}\n"
    if f"caption: {NEW_PART}\n" in text:
        head, tail = text.split(f"caption: {NEW_PART}\n", 1)
        lines = tail.splitlines(keepends=True)
        at = 0
        while at < len(lines) and not lines[at].startswith("  - caption:"):
            at += 1
        text = head + f"caption: {NEW_PART}\n" + "".join(lines[:at]).rstrip("\n") + "\n" + entry + "".join(lines[at:])
    else:
        block = f"  - caption: {NEW_PART}\n    numbered: true\n    chapters:\n{entry}"
        marker = "  - caption: Reference\n"
        text = text.replace(marker, block + marker, 1) if marker in text else text.rstrip("\n") + "\n" + block
    toc.write_text(text)


def execute_and_measure(root: Path, notebook: Path) -> None:
    """Execute the new lesson in place (as `make execute`), then record its kernel's peak memory.

    The peak is measured by nbval through tools/editions/memory.py (chapters/conftest.py), which
    fails a lesson without a recorded peak: the first nbval run measures it (and fails for that
    reason only), `memory.py --record` records it, and from then on nbval checks it.
    """
    env = dict(os.environ, CELIB_EXPLORER="static", MPLBACKEND="module://matplotlib_inline.backend_inline")
    rel = notebook.relative_to(root).as_posix()
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.record_timing=False", rel],
                   cwd=root, env=env, check=True)
    memory = root / "tools" / "editions" / "memory.py"
    if memory.is_file():
        subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval", "--nbval-sanitize-with",
                        "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", rel],
                       cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, str(memory), "--record"], cwd=root, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the topic, lower case with underscores, e.g. label_noise")
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--execute", action="store_true",
                        help="also execute it (saved with outputs) and record its peak memory")
    args = parser.parse_args(argv)
    if not NAME.match(args.name):
        print(f"new-lesson: NAME must be lower case letters, digits and underscores, got {args.name!r}",
              file=sys.stderr)
        return 2
    chapters = args.root / "chapters"
    if any(re.match(rf"^\d+_{re.escape(args.name)}\.ipynb$", p.name) for p in chapters.glob("*.ipynb")):
        print(f"new-lesson: a lesson named {args.name} exists already", file=sys.stderr)
        return 2
    nn = f"{next_number(chapters):02d}"
    path = chapters / f"{nn}_{args.name}.ipynb"
    nb = new_notebook(cells=lesson_cells(nn, args.name), metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        # typed numbers allowed in the prose, each with its reason (tests/lesson_report.py): inputs
        # the reader is given, not results (results are glued)
        "book": {"typed_numbers": {"0.85": "input: the probability of the worked example and the explorer's still",
                                   "0.5": "input: the probability of exercise 1"}}})
    nbformat.write(nb, path)
    add_to_toc(args.root / "_toc.yml", f"chapters/{path.stem}")
    if args.execute:
        execute_and_measure(args.root.resolve(), path.resolve())
    print(path.relative_to(args.root).as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
