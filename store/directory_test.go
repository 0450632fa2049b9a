package store

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

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

// sameNames reports where d's and e's PCNs, practices and areas differ in what the directory's names
// hold.
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

// TestDirectory: what the save writes reads back through Load and LoadAround, odd names included;
// the blob is what packDirectory gives, and it decodes to the dataset's names and the areas' bounds.
func TestDirectory(t *testing.T) {
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
	s, err := readDirectory(ctx, w.ro, d.Release)
	if err != nil {
		t.Fatal(err)
	}
	bounds, bounded := geometryBounds(full)
	if s != string(packDirectory(d, bounds, bounded)) {
		t.Error("the stored blob is not packDirectory's of the geometry's bounds")
	}
	var got overlap.Dataset
	gotBounds, gotBounded, err := unpackDirectory(s, &got, kindsByName())
	if err != nil {
		t.Fatal(err)
	}
	if diff := sameNames(&got, d); diff != "" {
		t.Errorf("unpackDirectory: %s differs", diff)
	}
	if !slices.Equal(gotBounds, bounds) || !slices.Equal(gotBounded, bounded) || slices.Contains(bounded, false) {
		t.Errorf("unpackDirectory: the bounds differ from the geometry's (%d of %d areas bounded)", count(gotBounded), len(bounded))
	}
}

// geometryBounds are the bounds of d's areas' geometry, as Load computes them.
func geometryBounds(d *overlap.Dataset) ([]orb.Bound, []bool) {
	bounds := make([]orb.Bound, len(d.Areas))
	bounded := make([]bool, len(d.Areas))
	for i := range d.Areas {
		bounds[i], bounded[i] = d.Areas[i].Geom.Bound(), hasPoint(d.Areas[i].Geom)
	}
	return bounds, bounded
}

