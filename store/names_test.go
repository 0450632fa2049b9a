package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// kindsByName maps every kind's name to it, as loadRelease does.
func kindsByName() map[string]nhs.Kind {
	kinds := map[string]nhs.Kind{}
	for k := range overlap.KindCount {
		kinds[nhs.Kind(k).String()] = nhs.Kind(k)
	}
	return kinds
}

// sameNames reports where d's and e's PCNs, practices and areas differ in what the names hold.
func sameNames(d, e *overlap.Dataset) string {
	if len(d.PCNs) != len(e.PCNs) || len(d.Practices) != len(e.Practices) || len(d.Areas) != len(e.Areas) {
		return "the counts differ"
	}
	for i := range d.PCNs {
		if d.PCNs[i].Code != e.PCNs[i].Code || d.PCNs[i].Name != e.PCNs[i].Name {
			return "PCN " + d.PCNs[i].Code
		}
	}
	if !slices.Equal(d.Practices, e.Practices) {
		return "the practices"
	}
	for i := range d.Areas {
		a, b := &d.Areas[i], &e.Areas[i]
		if a.Code != b.Code || a.Name != b.Name || a.Units != b.Units {
			return "area " + a.Code
		}
	}
	return ""
}

// oddNames is the fixture with names a reader of joined or quoted text would trip on.
func oddNames(t *testing.T) *overlap.Dataset {
	d := fixture(t)
	d.Practices[0].Name += "\x1fx"
	d.PCNs[1].Name = "\x1f"
	d.PCNs[2].Name = ""
	d.Areas[2].Name += "\x1f, \"é\""
	d.Areas[3].Units[nhs.KindWard] = "E05000001"
	return d
}

// TestNames: what the save writes reads back through Load and LoadAround, odd names included; the
// blob is what packNames gives, and it decodes to the dataset's names.
func TestNames(t *testing.T) {
	ctx := context.Background()
	d := oddNames(t)
	w, full := loaded(t, saved(t, d))
	around, err := w.LoadAround(ctx, "", func(a *overlap.Area) bool { return a.Code == d.Areas[2].Code })
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]*overlap.Dataset{"Load": full, "LoadAround": around} {
		if diff := sameNames(got, d); diff != "" {
			t.Errorf("%s: %s differs from what was saved", name, diff)
		}
	}
	s, err := readNames(ctx, w.ro, d.Release)
	if err != nil {
		t.Fatal(err)
	}
	if s != string(packNames(d)) {
		t.Error("the stored blob is not packNames'")
	}
	var got overlap.Dataset
	if err := unpackNames(s, &got, kindsByName()); err != nil {
		t.Fatal(err)
	}
	if diff := sameNames(&got, d); diff != "" {
		t.Errorf("unpackNames: %s differs", diff)
	}
}

