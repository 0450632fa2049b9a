#!/usr/bin/env bash
# Compares two workspaces table by table (every row, every column but the ingest time), or two
# MBTiles files tile by tile (inflated), so a speed change can show it changed no output:
#   bash bench/same-workspace.sh A.db B.db
#   bash bench/same-workspace.sh A.mbtiles B.mbtiles
# Needs the sqlite3 command and python3. Exits 1 on the first difference.
set -euo pipefail
a=$1 b=$2
same=0
check() { # check LABEL SQL
  local x y
  x=$(sqlite3 "$a" "$2" | sha256sum) y=$(sqlite3 "$b" "$2" | sha256sum)
  if [ "$x" = "$y" ]; then echo "same: $1"; else echo "DIFFERENT: $1"; same=1; fi
}
if [ "$(sqlite3 "$a" "select count(*) from sqlite_schema where name = 'tiles'")" = 1 ]; then
  check metadata "select name, value from metadata order by name"
  tiles() { # every tile's coordinates and the sha256 of its inflated bytes, in order
    python3 -c 'import gzip, hashlib, sqlite3, sys
for z, x, y, d in sqlite3.connect(sys.argv[1]).execute("select zoom_level, tile_column, tile_row, tile_data from tiles order by 1, 2, 3"):
    print(z, x, y, hashlib.sha256(gzip.decompress(d)).hexdigest())' "$1"
  }
  if [ "$(tiles "$a" | sha256sum)" = "$(tiles "$b" | sha256sum)" ]; then echo "same: tiles (inflated)"; else echo "DIFFERENT: tiles"; same=1; fi
  exit $same
fi
check releases "select name, extract_date, as_of, sources, coverage, notes from releases order by name"
for t in $(sqlite3 "$a" "select name from sqlite_schema where type = 'table' and name not in ('releases', 'meta') order by name"); do
  check "$t" "select * from $t order by 1, 2"
done
exit $same
