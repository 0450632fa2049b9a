#!/usr/bin/env python3
"""Registered residents of Trafford's four localities, counted without pcnmap.

Each LSOA goes to the locality whose polygon (fixtures/trafford-localities.geojson) contains its
population-weighted centroid (fixtures/lsoa-centroids.csv), as `teams import` places LSOAs by
centroid; a locality's residents are all the registered patients (every practice, in a PCN or not)
of fixtures/registrations-2021-01.csv.gz living in its LSOAs. Prints `locality,lsoas,residents`.

Run from the repository root: python3 cmd/pcnmap/testdata/report-neighbourhoods/residents.py
"""
import csv
import gzip
import json
import sys


def inside(x, y, ring):
    """Even-odd rule: whether (x, y) lies inside the closed ring."""
    c = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            c = not c
    return c


def polygons(geom):
    return geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]


def main(root="fixtures"):
    with open(f"{root}/trafford-localities.geojson") as f:
        localities = [(ft["properties"]["area_name"], polygons(ft["geometry"])) for ft in json.load(f)["features"]]
    where = {}
    with open(f"{root}/lsoa-centroids.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            x, y = float(row["X"]), float(row["Y"])
            for name, polys in localities:
                if any(inside(x, y, p[0]) and not any(inside(x, y, h) for h in p[1:]) for p in polys):
                    where[row["lsoa11cd"]] = name
                    break
    residents = {name: 0 for name, _ in localities}
    with gzip.open(f"{root}/registrations-2021-01.csv.gz", "rt") as f:
        for row in csv.DictReader(f):
            if row["SEX"] == "ALL" and row["LSOA_CODE"] in where:
                residents[where[row["LSOA_CODE"]]] += int(row["Number of Patients"])
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["locality", "lsoas", "residents"])
    for name, _ in sorted(localities):
        out.writerow([name, sum(1 for v in where.values() if v == name), residents[name]])


if __name__ == "__main__":
    main(*sys.argv[1:])
