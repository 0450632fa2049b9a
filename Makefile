# pcnmap: the CI contract. `make test` is what .ci/run and the README run.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO      ?= go
BIN     := bin/pcnmap
DATA    ?= ../shared/data
DB      ?= out/fixture.db

# The packages that run goroutines of their own (or share state between requests): the race detector's
# pass. Every package, these included, also runs once without it, and that pass runs the tests on the
# national files in $(DATA), which skip under -race and -short (the detector makes them 20-30 times slower).
RACE_PKGS := ./app/ ./geo/ ./ingest/ ./internal/gzpool/ ./layers/ ./nhs/ ./report/ ./server/ ./store/ ./tiles/ ./neighbourhoods/

WEB     := web
WEB_SRC := $(wildcard $(WEB)/src/*) $(wildcard $(WEB)/site/*) $(WEB)/build.mjs $(WEB)/package.json

.PHONY: help build web run serve test test-go race unit fuzz hostile e2e bench fmt fixtures clean pmtilescheck qgischeck

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

# Without cgo the binary is linked statically: one file that runs on any Linux of the architecture,
# and it starts ~1 ms sooner than one loading libc (a short command takes ~8 ms in all).
build: web ## bundle the map page and build bin/pcnmap (one static file) with the version stamped in
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/pcnmap

web: $(WEB)/dist/index.html ## bundle the map page into web/dist (npm ci when the lock file changed)

# npm ci when node_modules is missing or older than package-lock.json (npm writes the hidden lock file
# node_modules/.package-lock.json on every install).
$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(WEB)/dist/index.html: $(WEB)/node_modules/.package-lock.json $(WEB_SRC)
	cd $(WEB) && node build.mjs

# The bundled fixture as `make run` ingests it (less the LSOA polygons, which only team imports by area need).
FIXTURE := --areas fixtures/msoa.geojson --registrations fixtures/registrations-2021-01.csv.gz \
	--membership fixtures/epcn-2019-12.xlsx --lookup fixtures/lsoa-msoa-lookup.csv --centroids fixtures/lsoa-centroids.csv \
	--context fixtures/lsoa-msoa-lookup.csv --context fixtures/lsoa-ccg-lad.csv --context fixtures/lsoa-sub-icb.csv \
	--context fixtures/sub-icb-icb.csv --context fixtures/ccg-stp.csv --context fixtures/lsoa-ruc.csv \
	--context fixtures/sub-icb-bng.geojson

run: build ## ingest the bundled fixture into out/fixture.db, write its report to out/report, serve the map
	@mkdir -p out
	$(BIN) ingest --db $(DB) $(FIXTURE) --lsoa-polygons fixtures/lsoa.geojson
	$(BIN) report --db $(DB) --threshold 1% --out out/report
	$(BIN) report --db $(DB) --threshold 1% --format html --out out/report
	@echo "map: http://127.0.0.1:8080/ (Ctrl-C to stop)"
	$(BIN) serve --db $(DB) --addr 127.0.0.1:8080

test: test-go unit hostile ## gofmt gate, go vet, every Go test once (the national-data tests included), the page's unit tests, the hostile-input suite, then side by side the concurrent packages again with the race detector, the map in headless chromium, a short fuzz pass and the PMTiles export read back by go-pmtiles
	@# The browser tests mostly wait on chromium, the fuzz pass keeps one core busy, the race pass the
	@# rest and the go-pmtiles check is a compile (cached after the first run): run them side by side,
	@# each target's output printed whole when it ends (-O).
	@$(MAKE) --no-print-directory -j4 -O race fuzz e2e pmtilescheck

# The map page is bundled first: the docs examples (docs/docs_test.go) export the static site, which embeds it.
test-go: web
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -timeout 12m ./...

race: ## the packages that run goroutines of their own, again under the race detector (-short: the national tests ran in test-go)
	$(GO) test -race -short -timeout 12m $(RACE_PKGS)

unit: $(WEB)/node_modules/.package-lock.json ## the map page's pure modules (URL state, moves, the store) with node --test
	cd $(WEB) && node --test unit/*.test.mjs

fuzz: ## every fuzz target for FUZZTIME (default 100x: a hundred new inputs) each
	GO=$(GO) bash .ci/fuzz.sh

hostile: build ## generated hostile uploads and requests against bin/pcnmap serve: 4xx/503 within 2 s, under --mem-limit
	BIN=$(BIN) bash bench/hostile.sh

# Each test file starts its own workspace, server and chromium, so three files run at once: most of a
# browser test is waiting for the page, and on 2 cores three at once halve the wall time.
E2E_JOBS ?= 3
e2e: build ## the map page in headless chromium against bin/pcnmap serve (skipped without chromium)
	cd $(WEB) && node_modules/.bin/tsc -p . && PCNMAP_BIN=$(CURDIR)/$(BIN) node --test --test-concurrency=$(E2E_JOBS) test/*.test.mjs

bench: build ## benchmarks on the national data in $(DATA); see BENCHMARKS.md
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./geo/ ./overlap/... ./store/ ./tiles/ ./server/ ./report/... ./cmd/...
	$(GO) test -run '^$$' -bench 'ICB|England' -benchtime 1x -count 1 -timeout 60m -v ./neighbourhoods/
	DATA=$(DATA) BIN=$(BIN) bash bench/ingest.sh
	DATA=$(DATA) BIN=$(BIN) bash bench/export.sh
	DATA=$(DATA) BIN=$(BIN) bash bench/serve.sh
	DATA=$(DATA) BIN=$(BIN) bash bench/unit-report.sh
	DATA=$(DATA) BIN=$(BIN) bash bench/firstpaint.sh

pmtilescheck: build ## check a PMTiles export with go-pmtiles (a module of its own: minutes to compile the first time)
	@mkdir -p out
	rm -f out/pmcheck.db && $(BIN) ingest --db out/pmcheck.db $(FIXTURE) >/dev/null
	$(BIN) tiles export --db out/pmcheck.db --out out/pmcheck.mbtiles --layers areas,boundaries >/dev/null
	$(BIN) tiles export --db out/pmcheck.db --out out/pmcheck.pmtiles --layers areas,boundaries >/dev/null
	cd tools/pmtilescheck && $(GO) run . $(CURDIR)/out/pmcheck.pmtiles $(CURDIR)/out/pmcheck.mbtiles

# Debian's python3, which has python3-qgis (a pyenv or venv python does not).
QGIS_PYTHON ?= /usr/bin/python3
qgischeck: build ## open the fixture's GeoPackage in QGIS and check every layer is styled from layer_styles (needs Debian's qgis and python3-qgis; not in make test)
	@mkdir -p out && rm -rf out/qgischeck.db out/qgischeck
	$(BIN) ingest --db out/qgischeck.db $(FIXTURE) >/dev/null
	$(BIN) teams import --db out/qgischeck.db --name localities fixtures/trafford-localities.geojson >/dev/null
	$(BIN) report --db out/qgischeck.db --format gpkg --out out/qgischeck
	QT_QPA_PLATFORM=offscreen $(QGIS_PYTHON) tools/qgischeck/check.py out/qgischeck/pcnmap.gpkg out/qgischeck/png

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

fixtures: ## re-cut fixtures/ and geo's small seeds from the national data (needs ogr2ogr): the project's one test-data generator
	$(GO) run ./fixtures/gen -data $(DATA) -out fixtures -seeds geo/testdata

clean:
	rm -rf bin out
