#!/usr/bin/env python3
"""Counts the fixture's MSOA polygon files that package geo's tests read, independently of the Go
readers. Run from the repository root: python3 geo/testdata/count.py

For each format: the number of features, and the first feature's code and name, read with python's
json module (GeoJSON), the dBASE header and records (the zipped Shapefile), and sqlite3 (the
GeoPackage). For the truncated-GeoJSON test: which feature the middle byte of msoa.geojson is in.
"""
import json
import sqlite3
import struct
import zipfile

FIX = "fixtures/"

raw = open(FIX + "msoa.geojson", "rb").read()
doc = json.loads(raw)
feats = doc["features"]
first = feats[0]["properties"]
print(f"msoa.geojson: {len(feats)} features, first {first['MSOA11CD']} {first['MSOA11NM']}")

# The feature holding byte len/2: each feature's text starts at its {"type": "Feature" member.
half = len(raw) // 2
starts = [i for i in range(len(raw)) if raw.startswith(b'{ "type": "Feature"', i)]
assert len(starts) == len(feats), (len(starts), len(feats))
k = max(i for i, s in enumerate(starts) if s <= half)
print(f"msoa.geojson: byte {half} of {len(raw)} is in feature {k}, {feats[k]['properties']['MSOA11CD']}")

z = zipfile.ZipFile(FIX + "msoa-bng-shp.zip")
dbf = z.read(next(n for n in z.namelist() if n.endswith(".dbf")))
nrec, hlen, rlen = struct.unpack("<IHH", dbf[4:12])
fields = []
for off in range(32, hlen - 1, 32):
    name = dbf[off:off + 11].split(b"\0")[0].decode()
    fields.append((name, dbf[off + 16]))
rec = dbf[hlen:hlen + rlen]
vals, pos = {}, 1
for name, size in fields:
    vals[name] = rec[pos:pos + size].decode().strip()
    pos += size
print(f"msoa-bng-shp.zip: {nrec} records, first {vals['MSOA11CD']} {vals['MSOA11NM']}")

db = sqlite3.connect(FIX + "msoa-bng.gpkg")
tables = [r[0] for r in db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
n = db.execute(f'SELECT count(*) FROM "{tables[0]}"').fetchone()[0]
code, name = db.execute(f'SELECT MSOA11CD, MSOA11NM FROM "{tables[0]}" ORDER BY fid LIMIT 1').fetchone()
print(f"msoa-bng.gpkg: layer {tables}, {n} features, first {code} {name}")
