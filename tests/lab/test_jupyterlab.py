"""The lessons as a learner meets them in `make lab`: real JupyterLab, real Chromium (issue 11).

For two lessons (the first two numbered chapters in _toc.yml): open, Run All, then check that
no cell printed an error or a warning, that a glued number from the prose is visible in the
rendered Markdown (and no raw MyST role is), that the solutions are collapsed, that jupyterlab-myst
resolved every cross-reference, and that no news pop-up covers the page. In the first lesson with
an explorer, move a slider and check that the figure changes. Finally, chapters/ is unchanged.
Selectors follow JupyterLab's DOM (cells, prompts, placeholders, widgets); the lessons are found
from _toc.yml and their own source, not from fixed cell positions.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from book_toc import toc_docnames

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "lab"))
from labcopy import Book, format_glue, glue_outputs  # noqa: E402

BOOK = Book(ROOT / "chapters")

RUN_TIMEOUT_MS = 60_000
STEP_TIMEOUT_MS = 30_000
GLUE = re.compile(r"\{glue:text\}`([^`:]+):([^`]*)`")
RAW_ROLE = re.compile(r"\{(glue:text|doc|cite|cite:t|term|ref|numref)\}`")
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the active tab
RENDERED_MD = f"{PANEL} .jp-MarkdownCell .myst, {PANEL} .jp-MarkdownCell .jp-RenderedMarkdown"


def _lessons() -> list[Path]:
    """The first two numbered lessons (notebooks under chapters/ that glue numbers), in toc order."""
    found = []
    for name in toc_docnames(ROOT):
        path = ROOT / f"{name}.ipynb"
        if path.parent.name == "chapters" and path.is_file() and not path.stem.startswith("appendix"):
            if "{glue:text}" in path.read_text(encoding="utf-8"):
                found.append(path)
    return found[:2]


def _has_explorer(path: Path) -> bool:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(c["cell_type"] == "code" and "explore(" in "".join(c["source"]) for c in nb["cells"])


def _glued_values(path: Path) -> list[str]:
    """Formatted values of the same-page {glue:text} roles in the lesson, as the website prints them."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    data = glue_outputs(nb)
    values = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for key, fmt in GLUE.findall("".join(cell["source"])):
            if "::" not in key and key in data and "text/plain" in data[key]:
                values.append(format_glue(data[key]["text/plain"], fmt))
    return values


def _kernel_idle(server, name: str) -> bool:
    url = f"{server.url}/api/sessions?token={server.token}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        sessions = json.loads(resp.read())
    return any(
        s.get("path", "").endswith(name) and (s.get("kernel") or {}).get("execution_state") == "idle"
        for s in sessions
    )


def _shutdown_kernel(server, name: str) -> None:
    url = f"{server.url}/api/sessions?token={server.token}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        sessions = json.loads(resp.read())
    for session in sessions:
        if session.get("path", "").endswith(name):
            request = urllib.request.Request(
                f"{server.url}/api/sessions/{session['id']}?token={server.token}", method="DELETE"
            )
            urllib.request.urlopen(request, timeout=10).close()


def _open(page, server, name: str, first: bool):
    if first:  # ?reset: a fresh default workspace, so only this notebook is open
        page.goto(f"{server.url}/lab/tree/{name}?reset&token={server.token}")
    else:  # the app is loaded already: open the lesson from the file browser, as a learner would
        page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$")).dblclick()
        page.wait_for_function(
            """name => { const t = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
                         return t && t.textContent.includes(name); }""",
            arg=name,
        )
    page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-CodeCell", timeout=STEP_TIMEOUT_MS)
    page.wait_for_selector(RENDERED_MD, timeout=STEP_TIMEOUT_MS)
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while not _kernel_idle(server, name):  # the kernel has started and is idle
        assert time.monotonic() < deadline, f"{name}: no idle kernel after {STEP_TIMEOUT_MS / 1000:.0f} s"
        time.sleep(0.25)


def _run_all(page):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    # done when no cell waits ([*]) and every code cell that has source shows an execution count,
    # or when an error stopped the run (JupyterLab clears the queue then)
    page.wait_for_function(
        """panel => {
            const cells = [...document.querySelectorAll(panel + ' .jp-Notebook .jp-CodeCell')];
            const prompts = cells.map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '');
            if (prompts.some(p => p.includes('*'))) return false;
            if (document.querySelector(panel + ' .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) return true;
            const withSource = cells.filter(c => ((c.querySelector('.cm-content') || {}).textContent || '').trim());
            const s = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator');
            return withSource.every(c => /\\[\\d+\\]/.test((c.querySelector('.jp-InputArea-prompt') || {}).textContent || ''))
                   && s && s.getAttribute('data-status') === 'idle';
        }""",
        arg=PANEL,
        timeout=RUN_TIMEOUT_MS,
        polling=250,
    )


