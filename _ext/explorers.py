"""Live explorers on the website (issue 20): the still figure stays, the live chart joins it.

A lesson's explorer cell stores one output: the still PNG (what nbval, the PDF and readers without
JavaScript get) whose output metadata carries the live chart's payload (celib/explore.py: every
frame's numbers computed by celib, and a Vega-Lite spec). For the HTML builder only, this extension

1. finds those outputs in the page's notebook and puts the payload, as
   ``<div class="celib-explorer"><script type="application/json">…</script></div>``, into the
   explorer's figure before the still (the figure found by the cell's ``mystnb.figure.name``);
2. adds two scripts to those pages only: the Vega/Vega-Lite/vega-embed bundle, built from the
   pinned ``vl-convert-python`` package (``vl_convert.javascript_bundle()``) into
   ``_static/celib/vega-embed.js`` once per build (never committed, never from a CDN), and the
   loader ``assets/celib-explorer.js`` (sliders, row selection, readout; no formula).

The bundle is wrapped in a function scope: loaded as a classic script its top-level ``const``s
would collide with other scripts, and as ``type="module"`` it is blocked on ``file://``.
The single-page build printed to PDF gets no payload and no script: it shows the still and caption.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from docutils import nodes

PAYLOAD_KEY = "celib/explorer"
BUNDLE = "celib/vega-embed.js"
LOADER = "celib-explorer.js"


def _payloads(path: Path) -> dict[str, dict]:
    """figure name -> payload, for every explorer output stored in the notebook at ``path``."""
    nb = json.loads(path.read_text(encoding="utf8"))
    found = {}
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            payload = (output.get("metadata") or {}).get(PAYLOAD_KEY)
            if payload is None:
                continue
            name = ((cell.get("metadata") or {}).get("mystnb") or {}).get("figure", {}).get("name")
            if not name:
                raise RuntimeError(f"{path.name} cell {index} (id {cell.get('id')}): an explorer "
                                   "with a live chart needs mystnb.figure.name (its figure)")
            found[nodes.fully_normalize_name(name)] = payload
    return found


def _container(payload: dict, name: str) -> str:
    # "<" escaped so that no string in the data can close the script element
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    return (f'<div class="celib-explorer" data-figure="{html.escape(name)}">'
            f'<script type="application/json">{data}</script></div>')


def _insert(app, doctree, docname):
    if app.builder.name != "html":
        return
    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return
    payloads = _payloads(source)
    if not payloads:
        return
    placed = set()
    for figure in doctree.findall(nodes.figure):
        for name in figure["names"]:
            if name in payloads:
                figure["classes"].append("celib-explorer-figure")
                figure.insert(0, nodes.raw("", _container(payloads[name], name), format="html"))
                placed.add(name)
    missing = sorted(set(payloads) - placed)
    if missing:
        raise RuntimeError(f"{docname}: no figure named {missing} for the explorer payload")
    app.env.celib_explorer_pages = getattr(app.env, "celib_explorer_pages", set()) | {docname}


def _scripts(app, pagename, templatename, context, doctree):
    if pagename in getattr(app.env, "celib_explorer_pages", set()):
        app.add_js_file(BUNDLE, priority=600)
        app.add_js_file(LOADER, priority=610)


def _write_bundle(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    if not getattr(app.env, "celib_explorer_pages", None):
        return
    import vl_convert

    target = Path(app.outdir) / "_static" / BUNDLE
    text = "(function () {\n" + vl_convert.javascript_bundle() + "\n})();\n"
    if not target.is_file() or target.read_text(encoding="utf8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf8")


def setup(app):
    app.connect("doctree-resolved", _insert)
    app.connect("html-page-context", _scripts)
    app.connect("build-finished", _write_bundle)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": False}
