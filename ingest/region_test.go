package ingest

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// TestResolveRegion: a region after the ingest is taken by ONS or NHS code, as the release keeps its
// units (the ICB and Sub-ICB of the 2021 fixture's lookup, lsoa21-sicbl24-icb24.csv), and a unit it
// does not know is an error naming --within, the part and the release.
func TestResolveRegion(t *testing.T) {
	var d overlap.Dataset
	d.Release = "2025-10"
	d.Units[nhs.KindICB] = map[string]string{"E54000010": "NHS Staffordshire and Stoke-on-Trent Integrated Care Board"}
	d.Units[nhs.KindSubICB] = map[string]string{"E38000175": "NHS Staffordshire and Stoke-on-Trent ICB - 05W"}
	d.Aliases[nhs.KindICB] = map[string]string{"QNC": "E54000010"}
	old := d // as a workspace migrated from schema 3 holds it: no aliases
	old.Aliases = [overlap.KindCount]map[string]string{}
	tests := map[string]struct {
		d      *overlap.Dataset
		within string
		want   string // the codes resolved, or a part of the error
	}{
		"ONS code":            {&d, "icb:E54000010", "icb:E54000010"},
		"NHS code":            {&d, "icb:QNC", "icb:E54000010"},
		"NHS code lower case": {&d, "icb:qnc", "icb:E54000010"},
		"two parts":           {&d, "icb:QNC,sub-icb:E38000175", "icb:E54000010 sub-icb:E38000175"},
		"unknown code":        {&d, "icb:QOC", `--within icb:QOC: release 2025-10 knows no icb "QOC" (by ONS or NHS code)`},
		"a Sub-ICB's NHS code the release was not given": {&d, "sub-icb:05W", `knows no sub-icb "05W" (by ONS or NHS code); it keeps no NHS codes for them`},
		"no units of the kind":                           {&d, "la:E06000021", "release 2025-10 has no la units"},
		"NHS code in a release without aliases":          {&old, "icb:QNC", "re-ingest it, or give the ONS code"},
		"ONS code in a release without aliases":          {&old, "icb:E54000010", "icb:E54000010"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			parts, err := ParseRegion(tc.within)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ResolveRegion(parts, tc.d)
			if err != nil {
				if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("ResolveRegion(%s) error = %v, want ErrOptions with %q", tc.within, err, tc.want)
				}
				return
			}
			var s []string
			for _, p := range got {
				s = append(s, p.Kind.String()+":"+p.Code)
			}
			if strings.Join(s, " ") != tc.want {
				t.Errorf("ResolveRegion(%s) = %v, want %s", tc.within, s, tc.want)
			}
		})
	}
}

// TestSuggestRegion: an ingest without --within of registrations holding a few ICBs' practices says
// which --within fits: from the file's ICB_CODE when it has one (the 2021 fixture, a part of the QNC
// extract), else from where each practice's patients live by the context lookup (the same file with
// ICB_CODE cut out); registrations of more than five ICBs' practices get no hint.
func TestSuggestRegion(t *testing.T) {
	fx := func(name string) string { return filepath.Join("..", "fixtures", "2021", name) }
	published := fx("registrations-2025-10-icb-QNC-stoke.csv.gz")
	cut := filepath.Join(t.TempDir(), "registrations-2025-10-no-icb.csv.gz")
	writeWithout(t, published, cut, "ICB_CODE")
	for name, tc := range map[string]struct {
		registrations string
		want          string
	}{
		"ICB_CODE in the file": {published, "the registrations hold the practices of 1 ICB(s) only (icb:QNC, 35 practices): add --within icb:QNC to"},
		"no ICB_CODE":          {cut, "the registrations hold the practices of 1 ICB(s) only, by where their patients live (icb:E54000010, 35 practices): add --within icb:E54000010 to"},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Prepare(context.Background(), Options{
				Areas: fx("msoa21.geojson"), Registrations: tc.registrations, Membership: fx("practice-map-2025-10.csv"),
				Lookup: fx("lsoa21-msoa21.csv"), Contexts: []string{fx("lsoa21-sicbl24-icb24.csv")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if notes := strings.Join(d.Notes, "\n"); !strings.Contains(notes, tc.want) {
				t.Errorf("notes:\n%s\nwant a line with %q", notes, tc.want)
			}
		})
	}
	six := map[string]string{}
	for i := range 6 {
		six[fmt.Sprintf("P%d", i)] = fmt.Sprintf("E5400000%d", i)
	}
	if s := suggestRegion(six, 6, ""); s != "" {
		t.Errorf("six ICBs' practices: %q, want no hint", s)
	}
}

// writeWithout copies the gzipped CSV src to dst without its column col.
func writeWithout(t *testing.T, src, dst, col string) {
	t.Helper()
	rows := readGzipCSV(t, src)
	k := slices.Index(rows[0], col)
	if k < 0 {
		t.Fatalf("%s has no column %s", src, col)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	w := csv.NewWriter(zw)
	for _, r := range rows {
		w.Write(slices.Delete(r, k, k+1))
	}
	w.Flush()
	if err := errors.Join(w.Error(), zw.Close(), out.Close()); err != nil {
		t.Fatal(err)
	}
}
