#!/usr/bin/env bash
# The hostile-input suite: ingests the bundled fixture, starts `pcnmap serve` with a token (from a
# file) and a memory limit, and runs tools/hostile against it (the inputs are generated there, none is
# committed). Fails when a case is not answered with a 4xx, a 2xx or a 503 within 2 s, when the server
# goes down, or when its peak RSS passes MEMLIMIT MB. Run from the repository root: bash bench/hostile.sh
set -euo pipefail
BIN=${BIN:-bin/pcnmap}
MEMLIMIT=${MEMLIMIT:-256}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/pcnmap
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$tmp"' EXIT
"$BIN" ingest --db "$tmp/w.db" --areas fixtures/msoa.geojson --registrations fixtures/registrations-2021-01.csv.gz \
  --membership fixtures/epcn-2019-12.xlsx --lookup fixtures/lsoa-msoa-lookup.csv --centroids fixtures/lsoa-centroids.csv \
  --lsoa-polygons fixtures/lsoa.geojson >/dev/null
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token"
"$BIN" serve --db "$tmp/w.db" --addr 127.0.0.1:0 --token-file "$tmp/token" --mem-limit "$MEMLIMIT" --quiet \
  >"$tmp/out" 2>"$tmp/log" &
pid=$!
addr=
for _ in $(seq 100); do
  addr=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/out" "$tmp/log" 2>/dev/null | head -1 | sed 's/^[^:]*://' || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$tmp/log"; echo "hostile: the server did not start"; exit 1; }
go run ./tools/hostile -base "$addr" -token-file "$tmp/token" -pid "$pid" -mem-limit "$MEMLIMIT"
