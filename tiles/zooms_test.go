package tiles

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// TestPrepareZooms checks that shapes prepared at some zooms only (Options.Zooms) hold, at those
// zooms, the very levels and tiles of a preparation at every zoom, and that the other zooms are
// refused rather than drawn empty.
func TestPrepareZooms(t *testing.T) {
	feats, full := fixtureShapes(t)
	for _, zooms := range [][]int{{9}, {0, 5, 12}, {12, 11, 11}} {
		s, err := Prepare(context.Background(), feats, Options{Zooms: zooms})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]bool{}
		for _, z := range zooms {
			want[z] = true
		}
		st, fst := s.Stats(), full.Stats()
		for z := 0; z <= MaxZoom; z++ {
			if !want[z] {
				if s.levels[z] != nil || st.LevelVertices[z] != 0 {
					t.Errorf("zooms %v: zoom %d was built", zooms, z)
				}
				continue
			}
			if !reflect.DeepEqual(s.levels[z], full.levels[z]) {
				t.Errorf("zooms %v: level %d differs from a full preparation's", zooms, z)
			}
			if st.LevelVertices[z] != fst.LevelVertices[z] || st.Dropped[z] != fst.Dropped[z] || st.Merged[z] != fst.Merged[z] {
				t.Errorf("zooms %v: zoom %d stats differ", zooms, z)
			}
			tl := coverLayers([]Layer{{Name: "areas", Shapes: full}}, maptile.Zoom(z), maptile.Zoom(z))
			if len(tl) == 0 {
				t.Fatalf("zoom %d covers no tile", z)
			}
			for _, tile := range tl[:min(len(tl), 20)] {
				a, err := Render(context.Background(), tile, Layer{Name: "areas", Shapes: s})
				if err != nil {
					t.Fatal(err)
				}
				b, err := Render(context.Background(), tile, Layer{Name: "areas", Shapes: full})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("zooms %v: tile %v differs", zooms, tile)
				}
			}
		}
		// A zoom not built is refused, by Render and by the tile writer.
		z := 0
		for want[z] {
			z++
		}
		tile := coverLayers([]Layer{{Name: "areas", Shapes: full}}, maptile.Zoom(z), maptile.Zoom(z))[0]
		if _, err := Render(context.Background(), tile, Layer{Name: "areas", Shapes: s}); err == nil || !strings.Contains(err.Error(), "not prepared at zoom") {
			t.Errorf("zooms %v: render at zoom %d: %v, want an error", zooms, z, err)
		}
		path := filepath.Join(t.TempDir(), "t.mbtiles")
		opt := MBTilesOptions{Metadata: Metadata{Name: "t", Zooms: Zooms{Min: 0, Max: MaxZoom}}}
		if _, err := WriteMBTiles(context.Background(), path, opt, Layer{Name: "areas", Shapes: s}); err == nil || !strings.Contains(err.Error(), "not prepared at zoom") {
			t.Errorf("zooms %v: mbtiles: %v, want an error", zooms, err)
		}
	}
	if _, err := Prepare(context.Background(), feats, Options{Zooms: []int{MaxZoom + 1}}); err == nil {
		t.Error("zoom MaxZoom+1 accepted")
	}
}
