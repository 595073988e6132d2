"""pytest configuration for the notebooks (collected by nbval).

nbval starts each notebook's kernel as a child of this process, so the setting below reaches every
kernel: explorers draw their still figure instead of live widgets (see celib/explore.py), and a
`pytest --nbval chapters` run without the Makefile compares the same outputs the Makefile stored.
"""

import os

os.environ["CELIB_EXPLORER"] = "static"
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

# Each lesson's kernel peak memory against the hub budget (tools/editions/memory.py, issue 24).
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "editions"))
from memory import pytest_runtest_teardown  # noqa: E402,F401
