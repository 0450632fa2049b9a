#!/usr/bin/env python3
"""Ward shares of two neighbourhoods of the 2021 fixture, counted without pcnmap.

The neighbourhoods are MSOA lists (North: E02002951, E02002952; South: E02002980), expanded to their
2021 LSOAs by fixtures/2021/lsoa21-msoa21.csv; each LSOA's ward is its row of
fixtures/2021/lsoa21-ward24-lad24.csv; residents are all the patients of
fixtures/2021/registrations-2025-10-icb-QNC-stoke.csv.gz living in the LSOA. Prints
`neighbourhood,residents,ward,share` with shares to 4 decimals, largest first.

Run from the repository root: python3 cmd/pcnmap/testdata/neighbourhoods-2021/wards.py
"""
import csv
import sys
from collections import defaultdict

import fixture2021

TEAMS = {"North": ["E02002951", "E02002952"], "South": ["E02002980"]}


def main(root="fixtures/2021"):
    msoa = fixture2021.msoas(root)
    ward = {}
    with open(f"{root}/lsoa21-ward24-lad24.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            ward[row["lsoa21_code"]] = row["ward24_name"]
    residents = fixture2021.residents(root)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["neighbourhood", "residents", "ward", "share"])
    for team, msoas in TEAMS.items():
        lsoas = [l for l, m in msoa.items() if m in msoas]
        total = sum(residents[l] for l in lsoas)
        by_ward = defaultdict(int)
        for l in lsoas:
            by_ward[ward[l]] += residents[l]
        for w, n in sorted(by_ward.items(), key=lambda kv: (-kv[1], kv[0])):
            out.writerow([team, total, w, f"{n / total:.4f}"])


if __name__ == "__main__":
    main(*sys.argv[1:])
