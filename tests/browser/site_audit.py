"""Open every page of the built book in ONE headless Chromium, a few pages at a time, and record what
a reader would meet. The tests (test_site.py, test_reader.py) only look the results up, so each page
is loaded once for all of them; `python tests/browser/site_audit.py [SITE_DIR]` prints the same
findings as a markdown report (used for the before/after numbers on the verification page).

Per page (docnames from _toc.yml, root first), at 1280x900 in the light theme:
  * the "site" checks: HTTP 200, no asset on another host written into the HTML, no console error,
    every <img> shown, math typeset by the bundled MathJax, no request to another host (blocked and
    recorded, so this runs offline), every same-site link and #fragment resolves, the source is
    offered for download;
  * an axe-core audit (axe-playwright-python's bundled axe.min.js), then the dark theme is switched on
    in place and axe's colour-contrast rule runs again;
  * code-cell inputs that are visible without opening a toggle, with their lines: a line starting with
    `assert` or containing `glue(` there is bookkeeping shown in front of the reader;
then the same page is resized to a 390x844 phone viewport: any element of the main content whose box
reaches past the viewport's right edge without a scrolling ancestor inside the viewport is overflow.
With SCREENSHOTS=1 a full-page PNG per page (desktop, light) goes to <site>/../screenshots/ for a
human look; SCREENSHOTS=all adds dark-theme and phone-width ones. (Off by default: they are not a
check and cost about a sixth of the run.)
"""

from __future__ import annotations

import asyncio
import base64
import functools
import http.server
import json
import os
import re
import sys
import threading
import time
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))  # tests/ (book_toc)

import book_toc  # noqa: E402

SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]")
# MathJax's noundefined package prints an unknown macro as red text instead of an error.
RAW_MACRO = re.compile(r"\\[A-Za-z]+")
PAGE_TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SERIOUS = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
CHECK_LINE = re.compile(r"^\s*assert\b|glue\(")
# The dark-theme contrast pass costs as much as the full light audit, and the theme's CSS is the
# same on every page, so by default it runs on pages that together hold every kind of element the
# book uses: the site chrome (intro), a lesson (admonitions, exercises, code and its output, glued
# numbers, figures, math), tabs and wide tables (cheat sheet), the bibliography. (The API page, the
# longest to audit, only adds signatures: AXE_DARK=all, the default of the command-line report,
# audits every page in the dark theme too.)
DARK_SAMPLE = ("intro", "chapters/01_entropy", "chapters/appendix_cheatsheet", "chapters/bibliography")
# Pages audited at once: Chromium renders in its own processes, so a few pages in flight keep two
# cores busy without thrashing.
CONCURRENCY = int(os.environ.get("BROWSER_PAGES", "3"))

from chromium import CHROMIUM_ARGS, find_chromium  # noqa: E402,F401  (tests/chromium.py)


def toc_docnames(root: Path = ROOT) -> list[str]:
    """Root first, then every `file:` (and expanded `glob:`) entry in toc order; `url:` is skipped."""
    return list(dict.fromkeys(book_toc.toc_docnames(root)))


@lru_cache(maxsize=1)
def toc_names() -> frozenset[str]:
    return frozenset(toc_docnames())


def source_of(docname: str) -> Path | None:
    for suffix in SOURCE_SUFFIXES:
        path = ROOT / (docname + suffix)
        if path.is_file():
            return path
    return None


# --------------------------------------------------------------------------- static HTML helpers


class _IdCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "id" or (key == "name" and tag == "a")):
                self.ids.add(value)


class _RemoteRefCollector(HTMLParser):
    """Asset references to other hosts in the HTML itself, including URLs inside inline scripts
    (e.g. a lazily loaded bundle such as thebe's, which no page load would reveal)."""

    ASSET_ATTRS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
                   "video": "src", "audio": "src", "object": "data"}
    LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest",
                 "preconnect", "dns-prefetch"}
    REMOTE = re.compile(r"https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'<>]*")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        url = None
        if tag in self.ASSET_ATTRS:
            url = attrs.get(self.ASSET_ATTRS[tag])
        elif tag == "link" and self.LINK_RELS & set((attrs.get("rel") or "").split()):
            url = attrs.get("href")
        if url and re.match(r"(https?:)?//", url):
            self.remote.append(f"<{tag}> {url}")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.remote += [f"inline <script> {m}" for m in self.REMOTE.findall(data)]


