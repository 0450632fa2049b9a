#!/usr/bin/env bash
# Times the national ingest against the plain-Python join baseline, 5 runs each in one command, and
# reports medians, the ratio and pcnmap's peak memory; then the same ingest keeping the LSOA polygons
# (--lsoa-polygons), and the workspace size with and without; then the same January 2021 file moved
# onto the 6,856 MSOAs of 2021 with --crosswalk (the ONS LSOA 2011 → 2021 lookup). Run from the
# repository root:
# bash bench/ingest.sh
set -euo pipefail
D=${DATA:-../shared/data}
BIN=${BIN:-bin/pcnmap}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/pcnmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ingest=("$BIN" ingest --db "$tmp/england.db" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz"
  --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx"
  --lookup "$D/lsoa11-msoa11-lookup.csv")
polygons=("${ingest[@]}" --lsoa-polygons "$D/lsoa2011-england-generalised-clipped.geojson.gz")
crosswalk=("$BIN" ingest --db "$tmp/england.db" --areas "$D/2021/msoa2021-england-generalised-clipped.geojson.gz"
  --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx"
  --lookup "$D/2021/lsoa21-msoa21-england-derived.csv" --crosswalk "$D/2021/lsoa11-lsoa21-lad22-lookup.csv")
baseline=(python3 bench/join.py "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" "$D/gp-reg-pat-prac-map-2022-01.csv" "$D/lsoa11-msoa11-lookup.csv")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # run LABEL CMD...: 5 timed runs, prints the median wall seconds
  local label=$1; shift
  for i in 1 2 3 4 5; do
    rm -f "$tmp/england.db"
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null
    cat "$tmp/t" >> "$tmp/$label"
  done
  cut -d' ' -f1 "$tmp/$label" | median
}
p=$(run pcnmap "${ingest[@]}")
size=$(stat -c %s "$tmp/england.db")
b=$(run python "${baseline[@]}")
l=$(run polygons "${polygons[@]}")
lsize=$(stat -c %s "$tmp/england.db")
mem=$(cut -d' ' -f2 "$tmp/pcnmap" | sort -n | tail -1)
lmem=$(cut -d' ' -f2 "$tmp/polygons" | sort -n | tail -1)
echo "pcnmap ingest (national, Jan 2021): median ${p} s wall over 5 runs; peak RSS $((mem / 1024)) MB; workspace $((size / 1000000)) MB"
echo "python join baseline:                median ${b} s wall over 5 runs"
awk -v p="$p" -v b="$b" 'BEGIN {printf "ratio pcnmap/python: %.2f\n", p / b}'
echo "the same with --lsoa-polygons:       median ${l} s wall over 5 runs; peak RSS $((lmem / 1024)) MB; workspace $((lsize / 1000000)) MB"
c=$(run crosswalk "${crosswalk[@]}")
cmem=$(cut -d' ' -f2 "$tmp/crosswalk" | sort -n | tail -1)
echo "onto MSOA 2021 with --crosswalk:     median ${c} s wall over 5 runs; peak RSS $((cmem / 1024)) MB"
awk -v p="$p" -v c="$c" 'BEGIN {printf "ratio crosswalk/plain ingest: %.2f\n", c / p}'
