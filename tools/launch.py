"""Launch links for the lessons: Binder and a JupyterHub (nbgitpuller), from ONE repository setting.

The setting lives in `_config.yml`, in Jupyter Book's own `repository` block::

    repository:
      url: https://github.com/you/cross-entropy-executably   # "" = no launch links anywhere
      branch: main
    launch_buttons:
      binderhub_url: https://mybinder.org   # used once repository.url is set
      jupyterhub_url: ""                    # your hub's address, if you have one

`repository.url` empty (the default in this repository) means: no launch link on any page. Set it
and every lesson page gets a plain "Launch on Binder" link; set `launch_buttons.jupyterhub_url` too
and it also gets a "Launch on <your hub>" link (a hub's address cannot be guessed from the
repository). The links are ordinary `<a href>`s: the site itself still makes no outside request.

Both links open the lesson the way `make lab` shows it (MyST rendered by jupyterlab-myst, glued
numbers in the prose, solutions collapsed, live explorers), i.e. the *learner's copy* that
`tools/lab/labcopy.py` writes, never the verified `chapters/*.ipynb`:

* Binder builds the repository at `repository.branch`; `binder/postBuild` runs labcopy, so the
  image has `lab/`, and the link opens `lab/<lesson>.ipynb` in JupyterLab.
* A JupyterHub cannot run a build step, so nbgitpuller pulls the branch `learner` instead
  (LEARNER_BRANCH), which holds the learner's copy at its top level; the hosted CI workflow
  (.github/workflows/book.yml) publishes it from the default branch. nbgitpuller clones it into a
  folder named like the repository, and merges the learner's own edits with later updates.

Used by the Sphinx extension `_ext/launch_links.py` (the links on each page) and by any tool that
lists links per lesson (e.g. a hub page). Command line::

    python tools/launch.py            # one line per lesson: lesson, Binder URL, hub URL

Example (the setting as a dict, so no file is read)::

    >>> s = LaunchSettings(repository_url="https://github.com/ada/ce-book", branch="main")
    >>> binder_url(s, "chapters/01_entropy")
    'https://mybinder.org/v2/gh/ada/ce-book/main?urlpath=lab%2Ftree%2Flab%2F01_entropy.ipynb'
    >>> nbgitpuller_url(s, "chapters/01_entropy", hub_url="https://hub.example.edu")
    'https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fada%2Fce-book&branch=learner&urlpath=lab%2Ftree%2Fce-book%2F01_entropy.ipynb'
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"

DEFAULT_BINDERHUB = "https://mybinder.org"
# The branch that holds the learner's copy (tools/lab/labcopy.py's output) for nbgitpuller;
# published by the `learner-copy` job of .github/workflows/book.yml.
LEARNER_BRANCH = "learner"
# Folder of the learner's copy inside a Binder image (binder/postBuild), as in `make lab`.
LAB_FOLDER = "lab"
# Notebooks that need the ~2.7 GB framework stack (requirements-frameworks.txt): a Binder image
# or a hub image built for the lessons does not have it, so these pages get no launch link.
NEEDS_FRAMEWORKS = frozenset({"chapters/appendix_frameworks"})


@dataclass(frozen=True)
class LaunchSettings:
    """The repository setting. `repository_url` empty = launch links off."""

    repository_url: str = ""
    branch: str = "main"
    binderhub_url: str = DEFAULT_BINDERHUB
    jupyterhub_url: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.repository_url.strip())

    @property
    def repository_name(self) -> str:
        """The folder nbgitpuller clones into: the URL's last path component, without `.git`."""
        name = PurePosixPath(urlparse(self.repository_url).path.rstrip("/")).name
        return name[:-4] if name.endswith(".git") else name


def settings_from_config(config: dict) -> LaunchSettings:
    """Read the setting from a parsed `_config.yml` (a dict)."""
    repository = config.get("repository") or {}
    buttons = config.get("launch_buttons") or {}
    return LaunchSettings(
        repository_url=str(repository.get("url") or "").strip(),
        branch=str(repository.get("branch") or "main").strip(),
        binderhub_url=str(buttons.get("binderhub_url") or DEFAULT_BINDERHUB).strip().rstrip("/"),
        jupyterhub_url=str(buttons.get("jupyterhub_url") or "").strip().rstrip("/"),
    )


