#!/usr/bin/env bash
# One unit's report on the national workspace (issue 13: a short command reads what it needs):
# `pcnmap report --by KIND --unit CODE --format html` run RUNS (7) times by BIN (bin/pcnmap) and, in
# turn, by BASELINE_BIN when given (a build of the commit before, say), with the medians of wall
# time, CPU time (user + system) and peak RSS of each and the ratios; the two builds' documents and
# printed summaries are compared byte for byte. Needs a workspace: DB (default: the national release
# with the CCG/LA, Sub-ICB and ICB contexts ingested into a temporary file from DATA). KIND (la) and
# CODE (E08000009, Trafford) choose the unit. Each build reads a copy of DB (so a build of a newer
# schema may migrate its own). Run from the repository root: bash bench/unit-report.sh
set -euo pipefail
BIN=${BIN:-bin/pcnmap}
D=${DATA:-../shared/data}
RUNS=${RUNS:-7}
KIND=${KIND:-la}
CODE=${CODE:-E08000009}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/pcnmap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DB=${DB:-}
if [ -z "$DB" ]; then
  DB=$tmp/england.db
  # By the baseline when there is one: a newer build reads (migrates) an older schema, not the reverse.
  "${BASELINE_BIN:-$BIN}" ingest --db "$DB" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz" \
    --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx" \
    --lookup "$D/lsoa11-msoa11-lookup.csv" --context "$D/lsoa11-ccg20-lad20-lookup.csv" \
    --context "$D/lsoa11-sub-icb-2022-lookup.csv" --context "$D/sub-icb-icb-region-2022-lookup.csv" >/dev/null
fi
bins=("$BIN")
[ -n "${BASELINE_BIN:-}" ] && bins+=("$BASELINE_BIN")
# Each build reads its own copy of the workspace, which it may migrate to its schema (a newer build
# takes a file of an older schema up, which the older build then no longer reads) in an untimed
# first run; the file given as DB is left as it was.
for i in "${!bins[@]}"; do
  cp "$DB" "$tmp/ws$i.db"
  "${bins[$i]}" report --db "$tmp/ws$i.db" --by "$KIND" --unit "$CODE" --format html --out "$tmp/warm$i" >/dev/null 2>&1
done
# Each round runs a build twice: bare, timed by the shell's microsecond clock (GNU time's wall clock
# counts in hundredths), then under GNU time for its CPU time and peak RSS.
one() { # build index
  local start=$EPOCHREALTIME
  "$1" report --db "$tmp/ws$2.db" --by "$KIND" --unit "$CODE" --format html --out "$tmp/out$2" >"$tmp/stdout$2" 2>/dev/null
  local end=$EPOCHREALTIME
  /usr/bin/time -f "%U %S %M" -o "$tmp/time" "$1" report --db "$tmp/ws$2.db" --by "$KIND" --unit "$CODE" --format html \
    --out "$tmp/out$2" >/dev/null 2>/dev/null
  awk -v s="$start" -v e="$end" '{printf "%.4f %.3f %s\n", e - s, $1 + $2, $3}' "$tmp/time" >>"$tmp/runs$2"
}
for _ in $(seq "$RUNS"); do
  for i in "${!bins[@]}"; do one "${bins[$i]}" "$i"; done
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A med
for i in "${!bins[@]}"; do
  for c in 1 2 3; do med[$i,$c]=$(cut -d' ' -f$c "$tmp/runs$i" | median); done
  printf '%s: median of %d: %s s wall, %s CPU-s, %s KB peak RSS (load %s)\n' "${bins[$i]}" "$RUNS" \
    "${med[$i,1]}" "${med[$i,2]}" "${med[$i,3]}" "$(cut -d' ' -f1 /proc/loadavg)"
done
if [ "${#bins[@]}" = 2 ]; then
  awk -v w1="${med[0,1]}" -v w0="${med[1,1]}" -v c1="${med[0,2]}" -v c0="${med[1,2]}" \
    'BEGIN {printf "ratio to the baseline: %.2f of its wall time, %.2f of its CPU time\n", w1 / w0, c1 / c0}'
  if diff -r "$tmp/out0" "$tmp/out1" >/dev/null && cmp -s "$tmp/stdout0" "$tmp/stdout1"; then
    echo "documents and summaries: the same bytes"
  else
    echo "documents or summaries DIFFER" >&2
    exit 1
  fi
fi
