"""Every page of the built book, opened in headless Chromium, works as a page: the "site" checks.

For each page listed in _toc.yml (the root plus every `file:` entry, read from the toc, not from a
hard-coded list) the page must: load with HTTP 200; reference no asset on another host in its HTML
(script/link/img/iframe, and URLs inside inline scripts); log no console error and throw no page error;
show every <img> (naturalWidth > 0); typeset its math with the bundled MathJax; request nothing from
any host but the local server (other hosts are recorded and blocked, so the test also runs offline);
have every same-site link resolve to a built file, and every #fragment to an element id on its
target page; offer its source (.ipynb for a lesson notebook) for download.

The pages are visited once, by site_audit.py (shared with test_reader.py: accessibility, phone
width, collapsed checks). SCREENSHOTS=1 writes a full-page screenshot of each page to
_build/screenshots/<docname>.png for a human look (SCREENSHOTS=all adds dark-theme and phone-width ones).
"""

from __future__ import annotations

import book_toc
import pytest
import yaml
from site_audit import ROOT, toc_docnames

PAGES = toc_docnames()


@pytest.mark.parametrize("docname", PAGES, ids=PAGES)
def test_page(docname, audit):
    result = audit[docname]
    if result["site"]:
        pytest.fail(f"{docname} ({result.get('requests', 0)} requests):\n  - "
                    + "\n  - ".join(result["site"]), pytrace=False)


def test_toc_lists_pages():
    """Guard the parametrisation itself: an unreadable toc must not silently test nothing."""
    assert PAGES and PAGES[0] == book_toc.strip_suffix(yaml.safe_load((ROOT / "_toc.yml").read_text())["root"])
    assert len(PAGES) > 1, "the toc lists no chapter files"
