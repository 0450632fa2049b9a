#!/usr/bin/env python3
"""The baseline the ingest is measured against: a plain Python csv script doing only the join and
the counts (registrations x practice -> PCN x LSOA -> MSOA), no geometry, no workbook, no store.

usage: join.py REGISTRATIONS.csv.gz PRACTICE_MAP.csv LSOA_MSOA_LOOKUP.csv
"""
import csv
import gzip
import sys
from collections import defaultdict

regs, practice_map, lookup = sys.argv[1:4]
pcn = {}
with open(practice_map, newline="") as f:
    for r in csv.DictReader(f):
        pcn[r["PRACTICE_CODE"]] = r["PCN_CODE"]
msoa = {}
with open(lookup, newline="") as f:
    for r in csv.DictReader(f):
        msoa[r["LSOA_CODE"]] = r["MSOA_CODE"]
registered = defaultdict(int)
cells = defaultdict(int)
with gzip.open(regs, "rt", newline="") as f:
    rows = csv.reader(f)
    header = next(rows)
    prac, lsoa = header.index("PRACTICE_CODE"), header.index("LSOA_CODE")
    count = header.index("Number of Patients") if "Number of Patients" in header else header.index("NUMBER_OF_PATIENTS")
    for r in rows:
        m = msoa.get(r[lsoa])
        if m is None:
            continue
        n = int(r[count])
        registered[m] += n
        p = pcn.get(r[prac])
        if p:
            cells[(m, p)] += n
served = defaultdict(int)
for (m, p), n in cells.items():
    if n >= 0.01 * registered[m]:
        served[m] += 1
print(len(registered), "areas,", sum(served.values()) / len(registered), "PCNs per area at 1%")
