"""Fixtures for the browser tests: the built site audited once, in one headless Chromium.

The site must already be built (`make test-book` runs `make book` first); SITE_DIR=<dir> audits
another build (e.g. a private one). Chromium is the system one (Debian's /usr/bin/chromium,
installed by .ci/run in CI); Playwright never downloads a browser here. Without Chromium the tests
skip loudly on a workstation and fail in CI (CI=true). site_audit.py does the page visits.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# SITE_DIR=/tmp/my_build/_build/html tests a private build (e.g. while others edit chapters).
SITE = Path(os.environ["SITE_DIR"]) if os.environ.get("SITE_DIR") else ROOT / "_build" / "html"
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))
from chromium import find_chromium, not_run  # noqa: E402

_skip_banner: list[str] = []


def _no_browser(reason: str):
    not_run("BROWSER TESTS NOT RUN", reason + ". The site was built but no page was opened in a browser",
            _skip_banner)


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "intro.html").is_file():
        pytest.fail(f"{SITE} has no intro.html: build the book first (make book)", pytrace=False)
    return SITE.resolve()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the venv pins playwright
        _no_browser(f"the playwright package is not importable ({exc})")
    executable = find_chromium()
    if executable is None:
        _no_browser("Chromium was not found")
    return executable


@pytest.fixture(scope="session")
def audit(site_dir, chromium_path) -> dict:
    """Every toc page audited once (site_audit.py: one Chromium, a few pages at a time); the tests
    look their verdicts up here. {docname: result}"""
    import site_audit

    return site_audit.audit_site(chromium_path, site_dir)


def pytest_terminal_summary(terminalreporter):
    if _skip_banner:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_skip_banner[0], red=True, bold=True)
