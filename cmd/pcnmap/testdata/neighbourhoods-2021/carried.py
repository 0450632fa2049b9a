#!/usr/bin/env python3
"""2011-LSOA profiles carried onto the 2021 fixture's LSOAs, counted without pcnmap.

Each 2021 LSOA of fixtures/2021/lsoa11-lsoa21.csv (the ONS LSOA 2011 -> 2021 lookup's rows of
Stoke-on-Trent) takes the classes of the 2011 LSOAs whose rows name it: with one 2011 LSOA (change
code U, or S: a part of a split) its IMD decile (IMD_OVERALL of fixtures/2021/lsoa11-msoa11.csv),
income decile (IMD_INCOME) and rural-urban class (RUC11CD of fixtures/2021/lsoa11-ruc11.csv); with
several (M, X) the lower median of their deciles and the most common class (ties to the lower
code). Residents are all the patients of fixtures/2021/registrations-2025-10-icb-QNC-stoke.csv.gz
living in the LSOA. Prints the carried classes of a few LSOAs, then the profile of the neighbourhood
Centre (MSOAs E02002959 and E02002966, which hold six parts of three split 2011 LSOAs) as
residents: in total, in IMD deciles 1 ... 10 and none, in income deciles 1 ... 10 and none, by class.

Run from the repository root: python3 cmd/pcnmap/testdata/neighbourhoods-2021/carried.py
"""
import csv
import sys
from collections import defaultdict

import fixture2021

SHOW = ["E01014212", "E01034052", "E01034053", "E01034054", "E01034056", "E01034058"]
CENTRE = ["E02002959", "E02002966"]


def lower_median(values):
    values = sorted(values)
    return values[(len(values) - 1) // 2] if values else None


def mode(values):
    counts = defaultdict(int)
    for v in values:
        counts[v] += 1
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None


def main(root="fixtures/2021"):
    parents = defaultdict(list)
    with open(f"{root}/lsoa11-lsoa21.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            parents[row["lsoa21_code"]].append(row["lsoa11_code"])
    imd, income, ruc = {}, {}, {}
    with open(f"{root}/lsoa11-msoa11.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["IMD_OVERALL"].isdigit():
                imd[row["LSOA_CODE"]] = int(row["IMD_OVERALL"])
            if row["IMD_INCOME"].isdigit():
                income[row["LSOA_CODE"]] = int(row["IMD_INCOME"])
    with open(f"{root}/lsoa11-ruc11.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            ruc[row["LSOA11CD"]] = row["RUC11CD"]

    def carry(by, rule):
        out = {}
        for l21, ps in parents.items():
            v = rule([by[p] for p in ps if p in by])
            if v is not None:
                out[l21] = v
        return out

    c_imd, c_income, c_ruc = carry(imd, lower_median), carry(income, lower_median), carry(ruc, mode)
    for l in SHOW:
        print(f"{l}: from {'+'.join(parents[l])}; imd {c_imd.get(l)}; income {c_income.get(l)}; ruc {c_ruc.get(l)}")

    msoa = fixture2021.msoas(root)
    residents = fixture2021.residents(root)
    lsoas = [l for l, m in msoa.items() if m in CENTRE]
    total = sum(residents[l] for l in lsoas)
    for name, by in (("imd", c_imd), ("income", c_income)):
        deciles = [sum(residents[l] for l in lsoas if by.get(l) == d) for d in range(1, 11)]
        none = sum(residents[l] for l in lsoas if l not in by)
        print(f"Centre {name}: residents {total}; deciles 1-10 {' '.join(map(str, deciles))}; none {none}; "
              f"shares {' '.join(f'{100 * n / total:.0f}%' for n in deciles)}; core20 {100 * (deciles[0] + deciles[1]) / total:.0f}%")
    classes = defaultdict(int)
    for l in lsoas:
        if l in c_ruc:
            classes[c_ruc[l]] += residents[l]
    print(f"Centre classes: {' '.join(f'{c} {n}' for c, n in sorted(classes.items()))}")


if __name__ == "__main__":
    main(*sys.argv[1:])
