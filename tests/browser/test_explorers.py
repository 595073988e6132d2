"""The live explorers on the built website (issue 20), in headless Chromium, offline.

For every numbered lesson whose notebook calls ``explore(``:

* the page holds a live explorer (the still's payload placed by _ext/explorers.py) and draws it: an
  SVG chart, one range input per slider with a visible label and value and an accessible name;
* every slider is moved with the keyboard (arrow keys) and with the mouse (a click on the track):
  each time the chart's SVG changes, the shown value and the readout follow, the readout equals the
  sentence recomputed here with celib for that frame (tests/browser/explorer_expected.py), the
  chart's accessible name states it, and the page measured input-to-repaint under 100 ms (median of the page's moves);
* a sample of every table's rows and of the readout sentences, recomputed with celib, equals the
  data the page holds (all rows when a table is small);
* no console error, no request to another host (blocked and recorded), no page error;
* the page's added weight (the payload in the HTML) plus the one shared script stays under 1 MB.

The axe audit and the 390 px check of site_audit.py cover the explorers too: it waits for them to
be drawn (JS_WAIT_EXPLORERS) before auditing. `EXPLORER_REPORT=path` writes the measured bytes and
repaint times as JSON (for the closing note / verification page).
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from explorer_expected import READOUT, TABLES
from site_audit import ROOT, SiteServer, toc_docnames

from celib.explore import readout_texts
from chromium import CHROMIUM_ARGS

EXPLORE_CALL = re.compile(r"(?m)^[^#\n]*(?<![\w.])explore\(")
REPAINT_BUDGET_MS = 100.0
PAGE_BUDGET_BYTES = 1_000_000
SAMPLE_ROWS = 60
REPORT: dict[str, dict] = {}


def explorer_lessons() -> list[str]:
    found = []
    for name in toc_docnames():
        path = ROOT / f"{name}.ipynb"
        if not (path.is_file() and re.match(r"\d\d_", path.name)):
            continue
        nb = json.loads(path.read_text(encoding="utf8"))
        if any(c["cell_type"] == "code" and EXPLORE_CALL.search("".join(c["source"])) for c in nb["cells"]):
            found.append(name)
    return found


LESSONS = explorer_lessons()


@pytest.fixture(scope="module")
def browser_page(site_dir, chromium_path):
    from playwright.sync_api import sync_playwright

    with SiteServer(site_dir) as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser, base_url
        finally:
            browser.close()
    if os.environ.get("EXPLORER_REPORT"):
        Path(os.environ["EXPLORER_REPORT"]).write_text(json.dumps(REPORT, indent=1), encoding="utf8")


def _open(browser, base_url, docname, width=1280):
    origin = base_url.rstrip("/")
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block")
    problems: list[str] = []

    def route(r):
        parts = urlsplit(r.request.url)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            r.continue_()
        else:
            problems.append(f"request to another host: {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(base_url + docname + ".html", wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.celib-explorer')].every(e => e.dataset.ready || e.dataset.error)",
        timeout=20_000)
    return context, page, problems


def _payload(page) -> dict:
    return json.loads(page.locator(".celib-explorer script[type='application/json']").first.text_content())


def _state(page) -> dict:
    return page.evaluate("""() => {
        const root = document.querySelector('.celib-explorer');
        const svg = root.querySelector('.celib-explorer-chart svg');
        return {frame: root.dataset.frame, repaint: root.dataset.repaintMs, error: root.dataset.error || null,
                readout: root.querySelector('.celib-explorer-readout').textContent,
                live: root.querySelector('.celib-explorer-readout').getAttribute('aria-live'),
                svg: svg ? svg.innerHTML : null, label: svg ? svg.getAttribute('aria-label') : null,
                stillHidden: getComputedStyle(root.closest('figure').querySelector('img')).display === 'none'};
    }""")


def _close(a, b, digits) -> bool:
    """Equal to the payload's precision: `digits` significant digits, rounded."""
    if isinstance(b, str) or isinstance(a, str) or a is None:
        return a == b or (a is None and not math.isfinite(b))
    return math.isclose(a, b, rel_tol=0.51 * 10.0 ** (1 - digits), abs_tol=1e-12)


