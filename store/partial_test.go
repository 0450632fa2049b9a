package store

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// TestLoadAround loads each unit of the fixture's workspace (of every kind) with LoadAround and checks
// it against Load: the same cells, no-PCN practice counts and totals everywhere (so every figure is
// the whole release's), the same geometry for the unit's areas and their surroundings, and no
// geometry for the areas beyond (unless the unit is nearly everything). It does so on the workspace
// as saved (the counts read from area_counts, no rows), and again with the counts gone (read
// through the rows, as a workspace without them would be), and with some areas' bounds gone.
func TestLoadAround(t *testing.T) {
	ctx := context.Background()
	path := saved(t, fixture(t))
	checkLoadAround(t, path, false)
	w, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(`DELETE FROM area_counts`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	checkLoadAround(t, path, true)
	// Areas without a stored bound (as the migration to schema 5 leaves those whose geometry it
	// could not read) take their geometry's.
	if w, err = Open(ctx, path, false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(`UPDATE areas SET minx = NULL, miny = NULL, maxx = NULL, maxy = NULL WHERE idx % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	checkLoadAround(t, path, true)
}

func checkLoadAround(t *testing.T, path string, fromRows bool) {
	t.Helper()
	ctx := context.Background()
	w, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	full, err := w.Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(full.NoPCNCells) == 0 || len(full.Cells) == 0 {
		t.Fatalf("the fixture has %d cells, %d no-PCN practice cells", len(full.Cells), len(full.NoPCNCells))
	}
	bounds := make([]orb.Bound, len(full.Areas))
	for i := range full.Areas {
		bounds[i] = full.Areas[i].Bound
	}
	type unit struct {
		k    nhs.Kind
		code string
	}
	units := map[unit]bool{}
	for _, a := range full.Areas {
		for k, u := range a.Units {
			if u != "" && nhs.Kind(k) != nhs.KindRurality {
				units[unit{nhs.Kind(k), u}] = true
			}
		}
	}
	if len(units) < 10 {
		t.Fatalf("the fixture has %d units", len(units))
	}
	surrounded := 0
	for u := range units {
		la, k := u.code, u.k
		d, err := w.LoadAround(ctx, "", func(a *overlap.Area) bool { return a.Units[k] == la })
		if err != nil {
			t.Fatal(err)
		}
		if d.Release != full.Release || !d.ExtractDate.Equal(full.ExtractDate) || !reflect.DeepEqual(d.Coverage, full.Coverage) ||
			!slices.Equal(d.Notes, full.Notes) || !slices.Equal(d.Sources, full.Sources) || !sameUnits(d, full) {
			t.Errorf("LoadAround(%v): the release's facts differ from Load's", u)
		}
		if !slices.Equal(d.Cells, full.Cells) || !slices.Equal(d.NoPCNCells, full.NoPCNCells) {
			t.Fatalf("LoadAround(%v): %d cells, %d no-PCN practice cells; Load: %d, %d", u, len(d.Cells), len(d.NoPCNCells), len(full.Cells), len(full.NoPCNCells))
		}
		if !fromRows && (d.Rows != nil || d.LSOAs != nil) {
			t.Fatalf("LoadAround(%v) read %d rows and %d LSOAs, want none", u, len(d.Rows), len(d.LSOAs))
		}
		if fromRows && (!slices.Equal(d.Rows, full.Rows) || len(d.LSOAs) != len(full.LSOAs)) {
			t.Fatalf("LoadAround(%v) through the rows: %d rows, %d LSOAs; Load: %d, %d", u, len(d.Rows), len(d.LSOAs), len(full.Rows), len(full.LSOAs))
		}
		for i := range d.LSOAs {
			if d.LSOAs[i].Area != full.LSOAs[i].Area || d.LSOAs[i].Registered != full.LSOAs[i].Registered {
				t.Fatalf("LoadAround(%v): LSOA %d in area %d (%d registered), Load: %d (%d)", u, i, d.LSOAs[i].Area, d.LSOAs[i].Registered, full.LSOAs[i].Area, full.LSOAs[i].Registered)
			}
		}
		for i := range d.PCNs {
			p, q := d.PCNs[i], full.PCNs[i]
			if p.Code != q.Code || p.Name != q.Name || p.ListSize != q.ListSize || p.Resident != q.Resident || !slices.Equal(p.Practices, q.Practices) {
				t.Fatalf("LoadAround(%v): PCN %d is %+v, Load's %+v", u, i, p, q)
			}
		}
		if !slices.Equal(d.Practices, full.Practices) {
			t.Fatalf("LoadAround(%v): the practices differ", u)
		}
		// The areas drawn are around's on every area's bound: the stored bounds read near the unit
		// only (aroundStored) miss none.
		var from, withGeom []int32
		for i := range full.Areas {
			if full.Areas[i].Units[k] == la {
				from = append(from, int32(i))
			}
			if d.Areas[i].Geom != nil {
				withGeom = append(withGeom, int32(i))
			}
		}
		if want := around(bounds, from, AroundRings); !slices.Equal(withGeom, want) {
			t.Fatalf("LoadAround(%v): %d areas drawn, around gives %d", u, len(withGeom), len(want))
		}
		inLA, drawn := 0, 0
		for i := range d.Areas {
			a, b := &d.Areas[i], &full.Areas[i]
			if a.Code != b.Code || a.Name != b.Name || a.Registered != b.Registered || a.InPCN != b.InPCN || a.Units != b.Units {
				t.Fatalf("LoadAround(%v): area %d is %s %s, Load's %s %s", u, i, a.Code, a.Name, b.Code, b.Name)
			}
			if a.Geom == nil {
				if a.Units[k] == la {
					t.Errorf("LoadAround(%v): area %s of it has no geometry", u, a.Code)
				}
				continue
			}
			drawn++
			if a.Units[k] == la {
				inLA++
			}
			if !a.Geom.Equal(b.Geom) || a.Bound != b.Bound {
				t.Errorf("LoadAround(%v): area %s: geometry differs from Load's", u, a.Code)
			}
		}
		if drawn > inLA {
			surrounded++
		}
		if drawn == len(d.Areas) && 2*inLA < len(d.Areas) {
			t.Errorf("LoadAround(%v): every area has geometry, %d of them the unit's", u, inLA)
		}
	}
	// The fixture is two islands of areas (Greater Manchester's and Rutland's): a unit that is a
	// whole island has no surroundings, the others must have some.
	if surrounded < 3 {
		t.Errorf("only %d units of %d had surroundings", surrounded, len(units))
	}
}

func sameUnits(d, e *overlap.Dataset) bool {
	for k := range d.Units {
		if !maps.Equal(d.Units[k], e.Units[k]) || !maps.Equal(d.Aliases[k], e.Aliases[k]) {
			return false
		}
	}
	return true
}

// TestParseUnitsFast: the quick reader of the units' JSON agrees with encoding/json's, errors
// included, on what the store writes and on what it does not.
func TestParseUnitsFast(t *testing.T) {
	kinds := map[string]nhs.Kind{}
	for k := range overlap.KindCount {
		kinds[nhs.Kind(k).String()] = nhs.Kind(k)
	}
	cases := map[string]string{
		"empty object":     `{}`,
		"empty string":     ``,
		"null":             `null`,
		"one":              `{"la":"E08000009"}`,
		"several":          `{"icb":"E54000057","la":"E08000009","region":"E12000002"}`,
		"repeated key":     `{"la":"E08000009","la":"E08000010"}`,
		"empty value":      `{"la":""}`,
		"escape":           `{"la":"E08\u0030"}`,
		"quote escaped":    `{"la":"a\"b"}`,
		"spaces":           `{ "la" : "E08000009" }`,
		"number":           `{"la":9}`,
		"unknown kind":     `{"parish":"E04000001"}`,
		"trailing comma":   `{"la":"E08000009",}`,
		"missing colon":    `{"la" "E08000009"}`,
		"unterminated":     `{"la":"E08000009}`,
		"not an object":    `["la"]`,
		"non-ASCII":        `{"la":"é"}`,
		"every kind":       `{"region":"a","nhs-region":"b","la":"c","ccg":"d","stp":"e","sub-icb":"f","icb":"g","rurality":"h","ward":"i"}`,
		"too many, repeat": `{"la":"1","la":"2","la":"3","la":"4","la":"5","la":"6","la":"7","la":"8","la":"9","la":"10"}`,
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			var got, want [overlap.KindCount]string
			gerr := parseUnitsFast(s, kinds, &got)
			werr := parseUnits(s, kinds, &want)
			if (gerr == nil) != (werr == nil) || got != want {
				t.Errorf("parseUnitsFast(%s) = %q, %v; parseUnits: %q, %v", s, got, gerr, want, werr)
			}
			if gerr != nil && !errors.Is(gerr, ErrCorrupt) {
				t.Errorf("parseUnitsFast(%s): error %v is not ErrCorrupt", s, gerr)
			}
		})
	}
}

// FuzzParseUnitsFast: on any input the quick reader gives parseUnits' answer and never panics.
func FuzzParseUnitsFast(f *testing.F) {
	for _, s := range []string{`{}`, `{"la":"E08000009"}`, `{"icb":"x","la":"y"}`, `{"la":"a\"b"}`, `null`} {
		f.Add(s)
	}
	kinds := map[string]nhs.Kind{}
	for k := range overlap.KindCount {
		kinds[nhs.Kind(k).String()] = nhs.Kind(k)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want [overlap.KindCount]string
		gerr := parseUnitsFast(s, kinds, &got)
		werr := parseUnits(s, kinds, &want)
		if (gerr == nil) != (werr == nil) || got != want {
			t.Errorf("parseUnitsFast(%q) = %q, %v; parseUnits: %q, %v", s, got, gerr, want, werr)
		}
	})
}