func count(b []bool) (n int) {
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// TestDirectoryCorrupt: a blob cut short anywhere, with a byte after it, naming a kind this pcnmap
// does not know or a unit or PCN outside its lists, or with a bound flag not 0 or 1, is ErrCorrupt,
// not a panic.
func TestDirectoryCorrupt(t *testing.T) {
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
	bounds := []orb.Bound{{Min: orb.Point{-2.5, 53.5}, Max: orb.Point{-2.4, 53.6}}, {}}
	bounded := []bool{true, false}
	b := packDirectory(tiny, bounds, bounded)
	var back overlap.Dataset
	gotBounds, gotBounded, err := unpackDirectory(string(b), &back, kinds)
	if err != nil || sameNames(&back, tiny) != "" || !slices.Equal(gotBounds, bounds) || !slices.Equal(gotBounded, bounded) {
		t.Fatalf("the blob reads back as %+v, %v, %v, %v", back, gotBounds, gotBounded, err)
	}
	for n := range len(b) {
		var d overlap.Dataset
		if _, _, err := unpackDirectory(string(b[:n]), &d, kinds); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut to %d of %d bytes: %v, want ErrCorrupt", n, len(b), err)
		}
	}
	bad := map[string]string{"a byte after it": string(b) + "\x00"}
	// The last area ends with its last unit, (kind 1, code 0), and its bound's flag, 0.
	bad["a unit code outside its kind's list"] = string(b[:len(b)-2]) + "\x05\x00"
	bad["a unit kind outside the list"] = string(b[:len(b)-3]) + "\x07\x00\x00"
	bad["a bound flag of 2"] = string(b[:len(b)-1]) + "\x02"
	bad["an unknown kind"] = strings.Replace(string(b), "icb", "zzz", 1)
	p := *tiny
	p.Practices = []overlap.Practice{{Code: "P1", PCN: 1}}
	bad["a PCN outside the list"] = string(packDirectory(&p, bounds, bounded))
	p.Practices = []overlap.Practice{{Code: "P1", PCN: -2}}
	bad["a PCN below NoPCN"] = string(packDirectory(&p, bounds, bounded))
	p.Practices = []overlap.Practice{{Code: "P1", ListSize: -1}}
	bad["a negative list size"] = string(packDirectory(&p, bounds, bounded))
	bad["a count beyond the blob"] = "\xff\xff\xff\xff\x0f"
	for name, s := range bad {
		var d overlap.Dataset
		if _, _, err := unpackDirectory(s, &d, kinds); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestDirectoryMigration: a workspace of schema 6 (no release_directory, the index that covered the
// areas' names) gets each release's directory derived from its rows on opening, the blob the save
// writes, and the index dropped.
func TestDirectoryMigration(t *testing.T) {
	ctx := context.Background()
	d := oddNames(t)
	path := saved(t, d)
	saved, err := func() (string, error) {
		w, err := Open(ctx, path, false)
		if err != nil {
			return "", err
		}
		defer w.Close()
		return readDirectory(ctx, w.ro, d.Release)
	}()
	if err != nil {
		t.Fatal(err)
	}
	w := reopenedAfter(t, path, `DROP TABLE release_directory`, areaUnitIndex, `UPDATE meta SET value = '6' WHERE key = 'schema'`)
	s, err := readDirectory(ctx, w.ro, d.Release)
	if err != nil {
		t.Fatal(err)
	}
	if s != saved {
		t.Error("the migrated blob is not the one the save wrote")
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
	if slices.Contains(indexes, "areas_units") {
		t.Errorf("the areas' indexes after the migration: %v", indexes)
	}
	around, err := w.LoadAround(ctx, "", func(a *overlap.Area) bool { return a.Code == d.Areas[0].Code })
	if err != nil || sameNames(around, d) != "" || around.Areas[0].Geom == nil {
		t.Errorf("LoadAround after the migration: %v", err)
	}
}

// sameFloats compares two bounds bit for bit (a NaN read back is the NaN written).
func sameFloats(a, b orb.Bound) bool {
	return math.Float64bits(a.Min[0]) == math.Float64bits(b.Min[0]) && math.Float64bits(a.Min[1]) == math.Float64bits(b.Min[1]) &&
		math.Float64bits(a.Max[0]) == math.Float64bits(b.Max[0]) && math.Float64bits(a.Max[1]) == math.Float64bits(b.Max[1])
}

// FuzzUnpackDirectory: any blob decodes or is ErrCorrupt, never panics, and what decodes packs into
// a blob that decodes to the same names and bounds.
func FuzzUnpackDirectory(f *testing.F) {
	d := &overlap.Dataset{PCNs: []overlap.PCN{{Code: "U1", Name: "One"}}, Practices: []overlap.Practice{{Code: "P1", PCN: 0, ListSize: 5}}, Areas: make([]overlap.Area, 2)}
	d.Areas[0].Code, d.Areas[0].Units[nhs.KindLA] = "E02000001", "E08000001"
	d.Areas[1].Code, d.Areas[1].Units[nhs.KindICB] = "E02000002", "E54000057"
	f.Add(packDirectory(d, []orb.Bound{{Min: orb.Point{-2, 53}, Max: orb.Point{-1, 54}}, {}}, []bool{true, false}))
	f.Add(packDirectory(&overlap.Dataset{}, nil, nil))
	f.Add([]byte("\xff\xff\xff\xff\x0f"))
	kinds := kindsByName()
	f.Fuzz(func(t *testing.T, b []byte) {
		var got overlap.Dataset
		bounds, bounded, err := unpackDirectory(string(b), &got, kinds)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		var again overlap.Dataset
		againBounds, againBounded, err := unpackDirectory(string(packDirectory(&got, bounds, bounded)), &again, kinds)
		if err != nil || sameNames(&again, &got) != "" || !slices.Equal(againBounded, bounded) {
			t.Fatalf("the directory does not round-trip: %v", err)
		}
		for i := range bounds {
			if a, b := againBounds[i], bounds[i]; bounded[i] && !sameFloats(a, b) {
				t.Fatalf("area %d's bound %v reads back as %v", i, b, a)
			}
		}
	})
}
