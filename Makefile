# DiamondTrace: the single entry point. `make test` and `make demo` set up whatever is missing
# first; a second run installs nothing (each step is keyed on the file that defines it).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := $(shell sed -n 's/.*"solc": "\(.*\)".*/\1/p' package.json)
SOURCES := $(shell find contracts interfaces -name '*.sol' 2>/dev/null)
# Two workers (each with its own chain, see tests/conftest.py): the suite is mostly waiting on chains.
PYTEST_ARGS ?= -n 2
NOBLE := node_modules/@noble/hashes
VENDORED := $(addprefix diamondtrace/static/vendor/,sha3.js _u64.js utils.js) diamondtrace/static/vendor/LICENSE

.PHONY: setup build test test-network demo lint fuzz bench bench-scale clean prereqs

setup: $(VENV)/.installed node_modules/.installed $(VENV)/solcx/solc-v$(SOLC_VERSION)

prereqs:
	@PYTHON=$(PYTHON) sh toolchain/check-prereqs.sh

$(VENV)/.installed: pyproject.toml
	@PYTHON=$(PYTHON) sh toolchain/check-prereqs.sh
	@echo "setup: Python environment in $(VENV)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]" 2>&1 | grep -v '^WARNING: Location' >&2 || true
	@$(BIN)/python -c 'import brownie, diamondtrace' 2>/dev/null || { echo "setup: pip install failed" >&2; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	@PYTHON=$(PYTHON) sh toolchain/check-prereqs.sh
	@echo "setup: Node packages (Anvil, solc, OpenZeppelin, Solady; the wallet clients, Safe, Ganache, and lib-sourcify with its Node.js 22 the tests use) from package-lock.json" >&2
	npm ci --include=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(VENV)/solcx/solc-v$(SOLC_VERSION): $(VENV)/.installed node_modules/.installed diamondtrace/toolchain.py
	$(BIN)/python -m diamondtrace.toolchain
	@touch $@

build: setup build/.compiled $(VENDORED)

# keccak-256 for the /move page (a document hashed in the visitor's browser): @noble/hashes' ES
# modules, copied as they are (sha3.js imports only these siblings) and committed, so a wheel serves
# them; tests/explorer/test_move_page.py fails while they differ from node_modules'.
diamondtrace/static/vendor/%.js: $(NOBLE)/%.js node_modules/.installed
	@mkdir -p $(@D)
	cp $< $@
diamondtrace/static/vendor/LICENSE: $(NOBLE)/LICENSE node_modules/.installed
	@mkdir -p $(@D)
	cp $< $@

# --all: brownie's incremental build can miss a change in an imported interface, and a stale
# artifact would deploy code that no longer matches its sources (export-verification checks).
# Then the contracts the package ships (diamondtrace/compiled/, committed: a wheel built from a
# clone carries them; tests/toolchain/test_package.py fails while they differ from the sources).
build/.compiled: $(SOURCES) brownie-config.yaml package-lock.json diamondtrace/compiler.py $(VENV)/solcx/solc-v$(SOLC_VERSION)
	$(BIN)/brownie compile --all
	$(BIN)/python -m diamondtrace.compiler
	@touch $@

# The explorer's page tests drive Debian's Chromium; nothing downloads a browser.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		echo "setup: Debian's chromium for the explorer's page tests" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "missing prerequisite: Debian's chromium (the explorer's page tests): run \`sudo apt-get install chromium\`" >&2; exit 1; \
	fi

# tests/network/ is `make test-network`'s.
test: build $(CHROMIUM)
	$(BIN)/brownie test $(PYTEST_ARGS) --ignore=tests/network

# Two @ethereumjs/client nodes (npm) peered in a Clique proof-of-authority network on localhost: the
# journey through one, verify and the explorer on the other (a few minutes; not in `make test`).
test-network: build
	$(BIN)/brownie test tests/network

clean:
	-@$(BIN)/python -m diamondtrace.cli chain down >/dev/null 2>&1
	rm -rf $(VENV) $(LINT_VENV) node_modules build reports .chain .pytest_cache .hypothesis test-output diamondtrace.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[bench]" 2>&1 | grep -v '^WARNING: Location' >&2 || true
	@touch $@

# The scale figures (an index of a million stones against scanning the chain) are part of `make
# bench`; `make bench-scale BENCH_STONES=20000 BENCH_MOVES=4000` prints them alone, at any size.
export BENCH_STONES BENCH_MOVES
bench: build $(VENV)/.bench-installed
	$(BIN)/python -m bench.run

bench-scale: build
	$(BIN)/python -m bench.run --scale

# make demo DEMO_SERVE=0 runs the journey and exits; see diamondtrace/demo.py for the other knobs.
export DEMO_SERVE DEMO_CHAIN_PORT DEMO_EXPLORER_PORT DEMO_STATE DEMO_DEPLOYMENT
demo: build
	$(BIN)/python -m diamondtrace.demo

# Static analysis in its own virtualenv: Slither's dependencies are pinned apart from brownie's.
LINT_VENV := .venv-lint
$(LINT_VENV)/.installed: lint/requirements.txt
	@test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r lint/requirements.txt 2>&1 | grep -v '^WARNING: Location' >&2 || true
	@touch $@

lint: build $(LINT_VENV)/.installed
	$(BIN)/python -m diamondtrace.compiler --standard-input build/solc-input.json
	$(LINT_VENV)/bin/python lint/slither_check.py build/solc-input.json $(VENV)/solcx/solc-v$(SOLC_VERSION)
	$(LINT_VENV)/bin/ruff check diamondtrace scripts tests bench lint
	$(LINT_VENV)/bin/ruff format --check diamondtrace scripts tests bench lint

# The invariant test with many examples and shrinking (minutes to an hour).
fuzz: build
	DIAMONDTRACE_FUZZ=1 $(BIN)/brownie test tests/contracts/test_invariants.py
