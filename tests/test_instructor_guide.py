"""The instructor guide (chapters/instructor_guide.md) and the hub page (chapters/hub.md, issue 24).

Their tables are filled while the site is built (tools/editions/guide.py through the Sphinx
extension tools/editions/book_edition.py); these tests check what the filling produces against the
lessons themselves, and the teaching judgement typed in guide.py against what the lessons say.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "editions"))
sys.path.insert(0, str(ROOT / "tests"))

import guide  # noqa: E402
import lesson_report  # noqa: E402
import memory  # noqa: E402


@pytest.fixture(scope="module")
def lessons():
    return guide.lessons(ROOT)


@pytest.fixture(scope="module")
def guide_page():
    return guide.fill_page("chapters/instructor_guide",
                           (ROOT / "chapters" / "instructor_guide.md").read_text("utf8"), ROOT)


@pytest.fixture(scope="module")
def hub_page():
    return guide.fill_page("chapters/hub", (ROOT / "chapters" / "hub.md").read_text("utf8"), ROOT)


def test_every_numbered_lesson_is_in_the_guide(lessons):
    numbered = [p for p in lesson_report.lesson_notebooks(ROOT) if re.match(r"\d\d_", p.name)]
    assert [x.doc for x in lessons] == [p.stem for p in numbered]
    assert [x.number for x in lessons] == list(range(1, len(lessons) + 1))
    for lesson in lessons:
        assert lesson.title and lesson.objectives, f"lesson {lesson.number}: no title or objectives"
        assert lesson.exercises, f"lesson {lesson.number}: no exercise found"


def test_reading_minutes_are_the_lesson_report_core_words(lessons, guide_page):
    for lesson in lessons:
        words = lesson_report.analyse(ROOT / "chapters" / f"{lesson.doc}.ipynb")["core_words"]
        minutes = words / lesson_report.READING_WORDS_PER_MINUTE
        assert lesson.core_minutes == pytest.approx(minutes, abs=1e-12)
        row = next(ln for ln in guide_page.splitlines() if ln.startswith(f"| {{doc}}`{lesson.number} <"))
        assert f"| {minutes:.0f} |" in row, row


def test_every_exercise_and_objective_is_on_the_page(lessons, guide_page):
    for lesson in lessons:
        for exercise in lesson.exercises:
            assert f"{{ref}}`{exercise.label}`" in guide_page
        for objective in lesson.objectives:
            assert objective in guide_page


def test_prerequisites_agree_with_what_each_lesson_states(lessons):
    by_doc = {x.doc: x.number for x in lessons}
    for lesson in lessons:
        stated = {by_doc[d] for d in lesson.stated_prerequisites if d in by_doc}
        assert stated <= set(guide.PREREQUISITES[lesson.number]), (
            f"lesson {lesson.number} says it needs {sorted(stated)}; "
            f"guide.PREREQUISITES has {guide.PREREQUISITES[lesson.number]}")
        assert all(p < lesson.number for p in guide.PREREQUISITES[lesson.number])


def test_each_path_teaches_prerequisites_first():
    for path in guide.PATHS:
        seen = set(path.assumes)
        for week in path.weeks:
            for number in week:
                missing = set(guide.PREREQUISITES[number]) - seen
                assert not missing, f"{path.name}: lesson {number} comes before {sorted(missing)}"
                seen.add(number)
        for number in path.optional:
            assert set(guide.PREREQUISITES[number]) <= seen | set(path.optional), (path.name, number)
        every = [n for w in path.weeks for n in w] + list(path.optional) + list(path.assumes)
        assert sorted(set(every)) == list(range(1, 11)), f"{path.name} leaves out a lesson"


def test_the_two_week_path_has_a_week_of_reading_each_week(lessons):
    by_number = {x.number: x for x in lessons}
    two_weeks = next(p for p in guide.PATHS if p.name == "Two weeks")
    for week in two_weeks.weeks:
        minutes = sum(by_number[n].core_minutes + by_number[n].exercise_minutes / 2 for n in week)
        assert 60 <= minutes <= 300, (week, minutes)  # about 1 to 5 hours of work per week


def test_assignment_table_counts_every_coding_exercise(guide_page):
    import celib.exercises as cx

    total = sum(ex.points for ex in cx.EXERCISES.values())
    assert f"| {len(cx.EXERCISES)} exercises | | {total} |" in guide_page
    for ex in cx.EXERCISES.values():
        assert f"`{ex.answer}`" in guide_page


# ---------------------------------------------------------------- hub recipe
def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text("utf8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_student_requirements_are_pinned_like_the_book():
    student = _pins(ROOT / "requirements-student.txt")
    book = _pins(ROOT / "requirements.txt")
    assert "jupyterlab-myst" in student
    for name, version in student.items():
        assert book.get(name) == version, f"{name}=={version} but requirements.txt has {book.get(name)}"


def _imports_of_lessons_and_celib() -> set[str]:
    modules = set()
    sources = []
    for path in lesson_report.lesson_notebooks(ROOT):
        if path.stem == "appendix_frameworks":
            continue  # needs the framework stack; not run on a hub
        nb = json.loads(path.read_text("utf8"))
        sources += ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                    for c in nb["cells"] if c["cell_type"] == "code"]
    sources += [p.read_text("utf8") for p in (ROOT / "celib").rglob("*.py")]
    for text in sources:
        for m in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", text, re.M):
            modules.add(m.group(1))
    return modules


# celib.explore.site_payload builds the website's live explorers (altair's Vega-Lite specs) when a
# lesson is executed for the site (CELIB_EXPLORER=static); a learner's kernel runs the ipywidgets
# explorer and never imports it.
SITE_BUILD_ONLY = {"altair"}


def _with_dependencies(names: set[str]) -> set[str]:
    """The distributions ``names`` install, their dependencies included (as installed here)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            todo.append(re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", req).group(0)).lower())
    return seen


def test_student_requirements_cover_every_import():
    student = _pins(ROOT / "requirements-student.txt")
    installed = _with_dependencies(set(student))
    providers = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(_imports_of_lessons_and_celib()):
        if module in sys.stdlib_module_names or module in ("celib", "__future__"):
            continue
        if module in SITE_BUILD_ONLY:
            continue
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(module, [])}
        if not dists & installed:
            missing.append(f"{module} (from {sorted(dists) or 'no installed distribution'})")
    assert not missing, f"imported by a lesson or celib, not in requirements-student.txt: {missing}"


