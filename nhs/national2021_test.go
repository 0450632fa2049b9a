package nhs

import (
	"testing"
	"time"
)

// TestNational2021 reads every file of the 2021 era as published and checks the counts the data's
// README gives for it.
func TestNational2021(t *testing.T) {
	skipNational(t)
	for _, tt := range []struct {
		file                   string
		pcns, closed, partners int
		asOf                   string
	}{
		{"2021/ePCN-2023-01.xlsx", 1329, 65, 7455, "2023-01-01"},
		{"2021/ePCN-2024-10.xlsx", 1366, 81, 7705, "2024-10-01"},
	} {
		m, err := ReadEPCN(national(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.PCNs) != tt.pcns || len(m.Closed) != tt.closed || len(m.Partners) != tt.partners {
			t.Errorf("%s: %d PCNs, %d closed, %d partner rows; want %d, %d, %d", tt.file, len(m.PCNs), len(m.Closed), len(m.Partners), tt.pcns, tt.closed, tt.partners)
		}
		d, _ := time.Parse(time.DateOnly, tt.asOf)
		members, _ := m.AsOf(d)
		for practice, pcn := range members {
			if c, ok := m.Closed[pcn]; ok && d.After(c) {
				t.Errorf("%s: practice %s is a member on %s of %s, closed on %s", tt.file, practice, tt.asOf, pcn, c.Format(time.DateOnly))
			}
		}
	}
	for _, tt := range []struct {
		file            string
		practices, pcns int
		date            string
	}{
		// The README's 1,298 and 1,299 PCN codes include "U" (Unallocated); U00000 is West Norwich PCN.
		{"2021/gp-reg-pat-prac-map-2025-10.csv", 6202, 1297, "2025-10-01"},
		{"2021/gp-reg-pat-prac-map-2026-01.csv", 6171, 1298, "2026-01-01"},
	} {
		m, err := ReadPracticeMap(national(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(m.Partners) + len(m.Unallocated); n != tt.practices || len(m.PCNs) != tt.pcns || m.ExtractDate.Format(time.DateOnly) != tt.date {
			t.Errorf("%s: %d practices, %d PCNs, date %s; want %d, %d, %s", tt.file, n, len(m.PCNs), m.ExtractDate.Format(time.DateOnly), tt.practices, tt.pcns, tt.date)
		}
	}
	r, err := ReadRegistrations(national(t, "2021/gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(r), "rows=16864 practices=141 lsoas=3345 patients=1210283 sexrows=0 date=-"; got != want {
		t.Errorf("QNC extract = %s, want %s", got, want)
	}
	pcns := map[string]bool{}
	for _, p := range r.PCNOf {
		pcns[p.Code] = true
	}
	if len(pcns) != 25 || len(r.ICBOf) != 141 {
		t.Errorf("QNC extract: %d PCNs, %d practices with an ICB; want 25, 141", len(pcns), len(r.ICBOf))
	}
	r, err = ReadRegistrations(national(t, "2021/pcn-lsoa21-2026-01-icbs-QNC-QOC.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(r), "rows=10829 practices=35 lsoas=4411 patients=1745606 sexrows=0 date=-"; got != want || !r.ByPCN || len(r.Denominators) != 4411 {
		t.Errorf("PCN table = %s (by PCN %v, %d denominators), want %s", got, r.ByPCN, len(r.Denominators), want)
	}
	c, err := ReadCentroids(national(t, "2021/lsoa21-population-weighted-centroids.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Points) != 35672 || c.BNG {
		t.Errorf("LSOA 2021 centroids: %d points (BNG %v), want 35672 in WGS84", len(c.Points), c.BNG)
	}
	l, err := ReadLookup(national(t, "2021/lsoa21-msoa21-england-derived.csv"))
	if err != nil {
		t.Fatal(err)
	}
	msoas := map[string]bool{}
	for _, m := range l.Area {
		msoas[m] = true
	}
	if len(l.Area) != 33755 || len(msoas) != 6856 {
		t.Errorf("LSOA 2021 → MSOA 2021: %d → %d, want 33755 → 6856", len(l.Area), len(msoas))
	}
	contexts := map[string]string{
		"2021/lsoa21-sicbl24-icb24-lookup.csv":                 "sub-icb 33755/106 {E38000175 NHS Staffordshire and Stoke-on-Trent ICB - 05W}; icb 33755/42 {E54000010 NHS Staffordshire and Stoke-on-Trent Integrated Care Board}; skipped 0",
		"2021/lsoa21-ward24-lad24-lookup.csv":                  "ward 35672/7536 {E05014571 Goldenhill & Sandyford}; la 35672/318 {E06000021 Stoke-on-Trent}; skipped 0",
		"2021/lsoa21-msoa21-england-derived.csv":               "la 33755/296 {E06000021 E06000021}; skipped 0",
		"2021/lsoa11-lsoa21-lad22-lookup.csv":                  "la 35672/331 {E06000021 Stoke-on-Trent}; skipped 0",
		"2021/oa21-lsoa21-msoa21-lad22-greater-manchester.csv": "la 1702/10 { }; skipped 0",
		"2021/gp-reg-pat-prac-map-2025-10.csv":                 "sub-icb→icb 106/42 {E54000010 NHS Staffordshire and Stoke-on-Trent Integrated Care Board}; sub-icb→nhs-region 106/7 {E40000011 Midlands}; skipped 0",
	}
	for file, want := range contexts {
		ctx, err := ReadContext(national(t, file))
		if err != nil {
			t.Errorf("ReadContext(%s): %v", file, err)
			continue
		}
		sample := "E01014360"
		if len(ctx.Hierarchies) > 0 {
			sample = "E38000053"
		}
		if got := describeContext(ctx, sample); got != want {
			t.Errorf("ReadContext(%s) = %s\nwant %s", file, got, want)
		}
	}
	ctx, err := ReadContext(national(t, "2021/lsoa21-sicbl24-icb24-lookup.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Aliases[KindICB]["QNC"] != "E54000010" || len(ctx.Aliases[KindICB]) != 42 || len(ctx.Aliases[KindSubICB]) != 106 {
		t.Errorf("ICB aliases: QNC → %q, %d ICBs, %d Sub-ICBs; want E54000010, 42, 106", ctx.Aliases[KindICB]["QNC"], len(ctx.Aliases[KindICB]), len(ctx.Aliases[KindSubICB]))
	}
}
