"""The PDF of the book (`make pdf` writes it and runs this file; `make test` runs `make pdf`).

Checked with poppler-utils (pdftotext, pdfinfo, pdfimages), on the finished file:
* every chapter title from _toc.yml (the first `# ` heading of each page's source) is in the text,
  and all of them are on the contents pages at the front;
* the seed numbers 0.16, 3.0 and 0.5665 appear;
* math was typeset (no raw `\\(`, `\\[` or `$$` left in the text);
* at least as many images as the lessons have figures;
* nothing runs off the page: every word's box lies inside the page width.
Missing PDF: a failure under CI=true, a skip otherwise (run `make pdf`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import book_toc  # noqa: E402

PDF = Path(os.environ.get("BOOK_PDF", ROOT / "_build" / "pdf" / "cross-entropy-executably.pdf"))
SEED_NUMBERS = ("0.16", "3.0", "0.5665")
CONTENTS_PAGES = 3


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        message = f"{tool} not found: install poppler-utils (Debian: apt-get install poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def pdf() -> Path:
    if not PDF.is_file():
        message = f"{PDF} does not exist: run `make pdf`"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return PDF


def _normalise(text: str) -> str:
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl").replace("\u00ad", "")
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().casefold()


@lru_cache(maxsize=None)
def _text(path: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = [_need("pdftotext"), "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    return subprocess.run(cmd + [str(path), "-"], check=True, capture_output=True, text=True).stdout


def chapter_titles(root: Path = ROOT) -> dict[str, str]:
    """{docname: title}: the first level-1 heading of each toc page (the root page excluded)."""
    titles = {}
    for name in list(dict.fromkeys(book_toc.toc_docnames(root)))[1:]:
        ipynb, md = root / (name + ".ipynb"), root / (name + ".md")
        if ipynb.is_file():
            nb = json.loads(ipynb.read_text(encoding="utf8"))
            sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                       for c in nb["cells"] if c["cell_type"] == "markdown"]
        elif md.is_file():
            sources = [md.read_text(encoding="utf8")]
        else:
            continue
        for source in sources:
            match = re.search(r"^# (.+)$", source, flags=re.M)
            if match:
                titles[name] = match.group(1).strip()
                break
    return titles


def test_toc_titles_found():
    titles = chapter_titles()
    assert len(titles) >= 10, f"only {len(titles)} chapter titles read from the sources: {titles}"


def test_every_chapter_title_in_the_pdf(pdf):
    text = _normalise(_text(pdf))
    front = _normalise(_text(pdf, 1, CONTENTS_PAGES))
    missing = [f"{name}: {title!r}" for name, title in chapter_titles().items()
               if _normalise(title) not in text]
    not_listed = [f"{name}: {title!r}" for name, title in chapter_titles().items()
                  if _normalise(title) not in front]
    assert not missing, "chapter titles not in the PDF text:\n  " + "\n  ".join(missing)
    assert "contents" in front, f"no table of contents in the first {CONTENTS_PAGES} pages"
    assert not not_listed, (f"chapters missing from the contents (first {CONTENTS_PAGES} pages):\n  "
                            + "\n  ".join(not_listed))


def test_seed_numbers_in_the_pdf(pdf):
    text = _text(pdf)
    missing = [n for n in SEED_NUMBERS if not re.search(r"(?<![\d.])" + re.escape(n) + r"(?!\d)", text)]
    assert not missing, f"seed numbers not in the PDF text: {missing}"


def test_math_typeset(pdf):
    raw = sorted(set(re.findall(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\log", _text(pdf))))
    assert not raw, f"raw TeX in the PDF text (MathJax did not typeset it?): {raw}"


def test_figures_present(pdf):
    from lesson_report import analyse, lesson_notebooks

    figures = sum(analyse(p)["figures"] for p in lesson_notebooks())
    listing = subprocess.run([_need("pdfimages"), "-list", str(pdf)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    images = [ln for ln in listing if ln.split() and ln.split()[2] == "image"]
    assert len(images) >= figures, f"{len(images)} images in the PDF, the lessons have {figures} figures"


def test_nothing_runs_off_the_page(pdf):
    out = subprocess.run([_need("pdftotext"), "-bbox", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    problems = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", out, flags=re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page):
            if float(x_max) > width + 0.5:
                problems.append(f"page {number}: {word!r} ends at x={float(x_max):.0f} > {width:.0f}")
    assert not problems, f"{len(problems)} word(s) run off the page:\n  " + "\n  ".join(problems[:20])
