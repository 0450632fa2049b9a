package tiles

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"pcnmap/fixtures"
	"pcnmap/geo"
)

// nationalPath is the national MSOA file, relative to this package's directory.
var nationalPath = filepath.Join("..", "..", "shared", "data", "msoa2011-england-generalised-clipped.geojson.gz")

// fixturePath is the project's extract of the national MSOA file (fixtures/README.md): the 90 MSOAs
// of Trafford, Manchester and Rutland, WGS84, with the geometry exactly as in the national file.
var fixturePath = fixtures.Path("msoa.geojson")

// readFeatures reads a GeoJSON FeatureCollection (gzipped when the name ends in .gz) into features,
// taking the code and name from the MSOA11CD and MSOA11NM properties.
func readFeatures(path string) ([]geo.Feature, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, err
	}
	out := make([]geo.Feature, 0, len(fc.Features))
	for _, gf := range fc.Features {
		var mp orb.MultiPolygon
		switch g := gf.Geometry.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			return nil, fmt.Errorf("%s: geometry %T", path, gf.Geometry)
		}
		out = append(out, geo.Feature{
			Code:  gf.Properties.MustString("MSOA11CD", ""),
			Name:  gf.Properties.MustString("MSOA11NM", ""),
			Geom:  mp,
			Bound: mp.Bound(),
		})
	}
	return out, nil
}

var national struct {
	once  sync.Once
	feats []geo.Feature
	err   error
}

// nationalFeatures returns the national MSOA layer, or skips the test when the file is absent.
func nationalFeatures(tb testing.TB) []geo.Feature {
	tb.Helper()
	if _, err := os.Stat(nationalPath); err != nil {
		tb.Skipf("national MSOA file not available: %v", err)
	}
	national.once.Do(func() { national.feats, national.err = readFeatures(nationalPath) })
	if national.err != nil {
		tb.Fatal(national.err)
	}
	return national.feats
}

var nationalShapes struct {
	once sync.Once
	s    *Shapes
	err  error
}

func nationalPrepared(tb testing.TB) ([]geo.Feature, *Shapes) {
	tb.Helper()
	feats := nationalFeatures(tb)
	nationalShapes.once.Do(func() {
		nationalShapes.s, nationalShapes.err = Prepare(context.Background(), feats, Options{})
	})
	if nationalShapes.err != nil {
		tb.Fatal(nationalShapes.err)
	}
	return feats, nationalShapes.s
}

var fixture struct {
	once  sync.Once
	feats []geo.Feature
	s     *Shapes
	err   error
}

// fixtureShapes returns the fixture's MSOAs and their prepared shapes.
func fixtureShapes(tb testing.TB) ([]geo.Feature, *Shapes) {
	tb.Helper()
	fixture.once.Do(func() {
		fixture.feats, fixture.err = readFeatures(fixturePath)
		if fixture.err == nil {
			fixture.s, fixture.err = Prepare(context.Background(), fixture.feats, Options{})
		}
	})
	if fixture.err != nil {
		tb.Fatal(fixture.err)
	}
	return fixture.feats, fixture.s
}
