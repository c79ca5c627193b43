# The runnable GAN textbook. `make book` builds the site, `make test` runs every test.
# Both create the virtual environment in .venv on first use (see README.md).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB_JOBS ?= 2
BUDGET ?= 0.0002

NOTEBOOKS := $(sort $(wildcard chapters/en/*.ipynb chapters/es/*.ipynb))
EXECUTED := $(NOTEBOOKS:chapters/%=book/_build/executed/chapters/%)
PACKAGE := pyproject.toml conftest.py $(shell find gansrc -name '*.py') $(wildcard data/*)
SITE := book/_build/html/.built
FULLPASS := book/_build/fullpass/.passed
SITE_SOURCES := _toc.yml tools/notebooks.py tools/colab_markdown.py $(wildcard book/_config.yml book/references.bib book/*/*.md book/_ext/*.py book/_static/*) \
	$(wildcard chapters/en/*.md chapters/es/*.md)
CHROMIUM ?= /usr/bin/chromium

# Chapters run in smoke mode on the CPU, with text progress bars and static figures in place
# of widgets, when the book is built.
export GANSRC_SMOKE := 1
export GANSRC_DEVICE := cpu
export GANSRC_TEXT_PROGRESS := 1
export GANSRC_STATIC := 1

.DELETE_ON_ERROR:
.PHONY: help install test unit notebooks fullpass book site-test outputs sync classifier bench clean

help:
	@echo "make book       build the site into book/_build/html (executes the chapters in smoke mode)"
	@echo "make test       unit tests, every chapter checked with pytest --nbval, every chapter's full configuration"
	@echo "                run by papermill at BUDGET=$(BUDGET), then the site built and checked in Chromium,"
	@echo "                and chapter 04's widgets run in JupyterLab there"
	@echo "make fullpass   only the papermill pass: each chapter with SMOKE=False at a small training budget"
	@echo "make outputs    re-execute the chapters and store their outputs (after changing a chapter)"
	@echo "make sync       write chapters/*/*.ipynb from their .md sources (markup converted for Colab)"
	@echo "make classifier retrain data/mnist_classifier.pt (the weights the metrics use)"
	@echo "make bench      the CI-sized benchmark: tutorial loop vs gansrc's trainer (python -m gansrc.bench --quick)"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[book,test]"
	@touch $@

# `make test` builds the site too, so that the browser test can read it; `make book` afterwards
# finds everything up to date. Each chapter is executed once either way.
test: unit notebooks fullpass
	@$(MAKE) --no-print-directory site-test

# Two test processes (pytest-xdist) on two cores: each test runs PyTorch on one thread.
unit: | $(STAMP)
	$(BIN)/python -m pytest tests -q -m "not browser" -n $(NB_JOBS) --durations=5

# The built site in headless Chromium (Debian's package, installed here when missing), and
# chapter 04's digit picker run in JupyterLab in the same browser (tests/test_lab.py).
site-test: book $(CHROMIUM) | $(STAMP)
	GANSRC_SITE_TEST=1 $(BIN)/python -m pytest tests -q -m browser -p no:cacheprovider

$(CHROMIUM):
	@echo "Installing Chromium from Debian's packages for the browser test"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation > /dev/null
	@test -x $@ || { echo "$@ is still missing: install Chromium, or set CHROMIUM=/path/to/chromium"; exit 1; }

# One execution per chapter: nbval compares the outputs with the stored ones and the
# executed notebook is kept for the book.
notebooks: | $(STAMP)
	@$(MAKE) --no-print-directory -j$(NB_JOBS) $(EXECUTED)
	@$(BIN)/python tools/notebooks.py timings

book/_build/executed/chapters/%.ipynb: chapters/%.ipynb $(PACKAGE) | $(STAMP)
	$(BIN)/python -m pytest --nbval chapters/$*.ipynb --nb-executed-dir book/_build/executed -q -p no:cacheprovider

# Every chapter's full configuration (full widths, image and batch sizes, downloads attempted,
# checkpoints) through papermill, with training lengths and image counts cut to BUDGET; the
# executed notebooks stay in book/_build/fullpass/ (tools/fullpass.py).
fullpass: $(FULLPASS)

$(FULLPASS): $(wildcard chapters/en/*.ipynb) $(PACKAGE) tools/fullpass.py | $(STAMP)
	$(BIN)/python tools/fullpass.py --budget $(BUDGET) --jobs $(NB_JOBS)
	@touch $@

book: notebooks
	@$(MAKE) --no-print-directory $(SITE)

$(SITE): $(EXECUTED) $(SITE_SOURCES) | $(STAMP)
	$(BIN)/python tools/notebooks.py stage
	$(BIN)/jupyter-book build book/_build/site/en --path-output book/_build/site/en --all -W --keep-going
	$(BIN)/jupyter-book build book/_build/site/es --path-output book/_build/site/es --all -W --keep-going
	$(BIN)/python tools/notebooks.py publish
	@touch $@

outputs: | $(STAMP)
	$(BIN)/python -m pytest --nbval chapters --nb-no-compare --nb-executed-dir book/_build/executed -q -p no:cacheprovider
	$(BIN)/python tools/notebooks.py store
	@touch $(EXECUTED)

sync: | $(STAMP)
	$(BIN)/python tools/notebooks.py sync

classifier: | $(STAMP)
	GANSRC_SMOKE=0 $(BIN)/python -m gansrc.train.classifier --out data/mnist_classifier.pt

# The best device here (a GPU if there is one), not the CPU the chapters are pinned to.
bench: | $(STAMP)
	env -u GANSRC_DEVICE $(BIN)/python -m gansrc.bench --quick

clean:
	rm -rf book/_build runs .pytest_cache
