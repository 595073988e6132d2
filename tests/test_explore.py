"""celib.explore's website payload (issue 20): what the browser receives is exactly what was computed.

The browser side (sliders, readouts, chart changes, celib recomputation of the page's data) is in
tests/browser/test_explorers.py; these check the Python half on tiny explorers.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import celib
from celib.explore import (Site, compress_sentences, payload_digest, readout_texts,
                           site_payload)


def _site(**overrides):
    def panels(alt):
        return [alt.layer(
            alt.Chart(alt.NamedData("point")).mark_point().encode(x="q:Q", y="bits:Q"),
            alt.Chart(alt.NamedData("fixed")).mark_line().encode(x="q:Q", y="bits:Q"))]

    kwargs = dict(
        panels=panels,
        tables={"point": (("a", "b"), lambda a, b: {"q": a / 10, "bits": celib.entropy([a / 10, 1 - a / 10], base=2)}),
                "fixed": ((), lambda: {"q": [0.0, 1.0], "bits": [0.0, 0.0]})},
        readout=lambda a, b: f"a = {a}, b = {b:.1f}: H = {celib.entropy([a / 10, 1 - a / 10], base=2):.4f} bits",
        description="a test chart")
    kwargs.update(overrides)
    return Site(**kwargs)


CONTROLS = {"a": (0, 10, 1, 3), "b": (0.0, 1.0, 0.5, 0.5)}


def test_payload_holds_every_frame_computed_by_celib():
    payload = site_payload(_site(), CONTROLS)
    assert [c["values"] for c in payload["controls"]] == [list(range(11)), [0.0, 0.5, 1.0]]
    assert [c["index"] for c in payload["controls"]] == [3, 1]
    point = payload["tables"]["point"]
    # b changes no number of the point table: dropped from its key after computing every combination
    assert point["over"] == ["a"]
    assert point["columns"]["a"] == list(range(11))
    expected = [float(celib.entropy([a / 10, 1 - a / 10], base=2)) for a in range(11)]
    assert np.allclose(point["columns"]["bits"], expected, rtol=5e-4)
    texts = readout_texts(payload["readout"][0])
    assert len(texts) == 33 and texts[3 * 3 + 1] == f"a = 3, b = 0.5: H = {expected[3]:.4f} bits"
    json.dumps(payload, allow_nan=False)  # strict JSON


def test_filters_keep_the_current_frame():
    payload = site_payload(_site(), CONTROLS)
    layer = payload["panels"][0]["layer"]
    assert layer[0]["transform"][0] == {"filter": 'datum["a"] == a'}
    assert "transform" not in layer[1]  # a table over no control is never filtered
    assert [p["name"] for p in payload["spec"]["params"]] == ["a", "b"]


def test_digest_changes_with_any_number():
    one = site_payload(_site(), CONTROLS)
    other = site_payload(_site(tables={**_site().tables, "fixed": ((), lambda: {"q": [0.0, 1.0], "bits": [0.0, 1e-3]})}), CONTROLS)
    assert payload_digest(one) == payload_digest(site_payload(_site(), CONTROLS))
    assert payload_digest(one) != payload_digest(other)


def test_site_grid_must_hold_the_default_and_span_the_range():
    with pytest.raises(ValueError, match="default"):
        site_payload(_site(grid={"a": [0, 5, 10]}), CONTROLS)
    with pytest.raises(ValueError, match="span"):
        site_payload(_site(grid={"a": [0, 3, 9]}), CONTROLS)
    with pytest.raises(ValueError, match="not a control"):
        site_payload(_site(readout=[(("c",), lambda c: "x")]), CONTROLS)


def test_unknown_table_in_the_chart_is_an_error():
    def panels(alt):
        return [alt.Chart(alt.NamedData("missing")).mark_point().encode(x="q:Q")]
    with pytest.raises(ValueError, match="missing"):
        site_payload(_site(panels=panels), CONTROLS)


@pytest.mark.parametrize("texts", [
    ["q = 0.05: loss 2.996 nats; step 1, -1/q = -20.0", "q = 1.00: loss 0.000 nats; step 1, -1/q = -1.0"],
    ["65,536 tokens: 4.0 MiB", "1,024 tokens: inf nats 1e-05", "no numbers at all"],
])
def test_readout_compression_is_lossless(texts):
    assert readout_texts(compress_sentences(texts)) == texts


def test_infinite_values_become_gaps():
    site = _site(tables={"point": (("a",), lambda a: {"q": a, "bits": np.inf if a == 0 else 1.0}),
                         "fixed": ((), lambda: {"q": [0.0], "bits": [0.0]})})
    payload = site_payload(site, CONTROLS)
    assert payload["tables"]["point"]["columns"]["bits"][0] is None
