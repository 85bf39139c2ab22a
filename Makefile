# namgraph: the single entry point. `make demo` runs the product, `make test` checks it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NAM    := $(BIN)/nam
DEMO   ?= .nam-demo
HOST   ?= 127.0.0.1
PORT   ?= 8000
ADMIN  := data/admin/vn-admin-2023-05-07.csv

.PHONY: venv demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## demo: Bến Tre from the real administrative list plus a generated roster, on the embedded store
demo: $(STAMP)
	rm -rf $(DEMO)
	$(NAM) --data $(DEMO) init
	$(NAM) --data $(DEMO) load admin $(ADMIN) --province 83
	$(NAM) --data $(DEMO) generate --province 83 --seed 1
	$(NAM) --data $(DEMO) validate
	$(NAM) --data $(DEMO) coverage 83 --as-of 2023-05-01
	$(NAM) --data $(DEMO) chain 28801.01.01 --as-of 2023-05-01
	@echo "Serving the GraphQL API over the demo province: open http://$(HOST):$(PORT)/graphql (Ctrl-C stops)"
	$(NAM) --data $(DEMO) serve --host $(HOST) --port $(PORT)

## test: lint, types, and every test
test: $(STAMP)
	$(BIN)/ruff check graph loaders cli api tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.questions

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
