"""A lesson downloaded from the site runs in a fresh environment after the one documented install line.

What a reader does (intro.md, "Run these lessons"): download a lesson's .ipynb from its page, then
`python -m pip install "celib[book] @ ..."` and run it. Here: a new virtual environment without
this project's .venv, `celib[book]` installed from this checkout (not editable), the notebook in an
empty temporary folder (so nothing of the repository is importable by accident), executed with
nbclient in that environment's kernel, explorers live (CELIB_EXPLORER unset, as for a reader).

Which notebook: the file the download button serves, `_build/html/_sources/chapters/<lesson>.ipynb`
when the site is built (and then it must equal chapters/<lesson>.ipynb: myst-nb copies it
verbatim), else the chapter itself (a clean clone, where test-lib runs before the build).

Which lessons are executed: the fewest, in book order, whose imports together cover every
third-party module that any launchable lesson imports (computed below, not listed by hand); every
lesson's imports are also imported in the fresh environment. DOWNLOADED_LESSONS=all executes all.

Last, the same environment becomes a Binder image: binder/requirements.txt is installed as
repo2docker installs it and binder/postBuild runs in a copy of the repository; it must write the
learner's copy lab/ exactly as `make lab` does (glued numbers in the prose, solutions collapsed)
without touching chapters/. (One environment for both keeps the test's time down: creating and
filling an environment is most of it.)

Speed: installs are pinned to requirements.txt, so every wheel comes from the local cache, and
not byte-compiled.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import launch  # noqa: E402

BUILT_SOURCES = ROOT / "_build" / "html" / "_sources"


def lesson_imports(path: Path) -> set[str]:
    """Top-level module names a notebook's code cells import (IPython magics turned into Python the
    way IPython does, so a continuation line that starts with ``!=`` stays Python)."""
    from IPython.core.inputtransformer2 import TransformerManager

    to_python = TransformerManager().transform_cell
    names: set[str] = set()
    for cell in json.loads(path.read_text(encoding="utf8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse(to_python("".join(cell["source"])))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and not n.startswith("_")}


LESSONS = launch.launchable_lessons()
IMPORTS = {doc: third_party(lesson_imports(ROOT / f"{doc}.ipynb")) for doc in LESSONS}


def covering_lessons() -> list[str]:
    """Greedy set cover of all lessons' third-party imports, ties broken by book order."""
    missing = set().union(*IMPORTS.values())
    chosen: list[str] = []
    while missing:
        best = max(LESSONS, key=lambda doc: (len(IMPORTS[doc] & missing), -LESSONS.index(doc)))
        chosen.append(best)
        missing -= IMPORTS[best]
    return sorted(chosen, key=LESSONS.index)


EXECUTED = LESSONS if os.environ.get("DOWNLOADED_LESSONS") == "all" else covering_lessons()


def downloadable(doc: str) -> Path:
    chapter = ROOT / f"{doc}.ipynb"
    built = BUILT_SOURCES / f"{doc}.ipynb"
    # A build older than the chapter is stale (the next `make book` copies the chapter again).
    if built.is_file() and built.stat().st_mtime >= chapter.stat().st_mtime:
        assert built.read_bytes() == chapter.read_bytes(), (
            f"{built} (what the download button serves) differs from {chapter}")
        return built
    return chapter


