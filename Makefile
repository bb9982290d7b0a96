# Two commands set everything up: `make demo` and `make test` each build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-smoke playground clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,onnx,dask,fast]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nnscratch demo --overwrite

test: $(STAMP)
	$(BIN)/python -m ruff check nnscratch tests examples benchmarks tools
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/run.py --smoke

playground: $(STAMP)
	$(BIN)/nnscratch playground

lint: $(STAMP)
	$(BIN)/python -m ruff check nnscratch tests examples benchmarks tools
	$(BIN)/python -m ruff format --check nnscratch tests examples benchmarks tools

clean:
	rm -rf $(VENV) build *.egg-info
