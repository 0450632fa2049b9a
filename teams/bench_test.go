package teams_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// nationalDataset is the January 2021 release of England, built once per process.
func nationalDataset(b *testing.B) *overlap.Dataset { return fixtures.NationalDataset(b) }

// nationalSet makes one team per local authority from the MSOAs: ~300 teams over all of England,
// a harder what-if than any one trust's set.
func nationalSet(b *testing.B, d *overlap.Dataset) *teams.Set {
	b.Helper()
	s, err := fixtures.TeamsByLA(context.Background(), d)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkWhatIf moves one MSOA between two teams and recomputes every metric of the set, what the
// map's what-if does per click (target under 50 ms on the national workspace).
func BenchmarkWhatIf(b *testing.B) {
	d := nationalDataset(b)
	s := nationalSet(b, d)
	m, err := teams.NewModel(d, s)
	if err != nil {
		b.Fatal(err)
	}
	msoa := s.Teams[0].LSOAs[0].LSOA // an LSOA of the first team; its area is moved
	l := d.Areas[d.LSOAs[indexOf(d, msoa)].Area].Code
	from, to := s.Teams[0].Name, s.Teams[1].Name
	b.Logf("%d teams, %d PCNs; moving %s between %s and %s", len(s.Teams), len(d.PCNs), l, from, to)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Move(l, from, to); err != nil {
			b.Fatal(err)
		}
		if a := m.Alignment(0.01); a.Score <= 0 {
			b.Fatal("score", a.Score)
		}
		from, to = to, from
	}
}

// BenchmarkModel resolves the national set against the release: the one-off cost before what-ifs.
func BenchmarkModel(b *testing.B) {
	d := nationalDataset(b)
	s := nationalSet(b, d)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := teams.NewModel(d, s); err != nil {
			b.Fatal(err)
		}
	}
}

func indexOf(d *overlap.Dataset, lsoa string) int {
	for i := range d.LSOAs {
		if d.LSOAs[i].Code == lsoa {
			return i
		}
	}
	return -1
}

var (
	centroidOnce sync.Once
	centroidPts  map[string]orb.Point
	centroidErr  error
)

// BenchmarkImportICB imports a 50-team polygon set over a large local authority (50 of Birmingham's
// MSOAs as team patches) by centroid against the national release (target under 1 s).
func BenchmarkImportICB(b *testing.B) {
	d := nationalDataset(b)
	centroidOnce.Do(func() {
		var c *nhs.Centroids
		if c, centroidErr = nhs.ReadCentroids(fixtures.NationalPath("lsoa11-population-weighted-centroids.csv")); centroidErr == nil {
			centroidPts = make(map[string]orb.Point, len(c.Points))
			for k, p := range c.Points {
				centroidPts[k] = orb.Point{p.Lon, p.Lat}
			}
		}
	})
	if centroidErr != nil {
		b.Fatal(centroidErr)
	}
	layer := &geo.Layer{Source: "birmingham-50.geojson", CodeField: "code"}
	for _, a := range d.Areas {
		if a.Units[nhs.KindLA] == "E08000025" && len(layer.Features) < 50 {
			layer.Features = append(layer.Features, a.Feature)
		}
	}
	run := func(b *testing.B, o teams.PolygonOptions) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			imp, err := teams.FromPolygons(context.Background(), d, layer, o)
			if err != nil {
				b.Fatal(err)
			}
			if len(imp.Set.Teams) != 50 || len(imp.Uncovered) != 0 {
				b.Fatalf("%d teams, %d uncovered", len(imp.Set.Teams), len(imp.Uncovered))
			}
		}
	}
	b.Run("centroid", func(b *testing.B) { run(b, teams.PolygonOptions{Centroids: centroidPts}) })
	b.Run("area", func(b *testing.B) {
		lsoaOnce.Do(func() {
			lsoaLayer, lsoaErr = geo.ReadFile(fixtures.NationalPath("lsoa2011-england-generalised-clipped.geojson.gz"), geo.ReadOptions{})
		})
		if lsoaErr != nil {
			b.Fatal(lsoaErr)
		}
		run(b, teams.PolygonOptions{Method: teams.MethodArea, LSOAs: lsoaLayer})
	})
}

var (
	lsoaOnce  sync.Once
	lsoaLayer *geo.Layer
	lsoaErr   error
)

// BenchmarkSuggest proposes a grouping for Greater Manchester's ten local authorities as teams.
func BenchmarkSuggest(b *testing.B) {
	d := nationalDataset(b)
	var csv strings.Builder
	csv.WriteString("team,msoa\n")
	for _, a := range d.Areas {
		if la := a.Units[nhs.KindLA]; la >= "E08000001" && la <= "E08000010" {
			csv.WriteString(la + "," + a.Code + "\n")
		}
	}
	tab, err := teams.ParseCSV(strings.NewReader(csv.String()), "gm.csv")
	if err != nil {
		b.Fatal(err)
	}
	imp, err := teams.FromTable(context.Background(), d, tab)
	if err != nil {
		b.Fatal(err)
	}
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var s *teams.Suggestion
	for i := 0; i < b.N; i++ {
		if s, err = m.Suggest(context.Background(), teams.SuggestOptions{LSOAPolygons: d.LSOAPolygons}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sm, err := teams.NewModel(d, s.Set)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("Greater Manchester by local authority: score %.4f; suggested %.4f (%v; %d teams had fallen apart, %d LSOAs joined)", m.Alignment(0.01).Score, sm.Alignment(0.01).Score, s.Contiguity, s.Split, s.Moved)
}
