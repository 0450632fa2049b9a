"""The 2021 fixture's files as carried.py and wards.py read them."""
import csv
import gzip
from collections import defaultdict


def msoas(root):
    """Each 2021 LSOA's MSOA, from lsoa21-msoa21.csv."""
    with open(f"{root}/lsoa21-msoa21.csv", encoding="utf-8-sig") as f:
        return {row["LSOA21CD"]: row["MSOA21CD"] for row in csv.DictReader(f)}


def residents(root):
    """Each LSOA's residents: all the patients of the registrations file living there."""
    out = defaultdict(int)
    with gzip.open(f"{root}/registrations-2025-10-icb-QNC-stoke.csv.gz", "rt", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            out[row["LSOA_CODE"]] += int(row["NUMBER_OF_PATIENTS"])
    return out
