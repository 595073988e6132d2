"""The system Chromium for the browser tests (site, PDF, JupyterLab): where it is, how it starts,
and what happens when it is missing.

Playwright never downloads a browser here: the tests drive Debian's /usr/bin/chromium (installed by
.ci/run in CI). The launch flags keep a headless Chromium off the network it does not need: without
the background-networking ones it keeps trying to reach Google's hosts, which this machine refuses.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The Chromium to drive: $CHROMIUM if set, else the first one on PATH, else /usr/bin/chromium."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def not_run(headline: str, reason: str, banner: list[str]) -> None:
    """Skip loudly on a workstation (the message is kept in ``banner`` for the end of the run);
    under CI (CI=true) a browser test that cannot run is a failure, not a skip."""
    message = (
        f"{headline}: {reason}. "
        "Install Chromium (Debian: apt-get install chromium) or set CHROMIUM=/path/to/chromium."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: this is an error)", pytrace=False)
    banner.append(message)
    pytest.skip(message)
