package store

import (
	"testing"

	"pcnmap/overlap"
)

// TestUnitsJSON: the direct writer gives json.Marshal's bytes for the map, escaping included.
func TestUnitsJSON(t *testing.T) {
	if unitKinds == nil {
		t.Fatal("the kinds' names should allow the direct writer")
	}
	cases := [][overlap.KindCount]string{
		{},
		{"E12000002"},
		{"E12000002", "E08000009", "", "", "", "E54000057"},
	}
	all := [overlap.KindCount]string{}
	for k := range all {
		all[k] = "E0" + string(rune('0'+k))
	}
	cases = append(cases, all)
	for _, odd := range []string{`a"b`, `a\b`, "<b>", "a&b", "é", "tab\t", "\x7f"} {
		u := all
		u[len(u)-1] = odd
		cases = append(cases, u)
	}
	for _, u := range cases {
		if got, want := unitsJSON(&u), unitsJSONMap(&u); got != want {
			t.Errorf("unitsJSON(%q) = %s, want json.Marshal's %s", u, got, want)
		}
	}
}
