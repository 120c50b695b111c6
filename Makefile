# Set-up and everyday jobs. Every target installs what it needs first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUITE ?= default
WORKERS ?= 2
# The bench's run folder, fixed once per make call so it can be printed and resumed.
ifeq ($(origin OUT), undefined)
OUT := results/$(shell date +%Y%m%d-%H%M%S)_$(basename $(notdir $(SUITE)))
endif

.PHONY: setup tesseract test test-all lint bench clean

setup: $(STAMP) tesseract

$(STAMP): pyproject.toml
	@command -v python3 >/dev/null || $(MAKE) --no-print-directory _apt PKGS="python3 python3-venv"
	@python3 -m venv $(VENV) 2>/dev/null || { $(MAKE) --no-print-directory _apt PKGS="python3-venv" && python3 -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,export,dask]"
	@touch $(STAMP)

tesseract:
	@command -v tesseract >/dev/null || $(MAKE) --no-print-directory _apt PKGS="tesseract-ocr tesseract-ocr-eng"
	@command -v tesseract >/dev/null || { echo "error: tesseract is still missing; install it with: sudo apt-get install tesseract-ocr" >&2; exit 1; }

# Install Debian packages as root, through sudo when not root, or explain what to run.
_apt:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "error: need root or sudo to run: apt-get install -y $(PKGS)" >&2; exit 1; fi; \
	command -v apt-get >/dev/null || { echo "error: no apt-get here; install $(PKGS) with your package manager" >&2; exit 1; }; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PKGS)

test: setup lint
	$(PY) -m pytest -q

test-all: setup
	$(PY) -m pytest -q --run-slow

lint: setup
	$(VENV)/bin/ruff check deblur bench tests benchmarks
	$(VENV)/bin/ruff format --check deblur bench tests benchmarks
	$(VENV)/bin/mypy

bench: setup
	@echo "run folder: $(OUT)"
	@echo "if interrupted, resume it with: make bench SUITE=$(SUITE) OUT=$(OUT)"
	$(VENV)/bin/bench run --suite $(SUITE) --workers $(WORKERS) --out $(OUT)

clean:
	rm -rf $(VENV) .pytest_cache
