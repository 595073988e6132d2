"""Sphinx extension: the version and edition in every page's footer, and pages made from data.

Loaded through ``_config.yml`` (``local_extensions: book_edition: tools/editions``).

* Footer: "Version 2027.1.0 · Instructor edition (with solutions)" on every page, from the
  ``release`` config value (tools/editions/versions.py keeps it equal to celib's version) and the
  ``book_edition`` config value: ``instructor`` (``make book``, ``make instructor``) or ``student``
  (``make student`` writes ``book_edition: student`` into the student tree's ``_config.yml``).
* ``chapters/errata.md``: the list between its ``<!-- errata:start -->`` / ``<!-- errata:end -->``
  markers is made from CHANGELOG.md's corrections (tools/editions/changelog.py).
* ``chapters/instructor_guide.md`` and ``chapters/hub.md``: the tables between their markers
  (reading minutes, exercises, memory, launch links) come from tools/editions/guide.py.

Pages made from data are re-read on every build, so they cannot go stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import changelog  # noqa: E402

EDITIONS = {
    "instructor": "Instructor edition (with solutions)",
    "student": "Student edition (without solutions)",
}
GENERATED_PAGES = ("chapters/errata", "chapters/instructor_guide", "chapters/hub")


def edition_label(edition: str) -> str:
    try:
        return EDITIONS[edition]
    except KeyError:
        raise ValueError(f"book_edition must be one of {sorted(EDITIONS)}; got {edition!r}") from None


def footer_html(release: str, edition: str) -> str:
    return (f'<p class="book-edition">Version {release} &middot; {edition_label(edition)}</p>')


def _set_footer(app, config):
    if not config.release:
        raise ValueError("_config.yml: sphinx.config.release (the book's version) is not set")
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = footer_html(config.release, config.book_edition)
    config.html_theme_options = options


def _fill_on_read(app, docname, source):
    root = Path(app.srcdir)
    if docname == "chapters/errata":
        source[0] = changelog.fill_errata(source[0], (root / "CHANGELOG.md").read_text("utf8"))
    elif docname in ("chapters/instructor_guide", "chapters/hub"):
        import guide  # tools/editions/guide.py (reads the notebooks; imported only when needed)

        source[0] = guide.fill_page(docname, source[0], root, edition=app.config.book_edition)


def _always_reread(app, env, added, changed, removed):
    return [name for name in GENERATED_PAGES if name in env.found_docs]


def setup(app):
    app.add_config_value("book_edition", "instructor", "env")
    app.connect("config-inited", _set_footer)
    app.connect("source-read", _fill_on_read)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
