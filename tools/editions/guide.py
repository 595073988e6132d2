"""The instructor guide's and the hub page's tables, computed from the lessons when the site is built.

Nothing here is typed twice: reading minutes come from ``tests/lesson_report.py`` (core words at
200 words per minute), objectives from each lesson's "What you will learn" list, the exercises
from the lessons' ``{exercise}`` directives (and what their solutions contain), memory from
``tools/editions/lesson_memory.json`` (written by ``make test``'s measurement, see
``tools/editions/memory.py``), launch links from ``tools/launch.py``. What *is* typed here is
the teaching judgement, stated as such on the page: prerequisites, the paths, and the minutes an
exercise takes by kind (:data:`EXERCISE_KINDS`).

Example::

    >>> kind_of("Prove that ...", has_code=False, label="ch03-ex2").name
    'proof'
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# ------------------------------------------------------------------------------------ judgement
# Which earlier lessons each lesson builds on (lesson number -> numbers). Where a lesson states its
# prerequisites ("Prerequisites: ..."), tests/test_instructor_guide.py checks that this agrees.
PREREQUISITES: dict[int, tuple[int, ...]] = {
    1: (),
    2: (1,),
    3: (2,),
    4: (2, 3),
    5: (2, 4),
    6: (2, 5),
    7: (2, 5, 6),
    8: (2, 6, 7),
    9: (2, 4, 5),
    10: (6, 7),
}
# What a learner needs before lesson 1 (the book's own entry point).
ENTRY = "Python and NumPy basics (arrays, functions), logarithms and sums; no information theory."


@dataclasses.dataclass(frozen=True)
class Path_:
    name: str
    weeks: tuple[tuple[int, ...], ...]
    optional: tuple[int, ...]
    note: str
    assumes: tuple[int, ...] = ()  # lessons the path expects learners to know (or to be told)


PATHS = (
    Path_("Two weeks", ((1, 2, 3, 4), (5, 6, 7, 9)), (8, 10),
          "Week 1 builds the information theory, week 2 the losses a framework computes. Lesson 3 "
          "stays in week 1 because lesson 4 uses its split H(p, q) = H(p) + D(p ‖ q); lesson 8 "
          "(imbalanced classes) and lesson 10 (LLM scale) are optional extensions."),
    Path_("One week", ((2, 4, 5, 6),), (7, 9, 8, 10),
          "For learners who know entropy: lesson 2 opens with what lesson 1 defines, and lesson "
          "4's first section needs only the split H(p, q) = H(p) + D(p ‖ q) from lesson 3 (say it "
          "in class). Lessons 5 and 6 are the practical core: logits, from_logits, stability. "
          "Lessons 7 and 9 are the natural next steps.",
          assumes=(1, 3)),
)


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    where: str  # "class" or "homework"
    minutes: int
    says: str


# Minutes are estimates for a learner who has read the lesson, by kind of exercise.
EXERCISE_KINDS = {
    "coding": Kind("coding", "homework", 30, "write a function, checked by celib.exercises; "
                   "graded as an assignment (make assignments)"),
    "proof": Kind("proof", "homework", 20, "a derivation to write out"),
    "computing": Kind("computing", "class", 15, "a short computation in the lesson's notebook "
                      "(the solution is code); suits a lab session"),
    "reasoning": Kind("reasoning", "class", 10, "a question to reason out; suits discussion in "
                      "pairs"),
}


def kind_of(text: str, has_code: bool, label: str) -> Kind:
    """The kind of an exercise: coding (checker), proof, computing (code solution) or reasoning."""
    if "-code-" in label:
        return EXERCISE_KINDS["coding"]
    body = " ".join(ln for ln in text.splitlines() if not re.match(r"^\s*:[\w-]+:", ln)).strip()
    if re.match(r"^(\*\*[^*]+\*\*\s*)?(\(a\)\s*)?(Prove|Show|Derive)\b", body):
        return EXERCISE_KINDS["proof"]
    return EXERCISE_KINDS["computing" if has_code else "reasoning"]


# ------------------------------------------------------------------------------------ lessons
@dataclasses.dataclass
class Exercise:
    label: str
    title: str
    kind: Kind


@dataclasses.dataclass
class Lesson:
    number: int
    doc: str  # "01_entropy" (relative to chapters/)
    title: str
    core_minutes: float
    objectives: list[str]
    stated_prerequisites: list[str]  # docs named on the lesson's "Prerequisites:" line
    exercises: list[Exercise]

    @property
    def exercise_minutes(self) -> int:
        return sum(e.kind.minutes for e in self.exercises)


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


EXERCISE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{exercise(?:-start)?\}[^\n]*\n(?P<body>.*?)^(?P=fence)\s*$",
                      re.M | re.S)


def _first_sentence(body: str) -> str:
    text = "\n".join(ln for ln in body.splitlines() if not re.match(r"^\s*:[\w-]+:", ln)).strip()
    text = " ".join(text.split())
    bold = re.match(r"^\*\*(.+?)\*\*", text)
    if bold:
        return bold.group(1).rstrip(".")
    sentence = re.split(r"(?<=[.?!:])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 140 else sentence[:137].rsplit(" ", 1)[0] + " ..."


def read_lesson(path: Path, number: int, report_module) -> Lesson:
    sys.path.insert(0, str(HERE))
    import strip  # noqa: E402

    nb = json.loads(path.read_text(encoding="utf8"))
    cells = nb.get("cells", [])
    title, objectives, prereqs = "", [], []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        text = _src(cell)
        if not title:
            m = re.search(r"^# (.+)$", text, re.M)
            title = m.group(1).strip() if m else ""
        if not objectives and "**What you will learn**" in text:
            block = text.split("**What you will learn**", 1)[1]
            items, current = [], None
            for line in block.splitlines():
                if line.startswith("- "):
                    current = [line[2:].strip()]
                    items.append(current)
                elif current is not None and line.startswith("  ") and line.strip():
                    current.append(line.strip())
                elif items and not line.strip():
                    if current is not None:
                        current = None
                        continue
                elif items:
                    break
            objectives = [" ".join(i) for i in items]
        m = re.search(r"^Prerequisites:(.*?)(?:\n\n|\Z)", text, re.M | re.S)
        if m and not prereqs:
            prereqs = re.findall(r"\{doc\}`([^`<]+)`", m.group(1))
    _, removed = strip.strip_notebook(nb)
    has_code = {r.label: bool(r.code) for r in removed}
    exercises = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        for m in EXERCISE.finditer(_src(cell)):
            label = re.search(r"^:label:\s*(\S+)", m["body"], re.M)
            if not label:
                continue
            label = label.group(1)
            exercises.append(Exercise(label, _first_sentence(m["body"]),
                                      kind_of(m["body"], has_code.get(label, False), label)))
    words = report_module.analyse(path)["core_words"]
    return Lesson(number, path.stem, title, words / report_module.READING_WORDS_PER_MINUTE,
                  objectives, prereqs, exercises)


def lessons(root: Path = ROOT) -> list[Lesson]:
    """The numbered lessons (chapters/NN_*.ipynb in the toc), in order."""
    sys.path.insert(0, str(root / "tests"))
    import lesson_report  # noqa: E402

    found = []
    for path in lesson_report.lesson_notebooks(root):
        m = re.match(r"^(\d\d)_", path.name)
        if m:
            found.append(read_lesson(path, int(m.group(1)), lesson_report))
    return found


# ------------------------------------------------------------------------------------ pages
def _lesson_link(lesson: Lesson) -> str:
    return f"{{doc}}`{lesson.number} <{lesson.doc}>`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def lessons_table(all_lessons: list[Lesson]) -> str:
    rows = ["| lesson | core reading (min) | exercises: class / homework | exercise time (min) "
            "| builds on lessons |",
            "|---|---:|---|---:|---|"]
    for lesson in all_lessons:
        n_class = sum(e.kind.where == "class" for e in lesson.exercises)
        n_home = len(lesson.exercises) - n_class
        pre = ", ".join(str(p) for p in PREREQUISITES.get(lesson.number, ())) or "none"
        rows.append(f"| {_lesson_link(lesson)} {_cell(lesson.title)} | {lesson.core_minutes:.0f} "
                    f"| {n_class} / {n_home} | {lesson.exercise_minutes} | {pre} |")
    total_read = sum(x.core_minutes for x in all_lessons)
    total_ex = sum(x.exercise_minutes for x in all_lessons)
    rows.append(f"| **all** | {total_read:.0f} | | {total_ex} | |")
    return "\n".join(rows) + "\n"


def lesson_details(all_lessons: list[Lesson]) -> str:
    parts = []
    for lesson in all_lessons:
        parts.append(f"### Lesson {lesson.number}: {lesson.title}\n")
        pre = ", ".join(f"{{doc}}`lesson {p} <{_doc(all_lessons, p)}>`"
                        for p in PREREQUISITES.get(lesson.number, ()))
        parts.append(f"**Builds on:** {pre or ENTRY}  ")
        parts.append(f"**Core reading:** {lesson.core_minutes:.0f} min; **exercises:** "
                     f"{lesson.exercise_minutes} min in all.\n")
        parts.append("**Learning objectives** (the lesson's own \"What you will learn\"):\n")
        parts.extend(f"- {o}" for o in lesson.objectives)
        parts.append("")
        parts.append("| exercise | kind | where | min |")
        parts.append("|---|---|---|---:|")
        for e in lesson.exercises:
            parts.append(f"| {{ref}}`{e.label}` {_cell(e.title)} | {e.kind.name} | {e.kind.where} "
                         f"| {e.kind.minutes} |")
        parts.append("")
    return "\n".join(parts)


def _doc(all_lessons, number) -> str:
    return next(x.doc for x in all_lessons if x.number == number)


def paths_section(all_lessons: list[Lesson]) -> str:
    by_number = {x.number: x for x in all_lessons}
    parts = []
    for path in PATHS:
        parts.append(f"### {path.name}\n")
        parts.append(path.note + "\n")
        parts.append("| | lessons | core reading (min) | exercises (min) |")
        parts.append("|---|---|---:|---:|")
        for i, week in enumerate(path.weeks, 1):
            read = sum(by_number[n].core_minutes for n in week)
            ex = sum(by_number[n].exercise_minutes for n in week)
            label = f"week {i}" if len(path.weeks) > 1 else "the week"
            parts.append(f"| {label} | {', '.join(map(str, week))} | {read:.0f} | {ex} |")
        read = sum(by_number[n].core_minutes for n in path.optional)
        ex = sum(by_number[n].exercise_minutes for n in path.optional)
        parts.append(f"| optional | {', '.join(map(str, path.optional))} | {read:.0f} | {ex} |")
        parts.append("")
    return "\n".join(parts)


def assignments_table() -> str:
    import assignments  # tools/editions/assignments.py (reads celib.exercises)

    rows = ["| lesson | exercise | answer | points | public tests | hidden tests |",
            "|---|---|---|---:|---:|---:|"]
    summary = assignments.summary()
    for r in summary:
        rows.append(f"| {r['lesson']} | {_cell(r['title'])} | `{r['answer']}` | {r['points']} "
                    f"| {r['public']} | {r['hidden']} |")
    lessons_n = len({r["lesson"] for r in summary})
    rows.append(f"| **{lessons_n} assignments** | {len(summary)} exercises | | "
                f"{sum(r['points'] for r in summary)} | {sum(r['public'] for r in summary)} "
                f"| {sum(r['hidden'] for r in summary)} |")
    return "\n".join(rows) + "\n"


def kinds_list() -> str:
    return "\n".join(f"- **{k.name}** ({k.where}, about {k.minutes} min): {k.says}."
                     for k in EXERCISE_KINDS.values()) + "\n"


# ---------------------------------------------------------------------------- hub page
MEMORY_FILE = HERE / "lesson_memory.json"


def memory_records(root: Path = ROOT) -> dict:
    path = root / "tools" / "editions" / "lesson_memory.json"
    return json.loads(path.read_text(encoding="utf8")) if path.is_file() else {}


def hub_table(all_lessons: list[Lesson], root: Path = ROOT) -> str:
    sys.path.insert(0, str(root / "tools"))
    import launch  # noqa: E402  (course-kit's helper: one repository setting)

    settings = launch.load_settings(root / "_config.yml")
    example = not (settings.enabled and settings.jupyterhub_url)
    if example:
        settings = launch.LaunchSettings(repository_url="https://github.com/OWNER/REPOSITORY",
                                         branch="main", jupyterhub_url="https://hub.example.edu")
    records = memory_records(root).get("lessons", {})
    rows = ["| lesson | file pulled | peak memory (MiB) | nbgitpuller link |", "|---|---|---:|---|"]
    for lesson in all_lessons:
        doc = f"chapters/{lesson.doc}"
        url = launch.nbgitpuller_url(settings, doc)
        peak = records.get(lesson.doc + ".ipynb", {}).get("peak_mib")
        peak_text = f"{peak:.0f}" if peak is not None else "not measured"
        rows.append(f"| {lesson.number}. {{doc}}`{lesson.doc}` | `{launch.learner_file(doc)}` "
                    f"| {peak_text} | [pull and open]({url}) |")
    note = ("The links below are an **example** (this site's `_config.yml` sets no "
            "`repository.url` and `launch_buttons.jupyterhub_url`): set both and rebuild, and this "
            "table shows your hub's links.\n\n" if example else "")
    return note + "\n".join(rows) + "\n"


def celib_install(root: Path = ROOT) -> str:
    """The command that installs celib from the repository at this release's tag."""
    sys.path.insert(0, str(root / "tools"))
    sys.path.insert(0, str(HERE))
    import launch  # noqa: E402
    import versions  # noqa: E402

    settings = launch.load_settings(root / "_config.yml")
    url = settings.repository_url if settings.enabled else "https://github.com/OWNER/REPOSITORY"
    command = f'pip install "celib @ git+{url}@v{versions.book_version(root)}"'
    note = "" if settings.enabled else (" (`OWNER/REPOSITORY` stands for the book's repository: "
                                        "set `repository.url` in `_config.yml` and this line names it)")
    return f"```bash\n{command}\n```\n\nThe tag `v{versions.book_version(root)}` is this release{note}.\n"


