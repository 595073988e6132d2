"""What a reader meets on every page of the built book (issue 12), from the same single visit per
page as test_site.py (site_audit.py):

* accessible: axe-core (axe-playwright-python's bundled copy) finds no serious or critical violation,
  in the light theme (all rules) and in the dark theme (colour contrast, re-run after switching);
* readable on a phone: at 390x844 nothing in the main content reaches past the right edge (long
  inline code wraps; tables, outputs, code and math scroll inside their own box);
* teaching code in front: no line starting with `assert` or containing `glue(` is visible in a code
  cell without opening its toggle (hide-input / hide-cell).

Moderate and minor axe findings do not fail the test; they are listed on the verification page
(`python tests/browser/site_audit.py` prints them). The self-tests at the bottom prove, on tiny
pages, that each detector fires.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import site_audit
from site_audit import overflowing, serious_axe, toc_docnames, visible_check_lines

PAGES = toc_docnames()


@pytest.mark.parametrize("docname", PAGES, ids=PAGES)
def test_axe_no_serious_or_critical(docname, audit):
    found = serious_axe(audit[docname])
    if found:
        lines = [f"{v['impact']} [{v['theme']} theme] {v['id']} ({v['count']} element(s)): {v['help']}\n"
                 f"      e.g. {'; '.join(v['targets'][:2])}\n      {v['summaries'][0] if v['summaries'] else ''}"
                 for v in found]
        pytest.fail(f"{docname}: axe-core found\n  - " + "\n  - ".join(lines), pytrace=False)


@pytest.mark.parametrize("docname", PAGES, ids=PAGES)
def test_no_horizontal_overflow_at_phone_width(docname, audit):
    found = overflowing(audit[docname])
    if found:
        pytest.fail(f"{docname} at {site_audit.PHONE['width']}x{site_audit.PHONE['height']}: content "
                    "wider than the screen:\n  - " + "\n  - ".join(found[:15]), pytrace=False)


@pytest.mark.parametrize("docname", PAGES, ids=PAGES)
def test_checks_are_collapsed(docname, audit):
    found = visible_check_lines(audit[docname])
    if found:
        pytest.fail(f"{docname}: {len(found)} check line(s) visible without opening a toggle (tag the "
                    "cell hide-input):\n  - " + "\n  - ".join(found[:15]), pytrace=False)


# --------------------------------------------------------------------------- self-tests

SELFTEST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>self-test</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Self-test</h1>
<p>Inline code: <code>{code}</code></p>
<div class="cell"><div class="cell_input"><pre>loss = f(p)
{visible_check}</pre></div></div>
<div class="cell"><details class="hide above-input"><summary>Show code cell source</summary>
<div class="cell_input"><pre>assert hidden_check</pre></div></details></div>
<p style="color: {fg}; background: #ffffff">Some low-contrast text.</p>
</main></body></html>
"""


def _selftest_site(tmp: Path, **fmt) -> Path:
    site = tmp / "html"
    site.mkdir(parents=True)
    (site / "page.html").write_text(SELFTEST_PAGE.format(**fmt), encoding="utf8")
    return site


def test_selftest_detectors_fire(tmp_path, chromium_path):
    bad = _selftest_site(tmp_path / "bad", code="x" * 120, visible_check="assert loss > 0",
                         fg="#aaaaaa")
    good = _selftest_site(tmp_path / "good", code="short", visible_check="print(loss)", fg="#222222")
    for site, expect_problems in ((bad, True), (good, False)):
        r = site_audit.audit_site(chromium_path, site, ["page"], screenshots="0")["page"]
        found = {
            "overflow": overflowing(r),
            "checks": visible_check_lines(r),
            "contrast": [v for v in serious_axe(r) if v["id"] == "color-contrast"],
        }
        for what, items in found.items():
            assert bool(items) == expect_problems, textwrap.shorten(f"{site} {what}: {items}", 400)
        if not expect_problems:
            assert len(r["visible_code"]) == 2 and not r["visible_code"][1]["visible"]


def test_selftest_code_contrast(tmp_path, chromium_path, monkeypatch):
    """The cheap code-block contrast check (used instead of axe for <pre> outside DARK_SAMPLE)."""
    page = ('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
            '<article class="bd-article"><pre style="background:#ffffff"><span style="color:#bbbbbb">'
            'pale</span> <span style="color:#222222">dark</span></pre></article></main></body></html>')
    site = tmp_path / "html"
    site.mkdir()
    (site / "chapters").mkdir()
    (site / "chapters" / "x.html").write_text(page, encoding="utf8")
    monkeypatch.setattr(site_audit, "toc_names", lambda: frozenset({"chapters/x"}))
    r = site_audit.audit_site(chromium_path, site, ["chapters/x"], screenshots="0")["chapters/x"]
    found = [v for v in serious_axe(r) if v["id"] == "code-contrast"]
    assert found and found[0]["count"] == 1, r["axe"]