def repository_copy(where: Path) -> Path:
    """The checkout's files as they are now (tracked, or new and not ignored), without .git."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = where / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return where


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    """A new venv with only `celib[book]` from this checkout; returns its python.

    Installed from a copy of the checkout: building the package writes `build/` next to its
    pyproject.toml, which must not happen in the working tree.
    """
    where = tmp_path_factory.mktemp("reader")
    source = repository_copy(where / "source")
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    python = where / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-compile",
         "--disable-pip-version-check", "-c", str(ROOT / "requirements.txt"),
         f"celib[book] @ {source.as_uri()}"],
        check=True, cwd=where)
    return python


def reader_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CELIB_EXPLORER", "MPLBACKEND", "PYTHONPATH", "VIRTUAL_ENV")}
    return env


def test_the_book_extra_brings_every_lesson_import(fresh_env, tmp_path):
    wanted = sorted(set().union(*IMPORTS.values()))
    assert "celib" in wanted and "myst_nb" in wanted
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    result = subprocess.run([str(fresh_env), "-c", script, *wanted], cwd=tmp_path, env=reader_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    # celib came from site-packages of the fresh environment, not from this checkout
    where = subprocess.run([str(fresh_env), "-c", "import celib; print(celib.__file__)"], cwd=tmp_path,
                           env=reader_env(), capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in where and "site-packages" in where


# The kernel talks to nbclient over IPC sockets in the lesson's folder, not TCP ports on localhost:
# on a machine shared by many jobs a port can be taken between being chosen and being bound.
EXECUTE = """
import sys, nbformat, nbclient
from jupyter_client.manager import KernelManager
nb = nbformat.read(sys.argv[1], as_version=4)
km = KernelManager(kernel_name="python3", transport="ipc", ip="kernel")
nbclient.NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": "."}}).execute()
print("executed", len(nb.cells), "cells")
"""


@pytest.mark.parametrize("doc", EXECUTED)
def test_downloaded_lesson_runs_in_a_fresh_environment(fresh_env, tmp_path, doc):
    folder = tmp_path / "downloads"
    folder.mkdir()
    notebook = folder / Path(doc).with_suffix(".ipynb").name
    shutil.copyfile(downloadable(doc), notebook)
    result = subprocess.run([str(fresh_env), "-c", EXECUTE, notebook.name], cwd=folder,
                            env=reader_env(), capture_output=True, text=True)
    assert result.returncode == 0, f"{doc} failed in a fresh environment:\n{result.stderr[-4000:]}"
    assert "executed" in result.stdout


# ------------------------------------------------------------------ Binder's post-build step

def lesson_names(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.ipynb")}


def check_learner_copy(lab: Path, chapters: Path) -> None:
    assert lesson_names(chapters) <= lesson_names(lab)
    for doc in launch.launchable_lessons(chapters.parent / "_toc.yml"):
        assert (lab / launch.learner_file(doc)).is_file(), doc
    nb = json.loads((lab / "01_entropy.ipynb").read_text())
    markdown = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "{glue:text}" not in markdown and "{glue}" not in markdown, "glued numbers not filled in"
    collapsed = [c for c in nb["cells"] if c["cell_type"] == "markdown"
                 and c.get("metadata", {}).get("jp-MarkdownHeadingCollapsed")]
    assert collapsed, "no collapsed solution section"
    assert "{glue:text}" in "".join("".join(c["source"]) for c in json.loads(
        (chapters / "01_entropy.ipynb").read_text())["cells"]), "the verified lesson itself must stay as it is"


def test_binder_post_build_prepares_the_learners_copy(fresh_env, tmp_path):
    repo = repository_copy(tmp_path / "repo")
    env = reader_env()
    env["PATH"] = f"{fresh_env.parent}{os.pathsep}{env['PATH']}"
    env["PIP_NO_COMPILE"] = "1"  # speed only: repo2docker byte-compiles, the files are the same
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    subprocess.run(["python", "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
                   cwd=repo, env=env, check=True)
    before = {p: p.read_bytes() for p in (repo / "chapters").glob("*.ipynb")}
    result = subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    check_learner_copy(repo / "lab", repo / "chapters")
    assert {p: p.read_bytes() for p in (repo / "chapters").glob("*.ipynb")} == before
    # celib is installed in that environment (the kernel the lessons run in), not found by path
    where = subprocess.run(["python", "-c", "import celib, myst_nb, jupyterlab_myst; print(celib.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert "site-packages" in where
