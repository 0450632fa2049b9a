package nhs

import (
	"testing"
	"time"
)

// The documented figures of the national files (../shared/data/README.md). Skipped when the files
// are absent, with -short and under the race detector (which makes them ten times slower and has
// nothing to find there that the extracts do not exercise): run `go test ./nhs/`.
func TestNationalRegistrations(t *testing.T) {
	skipNational(t)
	tests := map[string]struct {
		file                 string
		rows, practices      int
		patients             int64
		englishLSOAs, extras int // E01… LSOAs; others (W01…, NO2011, stray codes)
		date                 string
	}{
		"2021-01": {"gp-reg-pat-prac-lsoa-all-2021-01.csv.gz", 839677, 6658, 60606345, 32844, 107, "2021-01-04"},
		"2022-07": {"gp-reg-pat-prac-lsoa-all-2022-07.csv.gz", 865965, 6484, 61768942, 32844, 96, "2022-07-01"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := ReadRegistrations(national(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var patients int64
			for _, row := range r.Rows {
				patients += int64(row.Patients)
			}
			english := 0
			for _, l := range r.LSOAs {
				if len(l) == 9 && l[:3] == "E01" {
					english++
				}
			}
			if len(r.Rows) != tt.rows || len(r.Practices) != tt.practices || patients != tt.patients ||
				english != tt.englishLSOAs || len(r.LSOAs)-english != tt.extras ||
				r.ExtractDate.Format(time.DateOnly) != tt.date || r.SexRows != 0 {
				t.Errorf("ReadRegistrations(%s) = %d rows, %d practices, %d patients, %d+%d LSOAs, %s, %d sex rows; want %d, %d, %d, %d+%d, %s, 0",
					tt.file, len(r.Rows), len(r.Practices), patients, english, len(r.LSOAs)-english, r.ExtractDate.Format(time.DateOnly), r.SexRows,
					tt.rows, tt.practices, tt.patients, tt.englishLSOAs, tt.extras, tt.date)
			}
		})
	}
}

func TestNationalEPCN(t *testing.T) {
	skipNational(t)
	jan2021 := time.Date(2021, 1, 4, 0, 0, 0, 0, time.UTC)
	jul2022 := time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		file                      string
		pcns, partners, practices int
		// practices with a PCN on 2021-01-04, on 2022-07-01 and currently (no end date)
		jan2021, jul2022, current int
	}{
		"2019-12": {"ePCN-2019-12.xlsx", 1250, 6757, 6757, 6757, 6757, 6757},
		"2022-04": {"ePCN-2022-04.xlsx", 1318, 7359, 6803, 6569, 6474, 6474},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, err := ReadEPCN(national(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			practices := map[string]bool{}
			for _, p := range m.Partners {
				practices[p.Practice] = true
			}
			a, c1 := m.AsOf(jan2021)
			b, c2 := m.AsOf(jul2022)
			c, c3 := m.AsOf(time.Time{})
			// Neither workbook has overlapping relationships on these dates.
			if len(m.PCNs) != tt.pcns || len(m.Partners) != tt.partners || len(practices) != tt.practices ||
				len(a) != tt.jan2021 || len(b) != tt.jul2022 || len(c) != tt.current || len(c1)+len(c2)+len(c3) != 0 {
				t.Errorf("ReadEPCN(%s) = %d PCNs, %d partners, %d practices, as of dates %d/%d/%d (%d/%d/%d conflicts); want %d, %d, %d, %d/%d/%d (0/0/0)",
					tt.file, len(m.PCNs), len(m.Partners), len(practices), len(a), len(b), len(c), len(c1), len(c2), len(c3),
					tt.pcns, tt.partners, tt.practices, tt.jan2021, tt.jul2022, tt.current)
			}
		})
	}
}

func TestNationalOthers(t *testing.T) {
	skipNational(t)
	m, err := ReadPracticeMap(national(t, "gp-reg-pat-prac-map-2022-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Partners)+len(m.Unallocated) != 6527 || len(m.Unallocated) != 68 || len(m.PCNs) != 1254 {
		t.Errorf("ReadPracticeMap(national) = %d partners, %d unallocated, %d PCNs; want 6459, 68, 1254",
			len(m.Partners), len(m.Unallocated), len(m.PCNs))
	}
	l, err := ReadLookup(national(t, "lsoa11-msoa11-lookup.csv"))
	if err != nil {
		t.Fatal(err)
	}
	msoas := map[string]bool{}
	for lsoa, msoa := range l.Area {
		if lsoa[0] == 'E' {
			msoas[msoa] = true
		}
	}
	if len(l.Area) != 34753 || len(msoas) != 6791 {
		t.Errorf("ReadLookup(national) = %d LSOAs, %d English MSOAs; want 34753, 6791", len(l.Area), len(msoas))
	}
	c, err := ReadCentroids(national(t, "lsoa11-population-weighted-centroids.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Points) != 34753 {
		t.Errorf("ReadCentroids(national) = %d points, want 34753", len(c.Points))
	}
	contexts := map[string]string{
		"lsoa11-msoa11-lookup.csv":           "la 34753/336 {E08000009 Trafford}; region 34753/10 {North West North West}; imd-income 32844/10 {4 4}; imd 32844/10 {4 4}; skipped 0",
		"lsoa11-ccg20-lad20-lookup.csv":      "ccg 32844/135 {E38000187 NHS Trafford CCG}; la 32844/314 {E08000009 Trafford}; skipped 0",
		"lsoa11-sub-icb-2022-lookup.csv":     "sub-icb 32844/106 {E38000187 NHS Greater Manchester ICB - 02A}; skipped 1909",
		"lsoa11-ruc11-england.csv":           "rurality 32844/8 {Urban Urban major conurbation}; ruc 32844/8 {A1 Urban major conurbation}; skipped 0",
		"sub-icb-icb-region-2022-lookup.csv": "sub-icb→icb 106/42 {E54000057 NHS Greater Manchester Integrated Care Board}; sub-icb→nhs-region 106/7 {E40000010 North West}; skipped 0",
		"ccg20-stp20-lookup.csv":             "ccg→stp 135/42 {E54000007 Greater Manchester Health and Social Care Partnership}; skipped 0",
	}
	for file, want := range contexts {
		ctx, err := ReadContext(national(t, file))
		if err != nil {
			t.Errorf("ReadContext(%s): %v", file, err)
			continue
		}
		sample := "E01006187"
		if len(ctx.Hierarchies) > 0 {
			sample = "E38000187"
		}
		if got := describeContext(ctx, sample); got != want {
			t.Errorf("ReadContext(%s) = %s, want %s", file, got, want)
		}
	}
}

func skipNational(t *testing.T) {
	t.Helper()
	if testing.Short() || raceEnabled {
		t.Skip("national files: skipped with -short and -race")
	}
}

func BenchmarkReadRegistrations(b *testing.B) {
	p := national(b, "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := ReadRegistrations(p)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Rows) != 839677 {
			b.Fatalf("ReadRegistrations = %d rows, want 839677", len(r.Rows))
		}
	}
}

func BenchmarkReadEPCN(b *testing.B) {
	for _, name := range []string{"ePCN-2019-12.xlsx", "ePCN-2022-04.xlsx"} {
		b.Run(name, func(b *testing.B) {
			p := national(b, name)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := ReadEPCN(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
