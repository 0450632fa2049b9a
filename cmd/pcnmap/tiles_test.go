package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"
	_ "modernc.org/sqlite"
)

func errorsIsUsage(err error) bool { return errors.Is(err, errUsage) }

// exportFixture ingests the fixture and exports it with extra flags; it returns the MBTiles path.
func exportFixture(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	out := filepath.Join(dir, "fixture.mbtiles")
	args := append([]string{"tiles", "export", "--db", db, "--out", out}, extra...)
	stdout, err := pcnmap(t, args...)
	if err != nil {
		t.Fatalf("pcnmap %s: %v", strings.Join(args, " "), err)
	}
	if !strings.Contains(stdout, "tiles") {
		t.Errorf("export said %q", stdout)
	}
	return out
}

// TestTilesExport exports the fixture at z0-12 and reads every tile back with an independent
// decoder (orb's mvt.Unmarshal), checking the MBTiles metadata and the TMS row order on the way.
func TestTilesExport(t *testing.T) {
	out := exportFixture(t, "--layers", "areas,boundaries", "--threshold", "2%")
	db, err := sql.Open("sqlite", out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	meta := map[string]string{}
	rows, err := db.Query("SELECT name, value FROM metadata")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		meta[k] = v
	}
	rows.Close()
	for k, want := range map[string]string{"format": "pbf", "minzoom": "0", "maxzoom": "12"} {
		if meta[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], want)
		}
	}
	var js struct {
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal([]byte(meta["json"]), &js); err != nil || len(js.VectorLayers) != 2 || js.VectorLayers[0].Fields["pcns"] != "Number" {
		t.Errorf("metadata json %s: %v", meta["json"], err)
	}
	if !strings.Contains(meta["description"], "2%") || !strings.Contains(meta["attribution"], "Open Government Licence") {
		t.Errorf("description %q, attribution %q", meta["description"], meta["attribution"])
	}
	rows, err = db.Query("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, perZoom := 0, map[int]int{}
	for rows.Next() {
		var z, x, y int
		var data []byte
		if err := rows.Scan(&z, &x, &y, &data); err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("tile %d/%d/%d is not gzipped: %v", z, x, y, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := mvt.Unmarshal(raw)
		if err != nil {
			t.Fatalf("tile %d/%d/%d: %v", z, x, y, err)
		}
		if len(layers) == 0 || len(layers[0].Features) == 0 {
			t.Errorf("tile %d/%d/%d has no features", z, x, y)
		}
		// TMS rows: the fixture is in the northern half of the world, so its rows are in the upper half.
		if z > 0 && y < 1<<(z-1) {
			t.Errorf("tile %d/%d/row %d: not a TMS row", z, x, y)
		}
		n++
		perZoom[z]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for z := 0; z <= 12; z++ {
		if perZoom[z] == 0 {
			t.Errorf("no tiles at zoom %d", z)
		}
	}
	t.Logf("%d tiles read back", n)
}

// TestTilesExportOgrinfo opens the export with GDAL's MVT driver, as QGIS would.
func TestTilesExportOgrinfo(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("ogrinfo (Debian's gdal-bin) is not installed: skipping the GDAL check of the export")
	}
	out := exportFixture(t, "--maxzoom", "10")
	b, err := exec.CommandContext(context.Background(), ogrinfo, "-ro", "-so", "-al", out).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, b)
	}
	s := string(b)
	for _, want := range []string{"Layer name: areas", "Feature Count:", "pcns: ", "dominant_pcn: String"} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, s)
		}
	}
}
