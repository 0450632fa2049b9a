#!/usr/bin/env bash
# The shared tile cache under a stream of random thresholds: one wrk cycles through a fixed set of
# 49 z8 tiles of England at the default threshold while another asks for tiles at random thresholds
# (0–20%, four decimals), both for DURATION (10s); the fixed set's hit rate is read from the shared
# cache's counters in /metrics (tiles at other thresholds go to the side cache). Then /api/summary
# with wrk -t2 -c64. The tile cache is CACHE_MB (4) so that the stream would turn it over. Needs a workspace: DB (default: the national release ingested into a temporary
# file from DATA). Run from the repository root: bash bench/thresholds.sh
set -euo pipefail
BIN=${BIN:-bin/pcnmap}
D=${DATA:-../shared/data}
DURATION=${DURATION:-10s}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/pcnmap
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$tmp"' EXIT
DB=${DB:-}
if [ -z "$DB" ]; then
  DB=$tmp/england.db
  "$BIN" ingest --db "$DB" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz" \
    --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx" \
    --lookup "$D/lsoa11-msoa11-lookup.csv" >/dev/null
fi
port=$((20000 + RANDOM % 20000))
"$BIN" serve --db "$DB" --addr 127.0.0.1:$port --cache-mb "${CACHE_MB:-4}" --quiet 2>"$tmp/log" &
pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 300); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
cat >"$tmp/fixed.lua" <<'LUA'
local i = 0
request = function()
  local x, y = 124 + (i % 7), 80 + (math.floor(i / 7) % 7)
  i = i + 1
  return wrk.format(nil, "/tiles/areas/8/" .. x .. "/" .. y .. ".mvt")
end
LUA
cat >"$tmp/random.lua" <<'LUA'
math.randomseed(7)
request = function()
  local x, y = 124 + math.random(0, 6), 80 + math.random(0, 6)
  return wrk.format(nil, string.format("/tiles/areas/8/%d/%d.mvt?threshold=%.4f", x, y, math.random() * 0.2))
end
LUA
for x in $(seq 124 130); do for y in $(seq 80 86); do curl -s -o /dev/null "$base/tiles/areas/8/$x/$y.mvt"; done; done
counter() { curl -s "$base/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
h0=$(counter pcnmap_tile_cache_hits_total); m0=$(counter pcnmap_tile_cache_misses_total)
wrk -t1 -c8 -d"$DURATION" -s "$tmp/random.lua" "$base" >"$tmp/random.out" &
rp=$!
wrk -t1 -c8 -d"$DURATION" -s "$tmp/fixed.lua" "$base" >"$tmp/fixed.out"
wait "$rp"
h1=$(counter pcnmap_tile_cache_hits_total); m1=$(counter pcnmap_tile_cache_misses_total)
echo "random thresholds: $(grep Requests/sec "$tmp/random.out")"
echo "fixed z8 set:      $(grep Requests/sec "$tmp/fixed.out")"
awk -v h="$((h1 - h0))" -v m="$((m1 - m0))" 'BEGIN {printf "fixed z8 set in the shared cache: %d hits, %d misses, hit rate %.2f%%\n", h, m, 100 * h / (h + m)}'
curl -s -o /dev/null "$base/api/summary"
echo "/api/summary (wrk -t2 -c64, gzip):"
wrk -t2 -c64 -d"$DURATION" -H 'Accept-Encoding: gzip' "$base/api/summary" | grep -E "Requests/sec|Latency"
