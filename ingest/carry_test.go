package ingest

import (
	"reflect"
	"strings"
	"testing"

	"pcnmap/nhs"
)

// TestCarryProfiles carries 2011-LSOA classes by hand-made lookup rows of each change code: U and S
// inherit; M takes the lower median of the parts' deciles and the most common class (ties to the
// lower code, its urban/rural flag with it); X (2011 LSOAs split and recombined) the same over all
// its parts; a part with no decile (Welsh) is left out; a 2021-coded file is left alone.
func TestCarryProfiles(t *testing.T) {
	cw := &nhs.Crosswalk{Source: "x/lookup.csv", To: map[string][]string{
		"E01000001": {"E01000001"},              // U
		"E01000002": {"E01033801", "E01033802"}, // S
		"E01000003": {"E01033803"},              // M with 4 and 5
		"E01000004": {"E01033803"},
		"E01000005": {"E01033803"},
		"E01000006": {"E01033804", "E01033805"}, // X: 6 and 7 split and recombined
		"E01000007": {"E01033804", "E01033805"},
		"W01000001": {"E01033806"}, // a part with no decile, merged with 8
		"E01000008": {"E01033806"},
	}}
	u := func(code string) nhs.Unit { return nhs.Unit{Code: code, Name: code} }
	n := func(code, name string) nhs.Unit { return nhs.Unit{Code: code, Name: name} }
	imd := map[string]nhs.Unit{"E01000001": u("3"), "E01000002": u("7"), "E01000003": u("9"), "E01000004": u("2"), "E01000005": u("4"),
		"E01000006": u("1"), "E01000007": u("10"), "E01000008": u("6")}
	ruc := map[string]nhs.Unit{"E01000001": n("A1", "Urban major conurbation"), "E01000002": n("E1", "Rural village"), "E01000003": n("D1", "Rural town"),
		"E01000004": n("D1", "Rural town"), "E01000005": n("C1", "Urban city and town"), "E01000006": n("E2", "Rural village, sparse"),
		"E01000007": n("C1", "Urban city and town"), "E01000008": n("A1", "Urban major conurbation"), "W01000001": n("E1", "Rural village")}
	rural := map[string]nhs.Unit{}
	for l, c := range ruc {
		r := "Urban"
		if c.Code >= "D" {
			r = "Rural"
		}
		rural[l] = nhs.Unit{Code: r, Name: c.Name}
	}
	fresh := map[string]nhs.Unit{"E01033801": u("5")}
	ctx := []*nhs.Context{
		{Source: "a/lookup11.csv", Classifications: []nhs.Classification{{Kind: nhs.KindIMD, LSOA: imd, Column: "IMD_OVERALL"},
			{Kind: nhs.KindLA, LSOA: map[string]nhs.Unit{"E01000002": u("E06000001")}}}},
		{Source: "a/ruc11.csv", Classifications: []nhs.Classification{{Kind: nhs.KindRurality, LSOA: rural, Column: "urban_rural"},
			{Kind: nhs.KindRUC, LSOA: ruc, Column: "RUC11CD"}}},
		{Source: "a/imd21.csv", Classifications: []nhs.Classification{{Kind: nhs.KindIMD, LSOA: fresh, Column: "imd_decile"}}},
	}
	c := carryProfiles(ctx, cw)
	codes := func(m map[string]nhs.Unit) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v.Code
		}
		return out
	}
	// 3: 9, 2, 4 → lower median 4; D1 twice → D1, Rural. X: 1, 10 → 1; E2 and C1 tie → C1, Urban.
	// 8 with the Welsh part: 6 alone; A1 and E1 tie → A1.
	wantIMD := map[string]string{"E01000001": "3", "E01033801": "7", "E01033802": "7", "E01033803": "4", "E01033804": "1", "E01033805": "1", "E01033806": "6"}
	wantRUC := map[string]string{"E01000001": "A1", "E01033801": "E1", "E01033802": "E1", "E01033803": "D1", "E01033804": "C1", "E01033805": "C1", "E01033806": "A1"}
	wantRural := map[string]string{"E01000001": "Urban", "E01033801": "Rural", "E01033802": "Rural", "E01033803": "Rural", "E01033804": "Urban", "E01033805": "Urban", "E01033806": "Urban"}
	for _, tt := range []struct {
		cl   nhs.Classification
		want map[string]string
	}{{ctx[0].Classifications[0], wantIMD}, {ctx[1].Classifications[1], wantRUC}, {ctx[1].Classifications[0], wantRural}} {
		if got := codes(tt.cl.LSOA); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s carried = %v, want %v", tt.cl.Kind, got, tt.want)
		}
	}
	if got := ctx[0].Classifications[1].LSOA; len(got) != 1 || got["E01000002"].Code != "E06000001" {
		t.Errorf("the local authority (no profile) was carried: %v", got)
	}
	if got := codes(ctx[2].Classifications[0].LSOA); !reflect.DeepEqual(got, map[string]string{"E01033801": "5"}) {
		t.Errorf("a 2021-coded IMD file was carried: %v", got)
	}
	if got := c.labels["imd"]; got != "IMD 2019 on 2011 LSOAs carried to 2021 (lookup11.csv, IMD_OVERALL, through lookup.csv)" {
		t.Errorf("imd label = %q", got)
	}
	if got := c.labels["ruc"]; !strings.HasPrefix(got, "RUC 2011 on 2011 LSOAs carried to 2021") {
		t.Errorf("ruc label = %q", got)
	}
	if _, ok := c.labels["rurality"]; ok || len(c.notes) != 2 || !strings.Contains(c.notes[0], "4 those of several") {
		t.Errorf("labels %v, notes %q", c.labels, c.notes)
	}
}
