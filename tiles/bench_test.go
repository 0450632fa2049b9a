package tiles

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"pcnmap/geo"
)

// areasFields is the schema of the server's areas layer, used to give benchmarks realistic attributes.
var areasFields = []Field{
	{"code", FieldString}, {"name", FieldString}, {"registered", FieldNumber}, {"pcns", FieldNumber},
	{"pcns_any", FieldNumber}, {"dominant_pcn", FieldString}, {"dominant_pcn_name", FieldString},
	{"dominant_share", FieldNumber}, {"hhi", FieldNumber}, {"effective_pcns", FieldNumber},
	{"urban", FieldBool},
}

// areasLayer is an areas layer over feats with made-up metrics (fixed seed), full-precision floats.
func areasLayer(feats []geo.Feature, s *Shapes) Layer {
	rng := rand.New(rand.NewPCG(1, 2))
	type row struct {
		reg, pcns, any  float64
		dom, domName    string
		share, hhi, eff float64
		urban           bool
	}
	rows := make([]row, len(feats))
	for i := range rows {
		d := rng.IntN(1250)
		hhi := 0.2 + 0.8*rng.Float64()
		rows[i] = row{
			reg: float64(5000 + rng.IntN(10000)), pcns: float64(1 + rng.IntN(8)), any: float64(1 + rng.IntN(30)),
			dom: fmt.Sprintf("U%05d", d), domName: fmt.Sprintf("PCN NUMBER %d OF SOMEWHERE", d),
			share: rng.Float64(), hhi: hhi, eff: 1 / hhi, urban: rng.IntN(4) > 0,
		}
	}
	return Layer{
		Name: "areas", Shapes: s, Fields: areasFields,
		Attrs: func(i int, v []Value) bool {
			r := &rows[i]
			v[0].Str, v[1].Str = feats[i].Code, feats[i].Name
			v[2].Num, v[3].Num, v[4].Num = r.reg, r.pcns, r.any
			v[5].Str, v[6].Str = r.dom, r.domName
			v[7].Num, v[8].Num, v[9].Num = r.share, r.hhi, r.eff
			v[10].Bool = r.urban
			return true
		},
	}
}

func BenchmarkPrepare(b *testing.B) {
	feats := nationalFeatures(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Prepare(context.Background(), feats, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRender renders the tiles in turn, cold (Render keeps no cache), with the areas layer as the
// server draws it (coalesced) and with every feature.
func benchRender(b *testing.B, ts []maptile.Tile) {
	for _, coalesce := range []bool{true, false} {
		b.Run(map[bool]string{true: "coalesced", false: "every-feature"}[coalesce], func(b *testing.B) {
			benchRenderLayer(b, ts, coalesce)
		})
	}
}

func benchRenderLayer(b *testing.B, ts []maptile.Tile, coalesce bool) {
	feats, s := nationalPrepared(b)
	l := areasLayer(feats, s)
	l.Coalesce = coalesce
	ctx := context.Background()
	var durs []time.Duration
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		data, err := Render(ctx, ts[i%len(ts)], l)
		durs = append(durs, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		size += len(data)
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(size)/float64(len(durs))/1024, "KB/tile")
}

// BenchmarkRenderZ10 renders the 9 z10 tiles over Greater Manchester.
func BenchmarkRenderZ10(b *testing.B) {
	var ts []maptile.Tile
	for x := uint32(504); x <= 506; x++ {
		for y := uint32(330); y <= 332; y++ {
			ts = append(ts, maptile.New(x, y, 10))
		}
	}
	benchRender(b, ts)
}

// BenchmarkRenderZ6 renders z6 31/20, northern England (the densest z6 tile).
func BenchmarkRenderZ6(b *testing.B) {
	benchRender(b, []maptile.Tile{maptile.New(31, 20, 6)})
}

// BenchmarkExportMBTiles prepares the national MSOA layer and exports z0–12 of all England with the
// areas schema, coalescing, as `pcnmap tiles export` does. It reports the largest tile (uncompressed),
// which must stay under 500 KB.
func BenchmarkExportMBTiles(b *testing.B) {
	feats := nationalFeatures(b)
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var st MBTilesStats
	for b.Loop() {
		s, err := Prepare(context.Background(), feats, Options{})
		if err != nil {
			b.Fatal(err)
		}
		l := areasLayer(feats, s)
		l.Coalesce = true
		st, err = WriteMBTiles(context.Background(), filepath.Join(dir, "england.mbtiles"), MBTilesOptions{Metadata: Metadata{Zooms: AllZooms}}, l)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(st.Tiles), "tiles")
	b.ReportMetric(float64(st.Bytes)/(1<<20), "MB")
	b.ReportMetric(float64(st.Largest)/1024, "largest-KB")
	if st.Largest > 500*1024 {
		b.Errorf("largest tile %d bytes at %v, over 500 KB", st.Largest, st.LargestAt)
	}
	b.Logf("%d tiles (%d empty), %.1f MB, largest %d KB at %v", st.Tiles, st.Empty, float64(st.Bytes)/(1<<20), st.Largest/1024, st.LargestAt)
}

// cpuTime is the process's user and system CPU time so far: on a shared machine it says more about
// the work done than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncodeZ6 compares the hand-written encoder with orb's mvt.Marshal on the z6 31/20 tile
// (every feature): orb is given the tile already built (decoded geometry in tile coordinates,
// properties as maps), so it is timed on encoding alone, while Render also assembles, clips and
// quantises the geometry.
func BenchmarkEncodeZ6(b *testing.B) {
	feats, s := nationalPrepared(b)
	l := areasLayer(feats, s)
	tile := maptile.New(31, 20, 6)
	data, err := Render(context.Background(), tile, l)
	if err != nil {
		b.Fatal(err)
	}
	layers := decodeTile(b, data)
	b.Run("orb-mvt.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mvt.Marshal(layers); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tiles.Render", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Render(context.Background(), tile, l); err != nil {
				b.Fatal(err)
			}
		}
	})
}
