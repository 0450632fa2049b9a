#!/usr/bin/env python3
"""Counts the fixture files that package nhs's tests read, independently of the Go readers.

Run from the repository root: python3 nhs/testdata/count.py
Each line is what a test of package nhs expects of a file of ../fixtures (the comments of the
tests quote these lines). Only the standard library: csv, gzip, and the xlsx sheets read as XML.
"""
import csv
import gzip
import io
import re
import zipfile
import xml.etree.ElementTree as ET

FIX = "fixtures/"
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def rows(name):
    raw = open(FIX + name, "rb").read()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def registrations(name):
    rs = rows(name)
    count = "Number of Patients" if "Number of Patients" in rs[0] else "NUMBER_OF_PATIENTS"
    practices = {r["PRACTICE_CODE"] for r in rs}
    lsoas = {r["LSOA_CODE"] for r in rs}
    patients = sum(int(r[count]) for r in rs)
    no2011 = sum(1 for r in rs if r["LSOA_CODE"] == "NO2011")
    first = rs[0]["PRACTICE_CODE"], rs[0]["PRACTICE_NAME"]
    print(f"{name}: rows={len(rs)} practices={len(practices)} lsoas={len(lsoas)} patients={patients} "
          f"(NO2011 rows {no2011}; first practice {first[0]} {first[1]})")


def sheets(name):
    z = zipfile.ZipFile(FIX + name)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(M + "si"):
            shared.append("".join(t.text or "" for t in si.iter(M + "t")))
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    out = {}
    for s in ET.fromstring(z.read("xl/workbook.xml")).find(M + "sheets"):
        target = rels[s.get(R + "id")].lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        table = []
        for row in ET.fromstring(z.read(target)).iter(M + "row"):
            cells = {}
            for c in row.findall(M + "c"):
                col = 0
                for ch in re.match(r"[A-Z]+", c.get("r")).group():
                    col = col * 26 + ord(ch) - 64
                v = c.find(M + "v")
                if c.get("t") == "s":
                    cells[col - 1] = shared[int(v.text)]
                elif c.get("t") == "inlineStr":
                    cells[col - 1] = "".join(t.text or "" for t in c.iter(M + "t"))
                else:
                    cells[col - 1] = v.text if v is not None else ""
            table.append([cells.get(i, "") for i in range(max(cells) + 1 if cells else 0)])
        out[s.get("name")] = table
    return out


def epcn(name):
    sh = sheets(name)
    partners = next(v for k, v in sh.items() if "partner" in k.lower())[1:]
    details = next(v for k, v in sh.items() if "partner" not in k.lower())[1:]
    pcns = sorted((r[0], r[1]) for r in details)
    open_rows = sum(1 for r in partners if len(r) < 10 or r[9] == "")
    practices = {r[0] for r in partners}
    print(f"{name}: partners={len(partners)} pcns={len(pcns)} first={pcns[0]} open={open_rows} practices={len(practices)}")
    # The memberships TestEPCNAsOf asks about: practice, PCN, start, end (empty: still open).
    for practice in ("P81770", "M85108", "N82664", "P91003"):
        rows_of = [(r[4], r[8], r[9] if len(r) > 9 else "") for r in partners if r[0] == practice]
        print(f"  {practice}: " + "; ".join(f"{pcn} {start}-{end}" for pcn, start, end in rows_of))


def practice_map(name):
    rs = rows(name)
    allocated = [r for r in rs if r["PCN_CODE"] != "U"]
    unallocated = sorted((r["PRACTICE_CODE"], r["PRACTICE_NAME"]) for r in rs if r["PCN_CODE"] == "U")
    pcns = sorted({(r["PCN_CODE"], r["PCN_NAME"]) for r in allocated})
    p91003 = next(r["PCN_CODE"] for r in rs if r["PRACTICE_CODE"] == "P91003")
    print(f"{name}: partners={len(allocated)} pcns={len(pcns)} unallocated={unallocated} first={pcns[0]} "
          f"P91003 in {p91003}")


def keyed(name, key, *cols):
    rs = rows(name)
    desc = [f"{len(rs)} rows"]
    for c in cols:
        desc.append(f"{c}: {len({r[c] for r in rs})} distinct")
    sample = next((r for r in rs if r[key] == "E01006187"), None)
    if sample:
        desc.append("E01006187: " + " ".join(sample[c] for c in cols))
    print(f"{name}: " + ", ".join(desc))


registrations("registrations-2021-01.csv.gz")
registrations("registrations-2022-07.csv.gz")
epcn("epcn-2019-12.xlsx")
epcn("epcn-2022-04.xlsx")
practice_map("practice-map-2022-01.csv")
keyed("lsoa-msoa-lookup.csv", "LSOA_CODE", "MSOA_CODE", "LAD_CODE", "REGION", "IMD_OVERALL")
keyed("lsoa-centroids.csv", "lsoa11cd", "lsoa11cd")
keyed("lsoa-ccg-lad.csv", "LSOA11CD", "CCG20CD", "LAD20CD")
keyed("lsoa-sub-icb.csv", "lsoa_code", "region_code", "region_type")
keyed("lsoa-ruc.csv", "LSOA11CD", "RUC11CD", "RUC11", "urban_rural")
print("lsoa-ruc.csv: (urban_rural, RUC11) pairs:", len({(r["urban_rural"], r["RUC11"]) for r in rows("lsoa-ruc.csv")}))
keyed("sub-icb-icb.csv", "LOC22CD", "LOC22CD", "ICB22CD", "NHSER22CD")
keyed("ccg-stp.csv", "CCG20CD", "CCG20CD", "STP20CD")
