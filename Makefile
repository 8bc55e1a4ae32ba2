# Optio: the two commands are `make demo` and `make test`. Every target installs what is
# missing and nothing more (stamp files), so a second run starts at once.
SHELL := /bin/bash
PYTHON_BOOT ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SOLC_VERSION := 0.8.28
NODE_BIN := $(CURDIR)/node_modules/.bin

# Tools find the solc-js wrapper, Anvil and ape's data inside the project.
export PATH := $(CURDIR)/$(VENV)/bin:$(NODE_BIN):$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export APE_DATA_FOLDER := $(CURDIR)/.ape

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SOLC_STAMP := .solcx/.registered
BROWSER := /usr/bin/chromedriver
BUILD := .build/__local__.json
BROWNIE_VENV := .venv-brownie
BROWNIE_STAMP := $(BROWNIE_VENV)/.installed
SOURCES := $(shell find contracts -name '*.sol' -not -path '*/.cache/*' 2>/dev/null)

.PHONY: install demo test test-anvil test-ganache test-brownie lint slither bench fuzz fuzz-math compile lock clean

install: $(PY_STAMP) $(NODE_STAMP) $(SOLC_STAMP) $(BROWSER)

$(PY_STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --config-settings editable_mode=compat -e .
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Register the solc-js wrapper where py-solc-x (project-local and ~/.solcx) and forge
# (~/.svm) look for a native solc. Existing files in $HOME are left alone.
$(SOLC_STAMP): tools/solc.js $(NODE_STAMP)
	@mkdir -p .solcx && ln -sfn ../tools/solc.js .solcx/solc-v$(SOLC_VERSION)
	@mkdir -p $(HOME)/.solcx $(HOME)/.svm/$(SOLC_VERSION)
	@test -e $(HOME)/.solcx/solc-v$(SOLC_VERSION) || ln -sfn $(CURDIR)/tools/solc.js $(HOME)/.solcx/solc-v$(SOLC_VERSION)
	@test -e $(HOME)/.svm/$(SOLC_VERSION)/solc-$(SOLC_VERSION) || ln -sfn $(CURDIR)/tools/solc.js $(HOME)/.svm/$(SOLC_VERSION)/solc-$(SOLC_VERSION)
	@.solcx/solc-v$(SOLC_VERSION) --version | tail -1
	@touch $@

# Debian's Chromium and ChromeDriver: the dashboard's browser tests and benchmarks.risk drive
# them through Selenium (a test tool's own browser download fails offline). Installed once.
$(BROWSER):
	@command -v apt-get >/dev/null || { echo "error: install chromium and chromium-driver (Debian packages)"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium chromium-driver >/dev/null
	@/usr/bin/chromium --version

compile: $(BUILD)

$(BUILD): $(SOURCES) ape-config.yaml $(PY_STAMP) $(SOLC_STAMP)
	$(VENV)/bin/ape compile --force  # ape does not recompile the importers of a changed library
	@touch $@

demo: install $(BUILD)
	$(VENV)/bin/optio demo

# The whole suite: Anvil groups, then the Ganache group (its own group, as CI runs it).
test: install $(BUILD)
	$(VENV)/bin/ruff check .
	$(PY) tools/check_layers.py
	$(PY) tools/check_lock.py
	$(PY) tools/gen_normal_cdf.py --check
	$(PY) tools/slither_check.py
	$(PY) -m pytest -m "not ganache" -n 2 --dist loadfile
	$(PY) -m pytest -m ganache
	$(MAKE) --no-print-directory test-brownie

test-anvil: install $(BUILD)
	$(PY) -m pytest -m "not ganache" -n 2 --dist loadfile

test-ganache: install $(BUILD)
	$(PY) -m pytest -m ganache

# Brownie users: the contracts compiled by Brownie (brownie-config.yaml) and a smoke test (deploy,
# deposit, trade) on Anvil, in Brownie's own virtualenv (its pins conflict with eth-ape's).
$(BROWNIE_STAMP): brownie/requirements.txt
	@test -x $(BROWNIE_VENV)/bin/python || $(PYTHON_BOOT) -m venv $(BROWNIE_VENV)
	$(BROWNIE_VENV)/bin/pip install --quiet --disable-pip-version-check -r brownie/requirements.txt
	@touch $@

test-brownie: $(BROWNIE_STAMP) $(NODE_STAMP) $(SOLC_STAMP)
	@$(BROWNIE_VENV)/bin/brownie networks list 2>/dev/null | grep -q optio-anvil || \
	  $(BROWNIE_VENV)/bin/brownie networks add Development optio-anvil cmd=anvil host=http://127.0.0.1 \
	    port=18545 accounts=10 base_fee=0 gas_limit=30000000 >/dev/null
	$(BROWNIE_VENV)/bin/brownie test --network optio-anvil

# ruff, and the package's layers (pricing ← sdk ← formats ← keepers | risk | sim ← cli; no cycle).
lint: install
	$(VENV)/bin/ruff check .
	$(PY) tools/check_layers.py

# slither on every contract, with the project's compiler: no high or medium finding.
slither: install
	$(PY) tools/slither_check.py

# Every benchmark three times; docs/benchmarks.md gets each figure's median, min and max, the
# commit and the date (BENCH_ONLY=sim,risk for some; python -m benchmarks.report --rewrite
# rewrites the page from the saved runs in docs/benchmarks/).
bench: install $(BUILD)
	$(PY) -m benchmarks.report

# The protocol's invariants under 10× the random actions of `make test`, on fresh seeds.
fuzz: install $(BUILD)
	FUZZ_SCALE=$${FUZZ_SCALE:-10} FUZZ_RANDOM=1 $(PY) -m pytest tests/fuzz -n 2 --dist loadfile -s

# The on-chain math against the engine on 1,000,000 random options, with the error distribution and
# the gas table (make test runs another 1,000,000 in tests/contracts/libraries, asserting the 1e-12 bar).
fuzz-math: install $(BUILD)
	$(PY) -m benchmarks.math_gas --n 1000000

# Refresh the Python lock from a clean resolve of the direct pins (needs the registry).
lock:
	rm -rf /tmp/optio-lock && $(PYTHON_BOOT) -m venv /tmp/optio-lock
	/tmp/optio-lock/bin/pip install --quiet -e '.[ape,dev,peers]'
	{ grep '^#' constraints.txt; /tmp/optio-lock/bin/pip freeze --all --exclude-editable | grep -v '^pip=='; } > /tmp/optio-lock.txt
	mv /tmp/optio-lock.txt constraints.txt

clean:
	rm -rf .build contracts/.cache .pytest_cache