// TestNamesCorrupt: a blob cut short anywhere, with a byte after it, naming a kind this pcnmap does
// not know or a unit or PCN outside its lists is ErrCorrupt, not a panic.
func TestNamesCorrupt(t *testing.T) {
	kinds := kindsByName()
	tiny := &overlap.Dataset{
		PCNs:      []overlap.PCN{{Code: "U1", Name: "One"}},
		Practices: []overlap.Practice{{Code: "P1", Name: "A", PCN: 0, ListSize: 70000}, {Code: "P2", Name: "B", PCN: overlap.NoPCN}},
		Areas:     []overlap.Area{{}, {}},
	}
	tiny.Areas[0].Code, tiny.Areas[0].Name = "E02000001", "Bolton 001"
	tiny.Areas[0].Units[nhs.KindLA] = "E08000001"
	tiny.Areas[1].Code = "E02000002"
	tiny.Areas[1].Units[nhs.KindLA], tiny.Areas[1].Units[nhs.KindICB] = "E08000001", "E54000057"
	b := packNames(tiny)
	var back overlap.Dataset
	if err := unpackNames(string(b), &back, kinds); err != nil || sameNames(&back, tiny) != "" {
		t.Fatalf("the blob reads back as %+v, %v", back, err)
	}
	for n := range len(b) {
		var d overlap.Dataset
		if err := unpackNames(string(b[:n]), &d, kinds); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut to %d of %d bytes: %v, want ErrCorrupt", n, len(b), err)
		}
	}
	bad := map[string]string{"a byte after it": string(b) + "\x00"}
	// The last area's last unit is (kind 1, code 0): its code's place raised, then its kind's.
	bad["a unit code outside its kind's list"] = string(b[:len(b)-1]) + "\x05"
	bad["a unit kind outside the list"] = string(b[:len(b)-2]) + "\x07\x00"
	bad["an unknown kind"] = strings.Replace(string(b), "icb", "zzz", 1)
	p := *tiny
	p.Practices = []overlap.Practice{{Code: "P1", PCN: 1}}
	bad["a PCN outside the list"] = string(packNames(&p))
	p.Practices = []overlap.Practice{{Code: "P1", PCN: -2}}
	bad["a PCN below NoPCN"] = string(packNames(&p))
	p.Practices = []overlap.Practice{{Code: "P1", ListSize: -1}}
	bad["a negative list size"] = string(packNames(&p))
	bad["a count beyond the blob"] = "\xff\xff\xff\xff\x0f"
	for name, s := range bad {
		var d overlap.Dataset
		if err := unpackNames(s, &d, kinds); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestNamesMigration: a workspace of schema 6 (no release_names, the index that covered the areas'
// names in place of the one of their bounds by index) gets each release's names derived from its
// rows on opening, the blob the save writes, and the index swapped.
func TestNamesMigration(t *testing.T) {
	ctx := context.Background()
	d := oddNames(t)
	w := reopenedAfter(t, saved(t, d), `DROP TABLE release_names`, `DROP INDEX areas_bound_idx`, areaUnitIndex,
		`UPDATE meta SET value = '6' WHERE key = 'schema'`)
	s, err := readNames(ctx, w.ro, d.Release)
	if err != nil {
		t.Fatal(err)
	}
	if s != string(packNames(d)) {
		t.Error("the migrated blob is not the one the save writes")
	}
	var indexes []string
	rows, err := w.ro.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'areas'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(indexes, "areas_bound_idx") || slices.Contains(indexes, "areas_units") {
		t.Errorf("the areas' indexes after the migration: %v", indexes)
	}
	around, err := w.LoadAround(ctx, "", func(a *overlap.Area) bool { return a.Code == d.Areas[0].Code })
	if err != nil || sameNames(around, d) != "" || around.Areas[0].Geom == nil {
		t.Errorf("LoadAround after the migration: %v", err)
	}
}

// FuzzUnpackNames: any blob decodes or is ErrCorrupt, never panics, and what decodes packs into a
// blob that decodes to the same names.
func FuzzUnpackNames(f *testing.F) {
	d := &overlap.Dataset{PCNs: []overlap.PCN{{Code: "U1", Name: "One"}}, Practices: []overlap.Practice{{Code: "P1", PCN: 0, ListSize: 5}}, Areas: make([]overlap.Area, 2)}
	d.Areas[0].Code, d.Areas[0].Units[nhs.KindLA] = "E02000001", "E08000001"
	d.Areas[1].Code, d.Areas[1].Units[nhs.KindICB] = "E02000002", "E54000057"
	f.Add(packNames(d))
	f.Add(packNames(&overlap.Dataset{}))
	f.Add([]byte("\xff\xff\xff\xff\x0f"))
	kinds := kindsByName()
	f.Fuzz(func(t *testing.T, b []byte) {
		var got overlap.Dataset
		if err := unpackNames(string(b), &got, kinds); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		var again overlap.Dataset
		if err := unpackNames(string(packNames(&got)), &again, kinds); err != nil || sameNames(&again, &got) != "" {
			t.Fatalf("the names do not round-trip: %v", err)
		}
	})
}
