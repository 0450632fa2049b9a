package ingest

import (
	"errors"
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
