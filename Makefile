# The two commands of the README: `make demo` (main job end to end) and `make test` (every check).
# Both create the virtualenv first when it is missing or out of date.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data/gender-sample
EPOCHS ?= 11
# Empty: the library's default architecture (learner.DEFAULT_ARCH, transfer); `make demo ARCH=resnet9` sets it (`:=`, not `?=`: an ARCH in the environment, e.g. x86_64, is not ours)
ARCH :=
MODEL ?= models/model.pkl

.PHONY: venv demo test sync nbtest pytest slow bench clean docs readme chromium

$(VENV)/.installed: settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	# MTCNN, the default face finder: --no-deps, because its own pins would downgrade torch (faces.MTCNNFinder)
	$(BIN)/pip install -q --no-deps facenet-pytorch==2.6.0
	touch $@

venv: $(VENV)/.installed

# Predicts on 3 validation images per class (or, for other layouts, the first 6 images found).
demo: venv
	$(BIN)/gender_fastai_train --data $(DATA) $(if $(ARCH),--arch $(ARCH)) --epochs $(EPOCHS) --out $(MODEL)
	imgs=$$(for d in $(DATA)/Validation/female $(DATA)/Validation/male; do ls -d $$d/* 2>/dev/null | head -3; done); \
	[ -n "$$imgs" ] || imgs=$$(find -L $(DATA) -type f \( -iname '*.jpg' -o -iname '*.png' \) | sort | head -6); \
	$(BIN)/gender_fastai_predict $(MODEL) $$imgs

test: venv chromium sync nbtest pytest

# nbdev_export and nbdev_clean must leave the working tree as it was: library in sync, notebooks clean.
sync: venv
	@before="$$(git status --porcelain; git diff)"; \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean; \
	after="$$(git status --porcelain; git diff)"; \
	if [ "$$before" != "$$after" ]; then echo "nbdev_export/nbdev_clean changed files: the library or notebooks were out of sync or unclean; commit the result." >&2; git status --short >&2; exit 1; fi; \
	echo "notebooks clean and library in sync"

# One torch thread per notebook worker: two workers with two threads each on a 2-core machine spend most of their time
# fighting over the cores (measured: 2 min 21 s for every notebook with OMP_NUM_THREADS=1, about 6 min without).
# The tests' scratch files (the notebooks' temporary folders, pytest's tmp_path, the programs they start) go in a folder of
# their own (TMPDIR), removed when the run ends, passed, failed or interrupted: about 0.8 GB a run (two AlexNet weights files,
# model files, copies of images) that stayed in /tmp, run after run, on a machine that keeps it (a CI run found /tmp full).
# `$(call scratch,COMMAND)`: the command runs in the background while the shell waits for it, so that a signal to the shell
# alone (make passes SIGTERM on to it) stops the command at once, then the folder goes; the command's exit status is kept.
scratch = t=$$(mktemp -d "$${TMPDIR:-/tmp}/gender_fastai_tests.XXXXXX") || exit 1; trap 'rm -rf "$$t"' EXIT; \
	trap 'kill $$pid 2>/dev/null; wait $$pid; exit 130' INT; trap 'kill $$pid 2>/dev/null; wait $$pid; exit 143' TERM; \
	export TMPDIR="$$t"; $(1) & pid=$$!; wait $$pid

nbtest: venv
	$(call scratch,OMP_NUM_THREADS=$${NBTEST_THREADS:-1} $(BIN)/nbdev_test --n_workers 2 --timing)

pytest: venv
	$(call scratch,$(BIN)/python -m pytest -q tests)

# The long cells (full training runs) marked `#| slow`.
slow: venv
	$(call scratch,$(BIN)/nbdev_test --n_workers 1 --flags slow --timing)

# The documentation website, without Quarto (nbdev's processing + mkdocs), into _site/ (nbdev_docs builds the Quarto one).
docs: venv
	$(BIN)/python scripts/build_docs.py --out _site

# README.md is generated from nbs/index.ipynb (tests/test_readme.py checks it).
readme: venv
	$(BIN)/python scripts/make_readme.py

# The browser tests (tests/test_docs.py, tests/test_app.py) use Debian's Chromium: installed here when it is missing and
# we are root or have password-less sudo; otherwise a warning, and those tests skip.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi; \
	  apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get -qq"; \
	  if [ "$$sudo" != none ] && { $$apt install -y chromium >/dev/null 2>&1 || \
	       { $$apt update >/dev/null 2>&1 && $$apt install -y chromium >/dev/null 2>&1; }; }; then \
	    echo "installed chromium"; \
	  else echo "warning: $(CHROMIUM) is missing and could not be installed (apt-get install chromium): the browser tests will skip" >&2; fi; \
	fi

bench: venv
	$(BIN)/python bench/train.py --data $(DATA)

clean:
	rm -rf $(VENV) _proc _docs _site build dist *.egg-info
