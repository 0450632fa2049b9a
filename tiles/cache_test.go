package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"
)

func gunzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("gzip: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("gzip: %v", err)
	}
	return out
}

// TestCacheSingleFlight asks for one cold tile from 100 goroutines at once: it is rendered once and
// every caller gets the same answer.
func TestCacheSingleFlight(t *testing.T) {
	_, s := fixtureShapes(t)
	l := Layer{Name: "msoa", Shapes: s}
	c := NewCache(0)
	var calls atomic.Int32
	start := make(chan struct{})
	render := func(ctx context.Context) ([]byte, error) {
		calls.Add(1)
		<-start // hold the flight open until every goroutine has asked
		return Render(ctx, maptile.New(505, 331, 10), l)
	}
	k := Key{Layer: "msoa", Variant: "1%", Tile: maptile.New(505, 331, 10)}
	const n = 100
	entries := make([]Entry, n)
	errs := make([]error, n)
	var wg, asked sync.WaitGroup
	for i := range n {
		wg.Add(1)
		asked.Add(1)
		go func() {
			defer wg.Done()
			asked.Done()
			entries[i], errs[i] = c.Tile(context.Background(), k, render)
		}()
	}
	asked.Wait()
	time.Sleep(20 * time.Millisecond) // let the goroutines reach the flight
	close(start)
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Errorf("render called %d times, want 1", got)
	}
	for i := range n {
		if errs[i] != nil || entries[i].ETag != entries[0].ETag || !bytes.Equal(entries[i].Gzip, entries[0].Gzip) {
			t.Fatalf("caller %d got %v, %v; want caller 0's answer", i, entries[i].ETag, errs[i])
		}
	}
	want, err := Render(context.Background(), k.Tile, l)
	if err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, entries[0].Gzip); !bytes.Equal(got, want) || entries[0].Size != len(want) {
		t.Error("cached tile differs from a fresh render")
	}
	if _, err := c.Tile(context.Background(), k, render); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.Hits+st.Misses != n+1 || st.Hits < 1 || st.Renders != 1 || st.Entries != 1 {
		t.Errorf("Stats = %+v, want %d lookups, at least 1 hit, 1 render, 1 entry", st, n+1)
	}
}

// TestCacheErrors checks every waiter gets the error, errors are not cached, and a panic is an error.
func TestCacheErrors(t *testing.T) {
	c := NewCache(1 << 20)
	k := Key{Layer: "x", Tile: maptile.New(0, 0, 0)}
	boom := errors.New("boom")
	start := make(chan struct{})
	var calls atomic.Int32
	failing := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-start
		return nil, boom
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Tile(context.Background(), k, failing)
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(start)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, boom) {
			t.Errorf("caller %d error %v, want boom", i, err)
		}
	}
	e, err := c.Tile(context.Background(), k, func(context.Context) ([]byte, error) { return []byte{1, 2, 3}, nil })
	if err != nil || e.Size != 3 {
		t.Errorf("after an error, Tile = %+v, %v; want a fresh render", e, err)
	}
	k2 := Key{Layer: "y", Tile: maptile.New(0, 0, 0)}
	if _, err := c.Tile(context.Background(), k2, func(context.Context) ([]byte, error) { panic("oops") }); err == nil {
		t.Error("a panicking render gave no error")
	}
}

// TestCacheCancel checks that a waiter whose context ends leaves at once and the others still get
// the tile.
func TestCacheCancel(t *testing.T) {
	c := NewCache(1 << 20)
	k := Key{Layer: "x", Tile: maptile.New(1, 1, 1)}
	start := make(chan struct{})
	render := func(ctx context.Context) ([]byte, error) {
		<-start
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return []byte("tile"), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Tile(ctx, k, render)
		first <- err
	}()
	time.Sleep(10 * time.Millisecond)
	second := make(chan Entry, 1)
	go func() {
		e, err := c.Tile(context.Background(), k, render)
		if err != nil {
			t.Errorf("second waiter: %v", err)
		}
		second <- e
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter error %v, want context.Canceled", err)
	}
	close(start)
	if e := <-second; e.Size != 4 {
		t.Errorf("second waiter got %+v, want the tile", e)
	}
}

func TestCacheEviction(t *testing.T) {
	c := NewCache(3 * 300)
	tile := func(i uint32) Key { return Key{Layer: "l", Tile: maptile.New(i, 0, 4)} }
	data := bytes.Repeat([]byte{7}, 50)
	render := func(context.Context) ([]byte, error) { return data, nil }
	for i := range uint32(3) {
		if _, err := c.Tile(context.Background(), tile(i), render); err != nil {
			t.Fatal(err)
		}
	}
	// Touch tile 0 so tile 1 is the least recently used, then add a fourth.
	if _, err := c.Tile(context.Background(), tile(0), render); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tile(context.Background(), tile(3), render); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.Evictions == 0 || st.Bytes > 900 {
		t.Fatalf("Stats = %+v, want evictions and at most 900 bytes", st)
	}
	if _, ok := c.get(tile(1), false); ok {
		t.Error("least recently used tile 1 was kept")
	}
	if _, ok := c.get(tile(0), false); !ok {
		t.Error("recently used tile 0 was evicted")
	}
	// Empty tiles are cached too.
	e, err := c.Tile(context.Background(), tile(9), func(context.Context) ([]byte, error) { return nil, nil })
	if err != nil || e.Gzip != nil || e.ETag != "" {
		t.Errorf("empty tile = %+v, %v", e, err)
	}
	if _, ok := c.get(tile(9), false); !ok {
		t.Error("empty tile not cached")
	}
	c.Reset()
	if st := c.Stats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("after Reset, Stats = %+v", st)
	}
	var zero Cache
	if e, err := zero.Tile(context.Background(), tile(1), render); err != nil || e.Size != 50 {
		t.Errorf("zero Cache: %+v, %v", e, err)
	}
}
