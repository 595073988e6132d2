"""Explorers: a figure with sliders in JupyterLab, the same figure as a still image on the website.

A lesson defines ``draw(fig, **params)`` that draws one state of the picture into an empty figure,
then calls ``explore(draw, name=(min, max, step, default), ...)``.

* Live (JupyterLab, ``make lab``): ipywidgets sliders redraw the figure as they move.
* Static (``CELIB_EXPLORER=static``, which the Makefile and ``chapters/conftest.py`` set whenever a
  notebook is executed for storage or checked by nbval): the figure is drawn once at the default
  values and no widget is created. The stored output is then an ordinary, deterministic image, so
  nbval can compare it, and the website shows a real picture instead of a dead slider.
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt

__all__ = ["explore", "is_static"]


def is_static() -> bool:
    """True when explorers should draw a still figure instead of live widgets."""
    return os.environ.get("CELIB_EXPLORER", "live") == "static"


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


def explore(draw, *, figsize=(6.4, 3.6), **controls):
    """Show ``draw`` with one control per keyword argument.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **params)`` draws one state into the empty figure ``fig``.
    figsize : tuple, default (6.4, 3.6)
        Figure size in inches.
    **controls
        ``name=(min, max, step, default)`` for a slider (an int slider if all four are ints),
        ``name=True/False`` for a checkbox, or any ipywidgets widget.

    Returns
    -------
    None. The figure (static) or the widget box (live) is displayed.
    """
    defaults = {name: _default(spec) for name, spec in controls.items()}
    if is_static():
        _draw_and_show(draw, figsize, defaults)
        return None

    import ipywidgets as widgets
    from IPython.display import display

    sliders = {name: _control(name, spec) for name, spec in controls.items()}
    out = widgets.interactive_output(lambda **p: _draw_and_show(draw, figsize, p), sliders)
    display(widgets.VBox([widgets.HBox(list(sliders.values()), layout={"flex_flow": "row wrap"}), out]))
    return None
