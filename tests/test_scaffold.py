"""`make new-lesson NAME=topic`: the scaffolded lesson passes hygiene, nbval and a strict build as it is.

In a temporary copy of the repository (its files as they are now): run the scaffold as
`make new-lesson` does (create, list in the toc, execute, record the peak memory), then
* the hygiene tests of every lesson (tests/test_hygiene.py, test_lessons.py, test_lab_hygiene.py,
  test_lab_copy.py, test_glossary_links.py) for the new lesson, and the toc test;
* nbval, strict, with the project's sanitiser;
* a strict site build of the new lesson (the project's _config.yml; every warning located in the
  new lesson fails): a small book of the new lesson and the pages it links, so the test stays
  fast; the full site is built with -W by `make book` in `make test` anyway.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tools" / "scaffold"))

import new_lesson  # noqa: E402
from test_downloaded_lesson import repository_copy  # noqa: E402

NAME = "label_noise"
HYGIENE = ["tests/test_hygiene.py", "tests/test_lessons.py", "tests/test_lab_hygiene.py",
           "tests/test_lab_copy.py", "tests/test_glossary_links.py"]


def run(cmd, cwd, **kw):
    env = dict(os.environ, CELIB_EXPLORER="static", MPLBACKEND="module://matplotlib_inline.backend_inline")
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    repo = repository_copy(tmp_path_factory.mktemp("clone"))
    expected = f"{new_lesson.next_number(ROOT / 'chapters'):02d}_{NAME}"
    # as `make new-lesson NAME=...` runs it
    out = run([sys.executable, "tools/scaffold/new_lesson.py", "--execute", NAME], cwd=repo).stdout.strip()
    assert out == f"chapters/{expected}.ipynb"
    assert f"tools/scaffold/new_lesson.py --execute $(NAME)" in (ROOT / "Makefile").read_text()
    return repo, repo / out


def test_listed_in_the_toc_as_a_numbered_chapter(scaffolded):
    repo, path = scaffolded
    toc = yaml.safe_load((repo / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p["caption"] == new_lesson.NEW_PART)
    assert part["numbered"] is True and part["chapters"][-1] == {"file": f"chapters/{path.stem}"}
    captions = [p["caption"] for p in toc["parts"]]
    assert captions.index(new_lesson.NEW_PART) == captions.index("Reference") - 1


def test_second_lesson_joins_the_part(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "07_x.ipynb").write_text("{}")
    (tmp_path / "_toc.yml").write_text((ROOT / "_toc.yml").read_text())
    for name in ("alpha", "beta"):
        assert new_lesson.main([name, "--root", str(tmp_path)]) == 0
    toc = yaml.safe_load((tmp_path / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p["caption"] == new_lesson.NEW_PART)
    assert part["chapters"] == [{"file": "chapters/08_alpha"}, {"file": "chapters/09_beta"}]
    assert new_lesson.main(["alpha", "--root", str(tmp_path)]) == 2      # exists already
    assert new_lesson.main(["Bad-Name", "--root", str(tmp_path)]) == 2


def test_hygiene(scaffolded):
    repo, path = scaffolded
    # every parametrised test of the new lesson, plus the toc <-> chapters test
    run([str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *HYGIENE,
         "-k", f"{path.stem} or toc_and_chapters_match"], cwd=repo)
    listed = run([str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
                  *HYGIENE, "-k", path.stem], cwd=repo).stdout
    assert len(re.findall(path.stem, listed)) >= 8, "the hygiene tests did not pick up the new lesson"


def test_nbval_strict(scaffolded):
    repo, path = scaffolded
    run([str(BIN / "python"), "-m", "pytest", "-q", "--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
         "-p", "no:cacheprovider", str(path.relative_to(repo))], cwd=repo)


def test_strict_build(scaffolded):
    """Every warning the new lesson causes fails, as under `make book`'s -W.

    The small book holds the new lesson and the pages it links (the framework appendix for its
    claim link, the glossary for its {term} links); those two link the rest of the book, which is
    not here, so only warnings located in the new lesson count. The full site is built with -W by
    `make book`.
    """
    repo, path = scaffolded
    book = repo / "_newlesson_book"
    (book / "chapters").mkdir(parents=True)
    for item in ("_ext", "assets", "tests", "tools", "references.bib", "_config.yml"):
        os.symlink(repo / item, book / item)
    pages = [path] + [repo / "chapters" / n for n in ("appendix_frameworks.ipynb", "_fwprobe.py", "appendix_glossary.md")]
    for page in pages:
        os.symlink(page, book / "chapters" / page.name)
    (book / "index.md").write_text("# A new lesson\n\n```{tableofcontents}\n```\n")
    (book / "_toc.yml").write_text(yaml.safe_dump({
        "format": "jb-book", "root": "index",
        "parts": [{"caption": "New", "numbered": True, "chapters": [{"file": f"chapters/{path.stem}"}]},
                  {"caption": "Reference", "chapters": [{"file": "chapters/appendix_frameworks"},
                                                        {"file": "chapters/appendix_glossary"}]}]}))
    result = run([str(BIN / "jupyter-book"), "build", str(book), "--path-output", str(book), "--builder", "html",
                  "-n", "--keep-going"], cwd=repo)
    log = result.stdout + result.stderr
    assert "WARNING" in log, "the small book's other pages should warn about the missing pages (sanity)"
    ours = [line for line in log.splitlines() if path.name in line and ("WARNING" in line or "ERROR" in line)]
    assert ours == []
    html = (book / "_build" / "html" / "chapters" / f"{path.stem}.html").read_text()
    assert "Going deeper: " in html and "Solution to" in html and f"fig-ch{path.stem[:2]}-picture" in html
