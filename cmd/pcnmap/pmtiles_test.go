package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"

	"pcnmap/tiles"
)

// TestTilesExportPMTiles exports the fixture as MBTiles and as PMTiles (by --format and by the
// extension) and compares every tile of the MBTiles file with the archive's; a directory holds no
// temporary file afterwards, and an unknown format is a usage error.
func TestTilesExportPMTiles(t *testing.T) {
	mbPath := exportFixture(t, "--layers", "areas,boundaries", "--maxzoom", "11")
	dir := filepath.Dir(mbPath)
	db := filepath.Join(dir, "w.db")
	for _, args := range [][]string{{"--out", filepath.Join(dir, "a.pmtiles")}, {"--out", filepath.Join(dir, "b.tiles"), "--format", "pmtiles"}} {
		if out, err := pcnmap(t, append([]string{"tiles", "export", "--db", db, "--layers", "areas,boundaries", "--maxzoom", "11"}, args...)...); err != nil {
			t.Fatalf("tiles export %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.pmtiles"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.tiles"))
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("the two PMTiles exports differ (%d and %d bytes)", len(a), len(b))
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	mb, err := tiles.OpenMBTiles(t.Context(), mbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	pm, err := tiles.OpenPMTiles(filepath.Join(dir, "a.pmtiles"))
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	n := 0
	for z := maptile.Zoom(0); z <= 11; z++ {
		lo, hi := maptile.At([2]float64{-2.6, 53.7}, z), maptile.At([2]float64{-0.3, 52.4}, z)
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				tl := maptile.New(x, y, z)
				want, err := mb.Tile(t.Context(), tl)
				if err != nil {
					t.Fatal(err)
				}
				got, err := pm.Tile(t.Context(), tl)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Fatalf("tile %d/%d/%d: %d bytes in the PMTiles, %d in the MBTiles", z, x, y, len(got), len(want))
				}
				if want != nil {
					n++
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d tiles compared", n)
	}
	if _, err := pcnmap(t, "tiles", "export", "--db", db, "--out", filepath.Join(dir, "c"), "--format", "zip"); !errorsIsUsage(err) {
		t.Errorf("--format zip: %v, want a usage error", err)
	}
}
