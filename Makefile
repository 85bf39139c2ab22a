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
ADMIN_2025 := data/admin/vn-admin-2025-10-18.csv

# The project's own Neo4j test servers, one per test process (pytest-xdist worker): separate
# data, Bolt ports 17687 and 17697 (tests/conftest.py), one shared cached classpath.
TEST_NEO4J  := NEO4J_ROOT=$(CURDIR)/.neo4j/test NEO4J_LIB=$(CURDIR)/.neo4j/lib NEO4J_HEAP_SIZE=2g \
	NEO4J_BOLT_PORT=17687 NEO4J_HTTP_PORT=17474 NEO4J_PASSWORD=namgraph-test
TEST_NEO4J2 := NEO4J_ROOT=$(CURDIR)/.neo4j/test2 NEO4J_LIB=$(CURDIR)/.neo4j/lib NEO4J_HEAP_SIZE=2g \
	NEO4J_BOLT_PORT=17697 NEO4J_HTTP_PORT=17484 NEO4J_PASSWORD=namgraph-test
# Two test processes: a module's tests stay in one process (--dist loadfile).
PYTEST := $(BIN)/pytest -q -n 2 --dist loadfile
HAVE_JAVA := $(shell command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 && echo yes)

.PHONY: venv demo demo-data screenshots test lint typecheck bench bench-quick clean neo4j neo4j-stop messages graphiql

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## demo: Bến Tre from the real administrative list plus a generated roster and its activity
## (meetings, attendance, petitions), on the embedded store
demo: demo-data
	@echo "Serving the GraphQL API over the demo province in DEMO MODE (no token needed): the console is http://$(HOST):$(PORT)/ and GraphiQL http://$(HOST):$(PORT)/graphql (Ctrl-C stops)"
	$(NAM) --data $(DEMO) serve --demo --host $(HOST) --port $(PORT)

## demo-data: the demo's data directory, made anew (what `make demo` serves)
demo-data: $(STAMP)
	rm -rf $(DEMO)
	$(NAM) --data $(DEMO) init
	$(NAM) --data $(DEMO) load admin $(ADMIN) --province 83
	$(NAM) --data $(DEMO) generate --province 83 --seed 1
	$(NAM) --data $(DEMO) validate
	$(NAM) --data $(DEMO) coverage 83 --as-of 2023-05-01
	$(NAM) --data $(DEMO) coverage 83 --as-of 2023-05-01 --active
	$(NAM) --data $(DEMO) chain 28801.01.01 --as-of 2023-05-01
	$(NAM) --data $(DEMO) policy set two-tier-2025 --from 2025-07-01
	$(NAM) --data $(DEMO) load admin $(ADMIN_2025) --on 2025-07-01 --decision "Nghị quyết 202/2025/QH15"
	$(NAM) --data $(DEMO) illustrate-merges --on 2025-07-01 --province 83 --out $(DEMO)/merges-83-illustrative.csv
	$(NAM) --data $(DEMO) load merges $(DEMO)/merges-83-illustrative.csv

## screenshots: the console's pictures in the README (docs/screenshots), taken in Chromium from
## a fresh copy of the demo data, with the overview's timings
screenshots: demo-data
	rm -rf $(DEMO)-shots && cp -r $(DEMO) $(DEMO)-shots
	$(BIN)/python tools/screenshots.py --data $(DEMO)-shots --out docs/screenshots
	rm -rf $(DEMO)-shots

## test: lint, types, and every test on both stores (starts and stops a Neo4j test server)
test: $(STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	  else echo "The console's browser test needs Debian's Chromium: as root, run apt-get install -y chromium (it is skipped without it; with CI=true it fails)"; fi; \
	fi
	$(BIN)/ruff check graph loaders namgraph tests bench tools
	$(BIN)/mypy
ifeq ($(HAVE_JAVA),yes)
	$(TEST_NEO4J) neo4j/neo4j.sh start
	$(TEST_NEO4J2) neo4j/neo4j.sh start
	status=0; $(PYTEST) || status=$$?; \
	  $(TEST_NEO4J) neo4j/neo4j.sh stop; $(TEST_NEO4J2) neo4j/neo4j.sh stop; exit $$status
else
	@echo "Java 17 and Maven not found: the Neo4j half of the tests is skipped (with CI=true it fails)"
	$(PYTEST)
endif

## messages: gather every message into the catalogs (graph/locales), keep translations, compile
messages: $(STAMP)
	$(BIN)/python -m namgraph.catalogs update

## graphiql: copy GraphiQL, React and axe-core at the versions pinned in VERSIONS from npm into
## namgraph/api/graphiql/vendor (and axe-core into tests/vendor). Only to upgrade them (edit
## VERSIONS first, then run the browser tests): the files are checked in, and the server never
## fetches anything. The map comment of graphiql.min.js is dropped (no map is shipped).
GRAPHIQL := namgraph/api/graphiql
PINNED    = $(shell grep -v '^\#' $(GRAPHIQL)/VERSIONS)
graphiql:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent $(PINNED) >/dev/null); \
	for spec in $(PINNED); do \
	  name=$${spec%@*}; mkdir "$$tmp/$$name"; \
	  tar -xzf "$$tmp/$$name-$${spec##*@}.tgz" -C "$$tmp/$$name" --strip-components=1; \
	done; \
	out=$(GRAPHIQL)/vendor; rm -rf "$$out"; mkdir -p "$$out" tests/vendor; \
	cp "$$tmp/react/umd/react.production.min.js" "$$tmp/react-dom/umd/react-dom.production.min.js" \
	   "$$tmp/graphiql/graphiql.min.css" "$$out/"; \
	sed '/^\/\/# sourceMappingURL=/d' "$$tmp/graphiql/graphiql.min.js" > "$$out/graphiql.min.js"; \
	for name in react react-dom graphiql; do cp "$$tmp/$$name/LICENSE" "$$out/$$name.LICENSE.txt"; done; \
	cp "$$tmp/axe-core/axe.min.js" tests/vendor/axe.min.js; \
	cp "$$tmp/axe-core/LICENSE" tests/vendor/axe-core.LICENSE.txt; \
	cp "$$tmp/axe-core/LICENSE-3RD-PARTY.txt" tests/vendor/axe-core.LICENSE-3RD-PARTY.txt; \
	(cd "$$out" && sha256sum -- *.js *.css > SHA256SUMS); \
	echo "Copied $(PINNED) into $$out and tests/vendor:"; \
	du -ch "$$out"/*.js "$$out"/*.css tests/vendor/axe.min.js | tail -n 1

## neo4j: a local Neo4j 5.26 Community server from Maven Central (bolt://127.0.0.1:7687, Browser on :7474)
neo4j:
	neo4j/neo4j.sh start

neo4j-stop:
	neo4j/neo4j.sh stop

# every headline ratio (namgraph against @neo4j/graphql, the API's overhead) in a few minutes
bench-quick: $(STAMP)
	$(BIN)/python -m bench.versus --quick

bench: $(STAMP)
	$(BIN)/python -m bench.questions
	$(BIN)/python -m bench.map
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.national
	$(BIN)/python -m bench.bulk
	$(BIN)/python -m bench.activity
	$(BIN)/python -m bench.versus --ha-noi

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
