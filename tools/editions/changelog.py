"""Read CHANGELOG.md: its releases, their entries, and which entries correct published content.

The format (CHANGELOG.md's own header explains it to authors)::

    ## 2027.1.0 — 2026-12-06            <- a release: version, an em or en dash (or "-"), ISO date
    ### Corrections                     <- groups; any "###" heading
    - **Correction** (*KL divergence*): the divergence ... <- an entry: "- " and indented lines
      continued here.

An entry whose text starts with ``**Correction**`` corrects published content; the Errata page
(``chapters/errata.md``) lists those, newest release first, filled in at build time by
:func:`fill_errata` (called from the Sphinx extension ``tools/editions/book_edition.py``).

Example::

    >>> text = "## 2027.1.1 — 2027-02-01\\n### Corrections\\n- **Correction** (*Lesson 2*): x.\\n"
    >>> [(r.version, len(r.corrections())) for r in parse(text)]
    [('2027.1.1', 1)]
"""

from __future__ import annotations

import dataclasses
import re

RELEASE = re.compile(r"^## (?P<version>\S+) [—–-] (?P<date>\d{4}-\d\d-\d\d)\s*$")
CORRECTION = "**Correction**"
ERRATA_MARKERS = re.compile(r"(<!-- errata:start -->\n).*?(<!-- errata:end -->)", re.S)


@dataclasses.dataclass
class Entry:
    group: str
    text: str  # the entry's Markdown, continuation lines joined with spaces

    @property
    def is_correction(self) -> bool:
        return self.text.startswith(CORRECTION)


@dataclasses.dataclass
class Release:
    version: str
    date: str
    entries: list[Entry]

    def corrections(self) -> list[Entry]:
        return [e for e in self.entries if e.is_correction]


def parse(text: str) -> list[Release]:
    """The releases of a changelog, in file order (newest first)."""
    releases: list[Release] = []
    group = ""
    for line in text.splitlines():
        match = RELEASE.match(line)
        if match:
            releases.append(Release(match["version"], match["date"], []))
            group = ""
            continue
        if line.startswith("## "):  # a section that is not a release (e.g. "## Unreleased")
            releases.append(Release("", "", []))
            continue
        if not releases:
            continue
        if line.startswith("### "):
            group = line[4:].strip()
        elif line.startswith("- "):
            releases[-1].entries.append(Entry(group, line[2:].strip()))
        elif line.startswith("  ") and line.strip() and releases[-1].entries:
            entry = releases[-1].entries[-1]
            entry.text += " " + line.strip()
    return [r for r in releases if r.version]


def errata_markdown(releases: list[Release]) -> str:
    """The Errata page's list: one section per release that corrected something, newest first."""
    parts = []
    for release in releases:
        corrections = release.corrections()
        if not corrections:
            continue
        parts.append(f"## Corrected in {release.version} ({release.date})\n")
        for entry in corrections:
            body = entry.text[len(CORRECTION):].lstrip()
            # "(*Lesson*): what was wrong" -> "In *Lesson*: what was wrong"
            body = re.sub(r"^\((?P<where>.+?)\):\s*", r"In \g<where>: ", body)
            parts.append(f"- {body}")
        parts.append("")
    if not parts:
        return "No corrections so far.\n"
    return "\n".join(parts)


def fill_errata(page: str, changelog_text: str) -> str:
    """``page`` with the list between the errata markers replaced by the current one."""
    if not ERRATA_MARKERS.search(page):
        raise ValueError("the errata page has no '<!-- errata:start -->' ... "
                         "'<!-- errata:end -->' markers")
    listing = errata_markdown(parse(changelog_text))
    return ERRATA_MARKERS.sub(lambda m: m.group(1) + listing + m.group(2), page)
