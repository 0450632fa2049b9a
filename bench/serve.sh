#!/usr/bin/env bash
# Cached-tile serving against two baselines sending the same bytes with the same headers: a bare
# Go net/http server (bench/bareserver) and nginx serving the tile as a static file. One z10 tile
# over Manchester (10/505/331, 26 KB gzipped), wrk -t2 -c64 for SECS (default 5) seconds per run,
# RUNS (default 5) rounds each running the three in turn; medians of requests/s and the ratios, and of
# the CPU each Go server spent per request (steadier than requests/s when other work shares the machine).
# The workspace is ingested first (outside the timing) unless DB names one. Needs wrk and nginx.
# Run from the repository root: bash bench/serve.sh
set -euo pipefail
D=${DATA:-../shared/data}
BIN=${BIN:-bin/pcnmap}
RUNS=${RUNS:-5}
SECS=${SECS:-5}
TILE=${TILE:-10/505/331}
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/pcnmap
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/bareserver" ./bench/bareserver
db=${DB:-}
if [ -z "$db" ]; then
  db=$tmp/england.db
  "$BIN" ingest --db "$db" --areas "$D/msoa2011-england-generalised-clipped.geojson.gz" \
    --registrations "$D/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz" --membership "$D/ePCN-2019-12.xlsx" \
    --lookup "$D/lsoa11-msoa11-lookup.csv" >/dev/null
fi
up() { for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "serve.sh: $1 did not come up" >&2; exit 1; }

"$BIN" serve --db "$db" --addr 127.0.0.1:18281 --quiet 2>"$tmp/pcnmap.log" & pids+=($!)
up http://127.0.0.1:18281/healthz
mkdir -p "$tmp/www/t"
chmod -R go+rX "$tmp" # nginx workers run as another user
curl -fs -H 'Accept-Encoding: gzip' -o "$tmp/www/t/tile.mvt" "http://127.0.0.1:18281/tiles/areas/$TILE.mvt"
chmod go+r "$tmp/www/t/tile.mvt"
"$tmp/bareserver" 127.0.0.1:18282 "$tmp/www/t/tile.mvt" 2>"$tmp/bare.log" & pids+=($!)
up http://127.0.0.1:18282/
cat >"$tmp/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:18283;
    root $tmp/www;
    location / {
      types { } default_type application/vnd.mapbox-vector-tile;
      add_header Content-Encoding gzip;
      add_header Cache-Control "public, max-age=3600";
      add_header Vary "Origin, Accept-Encoding";
      add_header Content-Security-Policy "default-src 'self'; script-src 'self' 'sha256-xXeCmAKYnqZQXmQtPIAh2V706BSUjLWodhfeye3tLJo='; style-src 'self'; img-src 'self' data: blob:; worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
      add_header Referrer-Policy no-referrer;
      add_header X-Content-Type-Options nosniff;
      add_header X-Frame-Options DENY;
    }
  }
}
NGINX
nginx -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.log" & pids+=($!)
up http://127.0.0.1:18283/t/tile.mvt

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system CPU of a process, in clock ticks
hz=$(getconf CLK_TCK)
rate() { # rate URL [PID]: requests/s of one wrk run; with PID, that process's CPU-µs per request into $tmp/cpu.NAME
  local t0 out
  [ -z "${2:-}" ] || t0=$(ticks "$2")
  out=$(wrk -t2 -c64 -d"${SECS}s" -H 'Accept-Encoding: gzip' "$1")
  [ -z "${2:-}" ] || echo "$out" | awk -v t0="$t0" -v t1="$(ticks "$2")" -v hz="$hz" \
    '/requests in/ {printf "%.1f\n", (t1 - t0) * 1e6 / hz / $1}' >>"$tmp/cpu.$3"
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}
for i in $(seq "$RUNS"); do
  rate "http://127.0.0.1:18281/tiles/areas/$TILE.mvt" "${pids[0]}" pcnmap >>"$tmp/pcnmap"
  rate http://127.0.0.1:18282/t/tile.mvt "${pids[1]}" bare >>"$tmp/bare"
  rate http://127.0.0.1:18283/t/tile.mvt >>"$tmp/nginx"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median <"$tmp/pcnmap") b=$(median <"$tmp/bare") n=$(median <"$tmp/nginx")
pc=$(median <"$tmp/cpu.pcnmap") bc=$(median <"$tmp/cpu.bare")
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cached tile $TILE ($(stat -c %s "$tmp/www/t/tile.mvt") bytes gzipped), wrk -t2 -c64 -d${SECS}s, median of $RUNS runs each, alternated:"
echo "pcnmap serve:      $p req/s"
echo "bare Go net/http:  $b req/s"
echo "nginx:             $n req/s"
awk -v p="$p" -v b="$b" -v n="$n" 'BEGIN {printf "ratio pcnmap/bare Go: %.2f; pcnmap/nginx: %.2f\n", p / b, p / n}'
echo "server CPU per request (user + system, median): pcnmap $pc µs, bare Go $bc µs: $(awk -v p="$pc" -v b="$bc" 'BEGIN {printf "%.2f", p / b}')"
