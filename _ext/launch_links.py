"""Launch links and the "Run these lessons" text, from the one repository setting in `_config.yml`.

* Every lesson page gets a "Launch" group in its header (beside the download menu) with plain
  links to Binder and, when `launch_buttons.jupyterhub_url` is set, to that JupyterHub through
  nbgitpuller. The URLs come from `tools/launch.py` (the same helper other tools import) and open
  the learner's copy of the lesson, as `make lab` shows it. Nothing is loaded from another host:
  the icons are the theme's own files, and a link is only followed when a reader clicks it.
* The directive ``{run-these-lessons}`` (used in intro.md) writes how to run the lessons outside
  this site: with the repository's address and a clone + `make lab` when it is set, otherwise
  how to get the source from whoever published the site.

With `repository.url` empty (this repository's default) no page carries a launch link.

Jupyter Book copies `repository`/`launch_buttons` into `html_theme_options`, but `_config.yml`
replaces `html_theme_options` as a whole (to keep the theme's own launch buttons off: they would
open chapters/, the verified files), so the setting is read from `_config.yml` in the source folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

_TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _launch():
    if str(_TOOLS) not in sys.path:
        sys.path.insert(0, str(_TOOLS))
    import launch

    return launch


def _settings(app: Sphinx):
    launch = _launch()
    config = Path(app.srcdir) / "_config.yml"
    return launch.load_settings(config) if config.is_file() else launch.LaunchSettings()


def add_launch_links(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    launch = _launch()
    settings = app.launch_settings
    if not settings.enabled or "header_buttons" not in context:
        return
    if not launch.is_launchable(pagename, Path(app.srcdir)):
        return
    buttons = [{
        "type": "link",
        "text": "Binder",
        "tooltip": "Launch this lesson on Binder (your own copy, in JupyterLab)",
        "icon": "_static/images/logo_binder.svg",
        "url": launch.binder_url(settings, pagename),
        "label": "launch-binder",
    }]
    hub = launch.nbgitpuller_url(settings, pagename)
    if hub:
        buttons.append({
            "type": "link",
            "text": launch.hub_name(settings),
            "tooltip": f"Launch this lesson on {launch.hub_name(settings)} (JupyterHub, your own copy)",
            "icon": "_static/images/logo_jupyterhub.svg",
            "url": hub,
            "label": "launch-jupyterhub",
        })
    context["header_buttons"].append({
        "type": "group",
        "tooltip": "Launch this lesson in JupyterLab",
        "icon": "fas fa-rocket",
        "buttons": buttons,
        "label": "launch-buttons",
    })


_RUN_WITH_REPOSITORY = """\
The source of this book lives at <{url}>. With Python 3.11 or later, `git` and `make`:

```bash
git clone {url}
cd {name} && make lab
```

`make lab` installs everything into `.venv` on first use and opens the lessons in JupyterLab, on
your own copy in `lab/` (the sliders of the explorers are live there). For a single lesson
downloaded from its page (the download button, *.ipynb*), one install line brings `celib` and
what the lessons import; then open the notebook:

```bash
python -m pip install "celib[book] @ git+{url}" jupyterlab jupyterlab-myst
jupyter lab 01_entropy.ipynb
```

Each lesson page also has a *Launch* menu that opens it on Binder{hub}, with nothing to install.
"""

_RUN_WITHOUT_REPOSITORY = """\
This copy of the book does not name its source repository (its `_config.yml` leaves
`repository.url` empty), so ask whoever published it for the source: a folder with `_config.yml`,
`Makefile`, `celib/` and `chapters/`. In that folder, with Python 3.11 or later and `make`:

```bash
make lab
```

`make lab` installs everything into `.venv` on first use and opens the lessons in JupyterLab, on
your own copy in `lab/` (the sliders of the explorers are live there). For a single lesson
downloaded from its page (the download button, *.ipynb*), install `celib` and what the lessons
import from that folder, then open the notebook:

```bash
python -m pip install ".[book]" jupyterlab jupyterlab-myst
jupyter lab 01_entropy.ipynb
```
"""


def run_these_lessons_markdown(settings) -> str:
    """The intro's "Run these lessons" text for a repository setting (tested directly)."""
    if not settings.enabled:
        return _RUN_WITHOUT_REPOSITORY
    hub = f" or on {_launch().hub_name(settings)}" if settings.jupyterhub_url else ""
    url = settings.repository_url.rstrip("/")
    return _RUN_WITH_REPOSITORY.format(url=url, name=settings.repository_name, hub=hub)


class RunTheseLessons(SphinxDirective):
    """``{run-these-lessons}``: the commands to run the lessons, from the repository setting."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.launch_settings_docs = getattr(self.env, "launch_settings_docs", set()) | {self.env.docname}
        text = run_these_lessons_markdown(self.env.app.launch_settings)
        container = nodes.container(classes=["run-these-lessons"])
        self.state.nested_parse(StringList(text.splitlines(), source=self.get_source_info()[0]),
                                self.content_offset, container)
        return [container]


def read_settings(app: Sphinx) -> None:
    app.launch_settings = _settings(app)


def reread_when_setting_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Pages that print the setting are read again when it changed since the last build."""
    key = repr(app.launch_settings)
    docs = getattr(env, "launch_settings_docs", set())
    if getattr(env, "launch_settings_key", None) == key:
        return []
    env.launch_settings_key = key
    return sorted(docs & set(env.found_docs))


def purge_doc(app: Sphinx, env, docname: str) -> None:
    getattr(env, "launch_settings_docs", set()).discard(docname)


def merge_docs(app: Sphinx, env, docnames, other) -> None:
    env.launch_settings_docs = (getattr(env, "launch_settings_docs", set())
                                | getattr(other, "launch_settings_docs", set()))


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", read_settings)
    app.connect("env-get-outdated", reread_when_setting_changed)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_docs)
    # after sphinx-book-theme's own header buttons (priority 501) have been prepared
    app.connect("html-page-context", add_launch_links, priority=502)
    app.add_directive("run-these-lessons", RunTheseLessons)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
