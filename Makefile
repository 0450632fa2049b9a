# pcnmap: the CI contract. `make test` is what .ci/run and the README run.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO      ?= go
BIN     := bin/pcnmap
DATA    ?= ../shared/data
DB      ?= out/fixture.db

.PHONY: help build run test bench fmt vet fixtures clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/pcnmap with the version stamped in
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/pcnmap

run: build ## ingest the bundled fixture into out/fixture.db and write its report to out/report
	@mkdir -p out
	$(BIN) ingest --db $(DB) --areas fixtures/msoa.geojson --registrations fixtures/registrations-2021-01.csv.gz \
		--membership fixtures/epcn-2019-12.xlsx --lookup fixtures/lsoa-msoa-lookup.csv \
		--context fixtures/lsoa-msoa-lookup.csv --context fixtures/lsoa-ccg-lad.csv --context fixtures/lsoa-sub-icb.csv \
		--context fixtures/sub-icb-icb.csv --context fixtures/ccg-stp.csv --context fixtures/lsoa-ruc.csv \
		--context fixtures/sub-icb-bng.geojson
	$(BIN) report --db $(DB) --threshold 1% --out out/report

test: ## gofmt gate, go vet, and every test with the race detector
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -timeout 10m ./...

bench: build ## benchmarks on the national data in $(DATA); see BENCHMARKS.md
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./geo/ ./overlap/... ./store/ ./tiles/ ./cmd/...
	DATA=$(DATA) BIN=$(BIN) bash bench/ingest.sh

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

fixtures: ## re-cut fixtures/ from the national data (needs ogr2ogr)
	$(GO) run ./fixtures/gen -data $(DATA) -out fixtures

clean:
	rm -rf bin out
