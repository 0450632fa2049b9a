#!/usr/bin/env python3
"""The independent count behind TestAreaComplete2021 (server/complete_test.go).

The 2021 fixture's registrations cut to the practices of three PCNs of south Stoke-on-Trent (as an
extract of some practices only would be), each MSOA's registered patients summed over the rows of its
LSOAs (fixtures/2021/lsoa21-msoa21.csv), and the MSOAs under half the median MSOA's: the areas the
API must call incomplete. Run from the repository root: python3 server/testdata/incomplete2021.py
"""
import csv
import gzip
import statistics

D = "fixtures/2021/"
PCNS = {"SOUTH STOKE WEST PCN", "SOUTH STOKE CENTRAL PCN", "MEIR PCN"}

practices = {r["PRACTICE_CODE"] for r in csv.DictReader(open(D + "practice-map-2025-10.csv")) if r["PCN_NAME"] in PCNS}
msoa = {r["LSOA21CD"]: r["MSOA21CD"] for r in csv.DictReader(open(D + "lsoa21-msoa21.csv"))}
registered = {m: 0 for m in msoa.values()}
with gzip.open(D + "registrations-2025-10-icb-QNC-stoke.csv.gz", "rt", newline="") as f:
    for r in csv.DictReader(f):
        if r["PRACTICE_CODE"] in practices and r["LSOA_CODE"] in msoa:
            registered[msoa[r["LSOA_CODE"]]] += int(r["NUMBER_OF_PATIENTS"])
median = statistics.median(registered.values())
incomplete = sorted(m for m, n in registered.items() if n < 0.5 * median)
print(f"{len(practices)} practices, {len(registered)} MSOAs, median {median}, {len(incomplete)} incomplete:")
print(" ".join(incomplete))
