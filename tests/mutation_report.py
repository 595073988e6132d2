"""Mutation score of `make mutation`, from mutmut's per-file results (mutants/**/*.py.meta).

Score = detected / evaluated, per module and overall, where detected = killed + timeout (a mutant
that makes a test hang is caught) and evaluated = every mutant mutmut ran ("no tests" counts as a
survivor: no test touched the mutated line). Mutants not reached within the time budget are
reported as "not checked" and left out of the score. Writes mutants/score.txt (and prints it),
listing every survivor by mutmut's name (`mutmut show NAME` prints its diff).

    .venv/bin/python tests/mutation_report.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 37: "type check",
          None: "not checked", -11: "segfault", -9: "segfault"}
DETECTED = {"killed", "timeout", "segfault", "type check"}
MISSED = {"survived", "no tests", "suspicious"}


def main(root: Path = Path("mutants")) -> int:
    rows, survivors, totals = [], [], Counter()
    for meta in sorted(root.glob("celib/**/*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts = Counter(STATUS.get(code, "suspicious") for code in codes.values())
        totals.update(counts)
        module = meta.name[: -len(".py.meta")]
        detected = sum(counts[s] for s in DETECTED)
        evaluated = detected + sum(counts[s] for s in MISSED)
        score = f"{100 * detected / evaluated:.1f} %" if evaluated else "n/a"
        rows.append(f"{module:12s} {detected:5d} / {evaluated:5d} detected  {score:>8s}   "
                    f"(not checked {counts['not checked']}, no tests {counts['no tests']}, timeout {counts['timeout']})")
        survivors += [name for name, code in codes.items() if STATUS.get(code, "suspicious") in MISSED]
    detected = sum(totals[s] for s in DETECTED)
    evaluated = detected + sum(totals[s] for s in MISSED)
    elapsed = (root / "elapsed.txt").read_text().strip() if (root / "elapsed.txt").exists() else ""
    lines = ["celib mutation score (mutmut; killed + timeout over evaluated mutants)", *rows,
             f"{'all':12s} {detected:5d} / {evaluated:5d} detected  "
             f"{(100 * detected / evaluated if evaluated else 0):.1f} %   (not checked {totals['not checked']})",
             elapsed, "", f"survivors ({len(survivors)}; `mutmut show NAME` for the diff):", *survivors]
    text = "\n".join(lines) + "\n"
    (root / "score.txt").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
