"""The launch links' hub route: the learner's copy on a branch that nbgitpuller pulls.

.ci/publish-learner-copy, run against a local bare repository, publishes the copy that `make lab`
writes to the branch `learner`, adds a commit only when something changed, and never rewrites
history (nbgitpuller merges a learner's edits with the new commit). Binder's route,
binder/postBuild in a fresh environment, is tested in test_downloaded_lesson.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from test_downloaded_lesson import check_learner_copy  # noqa: E402  (the same checks as Binder's)


def git(*args, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def test_publish_learner_copy_to_a_branch(tmp_path):
    bare = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(bare))
    env = dict(os.environ, PYTHON=sys.executable)
    script = ROOT / ".ci" / "publish-learner-copy"
    first = subprocess.run([str(script), str(bare)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    head = git("--git-dir", str(bare), "rev-parse", "learner")
    # a second run with nothing changed adds no commit
    again = subprocess.run([str(script), str(bare)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert git("--git-dir", str(bare), "rev-parse", "learner") == head
    checkout = tmp_path / "hub-user"
    git("clone", "--quiet", "--branch", "learner", str(bare), str(checkout))
    check_learner_copy(checkout, ROOT / "chapters")
    assert not (checkout / ".lab-manifest.json").exists() and (checkout / "README.md").is_file()
    # a change upstream becomes one more commit on top (nbgitpuller merges it; no force-push)
    (checkout / "01_entropy.ipynb").write_text("{}")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-am", "edit", cwd=checkout)
    git("push", "--quiet", "origin", "learner", cwd=checkout)
    third = subprocess.run([str(script), str(bare)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    log = git("--git-dir", str(bare), "log", "--format=%s", "learner").splitlines()
    assert len(log) == 3 and log[0].startswith("Learner's copy of") and log[1] == "edit"
