"""Launch links on the built pages: the right URL per lesson with the repository setting, none without.

Two small books are built into temporary folders from this repository's own files (its
`_config.yml` with only the setting changed, `_ext/`, `tools/launch.py`, the intro and a few
pages), so the test checks the real extension and configuration without building all of the
site twice. The full site (`make book`) is built with the setting as committed: empty.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import launch  # noqa: E402

LESSONS = ["chapters/01_entropy", "chapters/05_binary_cross_entropy"]
NOT_LAUNCHABLE = ["chapters/appendix_frameworks", "chapters/appendix_glossary"]
REPO = "https://github.com/ada/ce-book"
HUB = "https://hub.example.edu"


def build(where: Path, url: str, hub: str) -> Path:
    """Build a small book with the given repository setting; return its html folder."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # every local Sphinx extension's folder (its modules may import their neighbours)
    modules = {p for folder in config["sphinx"]["local_extensions"].values() for p in (ROOT / folder).glob("*.py")}
    for path in sorted(modules) + [ROOT / n for n in ("intro.md", "references.bib", "tools/launch.py")]:
        target = where / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    shutil.copytree(ROOT / "assets", where / "assets", ignore=shutil.ignore_patterns("__pycache__"))
    (where / "chapters").mkdir()
    for doc in LESSONS + NOT_LAUNCHABLE:
        source = next((ROOT / doc).parent.glob(Path(doc).name + ".*"))
        shutil.copy2(source, where / "chapters" / source.name)
    config["repository"]["url"] = url
    config["launch_buttons"]["jupyterhub_url"] = hub
    (where / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    toc = {"format": "jb-book", "root": "intro",
           "chapters": [{"file": doc} for doc in LESSONS + NOT_LAUNCHABLE]}
    (where / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    # Not -W: the intro links pages this small book leaves out. The full build (make book) is strict.
    result = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(where),
                             "--path-output", str(where), "--builder", "html"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return where / "_build" / "html"


@pytest.fixture(scope="module")
def site_on(tmp_path_factory):
    return build(tmp_path_factory.mktemp("launch_on"), REPO, HUB)


@pytest.fixture(scope="module")
def site_off(tmp_path_factory):
    return build(tmp_path_factory.mktemp("launch_off"), "", HUB)


def page(html: Path, doc: str) -> BeautifulSoup:
    return BeautifulSoup((html / f"{doc}.html").read_text(), "html.parser")


def launch_hrefs(soup: BeautifulSoup) -> list[str]:
    return [a["href"] for a in soup.select("a[href]")
            if "mybinder.org" in a["href"] or "git-pull" in a["href"] or "/v2/" in a["href"]]


@pytest.mark.parametrize("doc", LESSONS)
def test_each_lesson_links_its_own_learner_copy(site_on, doc):
    settings = launch.LaunchSettings(repository_url=REPO, branch="main", jupyterhub_url=HUB)
    hrefs = launch_hrefs(page(site_on, doc))
    assert sorted(hrefs) == sorted([launch.binder_url(settings, doc), launch.nbgitpuller_url(settings, doc)])
    name = Path(doc).name
    assert f"lab%2Ftree%2Flab%2F{name}.ipynb" in launch.binder_url(settings, doc)


@pytest.mark.parametrize("doc", NOT_LAUNCHABLE)
def test_no_launch_link_where_the_lesson_stack_cannot_run_it(site_on, doc):
    assert launch_hrefs(page(site_on, doc)) == []


def test_intro_names_the_repository(site_on):
    soup = page(site_on, "intro")
    text = " ".join(soup.get_text(" ").split())  # code blocks are split into highlighted tokens
    assert soup.select(f'a[href="{REPO}"]')
    assert f"git clone {REPO}" in text
    assert f'celib[book] @ git+{REPO}' in text
    assert "does not name its source repository" not in text


def test_setting_off_no_launch_link_anywhere(site_off):
    pages = sorted(site_off.rglob("*.html"))
    assert len(pages) >= len(LESSONS) + len(NOT_LAUNCHABLE) + 1
    for path in pages:
        assert launch_hrefs(BeautifulSoup(path.read_text(), "html.parser")) == [], path
    text = " ".join(page(site_off, "intro").get_text(" ").split())
    assert "does not name its source repository" in text and "git clone" not in text


def test_links_load_nothing(site_on):
    """Plain links only: no script, stylesheet or image of the page comes from another host."""
    for doc in LESSONS:
        soup = page(site_on, doc)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
            for node in soup.find_all(tag):
                value = node.get(attr) or ""
                assert not value.startswith(("http:", "https:", "//")), f"{doc}: {tag} {value}"
