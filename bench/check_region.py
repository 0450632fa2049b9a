#!/usr/bin/env python3
"""An independent computation of the per-MSOA figures of a regional release, from the raw files
with the csv module only, for checking pcnmap's areas.csv (see ingest's TestStaffordshireIndependent).

usage: check_region.py REGISTRATIONS.csv.gz PRACTICE_MAP.csv LSOA21_MSOA21.csv LSOA21_ICB.csv ICB_NHS_CODE

An MSOA is in the region when most of its LSOAs (in the LSOA -> MSOA lookup) lie in the ICB (ties
to the smaller ICB code). For every MSOA in the region it prints code, registered (patients of every
practice in the file living there), PCNs with any patients, PCNs with a share >= 1% and the dominant
PCN's share, as CSV sorted by code. PCN membership comes from the practice mapping file.
"""
import csv
import gzip
import sys
from collections import Counter, defaultdict

regs, practice_map, lookup, icb_lookup, icb = sys.argv[1:6]

pcn = {}
with open(practice_map, newline="") as f:
    for r in csv.DictReader(f):
        if r["PCN_CODE"] not in ("", "U") and r["PCN_NAME"].strip().lower() != "unallocated":
            pcn[r["PRACTICE_CODE"]] = r["PCN_CODE"]
msoa = {}
with open(lookup, newline="", encoding="utf-8-sig") as f:
    for r in csv.DictReader(f):
        msoa[r["LSOA21CD"]] = r["MSOA21CD"]
lsoa_icb = {}
with open(icb_lookup, newline="", encoding="utf-8-sig") as f:
    for r in csv.DictReader(f):
        lsoa_icb[r["lsoa21_code"]] = (r["icb24_code"], r["icb24_code_nhs"])
votes = defaultdict(Counter)
for lsoa, m in msoa.items():
    if lsoa in lsoa_icb:
        votes[m][lsoa_icb[lsoa][0]] += 1
target = {ons for ons, nhs in lsoa_icb.values() if nhs == icb or ons == icb}
region = set()
for m, v in votes.items():
    best = sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    if best in target:
        region.add(m)

registered = defaultdict(int)
cells = defaultdict(lambda: defaultdict(int))
with gzip.open(regs, "rt", newline="") as f:
    for r in csv.DictReader(f):
        m = msoa.get(r["LSOA_CODE"])
        if m not in region:
            continue
        n = int(r["NUMBER_OF_PATIENTS"])
        registered[m] += n
        p = pcn.get(r["PRACTICE_CODE"])
        if p:
            cells[m][p] += n

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["code", "registered", "pcns_any", "pcns", "dominant_share"])
for m in sorted(region):
    reg = registered[m]
    c = cells[m]
    anyp = sum(1 for v in c.values() if v > 0)
    at = sum(1 for v in c.values() if reg > 0 and v / reg >= 0.01)
    dom = max(c.values()) / reg if c and reg else 0
    w.writerow([m, reg, anyp, at, "%.6f" % dom])
