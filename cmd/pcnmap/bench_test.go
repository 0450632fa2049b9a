package main

import (
	"os"
	"path/filepath"
	"testing"
)

const national = "../../../shared/data/"

// nationalIngest are the arguments of the national ingest the speed target is set on:
// January 2021 registrations, the December 2019 ePCN workbook, 6,791 MSOA polygons and the lookup.
func nationalIngest(db string) []string {
	return []string{"ingest", "--db", db,
		"--areas", national + "msoa2011-england-generalised-clipped.geojson.gz",
		"--registrations", national + "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz",
		"--membership", national + "ePCN-2019-12.xlsx",
		"--lookup", national + "lsoa11-msoa11-lookup.csv"}
}

func skipWithoutNationalData(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(national + "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz"); err != nil {
		tb.Skip("national data absent:", err)
	}
}

// BenchmarkIngestNational is the whole ingest from the raw national files into a new workspace.
func BenchmarkIngestNational(b *testing.B) {
	skipWithoutNationalData(b)
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db := filepath.Join(dir, "w.db")
		os.Remove(db)
		if out, err := pcnmap(b, nationalIngest(db)...); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}