def remote_references(html_file: Path) -> list[str]:
    collector = _RemoteRefCollector()
    collector.feed(html_file.read_text(encoding="utf8", errors="replace"))
    return collector.remote


@lru_cache(maxsize=None)
def ids_in(html_file: Path) -> frozenset[str]:
    collector = _IdCollector()
    collector.feed(html_file.read_text(encoding="utf8", errors="replace"))
    return frozenset(collector.ids)


def check_internal_link(href: str, site_dir: Path, here: Path) -> str | None:
    """None if a same-site link resolves, else what is wrong with it."""
    parts = urlsplit(href)
    rel = unquote(parts.path).lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    target = (site_dir / rel).resolve()
    if not target.is_relative_to(site_dir.resolve()) or not target.is_file():
        hint = " (make pdf copies the book's PDF into the site)" if rel.endswith(".pdf") else ""
        return f"{href} -> no file {rel} in the built site{hint}"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in ids_in(target):
        where = "this page" if target == here.resolve() else rel
        return f"{href} -> no element with id {fragment!r} on {where}"
    return None


# --------------------------------------------------------------------------- in-page JavaScript

JS_WAIT_FOR_IMAGES = """
async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { if (img.loading === 'lazy') img.loading = 'eager'; }
  const settle = img => img.complete ? null : new Promise(resolve => {
    img.addEventListener('load', resolve, {once: true});
    img.addEventListener('error', resolve, {once: true});
  });
  await Promise.race([
    Promise.all(imgs.map(settle)),
    new Promise(resolve => setTimeout(resolve, 10000)),
  ]);
  return imgs.map(img => ({src: img.getAttribute('src'), width: img.naturalWidth}));
}
"""

# Live explorers (assets/celib-explorer.js) draw after the load event: audit them drawn.
JS_WAIT_EXPLORERS = """
async () => {
  const done = () => [...document.querySelectorAll('.celib-explorer')].every(e => e.dataset.ready || e.dataset.error);
  for (let waited = 0; !done() && waited < 10000; waited += 50) await new Promise(r => setTimeout(r, 50));
}
"""

JS_MATH_REPORT = """
() => Array.from(document.querySelectorAll('.math')).map(el => {
  const err = el.querySelector('mjx-merror');
  return {
    typeset: el.querySelector('mjx-container') !== null,
    text: el.innerText,
    source: el.textContent.slice(0, 80),
    error: err ? (err.getAttribute('data-mjx-error') || err.textContent) : null,
  };
})
"""

# Code-cell inputs a reader sees without opening anything: rendered (checkVisibility is false inside
# a closed <details>, i.e. behind myst-nb's hide-input/hide-cell toggle) and not removed.
JS_VISIBLE_CODE = """
() => Array.from(document.querySelectorAll('div.cell div.cell_input')).map((el, i) => ({
  index: i,
  visible: el.checkVisibility({visibilityProperty: true}),
  text: el.innerText,
}))
"""

# Elements of the main content sticking out past the viewport's right edge (a horizontal scroll of
# the page). An element inside an ancestor that scrolls or clips horizontally and itself fits in
# the viewport is fine: the reader scrolls that box, not the page. Reported outermost first.
JS_OVERFLOW = """
() => {
  const vw = document.documentElement.clientWidth;
  const main = document.querySelector('main') || document.body;
  const clips = el => {
    const s = getComputedStyle(el);
    return ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX);
  };
  const bad = [];
  const seen = new Set();
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + 1) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    // off-canvas drawers (the theme's sidebars at phone width) are fixed: they never scroll the page
    let fixed = false;
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).position === 'fixed') { fixed = true; break; }
    }
    if (fixed) continue;
    // contained by a scrolling/clipping ancestor that itself fits?
    let contained = false;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (clips(a) && a.getBoundingClientRect().right <= vw + 1) { contained = true; break; }
    }
    if (contained) continue;
    // report only the outermost offender
    let outer = false;
    for (let a = el.parentElement; a; a = a.parentElement) { if (seen.has(a)) { outer = true; break; } }
    seen.add(el);
    if (outer) continue;
    const cls = (el.getAttribute('class') || '').split(/\\s+/).filter(Boolean).slice(0, 3).join('.');
    bad.push({
      element: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (cls ? '.' + cls : ''),
      right: Math.round(r.right),
      text: (el.innerText || el.getAttribute('alt') || '').replace(/\\s+/g, ' ').slice(0, 70),
    });
  }
  return {
    viewport: vw,
    scrollWidth: document.documentElement.scrollWidth,
    elements: bad,
  };
}
"""

