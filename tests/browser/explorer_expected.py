"""What each lesson's live explorer must show, recomputed here with celib (issue 20).

These are independent of the lesson's own explorer code: each function takes one frame's slider
values (or one table row, which carries its key columns) and recomputes, with ``celib``, the readout
sentence the page must show, or the numbers a table row must hold. tests/browser/test_explorers.py
compares them with what the built page holds and shows.

READOUT[docname](**params) -> str, the exact sentence above the chart (the text alternative).
TABLES[docname][table](row) -> {column: expected value} for the numeric columns worth checking.
"""

from __future__ import annotations

import numpy as np

import celib

READOUT: dict = {}
TABLES: dict = {}


def lesson(docname: str):
    def register(cls):
        READOUT[docname] = cls.readout
        TABLES[docname] = {name[len("table_"):]: getattr(cls, name) for name in vars(cls)
                           if name.startswith("table_")}
        return cls
    return register


def _bits_nats(q):
    return float(celib.entropy(q, base=2)), float(celib.entropy(q))


@lesson("chapters/01_entropy")
class Lesson01:
    """30 shapes, `triangles` of them triangles; the entropy of (t/30, 1 - t/30)."""

    @staticmethod
    def readout(triangles):
        bits, nats = _bits_nats(np.array([triangles, 30 - triangles]) / 30)
        return (f"{triangles} triangles and {30 - triangles} circles: "
                f"H = {bits:.4f} bits = {nats:.4f} nats")

    @staticmethod
    def table_point(row):
        q = row["triangles"] / 30
        return {"q": q, "bits": _bits_nats([q, 1 - q])[0]}

    @staticmethod
    def table_curve(row):
        return {"bits": _bits_nats([row["q"], 1 - row["q"]])[0]}

    @staticmethod
    def table_bars(row):
        t = row["triangles"] if row["shape"] == "triangle" else 30 - row["triangles"]
        return {"q": t / 30}