// TestLSOAAreas: the joined areas read back, and a list that is short, long or not numbers is
// ErrCorrupt, not a panic; inOrder accepts only 0,1,…,n-1.
func TestLSOAAreas(t *testing.T) {
	if got, err := lsoaAreas(3, "4,0,17"); err != nil || len(got) != 3 || got[0].Area != 4 || got[1].Area != 0 || got[2].Area != 17 {
		t.Errorf("lsoaAreas(3, 4,0,17) = %+v, %v", got, err)
	}
	if got, err := lsoaAreas(0, ""); err != nil || len(got) != 0 {
		t.Errorf("lsoaAreas(0, \"\") = %+v, %v", got, err)
	}
	for _, c := range []struct {
		n int
		s string
	}{{3, "4,0"}, {2, "4,0,17"}, {2, "4,x"}, {1, ""}, {2, "4,"}, {1, "99999999999"}} {
		if _, err := lsoaAreas(c.n, c.s); !errors.Is(err, ErrCorrupt) {
			t.Errorf("lsoaAreas(%d, %q): error %v, want ErrCorrupt", c.n, c.s, err)
		}
	}
	for s, want := range map[string]bool{"0,1,2": true, "": false, "0,2,1": false, "0,1": false, "0,1,2,3": false, "0,1,23": false, "0,1,2,": false} {
		if got := inOrder(3, s); got != want {
			t.Errorf("inOrder(3, %q) = %v, want %v", s, got, want)
		}
	}
	if !inOrder(0, "") {
		t.Error(`inOrder(0, "") = false`)
	}
}

