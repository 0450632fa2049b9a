package tiles

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// exportFixture writes the fixture's layers, z0–12, to a file in a temporary directory.
func exportFixture(t testing.TB) (string, []Layer, MBTilesStats) {
	t.Helper()
	feats, s := fixtureShapes(t)
	layers := []Layer{
		{Name: "msoa", Shapes: s, Fields: testFields, Attrs: testAttrs(feats, false), Coalesce: true},
		{Name: "some", Shapes: s, Fields: testFields, Attrs: testAttrs(feats, true)},
	}
	path := filepath.Join(t.TempDir(), "trafford.mbtiles")
	var calls, last, total int
	st, err := WriteMBTiles(context.Background(), path, MBTilesOptions{
		Metadata: Metadata{Name: "trafford", Description: "Trafford MSOAs", Attribution: testAttribution, Version: "1", Zooms: AllZooms},
		Progress: func(done, n int) { calls, last, total = calls+1, done, n },
	}, layers...)
	if err != nil {
		t.Fatalf("WriteMBTiles: %v", err)
	}
	if calls == 0 || last != total || st.Tiles+st.Empty != total {
		t.Errorf("progress: %d calls, last %d of %d; stats %+v", calls, last, total, st)
	}
	return path, layers, st
}

// TestMBTilesRoundTrip exports the fixture and reads every tile back: the bytes must be the tiles
// Render draws at that z/x/y (so the TMS row order is right), and orb must decode them.
func TestMBTilesRoundTrip(t *testing.T) {
	path, layers, st := exportFixture(t)
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("directory holds %d files, want only the MBTiles file", len(ents))
	}
	m, err := OpenMBTiles(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	md := m.Metadata()
	for k, want := range map[string]string{
		"name": "trafford", "format": "pbf", "minzoom": "0", "maxzoom": "12", "type": "overlay",
		"attribution": testAttribution, "description": "Trafford MSOAs", "version": "1",
	} {
		if md[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, md[k], want)
		}
	}
	for _, k := range []string{"bounds", "center"} {
		if !regexp.MustCompile(`^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+(,-?[0-9.]+)?$`).MatchString(md[k]) {
			t.Errorf("metadata %s = %q", k, md[k])
		}
	}
	var js struct {
		VectorLayers []VectorLayer `json:"vector_layers"`
	}
	if err := json.Unmarshal([]byte(md["json"]), &js); err != nil {
		t.Fatalf("metadata json: %v", err)
	}
	if len(js.VectorLayers) != 2 || js.VectorLayers[0].ID != "msoa" || js.VectorLayers[1].ID != "some" ||
		!reflect.DeepEqual(js.VectorLayers[0].Fields, map[string]string{"code": "String", "name": "String",
			"index": "Number", "share": "Number", "neg": "Number", "odd": "Boolean", "maybe": "String"}) {
		t.Errorf("metadata json = %s", md["json"])
	}

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
	n := 0
	perZoom := map[int]int{}
	for rows.Next() {
		var z, x, row int
		var data []byte
		if err := rows.Scan(&z, &x, &row, &data); err != nil {
			t.Fatal(err)
		}
		tile := maptile.New(uint32(x), uint32((1<<z)-1-row), maptile.Zoom(z))
		raw := gunzip(t, data)
		want, err := Render(context.Background(), tile, layers...)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, want) {
			t.Errorf("tile %v differs from Render", tile)
		}
		got, err := m.Tile(context.Background(), tile)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("MBTiles.Tile(%v) = %d bytes, %v; want the stored %d bytes", tile, len(got), err, len(data))
		}
		for _, l := range decodeTile(t, raw) {
			for _, f := range l.Features {
				checkGeometry(t, fmt.Sprintf("tile %v layer %s feature %v", tile, l.Name, f.ID), f.Geometry)
			}
		}
		n++
		perZoom[z]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != st.Tiles || len(perZoom) != 13 {
		t.Errorf("read %d tiles over zooms %v; stats say %d", n, perZoom, st.Tiles)
	}
	if got, err := m.Tile(context.Background(), maptile.New(0, 0, 12)); got != nil || err != nil {
		t.Errorf("MBTiles.Tile(absent) = %d bytes, %v; want nil, nil", len(got), err)
	}
	if _, err := m.Tile(context.Background(), maptile.New(5, 0, 2)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("MBTiles.Tile(bad) error %v, want ErrOutOfRange", err)
	}
	t.Logf("%d tiles, %d KB, largest %d bytes at %v", st.Tiles, st.Bytes/1024, st.Largest, st.LargestAt)
}

// TestMBTilesOgrinfo opens the export with GDAL's ogrinfo, an independent reader.
func TestMBTilesOgrinfo(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("ogrinfo (Debian package gdal-bin) not installed: skipping the GDAL check")
	}
	path, _, _ := exportFixture(t)
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	text := string(out)
	for _, layer := range []string{"msoa", "some"} {
		if !strings.Contains(text, "Layer name: "+layer) {
			t.Errorf("ogrinfo does not list layer %s:\n%s", layer, text)
		}
	}
	counts := regexp.MustCompile(`Feature Count: (\d+)`).FindAllStringSubmatch(text, -1)
	if len(counts) != 2 {
		t.Fatalf("ogrinfo gives %d feature counts:\n%s", len(counts), text)
	}
	for _, c := range counts {
		if n, _ := strconv.Atoi(c[1]); n == 0 {
			t.Errorf("ogrinfo: a layer has no features:\n%s", text)
		}
	}
	for _, field := range []string{"code: String", "index: Real", "odd: Integer"} {
		if !strings.Contains(text, field) {
			t.Errorf("ogrinfo does not list field %q", field)
		}
	}
}

func TestMBTilesFailure(t *testing.T) {
	_, s := fixtureShapes(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.mbtiles")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteMBTiles(ctx, path, MBTilesOptions{}, Layer{Name: "x", Shapes: s}); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteMBTiles(cancelled) error %v, want context.Canceled", err)
	}
	if _, err := WriteMBTiles(context.Background(), path, MBTilesOptions{Metadata: Metadata{Zooms: Zooms{0, 13}}}, Layer{Name: "x", Shapes: s}); err == nil {
		t.Error("WriteMBTiles(maxzoom 13) gave no error")
	}
	if _, err := WriteMBTiles(context.Background(), filepath.Join(dir, "no", "such", "dir.mbtiles"), MBTilesOptions{}, Layer{Name: "x", Shapes: s}); err == nil {
		t.Error("WriteMBTiles(no such directory) gave no error")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed exports left %d files behind", len(ents))
	}
	if _, err := OpenMBTiles(context.Background(), filepath.Join(dir, "absent.mbtiles")); err == nil {
		t.Error("OpenMBTiles(absent) gave no error")
	}
	junk := filepath.Join(dir, "junk.mbtiles")
	if err := os.WriteFile(junk, []byte("not a database at all, not at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenMBTiles(context.Background(), junk); err == nil {
		t.Error("OpenMBTiles(junk) gave no error")
	}
}
