# Seedbed: `make demo` and `make test` set everything up (idempotent) and run.
SHELL := bash
.DEFAULT_GOAL := help

ANVIL_BIN := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin
CAST_BIN := $(CURDIR)/node_modules/@foundry-rs/cast-linux-amd64/bin
export SOLCX_BINARY_PATH := $(CURDIR)/.solc
export PATH := $(ANVIL_BIN):$(CAST_BIN):$(CURDIR)/.venv/bin:$(PATH)
export PYTHONPATH := $(CURDIR)
export HYPOTHESIS_PROFILE ?= ci

.PHONY: help setup compile test demo bench fuzz lint slither clean node node-stop

help:
	@echo "make demo   - set up and run the end-to-end scenario on a local anvil chain"
	@echo "make test   - set up, compile every contract and run the whole test suite on anvil"
	@echo "make bench  - gas per operation and tooling throughput -> bench/results.json"
	@echo "make fuzz   - the deep profile of the whole-suite state machine"
	@echo "make node   - a local anvil that stays up (port 8545) with the suite deployed, for hand use"
	@echo "make node-stop - stop it (its state is kept for the next make node)"
	@echo "make lint   - layering (import-linter), ruff and mypy"

setup:
	@bash tools/setup.sh

compile: setup
	@bash tools/compile.sh

test: export SEEDBED_BROWSER := 1
test: export SEEDBED_POSTGRES := 1
# Two shards at once, one per core (tools/test.sh says how they are split and why).
test: compile
	@bash tools/test.sh

node: compile
	@bash tools/node.sh start

node-stop:
	@bash tools/node.sh stop

demo: compile
	ape run demo

bench: compile
	ape run benchmark

fuzz: compile
	HYPOTHESIS_PROFILE=deep ape test tests/system -q -s -p no:cacheprovider
	HYPOTHESIS_PROFILE=deep ape test tests/scripts -q -p no:cacheprovider
	HYPOTHESIS_PROFILE=deep ape test tests/gateway/test_state_machine.py -q -s -p no:cacheprovider
	HYPOTHESIS_PROFILE=deep ape test tests/meter/test_adversary.py -q -s -p no:cacheprovider

slither: setup
	bash tools/slither.sh

lint: compile
	lint-imports
	python tools/abi_bundle.py --check
	ruff check seedbed scripts tests bench examples
	ruff format --check seedbed scripts tests bench examples
	mypy seedbed scripts tests/testkit

clean:
	rm -rf .venv node_modules .solc deps .setup-logs contracts/.cache .build .node

abi: compile
	python tools/abi_bundle.py
