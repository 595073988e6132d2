"""Grade many submissions with otter-grader in one process (run it with the otter venv's Python).

    .venv-otter/bin/python tools/editions/otter_grade.py JOBS.json RESULTS.json

JOBS.json is a list of ``{"id": ..., "submission": path, "autograder": zip}``; RESULTS.json gets,
per id, otter's score per question and in total. ``otter.api.grade_submission`` is otter's own
non-containerised grading (what ``otter run`` does), called here once per submission without
starting a new interpreter each time (``otter run`` takes ~15 s per call on two busy cores,
mostly imports).
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from otter.api import grade_submission

    jobs = json.loads(open(argv[0], encoding="utf8").read())
    results = {}
    for job in jobs:
        graded = grade_submission(job["submission"], job["autograder"], quiet=True)
        results[job["id"]] = {
            "total": graded.total,
            "possible": graded.possible,
            "questions": {name: graded.get_score(name) for name in graded.test_files},
            "catastrophic": str(graded.catastrophic_error) if graded.catastrophic_error else None,
        }
    with open(argv[1], "w", encoding="utf8") as out:
        json.dump(results, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
