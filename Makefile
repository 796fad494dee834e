# ladder: the book's entry points. `make` lists them; `make reproduce` and `make test` are the two you need.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
LADDER := $(VENV)/bin/ladder
PROFILE ?= laptop
EXP ?=
SET ?=
FORCE ?=
SFT ?=
PYTEST_ARGS ?=

comma := ,
HAS_GPU := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo 1)
# CPU machines get the CPU build of torch (a plain `torch` would pull a multi-GB CUDA build);
# GPU machines get the CUDA build and vLLM.
TORCH_SPEC ?= $(if $(HAS_GPU),torch>=2.4$(comma)<2.15,torch==2.13.0)
EXTRAS ?= $(if $(HAS_GPU),dev$(comma)gpu,dev)
STAMP := $(VENV)/.ladder-setup
RUN_ARGS = --profile $(PROFILE) $(if $(EXP),--exp $(EXP)) $(foreach s,$(SET),--set $(s)) $(if $(FORCE),--force)

.PHONY: help setup reproduce smoke base-model calibrate curate train sample grade tiers ablations book test test-gpu bench lint format params-cells check clean distclean

help: ## list the targets
	@echo "usage: make TARGET [PROFILE=laptop] [EXP=name,name] [SET='stage.key=value ...'] [FORCE=1]"
	@grep -E '^[a-zA-Z_ -]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}' | sed 's/^  curate train sample grade tiers ablations/  curate | train | sample | grade | tiers | ablations\n            /'

setup: $(STAMP) ## create .venv, install torch, the package and dev tools, register the Jupyter kernel (idempotent)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	$(PY) -m ipykernel install --sys-prefix --name ladder --display-name ladder >/dev/null
	@touch $@
	@echo "setup done: $(VENV) ($(if $(HAS_GPU),GPU,CPU) build of torch)"

reproduce: setup ## run every stage of PROFILE (default laptop) for EXP (default: the profile's list), then the book
	$(LADDER) run $(RUN_ARGS)

smoke: ## the laptop book shrunk to a minute or two (same code path)
	$(MAKE) reproduce PROFILE=smoke

base-model: setup ## rebuild models/tiny-instruct, the laptop profile's base (profile laptop_base, ~45 min), then check it
	$(LADDER) run --profile laptop_base $(if $(FORCE),--force)
	$(PY) -m ladder.base_model export
	$(PY) -m ladder.base_model check

calibrate: setup ## the mini-ladder's health after a laptop run: SFT loss, per-step accuracy, per-level avg@8 (SFT=name)
	$(PY) -m ladder.calibration --profile $(PROFILE) $(if $(SFT),--sft $(SFT))

curate train sample grade tiers ablations: setup ## run one stage (and what it needs) for PROFILE/EXP
	$(LADDER) run $@ $(RUN_ARGS)

book: setup ## rebuild book/PROFILE/ (an offline site; index.html) from the last run
	$(LADDER) book --profile $(PROFILE)

check: setup ## validate PROFILE/EXP params and show each stage's resolved params and folder
	$(LADDER) check --profile $(PROFILE) $(if $(EXP),--exp $(EXP)) $(foreach s,$(SET),--set $(s))

test: setup ## run the test suite (CPU; GPU tests skip)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-gpu: setup ## run only the GPU tests (needs CUDA and vLLM)
	$(PY) -m pytest -q -m gpu $(PYTEST_ARGS)

bench: setup ## run the benchmarks in bench/ (numbers in runs/bench/*.json)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b; done

lint: setup ## ruff check and format check
	$(PY) -m ruff check lib tests notebooks bench scripts
	$(PY) -m ruff format --check lib tests notebooks bench scripts

format: setup ## apply ruff fixes and formatting
	$(PY) -m ruff check --fix lib tests notebooks bench scripts
	$(PY) -m ruff format lib tests notebooks bench scripts

params-cells: setup ## rewrite every notebook's parameters cell from its stage's params model (after changing a model)
	$(PY) -m ladder.param_docs --write

clean: ## remove runs/ and book/ (computed results)
	rm -rf runs book

distclean: clean ## also remove .venv
	rm -rf $(VENV)
