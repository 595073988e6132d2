"""CITATION.cff is valid Citation File Format 1.2.0, and LICENSE names both licenses (issue 25).

The CFF schema is read from the pinned cffconvert wheel that the Makefile downloads (not installs:
cffconvert 2.0.0 needs jsonschema < 4, which would move the pinned jsonschema), and checked with
the project's own jsonschema.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WHEEL = ROOT / ".venv" / "wheels" / "cffconvert-2.0.0-py3-none-any.whl"


def cff_schema() -> dict:
    if not WHEEL.is_file():
        pytest.fail(f"{WHEEL} is missing: run `make test-lib` (the Makefile downloads it)")
    with zipfile.ZipFile(WHEEL) as wheel:
        return json.loads(wheel.read("cffconvert/schemas/1.2.0/schema.json"))


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf8"))


def test_citation_cff_is_valid_cff_1_2_0():
    schema = cff_schema()
    jsonschema.validate(citation(), schema, cls=jsonschema.Draft7Validator)


def test_the_schema_check_can_fail():
    broken = dict(citation())
    del broken["authors"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, cff_schema(), cls=jsonschema.Draft7Validator)


def test_citation_names_the_licenses_of_license_file():
    text = (ROOT / "LICENSE").read_text(encoding="utf8")
    assert set(citation()["license"]) == {"CC-BY-4.0", "MIT"}
    assert "MIT License" in text and "Creative Commons Attribution 4.0 International" in text
    # the split is stated where a reader looks first
    readme = (ROOT / "README.md").read_text(encoding="utf8")
    assert "CC BY 4.0" in readme and "MIT" in readme
