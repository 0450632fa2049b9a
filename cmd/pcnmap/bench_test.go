package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"pcnmap/app"
	"pcnmap/fixtures"
	"pcnmap/overlap"
)

// Count is overlap.Count, shortened for the table below.
type Count = overlap.Count

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

// BenchmarkIngestNational is the whole ingest from the raw national files into a new workspace;
// "lsoa-polygons" also reads and keeps the LSOA polygons (the national GeoJSON, 78 MB unzipped).
func BenchmarkIngestNational(b *testing.B) {
	skipWithoutNationalData(b)
	for name, extra := range map[string][]string{
		"lookup":        nil,
		"lsoa-polygons": {"--lsoa-polygons", national + "lsoa2011-england-generalised-clipped.geojson.gz"},
	} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				db := filepath.Join(dir, "w.db")
				os.Remove(db)
				if out, err := pcnmap(b, append(nationalIngest(db), extra...)...); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}

// TestNationalPipeline runs the whole pipeline on the national files and checks its invariants:
// 6,791 English MSOAs, every patient of the file accounted for exactly once, every English patient
// placed in an area, and the totals conserved from rows to areas to cells.
func TestNationalPipeline(t *testing.T) {
	fixtures.SkipNational(t) // 8 s, 160 s under -race: make test runs it in its national pass
	db := filepath.Join(t.TempDir(), "england.db")
	args := append(nationalIngest(db), "--centroids", national+"lsoa11-population-weighted-centroids.csv",
		"--context", national+"lsoa11-ruc11-england.csv", "--context", national+"lsoa11-sub-icb-2022-lookup.csv",
		"--context", national+"sub-icb-icb-region-2022-lookup.csv")
	out, err := pcnmap(t, args...)
	if err != nil {
		t.Fatalf("national ingest: %v\n%s", err, out)
	}
	t.Log(out)
	d, err := app.Load(context.Background(), db, "")
	if err != nil {
		t.Fatal(err)
	}
	c := d.Coverage
	if len(d.Areas) != 6791 {
		t.Errorf("%d areas, want 6,791 English MSOAs", len(d.Areas))
	}
	if c.Total.Rows != 839677 || c.Total.Patients != 60606345 {
		t.Errorf("total = %+v, want 839,677 rows and 60,606,345 patients", c.Total)
	}
	parts := []Count{c.Assigned, c.Welsh, c.NoLSOA, c.Closed, c.Unassigned, c.Unknown}
	var rows, patients int64
	for _, p := range parts {
		rows += p.Rows
		patients += p.Patients
	}
	if rows != c.Total.Rows || patients != c.Total.Patients {
		t.Errorf("coverage categories hold %d rows and %d patients, want the total %+v", rows, patients, c.Total)
	}
	if c.Unassigned.Patients != 0 || c.Unknown.Patients != 0 {
		t.Errorf("English patients not placed in an area: unassigned %+v, unknown %+v; want none with the lookup", c.Unassigned, c.Unknown)
	}
	var registered, inPCN, cells, lsoas int64
	for _, a := range d.Areas {
		registered += a.Registered
		inPCN += a.InPCN
	}
	for _, cell := range d.Cells {
		cells += int64(cell.Patients)
	}
	for _, l := range d.LSOAs {
		lsoas += l.Registered
	}
	if registered != c.Assigned.Patients || lsoas != registered {
		t.Errorf("Σ registered(a) = %d, Σ LSOA registered = %d, want both = assigned patients %d", registered, lsoas, c.Assigned.Patients)
	}
	var noPCNResident int64
	for _, r := range d.Rows {
		if d.Practices[r.Practice].PCN == overlap.NoPCN {
			noPCNResident += int64(r.Patients)
		}
	}
	if cells != inPCN || cells+noPCNResident != registered {
		t.Errorf("Σ cells = %d, Σ in_pcn = %d, + no-PCN residents %d ≠ registered %d", cells, inPCN, noPCNResident, registered)
	}
	if len(d.PCNs) != 1250 {
		t.Errorf("%d PCNs, want the 1,250 of the December 2019 workbook", len(d.PCNs))
	}
}
