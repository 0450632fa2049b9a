package gpkg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"pcnmap/geo"
)

func square(x, y, s float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}}
}

func testLayers() []Layer {
	return []Layer{
		{Name: "cells", Features: true, Fields: []Field{{"code", FieldText}, {"n", FieldInteger}, {"share", FieldReal}},
			Rows: []Row{
				{Geom: square(-2.3, 53.4, 0.01), Values: []any{"E02000001", int64(3), 0.25}},
				{Geom: square(-2.2, 53.5, 0.02), Values: []any{"E02000002", nil, 0.5}},
			},
			StyleQML: SingleQML(Fill{Outline: Hex("#333333"), Width: 0.5}, "code")},
		{Name: "pairs", Fields: []Field{{"a", FieldText}, {"b", FieldText}}, Rows: []Row{{Values: []any{"x", "y"}}}},
	}
}

// TestWriteRead writes two tables and reads the features back with geo's own GeoPackage reader,
// then writes again: the bytes must be the same.
func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.gpkg")
	opt := Options{LastChange: time.Date(2021, 1, 4, 0, 0, 0, 0, time.UTC)}
	if err := Write(t.Context(), path, opt, testLayers()...); err != nil {
		t.Fatal(err)
	}
	l, err := geo.ReadFile(path, geo.ReadOptions{Layer: "cells", CodeField: "code"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Features) != 2 {
		t.Fatalf("read %d features, want 2", len(l.Features))
	}
	for i, f := range l.Features {
		want := testLayers()[0].Rows[i]
		if f.Code != want.Values[0] || planar.Area(f.Geom) != planar.Area(want.Geom) {
			t.Errorf("feature %d = %s area %g, want %s area %g", i, f.Code, planar.Area(f.Geom), want.Values[0], planar.Area(want.Geom))
		}
	}
	first, _ := os.ReadFile(path)
	if err := Write(t.Context(), path, opt, testLayers()...); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Errorf("the same layers gave different files")
	}
	if bytes.HasPrefix(first, []byte("SQLite format 3\x00")) == false || !bytes.Equal(first[68:72], []byte("GPKG")) {
		t.Errorf("header: want SQLite with application_id GPKG, got % x", first[68:72])
	}
}

func TestWriteRefuses(t *testing.T) {
	bad := map[string][]Layer{
		"name":       {{Name: "gpkg_x"}},
		"dash":       {{Name: "a-b"}},
		"duplicate":  {{Name: "a"}, {Name: "A"}},
		"fid column": {{Name: "a", Fields: []Field{{"fid", FieldText}}}},
		"width":      {{Name: "a", Fields: []Field{{"x", FieldText}}, Rows: []Row{{Values: []any{"1", "2"}}}}},
		"geometry":   {{Name: "a", Rows: []Row{{Geom: square(0, 0, 1)}}}},
		"boolean":    {{Name: "a", Fields: []Field{{"ok", FieldBoolean}}, Rows: []Row{{Values: []any{Bool(true)}}, {Values: []any{int64(2)}}}}},
		"bool type":  {{Name: "a", Fields: []Field{{"ok", FieldBoolean}}, Rows: []Row{{Values: []any{true}}}}},
	}
	for name, layers := range bad {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.gpkg")
			if err := Write(t.Context(), path, Options{}, layers...); !errors.Is(err, ErrLayer) {
				t.Errorf("Write = %v, want ErrLayer", err)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("a refused write left %s", path)
			}
		})
	}
}

func TestGeometryHeader(t *testing.T) {
	b, err := Geometry(square(1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	// "GP", version 0, flags: little-endian, xy envelope; SRS 4326; then four doubles and WKB.
	if !bytes.Equal(b[:8], []byte{'G', 'P', 0, 3, 0xe6, 0x10, 0, 0}) || len(b) != 8+32+9+9+4+5*16 {
		t.Errorf("header % x, %d bytes", b[:8], len(b))
	}
}