def test_hub_page_lists_packages_links_and_memory(lessons, hub_page):
    for name in _pins(ROOT / "requirements-student.txt"):
        assert name in hub_page.lower().replace("_", "-")
    record = memory.load_record()["lessons"]
    for lesson in lessons:
        row = next(ln for ln in hub_page.splitlines() if f"{{doc}}`{lesson.doc}`" in ln)
        assert "git-pull?repo=" in row and f"{lesson.doc}.ipynb" in row
        assert f"| {record[lesson.doc + '.ipynb']['peak_mib']:.0f} |" in row
    assert 'pip install "celib @ git+' in hub_page


def test_recorded_memory_is_within_the_budget():
    record = memory.load_record()
    assert record["budget_mib"] == memory.BUDGET_MIB
    for name, reading in record["lessons"].items():
        if name not in memory.NO_BUDGET:
            assert reading["peak_mib"] <= memory.BUDGET_MIB, name
    assert memory.check_reading("x.ipynb", memory.BUDGET_MIB + 1, {"lessons": {"x.ipynb": {"peak_mib": 520}}})
    assert not memory.check_reading("x.ipynb", 300.0, {"lessons": {"x.ipynb": {"peak_mib": 310}}})
    assert memory.check_reading("x.ipynb", 300.0, {"lessons": {"x.ipynb": {"peak_mib": 450}}})


def test_student_requirements_pin_the_book_extra():
    """`pip install "celib[book]"` (course kit) and requirements-student.txt install the same set."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf8"))["project"]
    extra = project["optional-dependencies"]["book"] + project["dependencies"]
    names = {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", req).group(0)).lower() for req in extra}
    student = _pins(ROOT / "requirements-student.txt")
    assert names <= set(student), f"in celib[book] but not pinned for the hub: {names - set(student)}"
    assert set(student) - names <= {"jupyterlab-myst"}, set(student) - names
