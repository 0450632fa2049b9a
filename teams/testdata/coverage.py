#!/usr/bin/env python3
"""An independent computation of a team set's coverage within its own footprint, to check
teams.Alignment against: plain csv and json, its own point-in-polygon, no pcnmap code.

Of the PCNs the teams deal with (those holding at least THRESHOLD of some team's registered
population), the share of their resident patients (those living in an LSOA of the lookup) who live
in a team. An LSOA belongs to the team whose polygon holds its population-weighted centroid, split
evenly when several do.

usage: coverage.py REGISTRATIONS.csv[.gz] PRACTICE_MAP.csv LSOA_LOOKUP.csv CENTROIDS.csv TEAMS.geojson THRESHOLD
prints: coverage PCNS (the coverage to 6 places and the number of PCNs it is measured over)
"""
import csv
import gzip
import json
import sys
from collections import defaultdict

regs, practice_map, lookup, centroids, teams_path, threshold = sys.argv[1:7]
threshold = float(threshold)


def opener(path):
    return gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="", encoding="utf-8-sig")


def col(header, *names):
    low = [h.strip().lower() for h in header]
    for n in names:
        if n.lower() in low:
            return low.index(n.lower())
    raise SystemExit(f"none of {names} in {header}")


pcn = {}
with opener(practice_map) as f:
    rows = csv.reader(f)
    h = next(rows)
    pc, pn = col(h, "PRACTICE_CODE"), col(h, "PCN_CODE")
    for r in rows:
        if r[pn] not in ("", "U", "U00000"):  # "U", "Unallocated": the practice is in no PCN
            pcn[r[pc]] = r[pn]

in_area = set()
with opener(lookup) as f:
    rows = csv.reader(f)
    h = next(rows)
    lc = col(h, "LSOA_CODE", "LSOA11CD")
    for r in rows:
        in_area.add(r[lc])

point = {}
with opener(centroids) as f:
    rows = csv.reader(f)
    h = next(rows)
    xc, yc, lc = col(h, "X"), col(h, "Y"), col(h, "lsoa11cd", "LSOA_CODE")
    for r in rows:
        point[r[lc]] = (float(r[xc]), float(r[yc]))


def inside_ring(x, y, ring):
    n, c = len(ring), False
    for i in range(n):
        (x1, y1), (x2, y2) = ring[i][:2], ring[i - 1][:2]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            c = not c
    return c


def inside(x, y, geom):
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    for poly in polys:
        if inside_ring(x, y, poly[0]) and not any(inside_ring(x, y, hole) for hole in poly[1:]):
            return True
    return False


with open(teams_path) as f:
    features = json.load(f)["features"]
names = [ft["properties"].get("area_name") or ft["properties"].get("name") for ft in features]
weight = {}  # LSOA -> {team: weight}
for lsoa, (x, y) in point.items():
    hits = [names[i] for i, ft in enumerate(features) if inside(x, y, ft["geometry"])]
    if hits:
        weight[lsoa] = {t: 1 / len(hits) for t in hits}

resident = defaultdict(float)  # PCN -> patients living in an area
registered = defaultdict(float)  # team -> patients, any practice
patients = defaultdict(float)  # (team, PCN) -> patients
with opener(regs) as f:
    rows = csv.reader(f)
    h = next(rows)
    pc, lc = col(h, "PRACTICE_CODE"), col(h, "LSOA_CODE")
    nc = col(h, "Number of Patients", "NUMBER_OF_PATIENTS")
    sc = col(h, "SEX") if "SEX" in [x.strip().upper() for x in h] else None
    for r in rows:
        if sc is not None and r[sc] != "ALL":
            continue
        lsoa, n = r[lc], float(r[nc])
        if lsoa not in in_area:
            continue
        p = pcn.get(r[pc])
        if p:
            resident[p] += n
        for t, w in weight.get(lsoa, {}).items():
            registered[t] += n * w
            if p:
                patients[(t, p)] += n * w

dealt = {p for (t, p), v in patients.items() if registered[t] > 0 and v / registered[t] >= threshold}
num = sum(v for (t, p), v in patients.items() if p in dealt)
den = sum(resident[p] for p in dealt)
print(f"{num / den:.6f} {len(dealt)}")
