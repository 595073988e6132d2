"""One look for every figure in the book.

Call :func:`use_book_style` once at the top of a lesson; the colours in :data:`COLORS` give the same
meaning the same colour in every chapter (targets are always grey, the model always blue, ...).
Needs matplotlib, which the core of celib does not.

Figures are drawn on an opaque white face with dark text, axes and ticks, whatever the reader's
matplotlib defaults or the notebook front end ask for (JupyterLab's and the website's dark themes
would otherwise show black text on a transparent, i.e. dark, background). The website's dark mode
then shows each figure as a white card.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

__all__ = ["COLORS", "use_book_style", "new_figure"]

#: Colour per role, from the colour-blind-safe Okabe-Ito palette.
COLORS = {
    "model": "#0072B2",      # predictions, q, the model's curve
    "target": "#7f7f7f",     # targets, p, ground truth
    "loss": "#D55E00",       # loss values and curves
    "gradient": "#009E73",   # gradients
    "highlight": "#CC79A7",  # the one point the text talks about
    "alternative": "#E69F00",  # a second method being compared (MSE, naive code, ...)
    "reference": "#56B4E9",  # a reference line or bound
}

#: Dark ink for text, axes and ticks (on the white face); near-black, contrast ratio > 15:1.
_INK = "#1a1a1a"

_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "font.size": 10.5,
    "axes.titlesize": 11,
    "axes.labelsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
    # Dark-mode safe: an opaque white figure with dark ink, also when saved (savefig/inline PNG).
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "text.color": _INK,
    "axes.labelcolor": _INK,
    "axes.titlecolor": _INK,
    "axes.edgecolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "xtick.labelcolor": _INK,
    "ytick.labelcolor": _INK,
    "legend.labelcolor": _INK,
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (idempotent)."""
    mpl.rcParams.update(_STYLE)


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 6.4, height: float = 3.6, **kwargs):
    """``plt.subplots`` with the book's default size; returns ``(fig, axes)``."""
    return plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)
