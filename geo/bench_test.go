package geo

import (
	"os"
	"testing"

	"github.com/paulmach/orb"
)

// The national files, relative to the package directory; the benchmarks skip when they are absent.
const (
	nationalMSOAGeoJSON = "../../shared/data/msoa2011-england-generalised-clipped.geojson.gz"
	nationalLSOAGeoJSON = "../../shared/data/lsoa2011-england-generalised-clipped.geojson.gz"
	nationalMSOAShp     = "../../shared/data/msoa2011-england-bng-shp.zip"
	nationalMSOAGpkg    = "../../shared/data/msoa2011-england-bng.gpkg.gz"
)

func benchRead(b *testing.B, path string) {
	if _, err := os.Stat(path); err != nil {
		b.Skipf("national file absent: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := ReadFile(path, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(l.Features) == 0 {
			b.Fatal("no features")
		}
	}
}

func BenchmarkReadMSOAGeoJSON(b *testing.B)    { benchRead(b, nationalMSOAGeoJSON) }
func BenchmarkReadLSOAGeoJSON(b *testing.B)    { benchRead(b, nationalLSOAGeoJSON) }
func BenchmarkReadMSOAShapefile(b *testing.B)  { benchRead(b, nationalMSOAShp) }
func BenchmarkReadMSOAGeoPackage(b *testing.B) { benchRead(b, nationalMSOAGpkg) }

// BenchmarkValidMSOA checks every national MSOA for crossings, as the readers do after cleaning.
func BenchmarkValidMSOA(b *testing.B) {
	if _, err := os.Stat(nationalMSOAGeoJSON); err != nil {
		b.Skipf("national file absent: %v", err)
	}
	l := mustRead(b, nationalMSOAGeoJSON, ReadOptions{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range l.Features {
			if !Valid(f.Geom) {
				b.Fatalf("%s is not valid", f.Code)
			}
		}
	}
}

func BenchmarkBNGToWGS84MSOA(b *testing.B) {
	if _, err := os.Stat(nationalMSOAGpkg); err != nil {
		b.Skipf("national file absent: %v", err)
	}
	l := mustRead(b, nationalMSOAGpkg, ReadOptions{})
	var pts []orb.Point
	for _, f := range l.Features {
		for _, p := range f.Geom {
			for _, r := range p {
				pts = append(pts, r...)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range pts {
			_ = BNGToWGS84(p)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/point")
}