def _screenshot(page, name: str) -> str:
    SCREENSHOTS = ROOT / "_build" / "lab-screenshots"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    try:
        page.screenshot(path=str(path))
    except Exception:  # the screenshot is a diagnosis aid only
        return "(no screenshot)"
    return str(path)


def test_lessons_in_jupyterlab(lab_server, browser):
    started = time.monotonic()
    lessons = _lessons()
    assert len(lessons) == 2, f"need two lessons with glued numbers in _toc.yml, found {lessons}"
    verified = {p: p.read_bytes() for p in lessons}
    explorer_lesson = next((p for p in lessons if _has_explorer(p)), None)
    assert explorer_lesson is not None, f"neither {[p.name for p in lessons]} has an explorer"

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    try:
        for number, lesson in enumerate(lessons):
            console.clear()
            try:
                _check_lesson(page, lab_server, lesson, console, first=number == 0,
                              slider=lesson == explorer_lesson)
            except BaseException:
                print(f"screenshot: {_screenshot(page, lesson.stem)}\nserver log:\n{lab_server.log_tail()}")
                raise
            _shutdown_kernel(lab_server, lesson.name)  # free the CPU for the next lesson
            # what autosave would do: the live state is written to the lab copy, not to chapters/
            saved = (lab_server.folder / lesson.name).read_text(encoding="utf-8")
            assert lesson.read_bytes() == verified[lesson], f"chapters/{lesson.name} changed"
            if lesson == explorer_lesson:
                assert "application/vnd.jupyter.widget-view+json" in saved, (
                    f"{lesson.name}: the live explorer was not saved to the lab copy"
                )
    finally:
        context.close()

    print(f"JupyterLab test: {time.monotonic() - started:.1f} s for {[p.stem for p in lessons]}")


