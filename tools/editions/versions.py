"""The book's and celib's one version, written in five places; read them, compare them, set them.

The scheme (CHANGELOG.md explains it) is ``YEAR.TERM.PATCH``: ``2027.1.0`` is the first release
for the teaching term that starts in the first half of 2027, ``2027.1.1`` its first errata release.
The places:

* ``celib/__init__.py``   ``__version__ = "..."``
* ``pyproject.toml``      ``version = "..."`` in ``[project]``
* ``CITATION.cff``        ``version: "..."``
* ``_config.yml``         ``sphinx.config.release`` (the site's footer shows it)
* ``CHANGELOG.md``        the newest ``## VERSION — DATE`` heading

Command line::

    python tools/editions/versions.py                 # print the five, exit 1 if they differ
    python tools/editions/versions.py --set 2027.1.1  # rewrite the first four (write the changelog
                                                      # entry yourself: it needs words)

Example::

    >>> parse_version("2027.1.0")
    (2027, 1, 0)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import changelog  # noqa: E402

VERSION = re.compile(r"^(?P<year>20\d\d)\.(?P<term>[12])\.(?P<patch>0|[1-9]\d*)$")

# (file, pattern whose group "v" is the version); one match expected in each file
PLACES = {
    "celib/__init__.py": re.compile(r'^__version__ = "(?P<v>[^"]*)"$', re.M),
    "pyproject.toml": re.compile(r'^\[project\][^\[]*?^version = "(?P<v>[^"]*)"$', re.M | re.S),
    "CITATION.cff": re.compile(r'^version: "(?P<v>[^"]*)"$', re.M),
    # (quoted in the repository's file; the student edition's generated copy may drop the quotes)
    "_config.yml": re.compile(r'^    release: "?(?P<v>[^"\s]+)"?$', re.M),
}


def parse_version(text: str) -> tuple[int, int, int]:
    """(year, term, patch) of a version in the book's scheme; ValueError otherwise."""
    match = VERSION.match(text)
    if not match:
        raise ValueError(f"version must be YEAR.TERM.PATCH with TERM 1 or 2 (e.g. 2027.1.0); "
                         f"got {text!r}")
    return int(match["year"]), int(match["term"]), int(match["patch"])


def read_versions(root: Path = ROOT) -> dict[str, str]:
    """Place -> the version written there (the changelog's newest release heading included)."""
    found = {}
    for name, pattern in PLACES.items():
        matches = list(pattern.finditer((root / name).read_text(encoding="utf8")))
        if len(matches) != 1:
            raise ValueError(f"{name}: expected one version line matching {pattern.pattern!r}, "
                             f"found {len(matches)}")
        found[name] = matches[0]["v"]
    releases = changelog.parse((root / "CHANGELOG.md").read_text(encoding="utf8"))
    if not releases:
        raise ValueError("CHANGELOG.md: no release heading '## VERSION — DATE'")
    found["CHANGELOG.md"] = releases[0].version
    return found


def book_version(root: Path = ROOT) -> str:
    """The version, after checking that every place agrees (ValueError naming them if not)."""
    found = read_versions(root)
    if len(set(found.values())) != 1:
        listing = ", ".join(f"{k}: {v}" for k, v in found.items())
        raise ValueError(f"the version differs between places ({listing}); "
                         "run tools/editions/versions.py --set VERSION and add a changelog entry")
    version = next(iter(found.values()))
    parse_version(version)
    return version


def set_version(new: str, root: Path = ROOT) -> list[str]:
    """Write ``new`` into every place but the changelog; the names of the files changed."""
    parse_version(new)
    changed = []
    for name, pattern in PLACES.items():
        path = root / name
        text = path.read_text(encoding="utf8")
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"{name}: no version line matching {pattern.pattern!r}")
        updated = text[:match.start("v")] + new + text[match.end("v"):]
        if updated != text:
            path.write_text(updated, encoding="utf8")
            changed.append(name)
    return changed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", metavar="VERSION", help="write VERSION into the four files")
    args = parser.parse_args(argv)
    if args.set:
        for name in set_version(args.set):
            print(f"{name}: {args.set}")
        print("now add a '## VERSION — DATE' section to CHANGELOG.md")
        return 0
    found = read_versions()
    for name, version in found.items():
        print(f"{version:12} {name}")
    return 0 if len(set(found.values())) == 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
