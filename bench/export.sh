#!/usr/bin/env bash
# Times `pcnmap tiles export` of z0–12 of England from a national workspace against geojson-vt +
# vt-pbf cutting, encoding and gzipping the same tiles from the MSOA GeoJSON
# (bench/geojsonvt/export.mjs): RUNS (default 5) rounds, each running the two in turn; medians and
# the ratio. The workspace is ingested first (outside the timing) unless DB names one. Needs node
# (npm ci in bench/geojsonvt on first use). Run from the repository root: bash bench/export.sh
set -euo pipefail
D=${DATA:-../shared/data}
BIN=${BIN:-bin/pcnmap}
RUNS=${RUNS:-5}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/pcnmap
[ -d bench/geojsonvt/node_modules ] || (cd bench/geojsonvt && npm ci --no-audit --no-fund >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=${DB:-}
if [ -z "$db" ]; then
  db=$tmp/england.db
  "$BIN" ingest --db "$db" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz" \
    --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx" \
    --lookup "$D/lsoa11-msoa11-lookup.csv" >/dev/null
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
once() { # once LABEL CMD...: one timed run, appended to $tmp/LABEL as "seconds user+sys"
  local label=$1; shift
  rm -f "$tmp/england.mbtiles"
  /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$@" >"$tmp/out"
  awk '{print $1, $2 + $3}' "$tmp/t" >> "$tmp/$label"
}
for i in $(seq "$RUNS"); do
  once pcnmap "$BIN" tiles export --db "$db" --out "$tmp/england.mbtiles"
  once geojsonvt node bench/geojsonvt/export.mjs "$D/msoa2011-england-generalised-clipped.geojson.gz"
done
vt=$(cat "$tmp/out")
p=$(cut -d' ' -f1 "$tmp/pcnmap" | median) pc=$(cut -d' ' -f2 "$tmp/pcnmap" | median)
g=$(cut -d' ' -f1 "$tmp/geojsonvt" | median) gc=$(cut -d' ' -f2 "$tmp/geojsonvt" | median)
"$BIN" tiles export --db "$db" --out "$tmp/england.mbtiles" >/dev/null
size=$(stat -c %s "$tmp/england.mbtiles")
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pcnmap tiles export z0-12: median ${p} s wall, ${pc} CPU-s over $RUNS runs; $((size / 1000000)) MB file"
echo "geojson-vt + vt-pbf:       median ${g} s wall, ${gc} CPU-s over $RUNS runs; $vt"
awk -v p="$p" -v g="$g" 'BEGIN {printf "ratio pcnmap/geojson-vt: %.2f (wall)\n", p / g}'