def _expected_readout(docname, payload, index):
    params = {c["name"]: c["values"][index[c["name"]]] for c in payload["controls"]}
    return READOUT[docname](**params)


def _move(page, payload, state, index, name, how):
    """Move slider `name` one way or another; returns the new index of every control."""
    control = next(c for c in payload["controls"] if c["name"] == name)
    slider = page.locator(f".celib-explorer input[data-control='{name}']")
    n = len(control["values"])
    old = index[name]
    if how == "keyboard":
        slider.focus()
        key = "ArrowRight" if old < n - 1 else "ArrowLeft"
        page.keyboard.press(key)
        new = old + 1 if key == "ArrowRight" else old - 1
    else:
        box = slider.bounding_box()
        target = 0 if old > n // 2 else n - 1  # far from where it is
        # a range input maps its track (less the thumb) linearly onto min..max
        page.mouse.click(box["x"] + 8 + (box["width"] - 16) * target / max(n - 1, 1),
                         box["y"] + box["height"] / 2)
        new = int(slider.input_value())
        assert new != old, f"{name}: a click on the track did not move the slider"
    index = dict(index, **{name: new})
    frame = ",".join(str(index[c["name"]]) for c in payload["controls"])
    page.wait_for_function("f => document.querySelector('.celib-explorer').dataset.frame === f", arg=frame,
                           timeout=10_000)
    return index


def _frame_rows(payload, index) -> dict:
    """The rows each table holds for one frame (the page's own selection, done here in Python)."""
    values = {c["name"]: c["values"][index[c["name"]]] for c in payload["controls"]}
    out = {}
    for name, table in payload["tables"].items():
        cols = table["columns"]
        n = len(next(iter(cols.values()))) if cols else 0
        shown = [c for c in cols if c not in table["over"]]  # the key columns only select
        out[name] = [tuple(cols[c][i] for c in shown) for i in range(n)
                     if all(cols[c][i] == values[c] for c in table["over"])]
    return out


@pytest.mark.parametrize("docname", LESSONS, ids=LESSONS)
def test_explorer_is_live(docname, browser_page):
    assert docname in READOUT, f"{docname}: add its celib recomputation to tests/browser/explorer_expected.py"
    browser, base_url = browser_page
    context, page, problems = _open(browser, base_url, docname)
    try:
        assert page.locator(".celib-explorer").count() == 1, f"{docname}: no live explorer on the page"
        payload = _payload(page)
        state = _state(page)
        assert state["error"] is None, state["error"]
        assert state["svg"], f"{docname}: no chart drawn"
        assert state["stillHidden"], f"{docname}: the still is still shown beside the live chart"
        assert state["live"] == "polite"
        index = {c["name"]: c["index"] for c in payload["controls"]}
        assert state["readout"] == _expected_readout(docname, payload, index)
        assert state["label"].endswith(state["readout"]), "the chart's accessible name lacks the state"

        repaints = []
        for control in payload["controls"]:
            name = control["name"]
            slider = page.locator(f".celib-explorer input[data-control='{name}']")
            # visible label and value, accessible name
            label = page.locator(f"label[for='{slider.get_attribute('id')}']")
            assert label.is_visible() and label.inner_text().strip() == control["label"]
            assert slider.is_visible()
            assert page.evaluate("el => el.labels.length", slider.element_handle()) == 1
            for how in ("keyboard", "mouse"):
                before = _state(page)
                old_index = index
                index = _move(page, payload, before, index, name, how)
                after = _state(page)
                where = f"{docname}: slider {name!r} moved with the {how} to {index}"
                if _frame_rows(payload, index) != _frame_rows(payload, old_index):
                    assert after["svg"] != before["svg"], f"{where}: the chart did not change"
                else:  # this move changes no plotted number (e.g. a tile size capped by the data)
                    assert after["readout"] != before["readout"], f"{where}: nothing changed"
                shown = page.locator(f"output[for='{slider.get_attribute('id')}']").inner_text()
                assert shown == control["labels"][index[name]], f"{where}: shown value {shown!r}"
                assert slider.get_attribute("aria-valuetext") == control["labels"][index[name]]
                expected = _expected_readout(docname, payload, index)
                assert after["readout"] == expected, f"{where}: readout {after['readout']!r} != celib {expected!r}"
                assert after["label"].endswith(expected), f"{where}: the chart's text alternative is stale"
                repaints.append(float(after["repaint"]))
        # more keyboard moves, timed only: the median of all of them (one move can stall while
        # other processes hold the CPU)
        for control in payload["controls"]:
            for _ in range(3):
                index = _move(page, payload, _state(page), index, control["name"], "keyboard")
                repaints.append(float(_state(page)["repaint"]))
        typical = statistics.median(repaints)
        assert typical < REPAINT_BUDGET_MS, (
            f"{docname}: input-to-repaint median {typical:.1f} ms over {repaints} (budget {REPAINT_BUDGET_MS})")

        html_bytes = len(page.locator(".celib-explorer script[type='application/json']").first
                         .text_content().encode())
        REPORT[docname] = {"payload_bytes": html_bytes, "repaint_ms": repaints,
                           "frames": math.prod(len(c["values"]) for c in payload["controls"])}
        assert not problems, f"{docname}:\n  " + "\n  ".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("docname", LESSONS, ids=LESSONS)
