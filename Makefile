# tinylib: `make demo`, `make test` and `make lab` set up .venv once (re-done only when
# pyproject.toml or constraints/ change), then run. `make demo` installs the core only,
# `make test` core + dev (and builds .venv-colab for its second leg), `make lab` core + JupyterLab.
PYTHON ?= python3
VENV ?= .venv
COLAB_VENV ?= .venv-colab
BIN := $(VENV)/bin
COLAB_BIN := $(COLAB_VENV)/bin
PIP := --quiet --disable-pip-version-check
HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read() + open('constraints/ci.txt', 'rb').read()).hexdigest()[:12])")
COLAB_HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read() + open('constraints/colab.txt', 'rb').read()).hexdigest()[:12])")
EXTRAS_core :=
EXTRAS_dev := [dev]
EXTRAS_lab := [lab]
# TensorFlow has final wheels for CPython 3.10-3.13 only (pyproject's requires-python).
CHECK_PYTHON := $(PYTHON) -c "import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v < (3, 14) else 'tinylib needs Python 3.10 to 3.13 (TensorFlow has no final wheels for %d.%d): run make PYTHON=python3.11 ...' % v)"
# constraints/ci.txt is the CI environment (Python 3.11); other Pythons resolve their own versions.
CONSTRAINTS := $(shell $(PYTHON) -c "import sys; print('-c constraints/ci.txt' if sys.version_info[:2] == (3, 11) else '')")
# The Colab leg: the tests that depend on package versions (marker `versions`, chosen in the test
# files; the quickstart notebook's cells in tests/conftest.py) under Colab's versions. Left to the
# main leg: the long end-to-end runs (marker `end_to_end`), which test orchestration, not versions.
COLAB_MARKERS := versions and not end_to_end
# The notebook runs on a copy in .venv-colab/notebooks: its work folder (runs/ beside it) must not be
# the main leg's, whose checkpoints a Keras older than the main leg's cannot load.
COLAB_NOTEBOOK := $(COLAB_VENV)/notebooks/colab_quickstart.ipynb
COLAB_TESTS := tests $(COLAB_NOTEBOOK) -m "$(COLAB_MARKERS)"
# pytest-xdist workers per leg: whole files go to a worker (tests/conftest.py). Measured on the
# 2-core CI machine: the main leg in 11 min 17 s on 2 workers against 20 min 31 s on one (README).
WORKERS ?= 2
PYTEST_WORKERS := -n $(WORKERS)

# The JAX leg (`make test-jax`, part of `make test`; README "Backends"): KERAS_BACKEND=jax in .venv-jax (the `jax` extra at Colab's 0.7.2,
# constraints/jax.txt) over the tests that touch the backend and notebooks 02-04 + the quickstart,
# run on copies (their runs/ must not be the main leg's, which a JAX run would resume).
JAX_VENV ?= .venv-jax
JAX_HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read() + open('constraints/jax.txt', 'rb').read()).hexdigest()[:12])")
# The tests and notebooks marked `every_backend` (chosen in the test files and tests/conftest.py).
JAX_TESTS := tests $(JAX_VENV)/notebooks -m every_backend

.PHONY: install demo test test-main test-colab test-jax test-torch lab lint wheel refresh-constraints clean

install: $(VENV)/.dev-$(HASH)

