"""Explorers: a figure with sliders in JupyterLab, and the same sliders live on the static website.

A lesson defines ``draw(fig, **params)`` that draws one state of the picture into an empty figure,
then calls ``explore(draw, name=(min, max, step, default), ..., site=Site(...))``.

* Live (JupyterLab, ``make lab``): ipywidgets sliders redraw the matplotlib figure as they move.
* Static (``CELIB_EXPLORER=static``, which the Makefile and ``chapters/conftest.py`` set whenever a
  notebook is executed for storage or checked by nbval): no widget is created. The output is the
  still figure at the default values (for the PDF, for readers without JavaScript, and for nbval)
  and, with ``site=``, the live chart for the website in the same output's metadata under
  :data:`PAYLOAD_KEY`: every frame's numbers on the site grid, computed here by the lesson's
  ``celib`` calls, plus a Vega-Lite specification of the chart. The site's loader
  (``assets/celib-explorer.js``) only *selects* precomputed rows and strings; it evaluates no
  formula. ``_ext/explorers.py`` puts the payload next to the still when the site is built.

nbval skips output metadata, so the output's ``text/plain`` ends with a line naming the frame count
and a SHA-256 of the payload: a fresh run that computes different numbers fails nbval.

The payload (``PAYLOAD_VERSION``)::

    {"version": 1, "description": str,
     "controls": [{"name", "label", "values", "labels", "index"}],   # the site grid per slider
     "tables": {name: {"over": [control names], "columns": {column: [values]}}},
     "readout": [{"over": [control names], "templates", "values"}],  # row-major over the grids
     "spec": Vega-Lite top level (params, config), "panels": [Vega-Lite views]}

A table ``over`` controls ``a, b`` holds, for every combination of their site-grid values, the rows
that ``fn(a=..., b=...)`` returned, with the key columns ``a`` and ``b`` added; the chart's views
that read it (``alt.NamedData(name)``) get a filter keeping the current combination. A control that
changes none of a table's stored numbers is dropped from its key after every combination was
computed (the table is stored once for it: lossless).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["explore", "is_static", "Site", "site_payload", "PAYLOAD_KEY"]

PAYLOAD_KEY = "celib/explorer"
PAYLOAD_VERSION = 1
#: significant digits kept for the charts' floats (a chart draws them to a fraction of a pixel; the
#: readout sentences are formatted by the lesson, exactly)
DIGITS = 4

#: Dark ink on white, as celib.plotting draws the still figures (a light card in the dark theme too).
_INK = "#1a1a1a"
SITE_CONFIG = {
    "background": "white",
    "font": "sans-serif",
    "view": {"stroke": None},
    "axis": {"labelColor": _INK, "titleColor": _INK, "domainColor": _INK, "tickColor": _INK,
             "gridOpacity": 0.3, "labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal"},
    "legend": {"labelColor": _INK, "titleColor": _INK, "labelFontSize": 11, "orient": "bottom",
               "direction": "horizontal", "columns": 2, "labelLimit": 400},
    "title": {"color": _INK, "fontSize": 12, "fontWeight": "normal"},
    "text": {"color": _INK},
    "mark": {"aria": False},
    "axisX": {"aria": False},
    "axisY": {"aria": False},
}


def is_static() -> bool:
    """True when explorers should draw a still figure instead of live widgets."""
    return os.environ.get("CELIB_EXPLORER", "live") == "static"


# --------------------------------------------------------------------------- the site's live chart


@dataclass
class Site:
    """How an explorer appears live on the website.

    Parameters
    ----------
    panels : callable
        ``panels(alt)`` returns a list of Altair charts (side by side on a wide screen, stacked on
        a phone) that read the tables through ``alt.NamedData(name)`` and the slider values as
        Vega-Lite parameters named like the controls.
    tables : dict
        ``name -> (over, fn)``: ``fn(**{c: value for c in over})`` returns a dict of equal-length
        columns (or of scalars, one row) computed with ``celib``.
    readout : callable or list
        ``readout(**params) -> str``, the sentence stating the current state (shown above the chart
        and read out by screen readers), or a list of ``(over, fn)`` parts joined by ``"; "``.
    description : str
        What the chart shows, in words (the chart's accessible name, before the readout).
    grid : dict, optional
        ``control -> sequence of values`` on the site (default: the slider's own grid). A coarser
        grid keeps the page light; the caption says so.
    labels : dict, optional
        ``control -> label`` shown beside the slider (default: the control's name).
    formats : dict, optional
        ``control -> format spec`` for the slider's shown value (default ``"g"``).
    shares : list, optional
        Relative widths of the panels side by side (default: equal).
    """

    panels: Callable[[Any], list]
    tables: Mapping[str, tuple[Sequence[str], Callable[..., Mapping[str, Any]]]]
    readout: Callable[..., str] | list
    description: str
    grid: Mapping[str, Sequence] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    shares: Sequence[float] | None = None


def _slider_grid(spec) -> list:
    lo, hi, step, _ = spec
    if all(isinstance(s, int) for s in spec):
        return list(range(lo, hi + 1, step))
    n = int(round((hi - lo) / step))
    return [_clean(lo + i * step) for i in range(n + 1)]


def _clean(x):
    """A JSON-ready scalar: ints stay ints, floats keep DIGITS significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if not math.isfinite(x):
            return None  # JSON null: Vega-Lite leaves the point out (an infinite divergence)
        return float(f"{x:.{DIGITS}g}") if x != 0 else 0.0
    if isinstance(x, str):
        return x
    raise TypeError(f"explorer data must be numbers or strings; got {type(x).__name__}")


def _columns(result: Mapping[str, Any], table: str) -> dict[str, list]:
    cols = {}
    for key, value in result.items():
        arr = np.asarray(value, dtype=object if isinstance(value, (list, tuple)) and value
                         and isinstance(value[0], str) else None)
        cols[key] = [_clean(v) for v in np.atleast_1d(arr).ravel().tolist()]
    lengths = {len(v) for v in cols.values()}
    if len(lengths) > 1:
        raise ValueError(f"table {table!r}: columns of different lengths {sorted(lengths)}")
    return cols


def site_payload(site: Site, controls: Mapping[str, Any]) -> dict:
    """Compute every frame of ``site`` on its grid and return the JSON-ready payload."""
    import altair as alt

    grids, out_controls = {}, []
    for name, spec in controls.items():
        values = [_clean(v) for v in site.grid.get(name, _slider_grid(spec))]
        default = _clean(spec[3])
        if default not in values:
            raise ValueError(f"control {name!r}: the site grid must contain the default {default}")
        lo, hi = _clean(spec[0]), _clean(spec[1])
        if values[0] != lo or values[-1] != hi:
            raise ValueError(f"control {name!r}: the site grid must span the slider range "
                             f"[{lo}, {hi}]; got [{values[0]}, {values[-1]}]")
        grids[name] = values
        fmt = site.formats.get(name, "g")
        out_controls.append({"name": name, "label": site.labels.get(name, name), "values": values,
                             "labels": [format(v, fmt) for v in values],
                             "index": values.index(default)})

    def combos(over):
        for unknown in set(over) - set(grids):
            raise ValueError(f"{unknown!r} is not a control of this explorer")
        return [dict(zip(over, vals)) for vals in itertools.product(*(grids[c] for c in over))]

    tables = {}
    for tname, (over, fn) in site.tables.items():
        over = list(over)
        results = {tuple(p.values()): _columns(fn(**p), tname) for p in combos(over)}
        over, results = _drop_unused(over, results, grids)
        merged: dict[str, list] = {}
        for key, cols in results.items():
            n = len(next(iter(cols.values()))) if cols else 0
            cols = dict(cols, **{c: [v] * n for c, v in zip(over, key)})
            for column, vals in cols.items():
                merged.setdefault(column, []).extend(vals)
        tables[tname] = {"over": over, "columns": merged}

    parts = site.readout if isinstance(site.readout, list) else [(list(controls), site.readout)]
    readout = [dict(over=list(over), **compress_sentences([str(fn(**p)) for p in combos(list(over))]))
               for over, fn in parts]

    chart = alt.hconcat(*site.panels(alt)).to_dict()
    panels = chart.pop("hconcat")
    if "data" in chart:  # Altair hoists data the panels share: give it back, so each gets its filter
        shared = chart.pop("data")
        panels = [{"data": shared, **panel} for panel in panels]
    for panel in panels:
        _add_filters(panel, tables)
    chart.pop("$schema", None)
    chart["params"] = chart.get("params", []) + [
        {"name": c["name"], "value": c["values"][c["index"]]} for c in out_controls]
    chart["config"] = {**SITE_CONFIG, **chart.get("config", {})}
    # each panel keeps its own colours and legend
    chart.setdefault("resolve", {
        "scale": {"color": "independent", "strokeDash": "independent"},
        "legend": {"color": "independent", "strokeDash": "independent"}})
    return {"version": PAYLOAD_VERSION, "description": site.description, "digits": DIGITS,
            "controls": out_controls, "tables": tables, "readout": readout,
            "spec": chart, "panels": panels,
            "shares": [float(s) for s in site.shares] if site.shares else [1.0] * len(panels)}


def _drop_unused(over, results, grids):
    """Every combination was computed; a control whose value changes no stored number of a table
    (after rounding) is dropped from its key, and the table stored once for it (lossless)."""
    for c in list(over):
        i = over.index(c)
        first = grids[c][0]
        if all(cols == results[key[:i] + (first,) + key[i + 1:]] for key, cols in results.items()):
            over = over[:i] + over[i + 1:]
            results = {key[:i] + key[i + 1:]: cols for key, cols in results.items() if key[i] == first}
    return over, results


_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?")


def compress_sentences(texts: Sequence[str]) -> dict:
    """Readout sentences, losslessly, as templates with ``{}`` where the numbers were plus each
    sentence's number strings: ``{"templates": [...], "which": [...], "values": [[...], ...]}``
    (``which`` only when there is more than one template). :func:`readout_texts` inverts it."""
    templates: dict[str, int] = {}
    which, values = [], []
    for text in texts:
        if "{" in text or "}" in text:
            raise ValueError(f"a readout may not contain braces: {text!r}")
        template = _NUMBER.sub("{}", text)
        which.append(templates.setdefault(template, len(templates)))
        values.append(_NUMBER.findall(text))
    out = {"templates": list(templates), "values": values}
    if len(templates) > 1:
        out["which"] = which
    return out


def readout_texts(part: Mapping[str, Any]) -> list[str]:
    """The sentences of one readout part of a payload (the inverse of :func:`compress_sentences`)."""
    out = []
    for i, vals in enumerate(part["values"]):
        template = part["templates"][part["which"][i] if "which" in part else 0]
        pieces = template.split("{}")
        out.append(pieces[0] + "".join(v + rest for v, rest in zip(vals, pieces[1:])))
    return out


def _add_filters(view: dict, tables: Mapping[str, dict]) -> None:
    """Prepend ``datum.c == c`` for each key column to every view that reads a keyed table."""
    if isinstance(view, dict):
        name = (view.get("data") or {}).get("name") if isinstance(view.get("data"), dict) else None
        if name is not None:
            if name not in tables:
                raise ValueError(f"the chart reads a table {name!r} that the explorer does not define")
            over = tables[name]["over"]
            if over:
                test = " && ".join(f"datum[{json.dumps(c)}] == {c}" for c in over)
                view["transform"] = [{"filter": test}] + view.get("transform", [])
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for child in view.get(key, []):
                _add_filters(child, tables)


def payload_digest(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf8")).hexdigest()[:16]


def frame_count(payload: dict) -> int:
    return math.prod(len(c["values"]) for c in payload["controls"])


# --------------------------------------------------------------------------- JupyterLab widgets


def _control(name: str, spec):
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    if isinstance(spec, widgets.Widget):
        return spec
    if isinstance(spec, (list, tuple)) and len(spec) == 4:
        lo, hi, step, value = spec
        kind = widgets.IntSlider if all(isinstance(s, int) for s in spec) else widgets.FloatSlider
        return kind(min=lo, max=hi, step=step, value=value, description=name, style=style,
                    continuous_update=False)
    if isinstance(spec, bool):
        return widgets.Checkbox(value=spec, description=name)
    raise TypeError(f"control {name!r} must be (min, max, step, default), a bool or a widget; got {spec!r}")


def _default(spec):
    if isinstance(spec, (list, tuple)):
        return spec[3]
    if hasattr(spec, "value"):
        return spec.value
    return spec


def _draw_and_show(draw, figsize, params):
    fig = plt.figure(figsize=figsize)
    draw(fig, **params)
    plt.show()


def _show_still_with_payload(draw, figsize, params, payload):
    """The still figure as the inline backend would show it, with the site payload attached."""
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    fig = plt.figure(figsize=figsize)
    draw(fig, **params)
    png = print_figure(fig, "png", bbox_inches="tight")
    text = (f"{fig!r}\nlive on the website: {frame_count(payload)} frames, "
            f"data sha256 {payload_digest(payload)}")
    plt.close(fig)
    display({"image/png": png, "text/plain": text}, raw=True,
            metadata={PAYLOAD_KEY: payload})


def explore(draw, *, figsize=(6.4, 3.6), site: Site | None = None, **controls):
    """Show ``draw`` with one control per keyword argument.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **params)`` draws one state into the empty figure ``fig``.
    figsize : tuple, default (6.4, 3.6)
        Figure size in inches.
    site : Site, optional
        The live chart for the website (see :class:`Site`); computed only when static.
    **controls
        ``name=(min, max, step, default)`` for a slider (an int slider if all four are ints),
        ``name=True/False`` for a checkbox, or any ipywidgets widget.

    Returns
    -------
    None. The figure (static, with the website's payload when ``site`` is given) or the widget box
    (live) is displayed.
    """
    defaults = {name: _default(spec) for name, spec in controls.items()}
    if is_static():
        if site is None:
            _draw_and_show(draw, figsize, defaults)
        else:
            _show_still_with_payload(draw, figsize, defaults, site_payload(site, controls))
        return None

    import ipywidgets as widgets
    from IPython.display import display

    sliders = {name: _control(name, spec) for name, spec in controls.items()}
    out = widgets.interactive_output(lambda **p: _draw_and_show(draw, figsize, p), sliders)
    display(widgets.VBox([widgets.HBox(list(sliders.values()), layout={"flex_flow": "row wrap"}), out]))
    return None
