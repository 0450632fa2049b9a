package store

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// TestLoadAreasFirst: LoadAreasFirst hands over the release's areas once, before it returns, with
// their features complete, and returns the Dataset Load returns; on the fixture and (not -short) on
// the national release.
func TestLoadAreasFirst(t *testing.T) {
	sets := map[string]func(*testing.T) *overlap.Dataset{
		"fixture": func(t *testing.T) *overlap.Dataset { return fixture(t) },
		"national": func(t *testing.T) *overlap.Dataset {
			if testing.Short() {
				t.Skip("national data: not with -short")
			}
			return fixtures.NationalDataset(t)
		},
	}
	for name, set := range sets {
		t.Run(name, func(t *testing.T) {
			d := set(t)
			w, err := Open(context.Background(), saved(t, d), false)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			want, err := w.Load(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			var handed []overlap.Area
			var features []geo.Feature
			got, err := w.LoadAreasFirst(context.Background(), "", func(areas []overlap.Area) {
				calls++
				handed = areas
				for _, a := range areas {
					features = append(features, a.Feature)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != 1 || len(handed) != len(got.Areas) || len(handed) == 0 || &handed[0] != &got.Areas[0] {
				t.Fatalf("areas called %d times with %d areas; want once, with the release's %d", calls, len(handed), len(got.Areas))
			}
			for i := range features {
				if !reflect.DeepEqual(features[i], got.Areas[i].Feature) {
					t.Fatalf("area %d's feature when handed over differs from the one loaded", i)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Error("LoadAreasFirst and Load read different datasets")
			}
			if _, err := w.LoadAreasFirst(context.Background(), "1999-01", func([]overlap.Area) { t.Error("areas called for a missing release") }); err == nil {
				t.Error("LoadAreasFirst(release 1999-01) = nil error")
			}
		})
	}
}

// TestUnitsParser: each distinct units text is parsed once and its units copied to every row that
// has it; a bad text is an error every time it comes.
func TestUnitsParser(t *testing.T) {
	kinds := map[string]nhs.Kind{}
	for k := range overlap.KindCount {
		kinds[nhs.Kind(k).String()] = nhs.Kind(k)
	}
	p := unitsParser{kinds: kinds, seen: map[string][overlap.KindCount]string{}}
	icb, la := nhs.KindICB.String(), nhs.KindLA.String()
	for name, tc := range map[string]struct {
		text string
		want map[nhs.Kind]string
		bad  bool
	}{
		"two kinds":    {text: `{"` + icb + `":"E54000057","` + la + `":"E08000009"}`, want: map[nhs.Kind]string{nhs.KindICB: "E54000057", nhs.KindLA: "E08000009"}},
		"empty":        {text: `{}`, want: map[nhs.Kind]string{}},
		"blank":        {text: ``, want: map[nhs.Kind]string{}},
		"escaped":      {text: `{"` + icb + `":"E5\u0034"}`, want: map[nhs.Kind]string{nhs.KindICB: "E54"}},
		"unknown kind": {text: `{"parish":"X"}`, bad: true},
		"not json":     {text: `{"` + icb + `":`, bad: true},
	} {
		t.Run(name, func(t *testing.T) {
			for round := range 2 { // the second time from what the first remembered
				var got [overlap.KindCount]string
				err := p.parse(tc.text, &got)
				if tc.bad {
					if !errors.Is(err, ErrCorrupt) {
						t.Fatalf("round %d: parse(%q) = %v, want ErrCorrupt", round, tc.text, err)
					}
					continue
				}
				var want [overlap.KindCount]string
				for k, code := range tc.want {
					want[k] = code
				}
				if err != nil || got != want {
					t.Fatalf("round %d: parse(%q) = %v, %v; want %v", round, tc.text, got, err, want)
				}
			}
		})
	}
}