def _check_lesson(page, server, lesson: Path, console: list[str], *, first: bool, slider: bool):
    name = lesson.name
    t0 = time.monotonic()
    _open(page, server, name, first)
    print(f"{name}: open {time.monotonic() - t0:.1f} s")

    # quiet start: no "Would you like to get notified about official Jupyter news?" toast
    toasts = page.locator(".Toastify__toast, .jp-Notification-Toast").all_inner_texts()
    assert not [t for t in toasts if "news" in t.lower()], f"{name}: news pop-up shown: {toasts}"

    t0 = time.monotonic()
    _run_all(page)
    print(f"{name}: Run All {time.monotonic() - t0:.1f} s")

    # no error or warning output (JupyterLab renders both tracebacks and stderr with this mime type)
    errors = page.locator(
        f'{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_inner_texts()
    assert not errors, f"{name}: error/warning output after Run All:\n" + "\n---\n".join(e[:800] for e in errors)

    # the prose shows its numbers: a glued value is visible, no raw MyST role is
    rendered = page.locator(RENDERED_MD)
    texts = rendered.all_inner_texts()
    assert texts, f"{name}: no rendered Markdown found"
    prose = "\n".join(texts)
    raw = sorted(set(RAW_ROLE.findall(prose)))
    assert not raw, f"{name}: raw MyST roles visible in JupyterLab: {raw}"
    values = [v for v in _glued_values(lesson) if len(v) >= 4]
    assert values, f"{name}: no glued number to look for"
    shown = [v for v in values if v in prose]
    assert shown, f"{name}: none of the glued values {values[:5]} is visible in the rendered prose"
    first = page.locator(RENDERED_MD, has_text=shown[0]).first
    assert first.is_visible(), f"{name}: the prose with {shown[0]} is not visible"

    # every cross-reference resolved by jupyterlab-myst (or rewritten by the lab copy)
    # (a label defined nowhere in the book is the site build's error, -n; not checked here)
    missing = set(re.findall(r"Cross reference target was not found: (\S+)", "\n".join(console)))
    known = set(BOOK.labels) | set(BOOK.figures)
    unresolved = sorted(label for label in missing if label in known or label.startswith("term-"))
    assert not unresolved, f"{name}: MyST references JupyterLab could not resolve: {unresolved}"

    # solutions are collapsed: after Run All, the cells under each "Solution to ..." heading are
    # still hidden (the lab copy collapses the heading; running a cell would re-open its output)
    report = page.evaluate(
        """panel => {
            const cells = [...document.querySelectorAll(panel + ' .jp-Notebook .jp-Cell')];
            const visible = el => !!el && el.offsetParent !== null && el.getClientRects().length > 0;
            const out = [];
            cells.forEach((cell, i) => {
                const md = cell.querySelector('.myst, .jp-RenderedMarkdown');
                if (!cell.classList.contains('jp-MarkdownCell') || !md) return;
                if (!/^\\s*Solution to\\b/.test(md.innerText)) return;
                const next = cells[i + 1];
                out.push({
                    header: md.innerText.trim().split('\\n')[0].slice(0, 60),
                    headerVisible: visible(cell),
                    nextHidden: !!next && !visible(next),
                    nextText: next ? next.innerText.slice(0, 60) : null,
                });
            });
            return out;
        }""",
        PANEL,
    )
    assert report, f"{name}: no 'Solution to ...' heading found (gated solutions)"
    open_ = [r for r in report if not (r["headerVisible"] and r["nextHidden"])]
    assert not open_, f"{name}: solutions visible after Run All: {open_}"

    if slider:
        _move_slider(page, name)

    _fix_a_coding_exercise(page, lesson)

    # save now (the toolbar's save button) instead of waiting ~2 min for autosave
    page.locator(f'{PANEL} .jp-NotebookPanel-toolbar [data-command="docmanager:save"]').first.click()
    page.wait_for_function(
        """panel => { const t = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
                      return t && !t.classList.contains('jp-mod-dirty'); }""",
        arg=PANEL,
    )


def _fix_a_coding_exercise(page, lesson: Path):
    """What a learner does with a coding exercise: read the starter's report (NOT YET, with the
    failing input), replace the starter by a correct function in the editor, run the cell, and
    get PASSED. The correct function is the lesson's own (collapsed) reference solution."""
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    by_id = {c["id"]: c for c in nb["cells"]}
    starters = [c for c in nb["cells"] if c["id"].startswith("code-") and c["id"].endswith("-starter")]
    assert starters, f"{lesson.name}: no coding exercise (cells code-*-starter)"
    starter = "".join(starters[0]["source"])
    solution = "".join(by_id[starters[0]["id"].removesuffix("-starter") + "-solution"]["source"])
    wrong_line = next(line.strip() for line in starter.splitlines()
                      if line.strip() and line not in solution.splitlines())
    cell = page.locator(f"{PANEL} .jp-CodeCell", has_text=wrong_line).first
    cell.scroll_into_view_if_needed()
    output = cell.locator(".jp-OutputArea-output").first
    assert "NOT YET" in output.inner_text(), f"{lesson.name}: the starter's report is not shown"

    cell.locator(".cm-content").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(solution)
    page.keyboard.press("Control+Enter")  # run the cell and stay on it
    try:
        page.wait_for_function(
            """([panel, wrong]) => [...document.querySelectorAll(panel + ' .jp-CodeCell')].some(
                   c => c.innerText.includes('PASSED') && !c.innerText.includes(wrong)
                        && c.querySelector('.jp-InputArea') && c.offsetParent !== null)""",
            arg=[PANEL, wrong_line],
            timeout=60_000,
        )
    except Exception:
        raise AssertionError(f"{lesson.name}: the corrected exercise did not report PASSED; it shows "
                             f"{cell.inner_text()[-600:]!r}") from None


def _move_slider(page, name: str):
    widget = page.locator(f"{PANEL} .jp-OutputArea-output .widget-vbox").first
    widget.wait_for(state="visible")
    image = widget.locator("img").first
    image.wait_for(state="visible")
    before = image.get_attribute("src")
    readout = widget.locator(".widget-readout").first
    readout.wait_for(state="visible")
    old = readout.inner_text().strip()
    handle = widget.locator(".noUi-handle").first
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    # continuous_update=False: the value is committed when the key is released / on change
    try:
        page.wait_for_function(
            """([sel, old]) => { const img = document.querySelector(sel);
                                 return img && img.getAttribute('src') !== old; }""",
            arg=[f"{PANEL} .jp-OutputArea-output .widget-vbox img", before],
            timeout=15_000,
        )
    except Exception:
        # fall back to typing a value into the slider's readout
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(_nudged(old))
        page.keyboard.press("Enter")
        page.wait_for_function(
            """([sel, old]) => { const img = document.querySelector(sel);
                                 return img && img.getAttribute('src') !== old; }""",
            arg=[f"{PANEL} .jp-OutputArea-output .widget-vbox img", before],
            timeout=15_000,
        )
    assert readout.inner_text().strip() != old, f"{name}: the slider value did not change"
    after = widget.locator("img").first.get_attribute("src")
    assert after and after != before, f"{name}: the explorer figure did not change"


def _nudged(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number) + 1) if value.lstrip("-").isdigit() else f"{number * 0.9 + 0.01:.2f}"


def test_quiet_start_settings(lab_server):
    """The project's settings are in effect: no news feed, no update check (tools/lab/jupyter-config)."""
    def get(path):
        with urllib.request.urlopen(f"{lab_server.url}{path}?token={lab_server.token}", timeout=10) as resp:
            return resp.read().decode()

    page = get("/lab")
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert config.get("news", {}).get("disabled") is True, "LabApp.news_url is not None"
    settings = json.loads(get("/lab/api/settings/@jupyterlab/apputils-extension:notification"))
    # default_setting_overrides become the schema defaults (the user's own settings still win)
    defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults
    assert json.loads(get("/lab/api/update")).get("notification") is None
