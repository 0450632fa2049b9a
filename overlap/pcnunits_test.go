package overlap_test

import (
	"testing"

	"pcnmap/fixtures"
	"pcnmap/nhs"
)

// TestPCNUnits checks the one-pass PCNUnits against PCNUnit, PCN by PCN, for every kind of the
// fixture, and that the fixture gives it something to find.
func TestPCNUnits(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for k := range nhs.KindCount {
		got := d.PCNUnits(nhs.Kind(k))
		if len(got) != len(d.PCNs) {
			t.Fatalf("PCNUnits(%s) has %d entries for %d PCNs", nhs.Kind(k), len(got), len(d.PCNs))
		}
		for p, u := range got {
			if want := d.PCNUnit(p, nhs.Kind(k)); u != want {
				t.Errorf("PCNUnits(%s)[%s] = %q, want PCNUnit's %q", nhs.Kind(k), d.PCNs[p].Code, u, want)
			}
			if u != "" {
				found++
			}
		}
	}
	if found < len(d.PCNs) {
		t.Fatalf("only %d PCN units found over every kind", found)
	}
}
