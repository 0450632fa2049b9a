#!/usr/bin/env bash
# Load test of cached tiles: starts `pcnmap serve` on a workspace, warms a set of tile URLs, runs wrk
# (Debian: apt-get install wrk) over them with keep-alive for a bounded time, prints requests/s and
# latency percentiles, and stops the server.
#
#   server/load/load.sh WORKSPACE.db [SECONDS] [CONNECTIONS]
#
# Defaults: 10 s, 32 connections, one wrk thread (on a 2-core machine wrk and the server then get a
# core each). Environment: PORT (default 18181), THREADS (wrk threads, default 1), ZOOMS (default
# "6 7 8 9 10": every tile over England at those zooms that holds features), LOG=1 to keep the
# server's request log (to a temporary file) instead of --quiet.
set -euo pipefail

db=${1:?usage: load.sh WORKSPACE.db [SECONDS] [CONNECTIONS]}
secs=${2:-10}
conns=${3:-32}
port=${PORT:-18181}
threads=${THREADS:-1}
zooms=${ZOOMS:-"6 7 8 9 10"}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "load.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
(cd "$root" && go build -o "$tmp/pcnmap" ./cmd/pcnmap)

quiet=--quiet
[ "${LOG:-}" = 1 ] && quiet=
"$tmp/pcnmap" serve --db "$db" --addr "127.0.0.1:$port" --warm $quiet 2>"$tmp/server.log" &
server_pid=$!
base="http://127.0.0.1:$port"
up=
for _ in $(seq 1 600); do
	curl -fs "$base/healthz" >/dev/null 2>&1 && { up=1; break; }
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$up" ] || { echo "load.sh: the server did not come up on $base:" >&2; cat "$tmp/server.log" >&2; exit 1; }

# Tiles over England (lon -6..2, lat 49.9..55.9) at the chosen zooms; keep those that hold features.
for z in $zooms; do
	awk -v z="$z" 'function tx(lon) { return int((lon + 180) / 360 * 2^z) }
		function ty(lat,  r) { r = lat * 3.141592653589793 / 180; return int((1 - log(sin(r)/cos(r) + 1/cos(r)) / 3.141592653589793) / 2 * 2^z) }
		BEGIN { for (x = tx(-6); x <= tx(2); x++) for (y = ty(55.9); y <= ty(49.9); y++) printf "/tiles/areas/%d/%d/%d.mvt\n", z, x, y }'
done >"$tmp/candidates"
while read -r path; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' "$base$path")
	[ "$code" = 200 ] && echo "$path"
done <"$tmp/candidates" >"$tmp/paths"
echo "load.sh: $(wc -l <"$tmp/paths") cached tiles (zooms $zooms) of $(wc -l <"$tmp/candidates") candidates; wrk -t$threads -c$conns -d${secs}s"

cat >"$tmp/paths.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$tmp/paths") do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
LUA
wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$tmp/paths.lua" "$base"
echo "load.sh: server VmRSS $(awk '/VmRSS/ {print $2, $3}' /proc/$server_pid/status), VmHWM $(awk '/VmHWM/ {print $2, $3}' /proc/$server_pid/status)"
grep -h "warm-up" "$tmp/server.log" || true