def load_settings(config_path: Path | str = CONFIG) -> LaunchSettings:
    """Read the setting from `_config.yml` (default: this repository's)."""
    import yaml

    return settings_from_config(yaml.safe_load(Path(config_path).read_text(encoding="utf8")) or {})


def _docname(lesson: str) -> str:
    """'chapters/01_entropy.ipynb' or 'chapters/01_entropy' -> 'chapters/01_entropy'."""
    return lesson[:-6] if lesson.endswith(".ipynb") else lesson


def learner_file(lesson: str) -> str:
    """The lesson's file name in the learner's copy: chapters/01_entropy -> 01_entropy.ipynb.

    labcopy copies chapters/ flat into lab/, so the name is the same without the folder.
    """
    return PurePosixPath(_docname(lesson)).name + ".ipynb"


def is_launchable(lesson: str, root: Path = ROOT) -> bool:
    """A notebook page whose lesson runs with the lessons' packages (not the framework stack)."""
    doc = _docname(lesson)
    return doc not in NEEDS_FRAMEWORKS and (root / (doc + ".ipynb")).is_file()


def launchable_lessons(toc_path: Path | str = TOC) -> list[str]:
    """Docnames of the notebooks listed in `_toc.yml` that get launch links, in book order."""
    import yaml

    toc_path = Path(toc_path)
    docs: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                docs.append(_docname(str(node["file"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc_path.read_text(encoding="utf8")))
    return [d for d in docs if is_launchable(d, toc_path.parent)]


def _binder_spec(repository_url: str, branch: str) -> str:
    """BinderHub's `/v2/<provider>/<spec>` part: GitHub and GitLab by name, any other git by URL."""
    parsed = urlparse(repository_url)
    path = parsed.path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    host = parsed.netloc.lower()
    if host in ("github.com", "www.github.com"):
        return f"gh/{path}/{quote(branch, safe='')}"
    if host in ("gitlab.com", "www.gitlab.com"):
        return f"gl/{quote(path, safe='')}/{quote(branch, safe='')}"
    return f"git/{quote(repository_url, safe='')}/{quote(branch, safe='')}"


def binder_url(settings: LaunchSettings, lesson: str) -> str:
    """Binder link that opens the learner's copy of `lesson` in JupyterLab ('' when off)."""
    if not settings.enabled:
        return ""
    urlpath = f"lab/tree/{LAB_FOLDER}/{learner_file(lesson)}"
    return (f"{settings.binderhub_url}/v2/{_binder_spec(settings.repository_url, settings.branch)}"
            f"?urlpath={quote(urlpath, safe='')}")


def nbgitpuller_url(settings: LaunchSettings, lesson: str, hub_url: str | None = None) -> str:
    """nbgitpuller link: pull the learner branch into the hub, open the lesson ('' when off).

    `hub_url` defaults to the setting's `jupyterhub_url`; no hub address means no link.
    """
    hub = (hub_url if hub_url is not None else settings.jupyterhub_url).rstrip("/")
    if not settings.enabled or not hub:
        return ""
    query = urlencode({
        "repo": settings.repository_url,
        "branch": LEARNER_BRANCH,
        "urlpath": f"lab/tree/{settings.repository_name}/{learner_file(lesson)}",
    }, quote_via=quote)
    return f"{hub}/hub/user-redirect/git-pull?{query}"


def hub_name(settings: LaunchSettings) -> str:
    """Short label for the hub link: its host name."""
    return urlparse(settings.jupyterhub_url).netloc or settings.jupyterhub_url


def main(argv: list[str]) -> int:
    settings = load_settings(argv[0] if argv else CONFIG)
    if not settings.enabled:
        print("launch links are off: set repository.url in _config.yml")
        return 0
    for lesson in launchable_lessons():
        print(lesson, binder_url(settings, lesson), nbgitpuller_url(settings, lesson) or "-", sep="\t")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
