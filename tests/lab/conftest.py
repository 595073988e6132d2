"""Fixtures for the JupyterLab browser test (make test-lab): a real JupyterLab on a throw-away lab copy.

JupyterLab runs headless on 127.0.0.1 with a free port and a random token, on a temporary folder
filled by the same copy step as `make lab` (tools/lab/labcopy.py), with the same project settings
(tools/lab/start.py: lab_env / lab_command) and live explorers (no CELIB_EXPLORER=static). Every
Jupyter directory (config, data, runtime, settings, workspaces) is temporary too, so neither the
user's Jupyter setup nor the repository is read or written. The server is stopped by its own PID
(its process group, which holds its kernels) when the tests end, fail, or run over the time limit.

Chromium is the system one (Debian's /usr/bin/chromium). Without it the test skips loudly on a
workstation and fails in CI (CI=true), like tests/browser.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "lab"
SCREENSHOTS = ROOT / "_build" / "lab-screenshots"
# seconds for the whole session; then a watchdog stops the server, so a hung test fails instead of hanging
TIME_LIMIT = float(os.environ.get("LAB_TEST_TIME_LIMIT", "150"))
START_TIMEOUT = 60

_skip_banner: list[str] = []

sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(ROOT / "tests"))
from chromium import CHROMIUM_ARGS, find_chromium, not_run  # noqa: E402
from labcopy import copy_lessons  # noqa: E402
from start import lab_command, lab_env  # noqa: E402


def _no_browser(reason: str):
    not_run("JUPYTERLAB BROWSER TEST NOT RUN", reason + ". The lessons were not tried in JupyterLab",
            _skip_banner)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    def __init__(self, proc: subprocess.Popen, url: str, token: str, folder: Path, log: Path):
        self.proc, self.url, self.token, self.folder, self.log = proc, url, token, folder, log

    def stop(self) -> None:
        """Stop JupyterLab by its own PID; its kernels live in its process group (own session)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers of this server only (pgid == pid)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the venv pins playwright
        _no_browser(f"the playwright package is not importable ({exc})")
    executable = find_chromium()
    if executable is None:
        _no_browser("Chromium was not found")
    return executable


@pytest.fixture(scope="session")
def lab_server(chromium_path):
    """JupyterLab on a temporary lab copy; yields a LabServer, stops it whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="celib-lab-"))
    folder = tmp / "lab"
    copy_lessons(ROOT / "chapters", folder, say=lambda *_: None)
    jupyter = {name: tmp / name for name in ("config", "data", "runtime", "settings", "workspaces")}
    for path in jupyter.values():
        path.mkdir()
    # test-only setting: render every cell (no windowing), so the DOM holds the whole notebook
    tracker = jupyter["settings"] / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))

    env = lab_env(live_explorers=True)
    env.update(
        JUPYTER_CONFIG_DIR=str(jupyter["config"]),
        JUPYTER_DATA_DIR=str(jupyter["data"]),
        JUPYTER_RUNTIME_DIR=str(jupyter["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(jupyter["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(jupyter["workspaces"]),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    env.pop("CELIB_EXPLORER", None)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = lab_command(
        folder,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
    )
    log = tmp / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(proc, f"http://127.0.0.1:{port}", token, folder, log)
    watchdog = threading.Timer(TIME_LIMIT, server.stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{server.log_tail()}",
                            pytrace=False)
            time.sleep(0.3)
        yield server
    finally:
        watchdog.cancel()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="celib-lab-browser-") as downloads, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
                                      downloads_path=downloads)
        try:
            yield chromium
        finally:
            chromium.close()


def pytest_terminal_summary(terminalreporter):
    if _skip_banner:
        terminalreporter.write_sep("!", "JUPYTERLAB BROWSER TEST SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_skip_banner[0], red=True, bold=True)