# Switch the page to the theme's dark mode in place (what its colour-mode button does).
# Code blocks (syntax-highlighted inputs, outputs) hold most of a lesson's text elements and make up
# half of axe's colour-contrast time. axe checks them on the DARK_SAMPLE pages; on the others this
# does the same arithmetic (WCAG 2 contrast of each distinct colour on its block's background, AA
# 4.5:1) on the computed styles, in a fraction of the time. Reported like an axe "serious" finding.
JS_CODE_CONTRAST = """
() => {
  const lum = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const [r, g, b, a] = m[1].split(',').map(Number);
    if (a === 0) return null;
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let a = el; a; a = a.parentElement) {
      const l = lum(getComputedStyle(a).backgroundColor);
      if (l !== null) return [l, getComputedStyle(a).backgroundColor];
    }
    return [1, 'white'];
  };
  const seen = new Map();
  for (const pre of document.querySelectorAll('.bd-article pre')) {
    if (!pre.checkVisibility()) continue;
    const [bl, bg] = background(pre);
    for (const el of [pre, ...pre.querySelectorAll('*')]) {
      if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
      const fg = getComputedStyle(el).color;
      const key = fg + '|' + bg;
      if (seen.has(key)) { seen.get(key).count++; continue; }
      const fl = lum(fg);
      const ratio = fl === null ? 21 : (Math.max(fl, bl) + 0.05) / (Math.min(fl, bl) + 0.05);
      seen.set(key, {fg, bg, ratio, count: 1, cls: el.className || el.tagName.toLowerCase(),
                     text: el.textContent.trim().slice(0, 40)});
    }
  }
  return Array.from(seen.values()).filter(v => v.ratio < 4.5);
}
"""

JS_DARK = """
() => {
  document.documentElement.dataset.theme = 'dark';
  document.documentElement.dataset.mode = 'dark';
  return getComputedStyle(document.body).backgroundColor;
}
"""


def _axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT
    return AXE_SCRIPT


def _summarise_axe(response: dict) -> list[dict]:
    out = []
    for v in response.get("violations", []):
        out.append({
            "id": v["id"],
            "impact": v.get("impact") or "minor",
            "help": v.get("help", ""),
            "count": len(v.get("nodes", [])),
            "targets": [", ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:4]],
            "summaries": [(n.get("failureSummary") or "").replace("\n", " ")[:300]
                          for n in v.get("nodes", [])[:2]],
            "html": [(n.get("html") or "")[:160] for n in v.get("nodes", [])[:3]],
        })
    return out


# --------------------------------------------------------------------------- one page


async def _save_png(context, page, path: Path) -> None:
    """Full-page PNG through Chromium's own capture (optimizeForSpeed: faster PNG compression)."""
    try:
        cdp = await context.new_cdp_session(page)
        size = (await cdp.send("Page.getLayoutMetrics"))["cssContentSize"]
        shot = await cdp.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "optimizeForSpeed": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        })
        path.write_bytes(base64.b64decode(shot["data"]))
        await cdp.detach()
    except Exception:  # noqa: BLE001 - any CDP trouble: use Playwright's portable path
        await page.screenshot(path=str(path), full_page=True)


