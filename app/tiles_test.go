package app_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"pcnmap/app"
	"pcnmap/fixtures"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/tiles"
)

// TestLoadTiles: LoadTiles returns the Dataset Load returns and the areas' shapes PrepareAreas makes
// from it, and the tiles exported with those shapes are the tiles Export prepares itself, byte for
// byte; on the fixture and (not -short) on the national release, every zoom.
func TestLoadTiles(t *testing.T) {
	sets := map[string]func(*testing.T) *overlap.Dataset{
		"fixture": func(t *testing.T) *overlap.Dataset {
			d, err := fixtures.Dataset()
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"national": func(t *testing.T) *overlap.Dataset {
			if testing.Short() {
				t.Skip("national data: not with -short")
			}
			return fixtures.NationalDataset(t)
		},
	}
	for name, set := range sets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "w.db")
			if err := store.Ingest(ctx, path, set(t), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			want, err := app.Load(ctx, path, "")
			if err != nil {
				t.Fatal(err)
			}
			got, shapes, err := app.LoadTiles(ctx, path, "")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatal("LoadTiles and Load read different datasets")
			}
			ref, err := layers.PrepareAreas(ctx, want.Areas)
			if err != nil {
				t.Fatal(err)
			}
			if shapes.Len() != len(want.Areas) || shapes.Stats() != ref.Stats() || shapes.Bound() != ref.Bound() {
				t.Fatalf("LoadTiles' shapes: %d, %+v; PrepareAreas': %d, %+v", shapes.Len(), shapes.Stats(), ref.Len(), ref.Stats())
			}
			opt := layers.ExportOptions{Threshold: 0.01, Zooms: tiles.AllZooms, Layers: []string{layers.Areas, layers.Boundaries}}
			mine, theirs := filepath.Join(dir, "loaded.mbtiles"), filepath.Join(dir, "export.mbtiles")
			if _, err := layers.Export(ctx, theirs, want, opt); err != nil {
				t.Fatal(err)
			}
			opt.Areas = shapes
			if _, err := layers.Export(ctx, mine, got, opt); err != nil {
				t.Fatal(err)
			}
			a, b := tileBlobs(t, mine), tileBlobs(t, theirs)
			if len(a) == 0 || !reflect.DeepEqual(a, b) {
				t.Errorf("exported with LoadTiles' shapes: %d tiles; by Export alone: %d, or their bytes differ", len(a), len(b))
			}
		})
	}
	if _, _, err := app.LoadTiles(context.Background(), filepath.Join(t.TempDir(), "none.db"), ""); err == nil {
		t.Error("LoadTiles(a missing workspace) = nil error")
	}
}

// tileBlobs reads every tile of an MBTiles file, keyed by z/x/y.
func tileBlobs(t *testing.T, path string) map[[3]int][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[3]int][]byte{}
	for rows.Next() {
		var k [3]int
		var b []byte
		if err := rows.Scan(&k[0], &k[1], &k[2], &b); err != nil {
			t.Fatal(err)
		}
		out[k] = b
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
