# The runnable GAN textbook. `make book` builds the site, `make test` runs every test.
# Both create the virtual environment in .venv on first use (see README.md).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB_JOBS ?= 2

NOTEBOOKS := $(sort $(wildcard chapters/en/*.ipynb chapters/es/*.ipynb))
EXECUTED := $(NOTEBOOKS:chapters/%=book/_build/executed/chapters/%)
PACKAGE := pyproject.toml conftest.py $(shell find gansrc -name '*.py') $(wildcard data/*)

# Chapters run in smoke mode on the CPU, with text progress bars and static figures in place
# of widgets, when the book is built.
export GANSRC_SMOKE := 1
export GANSRC_DEVICE := cpu
export GANSRC_TEXT_PROGRESS := 1
export GANSRC_STATIC := 1

.DELETE_ON_ERROR:
.PHONY: help install test unit notebooks book outputs sync classifier clean

help:
	@echo "make book       build the site into book/_build/html (executes the chapters in smoke mode)"
	@echo "make test       unit tests, then every chapter checked with pytest --nbval"
	@echo "make outputs    re-execute the chapters and store their outputs (after changing a chapter)"
	@echo "make sync       regenerate chapters/*/*.ipynb from their paired .md sources"
	@echo "make classifier retrain data/mnist_classifier.pt (the weights the metrics use)"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[book,test]"
	@touch $@

test: unit notebooks

unit: | $(STAMP)
	$(BIN)/python -m pytest tests -q

# One execution per chapter: nbval compares the outputs with the stored ones and the
# executed notebook is kept for the book.
notebooks: | $(STAMP)
	@$(MAKE) --no-print-directory -j$(NB_JOBS) $(EXECUTED)
	@$(BIN)/python tools/notebooks.py timings

book/_build/executed/chapters/%.ipynb: chapters/%.ipynb $(PACKAGE) | $(STAMP)
	$(BIN)/python -m pytest --nbval chapters/$*.ipynb --nb-executed-dir book/_build/executed -q -p no:cacheprovider

book: notebooks
	$(BIN)/python tools/notebooks.py stage
	$(BIN)/jupyter-book build book/_build/site/en --path-output book/_build/site/en --all -W --keep-going
	$(BIN)/jupyter-book build book/_build/site/es --path-output book/_build/site/es --all -W --keep-going
	rm -rf book/_build/html/en book/_build/html/es
	cp -r book/_build/site/en/_build/html book/_build/html/en
	cp -r book/_build/site/es/_build/html book/_build/html/es
	@echo "The site is in book/_build/html/index.html (English: html/en, Spanish: html/es)"

outputs: | $(STAMP)
	$(BIN)/python -m pytest --nbval chapters --nb-no-compare --nb-executed-dir book/_build/executed -q -p no:cacheprovider
	$(BIN)/python tools/notebooks.py store
	@touch $(EXECUTED)

sync: | $(STAMP)
	$(BIN)/python tools/notebooks.py sync

classifier: | $(STAMP)
	GANSRC_SMOKE=0 $(BIN)/python -m gansrc.train.classifier --out data/mnist_classifier.pt

clean:
	rm -rf book/_build runs .pytest_cache
