#!/usr/bin/env bash
# Times the national ingest against two baselines doing only its join and counts: DuckDB
# (bench/duckdb/join.mjs, SQL over the CSVs, the ePCN partner sheet exported to CSV beforehand,
# outside the timing) and plain Python (bench/join.py). RUNS (default 5) rounds, each running the
# three in turn, so that load changes hit all alike; it reports medians, the ratios and pcnmap's
# peak memory. Then the same ingest keeping the LSOA polygons (--lsoa-polygons), and the workspace
# size with and without; then the same January 2021 file moved onto the 6,856 MSOAs of 2021 with
# --crosswalk (the ONS LSOA 2011 → 2021 lookup). Needs node (npm ci in bench/duckdb on first use) and ogr2ogr (GDAL) for the
# sheet export. Run from the repository root: bash bench/ingest.sh
set -euo pipefail
D=${DATA:-../shared/data}
BIN=${BIN:-bin/pcnmap}
RUNS=${RUNS:-5}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/pcnmap
[ -d bench/duckdb/node_modules ] || (cd bench/duckdb && npm ci --no-audit --no-fund >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ogr2ogr -f CSV "$tmp/partners.csv" "$D/ePCN-2019-12.xlsx" "PCN Core Partner Details"
ingest=("$BIN" ingest --db "$tmp/england.db" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz"
  --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx"
  --lookup "$D/lsoa11-msoa11-lookup.csv")
polygons=("${ingest[@]}" --lsoa-polygons "$D/lsoa2011-england-generalised-clipped.geojson.gz")
crosswalk=("$BIN" ingest --db "$tmp/england.db" --areas "$D/2021/msoa2021-england-generalised-clipped.geojson.gz"
  --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx"
  --lookup "$D/2021/lsoa21-msoa21-england-derived.csv" --crosswalk "$D/2021/lsoa11-lsoa21-lad22-lookup.csv")
# The registrations' extract date (4 January 2021) is the date the ingest takes membership at.
duckdb=(node bench/duckdb/join.mjs "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" "$tmp/partners.csv" "$D/lsoa11-msoa11-lookup.csv" 20210104)
python=(python3 bench/join.py "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" "$D/gp-reg-pat-prac-map-2022-01.csv" "$D/lsoa11-msoa11-lookup.csv")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
once() { # once LABEL CMD...: one timed run, appended to $tmp/LABEL as "seconds maxrss-KB"
  local label=$1; shift
  case $label in pcnmap|polygons|crosswalk) rm -f "$tmp/england.db" ;; esac
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null
  cat "$tmp/t" >> "$tmp/$label"
}
for i in $(seq "$RUNS"); do
  once pcnmap "${ingest[@]}"
  once duckdb "${duckdb[@]}"
  once python "${python[@]}"
done
size=$(stat -c %s "$tmp/england.db")
for i in $(seq "$RUNS"); do
  once polygons "${polygons[@]}"
done
lsize=$(stat -c %s "$tmp/england.db")
p=$(cut -d' ' -f1 "$tmp/pcnmap" | median)
d=$(cut -d' ' -f1 "$tmp/duckdb" | median)
b=$(cut -d' ' -f1 "$tmp/python" | median)
l=$(cut -d' ' -f1 "$tmp/polygons" | median)
mem=$(cut -d' ' -f2 "$tmp/pcnmap" | sort -n | tail -1)
lmem=$(cut -d' ' -f2 "$tmp/polygons" | sort -n | tail -1)
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pcnmap ingest (national, Jan 2021): median ${p} s wall over $RUNS runs; peak RSS $((mem / 1024)) MB; workspace $((size / 1000000)) MB"
echo "duckdb join baseline:                median ${d} s wall over $RUNS runs"
echo "python join baseline:                median ${b} s wall over $RUNS runs"
awk -v p="$p" -v d="$d" -v b="$b" 'BEGIN {printf "ratio pcnmap/duckdb: %.2f; pcnmap/python: %.2f\n", p / d, p / b}'
echo "the same with --lsoa-polygons:       median ${l} s wall over $RUNS runs; peak RSS $((lmem / 1024)) MB; workspace $((lsize / 1000000)) MB"
for i in $(seq "$RUNS"); do
  once crosswalk "${crosswalk[@]}"
done
c=$(cut -d' ' -f1 "$tmp/crosswalk" | median)
cmem=$(cut -d' ' -f2 "$tmp/crosswalk" | sort -n | tail -1)
echo "onto MSOA 2021 with --crosswalk:     median ${c} s wall over $RUNS runs; peak RSS $((cmem / 1024)) MB"
awk -v p="$p" -v c="$c" 'BEGIN {printf "ratio crosswalk/plain ingest: %.2f\n", c / p}'
