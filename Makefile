# tinylib: `make demo` and `make test` set up .venv once (re-done only when pyproject.toml
# changes), then run. `make lab` opens JupyterLab on the notebooks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read()).hexdigest()[:12])")
STAMP := $(VENV)/.installed-$(HASH)

.PHONY: install demo test lab lint clean

install: $(STAMP)

$(STAMP):
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 10) else 'tinylib needs Python >= 3.10: run make with PYTHON=python3.11 (or newer)')"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing tinylib and its dependencies into $(VENV) (first time: about 2 minutes)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/tinylib demo

test: $(STAMP)
	TINYLIB_PROFILE=quick $(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check tinylib tests notebooks
	$(BIN)/nbstripout --verify notebooks/*.ipynb
	$(BIN)/tinylib course build --check

clean:
	rm -rf runs/demo .pytest_cache
