"""The student edition has every exercise and no solution: site, downloadable notebooks, PDF.

Run by ``make test-student`` (part of ``make test-book``) on two builds of the same sources:
the instructor edition (``make book``: ``_build/html``) and the student edition (``make student``:
``_build/student/src/_build/html`` and its PDF). The solutions are taken from the *instructor
build*, exercise by exercise (sphinx-exercise's solution blocks: their paragraphs, code lines and
outputs), and looked for in the student build's page of the same lesson; a snippet that the
instructor page also shows outside its solutions (an import line, say) is not evidence and is
skipped.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "editions"))

import strip  # noqa: E402
import student  # noqa: E402

INSTRUCTOR = ROOT / "_build" / "html"
STUDENT_SRC = ROOT / "_build" / "student" / "src"
STUDENT = STUDENT_SRC / "_build" / "html"
STUDENT_PDF = ROOT / "_build" / "student" / "cross-entropy-executably-student.pdf"
LESSONS = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
MIN_SNIPPET = 16  # characters: shorter lines ("return x") prove nothing


def _require(path: Path, make: str) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `{make}` first")
    return path


def _norm(text: str) -> str:
    return " ".join(text.split())


@functools.lru_cache(maxsize=None)
def _soup(path: Path) -> BeautifulSoup:
    """A built page, parsed once (a lesson page is ~1 MB); callers never modify it."""
    return BeautifulSoup(path.read_text(encoding="utf8"), "html.parser")


def _is_solution(tag) -> bool:
    return tag.name == "div" and any(c.startswith("solution") for c in tag.get("class", []))


def _is_exercise(tag) -> bool:
    return tag.name == "div" and any(c.startswith("exercise") for c in tag.get("class", [])) \
        and "admonition" in tag.get("class", [])


def solution_snippets(solution) -> list[str]:
    """Paragraph texts, code lines and output lines of one rendered solution."""
    snippets = []
    for p in solution.find_all(["p", "li"]):
        snippets.append(_norm(p.get_text(" ")))
    for pre in solution.find_all("pre"):
        snippets.extend(_norm(line) for line in pre.get_text().splitlines())
    return [s for s in snippets if len(s) >= MIN_SNIPPET and not s.startswith("Solution to")]


def page_solutions(soup) -> dict[str, list[str]]:
    """Exercise label -> snippets of its solution, for every solution on an instructor page."""
    found = {}
    for i, div in enumerate(soup.find_all(_is_solution)):
        label = div.get("id") or f"solution-{i}"
        found[label] = solution_snippets(div)
    return found


@functools.lru_cache(maxsize=None)
def instructor_outside(lesson: str) -> str:
    return outside_solutions_text(_soup(INSTRUCTOR / "chapters" / f"{lesson}.html"))


def outside_solutions_text(soup) -> str:
    soup = BeautifulSoup(str(soup), "html.parser")
    for div in soup.find_all(_is_solution):
        div.decompose()
    return _norm(soup.get_text(" ")) + "\n" + "\n".join(
        _norm(line) for pre in soup.find_all("pre") for line in pre.get_text().splitlines())


def page_text(soup) -> str:
    return _norm(soup.get_text(" ")) + "\n" + "\n".join(
        _norm(line) for pre in soup.find_all("pre") for line in pre.get_text().splitlines())


@pytest.fixture(scope="module")
def builds():
    _require(INSTRUCTOR / "intro.html", "make book")
    _require(STUDENT / "intro.html", "make student")
    return INSTRUCTOR, STUDENT


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_solution_text_code_or_output_in_the_student_page(builds, lesson):
    instructor = _soup(INSTRUCTOR / "chapters" / f"{lesson}.html")
    student_page = _soup(STUDENT / "chapters" / f"{lesson}.html")
    solutions = page_solutions(instructor)
    outside = instructor_outside(lesson)
    student_text = page_text(student_page)
    assert not student_page.find_all(_is_solution), "a solution block is left in the student page"
    checked = 0
    for label, snippets in solutions.items():
        evidence = [s for s in snippets if s not in outside]
        assert evidence or not snippets, f"{lesson} {label}: every line also appears outside it"
        left = [s for s in evidence if s in student_text]
        assert not left, f"{lesson} {label}: solution text left in the student edition: {left[:3]}"
        checked += len(evidence)
    if solutions:
        assert checked, f"{lesson}: no solution text found to check in the instructor build"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_is_still_there(builds, lesson):
    def exercises(root):
        soup = _soup(root / "chapters" / f"{lesson}.html")
        return [(div.get("id"), _norm(div.get_text(" "))) for div in soup.find_all(_is_exercise)]

    mine, theirs = exercises(INSTRUCTOR), exercises(STUDENT)
    assert mine == theirs
    if lesson[:2].isdigit():
        assert mine, f"{lesson}: the instructor build shows no exercise"


def test_instructor_build_has_the_solutions_the_sources_have(builds):
    """The comparison above is only as good as the instructor build: it must show every solution."""
    for lesson in LESSONS:
        nb = json.loads((ROOT / "chapters" / f"{lesson}.ipynb").read_text("utf8"))
        _, removed = strip.strip_notebook(nb)
        shown = page_solutions(_soup(INSTRUCTOR / "chapters" / f"{lesson}.html"))
        assert len(shown) == len(removed), (lesson, sorted(shown), [r.label for r in removed])


@pytest.mark.parametrize("lesson", LESSONS)
def test_downloadable_notebook_has_no_solution(builds, lesson):
    """The .ipynb the student site offers for download: exercises in, solutions (code too) out."""
    offered = _require(STUDENT / "_sources" / "chapters" / f"{lesson}.ipynb", "make student")
    nb = json.loads(offered.read_text("utf8"))
    text = json.dumps(nb)
    assert "{solution" not in text
    source = json.loads((ROOT / "chapters" / f"{lesson}.ipynb").read_text("utf8"))
    _, removed = strip.strip_notebook(source)
    kept_sources = {"".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                    for c in nb["cells"]}
    for r in removed:
        for code in r.code:
            assert code not in kept_sources, f"{lesson} {r.label}: solution code cell downloadable"
    n_exercises = sum(("{exercise}" in s) for s in kept_sources)
    assert n_exercises == sum(
        ("{exercise}" in ("".join(c["source"]) if isinstance(c["source"], list) else c["source"]))
        for c in source["cells"])


def test_student_pages_and_pdf_say_which_edition(builds):
    for page in ("intro.html", "chapters/05_binary_cross_entropy.html"):
        student_text = _norm(_soup(STUDENT / page).get_text(" "))
        instructor_text = _norm(_soup(INSTRUCTOR / page).get_text(" "))
        assert "Student edition (without solutions)" in student_text
        assert "(student edition)" in _soup(STUDENT / page).title.get_text()
        assert "Instructor edition (with solutions)" in instructor_text
        assert "Student edition" not in instructor_text


def _pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDF")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return out


def test_student_pdf_has_exercises_and_no_solutions(builds):
    text = _pdf_text(_require(STUDENT_PDF, "make student"))
    flat = _norm(text)
    assert "Student edition (without solutions)" in flat
    assert "Solution to Exercise" not in flat
    assert flat.count("Exercise 1.1") >= 1 and "Exercise 10.1" in flat
    # the solutions' code lines (as in the notebooks) are nowhere in the PDF
    removed = json.loads((ROOT / "_build" / "student" / "removed.json").read_text("utf8"))
    outside = "\n".join(instructor_outside(n) for n in LESSONS)
    checked = 0
    for records in removed.values():
        for record in records:
            for code in record["code"]:
                for line in code.splitlines():
                    line = _norm(line)
                    if len(line) >= 24 and len(line) <= 70 and line not in outside:
                        assert line not in flat, f"{record['label']}: {line!r} in the student PDF"
                        checked += 1
    assert checked > 50


def test_pdf_has_no_toggle_labels():
    """Neither edition's PDF prints the "Click to hide"/"Click to show" toggle hints."""
    pdfs = [ROOT / "_build" / "pdf" / "cross-entropy-executably.pdf", STUDENT_PDF]
    present = [p for p in pdfs if p.is_file()]
    if not present:
        pytest.fail("no PDF built: run `make pdf` and `make student` first")
    for pdf in present:
        flat = _norm(_pdf_text(pdf))
        assert "Click to hide" not in flat and "Click to show" not in flat, pdf


def test_student_tree_never_touches_the_instructor_sources(tmp_path):
    """make student writes a copy; chapters/ keeps every solution (nbval runs on it)."""
    before = {p: p.read_bytes() for p in (ROOT / "chapters").glob("*.ipynb")}
    info = student.build_tree(tmp_path / "src")
    assert info["solutions"] >= 30
    assert {p: p.read_bytes() for p in (ROOT / "chapters").glob("*.ipynb")} == before
    assert sum(json.dumps(json.loads(b)).count("{solution") for b in before.values()) >= 30
