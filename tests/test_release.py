"""Releases (issue 24): one version everywhere, a changelog in the documented format, errata from it.

The version is written in celib/__init__.py, pyproject.toml, CITATION.cff, _config.yml
(sphinx.config.release, the site's footer) and CHANGELOG.md's newest release heading
(tools/editions/versions.py reads them); these tests fail as soon as two of them disagree.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "editions"))

import book_edition  # noqa: E402
import changelog  # noqa: E402
import versions  # noqa: E402

import celib  # noqa: E402


def test_every_place_has_the_same_version():
    found = versions.read_versions()
    assert set(found) == {"celib/__init__.py", "pyproject.toml", "CITATION.cff", "_config.yml",
                          "CHANGELOG.md"}
    assert len(set(found.values())) == 1, found
    assert versions.book_version() == celib.__version__


def test_the_version_follows_the_documented_scheme():
    year, term, patch = versions.parse_version(celib.__version__)
    assert term in (1, 2) and patch >= 0 and year >= 2027
    for bad in ("0.1.0", "2027.3.0", "2027.1", "2027.01.0", "v2027.1.0"):
        with pytest.raises(ValueError, match="YEAR.TERM.PATCH"):
            versions.parse_version(bad)


def test_the_installed_celib_metadata_matches(tmp_path):
    # pip install -e . records pyproject's version; a stale install means `make` must re-run
    assert importlib.metadata.version("celib") == celib.__version__, (
        "the installed celib metadata is stale: run `make .venv/.installed` again")


def test_a_disagreement_is_caught(tmp_path):
    for name in ("celib/__init__.py", "pyproject.toml", "CITATION.cff", "_config.yml", "CHANGELOG.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    assert versions.book_version(tmp_path) == celib.__version__
    versions.set_version("2099.2.7", tmp_path)  # rewrites all but the changelog
    assert set(versions.read_versions(tmp_path).values()) == {"2099.2.7", celib.__version__}
    with pytest.raises(ValueError, match="differs between places"):
        versions.book_version(tmp_path)
    text = (tmp_path / "CHANGELOG.md").read_text("utf8")
    (tmp_path / "CHANGELOG.md").write_text(
        text.replace("## " + celib.__version__, "## 2099.2.7 — 2099-08-01\n\n## " + celib.__version__, 1),
        encoding="utf8")
    assert versions.book_version(tmp_path) == "2099.2.7"


def test_changelog_releases_are_ordered_and_dated():
    releases = changelog.parse((ROOT / "CHANGELOG.md").read_text("utf8"))
    assert releases, "CHANGELOG.md has no release"
    dates = [r.date for r in releases]
    assert dates == sorted(dates, reverse=True), "newest release first"
    assert len({r.version for r in releases}) == len(releases)
    for release in releases[:-1]:  # every release but the first pilot follows the scheme
        versions.parse_version(release.version)
    # every correction says where the mistake was: "**Correction** (where): what"
    for release in releases:
        for entry in release.corrections():
            assert re.match(r"^\*\*Correction\*\* \(.+?\): \S", entry.text), entry.text


def test_errata_page_lists_every_correction():
    text = (ROOT / "CHANGELOG.md").read_text("utf8")
    page = changelog.fill_errata((ROOT / "chapters" / "errata.md").read_text("utf8"), text)
    releases = changelog.parse(text)
    corrections = [e for r in releases for e in r.corrections()]
    assert corrections, "the changelog marks no correction"
    for entry in corrections:
        where = re.match(r"^\*\*Correction\*\* \((.+?)\):", entry.text).group(1)
        assert f"In {where}:" in page
    for release in releases:
        if release.corrections():
            assert f"## Corrected in {release.version} ({release.date})" in page
    # an entry that is not a correction is not an erratum
    added = next(e for r in releases for e in r.entries if not e.is_correction)
    assert added.text not in page


def test_errata_from_a_small_changelog():
    text = ("# Changelog\n\n## 2027.1.1 — 2027-02-01\n\n### Corrections\n\n"
            "- **Correction** (*Cross-entropy*): the loss of\n  q = 0.5 is ln 2.\n"
            "### Added\n\n- A new figure.\n\n## 2027.1.0 — 2027-01-10\n\n### Added\n\n- All.\n")
    page = changelog.fill_errata("x\n<!-- errata:start -->\nold\n<!-- errata:end -->\n", text)
    assert "## Corrected in 2027.1.1 (2027-02-01)" in page
    assert "- In *Cross-entropy*: the loss of q = 0.5 is ln 2." in page
    assert "A new figure" not in page and "old" not in page and "2027.1.0" not in page


def test_footer_names_version_and_edition():
    assert "Version 2027.1.0" in book_edition.footer_html("2027.1.0", "student")
    assert "Student edition" in book_edition.footer_html("2027.1.0", "student")
    assert "Instructor edition" in book_edition.footer_html("2027.1.0", "instructor")
    with pytest.raises(ValueError, match="book_edition"):
        book_edition.footer_html("2027.1.0", "teacher")
