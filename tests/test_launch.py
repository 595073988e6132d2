"""tools/launch.py: the repository setting and the Binder / nbgitpuller URLs built from it.

The built pages' links are checked in tests/test_launch_site.py; here the helper alone, fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import launch  # noqa: E402


def on(url="https://github.com/ada/ce-book", **kw):
    return launch.LaunchSettings(repository_url=url, **kw)


def test_repository_setting_is_off_in_this_repository():
    """The committed _config.yml leaves the one setting empty: no launch link until a fork sets it."""
    settings = launch.load_settings()
    assert not settings.enabled
    assert launch.binder_url(settings, "chapters/01_entropy") == ""
    assert launch.nbgitpuller_url(settings, "chapters/01_entropy", hub_url="https://hub.example.edu") == ""


def test_settings_read_from_jupyter_book_keys():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = "https://github.com/ada/ce-book.git"
    config["repository"]["branch"] = "spring"
    config["launch_buttons"]["jupyterhub_url"] = "https://hub.example.edu/"
    s = launch.settings_from_config(config)
    assert s.enabled and s.branch == "spring"
    assert s.repository_name == "ce-book"
    assert s.jupyterhub_url == "https://hub.example.edu"
    assert s.binderhub_url == "https://mybinder.org"


@pytest.mark.parametrize("lesson", ["chapters/01_entropy", "chapters/01_entropy.ipynb"])
def test_binder_url_opens_the_learners_copy(lesson):
    url = launch.binder_url(on(branch="main"), lesson)
    parsed = urlparse(url)
    assert parsed.netloc == "mybinder.org"
    assert parsed.path == "/v2/gh/ada/ce-book/main"
    # lab/ is the learner's copy written by binder/postBuild (tools/lab/labcopy.py), as in `make lab`
    assert parse_qs(parsed.query)["urlpath"] == ["lab/tree/lab/01_entropy.ipynb"]


def test_binder_url_for_gitlab_and_plain_git():
    gl = launch.binder_url(on("https://gitlab.com/group/sub/ce-book"), "chapters/02_cross_entropy")
    assert urlparse(gl).path == "/v2/gl/group%2Fsub%2Fce-book/main"
    other = launch.binder_url(on("https://git.example.org/ce-book.git"), "chapters/02_cross_entropy")
    assert unquote(urlparse(other).path) == "/v2/git/https://git.example.org/ce-book.git/main"


def test_nbgitpuller_url_pulls_the_learner_branch():
    url = launch.nbgitpuller_url(on(jupyterhub_url="https://hub.example.edu"), "chapters/05_binary_cross_entropy")
    parsed = urlparse(url)
    assert (parsed.netloc, parsed.path) == ("hub.example.edu", "/hub/user-redirect/git-pull")
    query = parse_qs(parsed.query)
    assert query == {
        "repo": ["https://github.com/ada/ce-book"],
        "branch": [launch.LEARNER_BRANCH],
        # nbgitpuller clones into a folder named like the repository
        "urlpath": ["lab/tree/ce-book/05_binary_cross_entropy.ipynb"],
    }


def test_no_hub_address_no_hub_link():
    assert launch.nbgitpuller_url(on(), "chapters/01_entropy") == ""


def test_launchable_lessons_are_the_toc_notebooks_without_the_framework_stack():
    lessons = launch.launchable_lessons()
    notebooks = sorted(p.with_suffix("").relative_to(ROOT).as_posix() for p in (ROOT / "chapters").glob("*.ipynb"))
    assert sorted(lessons) == sorted(set(notebooks) - launch.NEEDS_FRAMEWORKS)
    assert "chapters/01_entropy" in lessons and "chapters/appendix_frameworks" not in lessons
