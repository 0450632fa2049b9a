package tiles

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/paulmach/orb/geojson"
)

var extract = flag.Bool("extract", false, "rewrite testdata/trafford-msoa.geojson from the national MSOA file")

// traffordCodes are Trafford's 28 MSOAs.
func traffordCodes() []string {
	var codes []string
	for n := 1259; n <= 1286; n++ {
		codes = append(codes, fmt.Sprintf("E02%06d", n))
	}
	return codes
}

// TestExtractFixture writes the fixture: Trafford's MSOAs and every MSOA sharing an edge with one of
// them, with their geometry exactly as in the national file. Run with -extract.
func TestExtractFixture(t *testing.T) {
	if !*extract {
		t.Skip("run with -extract to rewrite the fixture")
	}
	feats := nationalFeatures(t)
	s, err := Prepare(context.Background(), feats, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{}
	trafford := map[string]bool{}
	for _, c := range traffordCodes() {
		trafford[c] = true
	}
	arcOwners := map[int32][]int{}
	for fi := range s.feats {
		f := s.feats[fi]
		for p := f.polys.start; p < f.polys.end; p++ {
			for r := s.polys[p].start; r < s.polys[p].end; r++ {
				for _, ref := range s.refs[s.rings[r].start:s.rings[r].end] {
					if ref < 0 {
						ref = ^ref
					}
					arcOwners[ref] = append(arcOwners[ref], fi)
				}
			}
		}
	}
	for _, owners := range arcOwners {
		for _, o := range owners {
			if trafford[feats[o].Code] {
				for _, o2 := range owners {
					want[o2] = true
				}
			}
		}
	}
	fc := geojson.NewFeatureCollection()
	var idx []int
	for i := range want {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		f := geojson.NewFeature(feats[i].Geom)
		f.Properties["MSOA11CD"] = feats[i].Code
		f.Properties["MSOA11NM"] = feats[i].Name
		fc.Append(f)
	}
	data, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte(`{"type":"Feature"`), []byte("\n"+`{"type":"Feature"`))
	if err := os.WriteFile(fixturePath, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d features (%d in Trafford)", len(idx), len(trafford))
}
