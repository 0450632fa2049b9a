package server

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"pcnmap/fixtures"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/store"
)

// nationalDB is a workspace holding the national release, for the benchmarks; they skip without it.
var nationalDB = flag.String("national", "", "workspace `file` with the national release, for the benchmarks")

var national struct {
	once sync.Once
	d    *overlap.Dataset
	err  error
}

// nationalDataset is the national release read from the -national workspace, else built from the
// national files (fixtures.NationalDataset).
func nationalDataset(tb testing.TB) *overlap.Dataset {
	tb.Helper()
	if *nationalDB == "" {
		return fixtures.NationalDataset(tb)
	}
	if _, err := os.Stat(*nationalDB); err != nil {
		tb.Skip(err)
	}
	national.once.Do(func() {
		w, err := store.Open(context.Background(), *nationalDB, false)
		if err != nil {
			national.err = err
			return
		}
		defer w.Close()
		national.d, national.err = w.Load(context.Background(), "")
	})
	if national.err != nil {
		tb.Fatal(national.err)
	}
	return national.d
}

// BenchmarkCachedTile is the whole handler (routing, middleware, metrics, cache hit, write) for a
// cached gzip tile, without the network.
func BenchmarkCachedTile(b *testing.B) {
	s := newTestServer(b, Config{})
	req := httptest.NewRequest(http.MethodGet, "/tiles/areas/"+z10Trafford+".mvt", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	b.ResetTimer()
	w := &discardWriter{h: http.Header{}}
	for b.Loop() {
		clear(w.h)
		s.Handler().ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status, as a network connection would cost
// nothing to the handler beyond the write.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// benchCold renders the given tiles of the national areas layer through the server at a threshold
// no earlier tile used (so the cache is cold but the per-threshold counts are not, as when a user
// pans at one threshold), and reports the median time per tile.
func benchCold(b *testing.B, ts []maptile.Tile) {
	d := nationalDataset(b)
	s, err := New(context.Background(), Config{}, Data{Dataset: d})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var durs []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := float64(i/len(ts)+1) * 1e-6 // a new cache variant every round of tiles
		tr := tileRequest{layer: layers.Areas, tile: ts[i%len(ts)], threshold: t, variant: thresholdKey(t)}
		if i%len(ts) == 0 {
			b.StopTimer()
			if _, err := s.countsAt(t); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		t0 := time.Now()
		if _, err := s.tile(ctx, tr); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(t0))
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkColdTileZ10 renders (and gzips) the 9 z10 tiles over Greater Manchester.
func BenchmarkColdTileZ10(b *testing.B) {
	var ts []maptile.Tile
	for x := uint32(504); x <= 506; x++ {
		for y := uint32(330); y <= 332; y++ {
			ts = append(ts, maptile.New(x, y, 10))
		}
	}
	benchCold(b, ts)
}

// BenchmarkColdTileZ6 renders (and gzips) z6 31/20, northern England, the densest z6 tile.
func BenchmarkColdTileZ6(b *testing.B) {
	benchCold(b, []maptile.Tile{maptile.New(31, 20, 6)})
}

// BenchmarkCounts is the per-threshold work of a new threshold: counting PCNs per area.
func BenchmarkCounts(b *testing.B) {
	d := nationalDataset(b)
	dst := make([]int32, len(d.Areas))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst = d.Counts(dst, 0.05)
	}
}

// BenchmarkNew is the start-up work on the national release: tile geometry, dissolved outlines and
// the point index.
func BenchmarkNew(b *testing.B) {
	d := nationalDataset(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := New(context.Background(), Config{}, Data{Dataset: d}); err != nil {
			b.Fatal(err)
		}
	}
}