async def audit_page(browser, base_url: str, site_dir: Path, docname: str, *, screenshots: str,
                     shot_dir: Path, axe: bool = True) -> dict:
    result = {"docname": docname, "site": [], "axe": [], "axe_dark": [], "visible_code": [],
              "overflow": None, "seconds": 0.0, "phases": {}}
    started = time.perf_counter()
    last = [started]

    def phase(name):
        now = time.perf_counter()
        result["phases"][name] = round(now - last[0], 2)
        last[0] = now
    problems = result["site"]
    origin = base_url.rstrip("/")
    url = base_url + quote(docname) + ".html"
    html_file = site_dir / (docname + ".html")

    context = await browser.new_context(viewport=DESKTOP, service_workers="block",
                                        color_scheme="light")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    requested: list[str] = []
    foreign: list[str] = []
    console_errors: list[str] = []
    failed_local: list[str] = []

    def on_request(request):
        requested.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and f"{parts.scheme}://{parts.netloc}" != origin:
            foreign.append(request.url)

    async def route(route):
        # Anything for another host is aborted (and reported via on_request): the check must
        # not depend on whether this machine happens to be online.
        parts = urlsplit(route.request.url)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            await route.continue_()
        else:
            await route.abort()

    def on_response(response):
        if response.url.startswith(origin) and response.status >= 400:
            failed_local.append(f"HTTP {response.status} {response.url}")

    def on_request_failed(request):
        if request.url.startswith(origin):
            failed_local.append(f"failed ({request.failure}) {request.url}")

    context.on("request", on_request)
    context.on("response", on_response)
    context.on("requestfailed", on_request_failed)
    await context.route("**/*", route)
    page = await context.new_page()
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(f"page error: {exc}"))

    try:
        response = await page.goto(url, wait_until="load")
        status = response.status if response else None
        if status != 200:
            problems.append(f"{url} answered HTTP {status}, expected 200")

        # The theme animates colour changes; axe must measure final colours, not a transition.
        await page.add_style_tag(content="*, *::before, *::after { transition: none !important;"
                                         " animation: none !important; }")

        for ref in remote_references(html_file):
            problems.append(f"remote reference in the HTML: {ref}")

        await page.evaluate(JS_WAIT_EXPLORERS)

        for img in await page.evaluate(JS_WAIT_FOR_IMAGES):
            if not img["width"]:
                problems.append(f"image not shown (naturalWidth 0): {img['src']}")

        if await page.locator(".math").count():
            try:
                await page.wait_for_function(
                    "() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise"
                )
                await page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
            except Exception as exc:  # noqa: BLE001 - reported as a page problem
                problems.append(f"MathJax did not start: {str(exc).splitlines()[0]}")
            report = await page.evaluate(JS_MATH_REPORT)
            if not await page.locator("mjx-container").count():
                problems.append("page has math but no mjx-container: math was not typeset")
            untypeset = [item["source"] for item in report if not item["typeset"]]
            if untypeset:
                shown = ", ".join(repr(src) for src in untypeset[:8])
                more = f" and {len(untypeset) - 8} more" if len(untypeset) > 8 else ""
                problems.append(f"{len(untypeset)} of {len(report)} math elements not typeset: {shown}{more}")
            for item in report:
                if not item["typeset"]:
                    continue
                if item["error"]:
                    problems.append(f"MathJax error: {item['error']}")
                elif RAW_TEX.search(item["text"] or ""):
                    problems.append(f"raw TeX delimiters visible in math: {item['text'][:80]!r}")
                elif RAW_MACRO.search(item["text"] or ""):
                    problems.append(f"TeX command shown raw (undefined macro?): {item['source']!r}")

        hrefs = await page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)")
        local = sorted({h for h in hrefs if h.startswith(origin + "/")})
        for href in local:
            error = check_internal_link(href, site_dir, html_file)
            if error:
                problems.append(f"broken link: {error}")

        source = source_of(docname)
        if source is None:
            problems.append(f"{docname}: no source file (.ipynb/.md) in the repository")
        else:
            offered = f"{origin}/_sources/{quote(docname + source.suffix)}"
            if offered not in local:
                problems.append(f"no download link to {source.suffix} source ({offered})")
            copy = site_dir / "_sources" / (docname + source.suffix)
            if source.suffix == ".ipynb" and copy.is_file():
                try:
                    nb = json.loads(copy.read_text(encoding="utf8"))
                    if nb.get("nbformat") != 4 or "cells" not in nb:
                        problems.append(f"downloadable {copy.name} is not an nbformat-4 notebook")
                except ValueError as exc:
                    problems.append(f"downloadable {copy.name} is not JSON: {exc}")

        phase("load+site checks")
        result["visible_code"] = await page.evaluate(JS_VISIBLE_CODE)

        if screenshots in ("1", "all"):
            await _save_png(context, page, shot_dir / (docname.replace("/", "_") + ".png"))
            phase("screenshot")

        if axe:
            # A viewport as tall as the page: axe's colour-contrast rule then finds every element's
            # background without scrolling it into view first (about 2x faster on a long lesson).
            height = await page.evaluate("() => document.documentElement.scrollHeight")
            await page.set_viewport_size({"width": DESKTOP["width"], "height": min(max(height, 900), 30000)})
            await page.evaluate(_axe_script())
            # preload: false -- axe would otherwise re-fetch the stylesheets (for one orientation rule)
            # and resolve theme.css's @import against the wrong base (a spurious 404)
            full = docname in DARK_SAMPLE or docname not in toc_names()
            context_js = "document" if full else "{exclude: [['.bd-article pre']]}"
            light = await page.evaluate(
                f"() => axe.run({context_js}, {{resultTypes: ['violations'], preload: false}})")
            result["axe"] = _summarise_axe(light)
            if not full:
                low = await page.evaluate(JS_CODE_CONTRAST)
                if low:
                    result["axe"].append({
                        "id": "code-contrast", "impact": "serious", "count": sum(v["count"] for v in low),
                        "help": "Text in code blocks must reach 4.5:1 contrast (site_audit.py's own check)",
                        "targets": [f"pre .{v['cls']} {v['text']!r}" for v in low[:4]],
                        "summaries": [f"{v['fg']} on {v['bg']}: {v['ratio']:.2f}:1" for v in low[:2]],
                        "html": []})
            phase("axe")

        if axe and (os.environ.get("AXE_DARK") == "all" or docname in DARK_SAMPLE
                    or docname not in toc_names()):
            await page.evaluate(JS_DARK)
            await page.wait_for_timeout(50)
            dark = await page.evaluate(
                "() => axe.run(document, {resultTypes: ['violations'], preload: false,"
                " runOnly: {type: 'rule', values: ['color-contrast']}})")
            result["axe_dark"] = _summarise_axe(dark)
            result["dark_audited"] = True
            phase("axe dark")
            if screenshots == "all":
                await _save_png(context, page, shot_dir / (docname.replace("/", "_") + ".dark.png"))
            await page.evaluate("() => { document.documentElement.dataset.theme = 'light';"
                                " document.documentElement.dataset.mode = 'light'; }")

        await page.set_viewport_size(PHONE)
        await page.wait_for_timeout(50)
        result["overflow"] = await page.evaluate(JS_OVERFLOW)
        phase("phone width")
        if screenshots == "all":
            await _save_png(context, page, shot_dir / (docname.replace("/", "_") + ".phone.png"))
    except Exception as exc:  # noqa: BLE001 - a page that cannot be audited is a failing page
        problems.append(f"audit aborted: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()

    problems += [f"console error: {text}" for text in console_errors]
    problems += [f"local resource not served: {item}" for item in failed_local]
    if foreign:
        problems.append(
            "requests to other hosts (the site must work offline):\n      "
            + "\n      ".join(sorted(set(foreign)))
        )
    result["requests"] = len(requested)
    result["seconds"] = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- all pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class SiteServer:
    """http://127.0.0.1:<free port>/ serving a directory from a thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="site-server", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


async def _audit_all(executable: str, site_dir: Path, docnames: list[str], screenshots: str,
                     shot_dir: Path, axe: bool) -> dict[str, dict]:
    import tempfile

    from playwright.async_api import async_playwright

    results: dict[str, dict] = {}
    with SiteServer(site_dir) as base_url, tempfile.TemporaryDirectory(prefix="celib-browser-") as dl:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=executable, headless=True,
                                               args=CHROMIUM_ARGS, downloads_path=dl)
            try:
                gate = asyncio.Semaphore(max(1, CONCURRENCY))

                async def one(name):
                    async with gate:
                        results[name] = await audit_page(browser, base_url, site_dir, name,
                                                         screenshots=screenshots, shot_dir=shot_dir,
                                                         axe=axe)

                # longest pages first, so the last page in flight is a short one
                order = sorted(docnames, key=lambda n: -(site_dir / (n + ".html")).stat().st_size
                               if (site_dir / (n + ".html")).is_file() else 0)
                await asyncio.gather(*(one(n) for n in order))
            finally:
                await browser.close()
    return {name: results[name] for name in docnames}


def audit_site(executable: str, site_dir: Path, docnames: list[str] | None = None, *,
               screenshots: str | None = None, axe: bool = True) -> dict[str, dict]:
    """Audit every toc page of the site in `site_dir`; returns {docname: result} in toc order."""
    docnames = docnames if docnames is not None else toc_docnames()
    screenshots = screenshots if screenshots is not None else os.environ.get("SCREENSHOTS", "0")
    shot_dir = site_dir.parent / "screenshots"
    if screenshots != "0":
        shot_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_audit_all(executable, site_dir, docnames, screenshots, shot_dir, axe))


# --------------------------------------------------------------------------- the verdicts


def serious_axe(result: dict) -> list[dict]:
    """Serious/critical axe violations, light theme plus dark-theme colour contrast."""
    found = [dict(v, theme="light") for v in result["axe"] if v["impact"] in SERIOUS]
    found += [dict(v, theme="dark") for v in result["axe_dark"] if v["impact"] in SERIOUS]
    return found


def overflowing(result: dict) -> list[str]:
    info = result.get("overflow")
    if info is None:
        return ["not measured (the audit stopped before the phone-width step)"]
    out = [f"{e['element']} reaches x={e['right']} > {info['viewport']}: {e['text']!r}"
           for e in info["elements"]]
    if info["scrollWidth"] > info["viewport"] + 1 and not out:
        out.append(f"the page scrolls sideways: scrollWidth {info['scrollWidth']} > {info['viewport']}")
    return out


def visible_check_lines(result: dict) -> list[str]:
    out = []
    for cell in result["visible_code"]:
        if not cell["visible"]:
            continue
        for line in cell["text"].splitlines():
            if CHECK_LINE.search(line):
                out.append(f"code cell {cell['index'] + 1}: {line.strip()[:90]}")
    return out


def markdown_report(results: dict[str, dict]) -> str:
    rows = ["| page | critical | serious | moderate | minor | dark contrast (serious) "
            "| overflow at 390 px | visible check lines | s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    totals = dict.fromkeys(IMPACTS, 0)
    overflow_pages = 0
    for name, r in results.items():
        counts = dict.fromkeys(IMPACTS, 0)
        for v in r["axe"]:
            counts[v["impact"]] = counts.get(v["impact"], 0) + v["count"]
        for k in IMPACTS:
            totals[k] += counts[k]
        dark = (sum(v["count"] for v in r["axe_dark"] if v["impact"] in SERIOUS)
                if r.get("dark_audited") else "-")
        over = overflowing(r)
        overflow_pages += bool(over)
        rows.append(f"| {name} | {counts['critical']} | {counts['serious']} | {counts['moderate']} "
                    f"| {counts['minor']} | {dark} | {len(over)} | {len(visible_check_lines(r))} "
                    f"| {r['seconds']:.1f} |")
    lines = ["Axe counts are affected elements (nodes) per impact, light theme; the dark column is "
             "axe's colour-contrast rule after switching the theme to dark.", "", *rows, "",
             f"Totals (nodes): " + ", ".join(f"{k} {totals[k]}" for k in IMPACTS)
             + f"; pages overflowing at 390 px: {overflow_pages} of {len(results)}.", ""]
    detail = ["Violations by rule (pages):", ""]
    by_rule: dict[tuple, list] = {}
    for name, r in results.items():
        for theme, vs in (("light", r["axe"]), ("dark", r["axe_dark"])):
            for v in vs:
                by_rule.setdefault((v["id"], v["impact"], theme, v["help"]), []).append(
                    f"{name.split('/')[-1]} ({v['count']})")
    for (rule, impact, theme, helptext), pages in sorted(by_rule.items(), key=lambda kv: IMPACTS.index(kv[0][1])):
        detail.append(f"- **{rule}** ({impact}, {theme}): {helptext} — {', '.join(pages)}")
    return "\n".join(lines + detail) + "\n"


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--details", action="store_true", help="print every finding")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("AXE_DARK", "all")
    site = Path(args.site).resolve()
    executable = find_chromium()
    if not executable:
        print("no Chromium found", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = audit_site(executable, site, screenshots=os.environ.get("SCREENSHOTS", "0"))
    print(markdown_report(results))
    if args.details:
        for name, r in results.items():
            for p in r["site"]:
                print(f"{name}: site: {p}")
            for v in serious_axe(r):
                print(f"{name}: axe {v['impact']} {v['theme']} {v['id']} x{v['count']}: {v['targets']} {v['summaries'][:1]}")
            for o in overflowing(r):
                print(f"{name}: overflow: {o}")
            for c in visible_check_lines(r):
                print(f"{name}: visible check: {c}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"({len(results)} pages in {time.perf_counter() - started:.1f} s, {CONCURRENCY} at a time)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
