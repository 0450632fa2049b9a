#!/usr/bin/env python3
"""Deprivation and rural-urban profile of Trafford's four localities, counted without pcnmap.

LSOAs are placed in the localities as residents.py places them (population-weighted centroid in
the locality's polygon); each LSOA's registered residents (every registration row of
fixtures/registrations-2021-01.csv.gz) go to its IMD decile (IMD_OVERALL of
fixtures/lsoa-msoa-lookup.csv), to its income domain decile (IMD_INCOME of the same file) and to
its rural-urban class (RUC11CD of fixtures/lsoa-ruc.csv). Prints, per locality, its residents and,
as residents (not shares, so that nothing is rounded here), those in each decile 1 … 10 and in no
decile, the same by income decile, and those in each rural-urban class.

Run from the repository root: python3 cmd/pcnmap/testdata/report-neighbourhoods/profile.py
"""
import csv
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from residents import inside, polygons  # noqa: E402


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
    with open(f"{root}/lsoa-msoa-lookup.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    imd = {r["LSOA_CODE"]: int(r["IMD_OVERALL"]) for r in rows if r["IMD_OVERALL"].isdigit()}
    income = {r["LSOA_CODE"]: int(r["IMD_INCOME"]) for r in rows if r["IMD_INCOME"].isdigit()}
    with open(f"{root}/lsoa-ruc.csv", encoding="utf-8-sig") as f:
        ruc = {r["LSOA11CD"]: r["RUC11CD"] for r in csv.DictReader(f)}
    residents = {}
    with gzip.open(f"{root}/registrations-2021-01.csv.gz", "rt") as f:
        for row in csv.DictReader(f):
            if row["SEX"] == "ALL" and row["LSOA_CODE"] in where:
                residents[row["LSOA_CODE"]] = residents.get(row["LSOA_CODE"], 0) + int(row["Number of Patients"])
    for name, _ in sorted(localities):
        lsoas = [l for l, n in where.items() if n == name]
        total = sum(residents.get(l, 0) for l in lsoas)
        deciles = [sum(residents.get(l, 0) for l in lsoas if imd.get(l) == d) for d in range(1, 11)]
        unknown = sum(residents.get(l, 0) for l in lsoas if l not in imd)
        inc = [sum(residents.get(l, 0) for l in lsoas if income.get(l) == d) for d in range(1, 11)]
        inc_unknown = sum(residents.get(l, 0) for l in lsoas if l not in income)
        classes = {}
        for l in lsoas:
            if l in ruc:
                classes[ruc[l]] = classes.get(ruc[l], 0) + residents.get(l, 0)
        print(f"{name}: residents {total}; deciles 1-10 {' '.join(map(str, deciles))}; no decile {unknown}; "
              f"income deciles 1-10 {' '.join(map(str, inc))}; no income decile {inc_unknown}; "
              f"classes {' '.join(f'{c} {v}' for c, v in sorted(classes.items()))}")


if __name__ == "__main__":
    main(*sys.argv[1:])