def requirements_block(root: Path = ROOT) -> str:
    text = (root / "requirements-student.txt").read_text(encoding="utf8")
    return "```text\n" + text.rstrip() + "\n```\n"


# ---------------------------------------------------------------------------- filling
def _fill(text: str, marker: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"the page has no <!-- {marker}:start --> ... <!-- {marker}:end --> markers")
    return pattern.sub(lambda m: m.group(1) + content + m.group(2), text)


def fill_page(docname: str, text: str, root: Path = ROOT, edition: str = "instructor") -> str:
    all_lessons = lessons(root)
    if docname == "chapters/instructor_guide":
        text = _fill(text, "guide-lessons", lessons_table(all_lessons))
        text = _fill(text, "guide-kinds", kinds_list())
        text = _fill(text, "guide-paths", paths_section(all_lessons))
        text = _fill(text, "guide-details", lesson_details(all_lessons))
        text = _fill(text, "guide-assignments", assignments_table())
    elif docname == "chapters/hub":
        text = _fill(text, "hub-packages", requirements_block(root))
        text = _fill(text, "hub-celib", celib_install(root))
        text = _fill(text, "hub-lessons", hub_table(all_lessons, root))
    return text


if __name__ == "__main__":
    for lesson in lessons():
        print(lesson.number, lesson.title, f"{lesson.core_minutes:.1f}", lesson.exercise_minutes,
              [(e.label, e.kind.name) for e in lesson.exercises], lesson.stated_prerequisites)