def test_explorer_data_is_celib(docname, site_dir):
    """A sample of each table's rows and of the readouts, recomputed with celib, equals the page's data."""
    html = (site_dir / f"{docname}.html").read_text(encoding="utf8")
    match = re.search(r'<div class="celib-explorer"[^>]*><script type="application/json">(.*?)</script>', html, re.S)
    assert match, f"{docname}: no explorer payload in the built page"
    payload = json.loads(match.group(1))
    checks = TABLES[docname]
    assert set(checks) == set(payload["tables"]), (
        f"{docname}: tables {sorted(payload['tables'])} but checks for {sorted(checks)}")
    for name, table in payload["tables"].items():
        cols = table["columns"]
        n = len(next(iter(cols.values())))
        step = max(1, n // SAMPLE_ROWS)
        for i in range(0, n, step):
            row = {c: v[i] for c, v in cols.items()}
            for column, value in checks[name](row).items():
                assert _close(row[column], value, payload["digits"]), f"{docname} table {name} row {row}: {column} != celib {value}"
    controls = {c["name"]: c for c in payload["controls"]}
    for part_number, part in enumerate(payload["readout"]):
        sizes = [len(controls[c]["values"]) for c in part["over"]]
        total = math.prod(sizes)
        texts = readout_texts(part)
        assert len(texts) == total
        if len(payload["readout"]) > 1:
            continue  # multi-part readouts are checked whole, through the sliders
        for flat in range(0, total, max(1, total // SAMPLE_ROWS)):
            index, rest = {}, flat
            for c, size in reversed(list(zip(part["over"], sizes))):
                index[c], rest = rest % size, rest // size
            assert texts[flat] == _expected_readout(docname, payload, index)


def test_page_weight(site_dir):
    """Each explorer page adds at most 1 MB: its payload in the HTML plus the shared chart script."""
    bundle = site_dir / "_static" / "celib" / "vega-embed.js"
    assert bundle.is_file(), "the Vega-Lite bundle was not written into the site"
    loader = site_dir / "_static" / "celib-explorer.js"
    shared = bundle.stat().st_size + loader.stat().st_size
    for docname in LESSONS:
        html = (site_dir / f"{docname}.html").read_text(encoding="utf8")
        match = re.search(r'<div class="celib-explorer".*?</div>', html, re.S)
        assert match, docname
        added = len(match.group(0).encode()) + shared
        REPORT.setdefault(docname, {})["page_added_bytes"] = added
        assert added <= PAGE_BUDGET_BYTES, f"{docname}: {added:,} bytes added (budget {PAGE_BUDGET_BYTES:,})"


def test_scripts_only_on_explorer_pages(site_dir):
    """The chart library is served once per site, loaded only by pages with an explorer, never inlined."""
    for docname in toc_docnames():
        html = (site_dir / f"{docname}.html").read_text(encoding="utf8")
        assert ("vega-embed.js" in html) == (docname in LESSONS), docname
        assert "vegaEmbed=" not in html, f"{docname}: the chart library is inlined"
