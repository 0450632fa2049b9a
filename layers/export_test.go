package layers

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pcnmap/tiles"
)

// TestExportZooms exports the fixture at zoom 0 alone (the zero Zooms) and at zooms 0-3, and reads
// the files back: the metadata and TileJSON say the zooms written, and the tiles are there.
func TestExportZooms(t *testing.T) {
	d := fixtureDataset(t)
	for name, tc := range map[string]struct {
		zooms tiles.Zooms
		tiles int // one tile per zoom covers the fixture at these zooms
	}{
		"z0 only": {tiles.Zooms{}, 1},
		"z0-3":    {tiles.Zooms{Max: 3}, 4},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.mbtiles")
			st, err := Export(context.Background(), path, d, ExportOptions{Threshold: 0.01, Zooms: tc.zooms})
			if err != nil {
				t.Fatal(err)
			}
			if st.Tiles != tc.tiles {
				t.Errorf("Export(%+v) wrote %d tiles, want %d", tc.zooms, st.Tiles, tc.tiles)
			}
			mb, err := tiles.OpenMBTiles(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer mb.Close()
			doc, err := mb.TileJSON()
			if err != nil {
				t.Fatal(err)
			}
			if doc.MinZoom != int(tc.zooms.Min) || doc.MaxZoom != int(tc.zooms.Max) || len(doc.VectorLayers) != 1 || doc.VectorLayers[0].ID != Areas {
				t.Errorf("TileJSON of the file: zooms %d-%d, layers %+v; want %d-%d, areas", doc.MinZoom, doc.MaxZoom, doc.VectorLayers, tc.zooms.Min, tc.zooms.Max)
			}
			if doc.Attribution != Attribution || !strings.Contains(doc.Name, d.Release) {
				t.Errorf("TileJSON of the file: name %q, attribution %q", doc.Name, doc.Attribution)
			}
		})
	}
	if _, err := Export(context.Background(), filepath.Join(t.TempDir(), "x.mbtiles"), d, ExportOptions{Zooms: tiles.Zooms{Min: 3, Max: 2}}); err == nil {
		t.Error("Export(zooms 3-2) = nil error")
	}
}

// TestNoHTTP checks that the layers and their export build without the web framework (echo) or the server, so
// `pcnmap tiles export` does not need the server.
func TestNoHTTP(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "pcnmap/layers").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/labstack/") || dep == "pcnmap/server" {
			t.Errorf("package layers depends on %s", dep)
		}
	}
}

// TestExportPreparedAreas: shapes prepared for other areas than the dataset's are refused, not drawn.
func TestExportPreparedAreas(t *testing.T) {
	d := fixtureDataset(t)
	few, err := PrepareAreas(context.Background(), d.Areas[:3])
	if err != nil {
		t.Fatal(err)
	}
	_, err = Export(context.Background(), filepath.Join(t.TempDir(), "x.mbtiles"), d, ExportOptions{Areas: few})
	if err == nil || !strings.Contains(err.Error(), "3 area shapes") {
		t.Errorf("Export(shapes of 3 areas) = %v, want an error saying so", err)
	}
}
