package geo

import (
	"os"
	"testing"
)

// The national GeoPackage (EPSG:27700) was made from the national WGS84 GeoJSON by GDAL, through the
// Helmert "OSGB36 to WGS 84 (6)". Converting its vertices back with BNGToWGS84 must land within a
// millimetre or so of the GeoJSON's: same features, same rings, same vertices.
func TestNationalBNGMatchesWGS84(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("reads the national files: too slow for -short or -race")
	}
	for _, p := range []string{nationalMSOAGpkg, nationalMSOAGeoJSON} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("national file absent: %v", err)
		}
	}
	wgs := mustRead(t, nationalMSOAGeoJSON, ReadOptions{})
	bng := mustRead(t, nationalMSOAGpkg, ReadOptions{})
	if len(wgs.Features) != 6791 || wgs.CRS != CRSWGS84 || bng.CRS != CRSBNG {
		t.Fatalf("read %d features in %v and %d in %v, want 6791 in WGS84 and EPSG:27700",
			len(wgs.Features), wgs.CRS, len(bng.Features), bng.CRS)
	}
	maxD, medD := compareLayers(t, wgs, bng)
	t.Logf("national MSOAs, GeoPackage (BNG, converted by BNGToWGS84) vs GeoJSON (WGS84): vertex distance max %.4f m, median %.4f m", maxD, medD)
	if maxD > 1 {
		t.Errorf("vertices up to %.3f m apart, want under 1 m", maxD)
	}
	if len(wgs.Repaired)+len(bng.Repaired) != 0 {
		t.Errorf("repaired %v and %v, want none: the national polygons are valid", wgs.Repaired, bng.Repaired)
	}
}
