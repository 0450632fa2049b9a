#!/usr/bin/env python3
"""Checks the deprivation and rural-urban profiles of a neighbourhood export against the raw files.

Usage: python3 neighbourhoods/testdata/profile_check.py PLAN.csv PLAN.geojson DATA
  PLAN.csv      `pcnmap neighbourhoods export --format csv` (lsoa,neighbourhood,weight)
  PLAN.geojson  `pcnmap neighbourhoods export --format geojson` of the same set (imd_*, ruc fields)
  DATA          the national data folder (../shared/data): gp-reg-pat-prac-lsoa-all-2021-01.csv.gz,
                lsoa11-msoa11-lookup.csv (IMD_OVERALL, IMD_INCOME) and lsoa11-ruc11-england.csv (RUC11CD)

Without pcnmap: each LSOA's registered residents are the sum of the registration file's SEX=ALL rows
(every practice, in a PCN or not), weighted by the LSOA's weight in the neighbourhood; a
neighbourhood's share in IMD decile d is the residents of its LSOAs of decile d over all its
residents, and likewise for each income domain decile (income_*, when the export has them) and each
rural-urban class. Prints the largest difference from the
export's 4-decimal figures (at most 0.00005 when they agree) and the neighbourhoods compared.
"""
import csv
import gzip
import json
import sys
from collections import defaultdict


def main(plan_csv, plan_geojson, data):
    weights = defaultdict(list)
    with open(plan_csv, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            weights[r["lsoa"]].append((r["neighbourhood"], float(r["weight"])))
    residents = defaultdict(int)
    with gzip.open(f"{data}/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz", "rt", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if r.get("SEX", "ALL") == "ALL" and r["LSOA_CODE"] in weights:
                residents[r["LSOA_CODE"]] += int(r["NUMBER_OF_PATIENTS"] if "NUMBER_OF_PATIENTS" in r else r["Number of Patients"])
    with open(f"{data}/lsoa11-msoa11-lookup.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    imd = {r["LSOA_CODE"]: int(r["IMD_OVERALL"]) for r in rows if r["IMD_OVERALL"].isdigit()}
    income = {r["LSOA_CODE"]: int(r["IMD_INCOME"]) for r in rows if r.get("IMD_INCOME", "").isdigit()}
    with open(f"{data}/lsoa11-ruc11-england.csv", encoding="utf-8-sig") as f:
        ruc = {r["LSOA11CD"]: r["RUC11CD"] for r in csv.DictReader(f)}
    total = defaultdict(float)
    deciles = defaultdict(lambda: [0.0] * 11)  # [0]: no decile
    incomes = defaultdict(lambda: [0.0] * 11)
    classes = defaultdict(lambda: defaultdict(float))
    for lsoa, ws in weights.items():
        for n, w in ws:
            r = w * residents[lsoa]
            total[n] += r
            deciles[n][imd.get(lsoa, 0)] += r
            incomes[n][income.get(lsoa, 0)] += r
            if lsoa in ruc:
                classes[n][ruc[lsoa]] += r
    with open(plan_geojson, encoding="utf-8") as f:
        features = json.load(f)["features"]
    worst, where, compared = 0.0, "", 0
    for ft in features:
        p = ft["properties"]
        n, t = p["name"], total[p["name"]]
        if t <= 0:
            continue
        compared += 1
        want = {f"imd_{d}": deciles[n][d] / t for d in range(1, 11)}
        want["imd_core20"] = (deciles[n][1] + deciles[n][2]) / t
        want["imd_unknown"] = deciles[n][0] / t
        if "income_core20" in p:
            want.update({f"income_{d}": incomes[n][d] / t for d in range(1, 11)})
            want["income_core20"] = (incomes[n][1] + incomes[n][2]) / t
            want["income_unknown"] = incomes[n][0] / t
        for k, v in want.items():
            if abs(p[k] - v) > worst:
                worst, where = abs(p[k] - v), f"{n} {k}: export {p[k]}, count {v:.6f}"
        got = dict((c.split(":")[0], float(c.split(":")[1])) for c in p["ruc"].split(",") if c)
        if set(got) != {c for c, v in classes[n].items() if v > 0}:
            worst, where = 1.0, f"{n} classes: export {sorted(got)}, count {sorted(classes[n])}"
        for c, v in classes[n].items():
            if abs(got.get(c, 0) - v / t) > worst:
                worst, where = abs(got.get(c, 0) - v / t), f"{n} {c}: export {got.get(c)}, count {v / t:.6f}"
        if abs(p["registered"] - t) > 1e-6 * t:
            worst, where = 1.0, f"{n}: export {p['registered']} residents, count {t}"
    print(f"{compared} neighbourhoods compared; largest difference {worst:.6f}" + (f" ({where})" if where else ""))


if __name__ == "__main__":
    main(*sys.argv[1:])
