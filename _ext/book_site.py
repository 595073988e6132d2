"""Fixes to the HTML that Sphinx and the theme write (loaded through `sphinx.local_extensions` in
_config.yml; 1 and 2 are checked by the axe audit in tests/browser, 3 by `make pdf`).

1. Bibliography structure. docutils writes the citation list as
   ``<div role="list" class="citation-list">`` whose children are
   ``<div class="citation" role="doc-biblioentry">``. axe-core 4.x rejects that: a ``list`` must
   own ``listitem`` children (critical: aria-required-children), and ``doc-biblioentry`` is a
   deprecated role that a ``div`` may not take (minor, once per entry). Each entry becomes a
   ``listitem``: a list of references is what the page is.
2. Landmarks. pydata-sphinx-theme's primary sidebar (book title and table of contents) is a bare
   ``<div>``, so axe reports the title outside any landmark (moderate: region). It becomes a
   labelled ``complementary`` landmark that holds the table-of-contents ``<nav>``.

3. The single-page build (`--builder singlehtml`, printed to PDF by tools/pdf/build_pdf.py).
   Sphinx looks up a custom node's HTML handlers under the builder's name and falls back to the
   `html` ones only when no extension registered any for that name. sphinx-exercise registers
   `singlehtml` handlers, so myst-nb's and others' `html`-only nodes (HideCodeCellNode, ...) crash
   the build. Missing `singlehtml` handlers are copied from `html`.

1 and 2 are plain string replacements of markup whose exact form is asserted here: if a new Sphinx or
theme writes it differently, the build fails loudly instead of silently dropping a fix.
"""

from __future__ import annotations

from pathlib import Path

BIBLIO_OLD = 'role="doc-biblioentry"'
BIBLIO_NEW = 'role="listitem"'
SIDEBAR_OLD = '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar'
SIDEBAR_NEW = ('<div id="pst-primary-sidebar" role="complementary" aria-label="Book contents" '
               'class="bd-sidebar-primary bd-sidebar')


def _fix_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and BIBLIO_OLD in body:
        context["body"] = body.replace(BIBLIO_OLD, BIBLIO_NEW)


def _fix_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    pages = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
    missing = []
    for page in pages:
        text = page.read_text(encoding="utf8")
        if SIDEBAR_OLD in text:
            page.write_text(text.replace(SIDEBAR_OLD, SIDEBAR_NEW, 1), encoding="utf8")
        elif SIDEBAR_NEW not in text and 'id="pst-primary-sidebar"' in text:
            missing.append(page.relative_to(outdir).as_posix())
    if missing:
        raise RuntimeError(
            "book_site: the theme's primary sidebar markup changed; update SIDEBAR_OLD in "
            f"_ext/book_site.py (pages: {', '.join(missing[:3])})"
        )


def _singlehtml_handlers(app):
    handlers = app.registry.translation_handlers
    if "singlehtml" in handlers:
        for node, visitors in handlers.get("html", {}).items():
            handlers["singlehtml"].setdefault(node, visitors)


def setup(app):
    app.connect("builder-inited", _singlehtml_handlers)
    app.connect("html-page-context", _fix_body)
    app.connect("build-finished", _fix_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
