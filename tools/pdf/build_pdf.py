"""Print the single-page build of the book to PDF with Debian's Chromium, offline.

    make pdf   # = jupyter-book build . --builder singlehtml  +  this script

Jupyter Book's own `pdfhtml` builder downloads a browser (pyppeteer) and fails offline, and a LaTeX
build needs a TeX installation; the system Chromium (already needed by the browser tests) prints
the single-page HTML build instead: the same stored outputs, glued numbers and figures as the site.

What the script does to the page before printing (nothing is changed on disk):
  * waits for every image (lazy ones made eager) and for MathJax to finish typesetting;
  * checks that sphinx-book-theme's print header is there (book title and a linked table of
    contents: parts and chapters), puts it on a page of its own, starts each chapter on a new page;
  * print CSS (assets/book.css, @media print) wraps long code lines instead of clipping them and
    leaves the collapsed checks collapsed: the PDF shows what the site shows without a click.
The PDF gets an outline (bookmarks) and page numbers in the footer.
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "tests"))

from site_audit import CHROMIUM_ARGS, JS_WAIT_FOR_IMAGES, SiteServer  # noqa: E402

PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
@media print {
  html, body { font-size: 10.5pt; }
  .bd-main .bd-content .bd-article-container { max-width: 100%; }
  .bd-article { padding: 0 !important; }
  /* title + contents page (sphinx-book-theme's print header), then each chapter (a document
     included in the single page) on a new page */
  #jb-print-docs-body { break-after: page; }
  #jb-print-toc ul { list-style: none; padding-left: 0; }
  #jb-print-toc li { margin: 0.2em 0; }
  #jb-print-toc p.caption { font-weight: bold; margin: 0.9em 0 0.2em; }
  span[id^="document-"] + section { break-before: page; }
  /* a code cell or output shorter than a page is not split across two */
  .cell_input, .cell_output, div.highlight, figure { break-inside: avoid; }
  .headerlink, .prev-next-area, .bd-footer, .bd-footer-article, .bd-footer-content,
  .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article-items,
  button.copybtn, .copybtn { display: none !important; }
  /* sphinx-togglebutton opens every toggle before printing and its button then reads
     "Click to hide" (content: attr(data-toggle-hint)): the printed page has nothing to click */
  button.toggle-button, .toggle-button::before, .toggle-button::after { display: none !important; }
}
"""

def build_pdf(site_dir: Path, out: Path, chromium: str, footer_label: str = "") -> dict:
    from playwright.sync_api import sync_playwright

    page_file = "intro.html" if (site_dir / "intro.html").is_file() else "index.html"
    started = time.perf_counter()
    with SiteServer(site_dir) as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 1400})
            origin = base_url.rstrip("/")
            # offline: anything for another host is refused
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(origin) else r.abort())
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(base_url + page_file, wait_until="load")
            images = page.evaluate(JS_WAIT_FOR_IMAGES)
            broken = [i["src"] for i in images if not i["width"]]
            if broken:
                raise RuntimeError(f"{len(broken)} image(s) did not load: {broken[:3]}")
            if page.locator(".math").count():
                page.wait_for_function("() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise")
                page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
                untypeset = page.evaluate(
                    "() => Array.from(document.querySelectorAll('.math')).filter(el => !el.querySelector('mjx-container')).length")
                if untypeset:
                    raise RuntimeError(f"{untypeset} math element(s) were not typeset by MathJax")
            # sphinx-book-theme prints the book title and a linked table of contents (parts and
            # chapters) before the content of a single-page build: make sure it is there.
            chapters = page.locator("#jb-print-toc a[href]").count()
            if not chapters:
                raise RuntimeError("no table of contents: #jb-print-toc (sphinx-book-theme) is missing")
            page.add_style_tag(content=PRINT_CSS)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(out),
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
                outline=True,
                tagged=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                    'Cross-Entropy, Executably &middot; '
                    + (f'{html.escape(footer_label)} &middot; ' if footer_label else '')
                    + '<span class="pageNumber"></span> / '
                    '<span class="totalPages"></span></div>'),
            )
        finally:
            browser.close()
    return {"toc_entries": chapters, "images": len(images), "seconds": time.perf_counter() - started}


def main(argv: list[str]) -> int:
    from chromium import find_chromium  # tests/chromium.py, on the path since site_audit's import

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", help="the singlehtml build folder (holds intro.html)")
    parser.add_argument("out", help="the PDF to write")
    parser.add_argument("--footer-label", default="",
                        help='printed in every page footer, e.g. "Student edition" (make student)')
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if not chromium:
        print("build_pdf: Chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    info = build_pdf(Path(args.site).resolve(), Path(args.out), chromium, args.footer_label)
    size = Path(args.out).stat().st_size / 1e6
    print(f"build_pdf: wrote {args.out} ({size:.1f} MB; {info['toc_entries']} contents entries, "
          f"{info['images']} images) in {info['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
