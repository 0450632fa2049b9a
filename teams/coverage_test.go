package teams_test

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/ingest"
	"pcnmap/nhs"
	"pcnmap/teams"
)

// TestCoverageAgainstPython checks the coverage of Trafford's localities on the July 2022 fixture
// release (membership from the practice mapping CSV, which the script can read with csv alone)
// against testdata/coverage.py, an independent computation with its own point-in-polygon.
func TestCoverageAgainstPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	o := fixtures.Options()
	o.Registrations = fixtures.Path("registrations-2022-07.csv.gz")
	o.Membership = fixtures.Path("practice-map-2022-01.csv")
	o.LSOAPolygons, o.Contexts = "", nil
	d, err := ingest.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := nhs.ReadCentroids(fixtures.Path("lsoa-centroids.csv"))
	if err != nil {
		t.Fatal(err)
	}
	po := teams.PolygonOptions{Method: teams.MethodCentroid, Centroids: make(map[string]orb.Point, len(c.Points))}
	for k, p := range c.Points {
		po.Centroids[k] = orb.Point{p.Lon, p.Lat}
	}
	imp, err := teams.FromPolygons(context.Background(), d, layer, po)
	if err != nil {
		t.Fatal(err)
	}
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []float64{0, 0.01} {
		a := m.Alignment(th)
		out, err := exec.Command(python, "testdata/coverage.py", o.Registrations, o.Membership, o.Lookup, fixtures.Path("lsoa-centroids.csv"),
			fixtures.Path("trafford-localities.geojson"), strconv.FormatFloat(th, 'g', -1, 64)).CombinedOutput()
		if err != nil {
			t.Fatalf("coverage.py: %v\n%s", err, out)
		}
		var want float64
		var pcns int
		if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &want, &pcns); err != nil {
			t.Fatalf("coverage.py printed %q", out)
		}
		if d := a.Coverage - want; d > 1e-5 || d < -1e-5 || a.CoveragePCNs != pcns {
			t.Errorf("at t = %g: Coverage = %.6f over %d PCNs, coverage.py says %.6f over %d", th, a.Coverage, a.CoveragePCNs, want, pcns)
		}
	}
}
