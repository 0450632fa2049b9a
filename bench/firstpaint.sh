#!/usr/bin/env bash
# First meaningful paint of England: ingests the national files into a temporary workspace, serves it
# on 127.0.0.1 and measures the map page with web/bench/firstpaint.mjs, twice: a fresh browser
# and profile each run, then a fresh context (empty cache) each run in one running browser. BASELINE_BIN, another pcnmap binary (an earlier build), is served beside it and
# measured in turn, for a ratio that a busy machine does not skew. With nginx installed, the static
# export of the same workspace (pcnmap site export) is measured beside them. Run from the repository root.
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
# The static export of the same workspace (pcnmap site export), served by nginx as docs/deploy.md
# configures it: the same map read from tiles.pmtiles by range requests, with data.json.
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  "$BIN" site export --db "$tmp/england-18181.db" --out "$tmp/site" >/dev/null
  chmod 755 "$tmp"
  mkdir -p "$tmp/nginx"
  { echo "worker_processes 1; error_log stderr warn; pid $tmp/nginx/pid; events { worker_connections 64; }"
    echo "http { include /etc/nginx/mime.types; access_log off; client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx; uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;"
    sed -e '/^ *#/d' -e 's|listen 8080;|listen 127.0.0.1:18183;|' -e "s|root [^;]*;|root $tmp/site;|" docs/nginx-site.conf
    echo "}"; } >"$tmp/nginx/nginx.conf"
  PATH=$PATH:/usr/sbin nginx -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
  pids+=($!)
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18183/index.html >/dev/null && break; sleep 0.1; done
  urls+=(http://127.0.0.1:18183/)
  echo "static site: $(du -sb "$tmp/site" | cut -f1) bytes ($(du -sh "$tmp/site" | cut -f1)): http://127.0.0.1:18183/"
fi
if [ -n "${BASELINE_BIN:-}" ]; then
  serve "$BASELINE_BIN" 18182
  urls+=(http://127.0.0.1:18182/)
fi
cd web
echo "a new browser and profile each run:"
node bench/firstpaint.mjs --runs "$RUNS" "${urls[@]}"
echo "a new context (empty cache) each run in one running browser:"
node bench/firstpaint.mjs --runs "$RUNS" --one-browser "${urls[@]}"
