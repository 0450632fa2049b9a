package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pcnmap/overlap"
)

// release builds a Dataset of PCNs and practices only: members maps each PCN code to its practices,
// each of list size 100; loose practices belong to no PCN.
func release(name string, members map[string][]string, loose ...string) *overlap.Dataset {
	d := &overlap.Dataset{Release: name}
	var codes []string
	for c := range members {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for i, c := range codes {
		d.PCNs = append(d.PCNs, overlap.PCN{Code: c, Name: c + " PCN", ListSize: int64(100 * len(members[c]))})
		for _, p := range members[c] {
			d.Practices = append(d.Practices, overlap.Practice{Code: p, PCN: int32(i), ListSize: 100})
		}
	}
	for _, p := range loose {
		d.Practices = append(d.Practices, overlap.Practice{Code: p, PCN: overlap.NoPCN, ListSize: 100})
	}
	d.Index()
	return d
}

// TestCompareLinks: PCNs are matched through their practices, whatever their codes say.
func TestCompareLinks(t *testing.T) {
	from := release("2021-01", map[string][]string{
		"A": {"a1", "a2"}, "B": {"b1"}, "C": {"c1", "c2"}, "D": {"d1"}, "E": {"e1", "e2", "e3", "e4", "e5"}, "G": {"g1"},
		"H": {"h1", "h2"}, "I": {"i1", "i2"},
	}, "f1")
	to := release("2022-07", map[string][]string{
		"AB": {"a1", "a2", "b1"}, "C1": {"c1"}, "C2": {"c2"}, "D2": {"d1"}, "E": {"e1", "e2", "e3", "e4", "e5", "x1"}, "F": {"f1", "f2"},
		"J": {"h1", "i1"}, "K": {"h2", "i2"},
	}, "g1")
	c, err := Compare(context.Background(), from, to, 0.01, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Links {
		got = append(got, fmt.Sprintf("%s %s→%s %.2f/%.2f", l.Change, c.fromCode(l.From), c.toCode(l.To), l.FromShare, l.ToShare))
	}
	want := []string{
		"continued E→E 1.00/0.83",
		"recoded D→D2 1.00/1.00",
		"merged A→AB 1.00/0.67",
		"merged B→AB 1.00/0.33",
		"split C→C1 0.50/1.00",
		"split C→C2 0.50/1.00",
		"reorganised H→J 0.50/0.50",
		"reorganised I→J 0.50/0.50",
		"reorganised H→K 0.50/0.50",
		"reorganised I→K 0.50/0.50",
		"appeared →F 0.00/1.00",
		"disappeared G→ 1.00/0.00",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Compare links =\n%q\nwant\n%q", got, want)
	}
	// Counted by hand from the links above: each PCN once, under its group's change.
	wantCounts := ChangeCounts{Continued: 1, Recoded: 1, Merged: 1, MergedFrom: 2, Split: 1, SplitInto: 2, ReorganisedFrom: 2, ReorganisedTo: 2, Appeared: 1, Disappeared: 1}
	if got := c.Counts(); got != wantCounts {
		t.Errorf("Counts() = %+v, want %+v", got, wantCounts)
	}
	if _, err := Compare(context.Background(), from, from, 0.01, 0); !errors.Is(err, ErrSameRelease) {
		t.Errorf("Compare(a release with itself) = %v, want ErrSameRelease", err)
	}
}