// BenchmarkLoadNational reads the national release whole (Load) and for Trafford's document
// (LoadAround: every row, the polygons of Trafford's 28 areas and their surroundings only).
func BenchmarkLoadNational(b *testing.B) {
	d := fixtures.NationalDataset(b)
	bare := *d
	bare.LSOAPolygons = nil
	path := filepath.Join(b.TempDir(), "w.db")
	if err := Ingest(context.Background(), path, &bare, time.Now()); err != nil {
		b.Fatal(err)
	}
	w, err := Open(context.Background(), path, false)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.Load(context.Background(), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("around-trafford", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.LoadAround(context.Background(), "", func(a *overlap.Area) bool { return a.Units[nhs.KindLA] == "E08000009" }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// around returns, ascending, the areas of from and those within rings steps of neighbours of them,
// an area's neighbours being those whose bounds (widened by aroundMargin) meet its own: the
// reference TestLoadAround checks aroundStored (LoadAround's search of the stored bounds) against.
func around(bounds []orb.Bound, from []int32, rings int) []int32 {
	in := make([]bool, len(bounds))
	frontier := make([]int32, 0, len(from))
	for _, a := range from {
		if !in[a] {
			in[a] = true
			frontier = append(frontier, a)
		}
	}
	for range rings {
		var next []int32
		for i := range bounds {
			if in[i] {
				continue
			}
			b := widen(bounds[i])
			for _, a := range frontier {
				if b.Intersects(bounds[a]) {
					in[i] = true
					next = append(next, int32(i))
					break
				}
			}
		}
		frontier = next
	}
	var out []int32
	for i, ok := range in {
		if ok {
			out = append(out, int32(i))
		}
	}
	return out
}
