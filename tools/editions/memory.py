"""Each lesson's peak memory, measured in the kernel that nbval runs it in, against a 512 MiB budget.

``chapters/conftest.py`` imports :func:`pytest_runtest_teardown` from here, so every
``pytest --nbval chapters/...`` run (``make test-notebooks``) measures: after the last cell of a
notebook, before nbval shuts its kernel down, the kernel process's ``VmHWM`` (peak resident set
size, from ``/proc/<pid>/status``) is read. Above :data:`BUDGET_MIB` the last cell's test fails
with the peak in the message. The readings are written to ``_build/lesson-memory/<notebook>.json``.

    python tools/editions/memory.py            # the readings of the last run, and the record
    python tools/editions/memory.py --record   # copy them into tools/editions/lesson_memory.json

The record (committed) is what the hub page (chapters/hub.md) shows; a reading more than
:data:`RECORD_DRIFT` away from it also fails, so the page cannot drift from the lessons.
Only Linux has ``/proc``: elsewhere nothing is measured (and nothing fails).

The notebooks that need the framework stack are not lessons a hub runs and have no budget.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUDGET_MIB = 512
RECORD_DRIFT = 0.25  # relative difference between a reading and the record that fails the run
READINGS = ROOT / "_build" / "lesson-memory"
RECORD = Path(__file__).resolve().parent / "lesson_memory.json"
NO_BUDGET = {"appendix_frameworks.ipynb"}


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM of a process in MiB (None without /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def _kernel_pid(notebook_item) -> int | None:
    kernel = getattr(notebook_item, "kernel", None)
    manager = getattr(kernel, "km", None)
    provisioner = getattr(manager, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)


def check_reading(name: str, peak: float, record: dict) -> list[str]:
    """Problems with one reading: over budget, or too far from the recorded value."""
    problems = []
    if name in NO_BUDGET:
        return problems
    if peak > BUDGET_MIB:
        problems.append(f"{name}: the kernel's peak memory is {peak:.0f} MiB, above the "
                        f"{BUDGET_MIB} MiB budget for a lesson on a hub (chapters/hub.md): compute "
                        "in chunks instead of holding large arrays")
    recorded = record.get("lessons", {}).get(name, {}).get("peak_mib")
    if recorded is None:
        problems.append(f"{name}: no recorded peak; run `python tools/editions/memory.py --record`")
    elif abs(peak - recorded) > RECORD_DRIFT * recorded:
        problems.append(f"{name}: peak {peak:.0f} MiB, recorded {recorded:.0f} MiB (more than "
                        f"{RECORD_DRIFT:.0%} apart): run `python tools/editions/memory.py --record` "
                        "and commit tools/editions/lesson_memory.json")
    return problems


def load_record() -> dict:
    return json.loads(RECORD.read_text(encoding="utf8")) if RECORD.is_file() else {}


def _measure(item, nextitem) -> list[str]:
    """After a notebook's last cell (nbval), its kernel's peak: saved, and the problems with it."""
    notebook = getattr(item, "parent", None)
    if notebook is None or type(notebook).__name__ != "IPyNbFile":
        return []
    if nextitem is not None and getattr(nextitem, "parent", None) is notebook:
        return []
    pid = _kernel_pid(notebook)
    peak = peak_rss_mib(pid) if pid else None
    if peak is None:
        return []
    name = Path(str(notebook.fspath)).name
    READINGS.mkdir(parents=True, exist_ok=True)
    (READINGS / (name + ".json")).write_text(json.dumps({"notebook": name, "peak_mib": round(peak, 1)}))
    return check_reading(name, peak, load_record())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Read the peak while the kernel still runs, let nbval shut it down, then fail if needed."""
    problems = _measure(item, nextitem)
    result = yield
    if problems:
        raise AssertionError("\n".join(problems))
    return result


def readings() -> dict[str, float]:
    found = {}
    for path in sorted(READINGS.glob("*.json")):
        data = json.loads(path.read_text())
        found[data["notebook"]] = data["peak_mib"]
    return found


def main(argv: list[str]) -> int:
    current = readings()
    record = load_record()
    for name, peak in current.items():
        was = record.get("lessons", {}).get(name, {}).get("peak_mib")
        print(f"{name:40} {peak:7.1f} MiB   (recorded: {was if was is not None else '-'})")
    if "--record" in argv:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import versions

        lessons = dict(record.get("lessons", {}))
        for name, peak in current.items():
            lessons[name] = {"peak_mib": peak}
        RECORD.write_text(json.dumps({"budget_mib": BUDGET_MIB, "version": versions.book_version(),
                                      "lessons": dict(sorted(lessons.items()))}, indent=1) + "\n")
        print(f"recorded in {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