$(VENV)/.%-$(HASH):
	@$(CHECK_PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing tinylib ($*) into $(VENV) (first time: about 2 minutes)"
	$(BIN)/python -m pip install $(PIP) --upgrade pip
	$(BIN)/python -m pip install $(PIP) $(CONSTRAINTS) -e '.$(EXTRAS_$*)'
	@rm -f $(VENV)/.$*-* $(VENV)/.installed-*
	@touch $@ $(VENV)/.core-$(HASH)

# The Colab leg's environment: Colab's versions (constraints/colab.txt), then tinylib the way
# the bootstrap cell installs it on Colab (--no-deps, then only what is missing), then pytest.
$(COLAB_VENV)/.installed-$(COLAB_HASH):
	@$(CHECK_PYTHON)
	@test -x $(COLAB_BIN)/python || $(PYTHON) -m venv $(COLAB_VENV)
	@echo "installing Colab's versions (constraints/colab.txt) and tinylib into $(COLAB_VENV)"
	$(COLAB_BIN)/python -m pip install $(PIP) --upgrade pip
	$(COLAB_BIN)/python -m pip install $(PIP) -r constraints/colab.txt
	$(COLAB_BIN)/python -m pip install $(PIP) --no-deps --force-reinstall .
	cd $(COLAB_VENV) && bin/python -c "import tinylib.doctor as d; print('missing, installed:', d.install_missing_requirements())"
	$(COLAB_BIN)/python -m pip install $(PIP) -c constraints/colab.txt pytest nbval pyyaml pytest-xdist
	@rm -rf build $(COLAB_VENV)/.installed-*
	@touch $@

demo: $(VENV)/.core-$(HASH)
	$(BIN)/tinylib demo

# Every leg, main first; fails when any fails (each runs even when an earlier one failed).
test:
	@status=0; \
	$(MAKE) --no-print-directory test-main || status=1; \
	$(MAKE) --no-print-directory test-colab || status=1; \
	$(MAKE) --no-print-directory test-jax || status=1; \
	exit $$status

test-main: $(VENV)/.dev-$(HASH)
	@echo "== main leg: $$($(BIN)/python -c 'import platform; print("Python", platform.python_version())'), constraints/ci.txt"
	TINYLIB_PROFILE=quick TINYLIB_TEST_LEG=main $(BIN)/python -m pytest $(PYTEST_WORKERS)

test-colab: $(COLAB_VENV)/.installed-$(COLAB_HASH)
	@echo "== Colab leg: Colab's versions (constraints/colab.txt)"
	@rm -rf $(COLAB_VENV)/notebooks && mkdir -p $(COLAB_VENV)/notebooks && cp notebooks/colab_quickstart.ipynb $(COLAB_NOTEBOOK)
	TINYLIB_PROFILE=quick TINYLIB_TEST_LEG=colab $(COLAB_BIN)/python -m pytest $(PYTEST_WORKERS) $(COLAB_TESTS)

$(JAX_VENV)/.installed-$(JAX_HASH):
	@$(CHECK_PYTHON)
	@test -x $(JAX_VENV)/bin/python || $(PYTHON) -m venv $(JAX_VENV)
	@echo "installing tinylib with the jax extra (constraints/jax.txt) into $(JAX_VENV)"
	$(JAX_VENV)/bin/python -m pip install $(PIP) --upgrade pip
	$(JAX_VENV)/bin/python -m pip install $(PIP) $(CONSTRAINTS) -c constraints/jax.txt -e '.[jax]' pytest nbval pyyaml pytest-xdist
	@rm -f $(JAX_VENV)/.installed-*
	@touch $@

test-jax: $(JAX_VENV)/.installed-$(JAX_HASH)
	@echo "== JAX leg: KERAS_BACKEND=jax, constraints/jax.txt"
	@rm -rf $(JAX_VENV)/notebooks && mkdir -p $(JAX_VENV)/notebooks && cp notebooks/*.ipynb $(JAX_VENV)/notebooks
	KERAS_BACKEND=jax TINYLIB_PROFILE=quick TINYLIB_TEST_LEG=jax $(JAX_VENV)/bin/python -m pytest $(PYTEST_WORKERS) $(JAX_TESTS)

# Not in `make test`: the CPU build of torch 2.13.0 installs from this machine's disk only, elsewhere
# the package index's torch pulls CUDA libraries (README, "Backends", for the measured times).
test-torch:
	@test -x .venv-torch/bin/python || $(PYTHON) -m venv .venv-torch
	.venv-torch/bin/python -m pip install $(PIP) $(CONSTRAINTS) -c constraints/torch.txt -e '.[torch]' pytest nbval pyyaml
	KERAS_BACKEND=torch TINYLIB_PROFILE=quick TINYLIB_TEST_LEG=torch .venv-torch/bin/python -m pytest \
		tests/test_backends.py tests/test_backend_choice.py tests/test_models.py tests/test_analysis_gradcam.py

lab: $(VENV)/.lab-$(HASH)
	$(BIN)/jupyter lab notebooks/

lint: $(VENV)/.dev-$(HASH)
	$(BIN)/ruff check tinylib tests notebooks
	$(BIN)/nbstripout --verify notebooks/*.ipynb
	$(BIN)/tinylib course build --check

# The kit as one wheel file in $(DIST)/, without its dependencies: upload it (e.g. to Google Drive)
# and set TINYLIB_SOURCE to its path before the bootstrap cell when the repository is private.
DIST ?= dist
wheel:
	@rm -rf build $(DIST)/tinylib_resnet_kit-*.whl
	$(PYTHON) -m pip wheel $(PIP) --no-deps --wheel-dir $(DIST) .
	@rm -rf build

# Rewrite constraints/ci.txt: the newest versions pip resolves today for core + dev, in a
# scratch venv (README, "Dependencies"); commit the result after `make test` passes with it.
refresh-constraints:
	@$(CHECK_PYTHON)
	rm -rf .venv-refresh && $(PYTHON) -m venv .venv-refresh
	.venv-refresh/bin/python -m pip install $(PIP) --upgrade pip
	.venv-refresh/bin/python -m pip install $(PIP) '.[dev]'
	@rm -rf build
	{ echo "# The main CI leg's environment: \`make install\` / \`make test\` / \`make demo\` install with -c this file"; \
	  echo "# (on Python 3.11, the CI's), so CI and a learner's install resolve the same versions."; \
	  echo "# Written by \`make refresh-constraints\` on $$(date -u +%Y-%m-%d), $$(.venv-refresh/bin/python -V), $$(uname -sm)."; \
	  .venv-refresh/bin/python -m pip freeze --exclude tinylib-resnet-kit; } > constraints/ci.txt
	rm -rf .venv-refresh

clean:
	rm -rf runs/demo .pytest_cache
