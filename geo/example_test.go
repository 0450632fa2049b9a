package geo_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

func ExampleReadFile() {
	l, err := geo.ReadFile("../fixtures/msoa-bng-shp.zip", geo.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := l.Features[0]
	p := geo.PointOnSurface(f.Geom)
	fmt.Printf("%d areas in %v, codes in %s\n", len(l.Features), l.CRS, l.CodeField)
	fmt.Printf("%s %s, around %.2f°, %.2f°\n", f.Code, f.Name, p[0], p[1])
	// Output:
	// 90 areas in EPSG:27700, codes in MSOA11CD
	// E02002863 Rutland 001, around -0.64°, 52.69°
}

func ExampleBNGToWGS84() {
	// The Ordnance Survey's worked example, in Norfolk.
	p := geo.BNGToWGS84(orb.Point{651409.903, 313177.270})
	fmt.Printf("%.6f, %.6f\n", p[0], p[1])
	// Output: 1.716052, 52.657979
}

func ExampleReadError() {
	src := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"LSOA11CD":"E01000001"},"geometry":{"type":"Point","coordinates":[-2.3,53.4]}}]}`
	_, err := geo.ReadGeoJSON(strings.NewReader(src), "upload.geojson", geo.ReadOptions{})
	var re *geo.ReadError
	if errors.Is(err, geo.ErrGeometryType) && errors.As(err, &re) {
		fmt.Println(re.Index, re.Code)
	}
	fmt.Println(err)
	// Output:
	// 0 E01000001
	// geo: upload.geojson: feature 0 (E01000001): geometry is not a Polygon or MultiPolygon: Point
}
