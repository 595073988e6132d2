"""Start JupyterLab for the book: `make lab` (learners, on lab/) and `make lab-edit` (authors, on chapters/).

* lab:  refresh the working copy lab/ from chapters/ (tools/lab/labcopy.py), then open JupyterLab
        there with live explorers (CELIB_EXPLORER unset). Playing never touches a tracked file.
* edit: open JupyterLab on chapters/, the verified lessons. Explorers draw their still figure
        (CELIB_EXPLORER=static), so a save stores the same outputs as `make execute`.

Both add the project's JupyterLab settings (tools/lab/jupyter-config: no news pop-up, no update
check) through JUPYTER_CONFIG_PATH, for this process only; the user's own Jupyter settings are
neither read differently nor written. As root, JupyterLab needs --allow-root: added with a notice.

The browser test (tests/lab) starts JupyterLab with the same `lab_env` and `lab_command`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = HERE / "jupyter-config"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_env(base: dict | None = None, *, live_explorers: bool = True) -> dict:
    env = dict(os.environ if base is None else base)
    extra = env.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = str(CONFIG) + (os.pathsep + extra if extra else "")
    if live_explorers:
        env.pop("CELIB_EXPLORER", None)
    else:
        env["CELIB_EXPLORER"] = "static"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warning in the kernel log
    return env


def lab_command(root_dir: Path, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root_dir}"]
    if is_root():
        cmd.append("--allow-root")
    return cmd + list(extra)


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "lab"
    if mode not in ("lab", "edit"):
        print("usage: start.py lab|edit [extra jupyter lab options]", file=sys.stderr)
        return 2
    if is_root():
        print("make lab: you are root, so JupyterLab starts with --allow-root.")
    if mode == "lab":
        sys.path.insert(0, str(HERE))
        from labcopy import copy_lessons

        folder = ROOT / "lab"
        copy_lessons(ROOT / "chapters", folder)
        print("make lab: JupyterLab opens on lab/, your own copy of the lessons (git-ignored); "
              "chapters/ stays as verified. Authors: make lab-edit.")
        env = lab_env(live_explorers=True)
    else:
        folder = ROOT / "chapters"
        print("make lab-edit: JupyterLab opens on chapters/, the VERIFIED lessons. Explorers show "
              "their still figure here; re-run a lesson with `make execute NB=...` and check it "
              "with nbval before committing. Learners: make lab.")
        env = lab_env(live_explorers=False)
    cmd = lab_command(folder, *argv[1:])
    os.execve(cmd[0], cmd, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
