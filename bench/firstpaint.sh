#!/usr/bin/env bash
# First meaningful paint of England: ingests the national files into a temporary workspace, serves it
# on 127.0.0.1 and measures the map page with web/bench/firstpaint.mjs, twice: a fresh browser
# and profile each run, then a fresh context (empty cache) each run in one running browser. BASELINE_BIN, another pcnmap binary (an earlier build), is served beside it and
# measured in turn, for a ratio that a busy machine does not skew. Run from the repository root.
set -euo pipefail
D=${DATA:-../shared/data}
BIN=${BIN:-bin/pcnmap}
RUNS=${RUNS:-7}
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
ingest() { # ingest BIN DB: each binary writes its own workspace (an older one may not read a newer schema)
  "$1" ingest --db "$2" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz" \
    --registrations "$D/gp-reg-pat-prac-lsoa-all-2022-07.csv.gz" --membership "$D/ePCN-2022-04.xlsx" \
    --lookup "$D/lsoa11-msoa11-lookup.csv" --context "$D/lsoa11-msoa11-lookup.csv" \
    --context "$D/lsoa11-ccg20-lad20-lookup.csv" --context "$D/lsoa11-sub-icb-2022-lookup.csv" \
    --context "$D/sub-icb-icb-region-2022-lookup.csv" --context "$D/ccg20-stp20-lookup.csv" \
    --context "$D/lsoa11-ruc11-england.csv" --context "$D/sub-icb-2022-ultra-generalised-bng.geojson" >/dev/null
}
serve() { # serve BIN PORT
  ingest "$1" "$tmp/england-$2.db"
  "$1" serve --db "$tmp/england-$2.db" --addr "127.0.0.1:$2" >"$tmp/serve-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.2; done
  echo "pcnmap serve on port $2 did not start:" >&2; cat "$tmp/serve-$2.log" >&2; exit 1
}
urls=(http://127.0.0.1:18181/)
serve "$BIN" 18181
if [ -n "${BASELINE_BIN:-}" ]; then
  serve "$BASELINE_BIN" 18182
  urls+=(http://127.0.0.1:18182/)
fi
cd web
echo "a new browser and profile each run:"
node bench/firstpaint.mjs --runs "$RUNS" "${urls[@]}"
echo "a new context (empty cache) each run in one running browser:"
node bench/firstpaint.mjs --runs "$RUNS" --one-browser "${urls[@]}"
